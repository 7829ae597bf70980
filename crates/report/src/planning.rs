//! The planning document (Planungsdokument) of a cycle: the cycle and its timeline, pending
//! decisions, the data basis with its gaps, priorities and goals per action field,
//! recommendations with the indicators they rest on, measures with each aim evaluated and
//! drawn, and the council's decisions. The planners' texts come from the planning records;
//! every number from the public side of the site, as in the other reports.

use serde_json::{Value, json};
use sozialmonitor_core::format::german_number;
use sozialmonitor_core::planning::span_de;
use sozialmonitor_site::planning::{
    COMPARISON_NOTE, PlanningCycle, aim_lines, comparisons, public_aim,
};
use sozialmonitor_site::{Pub, Site};
use sozialmonitor_store::{MeasureAim, Milestone, PlanMeasure, Recommendation};
use sozialmonitor_viz::chart::lines;

use crate::profile::merge;
use crate::social::{gap_tables, non_empty};
use crate::{Figures, ReportError, attribution, base_data, typeset};

fn example(e: bool) -> &'static str {
    if e { " (Beispiel)" } else { "" }
}

/// A record the planners did not publish is marked in the document, which may be passed on.
fn internal(public: bool) -> &'static str {
    if public { "" } else { " (intern)" }
}

fn timeline(p: &PlanningCycle) -> Value {
    let mut m: Vec<&Milestone> = p.milestones.iter().collect();
    // By date; an entry without one (not yet known) last.
    m.sort_by(|a, b| {
        (a.date_from.is_empty(), &a.date_from, a.id).cmp(&(
            b.date_from.is_empty(),
            &b.date_from,
            b.id,
        ))
    });
    let rows: Vec<Vec<String>> = m
        .iter()
        .map(|m| {
            vec![
                if m.date_from.is_empty() {
                    "noch offen".to_string()
                } else {
                    span_de(&m.date_from, &m.date_to)
                },
                m.kind.label_de().to_string(),
                format!("{}{}", m.title, example(m.example)),
                m.status.label_de().to_string(),
                non_empty(&m.responsible),
            ]
        })
        .collect();
    json!({
        "header": ["Wann", "Art", "Was", "Stand", "Verantwortlich"],
        "rows": rows,
        "align": ["l", "l", "l", "l", "l"],
        "widths": [2, 2, 5, 2, 3],
    })
}

/// An indicator's newest public number for a region, formatted with its year.
fn latest(site: &Site, key: &str, region: usize) -> (String, String) {
    let Some(ind) = site.indicator(key) else {
        return (key.to_string(), "nicht im Katalog".into());
    };
    let newest = ind
        .years
        .iter()
        .rev()
        .find_map(|y| match ind.values.get(&(region as u32, *y)) {
            Some(Pub::Num(x)) => Some(format!("{} ({y})", german_number(*x, ind.decimals))),
            _ => None,
        });
    (
        ind.entry.name.clone(),
        newest.unwrap_or_else(|| "kein veröffentlichter Wert".into()),
    )
}

fn recommendations(site: &Site, kreis: usize, p: &PlanningCycle) -> Vec<Value> {
    p.recommendations
        .iter()
        .map(|r| {
            let rows: Vec<Vec<String>> = r
                .indicators
                .iter()
                .map(|k| {
                    let (name, value) = latest(site, k, kreis);
                    vec![name, value]
                })
                .collect();
            json!({
                "title": format!("{}{}{}", r.title, example(r.example), internal(r.public)),
                "field": non_empty(&r.action_field),
                "status": r.status.label_de(),
                "body": non_empty(&r.body),
                "findings": non_empty(&r.findings),
                "evidence": if rows.is_empty() { json!([]) } else { json!({
                    "header": ["Indikator", format!("{}, neuester Wert", site.regions[kreis].name)],
                    "rows": rows,
                    "align": ["l", "r"],
                    "widths": [3, 2],
                }) },
                "decision": decision_text(r),
            })
        })
        .collect()
}

