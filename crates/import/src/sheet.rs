//! Spreadsheets as published: the Destatis municipal register extract (XLSX, "Gemeindeverzeichnis
//! – Auszug") and INKAR exports (XLS with the sheets `Daten` and `Metadaten`).

use std::io::Cursor;

use calamine::{Data, Reader, Sheets, open_workbook_auto_from_rs};
use sozialmonitor_core::{
    Dataset, DecimalSeparator, Diagnostic, Measure, Observation, Period, Region, RegionKey, Value,
};

fn cell_text(c: &Data) -> String {
    match c {
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            }
        }
        Data::Bool(b) => b.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// Reads a spreadsheet, recognising its layout by its sheets.
pub fn read(file: &str, bytes: &[u8]) -> Dataset {
    let mut ds = Dataset::new("spreadsheet");
    let mut wb: Sheets<_> = match open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())) {
        Ok(w) => w,
        Err(e) => {
            ds.diagnostics.push(
                Diagnostic::error(file, 0, 0, format!("cannot open spreadsheet: {e}"))
                    .with_hint("is the file an intact XLSX or XLS file?"),
            );
            return ds;
        }
    };
    let names = wb.sheet_names().to_vec();
    if let Some(n) = names
        .iter()
        .find(|n| n.starts_with("Onlineprodukt_Gemeinden"))
    {
        ds.format = "gv-auszug".into();
        match wb.worksheet_range(n) {
            Ok(r) => read_register(file, n, &r, &mut ds),
            Err(e) => ds.diagnostics.push(Diagnostic::error(
                file,
                0,
                0,
                format!("cannot read sheet {n}: {e}"),
            )),
        }
    } else if names.iter().any(|n| n == "Daten") {
        ds.format = "inkar-xls".into();
        let meta = wb.worksheet_range("Metadaten").ok();
        match wb.worksheet_range("Daten") {
            Ok(r) => read_inkar(file, &r, meta.as_ref(), &mut ds),
            Err(e) => ds.diagnostics.push(Diagnostic::error(
                file,
                0,
                0,
                format!("cannot read sheet Daten: {e}"),
            )),
        }
    } else {
        ds.diagnostics.push(
            Diagnostic::error(file, 0, 0, format!("unknown spreadsheet layout (sheets: {})", names.join(", ")))
                .with_hint("supported: the Destatis register extract (sheet Onlineprodukt_Gemeinden…) and INKAR exports (sheet Daten); other tables: save as long CSV"),
        );
    }
    ds.finish(file);
    ds
}

fn read_register(file: &str, sheet: &str, r: &calamine::Range<Data>, ds: &mut Dataset) {
    let rows: Vec<Vec<String>> = r
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect();
    // The Gebietsstand is written in the header ("Gebietsstand am 30.06.2024 (2. Quartal)").
    let date = rows.iter().take(10).flat_map(|r| r.iter()).find_map(|c| {
        c.strip_prefix("Gebietsstand am ")
            .and_then(|s| Period::parse(s.get(..10).unwrap_or("")).ok())
    });
    let Some(date) = date else {
        ds.diagnostics.push(Diagnostic::error(
            file,
            0,
            0,
            format!("sheet {sheet}: no `Gebietsstand am dd.mm.yyyy` in the header"),
        ));
        return;
    };
    for (i, row) in rows.iter().enumerate() {
        let get = |c: usize| row.get(c).map(String::as_str).unwrap_or("");
        let satzart = get(0);
        if !matches!(satzart, "10" | "20" | "30" | "40" | "50" | "60") {
            continue;
        }
        ds.rows_read += 1;
        let key = match satzart {
            "10" => get(2).to_string(),
            "20" => format!("{}{}", get(2), get(3)),
            "30" => continue, // Regionen (Baden-Württemberg only) are not a level here
            "40" => format!("{}{}{}", get(2), get(3), get(4)),
            "50" => format!("{}{}{}{}", get(2), get(3), get(4), get(5)),
            _ => format!("{}{}{}{}", get(2), get(3), get(4), get(6)),
        };
        let key = match RegionKey::parse(&key) {
            Ok(k) => k,
            Err(e) => {
                ds.diagnostics.push(Diagnostic::error(
                    file,
                    i + 1,
                    3,
                    format!("sheet {sheet}: {e}"),
                ));
                continue;
            }
        };
        let mut reg = Region::new(key, get(7));
        reg.valid_from = Some(date);
        if satzart == "60" {
            reg.verband =
                RegionKey::parse(&format!("{}{}{}{}", get(2), get(3), get(4), get(5))).ok();
            reg.area_km2 = get(8).replace(',', ".").parse().ok();
            reg.population = get(9).parse().ok();
            reg.postcode = Some(get(13).to_string()).filter(|s| !s.is_empty());
        }
        ds.regions.push(reg);
    }
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'Ä' => out.push_str("Ae"),
            'Ö' => out.push_str("Oe"),
            'Ü' => out.push_str("Ue"),
            'ß' => out.push_str("ss"),
            c if c.is_ascii_alphanumeric() => out.push(c),
            _ if !out.ends_with('_') => out.push('_'),
            _ => {}
        }
    }
    out.trim_matches('_').to_string()
}

