//! The network as a bipartite graph: actors in the left column, the action fields and target
//! groups they work on in the right, a line for each "works on". Drawn in two columns so that no
//! layout is random and the same network gives the same picture; the page puts the same
//! relation in a table next to it.

use std::fmt::Write as _;

use crate::chart::{slug, truncate};
use crate::esc;

/// One node of the right column: its label, whether it is a target group (drawn in a second
/// style, so kind is not told by colour alone), and the actors (indexes) linked to it.
#[derive(Debug, Clone)]
pub struct ThemeNode {
    /// Label.
    pub label: String,
    /// A target group rather than an action field.
    pub group: bool,
    /// Indexes into the actor list.
    pub actors: Vec<usize>,
}

/// The graph as SVG, `width` wide.
pub fn bipartite(
    actors: &[String],
    themes: &[ThemeNode],
    title: &str,
    desc: &str,
    width: f64,
) -> String {
    let row = 26.0;
    let top = 30.0;
    let rows = actors.len().max(themes.len()).max(1) as f64;
    let height = top + row * rows + 10.0;
    let y_actor = |i: usize| top + row * (i as f64 + 0.5) * rows / actors.len().max(1) as f64;
    let y_theme = |i: usize| top + row * (i as f64 + 0.5) * rows / themes.len().max(1) as f64;
    let (left, right) = (width * 0.36, width * 0.64);
    let id = slug(title);
    let mut o = String::new();
    let _ = write!(
        o,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-labelledby="{id}-t {id}-d" class="chart network" font-family="sans-serif" font-size="13"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc><text x="{left:.0}" y="16" text-anchor="end" font-weight="bold" fill="#000">Akteure</text><text x="{right:.0}" y="16" font-weight="bold" fill="#000">Handlungsfelder und Zielgruppen</text>"##,
        esc(title),
        esc(desc)
    );
    for (t, node) in themes.iter().enumerate() {
        for &a in &node.actors {
            let dash = if node.group {
                r#" stroke-dasharray="5 3""#
            } else {
                ""
            };
            let _ = write!(
                o,
                r##"<line x1="{left:.1}" y1="{:.1}" x2="{right:.1}" y2="{:.1}" stroke="#41b6c4" stroke-width="1.5"{dash}/>"##,
                y_actor(a),
                y_theme(t)
            );
        }
    }
    // Labels get the room beside their column; at 13 px a character is about 7 px wide.
    let max = ((width * 0.36 - 16.0) / 7.0) as usize;
    for (i, a) in actors.iter().enumerate() {
        let y = y_actor(i);
        let _ = write!(
            o,
            r##"<circle cx="{left:.1}" cy="{y:.1}" r="5" fill="#0c2c84"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#000"><title>{}</title>{}</text>"##,
            left - 9.0,
            y + 4.0,
            esc(a),
            esc(&truncate(a, max))
        );
    }
    for (i, t) in themes.iter().enumerate() {
        let y = y_theme(i);
        let shape = if t.group {
            format!(
                r##"<rect x="{:.1}" y="{:.1}" width="10" height="10" fill="#fff" stroke="#0c2c84" stroke-width="2"/>"##,
                right - 5.0,
                y - 5.0
            )
        } else {
            format!(r##"<circle cx="{right:.1}" cy="{y:.1}" r="5" fill="#0c2c84"/>"##)
        };
        let _ = write!(
            o,
            r##"{shape}<text x="{:.1}" y="{:.1}" fill="#000"><title>{}</title>{}</text>"##,
            right + 9.0,
            y + 4.0,
            esc(&t.label),
            esc(&truncate(&t.label, max))
        );
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_link_is_a_line_and_every_node_is_labelled() {
        let actors = vec![
            "Hochschule Mittweida".to_string(),
            "Kreistag <M>".to_string(),
        ];
        let themes = vec![
            ThemeNode {
                label: "Senior:innen".into(),
                group: false,
                actors: vec![0, 1],
            },
            ThemeNode {
                label: "Senior:innen".into(),
                group: true,
                actors: vec![0],
            },
        ];
        let svg = bipartite(&actors, &themes, "Netzwerk", "Wer woran arbeitet", 640.0);
        assert_eq!(svg.matches("<line").count(), 3);
        assert_eq!(svg.matches("stroke-dasharray").count(), 1);
        assert!(svg.contains("Kreistag &lt;M&gt;"));
        assert!(svg.contains(r#"role="img""#));
        assert_eq!(
            bipartite(&actors, &themes, "Netzwerk", "x", 640.0),
            bipartite(&actors, &themes, "Netzwerk", "x", 640.0)
        );
    }
}
