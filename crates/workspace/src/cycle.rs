//! The planning cycle's own records from the browser: a new cycle, the steps, milestones and
//! events of its timeline, its pending decisions and their outcome, and the priorities and
//! goals per action field. Each form is checked whole (dates as `2026`, `2026-04` or
//! `2026-04-22`), saved with its audit event, and leads back to the cycle.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sozialmonitor_core::planning::{
    MILESTONE_KINDS, MilestoneKind, PRIORITY_KINDS, PriorityKind, STATUSES, Status, is_plan_date,
};
use sozialmonitor_store::{
    AuditEvent, Cycle, Database, Decision, Deletable, Milestone, Planning, Priority, StoreError,
};
use sozialmonitor_viz::esc;

use crate::guard::Form;
use crate::pages::{csrf_field, internal, refusal};
use crate::{Signed, Workspace};

/// The longest span a cycle may have: the seeds plan in five-year cycles.
const MAX_CYCLE_YEARS: i64 = 10;

/// A form that cannot be saved, with the reason.
pub(crate) fn refused(why: &str) -> Response {
    refusal(StatusCode::UNPROCESSABLE_ENTITY, "Nicht gespeichert", why)
}

/// Where a save leads: back to the cycle, saying it was saved.
pub(crate) fn back_to(cycle: i64) -> String {
    format!("/arbeitsbereich/planung?zyklus={cycle}&gespeichert=1")
}

/// Back to the cycle after a save, saying it was saved.
pub(crate) fn back(cycle: i64) -> Response {
    Redirect::to(&back_to(cycle)).into_response()
}

/// What became of a change to a stored planning record. It is decided inside one database
/// call that reads, checks and writes, so a change saved meanwhile is never overwritten with
/// what an older form saw.
pub(crate) enum Saved {
    /// Saved; the page to go to next.
    Done(String),
    /// No such record among the district's cycles.
    Missing,
    /// The record changed since the form was loaded: a title and why, in German.
    Conflict(&'static str, String),
    /// The form cannot be saved; why, in German.
    Refused(String),
}

impl Saved {
    /// The usual conflict: `this` ("Die Maßnahme") was saved since the form was opened.
    pub(crate) fn changed(this: &str) -> Saved {
        Saved::Conflict(
            "Inzwischen geändert",
            format!(
                "{this} wurde gespeichert, seit Sie dieses Formular geöffnet haben; Ihre Eingaben sind nicht gespeichert. Laden Sie die Seite neu und tragen Sie sie dort ein."
            ),
        )
    }
}

/// A fingerprint of a record as stored, carried by its edit form: a save is made only over the
/// version the form was made from, so a change saved meanwhile is never undone unseen.
pub(crate) fn version_of(record: &impl std::fmt::Debug) -> String {
    sozialmonitor_import::sha256_hex(format!("{record:?}").as_bytes())
}

/// The answer to a save of a record: `missing` is the page's title and text when there is no
/// such record ("Keine solche Maßnahme", "Diese Maßnahme gibt es …").
pub(crate) fn answer(saved: anyhow::Result<Saved>, missing: (&str, &str)) -> Response {
    match saved {
        Ok(Saved::Done(to)) => Redirect::to(&to).into_response(),
        Ok(Saved::Missing) => refusal(StatusCode::NOT_FOUND, missing.0, missing.1),
        Ok(Saved::Conflict(title, why)) => refusal(StatusCode::CONFLICT, title, &why),
        Ok(Saved::Refused(why)) => refused(&why),
        Err(e) => internal(&e),
    }
}

/// Where a record written in the workspace comes from: the account that wrote it. Internal:
/// the public pages never show a record's source.
pub(crate) fn source(me: &Signed) -> String {
    format!("Arbeitsbereich: {}", me.account.login)
}

/// A date field, or why it is not one.
pub(crate) fn date<'a>(form: &'a Form, name: &str, label: &str) -> Result<&'a str, String> {
    let v = form.get(name).trim();
    if is_plan_date(v) {
        Ok(v)
    } else {
        Err(format!(
            "{label}: „{v}“ ist kein Datum; erwartet wird ein Jahr (2026), ein Monat (2026-04) oder ein Tag (2026-04-22)."
        ))
    }
}

