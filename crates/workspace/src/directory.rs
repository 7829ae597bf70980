//! The services directory (Wegweiser) in the workspace: every entry of the district, public or
//! not, with those not checked for a year flagged first; entries added from a CSV or XLSX table
//! (checked whole, every bad cell named, saved in one transaction with their audit events);
//! the directory as CSV in the import's own columns, to correct and read back; and deletion.

use axum::Extension;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sozialmonitor_core::format::{count_de, german_date};
use sozialmonitor_core::services::check_due;
use sozialmonitor_store::{AuditEvent, Service, Services, StoreError};
use sozialmonitor_viz::esc;
use sozialmonitor_web::downloads::neutralise;

use crate::guard::{CsrfInBody, Form};
use crate::pages::{csrf_field, download, internal, page, refusal};
use crate::service_file::COLUMNS;
use crate::table_file::uploaded_table;
use crate::{Signed, Workspace};

/// The page for an entry that is not the district's.
pub(crate) const MISSING: (&str, &str) = (
    "Kein solcher Eintrag",
    "Diesen Eintrag gibt es im Wegweiser des Kreises nicht.",
);

fn yes(b: bool) -> String {
    if b { "ja" } else { "nein" }.into()
}

/// Yes, no, or empty for not known.
fn known(b: Option<bool>) -> String {
    b.map_or(String::new(), yes)
}

/// One entry in the import's columns (numbers the German way, as the import reads them).
pub(crate) fn cells(s: &Service) -> Vec<String> {
    let codes = |c: Vec<&str>| c.join(", ");
    let coord = |x: Option<f64>| x.map_or(String::new(), |x| x.to_string().replace('.', ","));
    vec![
        s.name.clone(),
        s.provider.clone(),
        s.street.clone(),
        s.postcode.clone(),
        s.place.clone(),
        s.municipality.clone(),
        s.served.join(", "),
        coord(s.position.map(|p| p.lat())),
        coord(s.position.map(|p| p.lon())),
        codes(s.topics.iter().map(|t| t.code()).collect()),
        codes(s.target_groups.iter().map(|t| t.code()).collect()),
        s.opening_hours.clone(),
        known(s.step_free),
        known(s.hearing_loop),
        known(s.easy_language),
        s.languages.clone(),
        s.phone.clone(),
        s.email.clone(),
        s.web.clone(),
        s.checked_on.clone(),
        yes(s.public),
        yes(s.example),
        s.source.clone(),
    ]
}

fn row(me: &Signed, s: &Service) -> String {
    let checked = if s.checked_on.is_empty() {
        "nie".to_string()
    } else {
        german_date(&s.checked_on)
    };
    format!(
        r#"<tr><th scope="row"><a href="/arbeitsbereich/wegweiser/{id}">{name}</a></th><td>{place}</td><td>{topics}</td><td>{checked}</td><td>{public}{example}</td><td><form class="inline" method="post" action="/arbeitsbereich/wegweiser/{id}/geprueft">{csrf}<button type="submit" class="secondary" aria-label="„{name}“ heute geprüft">Heute geprüft</button></form> <form class="inline" method="post" action="/arbeitsbereich/wegweiser/{id}/loeschen">{csrf}<label><input type="checkbox" name="bestaetigt" value="1" required> bestätigen</label> <button type="submit" class="secondary" aria-label="„{name}“ löschen">Löschen</button></form></td></tr>"#,
        id = s.id,
        name = esc(&s.name),
        place = esc(&s.place),
        topics = esc(&s
            .topics
            .iter()
            .map(|t| t.label_de())
            .collect::<Vec<_>>()
            .join(", ")),
        public = if s.public { "öffentlich" } else { "intern" },
        example = if s.example { ", Beispiel" } else { "" },
        csrf = csrf_field(me),
    )
}

fn table(me: &Signed, caption: &str, entries: &[&Service]) -> String {
    let rows: String = entries.iter().map(|s| row(me, s)).collect();
    format!(
        r#"<table><caption>{caption}</caption><thead><tr><th scope="col">Name</th><th scope="col">Ort</th><th scope="col">Themen</th><th scope="col">Zuletzt geprüft</th><th scope="col">Sichtbar</th><th scope="col"><span class="visually-hidden">Aktion</span></th></tr></thead><tbody>{rows}</tbody></table>"#
    )
}

