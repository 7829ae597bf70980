//! Export of values as CSV (machine), CSV for German Excel, and XLSX.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use sozialmonitor_core::Value;
use sozialmonitor_core::value::flags;
use sozialmonitor_store::ObservationRow;

/// Export formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated, decimal point, ISO dates (for programs).
    Csv,
    /// Semicolon-separated, decimal comma, German dates (for Excel in German).
    CsvDe,
    /// Excel workbook, numbers as numbers.
    Xlsx,
}

const HEADER: [&str; 13] = [
    "region_key",
    "region_name",
    "measure",
    "measure_label",
    "unit",
    "breakdown",
    "breakdown_label",
    "period",
    "value",
    "symbol",
    "flags",
    "quality",
    "published",
];

fn number_text(v: &Value, comma: bool) -> String {
    match v.number {
        Some(n) if v.symbol.is_none() => {
            let s = format!("{:.*}", v.decimals as usize, n);
            if comma { s.replace('.', ",") } else { s }
        }
        _ => String::new(),
    }
}

fn flag_text(v: &Value) -> String {
    let mut s = String::new();
    for (bit, c) in [
        (flags::PROVISIONAL, "p"),
        (flags::REVISED, "r"),
        (flags::ESTIMATED, "s"),
        (flags::LIMITED, "()"),
    ] {
        if v.flags & bit != 0 {
            s.push_str(c);
        }
    }
    s
}

fn cells(r: &ObservationRow, de: bool) -> [String; 13] {
    [
        r.region_key.clone(),
        r.region_name.clone(),
        r.measure.clone(),
        r.measure_label.clone(),
        r.unit.clone(),
        r.breakdown.clone(),
        r.breakdown_label.clone(),
        if de {
            r.period.german()
        } else {
            r.period.iso()
        },
        number_text(&r.value, de),
        r.value
            .symbol
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        flag_text(&r.value),
        r.quality.clone().unwrap_or_default(),
        r.value.render(),
    ]
}

fn quote(s: &str, sep: char) -> String {
    if s.contains(sep) || s.contains('"') || s.contains('\n') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes the rows to a file.
pub fn write(path: &Path, format: ExportFormat, rows: &[ObservationRow]) -> Result<()> {
    match format {
        ExportFormat::Csv | ExportFormat::CsvDe => {
            let de = matches!(format, ExportFormat::CsvDe);
            let sep = if de { ';' } else { ',' };
            let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
            if de {
                // A BOM makes Excel read the file as UTF-8.
                w.write_all(b"\xEF\xBB\xBF")?;
            }
            let line = |c: &[String]| {
                c.iter()
                    .map(|x| quote(x, sep))
                    .collect::<Vec<_>>()
                    .join(&sep.to_string())
            };
            writeln!(w, "{}", line(&HEADER.map(String::from)))?;
            for r in rows {
                writeln!(w, "{}", line(&cells(r, de)))?;
            }
            w.flush()?;
        }
        ExportFormat::Xlsx => {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let ws = wb.add_worksheet();
            ws.set_name("Werte")?;
            let bold = rust_xlsxwriter::Format::new().set_bold();
            for (c, h) in HEADER.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, *h, &bold)?;
            }
            for (i, r) in rows.iter().enumerate() {
                let row = (i + 1) as u32;
                let c = cells(r, true);
                for (col, text) in c.iter().enumerate() {
                    if col == 8 {
                        if let (Some(n), None) = (r.value.number, r.value.symbol) {
                            let fmt = rust_xlsxwriter::Format::new().set_num_format(
                                if r.value.decimals == 0 {
                                    "#,##0".to_string()
                                } else {
                                    format!("#,##0.{}", "0".repeat(r.value.decimals as usize))
                                },
                            );
                            ws.write_number_with_format(row, 8, n, &fmt)?;
                        }
                    } else if !text.is_empty() {
                        ws.write_string(row, col as u16, text)?;
                    }
                }
            }
            ws.set_freeze_panes(1, 0)?;
            wb.save(path)?;
        }
    }
    Ok(())
}
