//! Spreadsheets as published: the Destatis municipal register extract (XLSX, "Gemeindeverzeichnis
//! – Auszug") and INKAR exports (XLS with the sheets `Daten` and `Metadaten`).

use std::io::Cursor;

use calamine::{Cell, Data, DataRef, Range, Reader, Xls, Xlsx};
use sozialmonitor_core::{
    Dataset, DecimalSeparator, Diagnostic, Measure, MeasureKind, Observation, Period, Region,
    RegionKey, Said, Value,
};

use crate::common::{SaidBoth, prefix_chars, verbatim};
use crate::sheet_check;

/// The most cells a sheet may span, counted over the rectangle from its first to its last used
/// cell, as the reader allocates it (32 bytes a cell: 1.6 GB at the cap). Real sheets have well
/// under a million; a sheet with cells in A1 and XFD1048576 would span 17 billion.
pub const MAX_SHEET_CELLS: u64 = 50_000_000;
/// The rows of an Excel sheet (XLSX); a cell beyond is not from Excel.
pub const MAX_SHEET_ROWS: u32 = 1_048_576;
/// The columns of an Excel sheet (XLSX, up to XFD).
pub const MAX_SHEET_COLUMNS: u32 = 16_384;
/// The most an XLSX file's parts may unpack to together: 2 GiB, far above any statistics
/// workbook, and a bound on a zip bomb.
pub const MAX_UNPACKED_BYTES: u64 = 2 << 30;

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

fn row_text(row: &[Data]) -> Vec<String> {
    row.iter().map(cell_text).collect()
}

/// Runs spreadsheet-library code with its panics caught: calamine indexes into the file's bytes
/// without checking them, and a damaged file is the user's problem to fix, not a crash.
fn guarded<T>(f: impl FnOnce() -> Result<T, Said>) -> Result<T, Said> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let panic = crate::panic_message(p.as_ref());
        Err(Said::both(
            format!("the file is damaged (the spreadsheet reader failed: {panic})"),
            format!("die Datei ist beschädigt (das Lesen der Tabellendatei schlug fehl: {panic})"),
        ))
    })
}

/// An open workbook of one of the two formats we read.
enum Book<'a> {
    Xls(Box<Xls<Cursor<&'a [u8]>>>),
    Xlsx(Box<Xlsx<Cursor<&'a [u8]>>>),
}

impl Book<'_> {
    fn sheet_names(&self) -> Vec<String> {
        match self {
            Book::Xls(b) => b.sheet_names(),
            Book::Xlsx(b) => b.sheet_names(),
        }
    }

    /// A sheet's cells. An XLS file's sheets were read (and checked) when it was opened; an XLSX
    /// sheet is read cell by cell here, so that the caps apply before anything is allocated.
    fn range(&mut self, name: &str) -> Result<Range<Data>, Said> {
        match self {
            Book::Xls(b) => guarded(|| b.worksheet_range(name).map_err(verbatim)),
            Book::Xlsx(b) => guarded(|| xlsx_range(b, name)),
        }
    }
}

/// Reads an XLSX sheet within [`MAX_SHEET_ROWS`], [`MAX_SHEET_COLUMNS`] and [`MAX_SHEET_CELLS`],
/// as calamine's `worksheet_range` would (its non-empty cells, over their bounding rectangle).
fn xlsx_range(b: &mut Xlsx<Cursor<&[u8]>>, name: &str) -> Result<Range<Data>, Said> {
    let mut reader = b.worksheet_cells_reader(name).map_err(verbatim)?;
    let mut cells: Vec<Cell<Data>> = Vec::new();
    let mut bounds: Option<(u32, u32, u32, u32)> = None;
    while let Some(cell) = reader.next_cell().map_err(verbatim)? {
        if matches!(cell.get_value(), DataRef::Empty) {
            continue;
        }
        let (r, c) = cell.get_position();
        if r >= MAX_SHEET_ROWS || c >= MAX_SHEET_COLUMNS {
            return Err(outside_excel(name, r, c));
        }
        let (r0, r1, c0, c1) = bounds.unwrap_or((r, r, c, c));
        let b = (r0.min(r), r1.max(r), c0.min(c), c1.max(c));
        bounds = Some(b);
        let span = (u64::from(b.1 - b.0) + 1) * (u64::from(b.3 - b.2) + 1);
        if span > MAX_SHEET_CELLS {
            let (rows, columns) = (b.1 - b.0 + 1, b.3 - b.2 + 1);
            return Err(Said::both(
                format!(
                    "the cells of sheet {name} span {rows} rows and {columns} columns, more than the {MAX_SHEET_CELLS} cells a sheet may have"
                ),
                format!(
                    "die Zellen des Tabellenblatts {name} erstrecken sich über {rows} Zeilen und {columns} Spalten, mehr als die {MAX_SHEET_CELLS} Zellen, die ein Tabellenblatt haben darf"
                ),
            ));
        }
        cells.push(Cell::new((r, c), Data::from(cell.get_value().clone())));
    }
    Ok(Range::from_sparse(cells))
}

