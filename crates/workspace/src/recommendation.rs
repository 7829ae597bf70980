//! Editing a recommendation after it was written: its title, action field, text, findings, the
//! indicators it rests on, and whether the public sees it. The council's decision on it has its
//! own form (`planning::decide`). A save is read, checked and written in one go against the
//! version the form was made from, so a change saved meanwhile is never undone.

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::Response;
use sozialmonitor_store::{AuditEvent, Planning, Recommendation, Store};
use sozialmonitor_viz::esc;

use crate::cycle::{Saved, answer, back_to, in_district, version_of};
use crate::guard::Form;
use crate::pages::csrf_field;
use crate::{Signed, Workspace};

/// The title and text of the page for a recommendation that is not there.
pub(crate) const MISSING: (&str, &str) = (
    "Keine solche Empfehlung",
    "Diese Empfehlung gibt es in den Planungszyklen des Kreises nicht.",
);

/// The form that edits recommendation `r`; `indicators` are the catalogue's (key, name).
pub fn edit_form(me: &Signed, r: &Recommendation, indicators: &[(String, String)]) -> String {
    let options: String = indicators
        .iter()
        .map(|(k, n)| {
            format!(
                r#"<option value="{}"{}>{}</option>"#,
                esc(k),
                if r.indicators.contains(k) {
                    " selected"
                } else {
                    ""
                },
                esc(n)
            )
        })
        .collect();
    format!(
        r#"<details><summary>Bearbeiten</summary>
<form class="stack" method="post" action="/arbeitsbereich/planung/empfehlung/{id}">{csrf}<input type="hidden" name="fassung" value="{version}">
<label for="r-titel-{id}">Titel<input id="r-titel-{id}" name="titel" value="{title}" required></label>
<label for="r-feld-{id}">Handlungsfeld<input id="r-feld-{id}" name="handlungsfeld" value="{field}" list="s-felder" required></label>
<label for="r-text-{id}">Text<textarea id="r-text-{id}" name="text" rows="3">{body}</textarea></label>
<label for="r-befunde-{id}">Befunde <span class="hint">intern</span><textarea id="r-befunde-{id}" name="befunde" rows="2">{findings}</textarea></label>
<label for="r-ind-{id}">Indikatoren, auf denen sie beruht <span class="hint">mehrere mit Strg oder ⌘</span><select id="r-ind-{id}" name="indikator" multiple size="6">{options}</select></label>
<label class="check"><input type="checkbox" name="oeffentlich" value="1" aria-describedby="r-oeffentlich-{id}"{public}> im öffentlichen Sozialmonitor zeigen</label>
<p class="hint" id="r-oeffentlich-{id}">Öffentlich werden Titel, Handlungsfeld, Text, Indikatoren und Beschluss; die Befunde bleiben intern.</p>
<p><button type="submit">Empfehlung speichern</button></p></form></details>"#,
        id = r.id,
        csrf = csrf_field(me),
        version = version_of(r),
        title = esc(&r.title),
        field = esc(&r.action_field),
        body = esc(&r.body),
        findings = esc(&r.findings),
        public = if r.public { " checked" } else { "" },
    )
}

/// The recommendation as the form changes it, or why not.
fn edited(
    form: &Form,
    old: &Recommendation,
    known: &[String],
) -> Result<Recommendation, &'static str> {
    let text = |k: &str| form.get(k).trim().to_string();
    if text("titel").is_empty() || text("handlungsfeld").is_empty() {
        return Err("Titel und Handlungsfeld sind nötig.");
    }
    let mut indicators: Vec<String> = Vec::new();
    for (_, k) in form.0.iter().filter(|(name, _)| name == "indikator") {
        if !known.contains(k) {
            return Err("Einen der Indikatoren gibt es im Katalog nicht.");
        }
        if !indicators.contains(k) {
            indicators.push(k.clone());
        }
    }
    Ok(Recommendation {
        title: text("titel"),
        action_field: text("handlungsfeld"),
        body: text("text"),
        findings: text("befunde"),
        indicators,
        public: form.get("oeffentlich") == "1",
        ..old.clone()
    })
}

/// The recommendation in one line for the audit log.
fn summary(r: &Recommendation) -> String {
    format!(
        "{} | {} | Indikatoren: {} | Text: {} Zeichen | Befunde: {} Zeichen | {}",
        r.title,
        r.action_field,
        r.indicators.join(","),
        r.body.chars().count(),
        r.findings.chars().count(),
        if r.public { "öffentlich" } else { "intern" },
    )
}

/// `POST /arbeitsbereich/planung/empfehlung/{id}`: saves the edited recommendation.
pub async fn save(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<i64>,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login) = (ws.now(), me.account.login.clone());
    let saved = ws
        .db(move |db| {
            let found = in_district(db, &kreis, |db, c| db.recommendations(c), |r| r.id == id)?;
            let Some((_, old)) = found else {
                return Ok(Saved::Missing);
            };
            let seen = form.get("fassung");
            if !seen.is_empty() && seen != version_of(&old) {
                return Ok(Saved::changed("Die Empfehlung"));
            }
            let known: Vec<String> = db.indicators()?.into_iter().map(|e| e.key).collect();
            let new = match edited(&form, &old, &known) {
                Ok(r) => r,
                Err(why) => return Ok(Saved::Refused(why.into())),
            };
            let ev = AuditEvent::new(now, &login, "plan.recommendation.update", &old.title)
                .values(Some(summary(&old)), Some(summary(&new)));
            db.save_recommendation(&new, &ev)?;
            Ok(Saved::Done(back_to(old.cycle_id)))
        })
        .await;
    answer(saved, MISSING)
}
