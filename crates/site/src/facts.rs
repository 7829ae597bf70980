//! Facts about a region that the dashboard and the PDF reports both show, as plain text and SVG:
//! key figures, the direction of change, generated sentences, time series, maps and the age
//! structure. HTML and Typst only wrap them, so a page and its PDF cannot disagree.

use sozialmonitor_core::RegionLevel;
use sozialmonitor_core::classify::{Classes, Method, classify};
use sozialmonitor_core::format::german_number;
use sozialmonitor_viz::chart::{Bar, Line, bars};
use sozialmonitor_viz::map::{Area, TEXT_ONLY, choropleth};
use sozialmonitor_viz::palette;

use crate::{BREAK_WORDS, INCOMPLETE_MARK, Indicator, SOURCE_CHANGE, Site};

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
    "deprivationsindex",
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

/// What running text says after a value that is an incomplete sum.
pub const INCOMPLETE_WORDS: &str = "(Summe unvollständig)";

/// `v`, the number of region `r` in `year`, with unit for running text, followed by
/// „(Summe unvollständig)“ where it is a sum with missing parts. A sentence keeps such a value
/// rather than dropping it: the tables show it (marked `*`), and a sentence that silently left
/// it out would disagree with them; the words let the reader weigh the comparison.
pub fn stated(ind: &Indicator, r: usize, year: u16, v: f64) -> String {
    let s = with_unit(ind, v);
    if ind.incomplete(r, year) {
        format!("{s} {INCOMPLETE_WORDS}")
    } else {
        s
    }
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

/// The year of a comparison row over `cols` (the region first, then its Kreis and Land): the
/// region's [`default_year`] where it has any public value; else the latest year in which one of
/// the others has one (an indicator published only for Kreise then compares the Kreis with the
/// Land in their latest year, instead of a row of „–“ in a year nobody has).
pub fn comparison_year(ind: &Indicator, cols: &[usize]) -> Option<u16> {
    let has = |r: usize| {
        ind.years
            .iter()
            .rev()
            .copied()
            .find(|&y| ind.get(r, y).is_some())
    };
    let (&r, others) = cols.split_first()?;
    has(r)
        .or_else(|| {
            ind.years
                .iter()
                .rev()
                .copied()
                .find(|&y| others.iter().any(|&c| ind.get(c, y).is_some()))
        })
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
/// or `–` where either number is missing. Where either number is an incomplete sum the words
/// name its year ("↓ gesunken (Summe 2015 unvollständig)"): the change may come from the
/// missing parts, and the earlier number is not in the table to carry a `*`. A change across a
/// source change or a series break says so too.
pub fn trend_text(ind: &Indicator, r: usize, year: u16) -> String {
    let then_year = year.saturating_sub(TREND_YEARS);
    match (ind.num(r, year), ind.num(r, then_year)) {
        (Some(now), Some(then)) => {
            let (arrow, word) = direction(now, then);
            let years: Vec<String> = [then_year, year]
                .into_iter()
                .filter(|&y| ind.incomplete(r, y))
                .map(|y| y.to_string())
                .collect();
            let mut notes = match years.as_slice() {
                [] => Vec::new(),
                [y] => vec![format!("Summe {y} unvollständig")],
                _ => vec![format!("Summen {} unvollständig", years.join(" und "))],
            };
            if ind.sources_differ(r, year, then_year) {
                notes.push(SOURCE_CHANGE.into());
            }
            notes.extend(ind.break_note(r, then_year, year));
            if notes.is_empty() {
                format!("{arrow} {word}")
            } else {
                format!("{arrow} {word} ({})", notes.join("; "))
            }
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

/// The regions whose time series a chart of region `r` draws: the region, its Kreis and its
/// Land, each only with a number in some year. Tables beside the chart read their values (with
/// symbols and marks) from these regions, not from the lines.
pub fn series_regions(site: &Site, ind: &Indicator, r: usize) -> Vec<usize> {
    let (k, l) = kreis_and_land(site, r);
    // Counts of a municipality and of its Land do not share a scale: only rates are compared.
    let count = sozialmonitor_core::format::is_count_unit(&ind.entry.unit);
    let (k, l) = if count { (None, None) } else { (k, l) };
    [Some(r), k, l]
        .into_iter()
        .flatten()
        .filter(|&x| ind.years.iter().any(|&y| ind.num(x, y).is_some()))
        .collect()
}

/// The time series lines of these regions (usually [`series_regions`], which a table beside the
/// chart reads too); one point per year of the indicator, a gap where there is no number.
pub fn series_lines(site: &Site, ind: &Indicator, regions: &[usize]) -> Vec<Line> {
    regions
        .iter()
        .map(|&x| Line {
            name: site.regions[x].name.clone(),
            points: ind.years.iter().map(|&y| (y, ind.num(x, y))).collect(),
            incomplete: ind
                .years
                .iter()
                .copied()
                .filter(|&y| ind.incomplete(x, y))
                .collect(),
            breaks: (ind.breaks.iter())
                .filter(|b| b.covers(x))
                .map(|b| (b.brk.year, b.brk.title.clone()))
                .collect(),
        })
        .collect()
}

/// Sentences on notable developments since `TREND_YEARS` years ago, compared with the Kreis (or
/// the Land for a Kreis). A value that is an incomplete sum is followed by „(Summe
/// unvollständig)“ (see [`stated`]).
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
            stated(ind, r, y0, then),
            stated(ind, r, y, now)
        );
        if let Some(c) = cmp {
            s.push_str(&comparison(ind, c, cmp_word, (y0, y), now - then));
        }
        if ind.sources_differ(r, y, y0) {
            s.push_str(" – mit ");
            s.push_str(SOURCE_CHANGE);
        }
        let crossed = ind.breaks_between(r, y0, y);
        if !crossed.is_empty() {
            let titles: Vec<&str> = crossed.iter().map(|b| b.title.as_str()).collect();
            s.push_str(&format!(
                " – über einen {BREAK_WORDS} hinweg ({}), nur eingeschränkt vergleichbar",
                titles.join(", ")
            ));
        }
        s.push('.');
        out.push(s);
    }
    out
}

/// How the change `mine` between the years `(y0, y)` compares with that of region `c`
/// (", stärker als im Kreis (… → …)"), or nothing where `c` lacks a number.
fn comparison(ind: &Indicator, c: usize, cmp_word: &str, (y0, y): (u16, u16), mine: f64) -> String {
    let (Some(cn), Some(ct)) = (ind.num(c, y), ind.num(c, y0)) else {
        return String::new();
    };
    let theirs = cn - ct;
    let how = if theirs.signum() != mine.signum() {
        "anders als"
    } else if mine.abs() > theirs.abs() * 1.1 {
        "stärker als"
    } else if mine.abs() < theirs.abs() * 0.9 {
        "schwächer als"
    } else {
        "ähnlich wie"
    };
    format!(
        ", {how} {cmp_word} ({} → {})",
        stated(ind, c, y0, ct),
        stated(ind, c, y, cn)
    )
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
            label: map_label(site, ind, r, year),
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
    // Explained only where a marked value is on the map, as a line without a swatch.
    if set.iter().any(|&r| ind.incomplete(r, year)) {
        legend.push((
            TEXT_ONLY.to_string(),
            format!("{INCOMPLETE_MARK} Summe unvollständig"),
        ));
    }
    let title = format!("{} {year} ({})", ind.entry.name, ind.entry.unit);
    let desc = format!(
        "Karte der {} Gebiete, eingefärbt in {} Klassen ({}); die Werte stehen in der Tabelle.",
        set.len(),
        classes.len(),
        method.label_de()
    );
    (choropleth(&areas, &title, &desc, &legend, width), classes)
}

/// An area's tooltip: "Freiberg: 26,5 %", the unit only after a number, and the mark of an
/// incomplete sum after the unit ("Freiberg: 26,5 %*"), as the legend explains it.
fn map_label(site: &Site, ind: &Indicator, r: usize, year: u16) -> String {
    let unit = if ind.num(r, year).is_some() {
        unit_suffix(ind)
    } else {
        String::new()
    };
    let mark = if ind.incomplete(r, year) {
        INCOMPLETE_MARK
    } else {
        ""
    };
    format!(
        "{}: {}{unit}{mark}",
        site.regions[r].name,
        ind.text(r, year)
    )
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

/// One age group of [`age_groups`].
#[derive(Debug, Clone, Copy)]
pub struct AgeGroup {
    /// "unter 6 Jahre".
    pub label: &'static str,
    /// Share of the population in %.
    pub share: f64,
    /// A share it is computed from is an incomplete sum.
    pub incomplete: bool,
}

impl AgeGroup {
    /// The share as shown, with [`INCOMPLETE_MARK`] where it rests on an incomplete sum.
    pub fn text(&self) -> String {
        let mark = if self.incomplete { INCOMPLETE_MARK } else { "" };
        format!("{}{mark}", german_number(self.share, 1))
    }
}

/// The age groups of a region: year and groups, from the published shares (under 6, under 18,
/// 18–64, 65+, 75+).
pub fn age_groups(site: &Site, r: usize) -> Option<(u16, [AgeGroup; 5])> {
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
    let group = |label, share, from: &[&Indicator]| AgeGroup {
        label,
        share,
        incomplete: from.iter().any(|i| i.incomplete(r, y)),
    };
    Some((
        y,
        [
            group("unter 6 Jahre", u6v, &[u6]),
            group("6 bis 17 Jahre", u18v - u6v, &[u18, u6]),
            group("18 bis 64 Jahre", mid, &[a1864]),
            group("65 bis 74 Jahre", o65 - o75, &[a65, a75]),
            group("75 Jahre und älter", o75, &[a75]),
        ],
    ))
}

/// The bar chart of [`age_groups`].
pub fn age_chart(site: &Site, r: usize, year: u16, groups: &[AgeGroup], width: f64) -> String {
    let items: Vec<Bar> = groups
        .iter()
        .map(|g| Bar {
            label: g.label.to_string(),
            value: Some(g.share),
            // The mark after the unit, as on the map ("26,5 %*").
            text: format!(
                "{} %{}",
                german_number(g.share, 1),
                if g.incomplete { INCOMPLETE_MARK } else { "" }
            ),
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
