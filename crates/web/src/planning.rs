//! The public pages of the planning cycle (`/planung`, one page per action field and per
//! measure) and the measures on a municipality's profile: only what the planners published,
//! each aim evaluated against the public values (see `sozialmonitor_site::planning`).

use std::fmt::Write as _;

use serde_json::{Value, json};
use sozialmonitor_core::format::{german_number, slug};
use sozialmonitor_core::planning::{Progress, span_de};
use sozialmonitor_site::Site;
use sozialmonitor_site::planning::{
    COMPARISON_NOTE, PublicMeasure, aim_figure, comparisons, public_aim,
};
use sozialmonitor_store::{MeasureAim, Recommendation};
use sozialmonitor_viz::esc;

use crate::html::qv;

/// Said under every progress shown: a straight path is a yardstick, not a forecast, and a
/// development beside a measure is not its effect.
const PROGRESS_NOTE: &str = r#"<p class="note">Der Fortschritt vergleicht den neuesten veröffentlichten Wert mit dem geraden Weg vom Ausgangswert zum Ziel. Er beschreibt eine Entwicklung und ist kein Nachweis, dass die Maßnahme sie bewirkt hat.</p>"#;

fn example(e: bool) -> &'static str {
    if e {
        r#" <span class="tag">Beispiel – nicht aus den Quellen</span>"#
    } else {
        ""
    }
}

/// One aim of a published measure, in words and as a chart.
fn aim_html(site: &Site, a: &sozialmonitor_store::MeasureAim, measure: &str) -> String {
    let name = site
        .indicator(&a.indicator)
        .map_or(a.indicator.clone(), |i| i.entry.name.clone());
    let decimals = site.indicator(&a.indicator).map_or(1, |i| i.decimals);
    let region = site
        .region(&a.region_key)
        .map_or(a.region_key.clone(), |r| site.regions[r].name.clone());
    let p = public_aim(site, a);
    let (Some(aim), Some(ev)) = (p.aim, p.evaluation) else {
        return format!(
            "<li><p><strong>{}</strong> in {}: der Ausgangswert ist nicht veröffentlicht, daher ohne Zahlen.</p></li>",
            esc(&name),
            esc(&region)
        );
    };
    let (facts, chart) = aim_figure(
        &aim,
        &ev,
        &p.series,
        &format!("{name} in {region}: {measure}"),
        decimals,
    );
    format!(
        r#"<li><p><strong>{}</strong> in {}: <span class="tag">{}</span> – {}</p><figure>{chart}</figure></li>"#,
        esc(&name),
        esc(&region),
        ev.progress.label_de(),
        esc(&facts)
    )
}

fn measure_html(site: &Site, m: &PublicMeasure) -> String {
    let x = &m.measure;
    let aims: String = m.aims.iter().map(|a| aim_html(site, a, &x.title)).collect();
    let rec = site
        .planning
        .implemented_by(x)
        .map(|r| format!(" · setzt die Empfehlung „{}“ um", esc(&r.title)))
        .unwrap_or_default();
    // Only what the planners filled in.
    let mut meta = vec![x.status.label_de().to_string()];
    if !x.period_from.trim().is_empty() {
        meta.push(esc(&span_de(&x.period_from, &x.period_to)));
    }
    if !x.owner.trim().is_empty() {
        meta.push(format!("verantwortlich: {}", esc(&x.owner)));
    }
    format!(
        r#"<li id="massnahme-{id}"><h3><a href="/planung/massnahme/{id}">{title}</a>{ex}</h3><p>{body}</p><p class="meta">{meta}{rec}</p><ul class="plain">{aims}</ul></li>"#,
        id = x.id,
        title = esc(&x.title),
        ex = example(x.example),
        body = esc(&x.body),
        meta = meta.join(" · "),
    )
}

