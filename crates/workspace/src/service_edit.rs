//! Editing one entry of the services directory, and marking it checked. The form's fields are
//! turned into one row of the import's own table and read by [`crate::service_file`], so an
//! entry edited here is checked by exactly the rules a table is (municipality of the district,
//! topics, e-mail, web address, coordinates in Germany). A save reads, checks and writes in one
//! database call against the version the form was made from, so a change saved meanwhile is
//! never undone.

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use sozialmonitor_core::format::{german_date, iso_date};
use sozialmonitor_core::services::{TARGET_GROUPS, TOPICS, TargetGroup, Topic};
use sozialmonitor_store::{AuditEvent, Service, Services};
use sozialmonitor_viz::esc;

use crate::cycle::{Saved, answer, version_field, version_of};
use crate::directory::{MISSING, cells};
use crate::guard::Form;
use crate::pages::{boxes, csrf_field, internal, page};
use crate::service_file::COLUMNS;
use crate::{Signed, Workspace};

/// Where a save leads.
const BACK: &str = "/arbeitsbereich/wegweiser";

fn text_field(id: &str, label: &str, name: &str, value: &str, hint: &str) -> String {
    let hint = if hint.is_empty() {
        String::new()
    } else {
        format!(r#" <span class="hint">{hint}</span>"#)
    };
    format!(
        r#"<label for="{id}">{label}{hint}<input id="{id}" name="{name}" value="{v}"></label>"#,
        v = esc(value)
    )
}

fn known_select(id: &str, label: &str, name: &str, value: Option<bool>) -> String {
    let opt = |v: &str, text: &str, on: bool| {
        format!(
            r#"<option value="{v}"{}>{text}</option>"#,
            if on { " selected" } else { "" }
        )
    };
    format!(
        r#"<label for="{id}">{label}<select id="{id}" name="{name}">{}{}{}</select></label>"#,
        opt("", "nicht bekannt", value.is_none()),
        opt("ja", "ja", value == Some(true)),
        opt("nein", "nein", value == Some(false)),
    )
}

/// The edit form of entry `s`; `places` are the district's municipalities (key, name).
fn edit_form(me: &Signed, s: &Service, places: &[(String, String)]) -> String {
    let options: String = places
        .iter()
        .map(|(k, n)| {
            format!(
                r#"<option value="{k}"{}>{}</option>"#,
                if *k == s.municipality {
                    " selected"
                } else {
                    ""
                },
                esc(n)
            )
        })
        .collect();
    let coord = |x: Option<f64>| x.map_or(String::new(), |x| x.to_string().replace('.', ","));
    format!(
        r#"<form class="stack" method="post" action="/arbeitsbereich/wegweiser/{id}">{csrf}{version}
{name}{provider}{street}{postcode}{place}
<label for="s-gemeinde">Gemeinde<select id="s-gemeinde" name="gemeinde">{options}</select></label>
{served}{lat}{lon}
<fieldset><legend>Themen</legend>{topics}</fieldset>
<fieldset><legend>Zielgruppen</legend>{groups}</fieldset>
{hours}{step}{loop_}{easy}{languages}{phone}{email}{web}{source}
<label class="check"><input type="checkbox" name="oeffentlich" value="ja"{public}> im öffentlichen Wegweiser zeigen</label>
<label class="check"><input type="checkbox" name="beispiel" value="ja"{example}> Beispiel (kein realer Eintrag)</label>
<label class="check"><input type="checkbox" name="heute_geprueft" value="1"> heute geprüft (zuletzt: {checked})</label>
<p><button type="submit">Eintrag speichern</button></p></form>"#,
        id = s.id,
        csrf = csrf_field(me),
        version = version_field(s),
        name = text_field("s-name", "Name", "name", &s.name, ""),
        provider = text_field("s-traeger", "Träger", "traeger", &s.provider, ""),
        street = text_field(
            "s-strasse",
            "Straße und Hausnummer",
            "strasse",
            &s.street,
            ""
        ),
        postcode = text_field("s-plz", "PLZ", "plz", &s.postcode, ""),
        place = text_field("s-ort", "Ort", "ort", &s.place, ""),
        served = text_field(
            "s-versorgt",
            "Zuständig für",
            "versorgt",
            &s.served.join(", "),
            "Gemeindeschlüssel mit Komma; leer: die eigene Gemeinde, der Kreisschlüssel: alle"
        ),
        lat = text_field(
            "s-breite",
            "Breite",
            "breite",
            &coord(s.position.map(|p| p.lat())),
            "z. B. 50,9177"
        ),
        lon = text_field(
            "s-laenge",
            "Länge",
            "laenge",
            &coord(s.position.map(|p| p.lon())),
            "z. B. 13,3425"
        ),
        topics = boxes(
            "themen",
            "s-thema",
            &TOPICS,
            &s.topics,
            (Topic::code, Topic::label_de)
        ),
        groups = boxes(
            "zielgruppen",
            "s-gruppe",
            &TARGET_GROUPS,
            &s.target_groups,
            (TargetGroup::code, TargetGroup::label_de)
        ),
        hours = text_field(
            "s-zeiten",
            "Öffnungszeiten",
            "oeffnungszeiten",
            &s.opening_hours,
            ""
        ),
        step = known_select(
            "s-stufenlos",
            "Stufenlos erreichbar",
            "stufenlos",
            s.step_free
        ),
        loop_ = known_select(
            "s-hoerschleife",
            "Hörschleife",
            "hoerschleife",
            s.hearing_loop
        ),
        easy = known_select(
            "s-leicht",
            "Informationen in Leichter Sprache",
            "leichte_sprache",
            s.easy_language
        ),
        languages = text_field(
            "s-sprachen",
            "Sprachen außer Deutsch",
            "sprachen",
            &s.languages,
            ""
        ),
        phone = text_field("s-telefon", "Telefon", "telefon", &s.phone, ""),
        email = text_field("s-email", "E-Mail", "email", &s.email, ""),
        web = text_field("s-web", "Internet", "web", &s.web, "mit https://"),
        source = text_field("s-quelle", "Quelle", "quelle", &s.source, ""),
        public = if s.public { " checked" } else { "" },
        example = if s.example { " checked" } else { "" },
        checked = if s.checked_on.is_empty() {
            "nie".to_string()
        } else {
            german_date(&s.checked_on)
        },
    )
}

/// `GET /arbeitsbereich/wegweiser/{id}`: the entry with its edit form.
pub async fn show(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Path(id): Path<i64>,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let read = ws
        .db(move |db| {
            let entry = db.service(&kreis, id)?;
            let places: Vec<(String, String)> = crate::pages::municipalities_of(db, &kreis)?
                .into_iter()
                .map(|r| (r.key, r.name))
                .collect();
            Ok(entry.map(|e| (e, places)))
        })
        .await;
    let (s, places) = match read {
        Ok(Some(r)) => r,
        Ok(None) => {
            return crate::pages::refusal(axum::http::StatusCode::NOT_FOUND, MISSING.0, MISSING.1);
        }
        Err(e) => return internal(&e),
    };
    let edit = if me
        .account
        .role
        .may(sozialmonitor_core::access::Permission::EditPlanning)
    {
        edit_form(&me, &s, &places)
    } else {
        "<p>Ändern darf die Sozialplanung.</p>".into()
    };
    let body = format!(
        r#"<p><a href="{BACK}">Zurück zum Wegweiser</a></p><h1>{name}</h1>{edit}"#,
        name = esc(&s.name),
    );
    page(&s.name, &body, Some(&me)).into_response()
}

/// The form as one row of the import's table (header and row, `;`-separated), today's date as
/// the check date when ticked, else the stored one.
fn as_table(form: &Form, old: &Service, today: &str) -> anyhow::Result<Vec<u8>> {
    let stored = cells(old);
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    let row: Vec<String> = COLUMNS
        .iter()
        .zip(&stored)
        .map(|(col, was)| match *col {
            "themen" | "zielgruppen" => form
                .0
                .iter()
                .filter(|(k, _)| k == col)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(","),
            "oeffentlich" | "beispiel" => {
                if form.get(col) == "ja" { "ja" } else { "nein" }.to_string()
            }
            "geprueft_am" if form.get("heute_geprueft") == "1" => today.to_string(),
            "geprueft_am" => was.clone(),
            _ => form.get(col).trim().to_string(),
        })
        .collect();
    w.write_record(&row)?;
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// `POST /arbeitsbereich/wegweiser/{id}`: saves the edited entry, checked like a table row.
pub async fn save(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<i64>,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login) = (ws.now(), me.account.login.clone());
    let today = iso_date(now.div_euclid(86_400));
    let saved = ws
        .db(move |db| {
            let Some(old) = db.service(&kreis, id)? else {
                return Ok(Saved::Missing);
            };
            // Without the version the form was made from, a save could undo a change unseen.
            if form.get("fassung") != version_of(&old) {
                return Ok(Saved::changed("Der Eintrag"));
            }
            let mut known = crate::service_file::known(db, &kreis)?;
            known
                .held
                .remove(&(old.name.clone(), old.municipality.clone()));
            let table = as_table(&form, &old, &today)?;
            let new = match crate::service_file::read("Formular", &table, &known) {
                Ok(mut v) if v.len() == 1 => v.remove(0),
                Ok(_) => return Ok(Saved::Refused("Der Eintrag fehlt.".into())),
                Err(why) => {
                    let said: Vec<String> = why
                        .iter()
                        .map(|w| w.replace("Formular, Zeile 2, Spalte ", "Feld "))
                        .collect();
                    return Ok(Saved::Refused(said.join(" ")));
                }
            };
            let new = Service {
                id,
                kreis: old.kreis.clone(),
                ..new
            };
            let ev = AuditEvent::new(now, &login, "service.update", &kreis)
                .values(Some(old.name.clone()), Some(new.name.clone()));
            db.save_service(&new, &ev)?;
            Ok(Saved::Done(BACK.to_string()))
        })
        .await;
    answer(saved, MISSING)
}
