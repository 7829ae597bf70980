//! What planners write and make in the workspace: the social report's commentary per chapter,
//! every saved version kept, and the reports made from the browser, kept with the data version
//! they were made from. On both backends through [`crate::accounts::Sql`], each change with its
//! audit event in one transaction.

use base64::Engine as _;

use crate::accounts::{Sql, Step, event_step, first_id, int};
use crate::transfer::{Field, Ty};
use crate::{AuditEvent, Result, StoreError};

/// One saved version of a chapter's commentary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentaryVersion {
    /// Id (versions of a chapter in order).
    pub id: i64,
    /// The district's key.
    pub kreis: String,
    /// The chapter's slug (`zusammenfassung`, `wohnen`, …).
    pub chapter: String,
    /// Markdown.
    pub body: String,
    /// Who saved it.
    pub author: String,
    /// When (Unix seconds).
    pub at: i64,
}

/// A report made in the workspace (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportInfo {
    /// Id.
    pub id: i64,
    /// What: `sozialbericht`.
    pub kind: String,
    /// The region it is about.
    pub region_key: String,
    /// The import batch the data was computed from.
    pub data_version: i64,
    /// When it was made (Unix seconds).
    pub created_at: i64,
    /// Who started it.
    pub author: String,
    /// Size of the PDF.
    pub bytes: i64,
}

/// Commentary and reports.
pub trait Writing {
    /// Saves a new version of a chapter's commentary; its id.
    fn save_commentary(&mut self, v: &CommentaryVersion, event: &AuditEvent) -> Result<i64>;
    /// The newest version of every chapter of a district, by chapter.
    fn commentary(&self, kreis: &str) -> Result<Vec<CommentaryVersion>>;
    /// Every version of one chapter, newest first.
    fn commentary_versions(&self, kreis: &str, chapter: &str) -> Result<Vec<CommentaryVersion>>;
    /// Keeps a report; its id.
    fn save_report(&mut self, r: &ReportInfo, pdf: &[u8], event: &AuditEvent) -> Result<i64>;
    /// Keeps several reports made together (the profiles of a district's municipalities) in one
    /// transaction with one audit event; their ids in order.
    fn save_reports(
        &mut self,
        files: &[(ReportInfo, Vec<u8>)],
        event: &AuditEvent,
    ) -> Result<Vec<i64>>;
    /// The reports of a region, newest first.
    fn reports(&self, region_key: &str) -> Result<Vec<ReportInfo>>;
    /// The reports of one kind for the regions whose keys begin with `under` (a district's
    /// municipalities), newest first. A key of anything but letters and digits finds nothing.
    fn reports_of(&self, kind: &str, under: &str) -> Result<Vec<ReportInfo>>;
    /// One report with its PDF.
    fn report(&self, id: i64) -> Result<Option<(ReportInfo, Vec<u8>)>>;
}

const VERSION_COLS: &str = "id, kreis, chapter, body, author, at";
const VERSION_TYPES: [Ty; 6] = [Ty::Int, Ty::Text, Ty::Text, Ty::Text, Ty::Text, Ty::Int];
const REPORT_COLS: &str = "id, kind, region_key, data_version, created_at, author, bytes";
const REPORT_TYPES: [Ty; 8] = [
    Ty::Int,
    Ty::Text,
    Ty::Text,
    Ty::Int,
    Ty::Int,
    Ty::Text,
    Ty::Int,
    Ty::Text,
];

fn text(f: &Field) -> String {
    match f {
        Field::Text(s) => s.clone(),
        _ => String::new(),
    }
}

fn version_of(r: &[Field]) -> CommentaryVersion {
    CommentaryVersion {
        id: int(&r[0]),
        kreis: text(&r[1]),
        chapter: text(&r[2]),
        body: text(&r[3]),
        author: text(&r[4]),
        at: int(&r[5]),
    }
}

fn report_of(r: &[Field]) -> ReportInfo {
    ReportInfo {
        id: int(&r[0]),
        kind: text(&r[1]),
        region_key: text(&r[2]),
        data_version: int(&r[3]),
        created_at: int(&r[4]),
        author: text(&r[5]),
        bytes: int(&r[6]),
    }
}

