//! Facts about a region that the dashboard and the PDF reports both show, as plain text and SVG:
//! key figures, the direction of change, generated sentences, time series, maps and the age
//! structure. HTML and Typst only wrap them, so a page and its PDF cannot disagree.

use sozialmonitor_core::RegionLevel;
use sozialmonitor_core::classify::{Classes, Method, classify};
use sozialmonitor_core::format::german_number;
use sozialmonitor_viz::chart::{Bar, Line, bars};
use sozialmonitor_viz::map::{Area, choropleth};
use sozialmonitor_viz::palette;

use crate::{Indicator, Site};

/// The indicators a profile and the start page lead with, where the catalogue has them.
pub const KEY_FIGURES: &[&str] = &[
    "bevoelkerung",
    "bevoelkerungsentwicklung_5j",
    "anteil_unter_18",
    "anteil_65_plus",
    "anteil_75_plus",
    "geburten_je_1000",
    "wanderungssaldo_je_1000",
    "arbeitslose_je_1000",
    "sv_beschaeftigte_arbeitsort_je_1000",
    "personen_bg_sgb2_je_1000",
    "betreuungsquote_unter_3",
    "schulabgaenger_ohne_abschluss",
];

/// Years back for "direction of change".
pub const TREND_YEARS: u16 = 5;

/// The unit as a suffix of a number (`" %"`, nothing for counts).
pub fn unit_suffix(ind: &Indicator) -> String {
    match ind.entry.unit.as_str() {
        "%" => " %".into(),
        "Personen" | "Anzahl" => String::new(),
        u => format!(" {u}"),
    }
}

/// Value with unit for running text.
pub fn with_unit(ind: &Indicator, v: f64) -> String {
    format!("{}{}", german_number(v, ind.decimals), unit_suffix(ind))
}

/// Direction of change in words and an arrow that is not the only carrier.
pub fn direction(now: f64, then: f64) -> (&'static str, &'static str) {
    let d = now - then;
    if d.abs() < 1e-9 || (then != 0.0 && (d / then).abs() < 0.005) {
        ("→", "etwa gleich")
    } else if d > 0.0 {
        ("↑", "gestiegen")
    } else {
        ("↓", "gesunken")
    }
}

/// The latest year in which the region has a public value (a number, a symbol or a suppressed
/// cell), else the indicator's latest year. Tables show this year, so a suppressed latest value
/// is shown as `.` rather than silently replaced by an older number.
pub fn default_year(ind: &Indicator, r: usize) -> Option<u16> {
    ind.years
        .iter()
        .rev()
        .copied()
        .find(|&y| ind.get(r, y).is_some())
        .or(ind.last_year())
}

/// The latest year in which the region has a number (for sentences and comparisons, which need
/// one).
pub fn latest_number_year(ind: &Indicator, r: usize) -> Option<u16> {
    ind.years
        .iter()
        .rev()
        .copied()
        .find(|&y| ind.num(r, y).is_some())
}

/// The direction of change over [`TREND_YEARS`] up to `year` as shown in tables ("↑ gestiegen"),
/// or `–` where either number is missing.
pub fn trend_text(ind: &Indicator, r: usize, year: u16) -> String {
    match (
        ind.num(r, year),
        ind.num(r, year.saturating_sub(TREND_YEARS)),
    ) {
        (Some(now), Some(then)) => {
            let (arrow, word) = direction(now, then);
            format!("{arrow} {word}")
        }
        _ => "–".into(),
    }
}

/// The unit in brackets after a name (`" (%)"`), nothing for counts.
pub fn unit_in_brackets(ind: &Indicator) -> String {
    let u = unit_suffix(ind);
    if u.is_empty() {
        String::new()
    } else {
        format!(" ({})", u.trim())
    }
}

/// The Kreis and the Land above a region (not the region itself).
pub fn kreis_and_land(site: &Site, r: usize) -> (Option<usize>, Option<usize>) {
    let k = site.up(r, RegionLevel::Kreis).filter(|&k| k != r);
    let l = site.up(r, RegionLevel::Land).filter(|&l| l != r);
    (k, l)
}

