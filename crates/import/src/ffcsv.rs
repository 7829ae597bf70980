//! GENESIS flat CSV (ffcsv), the current export format: one value per row, English header,
//! `N_variable_*` column groups, optional `value_q` quality column.

use rustc_hash::FxHashMap as HashMap;

use sozialmonitor_core::measure::is_total_label;
use sozialmonitor_core::{
    Breakdown, BreakdownItem, Dataset, DecimalSeparator, Diagnostic, Measure, Observation, Period,
    RegionKey, Said, Value,
};

use crate::common::{
    LineSplitter, SaidBoth, bug_hint, decimal_separator, is_region_variable, mixed_decimals,
    region_key_from_code, row_width, unknown_region_key,
};

/// The columns of one `N_variable_*` group. The attribute code is what identifies a breakdown
/// value, so it is required; the label only decorates it.
struct Variable {
    code: usize,
    attribute_code: usize,
    attribute_label: Option<usize>,
}

struct Columns {
    statistic: usize,
    time: usize,
    vars: Vec<Variable>,
    value: usize,
    unit: usize,
    vcode: usize,
    vlabel: usize,
    quality: Option<usize>,
    width: usize,
}

/// The columns of the header, or why the header is not that of a GENESIS flat file (boxed: a
/// diagnostic in two languages is large, and the error is the rare path).
fn columns(file: &str, header: &[std::borrow::Cow<'_, str>]) -> Result<Columns, Box<Diagnostic>> {
    let find = |name: &str| header.iter().position(|h| h == name);
    let need = |name: &str| find(name).ok_or_else(|| missing_column(file, name));
    let mut vars = Vec::new();
    for n in 1.. {
        let Some(code) = find(&format!("{n}_variable_code")) else {
            break;
        };
        let Some(attribute_code) = find(&format!("{n}_variable_attribute_code")) else {
            return Err(missing_attribute_code(file, n, code + 1));
        };
        vars.push(Variable {
            code,
            attribute_code,
            attribute_label: find(&format!("{n}_variable_attribute_label")),
        });
    }
    Ok(Columns {
        statistic: need("statistics_code")?,
        time: need("time")?,
        vars,
        value: need("value")?,
        unit: need("value_unit")?,
        vcode: need("value_variable_code")?,
        vlabel: need("value_variable_label")?,
        quality: find("value_q"),
        width: header.len(),
    })
}

/// A header without one of the columns every GENESIS flat file has.
fn missing_column(file: &str, name: &str) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(
            file,
            1,
            0,
            Said::both(
                format!("header has no `{name}` column"),
                format!("Die Kopfzeile hat keine Spalte `{name}`"),
            ),
        )
        .with_hint(Said::both(
            "a GENESIS flat file (ffcsv) has the columns statistics_code;...;time;...;value;value_unit;value_variable_code;value_variable_label",
            "Eine GENESIS-Flatfile-Datei (ffcsv) hat die Spalten statistics_code;...;time;...;value;value_unit;value_variable_code;value_variable_label",
        )),
    )
}

/// A header with variable `n` (its code in `column`) but without its attribute code.
fn missing_attribute_code(file: &str, n: usize, column: usize) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(
            file,
            1,
            column,
            Said::both(
                format!(
                    "header has `{n}_variable_code` but no `{n}_variable_attribute_code` column"
                ),
                format!(
                    "Die Kopfzeile hat die Spalte `{n}_variable_code`, aber keine Spalte `{n}_variable_attribute_code`"
                ),
            ),
        )
        .with_hint(Said::both(
            "every variable of a GENESIS flat file comes with its attribute code; export the table again",
            "Zu jedem Merkmal einer GENESIS-Flatfile-Datei gehört die Spalte mit dem Code seiner Ausprägung; die Tabelle erneut exportieren",
        )),
    )
}