impl<T: Sql> Writing for T {
    fn save_commentary(&mut self, v: &CommentaryVersion, event: &AuditEvent) -> Result<i64> {
        let done = self.transact(&[
            Step {
                sql: "INSERT INTO commentary (kreis, chapter, body, author, at) \
                      VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                params: vec![
                    Field::Text(v.kreis.clone()),
                    Field::Text(v.chapter.clone()),
                    Field::Text(v.body.clone()),
                    Field::Text(v.author.clone()),
                    Field::Int(v.at),
                ],
                returns: &[Ty::Int],
                or_else: None,
                id_of: None,
            },
            event_step(event),
        ])?;
        first_id(&done)
    }

    fn commentary(&self, kreis: &str) -> Result<Vec<CommentaryVersion>> {
        let sql = format!(
            "SELECT {VERSION_COLS} FROM commentary c WHERE kreis = ?1 AND id = \
             (SELECT max(id) FROM commentary d WHERE d.kreis = c.kreis AND d.chapter = c.chapter) \
             ORDER BY chapter"
        );
        Ok(self
            .select(&sql, &[Field::Text(kreis.to_string())], &VERSION_TYPES)?
            .iter()
            .map(|r| version_of(r))
            .collect())
    }

    fn commentary_versions(&self, kreis: &str, chapter: &str) -> Result<Vec<CommentaryVersion>> {
        let sql = format!(
            "SELECT {VERSION_COLS} FROM commentary WHERE kreis = ?1 AND chapter = ?2 ORDER BY id DESC"
        );
        Ok(self
            .select(
                &sql,
                &[
                    Field::Text(kreis.to_string()),
                    Field::Text(chapter.to_string()),
                ],
                &VERSION_TYPES,
            )?
            .iter()
            .map(|r| version_of(r))
            .collect())
    }

    fn save_report(&mut self, r: &ReportInfo, pdf: &[u8], event: &AuditEvent) -> Result<i64> {
        let ids = self.save_reports(&[(r.clone(), pdf.to_vec())], event)?;
        ids.first()
            .copied()
            .ok_or_else(|| StoreError::Corrupt("a saved report has no id".into()))
    }

    fn save_reports(
        &mut self,
        files: &[(ReportInfo, Vec<u8>)],
        event: &AuditEvent,
    ) -> Result<Vec<i64>> {
        let mut steps: Vec<Step> = files
            .iter()
            .map(|(r, pdf)| Step {
                sql: "INSERT INTO report_file (kind, region_key, data_version, created_at, author, \
                      bytes, pdf_base64) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                params: vec![
                    Field::Text(r.kind.clone()),
                    Field::Text(r.region_key.clone()),
                    Field::Int(r.data_version),
                    Field::Int(r.created_at),
                    Field::Text(r.author.clone()),
                    Field::Int(pdf.len() as i64),
                    Field::Text(base64::engine::general_purpose::STANDARD.encode(pdf)),
                ],
                returns: &[Ty::Int],
                or_else: None,
                id_of: None,
            })
            .collect();
        steps.push(event_step(event));
        let done = self.transact(&steps)?;
        done.iter()
            .take(files.len())
            .map(|d| first_id(std::slice::from_ref(d)))
            .collect()
    }

    fn reports(&self, region_key: &str) -> Result<Vec<ReportInfo>> {
        let sql =
            format!("SELECT {REPORT_COLS} FROM report_file WHERE region_key = ?1 ORDER BY id DESC");
        Ok(self
            .select(
                &sql,
                &[Field::Text(region_key.to_string())],
                &REPORT_TYPES[..7],
            )?
            .iter()
            .map(|r| report_of(r))
            .collect())
    }

    fn reports_of(&self, kind: &str, under: &str) -> Result<Vec<ReportInfo>> {
        if !under.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {REPORT_COLS} FROM report_file WHERE kind = ?1 AND region_key LIKE ?2 \
             ORDER BY id DESC"
        );
        Ok(self
            .select(
                &sql,
                &[
                    Field::Text(kind.to_string()),
                    Field::Text(format!("{under}%")),
                ],
                &REPORT_TYPES[..7],
            )?
            .iter()
            .map(|r| report_of(r))
            .collect())
    }

    fn report(&self, id: i64) -> Result<Option<(ReportInfo, Vec<u8>)>> {
        let sql = format!("SELECT {REPORT_COLS}, pdf_base64 FROM report_file WHERE id = ?1");
        let rows = self.select(&sql, &[Field::Int(id)], &REPORT_TYPES)?;
        rows.first()
            .map(|r| {
                let pdf = base64::engine::general_purpose::STANDARD
                    .decode(text(&r[7]))
                    .map_err(|e| StoreError::Corrupt(format!("report {id}: {e}")))?;
                Ok((report_of(r), pdf))
            })
            .transpose()
    }
}

/// What undoing an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undone {
    /// The new batch that restored the values.
    pub batch: i64,
    /// Values set back to what they were before the undone import.
    pub restored: i64,
    /// Values the undone import had added and that are gone again (kept in the history).
    pub removed: i64,
}

