//! Bar charts (rankings, age groups) and line charts (time series) as SVG.

use std::fmt::Write;

use sozialmonitor_core::format::german_number;

use crate::esc;

/// One bar.
#[derive(Debug, Clone)]
pub struct Bar {
    /// Label left of the bar.
    pub label: String,
    /// Its value; `None` is drawn as "keine Angabe" or the symbol in `text`.
    pub value: Option<f64>,
    /// The value as shown (German format, or a symbol such as `.`).
    pub text: String,
    /// Drawn dark and bold (the selected region).
    pub highlight: bool,
}

/// Horizontal bars, one row each, in the given order.
pub fn bars(items: &[Bar], title: &str, desc: &str, width: f64) -> String {
    let row = 20.0;
    let label_w = 210.0;
    let text_w = 70.0;
    let top = 8.0;
    let height = top + row * items.len() as f64 + 8.0;
    let max = items
        .iter()
        .filter_map(|b| b.value)
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    let span = (width - label_w - text_w - 10.0).max(10.0);
    let mut o = open_chart(width, height, title, desc);
    for (i, b) in items.iter().enumerate() {
        let y = top + row * i as f64;
        let weight = if b.highlight { "bold" } else { "normal" };
        let fill = if b.highlight { "#0c2c84" } else { "#41b6c4" };
        let _ = write!(
            o,
            r##"<text x="{:.0}" y="{:.1}" text-anchor="end" font-weight="{weight}" fill="#000">{}</text>"##,
            label_w - 6.0,
            y + 14.0,
            esc(&truncate(&b.label, 30))
        );
        let w = b
            .value
            .map_or(0.0, |v| if max > 0.0 { v.abs() / max * span } else { 0.0 });
        let _ = write!(
            o,
            r##"<rect x="{label_w:.0}" y="{:.1}" width="{w:.1}" height="{:.0}" fill="{fill}"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" font-weight="{weight}" fill="#000">{}</text>"##,
            y + 3.0,
            row - 6.0,
            esc(&b.label),
            esc(&b.text),
            label_w + w + 4.0,
            y + 14.0,
            esc(&b.text)
        );
    }
    o.push_str("</svg>");
    o
}

/// Horizontal bars either side of a centre line, one row each: negative values to the left,
/// positive to the right, told apart by side and by the signed number beside each bar, not by
/// colour alone (a type's features in standard deviations from the mean of all regions).
pub fn diverging(items: &[Bar], title: &str, desc: &str, width: f64) -> String {
    let (row, label_w, text_w, top) = (20.0, 210.0, 56.0, 8.0);
    let height = top + row * items.len() as f64 + 8.0;
    let max = items
        .iter()
        .filter_map(|b| b.value)
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    let half = ((width - label_w - 2.0 * text_w) / 2.0).max(10.0);
    let centre = label_w + text_w + half;
    let mut o = open_chart(width, height, title, desc);
    for (i, b) in items.iter().enumerate() {
        let y = top + row * i as f64;
        let _ = write!(
            o,
            r##"<text x="{:.0}" y="{:.1}" text-anchor="end" fill="#000">{}</text>"##,
            label_w - 6.0,
            y + 14.0,
            esc(&truncate(&b.label, 30))
        );
        let v = b.value.unwrap_or(0.0);
        let w = if max > 0.0 { v.abs() / max * half } else { 0.0 };
        let (x, fill, text_x, anchor) = if v < 0.0 {
            // Two neutral hues: above or below the mean is no judgement (more SGB II is not
            // "good" because the bar goes right).
            (centre - w, "#762a83", centre - w - 4.0, "end")
        } else {
            (centre, "#2166ac", centre + w + 4.0, "start")
        };
        let _ = write!(
            o,
            r##"<rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="{:.0}" fill="{fill}"><title>{}: {}</title></rect><text x="{text_x:.1}" y="{:.1}" text-anchor="{anchor}" fill="#000">{}</text>"##,
            y + 3.0,
            row - 6.0,
            esc(&b.label),
            esc(&b.text),
            y + 14.0,
            esc(&b.text)
        );
    }
    let _ = write!(
        o,
        r##"<line x1="{centre:.1}" x2="{centre:.1}" y1="{top:.0}" y2="{:.1}" stroke="#000" stroke-width="1"/></svg>"##,
        height - 8.0
    );
    o
}

/// One line of a line chart.
#[derive(Debug, Clone)]
pub struct Line {
    /// Name in the legend.
    pub name: String,
    /// (year, value) points; `None` leaves a gap.
    pub points: Vec<(u16, Option<f64>)>,
    /// Years whose value is a sum over parts of which some had no value: the point's title says
    /// "(unvollständig)", like the `*` in the tables.
    pub incomplete: Vec<u16>,
    /// Breaks in the series as (first year on the new basis, title): the line is not drawn
    /// across one, and the chart marks it on the time axis.
    pub breaks: Vec<(u16, String)>,
}

