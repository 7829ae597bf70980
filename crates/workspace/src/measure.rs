//! One measure in the workspace: its aims evaluated on the internal values, the change in its
//! municipalities against the rest of the district on the same values, and the form that
//! carries it through its life (status, owner, partners, period, budget, target groups,
//! municipalities, evaluation notes, publication). The table of all measures is in
//! `measure_table`.

use std::collections::BTreeMap;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sozialmonitor_core::access::Permission;
use sozialmonitor_core::engine::Cell;
use sozialmonitor_core::format::{german_number, unit_decimals};
use sozialmonitor_core::planning::{Change, STATUSES, Status, compare, span_de};
use sozialmonitor_store::{
    AuditEvent, Cycle, Database, PlanMeasure, Planning, Recommendation, RegionInfo, Store,
};
use sozialmonitor_viz::esc;

use crate::cycle::{Saved, answer, in_district};
use crate::guard::Form;
use crate::pages::{csrf_field, internal, municipalities_of, page, refusal};
use crate::planning::{Judged, aim_html, german_or_plain_number, judge};
use crate::{Signed, Workspace};

/// A measure of the district with everything its page shows.
struct Loaded {
    cycle: Cycle,
    measure: PlanMeasure,
    judged: Vec<Judged>,
    recommendations: Vec<Recommendation>,
    places: Vec<RegionInfo>,
    /// The comparison with the rest of the district in words, for each aim that has one.
    compared: Vec<String>,
    /// The stored version the form was made from (see [`version_of`]).
    version: String,
}

/// A fingerprint of a measure with its aims as stored: a form carries it, and a save over a
/// change someone else made meanwhile is refused instead of silently undoing it.
fn version_of(m: &PlanMeasure, judged: &[Judged]) -> String {
    let aims: Vec<_> = judged.iter().map(|j| &j.aim).collect();
    sozialmonitor_import::sha256_hex(format!("{m:?}{aims:?}").as_bytes())
}

fn load(db: &Database, kreis: &str, id: i64) -> anyhow::Result<Option<Loaded>> {
    let Some((cycle, measure)) =
        in_district(db, kreis, |db, c| db.plan_measures(c), |m| m.id == id)?
    else {
        return Ok(None);
    };
    let entries = db.indicators()?;
    let judged = judge(db, &entries, db.plan_aims(id)?)?;
    let places = municipalities_of(db, kreis)?;
    let compared = judged
        .iter()
        .map(|j| compared(db, &places, &measure, j))
        .collect::<anyhow::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    Ok(Some(Loaded {
        version: version_of(&measure, &judged),
        recommendations: db.recommendations(cycle.id)?,
        places,
        cycle,
        measure,
        judged,
        compared,
    }))
}

/// The change in the measure's municipalities against the district's other municipalities,
/// from the aim's baseline year to the newest year, on the internal values.
fn compared(
    db: &Database,
    places: &[RegionInfo],
    m: &PlanMeasure,
    j: &Judged,
) -> anyhow::Result<Option<String>> {
    if m.municipalities.is_empty() {
        return Ok(None);
    }
    // Today's municipalities, and those the measure names: a dissolved municipality's series
    // ends at its merger, and the one that absorbed it would otherwise count the merger as
    // growth against an old value of its own.
    let counted = |key: &str| {
        places.iter().any(|p| p.key == key) || m.municipalities.iter().any(|k| k == key)
    };
    let mut series: BTreeMap<String, Vec<(u16, f64)>> = BTreeMap::new();
    for r in db.results(&j.aim.indicator)?.unwrap_or_default() {
        if let (true, Cell::Num(x)) = (counted(&r.region), r.cell) {
            series.entry(r.region).or_default().push((r.year, x));
        }
    }
    let newest = series.values().flatten().map(|(y, _)| *y).max();
    let (Ok(from), Some(to)) = (u16::try_from(j.aim.baseline_year), newest) else {
        return Ok(None);
    };
    let inside: Vec<&str> = m.municipalities.iter().map(String::as_str).collect();
    let all = series.iter().map(|(k, s)| (k.as_str(), s.as_slice()));
    let change = Change::for_unit(&j.unit);
    Ok(
        compare(all, &inside, (from, to), change)
            .map(|c| c.german(&j.name, unit_decimals(&j.unit))),
    )
}