/// A cell beyond the rows or columns an Excel sheet has (0-based `row` and `column`).
fn outside_excel(name: &str, row: u32, column: u32) -> Said {
    let (row, column) = (u64::from(row) + 1, u64::from(column) + 1);
    Said::both(
        format!(
            "sheet {name} has a cell in row {row}, column {column}, outside an Excel sheet ({MAX_SHEET_ROWS} rows, {MAX_SHEET_COLUMNS} columns)"
        ),
        format!(
            "das Tabellenblatt {name} hat eine Zelle in Zeile {row}, Spalte {column}, außerhalb eines Excel-Tabellenblatts ({MAX_SHEET_ROWS} Zeilen, {MAX_SHEET_COLUMNS} Spalten)"
        ),
    )
}

/// Reads a spreadsheet, recognising its layout by its sheets.
pub fn read(file: &str, bytes: &[u8]) -> Dataset {
    let mut ds = Dataset::new("spreadsheet");
    if let Err(e) = read_book(file, bytes, &mut ds) {
        ds.diagnostics.push(
            Diagnostic::error(
                file,
                0,
                0,
                Said::both(
                    format!("cannot open spreadsheet: {}", e.english()),
                    format!("Die Tabellendatei lässt sich nicht öffnen: {}", e.german()),
                ),
            )
            .with_hint(Said::both(
                "is the file an intact XLSX or XLS file?",
                "Ist die Datei eine unbeschädigte XLSX- oder XLS-Datei?",
            )),
        );
    }
    ds.finish(file);
    ds
}

/// A cell of a plain table sheet: text, or a number as the spreadsheet holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Plain {
    /// Text (trimmed; an empty cell is empty text).
    Text(String),
    /// A number, never turned into text and back.
    Number(f64),
}

impl Plain {
    /// The cell as text (a number in plain notation, `12.5`).
    pub fn text(&self) -> String {
        match self {
            Plain::Text(t) => t.clone(),
            Plain::Number(x) => cell_text(&Data::Float(*x)),
        }
    }
}

/// The first sheet of an XLSX or XLS file as rows of cells, from its first row, with the same
/// caps and guards as every spreadsheet read (for tables the workspace reads back, such as its
/// own measure export).
pub fn first_sheet(bytes: &[u8]) -> Result<Vec<Vec<Plain>>, Said> {
    with_book(bytes, |wb| {
        let Some(name) = wb.sheet_names().into_iter().next() else {
            return Err(Said::both(
                "the workbook has no sheet",
                "die Arbeitsmappe hat kein Tabellenblatt",
            ));
        };
        let range = wb.range(&name)?;
        let (top, _) = range.start().unwrap_or((0, 0));
        let mut rows: Vec<Vec<Plain>> = (0..top).map(|_| Vec::new()).collect();
        rows.extend(range.rows().map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Float(f) => Plain::Number(*f),
                    Data::Int(i) => Plain::Number(*i as f64),
                    other => Plain::Text(cell_text(other)),
                })
                .collect()
        }));
        Ok(rows)
    })
}

