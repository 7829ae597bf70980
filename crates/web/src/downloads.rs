//! Downloads of exactly what the indicator page shows: the table as CSV or XLSX, the map and
//! the time series as SVG.

use std::borrow::Cow;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sozialmonitor_viz::chart::lines;

use crate::query::Params;
use crate::{Shared, api, pages, site};

/// The columns of the table downloads. `Wert` stays a number a spreadsheet can compute with, so
/// an incomplete sum is said in `Hinweis` rather than marked `*` beside the number.
const COLUMNS: [&str; 6] = ["Schlüssel", "Gebiet", "Jahr", "Wert", "Einheit", "Hinweis"];

/// The note in `Hinweis`: „unvollständig“ for a sum with missing parts, the source of a value
/// that is not our own computation (`Quelle: INKAR 2024, BBSR Bonn`) and the series break before
/// the first value on a new basis.
fn note(ind: &site::Indicator, r: usize, year: u16) -> String {
    let mut notes = Vec::new();
    if ind.incomplete(r, year) {
        notes.push("unvollständig".to_string());
    }
    if let Some(s) = ind.source_of(r, year) {
        notes.push(format!("Quelle: {s}"));
    }
    if let Some(b) = ind.break_at(r, year) {
        notes.push(format!("erster Wert nach Zeitreihenbruch: {}", b.title));
    }
    notes.join("; ")
}

/// The source line below the table, with the symbols and the note it may hold.
fn source_line(ind: &site::Indicator, licence: &str) -> String {
    format!(
        "Quelle: {}; {licence}; \".\" = gesperrt (Geheimhaltung); Hinweis \"unvollständig\" = Summe, für die nicht alle Teilgebiete Werte haben",
        ind.entry.source
    )
}

/// `/indikator/KEY/FILE?gebiet=&jahr=&methode=&klassen=`.
pub(crate) async fn indicator_file(
    State(site): State<Shared>,
    Path((key, file)): Path<(String, String)>,
    q: Params,
) -> Response {
    let Some(ind) = site.indicator(&key) else {
        return api::error(
            StatusCode::NOT_FOUND,
            "unknown_indicator",
            "no such indicator",
        );
    };
    let v = match pages::View::parse(&site, ind, &q) {
        Ok(v) => v,
        Err(m) => return api::error(StatusCode::BAD_REQUEST, "bad_request", &m),
    };
    let set = site::facts::map_regions(&site, ind, v.region, v.year);
    // The indicator key is one of ours (it was found in the catalogue), so the file name is
    // plain ASCII.
    let name = format!("{}_{}", ind.entry.key, v.year);
    let attach = |ext: &str| format!("attachment; filename=\"{name}.{ext}\"");
    match file.as_str() {
        "daten.csv" => match csv_table(&site, ind, &set, v.year) {
            Ok(bytes) => (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, attach("csv")),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => {
                tracing::error!(error = %e, "writing a CSV download failed");
                api::error(StatusCode::INTERNAL_SERVER_ERROR, "csv", "internal error")
            }
        },
        "daten.xlsx" => match xlsx(&site, ind, &set, v.year) {
            Ok(bytes) => (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_string(),
                    ),
                    (header::CONTENT_DISPOSITION, attach("xlsx")),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => {
                tracing::error!(error = %e, "writing an XLSX download failed");
                api::error(StatusCode::INTERNAL_SERVER_ERROR, "xlsx", "internal error")
            }
        },
        "karte.svg" => {
            let (svg, _) = pages::map_and_table(
                &site, ind, &set, v.region, v.year, &v.method, v.classes, None,
            );
            svg_response(svg, attach("svg"))
        }
        "zeitreihe.svg" => {
            let ls = site::facts::series_lines(
                &site,
                ind,
                &site::facts::series_regions(&site, ind, v.region),
            );
            let svg = lines(
                &ls,
                &format!("{}: Zeitreihe", ind.entry.short_name),
                &format!("Entwicklung von {}", site.regions[v.region].name),
                ind.decimals,
                640.0,
            );
            svg_response(svg, attach("svg"))
        }
        _ => api::error(StatusCode::NOT_FOUND, "not_found", "no such download"),
    }
}

fn svg_response(svg: String, disposition: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        svg,
    )
        .into_response()
}

