//! The municipal profile (Gemeindeprofil) as PDF: the dashboard's profile page on 2–4 pages, from
//! the same public values, sentences, charts and map.

use serde_json::{Value, json};
use sozialmonitor_core::RegionLevel;
use sozialmonitor_site::facts::{
    KEY_FIGURES, TREND_YEARS, age_chart, age_groups, comparison_year, developments, kreis_and_land,
    location_map, series_lines, series_regions, trend_text, unit_in_brackets,
};
use sozialmonitor_site::{BREAK_MARK, BREAK_WORDS, Indicator, Site};
use sozialmonitor_viz::chart::lines;

use crate::{Figures, ReportError, attribution, base_data, typeset};

/// The indicators drawn as small multiples.
const TREND_CHARTS: &[&str] = &[
    "bevoelkerung",
    "anteil_65_plus",
    "arbeitslose_je_1000",
    "wanderungssaldo_je_1000",
];

/// The profile of region `r` (a municipality; a Kreis or Land works too) as PDF bytes.
pub fn profile(site: &Site, r: usize) -> Result<Vec<u8>, ReportError> {
    let reg = &site.regions[r];
    let (k, l) = kreis_and_land(site, r);
    let mut figs = Figures::default();
    let kind = if reg.level == RegionLevel::Gemeinde {
        "Gemeindeprofil"
    } else {
        "Gebietsprofil"
    };
    let within = [k, l]
        .into_iter()
        .flatten()
        .map(|x| site.regions[x].name.clone())
        .collect::<Vec<_>>();
    let within = if within.is_empty() {
        String::new()
    } else {
        format!("liegt in {}", within.join(", "))
    };
    let mut notes = Vec::new();
    if !reg.current {
        notes.push(
            "Diese Gemeinde besteht nicht mehr (Gebietsänderung); gezeigt werden die Zahlen aus der Zeit, in der sie bestand."
                .to_string(),
        );
    }

    // Key figures against Kreis and Land.
    let cols: Vec<usize> = [Some(r), k, l].into_iter().flatten().collect();
    let mut header = vec!["Indikator".to_string(), "Jahr".to_string()];
    header.extend(cols.iter().map(|&c| site.regions[c].name.clone()));
    header.push("Entwicklung".to_string());
    let mut rows = Vec::new();
    let mut used = Vec::new();
    let mut sourced = Vec::new();
    let mut broken: Vec<(String, String)> = Vec::new();
    for key in KEY_FIGURES {
        let Some(ind) = site.indicator(key) else {
            continue;
        };
        let Some(y) = comparison_year(ind, &cols) else {
            continue;
        };
        used.push(ind);
        let source = ind.source_of(r, y);
        if let Some(s) = source {
            sourced.push(format!("{}: {s}", ind.entry.short_name));
        }
        let mut row = vec![
            format!("{}{}", ind.entry.short_name, unit_in_brackets(ind)),
            format!("{y}{}", if source.is_some() { " ¹" } else { "" }),
        ];
        row.extend(cols.iter().map(|&c| match ind.break_at(c, y) {
            Some(b) => {
                if !broken.iter().any(|(k, _)| *k == b.key) {
                    broken.push((
                        b.key.clone(),
                        format!(
                            "{} {} ({}): {}",
                            b.year, b.title, ind.entry.short_name, b.explanation
                        ),
                    ));
                }
                format!("{BREAK_MARK} {}", ind.text_marked(c, y))
            }
            None => ind.text_marked(c, y),
        }));
        row.push(trend_text(ind, r, y));
        rows.push(row);
    }
    for (_, text) in &broken {
        notes.push(format!("{BREAK_MARK} {BREAK_WORDS} {text}"));
    }
    if !sourced.is_empty() {
        notes.push(format!(
            "¹ Wert aus einer veröffentlichten Quelle, wo die eigene Berechnung aus den Rohdaten für dieses Jahr fehlt – {}.",
            sourced.join("; ")
        ));
    }
    let mut align = vec!["l", "r"];
    align.extend(cols.iter().map(|_| "r"));
    align.push("l");
    // Fixed shares of the width: with the trend column sized to its text, the indicator names
    // were squeezed until „Einwohner:innen“ ran into the year.
    let mut widths = vec![3, 1];
    widths.extend(cols.iter().map(|_| 2));
    widths.push(4);

    // Small multiples of the main trends.
    let mut trends = Vec::new();
    for key in TREND_CHARTS {
        let Some(ind) = site.indicator(key) else {
            continue;
        };
        let ls = series_lines(site, ind, &series_regions(site, ind, r));
        if ls.is_empty() {
            continue;
        }
        let title = format!("{}{}", ind.entry.short_name, unit_in_brackets(ind));
        let desc = format!(
            "Zeitreihe {} für {}{}: {}.",
            ind.entry.short_name,
            reg.name,
            if ls.len() > 1 {
                " mit Kreis und Land"
            } else {
                ""
            },
            series_summary(ind, &ls)
        );
        let svg = lines(&ls, &title, &desc, ind.decimals, 420.0);
        let mut f = figs.add(svg, &format!("{title}. {desc}"));
        merge(&mut f, json!({ "title": title }));
        trends.push(f);
        if !used.iter().any(|u| u.entry.key == ind.entry.key) {
            used.push(ind);
        }
    }

    let age = age_groups(site, r).map(|(y, groups)| {
        let svg = age_chart(site, r, y, &groups, 440.0);
        let summary = groups
            .iter()
            .map(|g| {
                format!(
                    "{}: {} %{}",
                    g.label,
                    sozialmonitor_core::format::german_number(g.share, 1),
                    incomplete_words(g.incomplete)
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        json!({
            "figure": figs.add(svg, &format!("Altersgruppen {y} in {}, Anteile an der Bevölkerung: {summary}.", reg.name)),
            "table": {
                "header": [format!("Altersgruppe {y}"), "Anteil (%)"],
                "rows": groups.iter().map(|g| vec![g.label.to_string(), g.text()]).collect::<Vec<_>>(),
            },
        })
    });

    let map = location_map(site, r, &|_| None, 480.0).map(|svg| {
        let alt = format!(
            "Karte: Lage von {} unter den Gemeinden des Kreises{}.",
            reg.name,
            k.map(|k| format!(" {}", site.regions[k].name))
                .unwrap_or_default()
        );
        figs.add(svg, &alt)
    });

    // The municipality's type, with what sets it apart as a chart.
    let typology = site.typology.as_ref().ok().and_then(|t| {
        let k = t.type_of(r)?;
        Some(json!({
            "sentence": t.sentence(r)?,
            "figure": figs.add(t.chart(k, 640.0), &t.chart_words(k)),
            "method": format!(
                "Typisiert sind {} Gemeinden nach {} (k-Means, Anzahl der Typen nach der Silhouette); die Methode und alle Typen stehen im Sozialmonitor unter „Analysen“.",
                t.members.len(),
                t.feature_words().join(", ")
            ),
        }))
    });

    let definitions: Vec<Value> = used
        .iter()
        .map(|ind| {
            json!({
                "name": ind.entry.name,
                "unit": ind.entry.unit,
                "definition": end_sentence(&ind.entry.definition),
                "source": ind.entry.source.trim_end_matches('.'),
            })
        })
        .collect();

    let title = format!("{kind} {}", reg.name);
    let mut data = base_data(
        site,
        &title,
        &format!(
            "{kind} von {} ({} {}): Kennzahlen im Vergleich mit Kreis und Land, Entwicklungen, Altersstruktur und Lage.",
            reg.name,
            reg.level.label_de(),
            reg.key
        ),
        &title,
        &within,
    );
    let extra = json!({
        "kind": kind,
        "name": reg.name,
        "key": reg.key,
        "level": reg.level.label_de(),
        "within": within,
        "notes": notes,
        "developments": developments(site, r),
        "typology": typology,
        "trend_years": TREND_YEARS,
        "keytable": { "header": header, "rows": rows, "align": align, "widths": widths },
        "trends": trends,
        "trends_note": "Linien: das Gebiet (durchgezogen), sein Kreis (gestrichelt) und sein Land (gepunktet); bei Personenzahlen nur das Gebiet.",
        "age": age,
        "map": map,
        "definitions": definitions,
        "attribution": attribution(used.iter().map(|i| i.entry.source.as_str())),
    });
    merge(&mut data, extra);
    typeset(
        &format!("sozialmonitor/profil/{}", reg.key),
        include_str!("../templates/profil.typ"),
        data,
        figs,
        Vec::new(),
    )
}

/// First and last value of each line, for the alternative text of a chart; an incomplete sum
/// is said in words, as in the chart's point titles (a screen reader would read `*` as "Stern").
pub(crate) fn series_summary(ind: &Indicator, ls: &[sozialmonitor_viz::chart::Line]) -> String {
    ls.iter()
        .filter_map(|l| {
            let first = l.points.iter().find_map(|(y, v)| v.map(|v| (*y, v)))?;
            let last = l
                .points
                .iter()
                .rev()
                .find_map(|(y, v)| v.map(|v| (*y, v)))?;
            let said = |(y, v): (u16, f64)| {
                format!(
                    "{y} {}{}",
                    sozialmonitor_core::format::german_number(v, ind.decimals),
                    incomplete_words(l.incomplete.contains(&y))
                )
            };
            Some(format!("{} {} bis {}", l.name, said(first), said(last)))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// " (unvollständig)" for a value that is an incomplete sum, in alternative texts.
fn incomplete_words(incomplete: bool) -> &'static str {
    if incomplete { " (unvollständig)" } else { "" }
}

/// A definition as a sentence that ends with a full stop.
pub(crate) fn end_sentence(s: &str) -> String {
    let s = s.trim();
    if s.is_empty() || s.ends_with('.') {
        s.to_string()
    } else {
        format!("{s}.")
    }
}

/// Adds the fields of `extra` (an object) to `data`.
pub(crate) fn merge(data: &mut Value, extra: Value) {
    if let (Value::Object(d), Value::Object(e)) = (data, extra) {
        d.extend(e);
    }
}
