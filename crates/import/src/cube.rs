//! The GENESIS cube format (Datenquader): line records `K;` (section header) and `D;` (data), with
//! a value and a quality flag per measure in every `QEI` data line.

use sozialmonitor_core::{
    Breakdown, BreakdownItem, Dataset, DecimalSeparator, Diagnostic, Measure, Observation, Period,
    RegionKey, Said,
};

use crate::common::{
    SaidBoth, german_count, is_region_variable, region_key_from_code, unknown_region_key, value_at,
};

/// Reads a cube file already decoded to text.
pub fn read(file: &str, text: &str) -> Dataset {
    let mut ds = Dataset::new("genesis-cube");
    let mut section = String::new();
    let mut table = String::new();
    let mut statistic = String::new();
    let mut vars: Vec<String> = Vec::new();
    let mut measures: Vec<(String, String)> = Vec::new();
    let mut group = 2usize;
    let mut region_var: Option<usize> = None;
    let mut measure_ix: Vec<u32> = Vec::new();
    for (line_no, line) in crate::text::lines(text) {
        if line.starts_with('*') {
            continue; // export banner
        }
        let f: Vec<&str> = line.split(';').collect();
        // `get` on the fields keeps a short record an error instead of a panic.
        let cell = |c: usize| f.get(c).copied().unwrap_or("");
        match cell(0) {
            "K" => {
                section = f.get(1).copied().unwrap_or("").to_string();
                if section == "QEI" {
                    let nkeys = f.iter().filter(|x| **x == "FACH-SCHL").count();
                    if nkeys != vars.len() {
                        ds.diagnostics.push(Diagnostic::error(
                            file,
                            line_no,
                            0,
                            Said::both(
                                format!(
                                    "QEI header has {nkeys} key columns but DQA names {} variables",
                                    vars.len()
                                ),
                                format!(
                                    "Die QEI-Kopfzeile hat {}, DQA nennt aber {}",
                                    german_count(nkeys, "Schlüsselspalte", "Schlüsselspalten"),
                                    german_count(vars.len(), "Merkmal", "Merkmale")
                                ),
                            ),
                        ));
                        return ds;
                    }
                    // The header names the columns of one measure (WERT;QUALITAET and, in older
                    // exports, GESPERRT;WERT-VERFAELSCHT); data lines repeat them per measure.
                    group = f.len().saturating_sub(2 + nkeys + 1);
                    if measures.is_empty() || group == 0 {
                        ds.diagnostics.push(Diagnostic::error(
                            file,
                            line_no,
                            0,
                            Said::both(
                                "QEI header does not match the measures listed in DQI",
                                "Die QEI-Kopfzeile passt nicht zu den in DQI aufgeführten Merkmalen",
                            ),
                        ));
                        return ds;
                    }
                    region_var = vars.iter().position(|v| is_region_variable(v));
                    measure_ix = measures
                        .iter()
                        .map(|(c, u)| {
                            ds.intern_measure(Measure {
                                code: c.clone(),
                                label: c.clone(),
                                unit: u.clone(),
                                statistic: statistic.clone(),
                            })
                        })
                        .collect();
                }
            }
            "D" => match section.as_str() {
                "DQ" => table = f.get(1).copied().unwrap_or("").to_string(),
                "DQ-ERH" => statistic = f.get(1).copied().unwrap_or("").to_string(),
                "DQA" => vars.push(f.get(1).copied().unwrap_or("").to_string()),
                "DQI" => measures.push((
                    f.get(1).copied().unwrap_or("").to_string(),
                    f.get(2).copied().unwrap_or("").to_string(),
                )),
                "QEI" => {
                    ds.rows_read += 1;
                    let expect = 1 + vars.len() + 1 + group * measures.len();
                    if f.len() != expect {
                        ds.diagnostics.push(Diagnostic::error(
                            file,
                            line_no,
                            0,
                            Said::both(
                                format!("data record has {} fields, expected {expect}", f.len()),
                                format!(
                                    "Der Datensatz hat {}, erwartet werden {expect}",
                                    german_count(f.len(), "Feld", "Felder")
                                ),
                            ),
                        ));
                        continue;
                    }
                    let keys = f.get(1..1 + vars.len()).unwrap_or(&[]);
                    let region = match region_var {
                        Some(i) => {
                            match region_key_from_code(keys.get(i).copied().unwrap_or(""), "") {
                                Ok(k) => ds.intern_region(k, None),
                                Err(e) => {
                                    ds.diagnostics.push(Diagnostic::error(
                                        file,
                                        line_no,
                                        i + 2,
                                        unknown_region_key(&e),
                                    ));
                                    continue;
                                }
                            }
                        }
                        None => ds.intern_region(
                            RegionKey::parse("DG").expect("valid"),
                            Some("Deutschland"),
                        ),
                    };
                    let items: Vec<BreakdownItem> = keys
                        .iter()
                        .enumerate()
                        .filter(|(i, k)| Some(*i) != region_var && !k.is_empty())
                        .map(|(i, k)| BreakdownItem {
                            variable: vars.get(i).cloned().unwrap_or_default(),
                            value: k.to_string(),
                            label: k.to_string(),
                        })
                        .collect();
                    let breakdown = ds.intern_breakdown(Breakdown::new(items));
                    let tcol = 1 + vars.len();
                    let period = match Period::parse(cell(tcol)) {
                        Ok(p) => p,
                        Err(e) => {
                            ds.diagnostics.push(Diagnostic::error(
                                file,
                                line_no,
                                tcol + 1,
                                e.said(),
                            ));
                            continue;
                        }
                    };
                    for (m, &mix) in measure_ix.iter().enumerate() {
                        let c = tcol + 1 + m * group;
                        let text = cell(c).trim();
                        if text.is_empty() {
                            continue;
                        }
                        let Some(value) =
                            value_at(&mut ds, file, line_no, c + 1, text, DecimalSeparator::Comma)
                        else {
                            continue;
                        };
                        let quality = ds.intern_quality(cell(c + 1).trim());
                        ds.observations.push(Observation {
                            measure: mix,
                            region,
                            period,
                            breakdown,
                            value,
                            quality,
                            line: line_no as u32,
                        });
                    }
                }
                _ => {}
            },
            _ => {
                ds.diagnostics.push(
                    Diagnostic::error(
                        file,
                        line_no,
                        1,
                        Said::both(
                            format!("record type `{}` is neither K nor D", cell(0)),
                            format!("Die Satzart „{}“ ist weder K noch D", cell(0)),
                        ),
                    )
                    .with_hint(Said::both(
                        "is this a GENESIS cube (Datenquader) file?",
                        "Ist dies eine GENESIS-Würfeldatei (Datenquader)?",
                    )),
                );
            }
        }
    }
    if measures.is_empty() {
        ds.diagnostics.push(Diagnostic::error(
            file,
            0,
            0,
            Said::both(
                "no measures (DQI section) found",
                "Keine Merkmale (Abschnitt DQI) gefunden",
            ),
        ));
    }
    for m in &mut ds.measures {
        if m.statistic.is_empty() {
            m.statistic = table.clone();
        }
    }
    ds.finish(file);
    ds
}
