//! The planning cycle in the workspace: a cycle's timeline, its pending decisions, priorities
//! and goals per action field, recommendations with the council's decision, and measures with
//! their aims evaluated against the current (internal) values, each drawn as a chart of
//! baseline, expected path, target and actual values. Planners add recommendations, record the
//! decision on them and add measures with an aim whose baseline is taken from the data.

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use sozialmonitor_core::access::Permission;
use sozialmonitor_core::engine::Cell;
use sozialmonitor_core::format::unit_decimals;
use sozialmonitor_core::planning::{
    Aim, Direction, Evaluation, STATUSES, Status, evaluate, span_de,
};
use sozialmonitor_store::{
    AuditEvent, Cycle, Database, MeasureAim, Network, PlanMeasure, Planning, Recommendation, Store,
    Writing,
};
use sozialmonitor_viz::esc;

use crate::cycle::{
    Saved, answer, back, back_to, create, cycle_of, date, in_district, refused, source,
};
use crate::guard::Form;
use crate::pages::{csrf_field, internal, page};
use crate::{Signed, Workspace};

/// An indicator's internal values in one region, by year.
fn series_of(db: &Database, indicator: &str, region: &str) -> anyhow::Result<Vec<(u16, f64)>> {
    Ok(db
        .results(indicator)?
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.region == region)
        .filter_map(|r| match r.cell {
            Cell::Num(x) => Some((r.year, x)),
            _ => None,
        })
        .collect())
}

/// A measure's aim with its evaluation and the values it was evaluated on.
pub(crate) struct Judged {
    pub(crate) aim: MeasureAim,
    region: String,
    pub(crate) unit: String,
    pub(crate) name: String,
    series: Vec<(u16, f64)>,
    pub(crate) evaluation: Option<Evaluation>,
}

/// Evaluates a measure's aims on the internal values.
pub(crate) fn judge(
    db: &Database,
    entries: &[sozialmonitor_core::catalog::IndicatorEntry],
    aims: Vec<MeasureAim>,
) -> anyhow::Result<Vec<Judged>> {
    let mut judged = Vec::new();
    for aim in aims {
        let series = series_of(db, &aim.indicator, &aim.region_key)?;
        let entry = entries.iter().find(|e| e.key == aim.indicator);
        let evaluation = aim_of(&aim).ok().map(|a| evaluate(&a, &series));
        let region = db
            .region(&aim.region_key)?
            .map_or(aim.region_key.clone(), |r| r.name);
        judged.push(Judged {
            region,
            unit: entry.map(|e| e.unit.clone()).unwrap_or_default(),
            name: entry.map_or(aim.indicator.clone(), |e| e.name.clone()),
            aim,
            series,
            evaluation,
        });
    }
    Ok(judged)
}

/// Everything the page shows of one cycle.
struct Shown {
    cycles: Vec<Cycle>,
    cycle: Option<Cycle>,
    milestones: Vec<sozialmonitor_store::Milestone>,
    decisions: Vec<sozialmonitor_store::Decision>,
    priorities: Vec<sozialmonitor_store::Priority>,
    recommendations: Vec<Recommendation>,
    measures: Vec<(PlanMeasure, Vec<Judged>)>,
    indicators: Vec<(String, String)>,
    /// The catalogue's action fields.
    fields: Vec<String>,
    /// The planning documents made, newest first.
    documents: Vec<sozialmonitor_store::ReportInfo>,
    /// Every impulse of the district's participation events, with its event: where a
    /// recommendation or measure came from.
    origins: Vec<(
        sozialmonitor_store::ParticipationEvent,
        sozialmonitor_store::Impulse,
    )>,
}