/// `/planung`: the published recommendations with the decisions on them, and the published
/// measures with their progress.
pub fn page(site: &Site) -> String {
    let p = &site.planning;
    let mut b = format!(
        r#"<h1>Planung und Maßnahmen</h1><p class="lead">Handlungsempfehlungen der Sozialplanung für {}, die Beschlüsse dazu und die Maßnahmen mit ihrem Fortschritt – soweit veröffentlicht.</p>"#,
        esc(&site.regions[site.home].name)
    );
    if p.cycles.is_empty() {
        b.push_str("<p>Noch ist kein Planungszyklus veröffentlicht.</p>");
        return b;
    }
    let cycles: Vec<String> = p
        .cycles
        .iter()
        .map(|(t, a, z)| {
            // A title that names its years already needs them not twice.
            let years = format!("{a}–{z}");
            if t.contains(&years) {
                esc(t)
            } else {
                format!("{} ({years})", esc(t))
            }
        })
        .collect();
    let _ = write!(b, "<p>Planungszyklen: {}.</p>", cycles.join("; "));
    b.push_str("<h2>Handlungsempfehlungen</h2>");
    if p.recommendations.is_empty() {
        b.push_str("<p>Noch keine veröffentlicht.</p>");
    } else {
        b.push_str(&fields_nav(site));
        b.push_str(r#"<ul class="plain">"#);
        for r in &p.recommendations {
            b.push_str(&recommendation_html(site, r));
        }
        b.push_str("</ul>");
    }
    b.push_str("<h2>Maßnahmen</h2>");
    if p.measures.is_empty() {
        b.push_str("<p>Noch keine veröffentlicht.</p>");
    } else {
        b.push_str(&overview(site, p.measures.iter(), true));
        b.push_str(PROGRESS_NOTE);
        b.push_str(r#"<ul class="plain measures">"#);
        for m in &p.measures {
            b.push_str(&measure_html(site, m));
        }
        b.push_str("</ul>");
    }
    b
}

/// The published measures that concern a municipality, for its profile (empty when none).
pub fn profile_section(site: &Site, r: usize) -> String {
    // Only the home district plans here: a municipality elsewhere has none of its measures.
    let in_home = r == site.home || site.up(r, site.regions[site.home].level) == Some(site.home);
    if !in_home {
        return String::new();
    }
    let key = &site.regions[r].key;
    let items: String = site
        .planning
        .for_region(key)
        .map(|m| {
            format!(
                r#"<li><a href="/planung/massnahme/{}">{}</a>{} <span class="meta">({}, {})</span></li>"#,
                m.measure.id,
                esc(&m.measure.title),
                example(m.measure.example),
                m.measure.status.label_de(),
                if m.measure.municipalities.is_empty() {
                    "kreisweit"
                } else {
                    "in dieser Gemeinde"
                }
            )
        })
        .collect();
    if items.is_empty() {
        return String::new();
    }
    format!(r#"<h2>Maßnahmen der Sozialplanung</h2><ul>{items}</ul>"#)
}

/// A published recommendation with the decision on it; its action field links to the field's
/// page.
fn recommendation_html(site: &Site, r: &Recommendation) -> String {
    let decision = if r.outcome.trim().is_empty() {
        format!("Entscheidung offen ({})", esc(&r.decided_by))
    } else {
        format!(
            "{} am {}: {}",
            esc(&r.decided_by),
            esc(&span_de(&r.decided_on, "")),
            esc(&r.outcome)
        )
    };
    let field = if r.action_field.trim().is_empty() {
        "ohne Handlungsfeld".to_string()
    } else {
        field_link(&r.action_field)
    };
    format!(
        r#"<li id="empfehlung-{id}"><h3>{title}{ex}</h3><p class="meta">{field} · {status}</p><p>{body}</p><p>{decision}</p>{origin}</li>"#,
        id = r.id,
        origin = crate::participation::origins_html(site, Some(r.id), None),
        title = esc(&r.title),
        ex = example(r.example),
        status = r.status.label_de(),
        body = esc(&r.body),
    )
}

fn field_link(field: &str) -> String {
    format!(
        r#"<a href="/planung/handlungsfeld/{}">{}</a>"#,
        slug(field),
        esc(field)
    )
}

/// The action field a measure belongs to: that of the published recommendation it implements.
fn field_of<'a>(site: &'a Site, m: &PublicMeasure) -> Option<&'a str> {
    site.planning
        .implemented_by(&m.measure)
        .map(|r| r.action_field.as_str())
        .filter(|f| !f.trim().is_empty())
}

/// The action fields with published recommendations or measures, in first-seen order.
fn fields(site: &Site) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let named = site
        .planning
        .recommendations
        .iter()
        .map(|r| r.action_field.as_str())
        .chain(
            site.planning
                .measures
                .iter()
                .filter_map(|m| field_of(site, m)),
        );
    for f in named.filter(|f| !f.trim().is_empty()) {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

fn fields_nav(site: &Site) -> String {
    let links: String = fields(site)
        .into_iter()
        .map(|f| format!("<li>{}</li>", field_link(f)))
        .collect();
    if links.is_empty() {
        return String::new();
    }
    format!(
        r#"<nav aria-labelledby="nach-feld"><h3 id="nach-feld">Nach Handlungsfeld</h3><ul>{links}</ul></nav>"#
    )
}

/// The states of a measure's aims in one cell: each state once with how many aims are in it,
/// or why there are none to show.
fn progress_cell(site: &Site, m: &PublicMeasure) -> String {
    let states: Vec<Progress> = m
        .aims
        .iter()
        .filter_map(|a| public_aim(site, a).evaluation.map(|e| e.progress))
        .collect();
    let hidden = m.aims.len() - states.len();
    if states.is_empty() {
        return if m.aims.is_empty() {
            "keine Ziele mit Indikator".into()
        } else {
            "Ausgangswert nicht veröffentlicht".into()
        };
    }
    let mut seen: Vec<(Progress, usize)> = Vec::new();
    for p in states {
        match seen.iter_mut().find(|(q, _)| *q == p) {
            Some((_, n)) => *n += 1,
            None => seen.push((p, 1)),
        }
    }
    let mut said: Vec<String> = seen
        .iter()
        .map(|(p, n)| {
            if *n == 1 {
                p.label_de().to_string()
            } else {
                format!("{n} × {}", p.label_de())
            }
        })
        .collect();
    if hidden > 0 {
        said.push(format!("{hidden} ohne veröffentlichten Ausgangswert"));
    }
    said.join(", ")
}

/// Where a measure acts: its municipalities by name (linked to their profiles), or the district.
fn places(site: &Site, m: &PublicMeasure) -> String {
    if m.measure.municipalities.is_empty() {
        return "kreisweit".into();
    }
    m.measure
        .municipalities
        .iter()
        .map(|k| match site.region(k) {
            Some(r) => format!(
                r#"<a href="/gemeinde/{}">{}</a>"#,
                qv(k),
                esc(&site.regions[r].name)
            ),
            None => esc(k),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The overview of measures: where, status and the state of their aims, one row per measure,
/// by action field in the order the fields are first named (measures without one last). On a
/// field's own page (`by_field` false) the field column would say the same in every row.
fn overview<'a>(
    site: &Site,
    measures: impl Iterator<Item = &'a PublicMeasure>,
    by_field: bool,
) -> String {
    let order = fields(site);
    let mut rows: Vec<(usize, String)> = measures
        .map(|m| {
            let field = field_of(site, m);
            let rank = field
                .and_then(|f| order.iter().position(|o| *o == f))
                .unwrap_or(usize::MAX);
            let field_cell = if by_field {
                format!(
                    "<td>{}</td>",
                    field.map_or_else(|| "ohne".to_string(), field_link)
                )
            } else {
                String::new()
            };
            let row = format!(
                r#"<tr><th scope="row"><a href="/planung/massnahme/{id}">{title}</a>{ex}</th>{field_cell}<td>{places}</td><td>{status}</td><td>{progress}</td></tr>"#,
                id = m.measure.id,
                title = esc(&m.measure.title),
                ex = example(m.measure.example),
                places = places(site, m),
                status = m.measure.status.label_de(),
                progress = progress_cell(site, m),
            );
            (rank, row)
        })
        .collect();
    // Stable: within a field, the planners' order.
    rows.sort_by_key(|(rank, _)| *rank);
    let body: String = rows.into_iter().map(|(_, r)| r).collect();
    let (caption, field_head) = if by_field {
        (
            "Maßnahmen nach Handlungsfeld, mit ihren Gemeinden",
            r#"<th scope="col">Handlungsfeld</th>"#,
        )
    } else {
        ("Maßnahmen mit ihren Gemeinden", "")
    };
    format!(
        r#"<div class="table-wrap"><table><caption>{caption}</caption><thead><tr><th scope="col">Maßnahme</th>{field_head}<th scope="col">Gemeinden</th><th scope="col">Stand</th><th scope="col">Fortschritt der Ziele</th></tr></thead><tbody>{body}</tbody></table></div>"#
    )
}

/// `/planung/handlungsfeld/{slug}`: an action field's published recommendations and measures,
/// and its indicators in the catalogue. `None` for a field with nothing published.
pub fn field_page(site: &Site, wanted: &str) -> Option<(String, String)> {
    let field = fields(site).into_iter().find(|f| slug(f) == wanted)?;
    let p = &site.planning;
    let mut b = format!(
        r#"<p><a href="/planung">Planung und Maßnahmen</a> › Handlungsfeld</p><h1>{}</h1><p class="lead">Was die Sozialplanung für {} in diesem Handlungsfeld empfiehlt und umsetzt – soweit veröffentlicht. <a href="/katalog?feld={}">Indikatoren dieses Handlungsfelds im Katalog</a></p>"#,
        esc(field),
        esc(&site.regions[site.home].name),
        qv(field)
    );
    b.push_str("<h2>Handlungsempfehlungen</h2>");
    let recs: String = p
        .recommendations
        .iter()
        .filter(|r| r.action_field == field)
        .map(|r| recommendation_html(site, r))
        .collect();
    if recs.is_empty() {
        b.push_str("<p>Keine veröffentlicht.</p>");
    } else {
        let _ = write!(b, r#"<ul class="plain">{recs}</ul>"#);
    }
    b.push_str("<h2>Maßnahmen</h2>");
    let measures: Vec<&PublicMeasure> = p
        .measures
        .iter()
        .filter(|m| field_of(site, m) == Some(field))
        .collect();
    if measures.is_empty() {
        b.push_str("<p>Keine veröffentlicht.</p>");
    } else {
        b.push_str(&overview(site, measures.iter().copied(), false));
        b.push_str(PROGRESS_NOTE);
    }
    Some((field.to_string(), b))
}

/// `/planung/massnahme/{id}`: one published measure in full: what, who, when, where, the
/// recommendation it implements, each aim evaluated and drawn, and the comparison of its
/// municipalities with the rest of the district. `None` for a measure not published.
pub fn measure_page(site: &Site, id: i64) -> Option<(String, String)> {
    let m = site.planning.measure(id)?;
    let x = &m.measure;
    let mut facts: Vec<(&str, String)> = vec![("Stand", x.status.label_de().to_string())];
    let mut add = |label: &'static str, text: &str| {
        if !text.trim().is_empty() {
            facts.push((label, esc(text)));
        }
    };
    add("Zeitraum", &span_de(&x.period_from, &x.period_to));
    add("Verantwortlich", &x.owner);
    add("Partner", &x.partners);
    add("Zielgruppen", &x.target_groups);
    if let Some(euro) = x.budget {
        facts.push(("Budget", format!("{}\u{a0}€", german_number(euro, 0))));
    }
    facts.push(("Gemeinden", places(site, m)));
    if let Some(f) = field_of(site, m) {
        facts.push(("Handlungsfeld", field_link(f)));
    }
    if let Some(r) = site.planning.implemented_by(x) {
        facts.push((
            "Umgesetzte Empfehlung",
            format!(
                r#"<a href="/planung#empfehlung-{}">{}</a>"#,
                r.id,
                esc(&r.title)
            ),
        ));
    }
    let dl: String = facts
        .iter()
        .map(|(k, v)| format!("<dt>{k}</dt><dd>{v}</dd>"))
        .collect();
    let mut b = format!(
        r#"<p><a href="/planung">Planung und Maßnahmen</a> › Maßnahme</p><h1>{title}{ex}</h1>{body}<dl class="meta">{dl}</dl><h2>Ziele und Fortschritt</h2>"#,
        title = esc(&x.title),
        ex = example(x.example),
        body = if x.body.trim().is_empty() {
            String::new()
        } else {
            format!(r#"<p class="lead">{}</p>"#, esc(&x.body))
        },
    );
    b.push_str(&crate::participation::origins_html(site, None, Some(x.id)));
    if m.aims.is_empty() {
        b.push_str(
            "<p>Für diese Maßnahme sind keine an Indikatoren messbaren Ziele festgelegt.</p>",
        );
    } else {
        b.push_str(PROGRESS_NOTE);
        let aims: String = m.aims.iter().map(|a| aim_html(site, a, &x.title)).collect();
        let _ = write!(b, r#"<ul class="plain">{aims}</ul>"#);
    }
    let compared = comparisons(site, site.home, x, &m.aims);
    if !compared.is_empty() {
        let _ = write!(
            b,
            "<h2>Vergleich mit dem übrigen Kreis</h2><p class=\"note\">{COMPARISON_NOTE}</p><ul>"
        );
        for c in compared {
            let _ = write!(b, "<li>{}</li>", esc(&c));
        }
        b.push_str("</ul>");
    }
    Some((x.title.clone(), b))
}

/// A published recommendation for the API.
fn recommendation_json(r: &Recommendation) -> Value {
    json!({
        "id": r.id, "action_field": r.action_field, "title": r.title, "body": r.body,
        "indicators": r.indicators, "status": r.status.code(),
        "decided_by": r.decided_by, "decided_on": r.decided_on, "reference": r.reference,
        "outcome": r.outcome, "example": r.example,
    })
}

/// An aim for the API: its numbers and evaluation only where the public sees its baseline.
fn aim_json(site: &Site, a: &MeasureAim) -> Value {
    let p = public_aim(site, a);
    let (aim, ev) = match (p.aim, p.evaluation) {
        (Some(aim), Some(ev)) => (aim, ev),
        _ => {
            return json!({
                "indicator": a.indicator, "region": a.region_key, "direction": a.direction.code(),
                "baseline": null, "target": null, "progress": null, "latest": null,
                "expected": null,
            });
        }
    };
    let ((b, by), (t, ty)) = (aim.baseline(), aim.target());
    json!({
        "indicator": a.indicator, "region": a.region_key, "direction": a.direction.code(),
        "baseline": {"value": b, "year": by}, "target": {"value": t, "year": ty},
        "progress": ev.progress.code(),
        "latest": ev.latest.map(|(y, v)| json!({"value": v, "year": y})),
        "expected": ev.expected,
    })
}

/// A published measure for the API, with its aims evaluated and its comparison with the rest
/// of the district (German sentences, as on the page).
pub fn measure_json(site: &Site, m: &PublicMeasure) -> Value {
    let x = &m.measure;
    json!({
        "id": x.id, "title": x.title, "body": x.body, "owner": x.owner, "partners": x.partners,
        "period_from": x.period_from, "period_to": x.period_to, "budget": x.budget,
        "status": x.status.code(), "target_groups": x.target_groups,
        "municipalities": x.municipalities,
        "recommendation": site.planning.implemented_by(x).map(|r| r.id),
        "action_field": field_of(site, m), "example": x.example,
        "aims": m.aims.iter().map(|a| aim_json(site, a)).collect::<Vec<_>>(),
        "comparisons": comparisons(site, site.home, x, &m.aims),
    })
}

/// `/api/v1/planning`: the published planning of the home district.
pub fn api_json(site: &Site) -> Value {
    let p = &site.planning;
    json!({
        "district": site.regions[site.home].key,
        "cycles": p.cycles.iter().map(|(title, first, last)| json!({"title": title, "first_year": first, "last_year": last})).collect::<Vec<_>>(),
        "recommendations": p.recommendations.iter().map(recommendation_json).collect::<Vec<_>>(),
        "measures": p.measures.iter().map(|m| measure_json(site, m)).collect::<Vec<_>>(),
    })
}