/// The cycle a form names, if it is the district's.
pub(crate) async fn cycle_of(ws: &Workspace, form: &Form) -> Result<Cycle, Response> {
    let Ok(id) = form.get("zyklus").parse::<i64>() else {
        return Err(refused("Der Planungszyklus fehlt."));
    };
    let kreis = ws.inner.settings.kreis.clone();
    match ws.db(move |db| Ok(db.cycles(&kreis)?)).await {
        Ok(cycles) => cycles
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| refused("Diesen Planungszyklus gibt es nicht.")),
        Err(e) => Err(internal(&e)),
    }
}

/// The first record of the district's cycles that `list` gives for a cycle and `wanted` picks,
/// with its cycle. Record ids are global: a form names one by id, and it is looked up only
/// among the district's own cycles, so no other district's record can be reached.
pub(crate) fn in_district<T>(
    db: &Database,
    kreis: &str,
    list: impl Fn(&Database, i64) -> sozialmonitor_store::Result<Vec<T>>,
    wanted: impl Fn(&T) -> bool,
) -> anyhow::Result<Option<(Cycle, T)>> {
    for c in db.cycles(kreis)? {
        if let Some(x) = list(db, c.id)?.into_iter().find(|x| wanted(x)) {
            return Ok(Some((c, x)));
        }
    }
    Ok(None)
}

/// Saves a new record of `cycle` with its audit event (`plan.{kind}.create`, the new value
/// `summary`) and leads back to the cycle.
pub(crate) async fn create(
    ws: &Workspace,
    me: &Signed,
    cycle: &Cycle,
    (kind, summary): (&str, String),
    save: impl FnOnce(&mut Database, &AuditEvent) -> sozialmonitor_store::Result<i64> + Send + 'static,
) -> Response {
    let ev = AuditEvent::new(
        ws.now(),
        &me.account.login,
        &format!("plan.{kind}.create"),
        &cycle.title,
    )
    .values(None, Some(summary));
    match ws.db(move |db| Ok(save(db, &ev)?)).await {
        Ok(_) => back(cycle.id),
        Err(e) => internal(&e),
    }
}

/// A new cycle from the form, or why not.
fn new_cycle(form: &Form, kreis: &str, me: &Signed) -> Result<Cycle, String> {
    let text = |k: &str| form.get(k).trim().to_string();
    let year = |k: &str| {
        text(k)
            .parse::<i64>()
            .ok()
            .filter(|y| (1990..=2100).contains(y))
    };
    let (Some(first), Some(last)) = (year("von"), year("bis")) else {
        return Err("Von und bis müssen Jahre sein (z. B. 2027 und 2031).".into());
    };
    if last < first || last - first >= MAX_CYCLE_YEARS {
        return Err(format!(
            "„Bis“ darf nicht vor „Von“ liegen; ein Zyklus umfasst höchstens {MAX_CYCLE_YEARS} Jahre."
        ));
    }
    if text("titel").is_empty() {
        return Err("Der Titel fehlt.".into());
    }
    Ok(Cycle {
        id: 0,
        kreis: kreis.to_string(),
        title: text("titel"),
        first_year: first,
        last_year: last,
        note: text("notiz"),
        source: source(me),
    })
}

/// `POST /arbeitsbereich/planung/zyklus`: a new planning cycle of the district.
pub async fn add_cycle(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let c = match new_cycle(&form, &kreis, &me) {
        Ok(c) => c,
        Err(why) => return refused(&why),
    };
    let ev = AuditEvent::new(ws.now(), &me.account.login, "plan.cycle.create", &kreis)
        .values(None, Some(c.title.clone()));
    let title = c.title.clone();
    let saved = ws
        .db(move |db| {
            // One title per district: the planning import refuses a cycle it holds by title.
            if db
                .cycles(&c.kreis)?
                .iter()
                .any(|held| held.title == c.title)
            {
                return Ok(None);
            }
            Ok(Some(db.save_cycle(&c, &ev)?))
        })
        .await;
    match saved {
        Ok(Some(id)) => back(id),
        Ok(None) => refused(&format!("Einen Planungszyklus „{title}“ gibt es schon.")),
        Err(e) => internal(&e),
    }
}