fn load(db: &Database, kreis: &str, wanted: Option<i64>) -> anyhow::Result<Shown> {
    let cycles = db.cycles(kreis)?;
    // The newest by its years unless one is asked for.
    let cycle = wanted
        .and_then(|w| cycles.iter().find(|c| c.id == w))
        .or_else(|| {
            cycles
                .iter()
                .max_by_key(|c| (c.last_year, c.first_year, c.id))
        })
        .cloned();
    let entries = db.indicators()?;
    let indicators = entries
        .iter()
        .map(|e| (e.key.clone(), e.name.clone()))
        .collect();
    let fields = entries.iter().map(|e| e.action_field.clone()).collect();
    let documents = db.reports_of(crate::writing::PLANNING_DOCUMENT, kreis)?;
    let mut origins = Vec::new();
    for e in db.events(kreis)? {
        for i in db.impulses(e.id)? {
            origins.push((e.clone(), i));
        }
    }
    let Some(c) = &cycle else {
        return Ok(Shown {
            origins,
            documents,
            cycles,
            cycle: None,
            milestones: Vec::new(),
            decisions: Vec::new(),
            priorities: Vec::new(),
            recommendations: Vec::new(),
            measures: Vec::new(),
            indicators,
            fields,
        });
    };
    let mut measures = Vec::new();
    for m in db.plan_measures(c.id)? {
        let judged = judge(db, &entries, db.plan_aims(m.id)?)?;
        measures.push((m, judged));
    }
    let mut milestones = db.milestones(c.id)?;
    // By date; an entry without one (not yet known) last.
    milestones.sort_by(|a, b| {
        (a.date_from.is_empty(), &a.date_from, a.id).cmp(&(
            b.date_from.is_empty(),
            &b.date_from,
            b.id,
        ))
    });
    Ok(Shown {
        origins,
        documents,
        milestones,
        decisions: db.decisions(c.id)?,
        priorities: db.priorities(c.id)?,
        recommendations: db.recommendations(c.id)?,
        measures,
        cycles,
        cycle,
        indicators,
        fields,
    })
}

fn aim_of(a: &MeasureAim) -> Result<Aim, sozialmonitor_core::planning::AimError> {
    let year = |y: i64| u16::try_from(y).unwrap_or(0);
    Aim::new(
        (a.baseline, year(a.baseline_year)),
        (a.target, year(a.target_year)),
        a.direction,
    )
}

fn example_tag(example: bool) -> &'static str {
    if example {
        r#" <span class="tag">Beispiel</span>"#
    } else {
        ""
    }
}

/// The delete form for a record, for those who may change the planning (else nothing).
fn delete_form(me: &Signed, code: &str, id: i64, title: &str) -> String {
    if me.account.role.may(Permission::EditPlanning) {
        crate::cycle::delete_form(me, code, id, title)
    } else {
        String::new()
    }
}

fn timeline_html(me: &Signed, s: &Shown) -> String {
    let editing = me.account.role.may(Permission::EditPlanning);
    let rows: String = s
        .milestones
        .iter()
        .map(|m| {
            let action = if editing {
                format!("<td>{}</td>", delete_form(me, "zeitplan", m.id, &m.title))
            } else {
                String::new()
            };
            format!(
                r#"<tr><td>{when}</td><td>{kind}</td><td>{title}{ex}</td><td>{status}</td><td>{who}</td><td class="source">{src}</td>{action}</tr>"#,
                when = if m.date_from.is_empty() {
                    "noch offen".to_string()
                } else {
                    esc(&span_de(&m.date_from, &m.date_to))
                },
                kind = m.kind.label_de(),
                title = esc(&m.title),
                ex = example_tag(m.example),
                status = m.status.label_de(),
                who = esc(&m.responsible),
                src = esc(&m.source),
            )
        })
        .collect();
    format!(
        r#"<h2 id="zeitplan">Zeitplan</h2>
<div class="table-wrap" role="region" aria-labelledby="zeitplan" tabindex="0"><table><caption>Prozessschritte, Meilensteine, Veranstaltungen und Beschlüsse, nach Datum</caption>
<thead><tr><th scope="col">Wann</th><th scope="col">Art</th><th scope="col">Was</th><th scope="col">Stand</th><th scope="col">Verantwortlich</th><th scope="col">Quelle</th>{action}</tr></thead>
<tbody>{rows}</tbody></table></div>"#,
        action = if editing {
            r#"<th scope="col">Aktion</th>"#
        } else {
            ""
        },
    )
}

fn decisions_html(me: &Signed, s: &Shown) -> String {
    if s.decisions.is_empty() {
        return String::new();
    }
    let items: String = s
        .decisions
        .iter()
        .map(|d| {
            let options: String = d
                .options
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| format!("<li>{}</li>", esc(l.trim())))
                .collect();
            let open = d.outcome.trim().is_empty();
            let outcome = if open {
                "offen".to_string()
            } else {
                format!("{} ({})", esc(&d.outcome), esc(&span_de(&d.decided_on, "")))
            };
            let form = if open && me.account.role.may(Permission::EditPlanning) {
                crate::cycle::outcome_form(me, d.id)
            } else {
                String::new()
            };
            format!(
                r#"<li><strong>{q}</strong>{ex}<ul>{options}</ul><p>Entscheidet: {who}{due} · Ergebnis: {outcome}</p><p class="hint">Quelle: {src}</p>{form}{delete}</li>"#,
                delete = delete_form(me, "entscheidung", d.id, &d.question),
                q = esc(&d.question),
                ex = example_tag(d.example),
                who = esc(&d.decider),
                due = if d.due.is_empty() {
                    String::new()
                } else {
                    format!(", bis {}", esc(&span_de(&d.due, "")))
                },
                src = esc(&d.source),
            )
        })
        .collect();
    format!(r#"<h2>Ausstehende Entscheidungen</h2><ul class="plain decisions">{items}</ul>"#)
}