fn decision_text(r: &Recommendation) -> String {
    if r.outcome.trim().is_empty() {
        format!("noch nicht entschieden ({})", non_empty(&r.decided_by))
    } else {
        format!(
            "{} am {}{}: {}",
            non_empty(&r.decided_by),
            span_de(&r.decided_on, ""),
            if r.reference.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.reference)
            },
            r.outcome
        )
    }
}

/// One aim evaluated on the public values, in words and as a chart.
fn aim(site: &Site, a: &MeasureAim, measure: &str, figs: &mut Figures) -> Value {
    let name = site
        .indicator(&a.indicator)
        .map_or(a.indicator.clone(), |i| i.entry.name.clone());
    let d = site.indicator(&a.indicator).map_or(1, |i| i.decimals);
    let region = site
        .region(&a.region_key)
        .map_or(a.region_key.clone(), |r| site.regions[r].name.clone());
    let p = public_aim(site, a);
    let (Some(aim), Some(ev)) = (p.aim, p.evaluation) else {
        return json!({
            "name": name, "region": region, "progress": "ohne Bewertung",
            "text": "Der Ausgangswert ist nicht veröffentlicht.", "chart": null,
        });
    };
    let n = |x: f64| german_number(x, d);
    let (b, by) = aim.baseline();
    let (t, ty) = aim.target();
    let text = format!(
        "Ausgangswert {} ({by}), Ziel {} bis {ty}; {}.",
        n(b),
        n(t),
        match ev.latest {
            Some((y, v)) => format!("zuletzt {} ({y}), erwartet {}", n(v), n(aim.expected(y))),
            None => "noch kein neuerer Wert".into(),
        }
    );
    let svg = lines(
        &aim_lines(&aim, &p.series),
        &format!("{name} in {region}: {measure}"),
        &text,
        d,
        520.0,
    );
    json!({
        "name": name,
        "region": region,
        "progress": ev.progress.label_de(),
        "text": text,
        "chart": figs.add(svg, &format!("{name} in {region}: {text}")),
    })
}

/// A measure with each aim evaluated and drawn, and the comparison of its municipalities with
/// the rest of the district; a measure not published is marked "(intern)".
pub(crate) fn measure(
    site: &Site,
    kreis: usize,
    (m, aims): (&PlanMeasure, &[MeasureAim]),
    recommendations: &[Recommendation],
    figs: &mut Figures,
) -> Value {
    let evaluated: Vec<Value> = aims.iter().map(|a| aim(site, a, &m.title, figs)).collect();
    // Only what the planners filled in; the template joins the parts with " · ".
    let mut meta = Vec::new();
    if !m.owner.trim().is_empty() {
        meta.push(format!("Verantwortlich: {}", m.owner));
    }
    let period = span_de(&m.period_from, &m.period_to);
    if !period.trim().is_empty() {
        meta.push(format!("Zeitraum: {period}"));
    }
    meta.push(format!("Stand: {}", m.status.label_de()));
    if let Some(r) = m
        .recommendation_id
        .and_then(|id| recommendations.iter().find(|r| r.id == id))
    {
        meta.push(format!("Setzt um: {}", r.title));
    }
    let compared = comparisons(site, kreis, m, aims);
    json!({
        "title": format!("{}{}{}", m.title, example(m.example), internal(m.public)),
        "body": non_empty(&m.body),
        "meta": meta,
        "aims": evaluated,
        "comparisons": compared,
        "comparison_note": if compared.is_empty() { Value::Null } else { Value::from(COMPARISON_NOTE) },
    })
}

