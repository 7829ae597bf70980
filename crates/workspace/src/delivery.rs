//! Data delivery in the browser: upload one or more files, see a preview (what would be new,
//! revised, unchanged; which rows fail, beside their text), then commit or discard; and the
//! import history. The preview is the real import run in a transaction that is rolled back, so
//! it counts exactly what the commit will do; the commit imports each file in a transaction of
//! its own, as the command line does.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::Extension;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sozialmonitor_core::access::Permission;
use sozialmonitor_core::format::{german_datetime, unix_from_iso_utc};
use sozialmonitor_core::{Diagnostic, Said, Severity};
use sozialmonitor_import::Source;
use sozialmonitor_store::{
    Actor, Database, ImportBatch, ImportOptions, ImportOutcome, ImportSource, Store,
};
use sozialmonitor_viz::esc;

use crate::guard::{CsrfInBody, Form};
use crate::pages::{csrf_field, internal, page, refusal};
use crate::{Signed, Workspace, auth};

/// A delivery not decided within this many seconds is dropped.
const PENDING_SECONDS: i64 = 2 * 60 * 60;
/// Diagnostics shown per file (all are kept with the batch).
const SHOWN_DIAGNOSTICS: usize = 200;

/// What the preview found for one file.
enum Found {
    /// It would be imported as this batch.
    Would(ImportBatch),
    /// The identical file is imported already.
    Already(ImportBatch),
    /// It has an error about the whole file; nothing of it can be imported.
    Unusable,
}

/// One checked file of a delivery.
struct Checked {
    source: Source,
    format: String,
    found: Found,
    diagnostics: Vec<Diagnostic>,
    /// The text of the lines that diagnostics point at.
    lines: BTreeMap<usize, String>,
}

impl Checked {
    fn row_errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && d.line > 0)
            .map(|d| d.line)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    }
}

/// A delivery waiting for its decision.
struct Delivery {
    owner: i64,
    created: i64,
    files: Vec<Checked>,
    /// The measures the uploading department may deliver (`None`: no restriction), checked
    /// again at the commit.
    allowed: Option<BTreeSet<String>>,
}

impl Delivery {
    fn bytes(&self) -> usize {
        self.files.iter().map(|f| f.source.bytes.len()).sum()
    }
}

/// Deliveries waiting for a decision, by their random id.
#[derive(Default)]
pub struct Pending {
    map: Mutex<BTreeMap<String, Arc<Delivery>>>,
}

impl Pending {
    /// Keeps a checked delivery, replacing the owner's earlier one (one waits per account) and
    /// dropping expired ones; refused when the deliveries waiting would hold more than
    /// `budget` bytes.
    fn put(&self, id: String, d: Delivery, budget: usize) -> bool {
        let Ok(mut m) = self.map.lock() else {
            return false;
        };
        m.retain(|_, w| d.created - w.created <= PENDING_SECONDS && w.owner != d.owner);
        let held: usize = m.values().map(|w| w.bytes()).sum();
        if held + d.bytes() > budget {
            return false;
        }
        m.insert(id, Arc::new(d));
        true
    }

    fn get(&self, id: &str, owner: i64) -> Option<Arc<Delivery>> {
        let m = self.map.lock().ok()?;
        m.get(id).filter(|d| d.owner == owner).cloned()
    }

    fn take(&self, id: &str, owner: i64) -> Option<Arc<Delivery>> {
        let mut m = self.map.lock().ok()?;
        if m.get(id).is_some_and(|d| d.owner == owner) {
            m.remove(id)
        } else {
            None
        }
    }
}

/// `GET /arbeitsbereich/lieferung`: the upload form and the templates.
pub async fn form(State(ws): State<Workspace>, Extension(me): Extension<Signed>) -> Response {
    let options = template_options(&ws, &me).await;
    let templates = if options.is_empty() {
        String::new()
    } else {
        format!(
            r#"<h2>Vorlage für eine Lieferung von Hand</h2>
<p>Die Vorlage ist eine CSV-Datei im Lang-Format mit dem Kreis, seinen Gemeinden, den Merkmalen des Indikators und dem erwarteten Jahr; Sie tragen nur die Werte ein (Zahl oder Zeichen wie „.“) und laden die Datei oben hoch.</p>
<form class="controls" method="get" action="/arbeitsbereich/vorlage">
<label for="vorlage">Indikator<select id="vorlage" name="indikator">{options}</select></label>
<button type="submit">Vorlage herunterladen</button>
</form>"#
        )
    };
    upload_page(&ws, &me, &templates, StatusCode::OK)
}

fn upload_page(ws: &Workspace, me: &Signed, extra: &str, status: StatusCode) -> Response {
    // Messages (class "error") go above the form, the templates below it.
    let (message, below) = if extra.starts_with("<h2>") {
        ("", extra)
    } else {
        (extra, "")
    };
    let body = format!(
        r#"<h1>Daten liefern</h1>
<p class="lead">Laden Sie eine oder mehrere Dateien hoch. Sie werden zuerst nur geprüft: Sie sehen, welche Werte neu sind, welche sich ändern und welche Zeilen Fehler haben. Übernommen wird erst, wenn Sie es bestätigen.</p>
{message}
<form id="upload" class="stack" method="post" action="/arbeitsbereich/lieferung" enctype="multipart/form-data">{csrf}
<label for="dateien">Dateien <span class="hint">GENESIS-Export (ffcsv, flach, Tabelle, Würfel), Gemeindeverzeichnis GV100AD, INKAR, Lang-CSV, Tabellenblatt (XLSX/XLS), GeoJSON; auch gzip-komprimiert (.gz); zusammen höchstens {max} MB</span>
<input id="dateien" name="dateien" type="file" multiple required></label>
<p><button type="submit">Hochladen und prüfen</button></p>
<progress id="upload-progress" max="1" value="0" hidden></progress>
<p id="upload-status" role="status" aria-live="polite"></p>
</form>
{below}"#,
        csrf = csrf_field(me),
        max = ws.inner.settings.max_upload_bytes >> 20,
    );
    (status, page("Daten liefern", &body, Some(me))).into_response()
}

