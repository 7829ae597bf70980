//! The social report (Sozialbericht) of a district: summary, one chapter per action field with a
//! map, a chart, a table and generated text per indicator, the data gaps, and an annex of
//! definitions. Planners' commentary (Markdown or Typst, one file per chapter) is typeset with it.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sozialmonitor_core::catalog::{IndicatorStatus, Polarity};
use sozialmonitor_core::classify::Method;
use sozialmonitor_core::format::{german_number, slug};
use sozialmonitor_site::facts::{
    KEY_FIGURES, TREND_YEARS, developments, direction, indicator_map, latest_number_year,
    map_regions, series_lines, series_regions, stated, trend_text, unit_in_brackets, with_unit,
};
use sozialmonitor_site::{INCOMPLETE_MARK, Indicator, Site};
use sozialmonitor_viz::chart::lines;

use crate::profile::{end_sentence, merge, series_summary};
use crate::{Figures, ReportError, attribution, base_data, markdown, typeset};

/// How far (in standard deviations of the municipal values) a municipality must lie from their
/// mean to be named as standing out.
const STAND_OUT_SD: f64 = 1.5;

/// Years shown in an indicator's table.
const TABLE_YEARS: usize = 6;

/// Planners' commentary: one file per chapter, named after the chapter (`wohnen.md`,
/// `kinder-und-jugend.typ`, `zusammenfassung.md`, `datenluecken.md`).
#[derive(Debug, Default)]
pub struct Commentary {
    /// (chapter slug, file, Typst markup).
    files: Vec<(String, PathBuf, String)>,
}

impl Commentary {
    /// No commentary.
    pub fn none() -> Commentary {
        Commentary::default()
    }

    /// Reads every `*.md` and `*.typ` file of a directory; a missing directory is no commentary.
    pub fn from_dir(dir: &Path) -> Result<Commentary, ReportError> {
        let mut files = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Commentary::none()),
            Err(e) => {
                return Err(ReportError::Commentary {
                    path: dir.to_path_buf(),
                    reason: e.to_string(),
                });
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("md" | "typ")))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| ReportError::Commentary {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let slug = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let markup = if path.extension().and_then(|e| e.to_str()) == Some("md") {
                markdown::to_typst(&text, 2)
            } else {
                text
            };
            files.push((slug, path, markup));
        }
        Ok(Commentary { files })
    }

    /// Commentary written elsewhere (the workspace): Markdown per chapter slug. Each is named
    /// `arbeitsbereich/SLUG.md` in messages.
    pub fn from_markdown(texts: &[(String, String)]) -> Commentary {
        Commentary {
            files: texts
                .iter()
                .filter(|(_, md)| !md.trim().is_empty())
                .map(|(slug, md)| {
                    (
                        slug.clone(),
                        PathBuf::from(format!("arbeitsbereich/{slug}.md")),
                        markdown::to_typst(md, 2),
                    )
                })
                .collect(),
        }
    }

    fn get(&self, slug: &str) -> Option<&(String, PathBuf, String)> {
        self.files.iter().find(|(s, _, _)| s == slug)
    }
}

/// A social report and what the planner should know about it.
pub struct SocialReport {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// The chapters' file names for commentary, in order.
    pub chapters: Vec<String>,
    /// Commentary files that matched no chapter (so a misspelt file name is not silently lost).
    pub unused: Vec<PathBuf>,
}

/// The chapters of a district's social report that take commentary, in order: slug and title.
pub fn commentary_chapters(site: &Site, kreis: usize) -> Vec<(String, String)> {
    let mut out = vec![("zusammenfassung".to_string(), "Zusammenfassung".to_string())];
    out.extend(
        chapters(site, kreis)
            .into_iter()
            .map(|(f, _)| (slug(&f), f)),
    );
    if !published_measures(site, kreis).is_empty() {
        out.push((EFFECTS.0.to_string(), EFFECTS.1.to_string()));
    }
    out.push(("datenluecken".to_string(), "Datenlücken".to_string()));
    out
}

/// The chapter on the effect of measures: its commentary slug and title.
const EFFECTS: (&str, &str) = (
    "massnahmen-und-zielerreichung",
    "Maßnahmen und Zielerreichung",
);

/// The measures the planners published for the district (only the home district plans here).
fn published_measures(site: &Site, kreis: usize) -> &[sozialmonitor_site::planning::PublicMeasure] {
    if kreis == site.home {
        &site.planning.measures
    } else {
        &[]
    }
}

