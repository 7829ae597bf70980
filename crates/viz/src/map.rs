//! Choropleth maps from GeoJSON boundaries (WGS84), projected for the area shown.

use std::fmt::Write;

use crate::{NO_DATA, esc};

/// A region's outline: rings of (longitude, latitude).
#[derive(Debug, Clone)]
pub struct Shape {
    /// Region key.
    pub key: String,
    /// Outer and inner rings of every part.
    pub rings: Vec<Vec<(f64, f64)>>,
}

/// Reads the rings of a GeoJSON `Polygon` or `MultiPolygon` geometry (or a feature holding one).
pub fn parse_geometry(geojson: &str) -> Option<Vec<Vec<(f64, f64)>>> {
    let v: serde_json::Value = serde_json::from_str(geojson).ok()?;
    let g = v.get("geometry").unwrap_or(&v);
    let ring = |r: &serde_json::Value| -> Option<Vec<(f64, f64)>> {
        r.as_array()?
            .iter()
            .map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
            .collect()
    };
    let coords = g.get("coordinates")?;
    match g.get("type")?.as_str()? {
        "Polygon" => coords.as_array()?.iter().map(ring).collect(),
        "MultiPolygon" => {
            let mut out = Vec::new();
            for poly in coords.as_array()? {
                for r in poly.as_array()? {
                    out.push(ring(r)?);
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// One region on a map.
#[derive(Debug, Clone)]
pub struct Area<'a> {
    /// Its outline.
    pub shape: &'a Shape,
    /// Class colour, `None` for no value.
    pub fill: Option<&'a str>,
    /// Tooltip and accessible name, e.g. "Freiberg: 26,5 %".
    pub label: String,
    /// Link target.
    pub href: Option<String>,
    /// Drawn with a heavy outline (the selected region).
    pub highlight: bool,
}

/// A legend entry: colour and text. An empty colour is the hatching of "no value";
/// [`TEXT_ONLY`] is a line of text without a swatch (a note such as "* Summe unvollständig").
pub type LegendItem = (String, String);

/// The colour of a legend entry that is text only.
pub const TEXT_ONLY: &str = "none";

/// A place marked on a map (a service of the directory).
#[derive(Debug, Clone)]
pub struct Point {
    /// Longitude (WGS84).
    pub lon: f64,
    /// Latitude (WGS84).
    pub lat: f64,
    /// Tooltip and accessible name.
    pub label: String,
    /// Link target (its entry in the list beside the map).
    pub href: String,
}

/// Renders a choropleth map `width` pixels wide with its legend below.
pub fn choropleth(
    areas: &[Area<'_>],
    title: &str,
    desc: &str,
    legend: &[LegendItem],
    width: f64,
) -> String {
    with_points(areas, &[], title, desc, legend, width)
}

/// A choropleth map with places marked on it, each a link.
pub fn with_points(
    areas: &[Area<'_>],
    points: &[Point],
    title: &str,
    desc: &str,
    legend: &[LegendItem],
    width: f64,
) -> String {
    let pts = areas
        .iter()
        .flat_map(|a| a.shape.rings.iter().flatten().copied());
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        (x0, y0, x1, y1) = (0.0, 0.0, 1.0, 1.0);
    }
    // Equirectangular at the middle latitude: right for the size of a district or a Land.
    let k = ((y0 + y1) / 2.0).to_radians().cos();
    let pad = 4.0;
    let s = (width - 2.0 * pad) / ((x1 - x0) * k).max(1e-9);
    let map_h = ((y1 - y0) * s).max(1.0) + 2.0 * pad;
    let legend_h = 26.0 * legend.len() as f64 + 30.0;
    let height = map_h + legend_h;
    // A map whose regions are links is a group of links, not a single image.
    let role = if areas.iter().any(|a| a.href.is_some()) || !points.is_empty() {
        "group"
    } else {
        "img"
    };
    let mut o = String::new();
    let _ = write!(
        o,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="{role}" aria-labelledby="map-t map-d" class="map"><title id="map-t">{}</title><desc id="map-d">{}</desc><defs><pattern id="nodata" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="{NO_DATA}"/><line x1="0" y1="0" x2="0" y2="6" stroke="#767676" stroke-width="1.5"/></pattern></defs>"##,
        esc(title),
        esc(desc)
    );
    let mut top = String::new();
    for a in areas {
        let mut d = String::new();
        for r in &a.shape.rings {
            for (i, (x, y)) in r.iter().enumerate() {
                let px = pad + (x - x0) * k * s;
                let py = pad + (y1 - y) * s;
                let _ = write!(d, "{}{px:.1} {py:.1}", if i == 0 { "M" } else { "L" });
            }
            d.push('Z');
        }
        let fill = a.fill.unwrap_or("url(#nodata)");
        let path = format!(
            r#"<path d="{d}" fill="{fill}" stroke="{}" stroke-width="{}"><title>{}</title></path>"#,
            if a.highlight { "#000000" } else { "#ffffff" },
            if a.highlight { 3 } else { 1 },
            esc(&a.label)
        );
        let el = match &a.href {
            Some(h) => format!(
                r#"<a href="{}" aria-label="{}">{path}</a>"#,
                esc(h),
                esc(&a.label)
            ),
            None => path,
        };
        // The highlighted region is drawn last so its outline is not covered.
        if a.highlight {
            top.push_str(&el);
        } else {
            o.push_str(&el);
        }
    }
    o.push_str(&top);
    for p in points {
        let (px, py) = (pad + (p.lon - x0) * k * s, pad + (y1 - p.lat) * s);
        let _ = write!(
            o,
            r##"<a href="{}" aria-label="{}" class="point"><circle cx="{px:.1}" cy="{py:.1}" r="7" fill="#14213d" stroke="#ffffff" stroke-width="2"><title>{}</title></circle></a>"##,
            esc(&p.href),
            esc(&p.label),
            esc(&p.label)
        );
    }
    let mut y = map_h + 12.0;
    let _ = write!(
        o,
        r##"<g class="legend" font-family="sans-serif" font-size="18" fill="#000">"##
    );
    for (fill, text) in legend {
        let f = if fill.is_empty() {
            "url(#nodata)"
        } else {
            fill
        };
        if f != TEXT_ONLY {
            let _ = write!(
                o,
                r##"<rect x="8" y="{y:.0}" width="32" height="20" fill="{f}" stroke="#555"/>"##
            );
        }
        let _ = write!(
            o,
            r##"<text x="48" y="{:.0}">{}</text>"##,
            y + 16.0,
            esc(text)
        );
        y += 26.0;
    }
    o.push_str("</g></svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_polygons_and_multipolygons() {
        let p = parse_geometry(
            r#"{"type":"Polygon","coordinates":[[[12,50],[13,50],[13,51],[12,50]]]}"#,
        )
        .expect("polygon");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0][1], (13.0, 50.0));
        let m = parse_geometry(
            r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]]]}"#,
        )
        .expect("multi");
        assert_eq!(m.len(), 2);
        assert!(parse_geometry(r#"{"type":"Point","coordinates":[1,2]}"#).is_none());
    }

    #[test]
    fn map_is_labelled_and_links_regions() {
        let s = Shape {
            key: "14522010".into(),
            rings: vec![vec![(12.0, 50.0), (13.0, 50.0), (13.0, 51.0)]],
        };
        let svg = choropleth(
            &[Area {
                shape: &s,
                fill: None,
                label: "Altmittweida: keine Angabe".into(),
                href: Some("/gemeinde/14522010".into()),
                highlight: true,
            }],
            "Karte",
            "Beschreibung",
            &[
                (String::new(), "keine Angabe".into()),
                (TEXT_ONLY.into(), "* Summe unvollständig".into()),
            ],
            400.0,
        );
        assert!(
            svg.contains(r#"role="group""#),
            "links inside: a group, not an image"
        );
        assert!(svg.contains("<title id=\"map-t\">Karte</title>"));
        assert!(svg.contains(r#"href="/gemeinde/14522010""#));
        assert!(svg.contains("url(#nodata)"));
        // A note in the legend is text without a swatch.
        assert!(svg.contains(">* Summe unvollständig</text>"), "{svg}");
        assert_eq!(svg.matches("<rect x=\"8\"").count(), 1, "{svg}");
    }
}