/// The table as CSV for German spreadsheets: UTF-8 with BOM, `;` between fields, decimal
/// commas, every field quoted, and text that a spreadsheet would run as a formula defused.
pub fn csv_table(
    site: &site::Site,
    ind: &site::Indicator,
    set: &[usize],
    year: u16,
) -> Result<Vec<u8>, csv::Error> {
    let builder = {
        let mut b = csv::WriterBuilder::new();
        b.delimiter(b';')
            .quote_style(csv::QuoteStyle::Always)
            .terminator(csv::Terminator::CRLF)
            .flexible(true);
        b
    };
    let mut w = builder.from_writer("\u{feff}".as_bytes().to_vec());
    w.write_record(COLUMNS)?;
    let y = year.to_string();
    for &r in set {
        let value = ind.text(r, year);
        let cells = [
            neutralise(&site.regions[r].key),
            neutralise(&site.regions[r].name),
            Cow::Borrowed(y.as_str()),
            neutralise(&value),
            neutralise(&ind.entry.unit),
            neutralise(&note(ind, r, year)).into_owned().into(),
        ];
        w.write_record(cells.iter().map(|c| c.as_bytes()))?;
    }
    // An empty line, then the source: the writer would write an empty record as `""`.
    let mut out = w.into_inner().map_err(|e| e.into_error())?;
    out.extend_from_slice(b"\r\n");
    let mut w = builder.from_writer(out);
    let source = source_line(ind, "Datenlizenz Deutschland – Namensnennung – Version 2.0");
    w.write_record([source.as_bytes()])?;
    Ok(w.into_inner().map_err(|e| e.into_error())?)
}

/// A text cell as a spreadsheet should show it: one that starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return would be run as a formula (CSV injection), so it gets a leading `'`.
/// Numbers in German format (`-1,5`, `+2`, `-1.234,5`) and the statistical symbols (`-` for
/// exactly zero, `.`, `...`, `/`, `x`, `–`) are data and stay as they are: a sign before
/// digits, dots and a comma is no formula.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_german_number(cell) && !is_symbol(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The inverse of [`neutralise`], for a CSV read back: the `'` it put before a cell is removed,
/// and only that one (a cell that merely starts with `'` stays as it is).
pub fn restore(cell: &str) -> Cow<'_, str> {
    match cell.strip_prefix('\'') {
        Some(rest) if neutralise(rest) == cell => Cow::Borrowed(rest),
        _ => Cow::Borrowed(cell),
    }
}

/// `-1,5`, `+2`, `-1.234,5`: an optional sign, digits with `.` between thousands, and
/// optional decimals after a comma.
fn is_german_number(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = s.split_once(',').unwrap_or((s, ""));
    let int_ok = !int.is_empty()
        && int.split('.').enumerate().all(|(i, g)| {
            g.bytes().all(|b| b.is_ascii_digit()) && !g.is_empty() && (i == 0 || g.len() == 3)
        });
    int_ok && (frac.is_empty() || frac.bytes().all(|b| b.is_ascii_digit())) && !s.ends_with(',')
}

fn is_symbol(s: &str) -> bool {
    matches!(s, "-" | "." | "..." | "/" | "x" | "–")
}

fn xlsx(
    site: &site::Site,
    ind: &site::Indicator,
    set: &[usize],
    year: u16,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Daten")?;
    let bold = Format::new().set_bold();
    for (c, h) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let fmt = Format::new().set_num_format(if ind.decimals == 0 {
        "#,##0"
    } else {
        "#,##0.0"
    });
    // Text goes in as string cells, which a spreadsheet never evaluates, so XLSX needs no
    // neutralising.
    for (i, &r) in set.iter().enumerate() {
        let row = i as u32 + 1;
        ws.write_string(row, 0, &site.regions[r].key)?;
        ws.write_string(row, 1, &site.regions[r].name)?;
        ws.write_number(row, 2, f64::from(year))?;
        match ind.num(r, year) {
            Some(n) => ws.write_number_with_format(row, 3, n, &fmt)?,
            None => ws.write_string(row, 3, ind.text(r, year))?,
        };
        ws.write_string(row, 4, &ind.entry.unit)?;
        let n = note(ind, r, year);
        if !n.is_empty() {
            ws.write_string(row, 5, &n)?;
        }
    }
    let n = set.len() as u32 + 2;
    ws.write_string(n, 0, source_line(ind, "dl-de/by-2-0"))?;
    ws.set_column_width(1, 32)?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_numbers_and_symbols_are_not() {
        for (cell, want) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+49 30 1234", "'+49 30 1234"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("-", "-"),
            ("-1,5", "-1,5"),
            ("+2", "+2"),
            ("-1.234,5", "-1.234,5"),
            ("-1.23,5", "'-1.23,5"),
            ("-,5", "'-,5"),
            ("-1,", "'-1,"),
            ("Altmittweida", "Altmittweida"),
            ("23,2", "23,2"),
            (".", "."),
        ] {
            assert_eq!(neutralise(cell), want, "{cell:?}");
            // Read back, the cell is what it was.
            assert_eq!(restore(want), cell, "{want:?}");
        }
        // A cell that merely starts with an apostrophe keeps it.
        for cell in ["'s Gärtle", "'-1,5", "''=x"] {
            assert_eq!(restore(cell), cell);
        }
    }
}