/// The indicators of the report: the catalogue's own (not the INKAR codebook), with a number for
/// the district, grouped by action field in catalogue order.
fn chapters(site: &Site, kreis: usize) -> Vec<(String, Vec<&Indicator>)> {
    let mut out: Vec<(String, Vec<&Indicator>)> = Vec::new();
    for ind in &site.indicators {
        let field = ind.entry.action_field.trim();
        if field.is_empty()
            || ind.entry.key.starts_with("inkar_")
            || !ind.entry.public
            || latest_number_year(ind, kreis).is_none()
        {
            continue;
        }
        match out.iter_mut().find(|(f, _)| f == field) {
            Some((_, v)) => v.push(ind),
            None => out.push((field.to_string(), vec![ind])),
        }
    }
    out
}

fn is_count(ind: &Indicator) -> bool {
    sozialmonitor_core::format::is_count_unit(&ind.entry.unit)
}

/// Where the district stands against the Land, in the indicator's own judgement.
fn assessment(ind: &Indicator, kreis: f64, land: f64) -> &'static str {
    if is_count(ind) {
        return "–";
    }
    let d = kreis - land;
    if land != 0.0 && (d / land).abs() < 0.02 {
        return "etwa wie im Land";
    }
    match (ind.entry.polarity, d > 0.0) {
        (Polarity::HigherIsBetter, true) | (Polarity::HigherIsWorse, false) => {
            "günstiger als im Land"
        }
        (Polarity::HigherIsBetter, false) | (Polarity::HigherIsWorse, true) => {
            "ungünstiger als im Land"
        }
        (Polarity::Neutral, true) => "höher als im Land",
        (Polarity::Neutral, false) => "niedriger als im Land",
    }
}