fn error_note(m: &str) -> String {
    format!(r#"<p class="error" role="alert">{}</p>"#, esc(m))
}

/// Reads the multipart body: the CSRF token first, then the files, within the size limit.
pub(crate) async fn read_upload(
    mp: &mut Multipart,
    csrf: &str,
    limit: usize,
) -> Result<Vec<(String, Vec<u8>)>, (StatusCode, String)> {
    let bad = |m: &str| (StatusCode::BAD_REQUEST, m.to_string());
    let first = mp
        .next_field()
        .await
        .map_err(|_| bad("Das Formular konnte nicht gelesen werden."))?;
    let token = match first {
        Some(f) if f.name() == Some("_csrf") => f.text().await.unwrap_or_default(),
        _ => String::new(),
    };
    if !auth::same_secret(&token, csrf) {
        return Err((
            StatusCode::FORBIDDEN,
            "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.".into(),
        ));
    }
    let mut files = Vec::new();
    let mut total = 0usize;
    while let Some(mut field) = mp
        .next_field()
        .await
        .map_err(|_| bad("Das Hochladen wurde unterbrochen."))?
    {
        if field.name() != Some("dateien") {
            continue;
        }
        let name = field
            .file_name()
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "upload".into());
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|_| bad("Das Hochladen wurde unterbrochen."))?
        {
            total += chunk.len();
            if total > limit {
                return Err((
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("Die Dateien sind zusammen größer als {} MB.", limit >> 20),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        if !bytes.is_empty() {
            files.push((name, bytes));
        }
    }
    if files.is_empty() {
        return Err(bad("Es wurde keine Datei ausgewählt."));
    }
    Ok(files)
}

/// Why a department may not deliver this dataset: a measure that none of its catalogue entries
/// reads, or registers, boundaries or catalogue entries, which only the planning team imports.
fn outside_department(
    ds: &sozialmonitor_core::Dataset,
    allowed: &BTreeSet<String>,
) -> Option<String> {
    if !ds.regions.is_empty() || !ds.boundaries.is_empty() || !ds.catalog.is_empty() {
        return Some("Verzeichnisse, Grenzen und Kataloge übernimmt die Sozialplanung.".into());
    }
    ds.measures
        .iter()
        .find(|m| !allowed.contains(&m.code))
        .map(|m| {
            format!(
                "Das Merkmal „{}“ gehört zu keinem Katalogeintrag Ihres Fachbereichs.",
                m.code
            )
        })
}

/// Why this account may not import this dataset, with a hint: a department's file outside its
/// entries, or a catalogue that weakens a confidentiality rule without the admin's permission
/// (the same rule as the catalogue's form).
fn not_deliverable(
    db: &Database,
    ds: &sozialmonitor_core::Dataset,
    allowed: Option<&BTreeSet<String>>,
    may_weaken: bool,
) -> anyhow::Result<Option<(String, &'static str)>> {
    if let Some(problem) = allowed.and_then(|a| outside_department(ds, a)) {
        let hint = "Ein Fachbereich liefert die Werte seiner eigenen Katalogeinträge; alles andere übernimmt die Sozialplanung.";
        return Ok(Some((problem, hint)));
    }
    if may_weaken || ds.catalog.is_empty() {
        return Ok(None);
    }
    let stored = db.indicators()?;
    let keys = sozialmonitor_core::catalog::weakened_confidentiality(&ds.catalog, &stored);
    Ok((!keys.is_empty()).then(|| {
        (
            format!(
                "Der Katalog setzt eine schwächere Geheimhaltung als min_count=3 für: {}.",
                keys.join(", ")
            ),
            "Das darf nur die Administration; oder die Regel im Katalog unverändert lassen.",
        )
    }))
}

/// The measures of an entry's formula that are delivered by hand: each once, in order, without
/// those an official statistic in the store supplies (statistic other than `manuell`, the long
/// CSV's): a population from the register is not asked of the health office.
fn by_hand(
    entry: &sozialmonitor_core::IndicatorEntry,
    measures: &[sozialmonitor_store::MeasureInfo],
) -> Vec<String> {
    let official = |c: &str| {
        measures
            .iter()
            .any(|m| m.code == c && m.statistic != "manuell")
    };
    let mut seen = BTreeSet::new();
    let mut codes = sozialmonitor_core::formula::measures(&entry.formula);
    codes.retain(|c| !official(c) && seen.insert(c.clone()));
    codes
}

/// The measures a provider's department delivers: those its catalogue entries read that no
/// official statistic in the store supplies; `None` for everyone else (no restriction).
async fn department_measures(
    ws: &Workspace,
    me: &Signed,
) -> anyhow::Result<Option<BTreeSet<String>>> {
    if me.account.role != sozialmonitor_core::access::Role::Provider {
        return Ok(None);
    }
    let me2 = me.clone();
    let (entries, measures) = ws.db(|db| Ok((db.indicators()?, db.measures()?))).await?;
    Ok(Some(
        entries
            .iter()
            .filter(|e| delivers_for(&me2, e))
            .flat_map(|e| {
                let own = by_hand(e, &measures);
                // As the template does: an entry without a measure of its own is delivered
                // under its key.
                if own.is_empty() {
                    vec![e.key.clone()]
                } else {
                    own
                }
            })
            .collect(),
    ))
}

/// The texts of the lines diagnostics point at (a text file's lines, as the importer numbers
/// them).
fn quoted_lines(source: &Source, diags: &[Diagnostic]) -> BTreeMap<usize, String> {
    let wanted: std::collections::BTreeSet<usize> = diags
        .iter()
        .filter(|d| d.line > 0)
        .map(|d| d.line)
        .take(SHOWN_DIAGNOSTICS)
        .collect();
    let Ok((text, _)) = sozialmonitor_import::text::decode(&source.name, &source.bytes) else {
        return BTreeMap::new();
    };
    text.split('\n')
        .enumerate()
        .filter(|(i, _)| wanted.contains(&(i + 1)))
        .map(|(i, l)| {
            let l = l.strip_suffix('\r').unwrap_or(l);
            // A line is shown, not kept whole: 500 characters say where the error is.
            (i + 1, l.chars().take(500).collect())
        })
        .collect()
}

/// Checks one file: unpack (within what is left of the upload's budget), parse, then the
/// import as a dry run on a connection of its own.
fn check(
    db: &mut Database,
    name: String,
    bytes: Vec<u8>,
    budget: &mut u64,
    allowed: Option<&BTreeSet<String>>,
    may_weaken: bool,
) -> anyhow::Result<Checked> {
    let unpacked = Source::unpacked(name.clone(), bytes, *budget);
    if let Ok(s) = &unpacked {
        *budget = budget.saturating_sub(s.bytes.len() as u64);
    }
    let source = match unpacked {
        Ok(s) => s,
        Err(e) => {
            let d = Diagnostic::error(
                &name,
                0,
                0,
                Said::german_only(format!("Die Datei lässt sich nicht entpacken: {e}")),
            );
            return Ok(Checked {
                source: Source::from_bytes(name, Vec::new()),
                format: "unknown".into(),
                found: Found::Unusable,
                diagnostics: vec![d],
                lines: BTreeMap::new(),
            });
        }
    };
    let mut ds = sozialmonitor_import::read(&source, None);
    if let Some((problem, hint)) = not_deliverable(db, &ds, allowed, may_weaken)? {
        ds.diagnostics.push(
            Diagnostic::error(&source.name, 0, 0, Said::german_only(problem))
                .with_hint(Said::german_only(hint)),
        );
        return Ok(Checked {
            format: ds.format.clone(),
            diagnostics: ds.diagnostics,
            source,
            found: Found::Unusable,
            lines: BTreeMap::new(),
        });
    }
    let outcome = db.import(
        &ImportSource {
            file_name: source.name.clone(),
            sha256: source.sha256.clone(),
        },
        &ds,
        ImportOptions {
            // The preview counts the good rows even when there are bad ones; whether they are
            // skipped is the user's decision at the commit.
            skip_bad_rows: true,
            dry_run: true,
        },
    )?;
    let found = match outcome {
        ImportOutcome::Previewed(b) | ImportOutcome::Imported(b) => Found::Would(b),
        ImportOutcome::AlreadyImported(b) => Found::Already(b),
        ImportOutcome::Rejected(_) => Found::Unusable,
    };
    let lines = quoted_lines(&source, &ds.diagnostics);
    Ok(Checked {
        format: ds.format.clone(),
        diagnostics: ds.diagnostics,
        source,
        found,
        lines,
    })
}

/// `POST /arbeitsbereich/lieferung` (multipart): checks every file and shows the preview.
pub async fn upload(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    csrf: Option<Extension<CsrfInBody>>,
    mut mp: Multipart,
) -> Response {
    let Some(CsrfInBody(csrf)) = csrf.map(|e| e.0) else {
        return upload_page(
            &ws,
            &me,
            &error_note("Bitte wählen Sie die Dateien im Formular aus."),
            StatusCode::BAD_REQUEST,
        );
    };
    let limit = ws.inner.settings.max_upload_bytes;
    let now = ws.now();
    let files = match read_upload(&mut mp, &csrf, limit).await {
        Ok(f) => f,
        Err((status, m)) => return upload_page(&ws, &me, &error_note(&m), status),
    };
    let allowed = match department_measures(&ws, &me).await {
        Ok(a) => a,
        Err(e) => return internal(&e),
    };
    let kept = allowed.clone();
    let may_weaken = me.account.role.may(Permission::WeakenConfidentiality);
    let location = ws.inner.location.clone();
    // Compressed files may unpack to four times the upload limit, all files of an upload
    // together.
    let mut budget = (limit as u64).saturating_mul(4);
    let checked = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Checked>> {
        let mut db = Database::open(&location)?;
        files
            .into_iter()
            .map(|(name, bytes)| {
                check(
                    &mut db,
                    name,
                    bytes,
                    &mut budget,
                    allowed.as_ref(),
                    may_weaken,
                )
            })
            .collect()
    })
    .await;
    let files = match checked {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => return internal(&e),
        Err(e) => return internal(&e.into()),
    };
    let Ok(id) = auth::token() else {
        return internal(&anyhow::anyhow!("no random numbers"));
    };
    let delivery = Delivery {
        owner: me.account.id,
        created: now,
        files,
        allowed: kept,
    };
    // Waiting deliveries hold their files in memory: one per account, at most two full
    // uploads' worth (unpacked) in all.
    let budget = limit.saturating_mul(4).saturating_mul(2);
    if !ws.inner.deliveries.put(id.clone(), delivery, budget) {
        return upload_page(
            &ws,
            &me,
            &error_note(
                "Zu viele Lieferungen warten auf ihre Entscheidung. Bitte versuchen Sie es später noch einmal.",
            ),
            StatusCode::SERVICE_UNAVAILABLE,
        );
    }
    Redirect::to(&format!("/arbeitsbereich/lieferung/{id}")).into_response()
}

/// One diagnostic as a table row, with the offending line and its field marked.
fn diagnostic_row(d: &Diagnostic, lines: &BTreeMap<usize, String>) -> String {
    let text = lines.get(&d.line).map_or(String::new(), |l| {
        let fields: Vec<&str> = l.split(';').collect();
        if d.column > 0 && d.column <= fields.len() && fields.len() > 1 {
            fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    if i + 1 == d.column {
                        format!(r#"<mark class="bad">{}</mark>"#, esc(f))
                    } else {
                        esc(f)
                    }
                })
                .collect::<Vec<_>>()
                .join(";")
        } else {
            esc(l)
        }
    });
    format!(
        "<tr><td>{sev}</td><td class=\"num\">{line}</td><td class=\"num\">{col}</td><td>{msg}</td><td>{hint}</td><td><pre>{text}</pre></td></tr>",
        sev = if d.severity == Severity::Error {
            "Fehler"
        } else {
            "Hinweis"
        },
        line = if d.line > 0 {
            d.line.to_string()
        } else {
            "ganze Datei".into()
        },
        col = if d.column > 0 {
            d.column.to_string()
        } else {
            "–".into()
        },
        msg = esc(d.message.german()),
        hint = esc(d.hint.as_ref().map_or("", Said::german)),
    )
}

/// What a file would change. Only for accounts that may read internal values: "unchanged"
/// and "changed" would otherwise let a data provider probe stored (also withheld) values by
/// uploading guesses.
fn counts(b: &ImportBatch, internal: bool) -> String {
    if !internal {
        return format!(
            r#"<dl class="meta"><dt>Zeilen gelesen</dt><dd>{}</dd><dt>Fehlerhafte Zeilen</dt><dd>{}</dd></dl>"#,
            de_int(b.rows_read),
            de_int(b.rows_skipped),
        );
    }
    format!(
        r#"<dl class="meta"><dt>Zeilen gelesen</dt><dd>{read}</dd><dt>Neue Werte</dt><dd>{new}</dd><dt>Geänderte Werte (die bisherigen bleiben als Revision erhalten)</dt><dd>{rev}</dd><dt>Unveränderte Werte</dt><dd>{same}</dd><dt>Fehlerhafte Zeilen</dt><dd>{bad}</dd></dl>"#,
        read = de_int(b.rows_read),
        new = de_int(b.rows_stored - b.rows_revised),
        rev = de_int(b.rows_revised),
        same = de_int(b.rows_unchanged),
        bad = de_int(b.rows_skipped),
    )
}

/// `1 Zeile hat`, `3 Zeilen haben`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", de_int(n as i64))
    }
}

