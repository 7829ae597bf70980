//! Participation in the workspace: the district's events (conferences, forums, Fachtage),
//! coming and past, each with the impulses it gave, and each impulse linked to the
//! recommendations and measures of the planning cycles it led to, so that a recommendation can
//! be traced back to where it came from and an event forward to what it changed.

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use sozialmonitor_core::network::{EVENT_FORMATS, EventFormat, coming_and_past, ends_before};
use sozialmonitor_core::planning::span_de;
use sozialmonitor_store::{
    AuditEvent, Database, Impulse, Network, ParticipationEvent, PlanMeasure, Planning,
    Recommendation,
};
use sozialmonitor_viz::esc;

use crate::cycle::{Saved, answer, date, options, refused, unconfirmed, version_field, version_of};
use crate::guard::Form;
use crate::pages::{csrf_field, internal, page, refusal, target_group_boxes, target_groups_of};
use crate::{Signed, Workspace};

/// The district's recommendations and measures (all cycles), for linking and naming.
pub(crate) struct PlanRecords {
    /// Recommendations with their cycle's id.
    pub recommendations: Vec<Recommendation>,
    /// Measures.
    pub measures: Vec<PlanMeasure>,
}

pub(crate) fn plan_records(db: &Database, kreis: &str) -> anyhow::Result<PlanRecords> {
    let mut r = PlanRecords {
        recommendations: Vec::new(),
        measures: Vec::new(),
    };
    for c in db.cycles(kreis)? {
        r.recommendations.extend(db.recommendations(c.id)?);
        r.measures.extend(db.plan_measures(c.id)?);
    }
    Ok(r)
}

/// The district's event `id`.
fn event_in(db: &Database, kreis: &str, id: i64) -> anyhow::Result<Option<ParticipationEvent>> {
    Ok(db.events(kreis)?.into_iter().find(|e| e.id == id))
}

fn today(ws: &Workspace) -> String {
    sozialmonitor_core::format::iso_date(ws.now().div_euclid(86_400))
}

