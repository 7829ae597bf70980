//! The older GENESIS flat format (German header `Statistik_Code;...;1_Merkmal_Code;...`, one value
//! column per measure named `CODE__Label__Unit`, dates `dd.mm.yyyy`) and its transitional variant
//! with English labels and duplicated column names.

use sozialmonitor_core::measure::is_total_label;
use sozialmonitor_core::{
    Breakdown, BreakdownItem, Dataset, Diagnostic, Measure, Observation, Period, Said,
};

use crate::common::{
    LineSplitter, SaidBoth, Tally, decimal_separator, empty_cells, german_count, header_and_rows,
    is_region_variable, mixed_decimals, region_key_from_code, row_width, unknown_region_key,
    value_at,
};

/// Reads an old-format flat file already decoded to text.
pub fn read(file: &str, text: &str) -> Dataset {
    let mut ds = Dataset::new("genesis-flat-old");
    let mut sp = LineSplitter::default();
    let Some((header_line, lines)) = header_and_rows(file, text, &mut ds) else {
        return ds;
    };
    let header: Vec<String> = sp
        .split(header_line)
        .iter()
        .map(|s| s.to_string())
        .collect();
    // Five leading columns (statistic code/label, time code/label, time), then groups of four per
    // variable, then one column per measure.
    let first_measure = header.iter().position(|h| h.contains("__"));
    let Some(first_measure) = first_measure else {
        ds.diagnostics.push(
            Diagnostic::error(
                file,
                1,
                0,
                Said::both(
                    "no measure columns (`CODE__Label__Unit`) in the header",
                    "Die Kopfzeile enthält keine Merkmalsspalten (`CODE__Label__Unit`)",
                ),
            )
            .with_hint(Said::both(
                "is this the older GENESIS flat format?",
                "Ist dies das ältere GENESIS-Flatfile-Format?",
            )),
        );
        return ds;
    };
    if first_measure < 5 || (first_measure - 5) % 4 != 0 {
        ds.diagnostics.push(Diagnostic::error(
            file,
            1,
            first_measure + 1,
            Said::both(
                "the header's variable columns do not come in groups of four",
                "Die Merkmalsspalten der Kopfzeile bilden keine Vierergruppen",
            ),
        ));
        return ds;
    }
    let nvars = (first_measure - 5) / 4;
    let mut measures = Vec::new();
    for (i, h) in header.iter().enumerate().skip(first_measure) {
        let mut parts = h.splitn(3, "__");
        let code = parts.next().unwrap_or("").trim().to_string();
        let label = parts.next().unwrap_or("").replace('_', " ");
        let unit = parts.next().unwrap_or("").replace('_', " ");
        let unit = if unit.contains("NotFound") {
            String::new()
        } else {
            unit
        };
        if code.is_empty() {
            ds.diagnostics.push(Diagnostic::error(
                file,
                1,
                i + 1,
                Said::both("measure column without a code", "Merkmalsspalte ohne Code"),
            ));
            return ds;
        }
        measures.push((i, code, label, unit));
    }
    let sep = match decimal_separator(
        text.lines()
            .skip(1)
            .flat_map(|l| l.split(';').skip(first_measure)),
    ) {
        Ok(s) => s,
        Err(()) => {
            ds.diagnostics
                .push(Diagnostic::error(file, 0, 0, mixed_decimals()));
            return ds;
        }
    };
    let mut blank_rows = Tally::default();
    let mut empty = Tally::default();
    for (line_no, line) in lines {
        ds.rows_read += 1;
        let f = sp.split(line);
        if f.len() != header.len() {
            ds.diagnostics.push(Diagnostic::error(
                file,
                line_no,
                0,
                row_width(f.len(), header.len()),
            ));
            continue;
        }
        // The row has as many fields as the header (checked above), so every column is there;
        // `get` keeps a mistake an empty cell instead of a panic.
        let cell = |c: usize| f.get(c).map_or("", |s| &**s);
        // Some exports list regions without any data and without statistic and time: nothing to lose.
        if f.iter().skip(first_measure).all(|c| c.trim().is_empty()) {
            blank_rows.note(line_no);
            continue;
        }
        let period = match Period::parse(cell(4)) {
            Ok(p) => p,
            Err(e) => {
                ds.diagnostics
                    .push(Diagnostic::error(file, line_no, 5, e.said()));
                continue;
            }
        };
        let mut region = None;
        let mut items = Vec::new();
        let mut bad = false;
        for v in 0..nvars {
            let base = 5 + 4 * v;
            let var = cell(base).trim();
            let code = cell(base + 2).trim();
            let label = cell(base + 3).trim();
            if region.is_none() && is_region_variable(var) {
                match region_key_from_code(code, label) {
                    Ok(k) => region = Some(ds.intern_region(k, Some(label))),
                    Err(e) => {
                        ds.diagnostics.push(Diagnostic::error(
                            file,
                            line_no,
                            base + 3,
                            unknown_region_key(&e),
                        ));
                        bad = true;
                    }
                }
            } else if !(var.is_empty() || code.is_empty() || is_total_label(label)) {
                items.push(BreakdownItem {
                    variable: var.to_string(),
                    value: code.to_string(),
                    label: label.to_string(),
                });
            }
        }
        if bad {
            continue;
        }
        let region = match region {
            Some(r) => r,
            None => ds.intern_region(
                sozialmonitor_core::RegionKey::parse("DG").expect("valid"),
                Some("Deutschland"),
            ),
        };
        let breakdown = ds.intern_breakdown(Breakdown::new(items));
        for (col, code, label, unit) in &measures {
            let text = cell(*col).trim();
            if text.is_empty() {
                empty.note(line_no);
                continue;
            }
            let Some(value) = value_at(&mut ds, file, line_no, col + 1, text, sep) else {
                continue;
            };
            let m = ds.intern_measure(Measure {
                code: code.clone(),
                label: label.clone(),
                unit: unit.clone(),
                statistic: cell(0).trim().to_string(),
            });
            ds.observations.push(Observation {
                measure: m,
                region,
                period,
                breakdown,
                value,
                quality: 0,
                line: line_no as u32,
            });
        }
    }
    blank_rows.report(&mut ds, file, 0, |n, first| {
        Said::both(
            format!("{n} rows carry no time and no values (first in line {first}); they hold nothing to import"),
            format!(
                "{} ohne Zeitbezug und ohne Werte (zuerst in Zeile {first}); daraus ist nichts zu importieren",
                german_count(n, "Zeile", "Zeilen")
            ),
        )
    });
    empty.report(&mut ds, file, 0, empty_cells);
    ds.finish(file);
    ds
}