fn de_int(n: i64) -> String {
    sozialmonitor_core::format::german_number(n as f64, 0)
}

/// `GET /arbeitsbereich/lieferung/{id}`: the preview and the decision.
pub async fn preview(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Path(id): Path<String>,
) -> Response {
    let Some(d) = ws.inner.deliveries.get(&id, me.account.id) else {
        return refusal(
            StatusCode::NOT_FOUND,
            "Lieferung nicht gefunden",
            "Diese Lieferung gibt es nicht (mehr): sie wurde übernommen, verworfen oder ist nach zwei Stunden verfallen.",
        );
    };
    preview_page(&d, &id, &me, None)
}

/// The preview of a delivery, with a message above the decision when it was refused.
fn preview_page(d: &Delivery, id: &str, me: &Signed, problem: Option<&str>) -> Response {
    let internal = me.account.role.may(Permission::ReadInternal);
    let mut sections = String::new();
    let mut any_row_errors = false;
    let mut any_importable = false;
    for f in &d.files {
        let errors = f.row_errors();
        any_row_errors |= errors > 0;
        let status = match &f.found {
            Found::Would(b) => {
                any_importable = true;
                let extra = if errors > 0 {
                    format!(
                        r#"<p class="note">{} Fehler. Übernehmen lässt sich diese Datei nur, wenn Sie unten wählen, fehlerhafte Zeilen auszulassen; besser ist, die Datei zu berichtigen und neu hochzuladen.</p>"#,
                        count(errors, "Zeile hat", "Zeilen haben")
                    )
                } else {
                    String::new()
                };
                format!(
                    r#"<p class="ok">Format {fmt}: lesbar.</p>{}{extra}"#,
                    counts(b, internal),
                    fmt = esc(&f.format)
                )
            }
            Found::Already(b) if internal => format!(
                r#"<p class="note">Genau diese Datei ist schon als Import Nr. {} ({}) übernommen; sie ändert nichts.</p>"#,
                b.id,
                esc(&b.file_name)
            ),
            Found::Already(_) => {
                r#"<p class="note">Genau diese Datei ist schon übernommen; sie ändert nichts.</p>"#
                    .to_string()
            }
            Found::Unusable => r#"<p class="error">Diese Datei kann nicht übernommen werden: der Fehler betrifft die ganze Datei.</p>"#.to_string(),
        };
        let shown: String = f
            .diagnostics
            .iter()
            .take(SHOWN_DIAGNOSTICS)
            .map(|d| diagnostic_row(d, &f.lines))
            .collect();
        let more = f.diagnostics.len().saturating_sub(SHOWN_DIAGNOSTICS);
        let table = if f.diagnostics.is_empty() {
            String::new()
        } else {
            format!(
                r#"<div class="table-wrap"><table><caption>Meldungen zu {name}{more}</caption>
<thead><tr><th scope="col">Art</th><th scope="col">Zeile</th><th scope="col">Spalte</th><th scope="col">Meldung</th><th scope="col">Hinweis</th><th scope="col">Inhalt der Zeile (die Spalte markiert)</th></tr></thead>
<tbody>{shown}</tbody></table></div>"#,
                name = esc(&f.source.name),
                more = if more > 0 {
                    format!(" (die ersten {SHOWN_DIAGNOSTICS}; {more} weitere)")
                } else {
                    String::new()
                },
            )
        };
        sections.push_str(&format!(
            "<section><h2>{}</h2>{status}{table}</section>",
            esc(&f.source.name)
        ));
    }
    let skip = if any_row_errors {
        r#"<p><label><input type="checkbox" name="auslassen" value="1"> Fehlerhafte Zeilen auslassen und die übrigen übernehmen (die ausgelassenen Zeilen werden beim Import vermerkt)</label></p>"#
    } else {
        ""
    };
    let commit = if any_importable {
        r#"<button type="submit" name="entscheidung" value="uebernehmen">Übernehmen</button> "#
    } else {
        ""
    };
    let body = format!(
        r#"<h1>Vorschau der Lieferung</h1>
<p class="lead">Geprüft am {when}. Noch ist nichts übernommen.</p>
{sections}
<h2>Entscheidung</h2>
{problem}
<form method="post" action="/arbeitsbereich/lieferung/{id}">{csrf}
{skip}
<p>{commit}<button type="submit" name="entscheidung" value="verwerfen" class="secondary">Verwerfen</button></p>
</form>
<p class="hint">Jede Datei wird für sich in einem Schritt übernommen: ganz oder gar nicht. Danach werden die Ergebnisse im Hintergrund neu berechnet; das öffentliche Dashboard zeigt die neuen Werte, sobald sie fertig sind.</p>"#,
        when = esc(&german_datetime(d.created)),
        id = esc(id),
        csrf = csrf_field(me),
        problem = problem.map_or(String::new(), error_note),
    );
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, page("Vorschau der Lieferung", &body, Some(me))).into_response()
}