fn event_rows(events: &[&ParticipationEvent]) -> String {
    events
        .iter()
        .map(|e| {
            format!(
                r#"<tr><th scope="row"><a href="/arbeitsbereich/beteiligung/{id}">{title}</a>{example}</th><td>{when}</td><td>{format}</td><td>{public}</td></tr>"#,
                id = e.id,
                title = esc(&e.title),
                example = if e.example { r#" <span class="tag">Beispiel</span>"# } else { "" },
                when = esc(&span_de(&e.date_from, &e.date_to)),
                format = e.format.label_de(),
                public = if e.public { "öffentlich" } else { "intern" },
            )
        })
        .collect()
}

fn event_table(caption: &str, events: &[&ParticipationEvent]) -> String {
    if events.is_empty() {
        return "<p>Keine.</p>".into();
    }
    format!(
        r#"<table><caption>{caption}</caption><thead><tr><th scope="col">Veranstaltung</th><th scope="col">Wann</th><th scope="col">Format</th><th scope="col">Sichtbar</th></tr></thead><tbody>{}</tbody></table>"#,
        event_rows(events)
    )
}

/// The form for a new event, or for editing `e`.
fn event_form(me: &Signed, e: Option<&ParticipationEvent>) -> String {
    let (action, version, p) = match e {
        Some(e) => (
            format!("/arbeitsbereich/beteiligung/{}", e.id),
            version_field(e),
            format!("e{}", e.id),
        ),
        None => (
            "/arbeitsbereich/beteiligung".to_string(),
            String::new(),
            "e".to_string(),
        ),
    };
    let formats = options(
        EVENT_FORMATS,
        e.map(|e| e.format),
        EventFormat::code,
        EventFormat::label_de,
    );
    let v = |f: fn(&ParticipationEvent) -> String| e.map_or(String::new(), |e| esc(&f(e)));
    format!(
        r#"<form class="stack" method="post" action="{action}">{csrf}{version}
<label for="{p}-titel">Titel<input id="{p}-titel" name="titel" required value="{title}"></label>
<label for="{p}-art">Format<select id="{p}-art" name="art">{formats}</select></label>
<label for="{p}-von">Von <span class="hint">JJJJ, JJJJ-MM oder JJJJ-MM-TT</span><input id="{p}-von" name="von" required value="{from}"></label>
<label for="{p}-bis">Bis <span class="hint">leer: ein Tag</span><input id="{p}-bis" name="bis" value="{to}"></label>
<label for="{p}-ort">Ort<input id="{p}-ort" name="ort" value="{place}"></label>
<fieldset><legend>Zielgruppen</legend>{groups}</fieldset>
<label for="{p}-tn">Teilnehmende <span class="hint">Anzahl, falls gezählt</span><input id="{p}-tn" name="teilnehmende" inputmode="numeric" pattern="[0-9]*" value="{participants}"></label>
<label for="{p}-themen">Themen<textarea id="{p}-themen" name="themen" rows="3">{topics}</textarea></label>
<label for="{p}-dok">Dokumente <span class="hint">Titel oder Adressen, eines je Zeile</span><textarea id="{p}-dok" name="dokumente" rows="2">{documents}</textarea></label>
<label for="{p}-veranstalter">Veranstalter<input id="{p}-veranstalter" name="veranstalter" value="{organiser}"></label>
<label class="check"><input type="checkbox" name="oeffentlich" value="1"{public}> auf der öffentlichen Seite „Beteiligung“ zeigen</label>
<p><button type="submit">Veranstaltung speichern</button></p></form>"#,
        csrf = csrf_field(me),
        title = v(|e| e.title.clone()),
        from = v(|e| e.date_from.clone()),
        to = v(|e| e.date_to.clone()),
        place = v(|e| e.place.clone()),
        groups = target_group_boxes(
            "zielgruppe",
            &format!("{p}-zg"),
            e.map_or(&[], |e| &e.target_groups)
        ),
        participants = v(|e| e.participants.map_or(String::new(), |n| n.to_string())),
        topics = v(|e| e.topics.clone()),
        documents = v(|e| e.documents.clone()),
        organiser = v(|e| e.organiser.clone()),
        public = if e.is_some_and(|e| e.public) {
            " checked"
        } else {
            ""
        },
    )
}

/// `GET /arbeitsbereich/beteiligung`.
pub async fn overview(State(ws): State<Workspace>, Extension(me): Extension<Signed>) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let events = match ws.db(move |db| Ok(db.events(&kreis)?)).await {
        Ok(e) => e,
        Err(e) => return internal(&e),
    };
    let now = today(&ws);
    let (ahead, past) = coming_and_past(
        events.iter(),
        |e| (e.date_from.as_str(), e.date_to.as_str()),
        &now,
    );
    let form = if me
        .account
        .role
        .may(sozialmonitor_core::access::Permission::EditPlanning)
    {
        format!("<h2>Veranstaltung eintragen</h2>{}", event_form(&me, None))
    } else {
        String::new()
    };
    let body = format!(
        r#"<h1>Beteiligung</h1><p class="lead">Beteiligungsformate und ihre Impulse; öffentlich unter <a href="/beteiligung">/beteiligung</a>, soweit freigegeben. Das Netzwerk steht unter <a href="/arbeitsbereich/netzwerk">Netzwerk</a>.</p>
<h2>Kommende und laufende Veranstaltungen</h2>{ahead}
<h2>Vergangene Veranstaltungen</h2>{past}
{form}"#,
        ahead = event_table("Kommende und laufende Veranstaltungen", &ahead),
        past = event_table("Vergangene Veranstaltungen", &past),
    );
    page("Beteiligung", &body, Some(&me)).into_response()
}

/// An event from the form, or why not.
fn new_event(form: &Form, kreis: &str, me: &Signed) -> Result<ParticipationEvent, String> {
    let text = |k: &str| form.get(k).trim().to_string();
    if text("titel").is_empty() {
        return Err("Der Titel fehlt.".into());
    }
    let format = EventFormat::parse(form.get("art")).ok_or("Das Format ist unbekannt.")?;
    let from = date(form, "von", "Von")?;
    if from.is_empty() {
        return Err("„Von“ fehlt.".into());
    }
    let to = date(form, "bis", "Bis")?;
    if ends_before(from, to) {
        return Err("„Bis“ liegt vor „Von“.".into());
    }
    let participants = match text("teilnehmende").as_str() {
        "" => None,
        t => Some(
            t.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or("Die Zahl der Teilnehmenden ist keine ganze Zahl ab 0.")?,
        ),
    };
    Ok(ParticipationEvent {
        id: 0,
        kreis: kreis.to_string(),
        format,
        title: text("titel"),
        date_from: from.to_string(),
        date_to: to.to_string(),
        place: text("ort"),
        municipality: String::new(),
        target_groups: target_groups_of(form)?,
        participants,
        topics: text("themen"),
        documents: text("dokumente"),
        organiser: text("veranstalter"),
        public: form.get("oeffentlich") == "1",
        source: crate::cycle::source(me),
        example: false,
    })
}