fn priorities_html(me: &Signed, s: &Shown) -> String {
    let mut fields: Vec<&str> = s
        .priorities
        .iter()
        .map(|p| p.action_field.as_str())
        .collect();
    fields.sort_unstable();
    fields.dedup();
    let sections: String = fields
        .iter()
        .map(|f| {
            let items: String = s
                .priorities
                .iter()
                .filter(|p| p.action_field == *f)
                .map(|p| {
                    format!(
                        r#"<li><strong>{kind}:</strong> {title}{ex}<br>{body} <span class="hint">Quelle: {src}</span> {delete}</li>"#,
                        delete = delete_form(me, "schwerpunkt", p.id, &p.title),
                        kind = p.kind.label_de(),
                        title = esc(&p.title),
                        ex = example_tag(p.example),
                        body = esc(&p.body),
                        src = esc(&p.source),
                    )
                })
                .collect();
            format!("<h3>{}</h3><ul>{items}</ul>", esc(f))
        })
        .collect();
    format!("<h2>Handlungsfelder: Schwerpunkte und Ziele</h2>{sections}")
}

/// "Aus der Beteiligung": the impulses that led to a recommendation or measure, each linked to
/// its event; empty when none did.
fn origins_html(s: &Shown, recommendation: Option<i64>, measure: Option<i64>) -> String {
    let links: Vec<String> = s
        .origins
        .iter()
        .filter(|(_, i)| i.leads_to(recommendation, measure))
        .map(|(e, i)| {
            format!(
                r#"„{}“ (<a href="/arbeitsbereich/beteiligung/{}">{}</a>)"#,
                esc(&i.title),
                e.id,
                esc(&e.title)
            )
        })
        .collect();
    if links.is_empty() {
        String::new()
    } else {
        format!("<p><em>Aus der Beteiligung:</em> {}</p>", links.join("; "))
    }
}

fn recommendation_html(me: &Signed, s: &Shown, r: &Recommendation) -> String {
    let name = |k: &str| {
        s.indicators
            .iter()
            .find(|(key, _)| key == k)
            .map_or(k.to_string(), |(_, n)| n.clone())
    };
    let indicators: Vec<String> = r
        .indicators
        .iter()
        .map(|k| {
            format!(
                r#"<a href="/arbeitsbereich/werte?indikator={}">{}</a>"#,
                crate::pages::qv(k),
                esc(&name(k))
            )
        })
        .collect();
    let decision = if r.outcome.trim().is_empty() {
        format!("noch nicht entschieden ({})", esc(&r.decided_by))
    } else {
        format!(
            "{} am {}{}: {}",
            esc(&r.decided_by),
            esc(&span_de(&r.decided_on, "")),
            if r.reference.is_empty() {
                String::new()
            } else {
                format!(" ({})", esc(&r.reference))
            },
            esc(&r.outcome)
        )
    };
    let form = if me.account.role.may(Permission::EditPlanning) {
        let statuses: String = STATUSES
            .iter()
            .map(|st| {
                format!(
                    r#"<option value="{}"{}>{}</option>"#,
                    st.code(),
                    if *st == r.status { " selected" } else { "" },
                    st.label_de()
                )
            })
            .collect();
        format!(
            r#"<details><summary>Beschluss eintragen</summary>
<form class="stack" method="post" action="/arbeitsbereich/planung/empfehlung/{id}/beschluss">{csrf}
<label for="b-von-{id}">Gremium<input id="b-von-{id}" name="gremium" value="{by}"></label>
<label for="b-am-{id}">Datum <span class="hint">JJJJ-MM-TT (oder JJJJ-MM, JJJJ)</span><input id="b-am-{id}" name="datum" value="{on}"></label>
<label for="b-az-{id}">Beschlussnummer<input id="b-az-{id}" name="nummer" value="{reference}"></label>
<label for="b-erg-{id}">Ergebnis<input id="b-erg-{id}" name="ergebnis" value="{outcome}" required></label>
<label for="b-st-{id}">Stand<select id="b-st-{id}" name="stand">{statuses}</select></label>
<p><button type="submit">Beschluss speichern</button></p></form></details>{edit}"#,
            id = r.id,
            csrf = csrf_field(me),
            edit = crate::recommendation::edit_form(me, r, &s.indicators),
            by = esc(&r.decided_by),
            on = esc(&r.decided_on),
            reference = esc(&r.reference),
            outcome = esc(&r.outcome),
        )
    } else {
        String::new()
    };
    format!(
        r#"<li id="empfehlung-{id}"><strong>{title}</strong>{ex} <span class="tag">{status}</span> <span class="hint">{field}{public}</span>
<p>{body}</p><p><em>Befunde:</em> {findings}</p><p><em>Indikatoren:</em> {indicators}</p><p><em>Beschluss:</em> {decision}</p>{origin}{form}{delete}</li>"#,
        origin = origins_html(s, Some(r.id), None),
        delete = delete_form(me, "empfehlung", r.id, &r.title),
        id = r.id,
        title = esc(&r.title),
        ex = example_tag(r.example),
        status = r.status.label_de(),
        field = esc(&r.action_field),
        public = if r.public {
            " · öffentlich"
        } else {
            " · intern"
        },
        body = esc(&r.body),
        findings = esc(&r.findings),
        indicators = if indicators.is_empty() {
            "keine".to_string()
        } else {
            indicators.join(", ")
        },
    )
}