/// Opens a workbook (XLS after its check, XLSX within the caps) and hands it to `f`.
fn with_book<T>(bytes: &[u8], f: impl FnOnce(&mut Book<'_>) -> Result<T, Said>) -> Result<T, Said> {
    // Declared before the workbook, which borrows it.
    let checked;
    let mut wb = if bytes.starts_with(&sheet_check::OLE_SIGNATURE) {
        checked = sheet_check::xls(bytes, MAX_SHEET_CELLS)?;
        let data: &[u8] = &checked;
        Book::Xls(Box::new(guarded(|| {
            Xls::new(Cursor::new(data)).map_err(verbatim)
        })?))
    } else if bytes.starts_with(b"PK") {
        sheet_check::xlsx(bytes, MAX_UNPACKED_BYTES, MAX_SHEET_CELLS)?;
        Book::Xlsx(Box::new(guarded(|| {
            Xlsx::new(Cursor::new(bytes)).map_err(verbatim)
        })?))
    } else {
        return Err(Said::both(
            "the file is neither XLSX nor XLS",
            "die Datei ist weder XLSX noch XLS",
        ));
    };
    f(&mut wb)
}

fn read_book(file: &str, bytes: &[u8], ds: &mut Dataset) -> Result<(), Said> {
    with_book(bytes, |wb| {
        read_layout(file, wb, ds);
        Ok(())
    })
}

/// Reads the workbook by the layout its sheet names reveal.
fn read_layout(file: &str, wb: &mut Book<'_>, ds: &mut Dataset) {
    let names = wb.sheet_names();
    if let Some(n) = names
        .iter()
        .find(|n| n.starts_with("Onlineprodukt_Gemeinden"))
    {
        ds.format = "gv-auszug".into();
        match wb.range(n) {
            Ok(r) => read_register(file, n, &r, ds),
            Err(e) => ds.diagnostics.push(unreadable_sheet(file, n, &e)),
        }
    } else if names.iter().any(|n| n == "Daten") {
        ds.format = "inkar-xls".into();
        let meta = wb.range("Metadaten").ok();
        match wb.range("Daten") {
            Ok(r) => read_inkar(file, &r, meta.as_ref(), ds),
            Err(e) => ds.diagnostics.push(unreadable_sheet(file, "Daten", &e)),
        }
    } else {
        ds.diagnostics.push(unknown_layout(file, &names));
    }
}

/// A sheet the spreadsheet reader cannot read, for the reason `e`.
fn unreadable_sheet(file: &str, sheet: &str, e: &Said) -> Diagnostic {
    Diagnostic::error(
        file,
        0,
        0,
        Said::both(
            format!("cannot read sheet {sheet}: {}", e.english()),
            format!(
                "Das Tabellenblatt {sheet} lässt sich nicht lesen: {}",
                e.german()
            ),
        ),
    )
}

/// A workbook with none of the sheets this module reads.
fn unknown_layout(file: &str, names: &[String]) -> Diagnostic {
    let names = names.join(", ");
    Diagnostic::error(
        file,
        0,
        0,
        Said::both(
            format!("unknown spreadsheet layout (sheets: {names})"),
            format!("Unbekannter Aufbau der Tabellendatei (Tabellenblätter: {names})"),
        ),
    )
    .with_hint(Said::both(
        "supported: the Destatis register extract (sheet Onlineprodukt_Gemeinden…) and INKAR exports (sheet Daten); other tables: save as long CSV",
        "Unterstützt: der Auszug aus dem Gemeindeverzeichnis von Destatis (Tabellenblatt Onlineprodukt_Gemeinden…) und INKAR-Exporte (Tabellenblatt Daten); andere Tabellen als Lang-CSV speichern",
    ))
}

fn read_register(file: &str, sheet: &str, r: &Range<Data>, ds: &mut Dataset) {
    // The Gebietsstand is written in the header ("Gebietsstand am 30.06.2024 (2. Quartal)").
    let date = r.rows().take(10).flat_map(row_text).find_map(|c| {
        c.strip_prefix("Gebietsstand am ")
            .and_then(|s| Period::parse(prefix_chars(s, 10)).ok())
    });
    let Some(date) = date else {
        ds.diagnostics.push(Diagnostic::error(
            file,
            0,
            0,
            Said::both(
                format!("sheet {sheet}: no `Gebietsstand am dd.mm.yyyy` in the header"),
                format!(
                    "Tabellenblatt {sheet}: kein „Gebietsstand am TT.MM.JJJJ“ in den Kopfzeilen"
                ),
            ),
        ));
        return;
    };
    // Rows are turned into text one at a time, so a large sheet is not held twice.
    for (i, row) in r.rows().map(row_text).enumerate() {
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
                    Said::both(
                        format!("sheet {sheet}: {e}"),
                        format!("Tabellenblatt {sheet}: {}", e.german()),
                    ),
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

fn read_inkar(file: &str, r: &Range<Data>, meta: Option<&Range<Data>>, ds: &mut Dataset) {
    let mut rows = r.rows().map(row_text);
    let (Some(names), Some(years)) = (rows.next(), rows.next()) else {
        ds.diagnostics.push(not_inkar(file));
        return;
    };
    if names.first().map(String::as_str) != Some("Kennziffer") {
        ds.diagnostics.push(not_inkar(file));
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
    for (c, name) in names.iter().enumerate().skip(3) {
        let name = name.trim().to_string();
        let year = years.get(c).cloned().unwrap_or_default();
        let period = match Period::parse(&year) {
            Ok(p) => p,
            Err(e) => {
                ds.diagnostics
                    .push(Diagnostic::error(file, 2, c + 1, e.said()));
                return;
            }
        };
        let label = long_names
            .iter()
            .find(|(k, _)| k.trim() == name)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| name.clone());
        let code = format!("INKAR_{}", slug(&name));
        // INKAR publishes indicators (rates, shares, averages), never counts.
        ds.kinds.insert(code.clone(), MeasureKind::NotAdditive);
        let m = ds.intern_measure(Measure {
            code,
            label,
            unit: String::new(),
            statistic: "INKAR 2018".into(),
        });
        cols.push((c, m, period));
    }
    for (i, row) in rows.enumerate().map(|(i, r)| (i + 2, r)) {
        if row.iter().all(|c| c.is_empty()) {
            continue;
        }
        ds.rows_read += 1;
        let id = row.first().map(|s| s.trim()).unwrap_or("");
        let agg = row.get(2).map(String::as_str).unwrap_or("");
        // Kreise are written with three trailing zeros (14522000); the key is the first five.
        let key = if agg.contains("Kreis") && id.chars().count() == 8 {
            prefix_chars(id, 5)
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
                    Said::both(
                        format!("sheet Daten: {e}"),
                        format!("Tabellenblatt Daten: {}", e.german()),
                    ),
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
                    Said::both(
                        format!("sheet Daten: {e}"),
                        format!("Tabellenblatt Daten: {}", e.german()),
                    ),
                )),
            }
        }
    }
}

