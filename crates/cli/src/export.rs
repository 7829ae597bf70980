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

const HEADER: [&str; 14] = [
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
    "confidentiality",
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

fn cells(r: &ObservationRow, de: bool, mark: &str) -> [String; 14] {
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
        mark.to_string(),
    ]
}

fn quote(s: &str, sep: char) -> String {
    if s.contains(sep) || s.contains('"') || s.contains('\n') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Whether `path` names standard output (`-`, as Unix tools take it).
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Where the bytes go: the file, or standard output for `-`.
fn sink(path: &Path) -> Result<Box<dyn Write>> {
    Ok(if is_stdout(path) {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(std::fs::File::create(path)?)
    })
}

/// Writes the rows to a file, or to standard output for `-`.
pub fn write(
    path: &Path,
    format: ExportFormat,
    rows: &[ObservationRow],
    marks: &[&str],
) -> Result<()> {
    let mark = |i: usize| marks.get(i).copied().unwrap_or("");
    match format {
        ExportFormat::Csv | ExportFormat::CsvDe => {
            let de = matches!(format, ExportFormat::CsvDe);
            let sep = if de { ';' } else { ',' };
            let mut w = std::io::BufWriter::new(sink(path)?);
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
            for (i, r) in rows.iter().enumerate() {
                writeln!(w, "{}", line(&cells(r, de, mark(i))))?;
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
                let c = cells(r, true, mark(i));
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
            let mut w = sink(path)?;
            w.write_all(&wb.save_to_buffer()?)?;
            w.flush()?;
        }
    }
    Ok(())
}

/// Applies the confidentiality rules to exported values, through the same frame protection as
/// every public output (as published and on today's territory, together): every additive count
/// measure among the rows gets the catalogue's rule
/// for it (the strictest of the indicators reading it) or the default (1 and 2 suppressed), the
/// hierarchy and breakdowns get secondary suppression; a number of a protected measure outside
/// the protected grid (Gemeindeverband, Ortsteil, an earlier reference date, another year) is
/// withheld. With `public`, suppressed values become
/// `.`; otherwise they stay and are marked. Returns one mark per row and the number marked.
pub fn protect(
    store: &sozialmonitor_store::Database,
    rows: &mut [ObservationRow],
    public: bool,
) -> Result<(Vec<&'static str>, usize)> {
    use sozialmonitor_core::indicators::{Views, computable, frame_rules};
    use sozialmonitor_store::{Store, Territory};
    let mut measures: Vec<String> = rows.iter().map(|r| r.measure.clone()).collect();
    measures.sort();
    measures.dedup();
    let years = crate::indicator::YEARS;
    let raw = store.frame(&measures, years, Territory::AsPublished)?;
    let entries = store.indicators()?;
    let formulas = computable(&entries);
    // Protected together with today's territory, which the dashboard shows: a reader who has
    // both cannot combine them either.
    let views =
        Views::protect(raw, |f| frame_rules(&formulas, f)).map_err(|e| anyhow::anyhow!(e))?;
    let (internal, frame) = views.territory(false);
    let rules = &views.rules;
    let mut marks = Vec::with_capacity(rows.len());
    let mut n = 0;
    for r in rows.iter_mut() {
        let cell = sozialmonitor_core::RegionKey::parse(&r.region_key)
            .ok()
            .and_then(|k| frame.grid().region(&k))
            .zip(frame.grid().col(r.period.year()))
            .map(|(reg, col)| frame.grid().at(reg, col));
        // (withheld, outside the protected grid)
        let (hidden, outside) = match (rules.contains_key(&r.measure), cell) {
            (false, _) => (false, false),
            // A cell the protected frame holds with the same number: shown as the frame shows it.
            (true, Some(i))
                if internal
                    .series(&r.measure, &r.breakdown)
                    .and_then(|s| s.number(i))
                    .zip(r.value.number)
                    .is_some_and(|(a, b)| (a - b).abs() < 1e-9) =>
            {
                let s = frame.series(&r.measure, &r.breakdown);
                (s.is_none_or(|s| s.suppressed(i)), false)
            }
            // Anything else of a protected measure lies outside what secondary suppression
            // covers (a Gemeindeverband or Ortsteil, an earlier reference date of the year, a
            // year outside the computed range): publishing it could give a withheld cell away,
            // so a public export withholds every number of it.
            (true, _) => (r.value.symbol.is_none() && r.value.number.is_some(), true),
        };
        if hidden {
            n += 1;
            if public {
                r.value = sozialmonitor_core::Value::symbol(sozialmonitor_core::Symbol::Secret);
                marks.push("gesperrt");
            } else if outside {
                // Not covered by secondary suppression: internal use only.
                marks.push("nur intern");
            } else {
                marks.push("vertraulich");
            }
        } else {
            marks.push("");
        }
    }
    Ok((marks, n))
}
