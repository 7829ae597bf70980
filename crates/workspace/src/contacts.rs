//! Contact persons of the network's actors: personal data, seen, entered, exported and erased
//! only by a role that may manage contacts (`Permission::ManageContacts`). A person is stored
//! only with the date and purpose of their consent; "Auskunft" gives everything stored about
//! them as JSON (GDPR Art. 15 and 20), "Löschen" erases them with every mention (Art. 17).
//! Their audit events name them by id only, so erasure leaves no trace of them outside that
//! pseudonymised entry.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sozialmonitor_core::format::{german_date, iso_datetime_utc};
use sozialmonitor_core::services::is_email;
use sozialmonitor_store::{
    Accounts, AuditEvent, AuditFilter, ContactPerson, Database, Network, Organisation,
};
use sozialmonitor_viz::esc;

use crate::cycle::{Saved, refused, unconfirmed};
use crate::guard::Form;
use crate::network::{actor_in, answered, missing};
use crate::pages::{csrf_field, internal};
use crate::{Signed, Workspace};

/// The district's contact person `id` with their actor.
fn person_in(
    db: &Database,
    kreis: &str,
    id: i64,
) -> anyhow::Result<Option<(Organisation, ContactPerson)>> {
    let Some(p) = db.person(id)? else {
        return Ok(None);
    };
    Ok(actor_in(db, kreis, p.actor_id)?.map(|a| (a, p)))
}

/// Why a record looked for is not found: `what` names it ("Diesen Akteur").
pub(crate) fn people_html(me: &Signed, actor: &Organisation, people: &[ContactPerson]) -> String {
    let csrf = csrf_field(me);
    let rows: String = people
        .iter()
        .map(|p| {
            format!(
                r#"<tr><th scope="row">{name}</th><td>{function}</td><td>{email}</td><td>{phone}</td><td>{consent_on} ({consent_for})</td><td><a href="/arbeitsbereich/netzwerk/person/{id}/auskunft" download aria-label="Auskunft über {name} (JSON)">Auskunft</a> <form class="inline" method="post" action="/arbeitsbereich/netzwerk/person/{id}/loeschen">{csrf}<label><input type="checkbox" name="bestaetigt" value="1" required> bestätigen</label> <button type="submit" class="secondary" aria-label="{name} löschen">Löschen</button></form></td></tr>"#,
                id = p.id,
                name = esc(&p.name),
                function = esc(&p.function),
                email = esc(&p.email),
                phone = esc(&p.phone),
                consent_on = esc(&german_date(&p.consent_on)),
                consent_for = esc(&p.consent_for),
            )
        })
        .collect();
    let table = if people.is_empty() {
        "<p>Keine Kontaktperson erfasst.</p>".to_string()
    } else {
        format!(
            r#"<table><caption>Kontaktpersonen von {name}</caption><thead><tr><th scope="col">Name</th><th scope="col">Funktion</th><th scope="col">E-Mail</th><th scope="col">Telefon</th><th scope="col">Einwilligung (Zweck)</th><th scope="col"><span class="visually-hidden">Aktion</span></th></tr></thead><tbody>{rows}</tbody></table>"#,
            name = esc(&actor.name)
        )
    };
    format!(
        r#"<h2>Kontaktpersonen</h2><p class="hint">Personenbezogene Daten: nur intern, nur mit Einwilligung. „Auskunft“ gibt alles, was über die Person gespeichert ist, als JSON (Art. 15 und 20 DSGVO); „Löschen“ löscht die Person mit allen Angaben (Art. 17 DSGVO), das Protokoll nennt sie danach nur noch mit ihrer Nummer.</p>{table}
<h3>Kontaktperson eintragen</h3><form class="stack" method="post" action="/arbeitsbereich/netzwerk/akteur/{id}/personen">{csrf}
<label for="p-name">Name<input id="p-name" name="name" required autocomplete="off"></label>
<label for="p-funktion">Funktion<input id="p-funktion" name="funktion"></label>
<label for="p-email">E-Mail<input id="p-email" name="email" type="email" autocomplete="off"></label>
<label for="p-telefon">Telefon<input id="p-telefon" name="telefon" type="tel" autocomplete="off"></label>
<label for="p-am">Einwilligung erteilt am <span class="hint">JJJJ-MM-TT</span><input id="p-am" name="einwilligung_am" required pattern="\d{{4}}-\d{{2}}-\d{{2}}"></label>
<label for="p-zweck">Wofür eingewilligt <span class="hint">z. B. Einladungen zu Beteiligungsformaten</span><input id="p-zweck" name="einwilligung_zweck" required></label>
<label for="p-notiz">Notiz<input id="p-notiz" name="notiz"></label>
<p><button type="submit">Kontaktperson speichern</button></p></form>"#,
        id = actor.id,
    )
}