/// The regions an indicator map shows for a selected region: the municipalities of its Kreis
/// where the indicator has municipal numbers that year, else the Kreise of its Land.
pub fn map_regions(site: &Site, ind: &Indicator, r: usize, year: u16) -> Vec<usize> {
    let level = site.regions[r].level;
    let kreis = site.up(r, RegionLevel::Kreis);
    if matches!(level, RegionLevel::Gemeinde | RegionLevel::Kreis)
        && let Some(k) = kreis
    {
        let m = site.municipalities(k);
        if m.iter().any(|&g| ind.get(g, year).is_some()) {
            return m;
        }
    }
    let land = site
        .up(r, RegionLevel::Land)
        .or_else(|| site.up(site.home, RegionLevel::Land));
    land.map(|l| site.kreise(l)).unwrap_or_default()
}

/// The time series lines of a region, its Kreis and its Land.
pub fn series_lines(site: &Site, ind: &Indicator, r: usize) -> Vec<Line> {
    let (k, l) = kreis_and_land(site, r);
    // Counts of a municipality and of its Land do not share a scale: only rates are compared.
    let count = matches!(ind.entry.unit.as_str(), "Personen" | "Anzahl");
    let (k, l) = if count { (None, None) } else { (k, l) };
    let mut out = Vec::new();
    for x in [Some(r), k, l].into_iter().flatten() {
        let points: Vec<(u16, Option<f64>)> =
            ind.years.iter().map(|&y| (y, ind.num(x, y))).collect();
        if points.iter().any(|p| p.1.is_some()) {
            out.push(Line {
                name: site.regions[x].name.clone(),
                points,
            });
        }
    }
    out
}

/// Sentences on notable developments since `TREND_YEARS` years ago, compared with the Kreis (or
/// the Land for a Kreis).
pub fn developments(site: &Site, r: usize) -> Vec<String> {
    let (k, l) = kreis_and_land(site, r);
    let (cmp, cmp_word) = match k {
        Some(k) => (Some(k), "im Kreis"),
        None => (l, "im Land"),
    };
    let mut out = Vec::new();
    for key in KEY_FIGURES {
        let Some(ind) = site.indicator(key) else {
            continue;
        };
        let Some(y) = latest_number_year(ind, r) else {
            continue;
        };
        let y0 = y.saturating_sub(TREND_YEARS);
        let (Some(now), Some(then)) = (ind.num(r, y), ind.num(r, y0)) else {
            continue;
        };
        let (_, word) = direction(now, then);
        if word == "etwa gleich" {
            continue;
        }
        let mut s = format!(
            "{} ist seit {y0} von {} auf {} {word}",
            ind.entry.name,
            with_unit(ind, then),
            with_unit(ind, now)
        );
        if let Some(c) = cmp
            && let (Some(cn), Some(ct)) = (ind.num(c, y), ind.num(c, y0))
        {
            let mine = now - then;
            let theirs = cn - ct;
            let rel = if theirs.signum() != mine.signum() {
                format!(
                    ", anders als {cmp_word} ({} → {})",
                    with_unit(ind, ct),
                    with_unit(ind, cn)
                )
            } else if mine.abs() > theirs.abs() * 1.1 {
                format!(
                    ", stärker als {cmp_word} ({} → {})",
                    with_unit(ind, ct),
                    with_unit(ind, cn)
                )
            } else if mine.abs() < theirs.abs() * 0.9 {
                format!(
                    ", schwächer als {cmp_word} ({} → {})",
                    with_unit(ind, ct),
                    with_unit(ind, cn)
                )
            } else {
                format!(
                    ", ähnlich wie {cmp_word} ({} → {})",
                    with_unit(ind, ct),
                    with_unit(ind, cn)
                )
            };
            s.push_str(&rel);
        }
        s.push('.');
        out.push(s);
    }
    out
}