fn options<'a>(items: impl Iterator<Item = (String, &'a str, bool)>) -> String {
    items
        .map(|(value, label, selected)| {
            format!(
                r#"<option value="{}"{}>{}</option>"#,
                esc(&value),
                if selected { " selected" } else { "" },
                esc(label)
            )
        })
        .collect()
}

/// The form that edits the measure; the aims stay as they are.
fn form_html(me: &Signed, l: &Loaded) -> String {
    let m = &l.measure;
    let statuses = options(
        STATUSES
            .iter()
            .map(|s| (s.code().to_string(), s.label_de(), *s == m.status)),
    );
    let recs = options(
        std::iter::once((String::new(), "keine", m.recommendation_id.is_none())).chain(
            l.recommendations.iter().map(|r| {
                (
                    r.id.to_string(),
                    r.title.as_str(),
                    m.recommendation_id == Some(r.id),
                )
            }),
        ),
    );
    let box_of = |key: &str, name: &str, checked: bool| {
        format!(
            r#"<label class="check"><input type="checkbox" name="gemeinde" value="{}"{}> {}</label>"#,
            esc(key),
            if checked { " checked" } else { "" },
            esc(name)
        )
    };
    // A stored key that is no current municipality (dissolved since) keeps its box, so an
    // unrelated edit does not drop it.
    let places: String = m
        .municipalities
        .iter()
        .filter(|k| !l.places.iter().any(|p| &p.key == *k))
        .map(|k| box_of(k, &format!("{k} (nicht mehr im Gemeindeverzeichnis)"), true))
        .chain(
            l.places
                .iter()
                .map(|p| box_of(&p.key, &p.name, m.municipalities.contains(&p.key))),
        )
        .collect();
    let text = |label: &str, id: &str, name: &str, value: &str| {
        format!(
            r#"<label for="{id}">{label}<input id="{id}" name="{name}" value="{}"></label>"#,
            esc(value)
        )
    };
    format!(
        r#"<h2>Bearbeiten</h2>
<form class="stack" method="post" action="/arbeitsbereich/planung/massnahme/{id}">{csrf}<input type="hidden" name="fassung" value="{version}">
<label for="m-titel">Titel<input id="m-titel" name="titel" value="{title}" required></label>
<label for="m-text">Beschreibung<textarea id="m-text" name="text" rows="4">{body}</textarea></label>
<label for="m-stand">Stand<select id="m-stand" name="stand">{statuses}</select></label>
{owner}{partners}{from}{to}
<label for="m-budget">Budget <span class="hint">Euro, z. B. 12.500</span><input id="m-budget" name="budget" inputmode="decimal" value="{budget}"></label>
{groups}
<label for="m-emp">Setzt die Empfehlung um<select id="m-emp" name="empfehlung">{recs}</select></label>
<fieldset class="places"><legend>Gemeinden</legend><p class="hint">Keine angekreuzt: der ganze Kreis.</p>{places}</fieldset>
<label for="m-notizen">Notizen zur Bewertung <span class="hint">intern, Markdown</span><textarea id="m-notizen" name="notizen" rows="4">{notes}</textarea></label>
<label class="check"><input type="checkbox" name="oeffentlich" value="1" aria-describedby="m-oeffentlich-was"{public}> im öffentlichen Sozialmonitor zeigen</label>
<p class="hint" id="m-oeffentlich-was">Öffentlich werden Beschreibung, Stand, Zeitraum, Verantwortliche, Partner, Budget, Zielgruppen, Gemeinden und Ziele; die Notizen bleiben intern.</p>
<p><button type="submit">Maßnahme speichern</button></p></form>"#,
        id = m.id,
        csrf = csrf_field(me),
        version = l.version,
        title = esc(&m.title),
        body = esc(&m.body),
        owner = text("Verantwortlich", "m-wer", "verantwortlich", &m.owner),
        partners = text("Partner", "m-partner", "partner", &m.partners),
        from = text(
            "Von <span class=\"hint\">JJJJ, JJJJ-MM oder JJJJ-MM-TT</span>",
            "m-von",
            "von",
            &m.period_from
        ),
        to = text(
            "Bis <span class=\"hint\">wie von</span>",
            "m-bis",
            "bis",
            &m.period_to
        ),
        budget = m.budget.map(|b| german_number(b, 2)).unwrap_or_default(),
        groups = text("Zielgruppen", "m-gruppen", "zielgruppen", &m.target_groups),
        notes = esc(&m.notes),
        public = if m.public { " checked" } else { "" },
    )
}