/// Lines told apart by colour, dash pattern and marker shape (never by colour alone).
const STYLES: [(&str, &str, &str); 5] = [
    ("#0c2c84", "", "circle"),
    ("#b35806", "6 3", "square"),
    ("#4d4d4d", "2 3", "diamond"),
    ("#1b7837", "10 3 2 3", "triangle"),
    ("#762a83", "1 2", "circle"),
];

/// A time series chart with a y axis in German number format and a legend.
pub fn lines(series: &[Line], title: &str, desc: &str, decimals: usize, width: f64) -> String {
    let height = 240.0 + 20.0 * series.len() as f64;
    let (left, right, top, plot_h) = (64.0, 16.0, 12.0, 180.0);
    let years: Vec<u16> = series
        .iter()
        .flat_map(|l| l.points.iter().filter(|p| p.1.is_some()).map(|p| p.0))
        .collect();
    let (y_min, y_max) = (
        years.iter().copied().min().unwrap_or(2000),
        years.iter().copied().max().unwrap_or(2001),
    );
    let vals: Vec<f64> = series
        .iter()
        .flat_map(|l| l.points.iter().filter_map(|p| p.1))
        .collect();
    let (mut lo, mut hi) = vals
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    if lo > hi {
        (lo, hi) = (0.0, 1.0);
    }
    if lo > 0.0 && lo < hi * 0.5 {
        lo = 0.0;
    }
    let (lo, hi, step) = nice_range(lo, hi);
    let plot_w = width - left - right;
    let xs = |y: u16| {
        left + if y_max > y_min {
            f64::from(y - y_min) / f64::from(y_max - y_min) * plot_w
        } else {
            plot_w / 2.0
        }
    };
    let ys = |v: f64| top + plot_h - (v - lo) / (hi - lo) * plot_h;
    let mut o = open_chart(width, height, title, desc);
    let mut v = lo;
    while v <= hi + step * 0.01 {
        let y = ys(v);
        let _ = write!(
            o,
            r##"<line x1="{left:.0}" x2="{:.0}" y1="{y:.1}" y2="{y:.1}" stroke="#d0d0d0"/><text x="{:.0}" y="{:.1}" text-anchor="end" fill="#000">{}</text>"##,
            left + plot_w,
            left - 6.0,
            y + 4.0,
            german_number(v, decimals.min(if step < 1.0 { 1 } else { 0 }))
        );
        v += step;
    }
    let span = y_max.saturating_sub(y_min).max(1);
    let every = if span > 20 {
        5
    } else if span > 8 {
        2
    } else {
        1
    };
    for y in y_min..=y_max {
        // The last year is always labelled; a grid year closer to it than a step would collide.
        let on_grid = (y - y_min) % every == 0 && y_max - y >= every;
        if on_grid || y == y_max {
            let _ = write!(
                o,
                r##"<text x="{:.1}" y="{:.0}" text-anchor="middle" fill="#000">{y}</text>"##,
                xs(y),
                top + plot_h + 18.0
            );
        }
    }
    let _ = write!(
        o,
        r##"<line x1="{left:.0}" x2="{left:.0}" y1="{top:.0}" y2="{:.0}" stroke="#000"/><line x1="{left:.0}" x2="{:.0}" y1="{:.0}" y2="{:.0}" stroke="#000"/>"##,
        top + plot_h,
        left + plot_w,
        top + plot_h,
        top + plot_h
    );
    o.push_str(&break_marks(series, (y_min, y_max), &xs, top, plot_h));
    for (n, l) in series.iter().enumerate() {
        let (color, dash, marker) = STYLES[n % STYLES.len()];
        let mut d = String::new();
        let mut last: Option<u16> = None;
        for &(y, v) in &l.points {
            match v {
                Some(v) => {
                    let pen = last.is_some_and(|x| !l.breaks.iter().any(|b| x < b.0 && b.0 <= y));
                    let _ = write!(
                        d,
                        "{}{:.1} {:.1}",
                        if pen { "L" } else { "M" },
                        xs(y),
                        ys(v)
                    );
                    last = Some(y);
                }
                None => last = None,
            }
        }
        let _ = write!(
            o,
            r#"<path d="{d}" fill="none" stroke="{color}" stroke-width="2.5" stroke-dasharray="{dash}"/>"#
        );
        let first_after = |y: u16| {
            l.breaks
                .iter()
                .find(|b| {
                    b.0 <= y
                        && !l
                            .points
                            .iter()
                            .any(|p| p.1.is_some() && b.0 <= p.0 && p.0 < y)
                })
                .filter(|b| l.points.iter().any(|p| p.1.is_some() && p.0 < b.0))
        };
        for &(y, v) in &l.points {
            if let Some(v) = v {
                let mut note = if l.incomplete.contains(&y) {
                    " (unvollständig)".to_string()
                } else {
                    String::new()
                };
                if let Some(b) = first_after(y) {
                    note.push_str(&format!(" (nach Zeitreihenbruch: {})", b.1));
                }
                o.push_str(&mark(
                    marker,
                    xs(y),
                    ys(v),
                    color,
                    &format!("{}, {y}: {}{note}", l.name, german_number(v, decimals)),
                ));
            }
        }
        let ly = top + plot_h + 40.0 + 20.0 * n as f64;
        let _ = write!(
            o,
            r#"<line x1="{left:.0}" x2="{:.0}" y1="{ly:.0}" y2="{ly:.0}" stroke="{color}" stroke-width="2.5" stroke-dasharray="{dash}"/>"#,
            left + 30.0
        );
        o.push_str(&mark(marker, left + 15.0, ly, color, &l.name));
        let _ = write!(
            o,
            r##"<text x="{:.0}" y="{:.0}" fill="#000">{}</text>"##,
            left + 38.0,
            ly + 4.0,
            esc(&l.name)
        );
    }
    o.push_str("</svg>");
    o
}