/// The generated text on an indicator: level, five-year trend, comparison with the Land and the
/// municipalities that stand out in either direction.
fn indicator_text(site: &Site, ind: &Indicator, kreis: usize, land: Option<usize>) -> Vec<String> {
    let mut out = Vec::new();
    let Some(y) = latest_number_year(ind, kreis) else {
        return out;
    };
    let Some(now) = ind.num(kreis, y) else {
        return out;
    };
    let kname = &site.regions[kreis].name;
    let land_now = land
        .filter(|_| !is_count(ind))
        .and_then(|l| ind.num(l, y).map(|v| (l, v)));
    let mut s = format!(
        "Im Jahr {y} betrug der Wert in {kname} {}",
        stated(ind, kreis, y, now)
    );
    if let Some((l, lv)) = land_now {
        let _ = write!(s, "; in {} {}", site.regions[l].name, stated(ind, l, y, lv));
    }
    s.push('.');
    out.push(s);

    let y0 = y.saturating_sub(TREND_YEARS);
    if let Some(then) = ind.num(kreis, y0) {
        let (_, word) = direction(now, then);
        let mut s = if word == "etwa gleich" {
            format!(
                "Seit {y0} ist er etwa gleich geblieben ({} → {})",
                stated(ind, kreis, y0, then),
                stated(ind, kreis, y, now)
            )
        } else {
            format!(
                "Seit {y0} ist er von {} auf {} {word}",
                stated(ind, kreis, y0, then),
                stated(ind, kreis, y, now)
            )
        };
        if then != 0.0 && is_count(ind) {
            let _ = write!(
                s,
                " ({}{} %)",
                if now >= then { "+" } else { "−" },
                german_number(((now - then) / then * 100.0).abs(), 1)
            );
        }
        if let Some((l, _)) = land_now
            && let (Some(ln), Some(lt)) = (ind.num(l, y), ind.num(l, y0))
        {
            let _ = write!(
                s,
                "; im Land {} → {}",
                stated(ind, l, y0, lt),
                stated(ind, l, y, ln)
            );
        }
        s.push('.');
        out.push(s);
    }

    if let Some((_, lv)) = land_now {
        let a = assessment(ind, now, lv);
        let sentence = match a {
            "etwa wie im Land" => "Der Kreis liegt damit etwa auf dem Landeswert.".to_string(),
            "günstiger als im Land" | "ungünstiger als im Land" => format!(
                "Der Kreis liegt damit {} dem Landeswert; das ist {}, weil {}.",
                if now > lv { "über" } else { "unter" },
                a,
                if ind.entry.polarity == Polarity::HigherIsBetter {
                    "ein höherer Wert hier günstiger ist"
                } else {
                    "ein höherer Wert hier ungünstiger ist"
                }
            ),
            _ => format!(
                "Der Kreis liegt damit {} dem Landeswert.",
                if now > lv { "über" } else { "unter" }
            ),
        };
        out.push(sentence);
    }

    // Municipalities that stand out (rates only: counts follow the size of a municipality).
    let munis = site.municipalities(kreis);
    let vals: Vec<(usize, f64)> = munis
        .iter()
        .filter_map(|&g| ind.num(g, y).map(|v| (g, v)))
        .collect();
    if !is_count(ind) && vals.len() >= 5 {
        let n = vals.len() as f64;
        let mean = vals.iter().map(|v| v.1).sum::<f64>() / n;
        let sd = (vals.iter().map(|v| (v.1 - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let mut high: Vec<(usize, f64)> = vals
            .iter()
            .copied()
            .filter(|v| sd > 0.0 && (v.1 - mean) / sd >= STAND_OUT_SD)
            .collect();
        let mut low: Vec<(usize, f64)> = vals
            .iter()
            .copied()
            .filter(|v| sd > 0.0 && (mean - v.1) / sd >= STAND_OUT_SD)
            .collect();
        high.sort_by(|a, b| b.1.total_cmp(&a.1));
        low.sort_by(|a, b| a.1.total_cmp(&b.1));
        let names = |v: &[(usize, f64)]| {
            let mut parts: Vec<String> = v
                .iter()
                .take(4)
                .map(|(g, x)| format!("{} ({})", site.regions[*g].name, stated(ind, *g, y, *x)))
                .collect();
            if v.len() > 4 {
                parts.push(format!("{} weitere", v.len() - 4));
            }
            parts.join(", ")
        };
        let mean_text = with_unit(ind, mean);
        if high.is_empty() && low.is_empty() {
            out.push(format!(
                "Keine der {} Gemeinden mit Wert weicht deutlich vom Mittel der Gemeinden ({mean_text}) ab.",
                vals.len()
            ));
        } else {
            let mut s = format!("Deutlich vom Mittel der Gemeinden ({mean_text}) weichen ab: ");
            let mut parts = Vec::new();
            if !high.is_empty() {
                parts.push(format!("nach oben {}", names(&high)));
            }
            if !low.is_empty() {
                parts.push(format!("nach unten {}", names(&low)));
            }
            s.push_str(&parts.join("; "));
            s.push('.');
            out.push(s);
        }
    }
    out
}

/// The table of an indicator: the last years for the district, the Land and the range of the
/// municipalities.
fn indicator_table(site: &Site, ind: &Indicator, kreis: usize, land: Option<usize>) -> Value {
    let years: Vec<u16> = ind
        .years
        .iter()
        .copied()
        .filter(|&y| ind.get(kreis, y).is_some())
        .rev()
        .take(TABLE_YEARS)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let mut header = vec![format!("Gebiet{}", unit_in_brackets(ind))];
    header.extend(years.iter().map(|y| y.to_string()));
    let mut rows = Vec::new();
    for r in [Some(kreis), land.filter(|_| !is_count(ind))]
        .into_iter()
        .flatten()
    {
        let mut row = vec![site.regions[r].name.clone()];
        row.extend(years.iter().map(|&y| ind.text_marked(r, y)));
        rows.push(row);
    }
    let munis = site.municipalities(kreis);
    if !is_count(ind)
        && munis
            .iter()
            .any(|&g| years.iter().any(|&y| ind.num(g, y).is_some()))
    {
        let mut lo = vec!["Gemeinden: niedrigster Wert".to_string()];
        let mut hi = vec!["Gemeinden: höchster Wert".to_string()];
        for &y in &years {
            let v: Vec<(usize, f64)> = munis
                .iter()
                .filter_map(|&g| ind.num(g, y).map(|x| (g, x)))
                .collect();
            // The municipality's number, marked where it is an incomplete sum.
            let fmt = |x: Option<&(usize, f64)>| match x {
                Some(&(g, x)) => format!(
                    "{}{}",
                    german_number(x, ind.decimals),
                    if ind.incomplete(g, y) {
                        INCOMPLETE_MARK
                    } else {
                        ""
                    }
                ),
                None => "–".into(),
            };
            lo.push(fmt(v.iter().min_by(|a, b| a.1.total_cmp(&b.1))));
            hi.push(fmt(v.iter().max_by(|a, b| a.1.total_cmp(&b.1))));
        }
        rows.push(lo);
        rows.push(hi);
    }
    json!({ "header": header, "rows": rows })
}

/// The social report of district `kreis`.
pub fn social_report(
    site: &Site,
    kreis: usize,
    commentary: &Commentary,
) -> Result<SocialReport, ReportError> {
    let kname = site.regions[kreis].name.clone();
    let land = site
        .up(kreis, sozialmonitor_core::RegionLevel::Land)
        .filter(|&l| l != kreis);
    let mut figs = Figures::default();
    let mut sources: Vec<(String, String, Option<PathBuf>)> = Vec::new();
    let mut chapter_names = Vec::new();
    let mut used_commentary = Vec::new();
    let mut with_commentary =
        |slug: &str, sources: &mut Vec<(String, String, Option<PathBuf>)>| -> Value {
            chapter_names.push(slug.to_string());
            match commentary.get(slug) {
                Some((s, path, text)) => {
                    let vpath = format!("/kommentar/{s}.typ");
                    sources.push((vpath.clone(), text.clone(), Some(path.clone())));
                    used_commentary.push(path.clone());
                    Value::String(vpath)
                }
                None => Value::Null,
            }
        };

    let chapters = chapters(site, kreis);
    let n_ind: usize = chapters.iter().map(|c| c.1.len()).sum();

    // Summary: key figures with the judgement against the Land, notable developments, and the
    // indicators where the district fares better or worse than the Land.
    let mut key_rows = Vec::new();
    for key in KEY_FIGURES {
        let Some(ind) = site.indicator(key) else {
            continue;
        };
        let Some(y) = latest_number_year(ind, kreis) else {
            continue;
        };
        let trend = trend_text(ind, kreis, y);
        let judgement = match (ind.num(kreis, y), land.and_then(|l| ind.num(l, y))) {
            (Some(a), Some(b)) => assessment(ind, a, b).to_string(),
            _ => "–".into(),
        };
        key_rows.push(vec![
            format!("{}{}", ind.entry.short_name, unit_in_brackets(ind)),
            y.to_string(),
            ind.text_marked(kreis, y),
            land.map(|l| ind.text_marked(l, y))
                .unwrap_or_else(|| "–".into()),
            trend,
            judgement,
        ]);
    }
    let (mut better, mut worse) = (Vec::new(), Vec::new());
    for (_, inds) in &chapters {
        for ind in inds {
            let Some(y) = latest_number_year(ind, kreis) else {
                continue;
            };
            let Some(l) = land else { continue };
            let (Some(a), Some(b)) = (ind.num(kreis, y), ind.num(l, y)) else {
                continue;
            };
            let item = || {
                format!(
                    "{} ({y}: {} gegenüber {})",
                    ind.entry.name,
                    stated(ind, kreis, y, a),
                    stated(ind, l, y, b)
                )
            };
            match assessment(ind, a, b) {
                "günstiger als im Land" => better.push(item()),
                "ungünstiger als im Land" => worse.push(item()),
                _ => {}
            }
        }
    }
    let summary = json!({
        "intro": format!(
            "Dieser Bericht beschreibt die soziale Lage in {kname} mit {n_ind} Indikatoren in {} Handlungsfeldern, berechnet aus den amtlichen Daten mit Stand {}. Jedes Kapitel zeigt je Indikator den Wert des Kreises im Vergleich mit {}, die Entwicklung der letzten {TREND_YEARS} Jahre und die Gemeinden, die deutlich vom Mittel abweichen. Für {} Indikatoren des Katalogs fehlen noch Daten; sie stehen im Kapitel „Datenlücken“.",
            chapters.len(),
            sozialmonitor_core::format::german_date(&site.data_date),
            land.map(|l| site.regions[l].name.clone()).unwrap_or_else(|| "dem Land".into()),
            site.gaps.len()
        ),
        "keytable": {
            "header": ["Kennzahl", "Jahr", kname.clone(), land.map(|l| site.regions[l].name.clone()).unwrap_or_else(|| "Land".into()), "Entwicklung", "Einordnung"],
            "rows": key_rows,
            "align": ["l", "r", "r", "r", "l", "l"],
            // Fixed shares: with `auto` columns the long trend texts took the whole width and
            // squeezed the names column until it overlapped the year.
            "widths": [2.5, 0.9, 1.4, 1.2, 2.5, 2.0],
        },
        "developments": developments(site, kreis),
        "better": better,
        "worse": worse,
        "commentary": with_commentary("zusammenfassung", &mut sources),
    });

    let mut chapter_data = Vec::new();
    let mut annex = Vec::new();
    for (field, inds) in &chapters {
        let mut items = Vec::new();
        for ind in inds {
            let Some(y) = latest_number_year(ind, kreis) else {
                continue;
            };
            let set = map_regions(site, ind, kreis, y);
            let (svg, classes) = indicator_map(
                site,
                ind,
                &set,
                kreis,
                y,
                &Method::Quantiles,
                5,
                &|_| None,
                440.0,
            );
            let map_alt = format!(
                "Karte {} {y} für {} Gebiete in {} Klassen (Quantile); die Werte und die auffälligen Gemeinden stehen im Text und in der Tabelle.",
                ind.entry.name,
                set.len(),
                classes.len()
            );
            let map = figs.add(svg, &map_alt);
            let ls = series_lines(site, ind, &series_regions(site, ind, kreis));
            let chart = (!ls.is_empty()).then(|| {
                let title = format!("{}{}", ind.entry.short_name, unit_in_brackets(ind));
                let desc = format!("Zeitreihe: {}.", series_summary(ind, &ls));
                let svg = lines(&ls, &title, &desc, ind.decimals, 440.0);
                figs.add(svg, &format!("{title}. {desc}"))
            });
            items.push(json!({
                "name": ind.entry.name,
                "key": ind.entry.key,
                "text": indicator_text(site, ind, kreis, land),
                "map": map,
                "map_caption": format!("{} {y}, {}", ind.entry.short_name, if set.iter().any(|&g| site.regions[g].level == sozialmonitor_core::RegionLevel::Gemeinde) { "Gemeinden des Kreises" } else { "Kreise des Landes" }),
                "chart": chart,
                "table": indicator_table(site, ind, kreis, land),
            }));
            annex.push(annex_entry(ind));
        }
        chapter_data.push(json!({
            "title": field,
            "indicators": items,
            "commentary": with_commentary(&slug(field), &mut sources),
        }));
    }

    // The social report is public: only published measures, each aim on the public values.
    let effects: Vec<Value> = published_measures(site, kreis)
        .iter()
        .map(|m| {
            crate::planning::measure(
                site,
                kreis,
                (&m.measure, &m.aims),
                &site.planning.recommendations,
                &mut figs,
            )
        })
        .collect();
    let effects_commentary = if effects.is_empty() {
        Value::Null
    } else {
        with_commentary(EFFECTS.0, &mut sources)
    };
    let gaps = gap_tables(site);
    let gaps_commentary = with_commentary("datenluecken", &mut sources);

    let typology = district_types(site, kreis, &mut figs);

    let title = format!("Sozialbericht {kname}");
    let mut data = base_data(
        site,
        &title,
        &format!(
            "Sozialbericht für {kname}: {n_ind} Indikatoren in {} Handlungsfeldern mit Karten, Zeitreihen und Einordnung, Datenlücken und Definitionen.",
            chapters.len()
        ),
        &title,
        &format!(
            "Datenstand {}",
            sozialmonitor_core::format::german_date(&site.data_date)
        ),
    );
    let used: Vec<&Indicator> = chapters.iter().flat_map(|c| c.1.iter().copied()).collect();
    merge(
        &mut data,
        json!({
            "name": kname,
            "land": land.map(|l| site.regions[l].name.clone()),
            "summary": summary,
            "chapters": chapter_data,
            "effects": effects,
            "typology": typology,
            "effects_commentary": effects_commentary,
            "gaps": gaps,
            "gaps_commentary": gaps_commentary,
            "annex": annex,
            "stand_out_sd": german_number(STAND_OUT_SD, 1),
            "attribution": attribution(used.iter().map(|i| i.entry.source.as_str())),
        }),
    );
    let unused = commentary
        .files
        .iter()
        .filter(|(_, p, _)| !used_commentary.contains(p))
        .map(|(_, p, _)| p.clone())
        .collect();
    let pdf = typeset(
        &format!("sozialmonitor/sozialbericht/{}", site.regions[kreis].key),
        include_str!("../templates/sozialbericht.typ"),
        data,
        figs,
        sources,
    )?;
    Ok(SocialReport {
        pdf,
        chapters: chapter_names,
        unused,
    })
}

/// The district's municipalities by type of the typology: a table (type, what sets it apart,
/// its municipalities here) and their map; `None` when there is no typology or no typed
/// municipality in the district.
fn district_types(site: &Site, kreis: usize, figs: &mut Figures) -> Option<Value> {
    use sozialmonitor_site::typology::Types;
    let t = site.typology.as_ref().ok()?;
    let by_type = t.in_district(site, kreis);
    if by_type.is_empty() {
        return None;
    }
    let rows: Vec<Vec<String>> = by_type
        .iter()
        .map(|(k, of)| {
            let names: Vec<&str> = of.iter().map(|&r| site.regions[r].name.as_str()).collect();
            vec![
                Types::label(*k),
                t.describe(*k),
                format!("{}: {}", of.len(), names.join(", ")),
            ]
        })
        .collect();
    let here: Vec<usize> = by_type
        .iter()
        .flat_map(|(_, of)| of.iter().copied())
        .collect();
    let map = t.map_of(site, &here, None, 560.0);
    let alt = format!(
        "Karte der Gemeindetypen in {}: {}.",
        site.regions[kreis].name,
        by_type
            .iter()
            .map(|(k, of)| {
                format!(
                    "{}: {}",
                    Types::label(*k),
                    sozialmonitor_core::format::count_de(of.len(), "Gemeinde", "Gemeinden")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    Some(json!({
        "intro": format!(
            "Der Sozialmonitor gruppiert {} Gemeinden nach {} in {} Typen (k-Means, Anzahl nach der Silhouette; Methode unter „Analysen“). Typen beschreiben Lagen, sie bewerten keine Gemeinde.",
            t.members.len(),
            t.feature_words().join(", "),
            t.count()
        ),
        "table": {
            "header": ["Typ", "Was ihn auszeichnet", "Gemeinden im Kreis"],
            "rows": rows,
            "align": ["l", "l", "l"],
            "widths": [1, 3, 4],
        },
        "map": figs.add(map, &alt),
    }))
}

/// The data gaps of the catalogue as one table per action field, for the social report and the
/// planning document.
pub(crate) fn gap_tables(site: &Site) -> Vec<Value> {
    let mut gap_fields: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    for e in &site.gaps {
        let status = match e.status {
            IndicatorStatus::Planned => "geplant",
            IndicatorStatus::Missing => "fehlt",
            IndicatorStatus::Available => "vorhanden",
        };
        let row = vec![
            e.name.clone(),
            status.to_string(),
            non_empty(&e.owner),
            non_empty(&e.how_to_collect),
        ];
        match gap_fields.iter_mut().find(|(f, _)| *f == e.action_field) {
            Some((_, rows)) => rows.push(row),
            None => gap_fields.push((e.action_field.clone(), vec![row])),
        }
    }
    gap_fields
        .into_iter()
        .map(|(field, rows)| {
            json!({
                "field": field,
                "table": {
                    "header": ["Indikator", "Status", "Zuständig", "Wie die Daten zu gewinnen sind"],
                    "rows": rows,
                    "align": ["l", "l", "l", "l"],
                    "widths": [3, 1, 2, 4],
                },
            })
        })
        .collect()
}

/// The text, or a dash where there is none.
pub(crate) fn non_empty(s: &str) -> String {
    if s.trim().is_empty() {
        "–".into()
    } else {
        s.trim().to_string()
    }
}

fn annex_entry(ind: &Indicator) -> Value {
    let e = &ind.entry;
    let conf = match e.confidentiality.trim() {
        "none" => "keine Sperrung".to_string(),
        "" => "Werte 1 und 2 gesperrt, dazu rückrechenbare Werte".to_string(),
        c => format!(
            "Fallzahlen unter {} gesperrt, dazu rückrechenbare Werte",
            c.trim_start_matches("min_count=")
        ),
    };
    let first = ind.years.first().map(|y| y.to_string()).unwrap_or_default();
    let last = ind.years.last().map(|y| y.to_string()).unwrap_or_default();
    json!({
        "name": e.name,
        "key": e.key,
        "definition": end_sentence(&e.definition),
        "formula": e.formula,
        "unit": e.unit,
        "reference": non_empty(&e.reference_population),
        "source": e.source,
        "period": format!("{first}–{last}, {}", e.update_rhythm),
        "levels": e.spatial_levels.join(", "),
        "confidentiality": conf,
        "polarity": match e.polarity {
            Polarity::HigherIsBetter => "höher ist günstiger",
            Polarity::HigherIsWorse => "höher ist ungünstiger",
            Polarity::Neutral => "neutral",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn chapter_file_names() {
        assert_eq!(
            slug("Öffentliche Sozialleistungen"),
            "oeffentliche-sozialleistungen"
        );
        assert_eq!(slug("Senior:innen"), "senior-innen");
        assert_eq!(
            slug("Gesundheit und medizinische Versorgung"),
            "gesundheit-und-medizinische-versorgung"
        );
    }
}