/// Typesets the planning document of `p` for the district `kreis`.
pub fn planning_document(
    site: &Site,
    kreis: usize,
    p: &PlanningCycle,
) -> Result<Vec<u8>, ReportError> {
    let kname = site.regions[kreis].name.clone();
    let mut figs = Figures::default();
    let decisions: Vec<Value> = p
        .decisions
        .iter()
        .map(|x| {
            json!({
                "question": format!("{}{}", x.question, example(x.example)),
                "options": x.options.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>(),
                "decider": non_empty(&x.decider),
                "outcome": if x.outcome.trim().is_empty() { "offen".to_string() } else { format!("{} ({})", x.outcome, span_de(&x.decided_on, "")) },
                "source": non_empty(&x.source),
            })
        })
        .collect();
    let mut fields: Vec<&str> = p
        .priorities
        .iter()
        .map(|x| x.action_field.as_str())
        .collect();
    fields.sort_unstable();
    fields.dedup();
    let fields: Vec<Value> = fields
        .iter()
        .map(|f| {
            let items: Vec<Value> = p
                .priorities
                .iter()
                .filter(|x| x.action_field == *f)
                .map(|x| {
                    json!({
                        "kind": x.kind.label_de(),
                        "title": format!("{}{}", x.title, example(x.example)),
                        "body": x.body,
                        "source": non_empty(&x.source),
                    })
                })
                .collect();
            json!({ "field": f, "items": items })
        })
        .collect();
    let gaps = gap_tables(site);
    let measures: Vec<Value> = p
        .measures
        .iter()
        .map(|(m, aims)| measure(site, kreis, (m, aims), &p.recommendations, &mut figs))
        .collect();
    let decided: Vec<Vec<String>> = p
        .recommendations
        .iter()
        .map(|r| {
            vec![
                r.title.clone(),
                non_empty(&r.decided_by),
                non_empty(&span_de(&r.decided_on, "")),
                non_empty(&r.reference),
                if r.outcome.trim().is_empty() {
                    "offen".into()
                } else {
                    r.outcome.clone()
                },
            ]
        })
        .collect();
    let title = format!("Planungsdokument {kname}");
    let mut data = base_data(
        site,
        &title,
        &format!(
            "Planungsdokument für {kname}: {}, Zeitplan, Entscheidungen, Datenbasis, Handlungsfelder, Empfehlungen, Maßnahmen und ihre Wirkung.",
            p.cycle.title
        ),
        &title,
        &format!(
            "Datenstand {}",
            sozialmonitor_core::format::german_date(&site.data_date)
        ),
    );
    merge(
        &mut data,
        json!({
            "name": kname,
            "cycle": {
                "title": p.cycle.title,
                "years": format!("{}–{}", p.cycle.first_year, p.cycle.last_year),
                "note": non_empty(&p.cycle.note),
                "source": non_empty(&p.cycle.source),
            },
            "timeline": timeline(p),
            "decisions": decisions,
            "basis": format!(
                "Der Sozialmonitor hält {} Indikatoren mit veröffentlichten Werten; {} weitere stehen im Katalog, ihre Daten fehlen noch. Die Datenlücken mit Zuständigkeit und Weg zu den Daten:",
                site.indicators
                    .iter()
                    .filter(|i| i.values.values().any(|v| matches!(v, Pub::Num(_))))
                    .count(),
                site.gaps.len()
            ),
            "gaps": gaps,
            "fields": fields,
            "recommendations": recommendations(site, kreis, p),
            "measures": measures,
            "decided": {
                "header": ["Empfehlung", "Gremium", "Datum", "Nummer", "Ergebnis"],
                "rows": decided,
                "align": ["l", "l", "l", "l", "l"],
                "widths": [4, 2, 2, 2, 2],
            },
            "attribution": attribution(site.indicators.iter().map(|i| i.entry.source.as_str())),
        }),
    );
    typeset(
        &format!("sozialmonitor/planungsdokument/{}", site.regions[kreis].key),
        include_str!("../templates/planungsdokument.typ"),
        data,
        figs,
        Vec::new(),
    )
}