/// `GET /arbeitsbereich/wegweiser`.
pub async fn overview(State(ws): State<Workspace>, Extension(me): Extension<Signed>) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let now = ws.now();
    let all = match ws.db(move |db| Ok(db.services(&kreis)?)).await {
        Ok(a) => a,
        Err(e) => return internal(&e),
    };
    let (due, fine): (Vec<&Service>, Vec<&Service>) =
        all.iter().partition(|s| check_due(&s.checked_on, now));
    let due_html = if due.is_empty() {
        "<p>Alle Einträge sind im letzten Jahr geprüft worden.</p>".to_string()
    } else {
        table(
            &me,
            &format!(
                "{} seit über einem Jahr oder noch nie geprüft",
                count_de(due.len(), "Eintrag", "Einträge")
            ),
            &due,
        )
    };
    let body = format!(
        r#"<h1>Wegweiser</h1><p class="lead">{n} Einträge im Verzeichnis sozialer Angebote; öffentlich unter <a href="/wegweiser">/wegweiser</a> und <a href="/seniorenwegweiser">/seniorenwegweiser</a>. Als Tabelle: <a href="/arbeitsbereich/wegweiser.csv" download>CSV</a> oder <a href="/arbeitsbereich/wegweiser.xlsx" download>Excel</a> (dieselben Spalten, die das Einlesen erwartet).</p>
<h2>Zu prüfen</h2>{due_html}
<h2>Geprüft</h2>{fine_html}
<h2>Einträge einlesen</h2>
<form class="stack" method="post" enctype="multipart/form-data" action="/arbeitsbereich/wegweiser">{csrf}
<p class="hint" id="w-hinweis">CSV oder Excel mit den Spalten name, traeger, strasse, plz, ort, gemeinde, versorgt, breite, laenge, themen, zielgruppen, oeffnungszeiten, stufenlos, hoerschleife, leichte_sprache, sprachen, telefon, email, web, geprueft_am, oeffentlich, beispiel, quelle. Die Tabelle wird ganz geprüft; die Einträge kommen hinzu.</p>
<label for="w-datei">Tabelle (CSV, XLSX)<input id="w-datei" type="file" name="dateien" accept=".csv,.xlsx,.xls,text/csv" required aria-describedby="w-hinweis"></label>
<p><button type="submit">Einträge einlesen</button></p></form>"#,
        n = all.len(),
        fine_html = if fine.is_empty() {
            "<p>Keine.</p>".to_string()
        } else {
            table(&me, "Im letzten Jahr geprüft", &fine)
        },
        csrf = csrf_field(&me),
    );
    page("Wegweiser", &body, Some(&me)).into_response()
}

/// `GET /arbeitsbereich/wegweiser.csv`: UTF-8 with BOM, `;`, formula-like text defused.
pub async fn export_csv(State(ws): State<Workspace>) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let made = ws
        .db(move |db| {
            let mut w = csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(vec![0xEF, 0xBB, 0xBF]);
            w.write_record(COLUMNS)?;
            for s in db.services(&kreis)? {
                w.write_record(cells(&s).iter().map(|c| neutralise(c).into_owned()))?;
            }
            w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
        })
        .await;
    match made {
        Ok(bytes) => download(
            "text/csv; charset=utf-8",
            r#"attachment; filename="wegweiser.csv""#,
            bytes,
        ),
        Err(e) => internal(&e),
    }
}