/// `POST /arbeitsbereich/lieferung/{id}`: commit (each file in its own transaction, each with its
/// audit event) or discard.
pub async fn decide(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    let gone = || {
        refusal(
            StatusCode::NOT_FOUND,
            "Lieferung nicht gefunden",
            "Diese Lieferung gibt es nicht (mehr): sie wurde übernommen, verworfen oder ist verfallen.",
        )
    };
    let skip = form.get("auslassen") == "1";
    let commit = form.get("entscheidung") == "uebernehmen";
    match ws.inner.deliveries.get(&id, me.account.id) {
        None => return gone(),
        // Bad rows are left out only when the user said so; the delivery waits meanwhile.
        Some(d) if commit && !skip && d.files.iter().any(|f| f.row_errors() > 0) => {
            return preview_page(
                &d,
                &id,
                &me,
                Some(
                    "Einige Zeilen haben Fehler. Wählen Sie, die fehlerhaften Zeilen auszulassen, oder verwerfen Sie die Lieferung und laden Sie die berichtigte Datei hoch.",
                ),
            );
        }
        Some(_) => {}
    }
    let Some(d) = ws.inner.deliveries.take(&id, me.account.id) else {
        return gone();
    };
    if !commit {
        return Redirect::to("/arbeitsbereich/lieferung").into_response();
    }
    let by = Actor {
        name: me.account.login.clone(),
        at: ws.now(),
    };
    let location = ws.inner.location.clone();
    let may_weaken = me.account.role.may(Permission::WeakenConfidentiality);
    // Each file in its own transaction with its audit event; an error in one file undoes
    // nothing before it and is reported with the others' outcomes.
    let done = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Committed>> {
        let mut db = Database::open(&location)?;
        Ok(d.files
            .iter()
            .map(|f| {
                // A file the preview found unusable is never imported, whatever the form says;
                // nor one outside the department's measures (checked again on the re-read).
                if matches!(f.found, Found::Unusable) {
                    return (f.source.name.clone(), Ok(ImportOutcome::Rejected(f.diagnostics.clone())));
                }
                let ds = sozialmonitor_import::read(&f.source, None);
                match not_deliverable(&db, &ds, d.allowed.as_ref(), may_weaken) {
                    Ok(Some((problem, hint))) => {
                        let diag = Diagnostic::error(&f.source.name, 0, 0, Said::german_only(problem))
                            .with_hint(Said::german_only(hint));
                        return (f.source.name.clone(), Ok(ImportOutcome::Rejected(vec![diag])));
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::error!(error = %e, file = %f.source.name, "a delivery's check failed");
                        return (f.source.name.clone(), Err(()));
                    }
                }
                let source = ImportSource {
                    file_name: f.source.name.clone(),
                    sha256: f.source.sha256.clone(),
                };
                let opts = ImportOptions {
                    skip_bad_rows: skip,
                    dry_run: false,
                };
                let outcome = db.import_by(&source, &ds, opts, Some(&by)).map_err(|e| {
                    tracing::error!(error = %e, file = %f.source.name, "a delivery's import failed");
                });
                (f.source.name.clone(), outcome)
            })
            .collect())
    })
    .await;
    let results = match done {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return internal(&e),
        Err(e) => return internal(&e.into()),
    };
    let ids: Vec<String> = results
        .iter()
        .filter_map(|(_, r)| match r {
            Ok(ImportOutcome::Imported(b)) => Some(b.id.to_string()),
            _ => None,
        })
        .collect();
    if ids.len() == results.len() {
        let to = format!("/arbeitsbereich/importe?uebernommen={}", ids.join(","));
        return Redirect::to(&to).into_response();
    }
    commit_report(&results, &me)
}