/// The progress of one aim: its state in words, and the chart of baseline, expected path,
/// target and actual values.
pub(crate) fn aim_html(j: &Judged, measure: &str) -> String {
    let d = unit_decimals(&j.unit);
    let a = &j.aim;
    let (Ok(aim), Some(ev)) = (aim_of(a), j.evaluation) else {
        return format!(
            "<li>{}: das Ziel ist unvollständig angegeben.</li>",
            esc(&j.name)
        );
    };
    let (facts, chart) = sozialmonitor_site::planning::aim_figure(
        &aim,
        &ev,
        &j.series,
        &format!("{} in {}: {measure}", j.name, j.region),
        d,
    );
    format!(
        r#"<li><p><strong>{name}</strong> ({region}): <span class="tag progress-{code}">{label}</span> – {desc}</p><figure>{chart}</figure></li>"#,
        name = esc(&j.name),
        region = esc(&j.region),
        code = ev.progress.code(),
        label = ev.progress.label_de(),
        desc = esc(&facts),
    )
}

fn measures_html(s: &Shown) -> String {
    let items: String = s
        .measures
        .iter()
        .map(|(m, judged)| {
            let rec = m
                .recommendation_id
                .and_then(|id| s.recommendations.iter().find(|r| r.id == id))
                .map(|r| {
                    format!(
                        r##" · setzt um: <a href="#empfehlung-{}">{}</a>"##,
                        r.id,
                        esc(&r.title)
                    )
                })
                .unwrap_or_default();
            let aims: String = judged.iter().map(|j| aim_html(j, &m.title)).collect();
            format!(
                r#"<li><strong><a href="/arbeitsbereich/planung/massnahme/{id}">{title}</a></strong>{ex} <span class="tag">{status}</span> <span class="hint">{public}</span><p>{body}</p><p class="hint">{meta}{rec}</p>{origin}<ul class="plain aims">{aims}</ul></li>"#,
                origin = origins_html(s, None, Some(m.id)),
                id = m.id,
                title = esc(&m.title),
                public = if m.public { "öffentlich" } else { "intern" },
                ex = example_tag(m.example),
                status = m.status.label_de(),
                body = esc(&m.body),
                meta = measure_meta(m),
            )
        })
        .collect();
    format!(
        r#"<h2 id="massnahmen">Maßnahmen und Projekte</h2><p>Alle Maßnahmen mit ihren Zielen: <a href="/arbeitsbereich/planung/massnahmen.csv" download>CSV</a> · <a href="/arbeitsbereich/planung/massnahmen.xlsx" download>Excel (XLSX)</a></p><ul class="plain measures">{items}</ul>"#
    )
}

/// Who, with whom and when, as far as the planners filled it in.
fn measure_meta(m: &PlanMeasure) -> String {
    let mut parts = Vec::new();
    if !m.owner.trim().is_empty() {
        parts.push(format!("Verantwortlich: {}", esc(&m.owner)));
    }
    if !m.partners.trim().is_empty() {
        parts.push(format!("mit {}", esc(&m.partners)));
    }
    if !m.period_from.trim().is_empty() {
        parts.push(esc(&span_de(&m.period_from, &m.period_to)));
    }
    if parts.is_empty() {
        parts.push("ohne Angaben zu Zuständigkeit und Zeitraum".into());
    }
    parts.join(" · ")
}