fn read_inkar(
    file: &str,
    r: &calamine::Range<Data>,
    meta: Option<&calamine::Range<Data>>,
    ds: &mut Dataset,
) {
    let rows: Vec<Vec<String>> = r
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect();
    if rows.len() < 2 || rows[0].first().map(String::as_str) != Some("Kennziffer") {
        ds.diagnostics.push(
            Diagnostic::error(file, 1, 1, "sheet Daten does not start with `Kennziffer`")
                .with_hint("is this an INKAR export?"),
        );
        return;
    }
    let long_names: Vec<(String, String)> = meta
        .map(|m| {
            m.rows()
                .skip(2)
                .map(|row| {
                    (
                        row.first().map(cell_text).unwrap_or_default(),
                        row.get(1).map(cell_text).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut cols = Vec::new();
    for c in 3..rows[0].len() {
        let name = rows[0][c].trim().to_string();
        let year = rows[1].get(c).cloned().unwrap_or_default();
        let period = match Period::parse(&year) {
            Ok(p) => p,
            Err(e) => {
                ds.diagnostics
                    .push(Diagnostic::error(file, 2, c + 1, e.to_string()));
                return;
            }
        };
        let label = long_names
            .iter()
            .find(|(k, _)| k.trim() == name)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| name.clone());
        let m = ds.intern_measure(Measure {
            code: format!("INKAR_{}", slug(&name)),
            label,
            unit: String::new(),
            statistic: "INKAR 2018".into(),
        });
        cols.push((c, m, period));
    }
    for (i, row) in rows.iter().enumerate().skip(2) {
        if row.iter().all(|c| c.is_empty()) {
            continue;
        }
        ds.rows_read += 1;
        let id = row[0].trim();
        let agg = row.get(2).map(String::as_str).unwrap_or("");
        let key = if agg.contains("Kreis") && id.len() == 8 {
            &id[..5]
        } else {
            id
        };
        let key = match RegionKey::parse(key) {
            Ok(k) => k,
            Err(e) => {
                ds.diagnostics.push(Diagnostic::error(
                    file,
                    i + 1,
                    1,
                    format!("sheet Daten: {e}"),
                ));
                continue;
            }
        };
        let region = ds.intern_region(key, row.get(1).map(String::as_str));
        for &(c, m, period) in &cols {
            let t = row.get(c).map(String::as_str).unwrap_or("");
            if t.is_empty() {
                continue;
            }
            match Value::parse(t, DecimalSeparator::Point) {
                Ok(value) => ds.observations.push(Observation {
                    measure: m,
                    region,
                    period,
                    breakdown: 0,
                    value,
                    quality: 0,
                    line: (i + 1) as u32,
                }),
                Err(e) => ds.diagnostics.push(Diagnostic::error(
                    file,
                    i + 1,
                    c + 1,
                    format!("sheet Daten: {e}"),
                )),
            }
        }
    }
}