/// A file of a commit and what became of it (`Err`: the database failed; logged).
type Committed = (String, Result<ImportOutcome, ()>);

/// The outcome of a commit where not every file was imported.
fn commit_report(results: &[Committed], me: &Signed) -> Response {
    let items: String = results
        .iter()
        .map(|(name, r)| {
            let what = match r {
                Ok(ImportOutcome::Imported(b)) => format!("übernommen als Import Nr. {}", b.id),
                Ok(ImportOutcome::AlreadyImported(_)) => {
                    "schon früher übernommen; nichts geändert".to_string()
                }
                Ok(ImportOutcome::Rejected(d)) => format!(
                    "nicht übernommen ({}); nichts geändert",
                    count(d.len(), "Meldung", "Meldungen")
                ),
                Ok(ImportOutcome::Previewed(_)) => "nur geprüft".to_string(),
                Err(()) => {
                    "nicht übernommen: ein Fehler der Datenbank (protokolliert); nichts geändert"
                        .to_string()
                }
            };
            format!("<li><strong>{}</strong>: {}</li>", esc(name), esc(&what))
        })
        .collect();
    let body = format!(
        r#"<h1>Ergebnis der Lieferung</h1>
<p class="note" role="status">Nicht jede Datei wurde übernommen. Jede Datei ist ganz oder gar nicht übernommen.</p>
<ul class="plain">{items}</ul>
<p><a href="/arbeitsbereich/importe">Zu den Importen</a> · <a href="/arbeitsbereich/lieferung">Neue Lieferung</a></p>"#
    );
    page("Ergebnis der Lieferung", &body, Some(me)).into_response()
}