/// The planning documents made, and the button that makes a new one.
fn documents_html(ws: &Workspace, me: &Signed, s: &Shown, busy: bool) -> String {
    let make = if me.account.role.may(Permission::EditPlanning) {
        format!(
            r#"<form method="post" action="/arbeitsbereich/planung/dokument">{}<button type="submit">Planungsdokument jetzt erstellen</button></form>"#,
            csrf_field(me)
        )
    } else {
        String::new()
    };
    let busy = if busy {
        r#"<p class="note" role="status">Es wird gerade schon etwas erstellt; Ihr Auftrag ist nicht angenommen. Bitte starten Sie ihn, wenn das Laufende fertig ist.</p>"#
    } else {
        ""
    };
    let rows: String = s
        .documents
        .iter()
        .map(|r| {
            format!(
                r#"<tr><td><a href="/arbeitsbereich/bericht/datei/{id}">Planungsdokument Nr. {id} (PDF, {kb} KB)</a></td><td>{when}</td><td>{who}</td><td class="num">{dv}</td></tr>"#,
                id = r.id,
                kb = (r.bytes + 1023) / 1024,
                when = esc(&sozialmonitor_core::format::german_datetime(r.created_at)),
                who = esc(&r.author),
                dv = r.data_version,
            )
        })
        .collect();
    format!(
        r#"<h2>Planungsdokument</h2>
<p>Das Planungsdokument fasst den neuesten Zyklus zusammen: Zeitplan, Entscheidungen, Datenbasis mit Datenlücken, Handlungsfelder, Empfehlungen mit ihren Belegen, Maßnahmen mit ihrer Wirkung und die Beschlüsse. Zahlen darin sind nur veröffentlichte Werte.</p>
{busy}{make}<ul class="plain">{jobs}</ul>
<div class="table-wrap"><table><caption>Erstellte Planungsdokumente, die neuesten zuerst</caption>
<thead><tr><th scope="col">Datei</th><th scope="col">Erstellt</th><th scope="col">Von</th><th scope="col" class="num">Datenstand (Import Nr.)</th></tr></thead>
<tbody>{rows}</tbody></table></div>"#,
        jobs = crate::writing::jobs_html(ws),
    )
}