/// `POST /arbeitsbereich/beteiligung`.
pub async fn add_event(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let e = match new_event(&form, &kreis, &me) {
        Ok(e) => e,
        Err(why) => return refused(&why),
    };
    let ev = AuditEvent::new(ws.now(), &me.account.login, "network.event.create", &kreis)
        .values(None, Some(e.title.clone()));
    match ws.db(move |db| Ok(db.save_event(&e, &ev)?)).await {
        Ok(id) => Redirect::to(&format!("/arbeitsbereich/beteiligung/{id}")).into_response(),
        Err(e) => internal(&e),
    }
}

/// The page for an event or impulse that is not the district's.
const MISSING: (&str, &str) = (
    "Nicht gefunden",
    "Diese Veranstaltung oder diesen Impuls gibt es beim Kreis nicht (mehr).",
);

/// The overview, where a deleted event leads.
const OVERVIEW: &str = "/arbeitsbereich/beteiligung";

/// An event's page, where a save leads.
fn event_page(id: i64) -> String {
    format!("{OVERVIEW}/{id}")
}

fn missing() -> Response {
    refusal(axum::http::StatusCode::NOT_FOUND, MISSING.0, MISSING.1)
}

/// The links of an impulse, named, each to its cycle's planning page.
fn links_html(i: &Impulse, plan: &PlanRecords) -> String {
    let recs = i.recommendations.iter().filter_map(|id| {
        plan.recommendations.iter().find(|r| r.id == *id).map(|r| {
            format!(
                r#"<li>Empfehlung: <a href="/arbeitsbereich/planung?zyklus={}">{}</a></li>"#,
                r.cycle_id,
                esc(&r.title)
            )
        })
    });
    let measures = i.measures.iter().filter_map(|id| {
        plan.measures.iter().find(|m| m.id == *id).map(|m| {
            format!(
                r#"<li>Maßnahme: <a href="/arbeitsbereich/planung?zyklus={}">{}</a></li>"#,
                m.cycle_id,
                esc(&m.title)
            )
        })
    });
    let items: String = recs.chain(measures).collect();
    if items.is_empty() {
        "<p>Noch mit keiner Empfehlung oder Maßnahme verknüpft.</p>".into()
    } else {
        format!("<p>Führte zu:</p><ul>{items}</ul>")
    }
}