/// A sheet `Daten` that does not have INKAR's layout.
fn not_inkar(file: &str) -> Diagnostic {
    Diagnostic::error(
        file,
        1,
        1,
        Said::both(
            "sheet Daten does not start with `Kennziffer`",
            "Das Tabellenblatt Daten beginnt nicht mit `Kennziffer`",
        ),
    )
    .with_hint(Said::both(
        "is this an INKAR export?",
        "Ist dies ein INKAR-Export?",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 11: an INKAR id of eight bytes was cut at byte five, inside an umlaut.
    #[test]
    fn an_inkar_id_with_an_umlaut_is_an_error_not_a_panic() {
        let mut r: Range<Data> = Range::new((0, 0), (2, 3));
        for (c, h) in ["Kennziffer", "Raumeinheit", "Aggregat", "xy"]
            .iter()
            .enumerate()
        {
            r.set_value((0, c as u32), Data::String(h.to_string()));
        }
        r.set_value((1, 3), Data::Int(2016));
        r.set_value((2, 0), Data::String("abcdä12".into()));
        r.set_value((2, 2), Data::String("Kreise".into()));
        r.set_value((2, 3), Data::Float(1.5));
        let mut ds = Dataset::new("inkar-xls");
        read_inkar("f.xls", &r, None, &mut ds);
        assert!(ds.observations.is_empty());
        assert!(
            ds.diagnostics
                .iter()
                .any(|d| d.line == 3 && d.message.english().contains("sheet Daten")),
            "{:?}",
            ds.diagnostics
        );
    }
}