/// A dashed vertical line half a year before each break inside the time axis, labelled with the
/// break's title (the first year on the new basis is right of it).
fn break_marks(
    series: &[Line],
    (y_min, y_max): (u16, u16),
    xs: &dyn Fn(u16) -> f64,
    top: f64,
    plot_h: f64,
) -> String {
    let mut marks: Vec<&(u16, String)> = series
        .iter()
        .flat_map(|l| &l.breaks)
        .filter(|b| y_min < b.0 && b.0 <= y_max)
        .collect();
    marks.sort();
    marks.dedup();
    let half = if y_max > y_min {
        (xs(y_max) - xs(y_min)) / f64::from(y_max - y_min) / 2.0
    } else {
        0.0
    };
    let mut o = String::new();
    for (i, (year, title)) in marks.iter().enumerate() {
        let x = xs(*year) - half;
        let label = format!("Zeitreihenbruch {year}: {title}");
        // In the right half the label stands left of the line, so it stays inside the chart.
        let (tx, anchor) = if x > (xs(y_min) + xs(y_max)) / 2.0 {
            (x - 3.0, "end")
        } else {
            (x + 3.0, "start")
        };
        let _ = write!(
            o,
            r##"<g class="break"><title>{}</title><line x1="{x:.1}" x2="{x:.1}" y1="{top:.0}" y2="{:.0}" stroke="#000" stroke-width="1.5" stroke-dasharray="4 3"/><text x="{tx:.1}" y="{:.0}" font-size="11" text-anchor="{anchor}" fill="#000">{}</text></g>"##,
            esc(&label),
            top + plot_h,
            top + 11.0 + 13.0 * i as f64,
            esc(title)
        );
    }
    o
}

fn mark(kind: &str, x: f64, y: f64, color: &str, title: &str) -> String {
    let t = format!("<title>{}</title>", esc(title));
    match kind {
        "square" => format!(
            r#"<rect x="{:.1}" y="{:.1}" width="7" height="7" fill="{color}">{t}</rect>"#,
            x - 3.5,
            y - 3.5
        ),
        "diamond" => format!(
            r#"<path d="M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z" fill="{color}">{t}</path>"#,
            y - 5.0,
            x + 5.0,
            y + 5.0,
            x - 5.0
        ),
        "triangle" => format!(
            r#"<path d="M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z" fill="{color}">{t}</path>"#,
            y - 5.0,
            x + 5.0,
            y + 4.0,
            x - 5.0,
            y + 4.0
        ),
        _ => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{color}">{t}</circle>"#),
    }
}

/// Axis bounds on round numbers with about five steps.
fn nice_range(lo: f64, hi: f64) -> (f64, f64, f64) {
    let span = (hi - lo).max(hi.abs() * 0.01).max(1e-9);
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((lo / step).floor() * step, (hi / step).ceil() * step, step)
}

/// Text shortened to `n` characters with an ellipsis (by characters, never bytes).
pub(crate) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

/// An id fragment from a title (figures on one page need distinct ids).
/// The opening of a chart's SVG: its size, its role as an image and the title and description
/// that name it for screen readers (ids from the title, so several charts on a page differ).
fn open_chart(width: f64, height: f64, title: &str, desc: &str) -> String {
    let id = slug(title);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-labelledby="{id}-t {id}-d" class="chart" font-family="sans-serif" font-size="13"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"##,
        esc(title),
        esc(desc)
    )
}