fn forms_html(me: &Signed, s: &Shown, cycle: &Cycle) -> String {
    if !me.account.role.may(Permission::EditPlanning) {
        return String::new();
    }
    let options: String = s
        .indicators
        .iter()
        .map(|(k, n)| format!(r#"<option value="{}">{}</option>"#, esc(k), esc(n)))
        .collect();
    let recs: String = s
        .recommendations
        .iter()
        .map(|r| format!(r#"<option value="{}">{}</option>"#, r.id, esc(&r.title)))
        .collect();
    format!(
        r#"<h2>Neu</h2>
<details><summary>Empfehlung hinzufügen</summary>
<form class="stack" method="post" action="/arbeitsbereich/planung/empfehlung">{csrf}<input type="hidden" name="zyklus" value="{cycle}">
<label for="e-titel">Titel<input id="e-titel" name="titel" required></label>
<label for="e-feld">Handlungsfeld<input id="e-feld" name="handlungsfeld" list="s-felder" required></label>
<label for="e-text">Text<textarea id="e-text" name="text" rows="3"></textarea></label>
<label for="e-befunde">Befunde<textarea id="e-befunde" name="befunde" rows="2"></textarea></label>
<label for="e-ind">Indikator, auf dem sie beruht<select id="e-ind" name="indikator"><option value="">–</option>{options}</select></label>
<label for="e-gremium">Entscheidet<input id="e-gremium" name="gremium" value="Kreistag"></label>
<label class="check"><input type="checkbox" name="oeffentlich" value="1"> im öffentlichen Sozialmonitor zeigen <span class="hint">mit Text, Handlungsfeld, Indikatoren und Beschluss; die Befunde bleiben intern</span></label>
<p><button type="submit">Empfehlung speichern</button></p></form></details>
<details><summary>Maßnahme mit Ziel hinzufügen</summary>
<form class="stack" method="post" action="/arbeitsbereich/planung/massnahme">{csrf}<input type="hidden" name="zyklus" value="{cycle}">
<label for="m-titel">Titel<input id="m-titel" name="titel" required></label>
<label for="m-text">Beschreibung<textarea id="m-text" name="text" rows="3"></textarea></label>
<label for="m-wer">Verantwortlich<input id="m-wer" name="verantwortlich"></label>
<label for="m-von">Von <span class="hint">Jahr</span><input id="m-von" name="von"></label>
<label for="m-bis">Bis <span class="hint">Jahr</span><input id="m-bis" name="bis"></label>
<label for="m-emp">Setzt die Empfehlung um<select id="m-emp" name="empfehlung"><option value="">–</option>{recs}</select></label>
<label for="m-ind">Indikator des Ziels<select id="m-ind" name="indikator" required>{options}</select></label>
<label for="m-gebiet">Gebiet <span class="hint">Schlüssel; leer: der Kreis</span><input id="m-gebiet" name="gebiet"></label>
<label for="m-ziel">Zielwert<input id="m-ziel" name="zielwert" inputmode="decimal" required></label>
<label for="m-zieljahr">Zieljahr<input id="m-zieljahr" name="zieljahr" inputmode="numeric" required></label>
<label for="m-richtung">Richtung<select id="m-richtung" name="richtung"><option value="steigen">steigen</option><option value="sinken">sinken</option></select></label>
<p class="hint">Der Ausgangswert ist der neueste Wert des Indikators im Gebiet, wenn die Maßnahme angelegt wird. Gemeinden, Budget, Partner und Notizen trägt man danach auf der Seite der Maßnahme ein.</p>
<label class="check"><input type="checkbox" name="oeffentlich" value="1"> im öffentlichen Sozialmonitor zeigen <span class="hint">mit Beschreibung, Stand, Zeitraum, Verantwortlichen und Ziel</span></label>
<p><button type="submit">Maßnahme speichern</button></p></form></details>
{table_form}
{cycle_forms}"#,
        csrf = csrf_field(me),
        cycle = cycle.id,
        table_form = crate::measure_import::form(me, cycle.id),
        cycle_forms = crate::cycle::forms_html(me, Some(cycle), &action_fields(s)),
    )
}

/// The action fields the cycle and the catalogue name, sorted, each once.
fn action_fields(s: &Shown) -> Vec<String> {
    let mut out: Vec<String> = s
        .priorities
        .iter()
        .map(|p| p.action_field.clone())
        .chain(s.recommendations.iter().map(|r| r.action_field.clone()))
        .chain(s.fields.iter().cloned())
        .filter(|f| !f.trim().is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `GET /arbeitsbereich/planung?zyklus=ID`: the cycle (the newest by default).
pub async fn overview(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    RawQuery(q): RawQuery,
) -> Response {
    let form = Form::query(q.as_deref());
    let wanted = form.get("zyklus").parse().ok();
    let note = match (
        form.get("gespeichert"),
        form.get("eingelesen").parse::<usize>(),
    ) {
        ("1", _) => r#"<p class="ok" role="status">Gespeichert, im Protokoll vermerkt.</p>"#.into(),
        (_, Ok(n)) => format!(
            r#"<p class="ok" role="status">{n} {} aus der Tabelle eingelesen, im Protokoll vermerkt.</p>"#,
            if n == 1 { "Maßnahme" } else { "Maßnahmen" }
        ),
        _ => String::new(),
    };
    let kreis = ws.inner.settings.kreis.clone();
    let shown = match ws.db(move |db| load(db, &kreis, wanted)).await {
        Ok(s) => s,
        Err(e) => return internal(&e),
    };
    let Some(cycle) = &shown.cycle else {
        let forms = if me.account.role.may(Permission::EditPlanning) {
            crate::cycle::forms_html(&me, None, &[])
        } else {
            String::new()
        };
        let body = format!(
            "<h1>Planung</h1><p>Für diesen Kreis ist noch kein Planungszyklus angelegt (hier oder mit <code>sozialmonitor planning import DATEI</code>).</p>{forms}"
        );
        return page("Planung", &body, Some(&me)).into_response();
    };
    let others: String = shown
        .cycles
        .iter()
        .map(|c| {
            if c.id == cycle.id {
                format!(r#"<li aria-current="page">{}</li>"#, esc(&c.title))
            } else {
                format!(
                    r#"<li><a href="/arbeitsbereich/planung?zyklus={}">{}</a></li>"#,
                    c.id,
                    esc(&c.title)
                )
            }
        })
        .collect();
    let recs: String = shown
        .recommendations
        .iter()
        .map(|r| recommendation_html(&me, &shown, r))
        .collect();
    let body = format!(
        r#"<h1>Planung: {title}</h1>
{note}<p class="lead">{years}. {text}</p><p class="hint">Quelle: {src}. Einträge mit „Beispiel“ stehen in keiner Quelle.</p>
<nav aria-label="Planungszyklen"><ul class="plain">{others}</ul></nav>
{timeline}{decisions}{priorities}
<h2>Handlungsempfehlungen</h2><ul class="plain recommendations">{recs}</ul>
{measures}{documents}{forms}"#,
        title = esc(&cycle.title),
        years = format_args!("{}–{}", cycle.first_year, cycle.last_year),
        text = esc(&cycle.note),
        src = esc(&cycle.source),
        timeline = timeline_html(&me, &shown),
        decisions = decisions_html(&me, &shown),
        priorities = priorities_html(&me, &shown),
        measures = measures_html(&shown),
        forms = forms_html(&me, &shown, cycle),
        documents = documents_html(&ws, &me, &shown, form.get("beschaeftigt") == "1"),
    );
    page("Planung", &body, Some(&me)).into_response()
}

/// A number as typed: `24,5`, `1.234,5` and `12.500` the German way (a German form reads dots
/// between groups of three digits as thousands), `24.5` and `0.125` as decimals.
pub(crate) fn german_or_plain_number(s: &str) -> Option<f64> {
    let s = s.trim();
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    // Digits and separators only (no exponent, no `inf`); a dot after the comma is the English
    // way of grouping (`12,500.00`) and would be misread.
    let plain = body
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b',');
    let dot_after_comma = body
        .split_once(',')
        .is_some_and(|(_, frac)| frac.contains(['.', ',']));
    if !plain || dot_after_comma {
        return None;
    }
    let t = if s.contains(',') || thousands_grouped(s) {
        s.replace('.', "").replace(',', ".")
    } else {
        s.to_string()
    };
    t.parse().ok().filter(|x: &f64| x.is_finite())
}

/// `12.500`, `1.234.567`: digits grouped by dots into threes after a first group of one to
/// three digits that does not start with 0.
fn thousands_grouped(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let mut groups = s.split('.');
    let first = groups.next().unwrap_or("");
    let mut rest = groups.peekable();
    rest.peek().is_some()
        && (1..=3).contains(&first.len())
        && !first.starts_with('0')
        && first.bytes().all(|b| b.is_ascii_digit())
        && rest.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// `POST /arbeitsbereich/planung/empfehlung`: a new recommendation.
pub async fn add_recommendation(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let cycle = match cycle_of(&ws, &form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let text = |k: &str| form.get(k).trim().to_string();
    if text("titel").is_empty() || text("handlungsfeld").is_empty() {
        return refused("Titel und Handlungsfeld sind nötig.");
    }
    let r = Recommendation {
        id: 0,
        cycle_id: cycle.id,
        action_field: text("handlungsfeld"),
        title: text("titel"),
        body: text("text"),
        indicators: Some(text("indikator"))
            .filter(|k| !k.is_empty())
            .into_iter()
            .collect(),
        findings: text("befunde"),
        status: Status::Planned,
        decided_by: text("gremium"),
        decided_on: String::new(),
        reference: String::new(),
        outcome: String::new(),
        public: form.get("oeffentlich") == "1",
        source: source(&me),
        example: false,
    };
    let summary = r.title.clone();
    create(
        &ws,
        &me,
        &cycle,
        ("recommendation", summary),
        move |db, ev| db.save_recommendation(&r, ev),
    )
    .await
}

/// `POST /arbeitsbereich/planung/empfehlung/{id}/beschluss`: the decision on a recommendation,
/// read and saved in one database call so that an edit saved meanwhile is kept.
pub async fn decide(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<i64>,
) -> Response {
    let text = |k: &str| form.get(k).trim().to_string();
    let Some(status) = Status::parse(form.get("stand")) else {
        return refused("Der Stand ist unbekannt.");
    };
    if text("ergebnis").is_empty() {
        return refused("Das Ergebnis des Beschlusses fehlt.");
    }
    let decided_on = match date(&form, "datum", "Datum") {
        Ok(d) => d.to_string(),
        Err(why) => return refused(&why),
    };
    let (by, reference, outcome) = (text("gremium"), text("nummer"), text("ergebnis"));
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login) = (ws.now(), me.account.login.clone());
    let saved = ws
        .db(move |db| {
            let found = in_district(db, &kreis, |db, c| db.recommendations(c), |r| r.id == id)?;
            let Some((_, old)) = found else {
                return Ok(Saved::Missing);
            };
            let new = Recommendation {
                decided_by: by,
                decided_on,
                reference,
                outcome,
                status,
                ..old.clone()
            };
            let ev = AuditEvent::new(now, &login, "plan.recommendation.decide", &old.title).values(
                Some(format!("{} {}", old.decided_on, old.outcome)),
                Some(format!(
                    "{} {} {}",
                    new.decided_by, new.decided_on, new.outcome
                )),
            );
            db.save_recommendation(&new, &ev)?;
            Ok(Saved::Done(back_to(old.cycle_id)))
        })
        .await;
    answer(saved, crate::recommendation::MISSING)
}

/// `POST /arbeitsbereich/planung/massnahme`: a new measure with one aim, its baseline the
/// newest internal value of the indicator in the region.
pub async fn add_measure(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let cycle = match cycle_of(&ws, &form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let text = |k: &str| form.get(k).trim().to_string();
    if text("titel").is_empty() {
        return refused("Der Titel fehlt.");
    }
    let Some(direction) = Direction::parse(form.get("richtung")) else {
        return refused("Die Richtung ist unbekannt.");
    };
    let target = german_or_plain_number(&text("zielwert"));
    let target_year: Option<u16> = text("zieljahr").parse().ok();
    let (Some(target), Some(target_year)) = (target, target_year) else {
        return refused("Zielwert und Zieljahr müssen Zahlen sein (z. B. 24,5 und 2030).");
    };
    let indicator = text("indikator");
    let region = Some(text("gebiet"))
        .filter(|g| !g.is_empty())
        .unwrap_or_else(|| ws.inner.settings.kreis.clone());
    let (i2, r2) = (indicator.clone(), region.clone());
    let series = match ws.db(move |db| series_of(db, &i2, &r2)).await {
        Ok(s) => s,
        Err(e) => return internal(&e),
    };
    let Some(&(baseline_year, baseline)) = series.iter().max_by_key(|(y, _)| *y) else {
        return refused(
            "Für diesen Indikator hat das Gebiet noch keinen Wert: ohne Ausgangswert kein Ziel.",
        );
    };
    if let Err(e) = Aim::new((baseline, baseline_year), (target, target_year), direction) {
        return refused(&format!("Das Ziel geht so nicht: {e}."));
    }
    // A recommendation of this very cycle, or none.
    let recommendation_id: Option<i64> = form.get("empfehlung").parse().ok();
    if let Some(r) = recommendation_id {
        let c = cycle.id;
        match ws.db(move |db| Ok(db.recommendations(c)?)).await {
            Ok(list) if list.iter().any(|x| x.id == r) => {}
            Ok(_) => return refused("Diese Empfehlung gehört nicht zu diesem Planungszyklus."),
            Err(e) => return internal(&e),
        }
    }
    let m = PlanMeasure {
        id: 0,
        cycle_id: cycle.id,
        recommendation_id,
        title: text("titel"),
        body: text("text"),
        owner: text("verantwortlich"),
        partners: String::new(),
        period_from: text("von"),
        period_to: text("bis"),
        budget: None,
        status: Status::Planned,
        target_groups: String::new(),
        municipalities: Vec::new(),
        notes: String::new(),
        public: form.get("oeffentlich") == "1",
        source: source(&me),
        example: false,
    };
    let aim = MeasureAim {
        id: 0,
        measure_id: 0,
        indicator,
        region_key: region,
        baseline,
        baseline_year: i64::from(baseline_year),
        target,
        target_year: i64::from(target_year),
        direction,
    };
    let ev = AuditEvent::new(
        ws.now(),
        &me.account.login,
        "plan.measure.create",
        &cycle.title,
    )
    .values(None, Some(m.title.clone()));
    match ws
        .db(move |db| Ok(db.save_plan_measure(&m, &[aim], &ev)?))
        .await
    {
        Ok(_) => back(cycle.id),
        Err(e) => internal(&e),
    }
}

/// `POST /arbeitsbereich/planung/dokument`: typesets the planning document in the background.
pub async fn make_document(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
) -> Response {
    let author = me.account.login.clone();
    crate::writing::start_job(
        &ws,
        "/arbeitsbereich/planung",
        "Planungsdokument",
        &me.account.login,
        move |ws, started| crate::writing::typeset_planning(ws, &author, started),
    )
}

#[cfg(test)]
mod number_tests {
    use super::german_or_plain_number as n;

    #[test]
    fn numbers_are_read_as_a_german_form_means_them() {
        assert_eq!(n("24,5"), Some(24.5));
        assert_eq!(n("1.234,5"), Some(1234.5));
        assert_eq!(n("12.500"), Some(12_500.0));
        assert_eq!(n("1.234.567"), Some(1_234_567.0));
        assert_eq!(n("-1.234"), Some(-1234.0));
        assert_eq!(n("24.5"), Some(24.5));
        assert_eq!(n("0.125"), Some(0.125));
        assert_eq!(n("12.50"), Some(12.5));
        assert_eq!(n("viel"), None);
        assert_eq!(n("inf"), None);
        assert_eq!(n("1e6"), None);
        assert_eq!(n("12,500.00"), None);
        assert_eq!(n("1,2,3"), None);
    }
}
