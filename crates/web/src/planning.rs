//! The public page of the planning cycle (`/planung`) and the measures on a municipality's
//! profile: only what the planners published, each aim evaluated against the public values
//! (see `sozialmonitor_site::planning`).

use std::fmt::Write as _;

use sozialmonitor_core::planning::span_de;
use sozialmonitor_site::Site;
use sozialmonitor_site::planning::{PublicMeasure, aim_figure, public_aim};
use sozialmonitor_viz::esc;

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
    let rec = x
        .recommendation_id
        .and_then(|id| site.planning.recommendations.iter().find(|r| r.id == id))
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
        r#"<li id="massnahme-{id}"><h3>{title}{ex}</h3><p>{body}</p><p class="meta">{meta}{rec}</p><ul class="plain">{aims}</ul></li>"#,
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
        r#"<h1>Planung und Maßnahmen</h1><p class="lead">Handlungsempfehlungen der Sozialplanung für {}, die Beschlüsse dazu und die Maßnahmen mit ihrem Fortschritt – so weit veröffentlicht.</p>"#,
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
        b.push_str(r#"<ul class="plain">"#);
        for r in &p.recommendations {
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
            let _ = write!(
                b,
                r#"<li><h3>{}{}</h3><p class="meta">{} · {}</p><p>{}</p><p>{decision}</p></li>"#,
                esc(&r.title),
                example(r.example),
                esc(&r.action_field),
                r.status.label_de(),
                esc(&r.body),
            );
        }
        b.push_str("</ul>");
    }
    b.push_str("<h2>Maßnahmen</h2>");
    if p.measures.is_empty() {
        b.push_str("<p>Noch keine veröffentlicht.</p>");
    } else {
        b.push_str(r#"<p class="note">Der Fortschritt vergleicht den neuesten veröffentlichten Wert mit dem geraden Weg vom Ausgangswert zum Ziel. Er beschreibt eine Entwicklung und ist kein Nachweis, dass die Maßnahme sie bewirkt hat.</p><ul class="plain measures">"#);
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
                r#"<li><a href="/planung#massnahme-{}">{}</a>{} <span class="meta">({}, {})</span></li>"#,
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