/// A timeline entry from the form, or why not.
fn new_milestone(form: &Form, cycle: i64, me: &Signed) -> Result<Milestone, String> {
    let text = |k: &str| form.get(k).trim().to_string();
    let kind = MilestoneKind::parse(form.get("art")).ok_or("Die Art ist unbekannt.")?;
    let status = Status::parse(form.get("stand")).ok_or("Der Stand ist unbekannt.")?;
    if text("titel").is_empty() {
        return Err("Der Titel fehlt.".into());
    }
    let (from, to) = (date(form, "von", "Von")?, date(form, "bis", "Bis")?);
    // `2026` to `2026-04` is fine: compared as far as both are precise.
    let n = from.len().min(to.len());
    if !to.is_empty() && from.is_empty() {
        return Err("Zu „Bis“ gehört ein „Von“.".into());
    }
    if to.get(..n) < from.get(..n) {
        return Err("„Bis“ liegt vor „Von“.".into());
    }
    Ok(Milestone {
        id: 0,
        cycle_id: cycle,
        kind,
        title: text("titel"),
        date_from: from.to_string(),
        date_to: to.to_string(),
        status,
        responsible: text("verantwortlich"),
        documents: text("dokumente"),
        source: source(me),
        example: false,
    })
}

/// `POST /arbeitsbereich/planung/zeitplan`: a step, milestone, event or decision of a body on
/// the cycle's timeline.
pub async fn add_milestone(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let cycle = match cycle_of(&ws, &form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let m = match new_milestone(&form, cycle.id, &me) {
        Ok(m) => m,
        Err(why) => return refused(&why),
    };
    let summary = format!("{} {}", m.date_from, m.title);
    create(&ws, &me, &cycle, ("milestone", summary), move |db, ev| {
        db.save_milestone(&m, ev)
    })
    .await
}

/// `POST /arbeitsbereich/planung/entscheidung`: a pending decision of the cycle.
pub async fn add_decision(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let cycle = match cycle_of(&ws, &form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let text = |k: &str| form.get(k).trim().to_string();
    if text("frage").is_empty() {
        return refused("Die Frage fehlt.");
    }
    let due = match date(&form, "bis", "Zu entscheiden bis") {
        Ok(d) => d.to_string(),
        Err(why) => return refused(&why),
    };
    let d = Decision {
        id: 0,
        cycle_id: cycle.id,
        question: text("frage"),
        options: text("optionen"),
        decider: text("entscheidet"),
        due,
        outcome: String::new(),
        decided_on: String::new(),
        source: source(&me),
        example: false,
    };
    let summary = d.question.clone();
    create(&ws, &me, &cycle, ("decision", summary), move |db, ev| {
        db.save_decision(&d, ev)
    })
    .await
}

/// `POST /arbeitsbereich/planung/entscheidung/{id}`: the outcome of a pending decision. A
/// decision is recorded once: a second form (a double submit, another planner) would silently
/// replace the result, so the check and the save are one database call.
pub async fn record_outcome(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<i64>,
) -> Response {
    let outcome = form.get("ergebnis").trim().to_string();
    if outcome.is_empty() {
        return refused("Das Ergebnis fehlt.");
    }
    let on = match date(&form, "datum", "Entschieden am") {
        Ok(d) => d.to_string(),
        Err(why) => return refused(&why),
    };
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login) = (ws.now(), me.account.login.clone());
    let saved = ws
        .db(move |db| {
            let found = in_district(db, &kreis, |db, c| db.decisions(c), |d| d.id == id)?;
            let Some((_, old)) = found else {
                return Ok(Saved::Missing);
            };
            if !old.outcome.trim().is_empty() {
                return Ok(Saved::Conflict(
                    "Schon entschieden",
                    format!(
                        "Für diese Entscheidung ist schon ein Ergebnis eingetragen: „{}“.",
                        old.outcome
                    ),
                ));
            }
            let ev = AuditEvent::new(now, &login, "plan.decision.decide", &old.question).values(
                Some(format!("{} {}", old.decided_on, old.outcome)),
                Some(format!("{on} {outcome}")),
            );
            // Saved only while it is still open: another process may have decided it since.
            match db.record_outcome(old.id, (&outcome, &on), &ev) {
                Ok(()) => Ok(Saved::Done(back_to(old.cycle_id))),
                Err(StoreError::Conflict(_)) => Ok(Saved::Conflict(
                    "Schon entschieden",
                    "Für diese Entscheidung wurde inzwischen ein Ergebnis eingetragen.".into(),
                )),
                Err(e) => Err(e.into()),
            }
        })
        .await;
    answer(
        saved,
        (
            "Keine solche Entscheidung",
            "Diese Entscheidung gibt es in den Planungszyklen des Kreises nicht.",
        ),
    )
}

/// `POST /arbeitsbereich/planung/schwerpunkt`: a priority, goal or topic of an action field.
pub async fn add_priority(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let cycle = match cycle_of(&ws, &form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let text = |k: &str| form.get(k).trim().to_string();
    let Some(kind) = PriorityKind::parse(form.get("art")) else {
        return refused("Die Art ist unbekannt.");
    };
    if text("titel").is_empty() || text("handlungsfeld").is_empty() {
        return refused("Titel und Handlungsfeld sind nötig.");
    }
    let p = Priority {
        id: 0,
        cycle_id: cycle.id,
        action_field: text("handlungsfeld"),
        kind,
        title: text("titel"),
        body: text("text"),
        source: source(&me),
        example: false,
    };
    let summary = format!("{}: {}", p.action_field, p.title);
    create(&ws, &me, &cycle, ("priority", summary), move |db, ev| {
        db.save_priority(&p, ev)
    })
    .await
}

/// The `<option>`s of a typed list, by code and German label.
pub(crate) fn options<T: Copy + PartialEq>(
    all: &[T],
    chosen: Option<T>,
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> String {
    all.iter()
        .map(|x| {
            format!(
                r#"<option value="{}"{}>{}</option>"#,
                code(*x),
                if Some(*x) == chosen { " selected" } else { "" },
                label(*x)
            )
        })
        .collect()
}

/// The hidden field that carries the version of the record an edit form was made from
/// ([`version_of`]).
pub(crate) fn version_field(record: &impl std::fmt::Debug) -> String {
    format!(
        r#"<input type="hidden" name="fassung" value="{}">"#,
        version_of(record)
    )
}

/// The refusal of a deletion whose confirmation box was not ticked; `None` when it was.
pub(crate) fn unconfirmed(form: &Form) -> Option<Response> {
    (form.get("bestaetigt") != "1")
        .then(|| refused("Löschen bitte bestätigen (Häkchen neben dem Knopf)."))
}

/// The form that records the outcome of pending decision `id` (for planners).
pub fn outcome_form(me: &Signed, id: i64) -> String {
    format!(
        r#"<details><summary>Ergebnis eintragen</summary>
<form class="stack" method="post" action="/arbeitsbereich/planung/entscheidung/{id}">{csrf}
<label for="o-erg-{id}">Ergebnis<input id="o-erg-{id}" name="ergebnis" required></label>
<label for="o-am-{id}">Entschieden am <span class="hint">JJJJ, JJJJ-MM oder JJJJ-MM-TT</span><input id="o-am-{id}" name="datum"></label>
<p><button type="submit">Ergebnis speichern</button></p></form></details>"#,
        csrf = csrf_field(me),
    )
}

/// The forms for the cycle's timeline, decisions and priorities (for planners), and a new
/// cycle. `fields` are the action fields named so far, offered as suggestions.
pub fn forms_html(me: &Signed, cycle: Option<&Cycle>, fields: &[String]) -> String {
    let suggestions: String = fields
        .iter()
        .map(|f| format!(r#"<option value="{}">"#, esc(f)))
        .collect();
    let csrf = csrf_field(me);
    let of_cycle = cycle.map_or_else(String::new, |c| {
        format!(
            r#"<details><summary>Zeitplan: Schritt, Meilenstein oder Termin hinzufügen</summary>
<form class="stack" method="post" action="/arbeitsbereich/planung/zeitplan">{csrf}<input type="hidden" name="zyklus" value="{id}">
<label for="z-art">Art<select id="z-art" name="art">{kinds}</select></label>
<label for="z-titel">Was<input id="z-titel" name="titel" required></label>
<label for="z-von">Von <span class="hint">JJJJ, JJJJ-MM oder JJJJ-MM-TT; leer, solange offen</span><input id="z-von" name="von"></label>
<label for="z-bis">Bis <span class="hint">wie von; leer für einen Tag</span><input id="z-bis" name="bis"></label>
<label for="z-stand">Stand<select id="z-stand" name="stand">{statuses}</select></label>
<label for="z-wer">Verantwortlich<input id="z-wer" name="verantwortlich"></label>
<label for="z-dok">Dokumente<input id="z-dok" name="dokumente"></label>
<p><button type="submit">Eintrag speichern</button></p></form></details>
<details><summary>Ausstehende Entscheidung hinzufügen</summary>
<form class="stack" method="post" action="/arbeitsbereich/planung/entscheidung">{csrf}<input type="hidden" name="zyklus" value="{id}">
<label for="d-frage">Frage<input id="d-frage" name="frage" required></label>
<label for="d-opt">Möglichkeiten <span class="hint">eine je Zeile</span><textarea id="d-opt" name="optionen" rows="3"></textarea></label>
<label for="d-wer">Entscheidet<input id="d-wer" name="entscheidet"></label>
<label for="d-bis">Zu entscheiden bis <span class="hint">JJJJ, JJJJ-MM oder JJJJ-MM-TT</span><input id="d-bis" name="bis"></label>
<p><button type="submit">Entscheidung speichern</button></p></form></details>
<details><summary>Schwerpunkt oder Ziel eines Handlungsfelds hinzufügen</summary>
<form class="stack" method="post" action="/arbeitsbereich/planung/schwerpunkt">{csrf}<input type="hidden" name="zyklus" value="{id}">
<label for="s-feld">Handlungsfeld<input id="s-feld" name="handlungsfeld" list="s-felder" required></label><datalist id="s-felder">{suggestions}</datalist>
<label for="s-art">Art<select id="s-art" name="art">{priority_kinds}</select></label>
<label for="s-titel">Titel<input id="s-titel" name="titel" required></label>
<label for="s-text">Text<textarea id="s-text" name="text" rows="3"></textarea></label>
<p><button type="submit">Schwerpunkt speichern</button></p></form></details>"#,
            id = c.id,
            kinds = options(&MILESTONE_KINDS, None, MilestoneKind::code, MilestoneKind::label_de),
            statuses = options(&STATUSES, None, Status::code, Status::label_de),
            priority_kinds = options(&PRIORITY_KINDS, None, PriorityKind::code, PriorityKind::label_de),
        )
    });
    format!(
        r#"{of_cycle}<details><summary>Neuen Planungszyklus anlegen</summary>
<form class="stack" method="post" action="/arbeitsbereich/planung/zyklus">{csrf}
<label for="c-titel">Titel<input id="c-titel" name="titel" required></label>
<label for="c-von">Von <span class="hint">Jahr</span><input id="c-von" name="von" inputmode="numeric" required></label>
<label for="c-bis">Bis <span class="hint">Jahr</span><input id="c-bis" name="bis" inputmode="numeric" required></label>
<label for="c-notiz">Notiz<textarea id="c-notiz" name="notiz" rows="3"></textarea></label>
<p><button type="submit">Zyklus anlegen</button></p></form></details>"#
    )
}

/// The kinds of record the delete form names, by the code it sends.
fn deletable(code: &str) -> Option<Deletable> {
    Some(match code {
        "zeitplan" => Deletable::Milestone,
        "entscheidung" => Deletable::Decision,
        "schwerpunkt" => Deletable::Priority,
        "empfehlung" => Deletable::Recommendation,
        "massnahme" => Deletable::Measure,
        _ => return None,
    })
}

/// The cycle and the title of record `id` of a kind, if it belongs to the district.
fn owner_of(
    db: &Database,
    kreis: &str,
    what: Deletable,
    id: i64,
) -> anyhow::Result<Option<(i64, String)>> {
    let found = match what {
        Deletable::Milestone => in_district(db, kreis, |db, c| db.milestones(c), |x| x.id == id)?
            .map(|(c, x)| (c.id, x.title)),
        Deletable::Decision => in_district(db, kreis, |db, c| db.decisions(c), |x| x.id == id)?
            .map(|(c, x)| (c.id, x.question)),
        Deletable::Priority => in_district(db, kreis, |db, c| db.priorities(c), |x| x.id == id)?
            .map(|(c, x)| (c.id, x.title)),
        Deletable::Recommendation => {
            in_district(db, kreis, |db, c| db.recommendations(c), |x| x.id == id)?
                .map(|(c, x)| (c.id, x.title))
        }
        Deletable::Measure => in_district(db, kreis, |db, c| db.plan_measures(c), |x| x.id == id)?
            .map(|(c, x)| (c.id, x.title)),
    };
    Ok(found)
}

/// `POST /arbeitsbereich/planung/loeschen`: deletes a timeline entry, decision, priority,
/// recommendation or measure of the district, once confirmed; the audit log keeps its title.
pub async fn delete(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let (Some(what), Ok(id)) = (deletable(form.get("art")), form.get("id").parse::<i64>()) else {
        return refused("Was gelöscht werden soll, ist unbekannt.");
    };
    if let Some(r) = unconfirmed(&form) {
        return r;
    }
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login) = (ws.now(), me.account.login.clone());
    // The audit log names actions in English, as for their creation (`plan.measure.create`).
    let action = format!(
        "plan.{}.delete",
        match what {
            Deletable::Milestone => "milestone",
            Deletable::Decision => "decision",
            Deletable::Priority => "priority",
            Deletable::Recommendation => "recommendation",
            Deletable::Measure => "measure",
        }
    );
    let done = ws
        .db(move |db| {
            let Some((cycle, title)) = owner_of(db, &kreis, what, id)? else {
                return Ok(None);
            };
            let ev =
                AuditEvent::new(now, &login, &action, &title).values(Some(title.clone()), None);
            db.delete_planning(what, id, &ev)?;
            Ok(Some(cycle))
        })
        .await;
    match done {
        Ok(Some(cycle)) => back(cycle),
        Ok(None) => refusal(
            StatusCode::NOT_FOUND,
            "Nicht gefunden",
            "Diesen Eintrag gibt es in den Planungszyklen des Kreises nicht (mehr).",
        ),
        Err(e) => internal(&e),
    }
}

/// The small form that deletes a record after confirming (for planners).
pub fn delete_form(me: &Signed, code: &str, id: i64, title: &str) -> String {
    format!(
        r#"<form class="inline" method="post" action="/arbeitsbereich/planung/loeschen">{csrf}<input type="hidden" name="art" value="{code}"><input type="hidden" name="id" value="{id}"><label><input type="checkbox" name="bestaetigt" value="1" required> bestätigen</label> <button type="submit" class="secondary" aria-label="„{t}“ löschen">Löschen</button></form>"#,
        csrf = csrf_field(me),
        t = esc(title),
    )
}
