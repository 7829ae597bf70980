//! GENESIS flat CSV (ffcsv), the current export format: one value per row, English header,
//! `N_variable_*` column groups, optional `value_q` quality column.

use rustc_hash::FxHashMap as HashMap;

use sozialmonitor_core::measure::is_total_label;
use sozialmonitor_core::{
    Breakdown, BreakdownItem, Dataset, DecimalSeparator, Diagnostic, Measure, Observation, Period,
    RegionKey, Value,
};

use crate::common::{
    LineSplitter, decimal_separator, header_and_rows, is_region_variable, region_key_from_code,
};

struct Columns {
    statistic: usize,
    time: usize,
    vars: Vec<[usize; 4]>,
    value: usize,
    unit: usize,
    vcode: usize,
    vlabel: usize,
    quality: Option<usize>,
    width: usize,
}

fn columns(file: &str, header: &[std::borrow::Cow<'_, str>]) -> Result<Columns, Diagnostic> {
    let find = |name: &str| header.iter().position(|h| h == name);
    let need = |name: &str| {
        find(name).ok_or_else(|| {
            Diagnostic::error(file, 1, 0, format!("header has no `{name}` column"))
                .with_hint("a GENESIS flat file (ffcsv) has the columns statistics_code;...;time;...;value;value_unit;value_variable_code;value_variable_label")
        })
    };
    let mut vars = Vec::new();
    for n in 1.. {
        let code = find(&format!("{n}_variable_code"));
        let Some(code) = code else { break };
        let get = |s: &str| find(&format!("{n}_variable_{s}")).unwrap_or(usize::MAX);
        vars.push([
            code,
            get("label"),
            get("attribute_code"),
            get("attribute_label"),
        ]);
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

/// Reads an ffcsv file already decoded to text.
pub fn read(file: &str, text: &str) -> Dataset {
    let mut ds = Dataset::new("ffcsv");
    let mut sp = LineSplitter::default();
    let Some((header_line, _rows)) = header_and_rows(file, text, &mut ds) else {
        return ds;
    };
    let header: Vec<std::borrow::Cow<'_, str>> = sp.split(header_line).to_vec();
    let cols = match columns(file, &header) {
        Ok(c) => c,
        Err(d) => {
            ds.diagnostics.push(d);
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
            Diagnostic::error(
                file,
                0,
                cols.value + 1,
                "values use both decimal commas and decimal points",
            )
            .with_hint("a file must use one decimal separator"),
        );
        return ds;
    };
    let header_end = text.find('\n').map(|i| i + 1).unwrap_or(text.len());
    let body = &text[header_end..];
    // Which variable carries the region is fixed per file; find it in the first row.
    let region_var = crate::text::lines(body).next().and_then(|(_, l)| {
        let f: Vec<&str> = l.split(';').collect();
        cols.vars
            .iter()
            .position(|v| f.get(v[0]).is_some_and(|c| is_region_variable(c)))
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
    let mut results: Vec<Dataset> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|&(chunk, off)| {
                s.spawn(move || parse_rows(file, chunk, off, cols, sep, region_var))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Dataset::new("ffcsv")))
            .collect()
    });
    let mut ds = results.remove(0);
    for other in results {
        ds.absorb(other);
    }
    ds.finish(file);
    ds
}

/// Splits text in two at the line break nearest the middle.
fn split_at_line(body: &str) -> Vec<&str> {
    let mid = body.len() / 2;
    match memchr::memchr(b'\n', &body.as_bytes()[mid..]) {
        Some(i) => vec![&body[..mid + i + 1], &body[mid + i + 1..]],
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
                    format!("row has {} fields, the header has {}", f.len(), cols.width),
                )
                .with_hint("the file may be truncated, or use another separator than `;`"),
            );
            continue;
        }
        let rv = region_var;
        let (key_ix, region_label) = match rv {
            Some(i) => {
                let code = &f[cols.vars[i][2]];
                let label = f.get(cols.vars[i][3]).map(|s| s.trim()).unwrap_or("");
                if let Some(&ix) = region_cache.get(code.as_ref()) {
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
                                    cols.vars[i][2] + 1,
                                    format!("unknown region key: {e}"),
                                )
                                .with_hint("region keys are AGS/ARS digits or DG for Germany"),
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
                        "no region variable in this table; values are stored for Germany (DG)",
                    ));
                }
                let k = RegionKey::parse("DG").expect("DG is valid");
                (ds.intern_region(k, Some("Deutschland")), "Deutschland")
            }
        };
        let _ = region_label;
        let period = match Period::parse(&f[cols.time]) {
            Ok(p) => p,
            Err(e) => {
                ds.diagnostics.push(Diagnostic::error(
                    file,
                    line_no,
                    cols.time + 1,
                    e.to_string(),
                ));
                continue;
            }
        };
        let value = match Value::parse(&f[cols.value], sep) {
            Ok(v) => v,
            Err(e) => {
                ds.diagnostics.push(Diagnostic::error(file, line_no, cols.value + 1, e.to_string()).with_hint(
                    "GENESIS writes a number (decimal comma in German exports) or one of the symbols - . ... / x",
                ));
                continue;
            }
        };
        let mcode = f[cols.vcode].trim();
        if mcode.is_empty() {
            ds.diagnostics.push(Diagnostic::error(
                file,
                line_no,
                cols.vcode + 1,
                "empty value_variable_code",
            ));
            continue;
        }
        let measure = match measure_cache.get(mcode) {
            Some(&m) => m,
            None => {
                let m = ds.intern_measure(Measure {
                    code: mcode.to_string(),
                    label: f[cols.vlabel].trim().to_string(),
                    unit: f[cols.unit].trim().to_string(),
                    statistic: f[cols.statistic].trim().to_string(),
                });
                measure_cache.insert(mcode.to_string(), m);
                m
            }
        };
        bd_key.clear();
        for (i, v) in cols.vars.iter().enumerate() {
            if Some(i) == rv || f[v[0]].is_empty() {
                continue;
            }
            bd_key.push_str(&f[v[0]]);
            bd_key.push('=');
            bd_key.push_str(&f[v[2]]);
            bd_key.push('|');
        }
        let breakdown = match bd_cache.get(bd_key.as_str()) {
            Some(&b) => b,
            None => {
                let mut items = Vec::new();
                for (i, v) in cols.vars.iter().enumerate() {
                    if Some(i) == rv || f[v[0]].is_empty() {
                        continue;
                    }
                    let attr = f[v[2]].trim();
                    let label = f.get(v[3]).map(|s| s.trim()).unwrap_or("");
                    // An empty attribute code, or an attribute labelled "Insgesamt" (LB-INS), is the
                    // total of that variable, not a breakdown value.
                    if attr.is_empty() || is_total_label(label) {
                        continue;
                    }
                    items.push(BreakdownItem {
                        variable: f[v[0]].trim().to_string(),
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
                let t = f[q].trim();
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