/// `GET /arbeitsbereich/importe`: every import batch, newest first, with its diagnostics, and
/// whether the published results are computed from the newest data yet.
pub async fn history(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    RawQuery(q): RawQuery,
) -> Response {
    let query = Form::query(q.as_deref());
    let fresh: Vec<i64> = query
        .get("uebernommen")
        .split(',')
        .filter_map(|s| s.parse().ok())
        .collect();
    let got = ws.db(|db| Ok((db.imports()?, db.cache_state()?))).await;
    let (batches, cache) = match got {
        Ok(x) => x,
        Err(e) => return internal(&e),
    };
    let undone: Option<i64> = query.get("zurueckgenommen").parse().ok();
    let note = if let Some(u) = undone {
        format!(
            r#"<p class="ok" role="status">Zurückgenommen als Import Nr. {u}: die Werte davor gelten wieder, die zurückgenommenen bleiben in der Historie. Die Ergebnisse werden im Hintergrund neu berechnet.</p>"#
        )
    } else if fresh.is_empty() {
        String::new()
    } else {
        format!(
            r#"<p class="ok" role="status">Übernommen als Import Nr. {}. Die Ergebnisse werden im Hintergrund neu berechnet.</p>"#,
            fresh
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let state = match cache {
        Some((computed, now, _)) if computed == now => format!(
            "Die veröffentlichten Ergebnisse sind aus dem neuesten Stand berechnet (Import Nr. {computed})."
        ),
        Some((computed, now, _)) => format!(
            "Die veröffentlichten Ergebnisse stammen aus dem Stand von Import Nr. {computed}; der neueste ist Nr. {now}. Sie werden im Hintergrund neu berechnet."
        ),
        None => "Ergebnisse sind noch nicht berechnet.".to_string(),
    };
    let may_undo = me.account.role.may(Permission::UndoImport);
    let rows: String = batches
        .iter()
        .rev()
        .map(|b| {
            let when = unix_from_iso_utc(&b.imported_at)
                .map_or_else(|| b.imported_at.clone(), german_datetime);
            let diags = if b.diagnostics.is_empty() {
                "–".to_string()
            } else {
                let items: String = b
                    .diagnostics
                    .iter()
                    .take(50)
                    .map(|d| format!("<li>{}</li>", esc(&d.german())))
                    .collect();
                format!(
                    "<details><summary>{} Meldungen</summary><ul class=\"plain\">{items}</ul></details>",
                    b.diagnostics.len()
                )
            };
            let undo = if may_undo && b.format != "undo" {
                format!(
                    r#"<form class="inline" method="post" action="/arbeitsbereich/importe/{id}/zuruecknehmen">{csrf}<label><input type="checkbox" name="bestaetigt" value="1" required> bestätigen</label><button type="submit" class="secondary">Zurücknehmen</button></form>"#,
                    id = b.id,
                    csrf = csrf_field(&me),
                )
            } else {
                String::new()
            };
            format!(
                "<tr{mark}><td class=\"num\">{id}</td><td>{when}</td><td>{file}</td><td>{fmt}</td><td class=\"num\">{read}</td><td class=\"num\">{new}</td><td class=\"num\">{rev}</td><td class=\"num\">{same}</td><td class=\"num\">{skip}</td><td>{diags}</td><td>{undo}</td></tr>",
                mark = if fresh.contains(&b.id) { " class=\"note\"" } else { "" },
                id = b.id,
                when = esc(&when),
                file = esc(&b.file_name),
                fmt = if b.format == "undo" {
                    "Rücknahme".to_string()
                } else {
                    esc(&b.format)
                },
                read = de_int(b.rows_read),
                new = if b.format == "undo" {
                    "–".to_string()
                } else {
                    de_int(b.rows_stored - b.rows_revised)
                },
                rev = de_int(b.rows_revised),
                same = de_int(b.rows_unchanged),
                skip = de_int(b.rows_skipped),
            )
        })
        .collect();
    let body = format!(
        r#"<h1>Importe</h1>
{note}
<p>{state}</p>
<p><a href="/arbeitsbereich/revisionen">Revisionen eines Werts nachsehen</a>: jeder Wert, den ein Gebiet für ein Merkmal je hatte, mit seiner Quelle.</p>
<div class="table-wrap"><table>
<caption>{n}, die neuesten zuerst</caption>
<thead><tr><th scope="col">Nr.</th><th scope="col">Zeit</th><th scope="col">Datei</th><th scope="col">Format</th><th scope="col" class="num">Zeilen</th><th scope="col" class="num">neu</th><th scope="col" class="num">geändert</th><th scope="col" class="num">unverändert</th><th scope="col" class="num">ausgelassen</th><th scope="col">Meldungen</th><th scope="col">Rücknahme</th></tr></thead>
<tbody>{rows}</tbody></table></div>"#,
        n = count(batches.len(), "Import", "Importe"),
        state = esc(&state),
    );
    page("Importe", &body, Some(&me)).into_response()
}

/// Whether an account may deliver for a catalogue entry: planners and admins for every entry, a
/// department's provider for the entries its department owns.
pub(crate) fn delivers_for(me: &Signed, entry: &sozialmonitor_core::IndicatorEntry) -> bool {
    match (&me.account.role, &me.account.department) {
        // An entry may have joint owners: `Jobcenter / Sozialplanung`.
        (sozialmonitor_core::access::Role::Provider, Some(d)) => entry
            .owner
            .split('/')
            .any(|o| o.trim().eq_ignore_ascii_case(d.trim())),
        (sozialmonitor_core::access::Role::Provider, None) => false,
        _ => true,
    }
}

/// The catalogue entries this account may download a template for, as `<option>`s.
pub(crate) async fn template_options(ws: &Workspace, me: &Signed) -> String {
    let entries = ws.db(|db| Ok(db.indicators()?)).await.unwrap_or_default();
    entries
        .iter()
        .filter(|e| delivers_for(me, e))
        .map(|e| {
            format!(
                r#"<option value="{}">{} ({})</option>"#,
                esc(&e.key),
                esc(&e.name),
                esc(&e.owner)
            )
        })
        .collect()
}

/// `GET /arbeitsbereich/vorlage?indikator=KEY`: the long CSV a department fills in for a
/// catalogue entry, prefilled with the district, its municipalities, the measures of the
/// entry's formula and the year expected next; the values are left empty.
pub async fn template(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    RawQuery(q): RawQuery,
) -> Response {
    let key = Form::query(q.as_deref()).get("indikator").to_string();
    let kreis = ws.inner.settings.kreis.clone();
    let now = ws.now();
    let loaded = ws
        .db(move |db| {
            let entry = db.indicators()?.into_iter().find(|e| e.key == key);
            let measures = db.measures()?;
            let mut regions: Vec<_> = db.region(&kreis)?.into_iter().collect();
            // Municipalities only: the sums above them are computed.
            regions.extend(db.children(&kreis, None)?.into_iter().filter(|r| {
                r.valid_to.is_none() && r.level == sozialmonitor_core::RegionLevel::Gemeinde
            }));
            Ok((entry, measures, regions))
        })
        .await;
    let (entry, measures, regions) = match loaded {
        Ok(x) => x,
        Err(e) => return internal(&e),
    };
    let Some(entry) = entry else {
        return refusal(
            StatusCode::NOT_FOUND,
            "Kein solcher Indikator",
            "Diesen Eintrag hat der Datenkatalog nicht.",
        );
    };
    if !delivers_for(&me, &entry) {
        return refusal(
            StatusCode::FORBIDDEN,
            "Kein Zugriff",
            "Diesen Eintrag liefert ein anderer Fachbereich.",
        );
    }
    let mut codes = by_hand(&entry, &measures);
    if codes.is_empty() {
        codes.push(entry.key.clone());
    }
    // The year after the newest one held, else the last complete calendar year.
    let this_year = i64::from(sozialmonitor_core::format::year_utc(now));
    let mut out = vec![0xEF, 0xBB, 0xBF];
    let write = |out: Vec<u8>| -> anyhow::Result<Vec<u8>> {
        let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(out);
        w.write_record([
            "region",
            "measure",
            "period",
            "value",
            "breakdown",
            "unit",
            "kind",
            "label",
        ])?;
        for code in &codes {
            let known = measures.iter().find(|m| &m.code == code);
            let year = known
                .and_then(|m| m.last)
                .map_or(this_year - 1, |p| i64::from(p.year()) + 1);
            for r in &regions {
                w.write_record([
                    r.key.as_str(),
                    code.as_str(),
                    &year.to_string(),
                    "",
                    "",
                    known.map_or("", |m| m.unit.as_str()),
                    known.map_or("", |m| m.kind.as_str()),
                    known.map_or(entry.name.as_str(), |m| m.label.as_str()),
                ])?;
            }
        }
        w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    };
    out = match write(out) {
        Ok(b) => b,
        Err(e) => return internal(&e),
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"vorlage-{}.csv\"",
                    entry.key.replace('"', "")
                ),
            ),
        ],
        out,
    )
        .into_response()
}

