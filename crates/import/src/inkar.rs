//! INKAR (BBSR) long CSV of published indicator values, and its codebook as catalogue metadata.

use std::collections::HashMap;

use crate::common::{SaidBoth, no_header_line, prefix_chars, row_width, value_at};
use sozialmonitor_core::{
    Dataset, DecimalSeparator, Diagnostic, IndicatorEntry, IndicatorStatus, Measure, MeasureKind,
    Observation, Period, Polarity, RegionKey, Said,
};

fn split_comma(line: &str) -> Vec<String> {
    let mut v = Vec::new();
    crate::text::split_sep(line, b',', &mut v);
    v.into_iter().map(|c| c.into_owned()).collect()
}

/// Maps INKAR's `raumbezug` and `kennziffer` to a region key, or says why it cannot.
fn inkar_key(level: &str, id: &str) -> Result<RegionKey, Said> {
    let id = id.trim();
    let k = match level {
        "BUND" => "DG".to_string(),
        "LAND" => format!("{:0>2}", id),
        // INKAR writes Kreise as 8 digits (14522000) and Gemeindeverbände as 9.
        "KRS" => prefix_chars(&format!("{:0>8}", id), 5).to_string(),
        "GVB" => format!("{:0>9}", id),
        "GEM" => format!("{:0>8}", id),
        other => {
            return Err(Said::both(
                format!("unknown raumbezug `{other}`"),
                format!("Unbekannter Raumbezug „{other}“"),
            ));
        }
    };
    RegionKey::parse(&k).map_err(|e| e.said())
}

/// The unit from INKAR's indicator name (`... in %`, `Bevölkerungsanteil ...`,
/// `... je 1.000 Einwohner`), else from its algorithm (`... x 100` is a percentage, `A / B` a
/// ratio): every codebook entry gets one, as `catalog check` demands.
fn unit_of(name: &str, algorithm: &str) -> String {
    let lower = name.to_lowercase();
    let scale = algorithm
        .trim_end()
        .rsplit_once(" x ")
        .map(|(_, s)| s.trim());
    if lower.contains("in %") || lower.contains("anteil") || lower.contains("quote") {
        "%".into()
    } else if let Some((_, per)) = name.split_once(" je ") {
        format!("je {per}")
    } else if name.contains("in Euro") || name.contains("in €") {
        "EUR".into()
    } else if scale == Some("100") {
        "%".into()
    } else if let Some(per) = scale {
        format!("je {per}")
    } else if algorithm.contains(" / ") {
        "Verhältnis".into()
    } else {
        String::new()
    }
}

/// Reads the long value file.
pub fn read_values(file: &str, text: &str) -> Dataset {
    let mut ds = Dataset::new("inkar-long");
    let mut lines = crate::text::lines(text);
    let Some((_, header)) = lines.next() else {
        ds.diagnostics
            .push(Diagnostic::error(file, 1, 0, no_header_line()));
        return ds;
    };
    let h = split_comma(header);
    let col = |n: &str| h.iter().position(|x| x.trim() == n);
    let (Some(ck), Some(cr), Some(cid), Some(cn), Some(ct), Some(cw)) = (
        col("kuerzel"),
        col("raumbezug"),
        col("kennziffer"),
        col("name"),
        col("zeitbezug"),
        col("wert"),
    ) else {
        ds.diagnostics.push(Diagnostic::error(
            file,
            1,
            0,
            Said::both(
                "header lacks one of kuerzel, raumbezug, kennziffer, name, zeitbezug, wert",
                "Der Kopfzeile fehlt eine der Spalten kuerzel, raumbezug, kennziffer, name, zeitbezug, wert",
            ),
        ));
        return ds;
    };
    let ctab = col("tabelle");
    let mut mcache: HashMap<String, u32> = HashMap::new();
    for (line_no, line) in lines {
        ds.rows_read += 1;
        let f = split_comma(line);
        if f.len() != h.len() {
            ds.diagnostics.push(Diagnostic::error(
                file,
                line_no,
                0,
                row_width(f.len(), h.len()),
            ));
            continue;
        }
        // The row has as many fields as the header (checked above), so every column is there;
        // `get` keeps a mistake an empty cell instead of a panic.
        let cell = |c: usize| f.get(c).map_or("", String::as_str);
        let key = match inkar_key(cell(cr).trim(), cell(cid)) {
            Ok(k) => k,
            Err(e) => {
                ds.diagnostics
                    .push(Diagnostic::error(file, line_no, cid + 1, e));
                continue;
            }
        };
        let region = ds.intern_region(key, Some(cell(cn).trim()));
        let period = match Period::parse(cell(ct)) {
            Ok(p) => p,
            Err(e) => {
                ds.diagnostics
                    .push(Diagnostic::error(file, line_no, ct + 1, e.said()));
                continue;
            }
        };
        let w = cell(cw).trim();
        if w.is_empty() || w == "NA" {
            // INKAR leaves cells empty where it has no value; that is not a published value.
            ds.diagnostics.push(Diagnostic::warning(
                file,
                line_no,
                cw + 1,
                Said::both(
                    "empty value (INKAR publishes none for this cell)",
                    "Leerer Wert (INKAR veröffentlicht für diese Zelle keinen)",
                ),
            ));
            continue;
        }
        let Some(value) = value_at(&mut ds, file, line_no, cw + 1, w, DecimalSeparator::Point)
        else {
            continue;
        };
        let code = cell(ck).trim();
        let measure = match mcache.get(code) {
            Some(&m) => m,
            None => {
                let m = ds.intern_measure(Measure {
                    code: format!("INKAR_{code}"),
                    label: code.to_string(),
                    unit: String::new(),
                    statistic: format!("INKAR:{}", ctab.map(|c| cell(c).trim()).unwrap_or("")),
                });
                // INKAR publishes indicators (rates, shares, averages), never counts.
                ds.kinds
                    .insert(format!("INKAR_{code}"), MeasureKind::NotAdditive);
                mcache.insert(code.to_string(), m);
                m
            }
        };
        ds.observations.push(Observation {
            measure,
            region,
            period,
            breakdown: 0,
            value,
            quality: 0,
            line: line_no as u32,
        });
    }
    ds.finish(file);
    ds
}