fn page_html(me: &Signed, l: &Loaded, saved: bool) -> String {
    let m = &l.measure;
    let aims: String = l.judged.iter().map(|j| aim_html(j, &m.title)).collect();
    let places = if m.municipalities.is_empty() {
        "ganzer Kreis".to_string()
    } else {
        m.municipalities
            .iter()
            .map(|k| {
                l.places
                    .iter()
                    .find(|p| &p.key == k)
                    .map_or_else(|| esc(k), |p| esc(&p.name))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let compared: String = l
        .compared
        .iter()
        .map(|c| format!("<li>{}</li>", esc(c)))
        .collect();
    let compared = if compared.is_empty() {
        String::new()
    } else {
        format!(
            "<h2>Vergleich mit dem übrigen Kreis</h2><p class=\"hint\">Auf den internen Werten.</p><ul>{compared}</ul>"
        )
    };
    let form = if me.account.role.may(Permission::EditPlanning) {
        format!(
            "{}<h2>Löschen</h2><p>Die Maßnahme mit ihren Zielen entfernen; das Protokoll behält ihren Titel.</p>{}",
            form_html(me, l),
            crate::cycle::delete_form(me, "massnahme", m.id, &m.title)
        )
    } else {
        String::new()
    };
    format!(
        r#"<p><a href="/arbeitsbereich/planung?zyklus={cycle_id}#massnahmen">Planung: {cycle}</a> › Maßnahme</p>
<h1>{title}</h1>{saved}
<dl class="meta"><dt>Stand</dt><dd>{status}</dd><dt>Zeitraum</dt><dd>{period}</dd><dt>Gemeinden</dt><dd>{places}</dd><dt>Sichtbar</dt><dd>{public}</dd></dl>
<h2>Ziele und Fortschritt</h2><ul class="plain aims">{aims}</ul>{compared}{form}"#,
        cycle_id = l.cycle.id,
        cycle = esc(&l.cycle.title),
        title = esc(&m.title),
        saved = if saved {
            r#"<p class="ok" role="status">Gespeichert, im Protokoll vermerkt.</p>"#
        } else {
            ""
        },
        status = m.status.label_de(),
        period = esc(&span_de(&m.period_from, &m.period_to)),
        public = if m.public {
            r#"öffentlich (<a href="/planung">im Sozialmonitor</a>)"#
        } else {
            "intern"
        },
    )
}

/// The title and text of the page for a measure that is not there.
const MISSING: (&str, &str) = (
    "Keine solche Maßnahme",
    "Diese Maßnahme gibt es in den Planungszyklen des Kreises nicht.",
);

fn not_found() -> Response {
    refusal(StatusCode::NOT_FOUND, MISSING.0, MISSING.1)
}

/// `GET /arbeitsbereich/planung/massnahme/{id}`.
pub async fn show(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Path(id): Path<i64>,
    RawQuery(q): RawQuery,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    match ws.db(move |db| load(db, &kreis, id)).await {
        Ok(Some(l)) => {
            let saved = Form::query(q.as_deref()).get("gespeichert") == "1";
            page("Maßnahme", &page_html(&me, &l, saved), Some(&me)).into_response()
        }
        Ok(None) => not_found(),
        Err(e) => internal(&e),
    }
}

/// The measure as the form changes it, or why the form cannot be saved.
fn edited(form: &Form, l: &Loaded) -> Result<PlanMeasure, String> {
    let text = |k: &str| form.get(k).trim().to_string();
    if text("titel").is_empty() {
        return Err("Der Titel fehlt.".into());
    }
    let status = Status::parse(form.get("stand")).ok_or("Der Stand ist unbekannt.")?;
    let budget = match text("budget") {
        b if b.is_empty() => None,
        b => Some(
            german_or_plain_number(&b)
                .filter(|x| *x >= 0.0)
                .ok_or("Das Budget muss ein Betrag in Euro sein (z. B. 12.500 oder 12500,50).")?,
        ),
    };
    let recommendation_id = match form.get("empfehlung") {
        "" => None,
        r => Some(
            r.parse::<i64>()
                .ok()
                .filter(|id| l.recommendations.iter().any(|x| x.id == *id))
                .ok_or("Diese Empfehlung gehört nicht zu diesem Planungszyklus.")?,
        ),
    };
    let (from, to) = (
        crate::cycle::date(form, "von", "Von")?,
        crate::cycle::date(form, "bis", "Bis")?,
    );
    let mut municipalities = Vec::new();
    for v in form
        .0
        .iter()
        .filter(|(k, _)| k == "gemeinde")
        .map(|(_, v)| v)
    {
        let known = l.places.iter().any(|p| &p.key == v) || l.measure.municipalities.contains(v);
        if !known {
            return Err("Eine der Gemeinden gehört nicht zum Kreis.".into());
        }
        if !municipalities.contains(v) {
            municipalities.push(v.clone());
        }
    }
    Ok(PlanMeasure {
        recommendation_id,
        title: text("titel"),
        body: text("text"),
        owner: text("verantwortlich"),
        partners: text("partner"),
        period_from: from.to_string(),
        period_to: to.to_string(),
        budget,
        status,
        target_groups: text("zielgruppen"),
        municipalities,
        notes: text("notizen"),
        public: form.get("oeffentlich") == "1",
        ..l.measure.clone()
    })
}

/// A measure in one line for the audit log: every field the form changes (the notes by
/// their length, as they may be long).
fn summary(m: &PlanMeasure) -> String {
    format!(
        "{} | {} | {} | Partner: {} | {} | Budget: {} | Zielgruppen: {} | Gemeinden: {} | Empfehlung: {} | Notizen: {} Zeichen | {}",
        m.title,
        m.status.code(),
        m.owner,
        m.partners,
        span_de(&m.period_from, &m.period_to),
        m.budget.map(|b| german_number(b, 2)).unwrap_or_default(),
        m.target_groups,
        if m.municipalities.is_empty() {
            "Kreis".to_string()
        } else {
            m.municipalities.join(",")
        },
        m.recommendation_id
            .map(|r| r.to_string())
            .unwrap_or_default(),
        m.notes.chars().count(),
        if m.public { "öffentlich" } else { "intern" },
    )
}

/// `POST /arbeitsbereich/planung/massnahme/{id}`: saves the edited measure (its aims stay).
/// Read, checked and written in one go, so neither a change saved meanwhile nor the aims can
/// be overwritten with what the form saw.
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
            let Some(l) = load(db, &kreis, id)? else {
                return Ok(Saved::Missing);
            };
            let seen = form.get("fassung");
            if !seen.is_empty() && seen != l.version {
                return Ok(Saved::changed("Die Maßnahme"));
            }
            let new = match edited(&form, &l) {
                Ok(m) => m,
                Err(why) => return Ok(Saved::Refused(why)),
            };
            let ev = AuditEvent::new(now, &login, "plan.measure.update", &l.measure.title)
                .values(Some(summary(&l.measure)), Some(summary(&new)));
            let aims: Vec<_> = l.judged.into_iter().map(|j| j.aim).collect();
            db.save_plan_measure(&new, &aims, &ev)?;
            Ok(Saved::Done(format!(
                "/arbeitsbereich/planung/massnahme/{id}?gespeichert=1"
            )))
        })
        .await;
    answer(saved, MISSING)
}