/// `POST /arbeitsbereich/importe/{id}/zuruecknehmen`: undoes an import's values that are still
/// current, as a new batch (see `store::Undo`), after the user confirmed it.
pub async fn undo(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    let Ok(batch) = id.parse::<i64>() else {
        return refusal(
            StatusCode::NOT_FOUND,
            "Kein solcher Import",
            "Diesen Import gibt es nicht.",
        );
    };
    if form.get("bestaetigt") != "1" {
        return refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Bitte bestätigen",
            "Eine Rücknahme muss bestätigt werden. Bitte setzen Sie das Häkchen neben „Zurücknehmen“.",
        );
    }
    let by = Actor {
        name: me.account.login.clone(),
        at: ws.now(),
    };
    let location = ws.inner.location.clone();
    let done = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut db = Database::open(&location)?;
        if !db.imports()?.iter().any(|b| b.id == batch) {
            return Ok(None);
        }
        let now = sozialmonitor_core::format::iso_datetime_utc(by.at);
        Ok(Some(sozialmonitor_store::Undo::undo_import(
            &mut db, batch, &by, &now,
        )))
    })
    .await;
    match done {
        Ok(Ok(None)) => refusal(
            StatusCode::NOT_FOUND,
            "Kein solcher Import",
            "Diesen Import gibt es nicht.",
        ),
        Ok(Ok(Some(Ok(u)))) => Redirect::to(&format!(
            "/arbeitsbereich/importe?zurueckgenommen={}",
            u.batch
        ))
        .into_response(),
        Ok(Ok(Some(Err(sozialmonitor_store::StoreError::Conflict(_))))) => refusal(
            StatusCode::CONFLICT,
            "Nichts zurückzunehmen",
            "Dieser Import hat keine aktuellen Werte mehr: er wurde schon zurückgenommen, oder spätere Importe haben seine Werte ersetzt, oder er enthielt keine Werte (Verzeichnis, Grenzen, Katalog).",
        ),
        Ok(Ok(Some(Err(e)))) => internal(&e.into()),
        Ok(Err(e)) => internal(&e),
        Err(e) => internal(&e.into()),
    }
}