/// Reads the codebook into catalogue entries.
pub fn read_codebook(file: &str, text: &str) -> Dataset {
    let mut ds = Dataset::new("inkar-codebook");
    let recs = crate::text::records(text);
    let mut it = recs.into_iter();
    let Some((_, header)) = it.next() else {
        ds.diagnostics
            .push(Diagnostic::error(file, 1, 0, no_header_line()));
        return ds;
    };
    let h = split_comma(&header);
    let col = |n: &str| h.iter().position(|x| x.trim() == n);
    let (cb, cs, ca, cg, cc) = (
        col("bereich"),
        col("kurzname"),
        col("algorithmus"),
        col("statistische_grundlagen"),
        col("cov"),
    );
    let (Some(ck), Some(cn)) = (col("kuerzel"), col("name")) else {
        ds.diagnostics.push(Diagnostic::error(
            file,
            1,
            0,
            Said::both(
                "codebook header lacks kuerzel or name",
                "Der Kopfzeile des Codebuchs fehlt die Spalte kuerzel oder name",
            ),
        ));
        return ds;
    };
    for (line_no, rec) in it {
        if rec.trim().is_empty() {
            continue;
        }
        ds.rows_read += 1;
        let f = split_comma(&rec);
        if f.len() != h.len() {
            ds.diagnostics.push(Diagnostic::error(
                file,
                line_no,
                0,
                row_width(f.len(), h.len()),
            ));
            continue;
        }
        // Optional columns are `None` when the header lacks them, and then read as empty.
        let get = |i: Option<usize>| {
            i.and_then(|i| f.get(i))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let (ck, cn) = (Some(ck), Some(cn));
        let name = get(cn);
        ds.catalog.push(IndicatorEntry {
            key: format!("inkar_{}", get(ck)),
            short_name: get(cs),
            definition: format!("{name}. Berechnung (INKAR): {}", get(ca)),
            // The published INKAR values are the measure `INKAR_<code>`; the engine reads them as they are.
            formula: format!("`INKAR_{}`", get(ck)),
            unit: unit_of(&name, &get(ca)),
            reference_population: String::new(),
            action_field: get(cb),
            target_groups: Vec::new(),
            polarity: Polarity::Neutral,
            source: format!("INKAR 2024, BBSR Bonn; {}", get(cg)),
            spatial_levels: get(cc)
                .split_whitespace()
                .filter_map(|t| match t.split(':').next() {
                    Some("BUND") => Some("deutschland".to_string()),
                    Some("LAND") => Some("land".to_string()),
                    Some("KRS") => Some("kreis".to_string()),
                    Some("GVB") => Some("gemeindeverband".to_string()),
                    Some("GEM") => Some("gemeinde".to_string()),
                    _ => None,
                })
                .collect(),
            update_rhythm: "jährlich".into(),
            owner: "BBSR".into(),
            status: IndicatorStatus::Available,
            how_to_collect: String::new(),
            public: true,
            confidentiality: String::new(),
            inkar_code: Some(get(ck)),
            // The planners choose the typology's features in their own catalogue.
            typology: false,
            // INKAR converts its series to today's territory and names no breaks.
            breaks: Vec::new(),
            // The catalogue's INKAR release concerns these by their measures (`INKAR_`).
            releases: Vec::new(),
            name,
        });
    }
    ds
}

#[cfg(test)]
mod tests {
    use super::unit_of;

    #[test]
    fn every_codebook_entry_of_the_demo_gets_a_unit() {
        // The three entries of the INKAR 2024 codebook whose names say no unit.
        let cases = [
            (
                "Bevölkerungsanteil, der in Mittelzentren und möglichen Mittelzentren lebt",
                "Bevölkerung in Mittelzenten / Bevölkerung gesamte <Zeitpunkt> x 100",
                "%",
            ),
            (
                "Durchschnittliche Zahl der Übernachtungen in Beherbergungsbetrieben",
                "Gästeübernachtungen insgesamt <Zeitpunkt> / Gästeankünfte insgesamt <Zeitpunkt>",
                "Verhältnis",
            ),
            (
                "Schüler an Berufsschulen je 1.000 Einwohner",
                "Berufsschüler <Zeitpunkt> / E <Zeitpunkt> x 1.000",
                "je 1.000 Einwohner",
            ),
            (
                "Arbeitslosenquote",
                "Arbeitslose / Erwerbspersonen x 100",
                "%",
            ),
        ];
        for (name, algorithm, unit) in cases {
            assert_eq!(unit_of(name, algorithm), unit, "{name}");
        }
    }
}
