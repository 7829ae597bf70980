//! Tables that planners fill in or export, read back: CSV (`;` or `,`, UTF-8 or Windows-1252,
//! the `'` the CSV export puts before a would-be formula taken off again) or the first sheet of
//! an XLSX/XLS file, with the same caps as every upload. A row is read by column name, and every
//! refusal names the file, the line and the column.

use sozialmonitor_import::sheet::{Plain, first_sheet};
use sozialmonitor_import::text::{decode, records, split_sep};
use sozialmonitor_web::downloads::restore;

use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::Response;

use crate::Workspace;
use crate::delivery::read_upload;
use crate::guard::CsrfInBody;
use crate::pages::refusal;
use crate::planning::german_or_plain_number;

/// The most rows a table may have: far more than any district's measures or services.
pub(crate) const MAX_ROWS: usize = 5_000;

pub(crate) fn too_long(name: &str) -> String {
    format!("{name}: mehr als {MAX_ROWS} Zeilen; so viele Einträge hat kein Kreis")
}

/// The largest table: a district's measures or services fit in far less. Uploads of data
/// (hundreds of megabytes) have their own, larger limit.
pub(crate) const MAX_TABLE_BYTES: usize = 8 << 20;

/// A table's rows as cells, with their line numbers (1-based, as a spreadsheet counts).
pub(crate) type Rows = Vec<(usize, Vec<Plain>)>;

/// The rows of a CSV (`;` or `,`, UTF-8 or Windows-1252) or XLSX/XLS file.
pub(crate) fn table(name: &str, bytes: &[u8]) -> Result<Rows, String> {
    if bytes.starts_with(b"PK") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        let rows = first_sheet(bytes).map_err(|e| format!("{name}: {}", e.german()))?;
        if rows.len() > MAX_ROWS {
            return Err(too_long(name));
        }
        return Ok(rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i + 1, r))
            .collect());
    }
    let (text, _) = decode(name, bytes).map_err(|d| d.german())?;
    let recs = records(&text);
    if recs.len() > MAX_ROWS {
        return Err(too_long(name));
    }
    let sep = match recs.first() {
        Some((_, head)) if !head.contains(';') && head.contains(',') => b',',
        _ => b';',
    };
    let mut fields = Vec::new();
    Ok(recs
        .iter()
        .filter(|(_, r)| !r.trim().is_empty())
        .map(|(n, r)| {
            split_sep(r, sep, &mut fields);
            let cells = fields
                .iter()
                .map(|f| Plain::Text(restore(f.trim()).into_owned()))
                .collect();
            (*n, cells)
        })
        .collect())
}

/// One row read by column name.
pub(crate) struct Row<'a> {
    pub(crate) name: &'a str,
    pub(crate) line: usize,
    pub(crate) cells: &'a [Plain],
    pub(crate) head: &'a [String],
}

impl Row<'_> {
    pub(crate) fn cell(&self, column: &str) -> Option<&Plain> {
        let i = self.head.iter().position(|h| h == column)?;
        self.cells.get(i)
    }

    pub(crate) fn text(&self, column: &str) -> String {
        self.cell(column).map(Plain::text).unwrap_or_default()
    }

    pub(crate) fn wrong(&self, column: &str, why: &str) -> String {
        format!(
            "{}, Zeile {}, Spalte „{column}“: {why}",
            self.name, self.line
        )
    }

    pub(crate) fn number(&self, column: &str) -> Result<Option<f64>, String> {
        match self.cell(column) {
            Some(Plain::Number(x)) => Ok(Some(*x)),
            Some(Plain::Text(t)) if !t.trim().is_empty() => german_or_plain_number(t)
                .map(Some)
                .ok_or_else(|| self.wrong(column, &format!("„{t}“ ist keine Zahl"))),
            _ => Ok(None),
        }
    }

    pub(crate) fn yes_no(&self, column: &str) -> Result<bool, String> {
        match self.text(column).trim().to_lowercase().as_str() {
            "ja" | "1" | "x" | "wahr" => Ok(true),
            "nein" | "0" | "" | "falsch" => Ok(false),
            other => Err(self.wrong(column, &format!("„{other}“: erwartet wird ja oder nein"))),
        }
    }
}

/// The header of a table, lower case, for reading rows by column name; refused when a needed
/// column is missing.
pub(crate) fn head(
    name: &str,
    rows: &Rows,
    needed: &[&str],
    hint: &str,
) -> Result<Vec<String>, String> {
    let Some((_, head)) = rows.first() else {
        return Err(format!("{name}: die Tabelle ist leer"));
    };
    let head: Vec<String> = head
        .iter()
        .map(|c| c.text().trim().to_lowercase())
        .collect();
    for n in needed {
        if !head.iter().any(|h| h == n) {
            return Err(format!("{name}, Zeile 1: die Spalte „{n}“ fehlt ({hint})"));
        }
    }
    Ok(head)
}

/// The one table file of an upload form (its CSRF token checked, within [`MAX_TABLE_BYTES`]
/// and the workspace's upload limit): its name and bytes, or the refusal page.
pub(crate) async fn uploaded_table(
    ws: &Workspace,
    csrf: Option<CsrfInBody>,
    mp: &mut Multipart,
) -> Result<(String, Vec<u8>), Response> {
    let refused = |status, why: &str| refusal(status, "Nicht eingelesen", why);
    let Some(CsrfInBody(csrf)) = csrf else {
        return Err(refused(
            StatusCode::BAD_REQUEST,
            "Bitte wählen Sie die Datei im Formular aus.",
        ));
    };
    let limit = MAX_TABLE_BYTES.min(ws.inner.settings.max_upload_bytes);
    let files = read_upload(mp, &csrf, limit)
        .await
        .map_err(|(status, why)| refused(status, &why))?;
    files
        .into_iter()
        .next()
        .ok_or_else(|| refused(StatusCode::BAD_REQUEST, "Es wurde keine Datei ausgewählt."))
}

/// A workbook of one sheet whose cells are all text (as a table's export is read back: a
/// postcode keeps its leading 0, a decimal comma stays as written), the header in bold.
pub(crate) fn text_workbook(
    sheet: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    let bold = Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    // String cells are never evaluated by a spreadsheet: nothing to defuse.
    for (i, r) in rows.iter().enumerate() {
        for (c, cell) in r.iter().enumerate().filter(|(_, x)| !x.is_empty()) {
            ws.write_string(i as u32 + 1, c as u16, cell)?;
        }
    }
    wb.save_to_buffer()
}
