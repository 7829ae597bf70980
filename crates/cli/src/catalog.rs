//! `sozialmonitor catalog`: the indicator catalogue (Datenkatalog) — list, show, check, gaps.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Context, Result};
use sozialmonitor_core::{IndicatorEntry, IndicatorStatus};
use sozialmonitor_store::{Database, Store};

use crate::table::Table;

fn status_de(s: IndicatorStatus) -> &'static str {
    s.label_de()
}

/// Lists the catalogue, optionally only one action field.
pub fn list(store: &Database, field: Option<&str>) -> Result<ExitCode> {
    let mut t = Table::new(&[
        "Schlüssel",
        "Name",
        "Einheit",
        "Handlungsfeld",
        "Status",
        "Ebenen",
    ]);
    for e in store
        .indicators()?
        .into_iter()
        .filter(|e| field.is_none_or(|f| e.action_field.to_lowercase().contains(&f.to_lowercase())))
    {
        t.row(vec![
            e.key,
            e.name,
            e.unit,
            e.action_field,
            status_de(e.status).into(),
            e.spatial_levels.join(", "),
        ]);
    }
    print!("{}", t.render());
    Ok(ExitCode::SUCCESS)
}

/// Shows one entry in full.
pub fn show(store: &Database, key: &str) -> Result<ExitCode> {
    let e = store
        .indicators()?
        .into_iter()
        .find(|e| e.key == key)
        .with_context(|| format!("no indicator `{key}` in the catalogue"))?;
    println!("{} ({})", e.name, e.key);
    let rows: [(&str, String); 14] = [
        ("Kurzname", e.short_name.clone()),
        ("Definition", e.definition.clone()),
        ("Formel", e.formula.clone()),
        ("Einheit", e.unit.clone()),
        ("Bezugsgröße", e.reference_population.clone()),
        ("Handlungsfeld", e.action_field.clone()),
        ("Zielgruppen", e.target_groups.join(", ")),
        ("Polarität", format!("{:?}", e.polarity)),
        ("Quelle", e.source.clone()),
        ("Raumebenen", e.spatial_levels.join(", ")),
        ("Aktualisierung", e.update_rhythm.clone()),
        ("Zuständig", e.owner.clone()),
        ("Status", status_de(e.status).to_string()),
        ("Erhebung", e.how_to_collect.clone()),
    ];
    for (k, v) in rows.iter().filter(|(_, v)| !v.is_empty()) {
        println!("  {k}: {v}");
    }
    println!(
        "  veröffentlichen: {}{}",
        if e.public { "ja" } else { "nein (intern)" },
        if e.confidentiality.is_empty() {
            String::new()
        } else {
            format!(", Geheimhaltung: {}", e.confidentiality)
        }
    );
    if let Some(c) = &e.inkar_code {
        println!("  INKAR: {c}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Problems of one entry against the store: formula, measures, units.
pub fn problems(
    e: &IndicatorEntry,
    measures: &BTreeMap<String, (String, sozialmonitor_core::MeasureKind)>,
) -> Vec<String> {
    let mut out = Vec::new();
    if e.status != IndicatorStatus::Available {
        return out;
    }
    let expr = match sozialmonitor_core::formula::parse(&e.formula) {
        Ok(x) => x,
        Err(err) => return vec![format!("formula: {}", err.show(&e.formula))],
    };
    // Of a `coalesce`, one alternative suffices: the others serve other levels or years.
    for r in expr.missing_refs(&|m: &str| measures.contains_key(m)) {
        out.push(format!("measure `{}` is not in the store", r.measure));
    }
    for r in expr.refs() {
        let Some((unit, kind)) = measures.get(&r.measure) else {
            continue;
        };
        // A rate or share is computed from counts; a published rate may only stand alone.
        if !kind.additive() && expr.refs().len() > 1 {
            out.push(format!("measure `{}` has unit `{unit}`, not a count or amount; rates are computed from counts", r.measure));
        }
    }
    if e.unit.trim().is_empty() {
        out.push("no unit".into());
    }
    out
}

/// Checks every available entry; fails if any has a problem.
pub fn check(store: &Database) -> Result<ExitCode> {
    let measures: BTreeMap<String, (String, sozialmonitor_core::MeasureKind)> = store
        .measures()?
        .into_iter()
        .map(|m| (m.code, (m.unit, m.kind)))
        .collect();
    let entries = store.indicators()?;
    anyhow::ensure!(
        !entries.is_empty(),
        "the catalogue is empty; import it with `sozialmonitor import catalog/indikatoren.toml`"
    );
    let mut bad = 0;
    for e in &entries {
        let p = problems(e, &measures);
        if !p.is_empty() {
            bad += 1;
            println!("{}:", e.key);
            for x in p {
                println!("  {x}");
            }
        }
    }
    let available = entries
        .iter()
        .filter(|e| e.status == IndicatorStatus::Available)
        .count();
    println!(
        "{} indicators, {available} available: {} ok, {bad} with problems",
        entries.len(),
        available - bad.min(available)
    );
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Data gaps per action field and per target group.
pub fn gaps(store: &Database) -> Result<ExitCode> {
    let entries = store.indicators()?;
    for (title, by_group) in [("Handlungsfeld", false), ("Zielgruppe", true)] {
        let mut t = Table::new(&[title, "verfügbar", "geplant", "fehlt", "Bewertung"]);
        for g in sozialmonitor_core::catalog::gap_groups(&entries, by_group) {
            t.row(vec![
                g.name.clone(),
                g.available.to_string(),
                g.planned.to_string(),
                g.missing.to_string(),
                g.coverage().label_de().into(),
            ]);
        }
        println!("{}", t.render_right(&[1, 2, 3]));
    }
    println!("Datenlücken:");
    for e in entries
        .iter()
        .filter(|e| e.status != IndicatorStatus::Available)
    {
        println!(
            "  {} ({}, {}): {}",
            e.name,
            status_de(e.status),
            e.owner,
            e.how_to_collect
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One comparison of an indicator with INKAR.
pub struct Comparison {
    /// Indicator key.
    pub key: String,
    /// INKAR code.
    pub inkar: String,
    /// Kreis-years where both have a number.
    pub compared: usize,
    /// Of those, how many agree within INKAR's rounding (its values have two decimals).
    pub within_rounding: usize,
    /// Largest absolute difference.
    pub max_diff: f64,
    /// Mean absolute difference.
    pub mean_diff: f64,
    /// The Kreis-year with the largest difference: (key, year, ours, INKAR).
    pub worst: Option<(String, u16, f64, f64)>,
    /// First and last year with a difference beyond rounding.
    pub differing_years: Option<(u16, u16)>,
}

/// Computes every catalogue indicator that has an INKAR equivalent for every Kreis of Saxony and
/// Saxony-Anhalt and every year both have, with the bulk engine on today's territory (as INKAR
/// publishes it), and compares.
pub fn compare_with_inkar(store: &Database) -> Result<Vec<Comparison>> {
    use sozialmonitor_core::engine::Cell;
    use sozialmonitor_core::indicators::{computable, input_measures};
    use sozialmonitor_store::Territory;
    let entries: Vec<_> = store
        .indicators()?
        .into_iter()
        .filter(|e| e.inkar_code.is_some() && !e.key.starts_with("inkar_"))
        .collect();
    let formulas = computable(&entries);
    let mut measures = input_measures(&formulas);
    for (e, _) in &formulas {
        measures.push(format!(
            "INKAR_{}",
            e.inkar_code.as_deref().unwrap_or_default()
        ));
    }
    measures.sort();
    measures.dedup();
    let mut frame = store.frame(&measures, (1995, 2022), Territory::Today)?;
    frame.aggregate();
    let grid = frame.grid();
    let kreise: Vec<usize> = ["14", "15"]
        .iter()
        .flat_map(|land| store.search_regions(land, 10_000).unwrap_or_default())
        .filter(|r| r.level == sozialmonitor_core::RegionLevel::Kreis && r.valid_to.is_none())
        .filter_map(|r| sozialmonitor_core::RegionKey::parse(&r.key).ok())
        .filter_map(|k| grid.region(&k))
        .collect();
    let mut out = Vec::new();
    for (e, expr) in &formulas {
        let code = e.inkar_code.clone().unwrap_or_default();
        let ours = frame.eval(expr);
        let theirs = frame.series(&format!("INKAR_{code}"), "");
        let mut c = Comparison {
            key: e.key.clone(),
            inkar: code,
            compared: 0,
            within_rounding: 0,
            max_diff: 0.0,
            mean_diff: 0.0,
            worst: None,
            differing_years: None,
        };
        let mut sum = 0.0;
        for &k in &kreise {
            for col in 0..grid.years() {
                let i = grid.at(k, col);
                let Some(Cell::Num(t)) = theirs.map(|s| s.get(i).cell) else {
                    continue;
                };
                let Cell::Num(o) = ours.get(i).cell else {
                    continue;
                };
                let d = (o - t).abs();
                c.compared += 1;
                sum += d;
                if d <= 0.005 + 1e-9 {
                    c.within_rounding += 1;
                } else {
                    let y = grid.year(col);
                    let (a, b) = c.differing_years.get_or_insert((y, y));
                    (*a, *b) = ((*a).min(y), (*b).max(y));
                }
                if d > c.max_diff {
                    c.max_diff = d;
                    c.worst = Some((grid.key(k).to_string(), grid.year(col), o, t));
                }
            }
        }
        c.mean_diff = if c.compared > 0 {
            sum / c.compared as f64
        } else {
            0.0
        };
        out.push(c);
    }
    Ok(out)
}

/// Why an indicator still differs from INKAR where it does: definition or data vintage, found by
/// comparing year by year (see ARCHITECTURE.md, "Correctness against INKAR").
const DIFFERENCES: &[(&str, &str)] = &[
    (
        "personen_bg_sgb2_je_1000",
        "Zählbegriff: INKAR nimmt die Statistik der Bundesagentur nach ihrer Revision von 2016, die rückwirkend \
         auch Personen ohne eigenen Leistungsanspruch in Bedarfsgemeinschaften zählt; die Tabelle 22811-02-02-4 \
         zählt nach dem alten Begriff. Unsere Werte liegen 2010–2011 um rund 4 %, 2012–2015 um rund 1,5 % darunter.",
    ),
    (
        "mindestsicherungsquote",
        "Datenstand: 2014 und 2015 gleich; 2011–2013 liegen unsere Werte 4–5 % unter INKAR, weil INKAR die \
         SGB-II-Empfänger nach der Revision der Bundesagentur von 2016 enthält, die Tabelle 22811-01-01-4 \
         für diese Jahre den früheren Stand.",
    ),
    (
        "schulabgaenger_ohne_abschluss",
        "Gebietsstand: Alle Abweichungen liegen 1995–1998 (Sachsen; Sachsen-Anhalt 1995–1996). Für Sachsen führt die \
         Tabelle die heutigen Kreise schon vor der Kreisreform 2008, diese Jahre aber auf dem Gebietsstand vor der \
         Gemeindegebietsreform 1999; INKAR rechnet auch sie auf heutige Gebiete um. Für Sachsen-Anhalt hat die Tabelle \
         die 2007 neu gebildeten Kreise vor der Reform nur als „.“: diese Kreis-Jahre werden nicht verglichen.",
    ),
    (
        "schulabgaenger_hochschulreife",
        "Gebietsstand: wie beim Anteil ohne Abschluss, nur 1995–1998.",
    ),
    (
        "bevoelkerungsdichte",
        "Flächenstand: INKAR teilt durch die Fläche eines anderen Stichtags; Abweichung höchstens 0,012 Einwohner:innen je km².",
    ),
];

/// Prints the comparison with INKAR.
pub fn verify(store: &Database) -> Result<ExitCode> {
    let rows = compare_with_inkar(store)?;
    let mut t = Table::new(&[
        "Indikator",
        "INKAR",
        "Kreis-Jahre",
        "gleich (±0,005)",
        "mittl. Abw.",
        "max. Abw.",
        "größte Abweichung",
        "Abw. in Jahren",
    ]);
    let mut unexplained = Vec::new();
    for c in rows {
        if c.within_rounding < c.compared {
            unexplained.push(c.key.clone());
        }
        let worst = c
            .worst
            .map(|(k, y, o, i)| {
                format!(
                    "{k} {y}: {} statt {}",
                    sozialmonitor_core::format::german_number(o, 3),
                    sozialmonitor_core::format::german_number(i, 3)
                )
            })
            .unwrap_or_default();
        t.row(vec![
            c.key,
            c.inkar,
            c.compared.to_string(),
            c.within_rounding.to_string(),
            sozialmonitor_core::format::german_number(c.mean_diff, 3),
            sozialmonitor_core::format::german_number(c.max_diff, 3),
            worst,
            match c.differing_years {
                Some((a, b)) if a == b => a.to_string(),
                Some((a, b)) => format!("{a}–{b}"),
                None => "–".into(),
            },
        ]);
    }
    print!("{}", t.render_right(&[2, 3, 4, 5]));
    let explained: Vec<&(&str, &str)> = DIFFERENCES
        .iter()
        .filter(|(k, _)| unexplained.iter().any(|u| u == k))
        .collect();
    if !explained.is_empty() {
        println!("\nWarum die übrigen Werte abweichen:");
        for (k, why) in explained {
            println!("  {k}: {why}");
        }
    }
    for u in unexplained
        .iter()
        .filter(|u| !DIFFERENCES.iter().any(|(k, _)| k == u))
    {
        println!("  {u}: Abweichung ohne bekannte Erklärung");
    }
    Ok(ExitCode::SUCCESS)
}