/// `POST /arbeitsbereich/wegweiser`: adds the entries of an uploaded table.
pub async fn upload(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    csrf: Option<Extension<CsrfInBody>>,
    mut mp: Multipart,
) -> Response {
    let (name, bytes) = match uploaded_table(&ws, csrf.map(|e| e.0), &mut mp).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let kreis = ws.inner.settings.kreis.clone();
    let k = kreis.clone();
    let known = match ws.db(move |db| crate::service_file::known(db, &k)).await {
        Ok(k) => k,
        Err(e) => return internal(&e),
    };
    // Read outside the workspace's one connection: a large sheet must not hold up sign-ins.
    let read =
        tokio::task::spawn_blocking(move || crate::service_file::read(&name, &bytes, &known)).await;
    let entries = match read {
        Ok(Ok(e)) => e,
        Ok(Err(why)) => {
            let list: String = why.iter().map(|w| format!("<li>{}</li>", esc(w))).collect();
            let body = format!(
                r#"<h1>Nicht eingelesen</h1><p>Die Tabelle hat Fehler; nichts wurde gespeichert.</p><ul>{list}</ul><p><a href="/arbeitsbereich/wegweiser">Zurück zum Wegweiser</a></p>"#
            );
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                page("Nicht eingelesen", &body, Some(&me)),
            )
                .into_response();
        }
        Err(e) => return internal(&e.into()),
    };
    let (now, login) = (ws.now(), me.account.login.clone());
    let saved = ws
        .db(move |db| {
            let event = |s: &Service| {
                AuditEvent::new(
                    now,
                    &login,
                    "service.create",
                    &format!("{kreis}/{}", s.municipality),
                )
                .values(None, Some(s.name.clone()))
            };
            Ok(db.add_services(&entries, &event)?.len())
        })
        .await;
    match saved {
        Ok(_) => Redirect::to("/arbeitsbereich/wegweiser").into_response(),
        Err(e) => internal(&e),
    }
}

/// `POST /arbeitsbereich/wegweiser/{id}/loeschen`: only an entry of the district.
pub async fn delete(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<i64>,
) -> Response {
    if form.get("bestaetigt") != "1" {
        return refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Nicht gelöscht",
            "Bitte bestätigen Sie das Löschen mit dem Häkchen.",
        );
    }
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login) = (ws.now(), me.account.login.clone());
    let done = ws
        .db(move |db| {
            let Some(s) = db.service(&kreis, id)? else {
                return Ok(false);
            };
            let ev =
                AuditEvent::new(now, &login, "service.delete", &kreis).values(Some(s.name), None);
            match db.delete_service(id, &ev) {
                Ok(()) => Ok(true),
                Err(StoreError::Conflict(_)) => Ok(false),
                Err(e) => Err(e.into()),
            }
        })
        .await;
    match done {
        Ok(true) => Redirect::to("/arbeitsbereich/wegweiser").into_response(),
        Ok(false) => refusal(StatusCode::NOT_FOUND, MISSING.0, MISSING.1),
        Err(e) => internal(&e),
    }
}

/// `POST /arbeitsbereich/wegweiser/{id}/geprueft`: the entry was checked today.
pub async fn checked(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Path(id): Path<i64>,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login) = (ws.now(), me.account.login.clone());
    let today = sozialmonitor_core::format::iso_date(now.div_euclid(86_400));
    let done = ws
        .db(move |db| {
            let Some(s) = db.service(&kreis, id)? else {
                return Ok(false);
            };
            let ev = AuditEvent::new(now, &login, "service.check", &kreis)
                .values(Some(s.checked_on.clone()), Some(today.clone()));
            db.save_service(
                &Service {
                    checked_on: today,
                    ..s
                },
                &ev,
            )?;
            Ok(true)
        })
        .await;
    match done {
        Ok(true) => Redirect::to("/arbeitsbereich/wegweiser").into_response(),
        Ok(false) => refusal(StatusCode::NOT_FOUND, MISSING.0, MISSING.1),
        Err(e) => internal(&e),
    }
}

/// `GET /arbeitsbereich/wegweiser.xlsx`: the same columns as the CSV, every cell text.
pub async fn export_xlsx(State(ws): State<Workspace>) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let made = ws
        .db(move |db| {
            let rows: Vec<Vec<String>> = db.services(&kreis)?.iter().map(cells).collect();
            Ok(crate::table_file::text_workbook(
                "Wegweiser",
                &COLUMNS,
                &rows,
            )?)
        })
        .await;
    match made {
        Ok(bytes) => download(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            r#"attachment; filename="wegweiser.xlsx""#,
            bytes,
        ),
        Err(e) => internal(&e),
    }
}