fn impulse_form(me: &Signed, event_id: i64, plan: &PlanRecords) -> String {
    let recs: String = plan
        .recommendations
        .iter()
        .map(|r| format!(r#"<option value="{}">{}</option>"#, r.id, esc(&r.title)))
        .collect();
    let measures: String = plan
        .measures
        .iter()
        .map(|m| format!(r#"<option value="{}">{}</option>"#, m.id, esc(&m.title)))
        .collect();
    format!(
        r#"<h2>Impuls eintragen</h2><form class="stack" method="post" action="/arbeitsbereich/beteiligung/{event_id}/impulse">{csrf}
<label for="i-titel">Titel<input id="i-titel" name="titel" required></label>
<label for="i-text">Text<textarea id="i-text" name="text" rows="3"></textarea></label>
<label for="i-feld">Handlungsfeld<input id="i-feld" name="handlungsfeld"></label>
<label for="i-emp">Führte zu den Empfehlungen <span class="hint">mehrere mit Strg oder ⌘</span><select id="i-emp" name="empfehlung" multiple size="4">{recs}</select></label>
<label for="i-mas">Führte zu den Maßnahmen <span class="hint">mehrere mit Strg oder ⌘</span><select id="i-mas" name="massnahme" multiple size="4">{measures}</select></label>
<label class="check"><input type="checkbox" name="oeffentlich" value="1"> öffentlich zeigen</label>
<p><button type="submit">Impuls speichern</button></p></form>"#,
        csrf = csrf_field(me),
    )
}

fn delete_form(me: &Signed, action: &str, what: &str) -> String {
    format!(
        r#"<form class="inline" method="post" action="{action}">{csrf}<label><input type="checkbox" name="bestaetigt" value="1" required> bestätigen</label> <button type="submit" class="secondary" aria-label="{what} löschen">Löschen</button></form>"#,
        csrf = csrf_field(me),
        what = esc(what),
    )
}

/// `GET /arbeitsbereich/beteiligung/{id}`.
pub async fn event(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Path(id): Path<i64>,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let read = ws
        .db(move |db| {
            let Some(e) = event_in(db, &kreis, id)? else {
                return Ok(None);
            };
            Ok(Some((e, db.impulses(id)?, plan_records(db, &kreis)?)))
        })
        .await;
    let (e, impulses, plan) = match read {
        Ok(Some(r)) => r,
        Ok(None) => return missing(),
        Err(e) => return internal(&e),
    };
    let edit = me
        .account
        .role
        .may(sozialmonitor_core::access::Permission::EditPlanning);
    let cards: String = impulses
        .iter()
        .map(|i| {
            format!(
                r#"<section class="card" aria-labelledby="imp-{id}"><h3 id="imp-{id}">{title}</h3><p>{body}</p><p>Handlungsfeld: {field} · {public}</p>{links}{delete}</section>"#,
                id = i.id,
                title = esc(&i.title),
                body = esc(&i.body),
                field = esc(&i.action_field),
                public = if i.public { "öffentlich" } else { "intern" },
                links = links_html(i, &plan),
                delete = if edit {
                    delete_form(&me, &format!("/arbeitsbereich/beteiligung/impuls/{}/loeschen", i.id), &i.title)
                } else {
                    String::new()
                },
            )
        })
        .collect();
    let groups: Vec<&str> = e.target_groups.iter().map(|g| g.label_de()).collect();
    let body = format!(
        r#"<p><a href="/arbeitsbereich/beteiligung">Zurück zur Beteiligung</a></p><h1>{title}</h1>
<dl><dt>Format</dt><dd>{format}</dd><dt>Wann</dt><dd>{when}</dd><dt>Ort</dt><dd>{place}</dd><dt>Zielgruppen</dt><dd>{groups}</dd><dt>Teilnehmende</dt><dd>{participants}</dd><dt>Veranstalter</dt><dd>{organiser}</dd><dt>Themen</dt><dd>{topics}</dd><dt>Dokumente</dt><dd>{documents}</dd><dt>Sichtbar</dt><dd>{public}</dd><dt>Quelle</dt><dd>{source}</dd></dl>
<h2>Impulse</h2>{cards}{form}{delete}"#,
        title = esc(&e.title),
        format = e.format.label_de(),
        when = esc(&span_de(&e.date_from, &e.date_to)),
        place = esc(&e.place),
        groups = esc(&groups.join(", ")),
        participants = e
            .participants
            .map_or("nicht gezählt".into(), |n| n.to_string()),
        organiser = esc(&e.organiser),
        topics = esc(&e.topics),
        documents = esc(&e.documents).replace('\n', "<br>"),
        public = if e.public { "öffentlich" } else { "intern" },
        source = esc(&e.source),
        cards = if cards.is_empty() {
            "<p>Noch keine Impulse erfasst.</p>".into()
        } else {
            cards
        },
        form = if edit {
            impulse_form(&me, e.id, &plan)
        } else {
            String::new()
        },
        delete = if edit {
            format!(
                "<h2>Veranstaltung bearbeiten</h2><details><summary>Bearbeiten</summary>{}</details><h2>Veranstaltung löschen</h2><p class=\"hint\">Löscht auch ihre Impulse.</p>{}",
                event_form(&me, Some(&e)),
                delete_form(
                    &me,
                    &format!("/arbeitsbereich/beteiligung/{}/loeschen", e.id),
                    &e.title
                )
            )
        } else {
            String::new()
        },
    );
    page(&e.title, &body, Some(&me)).into_response()
}

/// The ids a multiple select sent under `name`, each one of `known`.
fn chosen(form: &Form, name: &str, known: &[i64]) -> Result<Vec<i64>, String> {
    let mut out: Vec<i64> = Vec::new();
    for (_, v) in form.0.iter().filter(|(k, _)| k == name) {
        let id = v
            .parse::<i64>()
            .ok()
            .filter(|id| known.contains(id))
            .ok_or("Eine der gewählten Empfehlungen oder Maßnahmen gibt es beim Kreis nicht.")?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// `POST /arbeitsbereich/beteiligung/{id}/impulse`.
pub async fn add_impulse(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<i64>,
) -> Response {
    let title = form.get("titel").trim().to_string();
    if title.is_empty() {
        return refused("Der Titel fehlt.");
    }
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login, source) = (
        ws.now(),
        me.account.login.clone(),
        crate::cycle::source(&me),
    );
    let done = ws
        .db(move |db| {
            if event_in(db, &kreis, id)?.is_none() {
                return Ok(Saved::Missing);
            }
            let plan = plan_records(db, &kreis)?;
            let rec_ids: Vec<i64> = plan.recommendations.iter().map(|r| r.id).collect();
            let measure_ids: Vec<i64> = plan.measures.iter().map(|m| m.id).collect();
            let links = chosen(&form, "empfehlung", &rec_ids)
                .and_then(|r| Ok((r, chosen(&form, "massnahme", &measure_ids)?)));
            let (recommendations, measures) = match links {
                Ok(l) => l,
                Err(why) => return Ok(Saved::Refused(why)),
            };
            let i = Impulse {
                id: 0,
                event_id: id,
                title: title.clone(),
                body: form.get("text").trim().to_string(),
                action_field: form.get("handlungsfeld").trim().to_string(),
                public: form.get("oeffentlich") == "1",
                source,
                example: false,
                recommendations,
                measures,
            };
            let ev = AuditEvent::new(
                now,
                &login,
                "network.impulse.create",
                &format!("event:{id}"),
            )
            .values(None, Some(title));
            db.save_impulse(&i, &ev)?;
            Ok(Saved::Done(event_page(id)))
        })
        .await;
    answer(done, MISSING)
}

/// `POST /arbeitsbereich/beteiligung/{id}/loeschen`: the event with its impulses.
pub async fn delete_event(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<i64>,
) -> Response {
    if let Some(r) = unconfirmed(&form) {
        return r;
    }
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login) = (ws.now(), me.account.login.clone());
    let done = ws
        .db(move |db| {
            let Some(e) = event_in(db, &kreis, id)? else {
                return Ok(Saved::Missing);
            };
            let ev = AuditEvent::new(now, &login, "network.event.delete", &format!("event:{id}"))
                .values(Some(e.title), None);
            db.delete_event(id, &ev)?;
            Ok(Saved::Done(OVERVIEW.into()))
        })
        .await;
    answer(done, MISSING)
}

/// `POST /arbeitsbereich/beteiligung/impuls/{id}/loeschen`.
pub async fn delete_impulse(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<i64>,
) -> Response {
    if let Some(r) = unconfirmed(&form) {
        return r;
    }
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login) = (ws.now(), me.account.login.clone());
    let done = ws
        .db(move |db| {
            for e in db.events(&kreis)? {
                if let Some(i) = db.impulses(e.id)?.into_iter().find(|i| i.id == id) {
                    let ev = AuditEvent::new(
                        now,
                        &login,
                        "network.impulse.delete",
                        &format!("event:{}", e.id),
                    )
                    .values(Some(i.title), None);
                    db.delete_impulse(id, &ev)?;
                    return Ok(Saved::Done(event_page(e.id)));
                }
            }
            Ok(Saved::Missing)
        })
        .await;
    answer(done, MISSING)
}

/// `POST /arbeitsbereich/beteiligung/{id}`: saves the edited event over the version the form was
/// made from; its source and example mark stay.
pub async fn save_event(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<i64>,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login) = (ws.now(), me.account.login.clone());
    let done = ws
        .db(move |db| {
            let Some(old) = event_in(db, &kreis, id)? else {
                return Ok(Saved::Missing);
            };
            if form.get("fassung") != version_of(&old) {
                return Ok(Saved::changed("Die Veranstaltung"));
            }
            let new = match new_event(&form, &kreis, &me) {
                Ok(e) => ParticipationEvent {
                    id,
                    source: old.source.clone(),
                    example: old.example,
                    municipality: old.municipality.clone(),
                    ..e
                },
                Err(why) => return Ok(Saved::Refused(why)),
            };
            let ev = AuditEvent::new(now, &login, "network.event.update", &format!("event:{id}"))
                .values(Some(old.title), Some(new.title.clone()));
            db.save_event(&new, &ev)?;
            Ok(Saved::Done(event_page(id)))
        })
        .await;
    answer(done, MISSING)
}