/// A choropleth of an indicator over `set` (from [`map_regions`]) with its classes; `href`
/// gives each area's link (the dashboard links, a PDF does not).
#[allow(clippy::too_many_arguments)]
pub fn indicator_map(
    site: &Site,
    ind: &Indicator,
    set: &[usize],
    selected: usize,
    year: u16,
    method: &Method,
    k: usize,
    href: &dyn Fn(usize) -> Option<String>,
    width: f64,
) -> (String, Classes) {
    let nums: Vec<f64> = set.iter().filter_map(|&r| ind.num(r, year)).collect();
    let classes = classify(&nums, method, k);
    let pal = palette(classes.len().max(2));
    let mut areas = Vec::new();
    for &r in set {
        let Some(shape) = site.shapes.get(&r) else {
            continue;
        };
        let fill = ind
            .num(r, year)
            .filter(|_| !classes.is_empty())
            .map(|v| pal[classes.class_of(v).min(pal.len() - 1)]);
        areas.push(Area {
            shape,
            fill,
            label: format!(
                "{}: {}{}",
                site.regions[r].name,
                ind.text(r, year),
                if ind.num(r, year).is_some() {
                    unit_suffix(ind)
                } else {
                    String::new()
                }
            ),
            href: href(r),
            highlight: r == selected,
        });
    }
    // A long unit ("je 100 Personen im Alter von 20 bis unter 65") does not fit beside the class
    // bounds; the title, the caption and the table name it.
    let unit = unit_suffix(ind);
    let unit = if unit.chars().count() > 12 {
        String::new()
    } else {
        unit
    };
    let mut legend = Vec::new();
    for c in 0..classes.len() {
        let (lo, hi) = (classes.bounds[c], classes.bounds[c + 1]);
        legend.push((
            pal[c.min(pal.len() - 1)].to_string(),
            format!(
                "{} bis {}{}",
                german_number(lo, ind.decimals),
                german_number(hi, ind.decimals),
                unit
            ),
        ));
    }
    legend.push((String::new(), "kein Wert oder gesperrt".to_string()));
    let title = format!("{} {year} ({})", ind.entry.name, ind.entry.unit);
    let desc = format!(
        "Karte der {} Gebiete, eingefärbt in {} Klassen ({}); die Werte stehen in der Tabelle.",
        set.len(),
        classes.len(),
        method.label_de()
    );
    (choropleth(&areas, &title, &desc, &legend, width), classes)
}

/// The map of a Kreis's municipalities with `r` highlighted (for a Kreis: all of them), or
/// `None` where there are no boundaries.
pub fn location_map(
    site: &Site,
    r: usize,
    href: &dyn Fn(usize) -> Option<String>,
    width: f64,
) -> Option<String> {
    let reg = &site.regions[r];
    let mk = if reg.level == RegionLevel::Gemeinde {
        site.up(r, RegionLevel::Kreis)?
    } else {
        r
    };
    let areas: Vec<Area<'_>> = site
        .municipalities(mk)
        .into_iter()
        .filter_map(|g| {
            site.shapes.get(&g).map(|shape| Area {
                shape,
                fill: Some(if g == r { "#0c2c84" } else { "#c7e9b4" }),
                label: site.regions[g].name.clone(),
                href: href(g),
                highlight: g == r,
            })
        })
        .collect();
    if areas.is_empty() {
        return None;
    }
    Some(choropleth(
        &areas,
        &format!("Lage von {} im Kreis", reg.name),
        &format!(
            "Karte der Gemeinden von {}; {} ist dunkel und dick umrandet hervorgehoben.",
            site.regions[mk].name, reg.name
        ),
        &[
            ("#0c2c84".into(), reg.name.clone()),
            ("#c7e9b4".into(), "übrige Gemeinden".into()),
        ],
        width,
    ))
}

/// The age groups of a region: year and (label, share in %), from the published shares (under
/// 6, under 18, 18–64, 65+, 75+).
pub fn age_groups(site: &Site, r: usize) -> Option<(u16, [(&'static str, f64); 5])> {
    let get = |k: &str| site.indicator(k);
    let (u6, u18, a1864, a65, a75) = (
        get("anteil_unter_6")?,
        get("anteil_unter_18")?,
        get("anteil_18_bis_64")?,
        get("anteil_65_plus")?,
        get("anteil_75_plus")?,
    );
    let y = default_year(a65, r)?;
    let (u6v, u18v, mid, o65, o75) = (
        u6.num(r, y)?,
        u18.num(r, y)?,
        a1864.num(r, y)?,
        a65.num(r, y)?,
        a75.num(r, y)?,
    );
    Some((
        y,
        [
            ("unter 6 Jahre", u6v),
            ("6 bis 17 Jahre", u18v - u6v),
            ("18 bis 64 Jahre", mid),
            ("65 bis 74 Jahre", o65 - o75),
            ("75 Jahre und älter", o75),
        ],
    ))
}

/// The bar chart of [`age_groups`].
pub fn age_chart(site: &Site, r: usize, year: u16, groups: &[(&str, f64)], width: f64) -> String {
    let items: Vec<Bar> = groups
        .iter()
        .map(|(l, v)| Bar {
            label: (*l).to_string(),
            value: Some(*v),
            text: format!("{} %", german_number(*v, 1)),
            highlight: false,
        })
        .collect();
    bars(
        &items,
        &format!("Altersgruppen {year}"),
        &format!(
            "Anteil der Altersgruppen an der Bevölkerung von {} am 31.12.{year} in Prozent.",
            site.regions[r].name
        ),
        width,
    )
}