/// Undoing an import batch.
pub trait Undo {
    /// Undoes the values of import `batch` that are still current: each goes back to the value
    /// before it, or, where the batch added the cell, the cell is removed. All of it is a new
    /// batch (`undo`), so the history keeps both the undone values and the undo. Values a later
    /// import has replaced stay as they are; registers, boundaries and catalogue entries of the
    /// batch are not touched. Once undone, a batch has no current values left to undo.
    fn undo_import(&mut self, batch: i64, by: &crate::Actor, now_iso: &str) -> Result<Undone>;
}

impl<T: Sql> Undo for T {
    fn undo_import(&mut self, batch: i64, by: &crate::Actor, now_iso: &str) -> Result<Undone> {
        let found = self.select(
            "SELECT file_name FROM import_batch WHERE id = ?1",
            &[Field::Int(batch)],
            &[Ty::Text],
        )?;
        let Some(file) = found.first().map(|r| text(&r[0])) else {
            return Err(StoreError::Conflict(format!("no import {batch}")));
        };

        // The undo batch is found by its unique mark, so the statements after its insert need
        // not know its id (one text for both backends).
        let mark = format!("undo:{batch}");
        let restore = "UPDATE observation SET num = h.num, sym = h.sym, fmt = h.fmt, raw = h.raw, \
             quality = h.quality, import_id = (SELECT id FROM import_batch WHERE sha256 = ?2) \
             FROM observation_history h \
             WHERE observation.import_id = ?1 AND h.superseded_by = ?1 \
             AND h.measure_id = observation.measure_id AND h.region_id = observation.region_id \
             AND h.period = observation.period AND h.breakdown_id = observation.breakdown_id";
        let keep = "INSERT INTO observation_history (measure_id, region_id, period, breakdown_id, \
             num, sym, fmt, raw, quality, import_id, superseded_by) \
             SELECT measure_id, region_id, period, breakdown_id, num, sym, fmt, raw, quality, \
             import_id, (SELECT id FROM import_batch WHERE sha256 = ?2) \
             FROM observation WHERE import_id = ?1";
        let counts = "UPDATE import_batch SET \
             rows_stored = (SELECT count(*) FROM observation WHERE import_id = import_batch.id), \
             rows_revised = (SELECT count(*) FROM observation_history \
                             WHERE superseded_by = import_batch.id), \
             rows_read = (SELECT count(*) FROM observation_history \
                          WHERE superseded_by = import_batch.id) \
             WHERE sha256 = ?1";
        let both = || vec![Field::Int(batch), Field::Text(mark.clone())];
        let plain = |sql, params| Step {
            sql,
            params,
            returns: &[],
            or_else: None,
            id_of: None,
        };
        let done = self.transact(&[
            // Inside the transaction, so that two undos of one batch cannot both pass.
            Step {
                sql: "UPDATE import_batch SET rows_read = rows_read WHERE id = ?1 \
                      AND EXISTS (SELECT 1 FROM observation WHERE import_id = ?1)",
                params: vec![Field::Int(batch)],
                returns: &[],
                or_else: Some(format!("import {batch} has no current values to undo")),
                id_of: None,
            },
            Step {
                sql: "INSERT INTO import_batch (file_name, sha256, format, rows_read, rows_stored, \
                      rows_revised, rows_unchanged, rows_skipped, diagnostics, imported_at, \
                      duration_ms, contents) \
                      VALUES (?1, ?2, 'undo', 0, 0, 0, 0, 0, '[]', ?3, 0, '[]') RETURNING id",
                params: vec![
                    Field::Text(format!("Rücknahme von Import Nr. {batch} ({file})")),
                    Field::Text(mark.clone()),
                    Field::Text(now_iso.to_string()),
                ],
                returns: &[Ty::Int],
                or_else: None,
                id_of: None,
            },
            plain(restore, both()),
            plain(keep, both()),
            plain(
                "DELETE FROM observation WHERE import_id = ?1",
                vec![Field::Int(batch)],
            ),
            plain(counts, vec![Field::Text(mark.clone())]),
            event_step(
                &AuditEvent::new(
                    by.at,
                    &by.name,
                    "import.undo",
                    &format!("Import Nr. {batch}"),
                )
                .values(
                    Some(file.clone()),
                    Some(format!("undone by the batch marked {mark}")),
                ),
            ),
        ])?;
        let id = first_id(&done[1..])?;
        let restored = done.get(2).map_or(0, |d| d.1 as i64);
        let removed = done.get(4).map_or(0, |d| d.1 as i64);
        Ok(Undone {
            batch: id,
            restored,
            removed,
        })
    }
}