/// Reads an ffcsv file already decoded to text.
pub fn read(file: &str, text: &str) -> Dataset {
    let mut ds = Dataset::new("ffcsv");
    let mut sp = LineSplitter::default();
    // The header is the first line and the body everything after it, so that line numbers in
    // the body count from 2 whatever the rows contain.
    let (first, body) = text.split_once('\n').unwrap_or((text, ""));
    let header_line = first.strip_suffix('\r').unwrap_or(first);
    let header: Vec<std::borrow::Cow<'_, str>> = sp.split(header_line).to_vec();
    let cols = match columns(file, &header) {
        Ok(c) => c,
        Err(d) => {
            ds.diagnostics.push(*d);
            return ds;
        }
    };
    let sep = decimal_separator(
        text.lines()
            .skip(1)
            .map(|l| l.split(';').nth(cols.value).unwrap_or("")),
    );
    let Ok(sep) = sep else {
        ds.diagnostics.push(
            Diagnostic::error(file, 0, cols.value + 1, mixed_decimals()).with_hint(Said::both(
                "a file must use one decimal separator",
                "Eine Datei muss durchgehend dasselbe Dezimaltrennzeichen verwenden",
            )),
        );
        return ds;
    };
    // Which variable carries the region is fixed per file; find it in the first row.
    let region_var = crate::text::lines(body).next().and_then(|(_, l)| {
        let f: Vec<&str> = l.split(';').collect();
        cols.vars
            .iter()
            .position(|v| f.get(v.code).is_some_and(|c| is_region_variable(c)))
    });
    // Large files are parsed in two halves on two threads and merged; the halves are split at a
    // line break so every row is whole, and line numbers continue across the split.
    let parts = if body.len() > 8 << 20 {
        split_at_line(body)
    } else {
        vec![body]
    };
    let mut offset = 1;
    let mut jobs = Vec::new();
    for p in &parts {
        jobs.push((*p, offset));
        offset += memchr::memchr_iter(b'\n', p.as_bytes()).count();
    }
    let cols = &cols;
    let results: Vec<std::thread::Result<Dataset>> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|&(chunk, off)| {
                s.spawn(move || parse_rows(file, chunk, off, cols, sep, region_var))
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let first_lines = jobs.iter().map(|&(_, first)| first);
    let mut ds = merge(file, results.into_iter().zip(first_lines).collect());
    ds.finish(file);
    ds
}

/// Merges the workers' datasets in order; `first_line` is the number of lines before a worker's
/// part. A worker that panicked read only some of its rows, and keeping the other part would
/// store half a file, so then the whole file fails: an error about the whole file (line 0) and
/// nothing else.
fn merge(file: &str, results: Vec<(std::thread::Result<Dataset>, usize)>) -> Dataset {
    let mut parsed = Vec::with_capacity(results.len());
    for (r, first_line) in results {
        match r {
            Ok(d) => parsed.push(d),
            Err(payload) => {
                let mut failed = Dataset::new("ffcsv");
                let (from, panic) = (first_line + 1, crate::panic_message(payload.as_ref()));
                failed.diagnostics.push(
                    Diagnostic::error(
                        file,
                        0,
                        0,
                        Said::both(
                            format!(
                                "internal error while reading the rows from line {from}: {panic}; nothing was imported from this file"
                            ),
                            format!(
                                "Interner Fehler beim Lesen der Zeilen ab Zeile {from}: {panic}; aus dieser Datei wurde nichts importiert"
                            ),
                        ),
                    )
                    .with_hint(bug_hint()),
                );
                return failed;
            }
        }
    }
    let mut parsed = parsed.into_iter();
    let mut ds = parsed.next().unwrap_or_else(|| Dataset::new("ffcsv"));
    for other in parsed {
        ds.absorb(other);
    }
    ds
}

/// Splits text in two at the line break nearest after the middle.
fn split_at_line(body: &str) -> Vec<&str> {
    let mid = body.len() / 2;
    let at = body
        .as_bytes()
        .get(mid..)
        .and_then(|tail| memchr::memchr(b'\n', tail))
        .map(|i| mid + i + 1);
    // The split lies just after an ASCII `\n`, so it is a char boundary; `split_at_checked`
    // keeps that an assumption that cannot panic.
    match at.and_then(|at| body.split_at_checked(at)) {
        Some((a, b)) => vec![a, b],
        None => vec![body],
    }
}

/// Parses data rows; `offset` is the number of lines before `chunk` in the file.
fn parse_rows(
    file: &str,
    chunk: &str,
    offset: usize,
    cols: &Columns,
    sep: DecimalSeparator,
    region_var: Option<usize>,
) -> Dataset {
    let mut ds = Dataset::new("ffcsv");
    let mut sp = LineSplitter::default();
    let mut measure_cache: HashMap<String, u32> = HashMap::default();
    let mut region_cache: HashMap<String, u32> = HashMap::default();
    let mut bd_cache: HashMap<String, u32> = HashMap::default();
    let mut bd_key = String::new();
    let mut quality_cache: HashMap<String, u16> = HashMap::default();
    let mut no_region_warned = false;
    for (line_no, line) in crate::text::lines(chunk) {
        let line_no = line_no + offset;
        ds.rows_read += 1;
        let f = sp.split(line);
        if f.len() != cols.width {
            ds.diagnostics.push(
                Diagnostic::error(
                    file,
                    line_no,
                    0,
                    row_width(f.len(), cols.width),
                )
                .with_hint(Said::both(
                    "the file may be truncated, or use another separator than `;`",
                    "Die Datei ist möglicherweise abgeschnitten oder verwendet ein anderes Trennzeichen als `;`",
                )),
            );
            continue;
        }
        // Every column index is below `cols.width`, the row's field count just checked; `get`
        // keeps a mistake there an empty cell instead of a panic.
        let cell = |c: usize| f.get(c).map_or("", |s| &**s);
        let rv = region_var.and_then(|i| cols.vars.get(i).map(|v| (i, v)));
        let (key_ix, region_label) = match rv {
            Some((_, var)) => {
                let code = cell(var.attribute_code);
                let label = var
                    .attribute_label
                    .and_then(|c| f.get(c))
                    .map(|s| s.trim())
                    .unwrap_or("");
                if let Some(&ix) = region_cache.get(code) {
                    (ix, label)
                } else {
                    match region_key_from_code(code, label) {
                        Ok(k) => {
                            let ix = ds.intern_region(k, Some(label));
                            region_cache.insert(code.to_string(), ix);
                            (ix, label)
                        }
                        Err(e) => {
                            ds.diagnostics.push(
                                Diagnostic::error(
                                    file,
                                    line_no,
                                    var.attribute_code + 1,
                                    unknown_region_key(&e),
                                )
                                .with_hint(Said::both(
                                    "region keys are AGS/ARS digits or DG for Germany",
                                    "Regionalschlüssel bestehen aus den Ziffern von AGS/ARS oder lauten DG für Deutschland",
                                )),
                            );
                            continue;
                        }
                    }
                }
            }
            None => {
                if !no_region_warned {
                    no_region_warned = true;
                    ds.diagnostics.push(Diagnostic::warning(
                        file,
                        line_no,
                        0,
                        Said::both(
                            "no region variable in this table; values are stored for Germany (DG)",
                            "Die Tabelle hat kein regionales Merkmal; die Werte werden für Deutschland (DG) gespeichert",
                        ),
                    ));
                }
                let k = RegionKey::parse("DG").expect("DG is valid");
                (ds.intern_region(k, Some("Deutschland")), "Deutschland")
            }
        };
        let _ = region_label;
        let period = match Period::parse(cell(cols.time)) {
            Ok(p) => p,
            Err(e) => {
                ds.diagnostics
                    .push(Diagnostic::error(file, line_no, cols.time + 1, e.said()));
                continue;
            }
        };
        let value = match Value::parse(cell(cols.value), sep) {
            Ok(v) => v,
            Err(e) => {
                ds.diagnostics.push(
                    Diagnostic::error(file, line_no, cols.value + 1, e.said()).with_hint(Said::both(
                        "GENESIS writes a number (decimal comma in German exports) or one of the symbols - . ... / x",
                        "GENESIS schreibt eine Zahl (in deutschen Exporten mit Dezimalkomma) oder eines der statistischen Zeichen - . ... / x",
                    )),
                );
                continue;
            }
        };
        let mcode = cell(cols.vcode).trim();
        if mcode.is_empty() {
            ds.diagnostics.push(Diagnostic::error(
                file,
                line_no,
                cols.vcode + 1,
                Said::both(
                    "empty value_variable_code",
                    "Das Feld value_variable_code ist leer",
                ),
            ));
            continue;
        }
        let measure = match measure_cache.get(mcode) {
            Some(&m) => m,
            None => {
                let m = ds.intern_measure(Measure {
                    code: mcode.to_string(),
                    label: cell(cols.vlabel).trim().to_string(),
                    unit: cell(cols.unit).trim().to_string(),
                    statistic: cell(cols.statistic).trim().to_string(),
                });
                measure_cache.insert(mcode.to_string(), m);
                m
            }
        };
        bd_key.clear();
        let region_ix = rv.map(|(i, _)| i);
        for (i, v) in cols.vars.iter().enumerate() {
            if Some(i) == region_ix || cell(v.code).is_empty() {
                continue;
            }
            bd_key.push_str(cell(v.code));
            bd_key.push('=');
            bd_key.push_str(cell(v.attribute_code));
            bd_key.push('|');
        }
        let breakdown = match bd_cache.get(bd_key.as_str()) {
            Some(&b) => b,
            None => {
                let mut items = Vec::new();
                for (i, v) in cols.vars.iter().enumerate() {
                    if Some(i) == region_ix || cell(v.code).is_empty() {
                        continue;
                    }
                    let attr = cell(v.attribute_code).trim();
                    let label = v
                        .attribute_label
                        .and_then(|c| f.get(c))
                        .map(|s| s.trim())
                        .unwrap_or("");
                    // An empty attribute code, or an attribute labelled "Insgesamt" (LB-INS), is the
                    // total of that variable, not a breakdown value.
                    if attr.is_empty() || is_total_label(label) {
                        continue;
                    }
                    items.push(BreakdownItem {
                        variable: cell(v.code).trim().to_string(),
                        value: attr.to_string(),
                        label: label.to_string(),
                    });
                }
                let b = ds.intern_breakdown(Breakdown::new(items));
                bd_cache.insert(bd_key.clone(), b);
                b
            }
        };
        let quality = match cols.quality {
            Some(q) => {
                let t = cell(q).trim();
                match quality_cache.get(t) {
                    Some(&x) => x,
                    None => {
                        let x = ds.intern_quality(t);
                        quality_cache.insert(t.to_string(), x);
                        x
                    }
                }
            }
            None => 0,
        };
        ds.observations.push(Observation {
            measure,
            region: key_ix,
            period,
            breakdown,
            value,
            quality,
            line: line_no as u32,
        });
    }
    ds
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 11: a worker's panic was swallowed and its half of the file stored as nothing.
    #[test]
    fn a_worker_panic_fails_the_whole_file() {
        let mut good = Dataset::new("ffcsv");
        good.rows_read = 10;
        let boom: std::thread::Result<Dataset> = Err(Box::new("index out of bounds"));
        let ds = merge("f.csv", vec![(Ok(good), 1), (boom, 5_000_001)]);
        assert!(ds.observations.is_empty() && ds.rows_read == 0);
        assert_eq!(ds.diagnostics.len(), 1);
        let d = ds.diagnostics.first().expect("one diagnostic");
        assert_eq!(
            (d.line, d.severity),
            (0, sozialmonitor_core::Severity::Error)
        );
        let message = d.message.english();
        assert!(message.contains("from line 5000002") && message.contains("index out of bounds"));
    }

    #[test]
    fn the_split_is_at_a_line_break_after_multibyte_text() {
        let body = "ä\n".repeat(10) + "ö";
        let parts = split_at_line(&body);
        assert_eq!(parts.len(), 2);
        assert!(parts.first().is_some_and(|p| p.ends_with('\n')));
        assert_eq!(parts.concat(), body);
        assert_eq!(split_at_line("äöü"), vec!["äöü"]);
    }
}