/// One measure a department delivers: (department, entry, measure, newest year held, year
/// expected, state).
type DueRow<'a> = (
    String,
    &'a sozialmonitor_core::IndicatorEntry,
    String,
    Option<i32>,
    i32,
    sozialmonitor_core::catalog::DeliveryState,
);

/// `GET /arbeitsbereich/lieferungen`: the deliveries due and overdue per department: for each
/// catalogue entry a department owns, each measure it delivers by hand (no official statistic
/// in the store supplies it), the newest year held against the year its update rhythm expects.
/// A department's account sees its own.
pub async fn due(State(ws): State<Workspace>, Extension(me): Extension<Signed>) -> Response {
    use sozialmonitor_core::catalog::{DeliveryState, expected_year};
    let loaded = ws.db(|db| Ok((db.indicators()?, db.measures()?))).await;
    let (entries, measures) = match loaded {
        Ok(x) => x,
        Err(e) => return internal(&e),
    };
    let this_year = sozialmonitor_core::format::year_utc(ws.now());
    let mut rows: Vec<DueRow<'_>> = Vec::new();
    for e in entries.iter().filter(|e| delivers_for(&me, e)) {
        let Some(expected) = expected_year(&e.update_rhythm, this_year) else {
            continue;
        };
        for code in by_hand(e, &measures) {
            let known = measures.iter().find(|m| m.code == code);
            let held = known.and_then(|m| m.last).map(|p| i32::from(p.year()));
            for dept in e.owner.split('/').map(str::trim).filter(|d| !d.is_empty()) {
                rows.push((
                    dept.to_string(),
                    e,
                    code.clone(),
                    held,
                    expected,
                    DeliveryState::of(held, expected),
                ));
            }
        }
    }
    rows.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.name.cmp(&b.1.name))
            .then(a.2.cmp(&b.2))
    });
    let open = rows
        .iter()
        .filter(|r| r.5 != DeliveryState::Delivered)
        .count();
    let body_rows: String = rows
        .iter()
        .map(|(dept, e, code, held, expected, state)| {
            format!(
                r#"<tr><td>{dept}</td><td>{name}</td><td><code>{code}</code></td><td class="num">{held}</td><td class="num">{expected}</td><td>{state}</td><td><a href="/arbeitsbereich/vorlage?indikator={key}">Vorlage</a></td></tr>"#,
                dept = esc(dept),
                name = esc(&e.name),
                code = esc(code),
                held = held.map_or_else(|| "–".to_string(), |h| h.to_string()),
                state = match state {
                    DeliveryState::Delivered => state.label_de().to_string(),
                    _ => format!("<strong>{}</strong>", state.label_de()),
                },
                key = crate::pages::qv(&e.key),
            )
        })
        .collect();
    let body = format!(
        r#"<h1>Lieferungen der Fachbereiche</h1>
<p class="lead">Was die Fachbereiche von Hand liefern (kein amtlicher Datensatz im Bestand enthält es): das neueste vorhandene Jahr gegen das Jahr, das der Aktualisierungsrhythmus des Katalogs erwartet. {open} Lieferungen sind fällig, überfällig oder noch nie eingegangen.</p>
<div class="table-wrap"><table><caption>Stand {this_year}</caption>
<thead><tr><th scope="col">Fachbereich</th><th scope="col">Indikator</th><th scope="col">Merkmal</th><th scope="col" class="num">vorhanden bis</th><th scope="col" class="num">erwartet</th><th scope="col">Stand</th><th scope="col">Vorlage</th></tr></thead>
<tbody>{body_rows}</tbody></table></div>"#
    );
    page("Lieferungen der Fachbereiche", &body, Some(&me)).into_response()
}