/// A contact person from the form, or why not: the consent's date and purpose are required.
fn new_person(form: &Form, actor_id: i64) -> Result<ContactPerson, String> {
    let text = |k: &str| form.get(k).trim().to_string();
    if text("name").is_empty() {
        return Err("Der Name fehlt.".into());
    }
    let on = text("einwilligung_am");
    if !(on.len() == 10 && sozialmonitor_core::planning::is_plan_date(&on)) {
        return Err("Das Datum der Einwilligung fehlt oder ist kein Tag (JJJJ-MM-TT). Ohne Einwilligung wird keine Kontaktperson gespeichert.".into());
    }
    if text("einwilligung_zweck").is_empty() {
        return Err("Wofür eingewilligt wurde, fehlt.".into());
    }
    let email = text("email");
    if !(email.is_empty() || is_email(&email)) {
        return Err("Die E-Mail-Adresse ist ungültig.".into());
    }
    Ok(ContactPerson {
        id: 0,
        actor_id,
        name: text("name"),
        function: text("funktion"),
        email,
        phone: text("telefon"),
        consent_on: on,
        consent_for: text("einwilligung_zweck"),
        note: text("notiz"),
    })
}

/// `POST /arbeitsbereich/netzwerk/akteur/{id}/personen`. The audit event names the person by
/// their new id only.
pub async fn add_person(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<i64>,
) -> Response {
    let p = match new_person(&form, id) {
        Ok(p) => p,
        Err(why) => return refused(&why),
    };
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login) = (ws.now(), me.account.login.clone());
    answered(
        ws.db(move |db| {
            if actor_in(db, &kreis, id)?.is_none() {
                return Ok(Saved::Missing);
            }
            db.add_person(&p, &login, now)?;
            Ok(Saved::Done(format!("/arbeitsbereich/netzwerk/akteur/{id}")))
        })
        .await,
        "Diesen Akteur",
    )
}

/// Everything stored about contact person `p` of actor `a`: the record, the actor, the working
/// groups they attend, and the audit events that name them by id.
fn auskunft(
    db: &Database,
    kreis: &str,
    (a, p): (&Organisation, &ContactPerson),
    now: i64,
) -> anyhow::Result<serde_json::Value> {
    let groups = db.groups(kreis)?;
    let memberships: Vec<serde_json::Value> = db
        .memberships_of(p.id)?
        .iter()
        .map(|m| {
            let g = groups.iter().find(|g| g.id == m.group_id);
            serde_json::json!({ "arbeitsgruppe": g.map(|g| g.name.clone()), "rolle": m.role })
        })
        .collect();
    let object = format!("person:{}", p.id);
    let filter = AuditFilter {
        action_prefix: Some("network.person.".into()),
        ..AuditFilter::default()
    };
    let events: Vec<serde_json::Value> = db
        .audit_events(&filter)?
        .into_iter()
        .filter(|e| e.object == object)
        .map(|e| serde_json::json!({ "zeit": iso_datetime_utc(e.at), "wer": e.actor, "was": e.action }))
        .collect();
    Ok(serde_json::json!({
        "auskunft_nach": "Art. 15 und 20 DSGVO",
        "erstellt": iso_datetime_utc(now),
        "person": {
            "nummer": p.id,
            "name": p.name,
            "funktion": p.function,
            "email": p.email,
            "telefon": p.phone,
            "notiz": p.note,
            "einwilligung_am": p.consent_on,
            "einwilligung_zweck": p.consent_for,
        },
        "akteur": { "name": a.name, "art": a.kind.label_de() },
        "arbeitsgruppen": memberships,
        "protokoll": events,
    }))
}

/// `GET /arbeitsbereich/netzwerk/person/{id}/auskunft`: everything stored about a contact
/// person, as JSON: the record, the actor, the working groups, and the audit events that name
/// them by id. Exporting is audited too.
pub async fn export_person(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Path(id): Path<i64>,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login) = (ws.now(), me.account.login.clone());
    let made = ws
        .db(move |db| {
            let Some((a, p)) = person_in(db, &kreis, id)? else {
                return Ok(None);
            };
            // The export is itself processing of the person's data: audited before it is read,
            // so the document lists it.
            let ev = AuditEvent::new(
                now,
                &login,
                "network.person.export",
                &format!("person:{id}"),
            );
            db.record(&ev)?;
            let doc = auskunft(db, &kreis, (&a, &p), now)?;
            Ok(Some(serde_json::to_vec_pretty(&doc)?))
        })
        .await;
    match made {
        Ok(Some(bytes)) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/json; charset=utf-8".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!(r#"attachment; filename="auskunft-person-{id}.json""#),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => missing("Diese Kontaktperson"),
        Err(e) => internal(&e),
    }
}

/// `POST /arbeitsbereich/netzwerk/person/{id}/loeschen`: erases a contact person (GDPR Art.
/// 17); the audit event names them by id only.
pub async fn erase_person(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<i64>,
) -> Response {
    if let Some(r) = unconfirmed(&form) {
        return r;
    }
    let kreis = ws.inner.settings.kreis.clone();
    let ev = AuditEvent::new(
        ws.now(),
        &me.account.login,
        "network.person.erase",
        &format!("person:{id}"),
    );
    answered(
        ws.db(move |db| {
            let Some((a, _)) = person_in(db, &kreis, id)? else {
                return Ok(Saved::Missing);
            };
            db.erase_person(id, &ev)?;
            Ok(Saved::Done(format!(
                "/arbeitsbereich/netzwerk/akteur/{}",
                a.id
            )))
        })
        .await,
        "Diese Kontaktperson",
    )
}
