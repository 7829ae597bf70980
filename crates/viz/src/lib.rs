//! Charts and maps as SVG strings: pure functions from numbers and shapes to markup, used by the
//! dashboard and (later) the PDF reports, so both show the same picture.
//!
//! Every figure carries `role="img"`, a `<title>` and a `<desc>` naming what it shows; the pages
//! put the same numbers in a table next to it, so colour is never the only carrier of meaning.

pub mod chart;
pub mod map;
pub mod network;

/// Escapes text for HTML and SVG (element content and attribute values).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A sequential palette readable with the common colour-vision deficiencies (ColorBrewer
/// "YlGnBu", light to dark), for 2 to 7 classes; the lightest class still contrasts with white.
pub fn palette(classes: usize) -> Vec<&'static str> {
    const P: [&[&str]; 6] = [
        &["#a1dab4", "#225ea8"],
        &["#a1dab4", "#41b6c4", "#225ea8"],
        &["#c7e9b4", "#7fcdbb", "#2c7fb8", "#253494"],
        &["#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"],
        &[
            "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84",
        ],
        &[
            "#d9f0a3", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84",
        ],
    ];
    let k = classes.clamp(2, 7);
    P[k - 2].to_vec()
}

/// Colours for categories without an order (the types of a typology): Okabe and Ito's palette,
/// told apart with the common colour-vision deficiencies, at most seven; more categories repeat.
/// Maps using it also name each area's category in its label and in a table beside them.
pub fn categories(k: usize) -> Vec<&'static str> {
    const C: [&str; 7] = [
        "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442",
    ];
    (0..k).map(|i| C[i % C.len()]).collect()
}

/// Colour for regions without a value (hatched in the map, so not told apart by colour alone).
pub const NO_DATA: &str = "#f2f2f2";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn palettes_have_the_asked_number_of_classes() {
        for k in 2..=7 {
            assert_eq!(palette(k).len(), k);
        }
        assert_eq!(palette(9).len(), 7);
    }
}