pub(crate) fn slug(s: &str) -> String {
    let mut h: u32 = 2166136261;
    for b in s.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(16777619);
    }
    format!("f{h:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_bars_go_left_for_negative_values() {
        let bar = |label: &str, v: f64| Bar {
            label: label.into(),
            value: Some(v),
            text: format!("{v}"),
            highlight: false,
        };
        let svg = diverging(
            &[bar("hoch", 2.0), bar("tief", -1.0)],
            "Typ 1",
            "Merkmale",
            600.0,
        );
        // Centre at 210 + 56 + (600 − 210 − 112) / 2 = 405; the full bar is 139 wide.
        assert!(
            svg.contains(r#"<rect x="405.0" y="11.0" width="139.0""#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"<rect x="335.5" y="31.0" width="69.5""#),
            "{svg}"
        );
        assert!(
            svg.contains(r##"text-anchor="end" fill="#000">-1</text>"##),
            "{svg}"
        );
        assert!(svg.contains("<title id=") && svg.contains("Merkmale"));
    }

    #[test]
    fn axis_bounds_are_round() {
        assert_eq!(nice_range(3.2, 27.9), (0.0, 30.0, 5.0));
        let (lo, hi, _) = nice_range(21.3, 26.7);
        assert!(lo <= 21.3 && hi >= 26.7);
    }

    #[test]
    fn line_chart_has_labelled_points_in_german_format() {
        let svg = lines(
            &[Line {
                name: "Mittelsachsen".into(),
                points: vec![(2015, Some(26.5)), (2016, None), (2017, Some(27.25))],
                incomplete: vec![2015],
                breaks: Vec::new(),
            }],
            "Anteil 65+",
            "Zeitreihe",
            1,
            600.0,
        );
        assert!(svg.contains("<title>Mittelsachsen, 2015: 26,5 (unvollständig)</title>"));
        assert_eq!(
            svg.matches("(unvollständig)").count(),
            1,
            "only the marked year"
        );
        assert!(svg.contains("role=\"img\""));
        // A gap: the line is broken at the missing year (two moves, no line between them).
        let d = svg
            .split("<path d=\"")
            .nth(1)
            .and_then(|p| p.split('"').next())
            .expect("line path");
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert!(!d.contains('L'), "{d}");
    }

    #[test]
    fn a_break_interrupts_the_line_and_is_marked_on_the_axis() {
        let line = |name: &str, breaks: Vec<(u16, String)>| Line {
            name: name.into(),
            points: vec![(2010, Some(10.0)), (2011, Some(9.0)), (2012, Some(9.5))],
            incomplete: Vec::new(),
            breaks,
        };
        let zensus = vec![(2011, "Zensus 2011".to_string())];
        let svg = lines(
            &[line("A", zensus.clone()), line("B", zensus)],
            "Einwohner",
            "Zeitreihe",
            1,
            600.0,
        );
        let paths: Vec<&str> = svg
            .split("<path d=\"")
            .skip(1)
            .filter_map(|p| p.split('"').next())
            .collect();
        for d in &paths[..2] {
            assert_eq!(d.matches('M').count(), 2, "not drawn across the break: {d}");
            assert_eq!(d.matches('L').count(), 1, "2011 to 2012 is one basis: {d}");
        }
        assert_eq!(
            svg.matches("<g class=\"break\">").count(),
            1,
            "one mark for both lines"
        );
        assert!(svg.contains("<title>Zeitreihenbruch 2011: Zensus 2011</title>"));
        assert!(svg.contains("A, 2011: 9,0 (nach Zeitreihenbruch: Zensus 2011)"));
        assert!(
            svg.contains("A, 2012: 9,5</title>"),
            "only the first value after it"
        );
        // A break outside the axis is not drawn.
        let svg = lines(
            &[line("A", vec![(2022, "Zensus 2022".into())])],
            "E",
            "Z",
            1,
            600.0,
        );
        assert!(!svg.contains("class=\"break\""));
    }

    #[test]
    fn bars_show_the_symbol_for_suppressed_values() {
        let svg = bars(
            &[Bar {
                label: "Kriebstein".into(),
                value: None,
                text: ".".into(),
                highlight: false,
            }],
            "Rangfolge",
            "d",
            500.0,
        );
        assert!(svg.contains("Kriebstein: ."));
    }

    #[test]
    fn the_last_year_is_labelled_without_a_grid_year_beside_it() {
        let line = Line {
            name: "A".into(),
            points: (2008..=2025).map(|y| (y, Some(f64::from(y)))).collect(),
            incomplete: Vec::new(),
            breaks: Vec::new(),
        };
        let svg = lines(&[line], "E", "Z", 0, 600.0);
        let label = |y: u16| format!(r##"fill="#000">{y}</text>"##);
        // Every second year from 2008; 2024 would touch 2025.
        assert!(svg.contains(&label(2022)) && svg.contains(&label(2025)));
        assert!(!svg.contains(&label(2024)) && !svg.contains(&label(2023)));
    }
}
