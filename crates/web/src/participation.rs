//! The public side of participation: the events the planners published, coming and past
//! (`/beteiligung`), and one page per event (`/beteiligung/{id}`) with the impulses it gave and
//! the published recommendations and measures they led to. The planning pages name, the other
//! way round, the impulses a recommendation or measure came from.

use std::fmt::Write as _;

use sozialmonitor_core::format::count_de;
use sozialmonitor_core::network::coming_and_past;
use sozialmonitor_core::planning::span_de;
use sozialmonitor_site::Site;
use sozialmonitor_store::{Impulse, ParticipationEvent};
use sozialmonitor_viz::esc;

fn example(e: bool) -> &'static str {
    if e {
        r#" <span class="tag">Beispiel – nicht aus den Quellen</span>"#
    } else {
        ""
    }
}

fn facts(e: &ParticipationEvent) -> String {
    let mut f: Vec<(&str, String)> = vec![
        ("Wann", esc(&span_de(&e.date_from, &e.date_to))),
        ("Format", e.format.label_de().to_string()),
    ];
    let mut add = |label: &'static str, text: &str| {
        if !text.trim().is_empty() {
            f.push((label, esc(text)));
        }
    };
    add("Ort", &e.place);
    add("Veranstalter", &e.organiser);
    let groups: Vec<&str> = e.target_groups.iter().map(|g| g.label_de()).collect();
    add("Für", &groups.join(", "));
    if let Some(n) = e.participants {
        f.push(("Teilnehmende", n.to_string()));
    }
    let dl: String = f
        .iter()
        .map(|(k, v)| format!("<dt>{k}</dt><dd>{v}</dd>"))
        .collect();
    format!(r#"<dl class="meta">{dl}</dl>"#)
}

fn card(e: &ParticipationEvent, impulses: &[Impulse]) -> String {
    let n = match impulses.len() {
        0 => String::new(),
        n => format!(" · {}", count_de(n, "Impuls", "Impulse")),
    };
    format!(
        r#"<li class="card"><h3><a href="/beteiligung/{id}">{title}</a>{ex}</h3><p class="meta">{when} · {format}{n}</p><p>{topics}</p></li>"#,
        id = e.id,
        title = esc(&e.title),
        ex = example(e.example),
        when = esc(&span_de(&e.date_from, &e.date_to)),
        format = e.format.label_de(),
        topics = esc(&e.topics),
    )
}

/// `/beteiligung`: coming events (soonest first) and past ones (latest first), as of `today`
/// (ISO date).
pub fn page(site: &Site, today: &str) -> (String, String) {
    let events = &site.planning.events;
    let (ahead, past) = coming_and_past(
        events,
        |(e, _)| (e.date_from.as_str(), e.date_to.as_str()),
        today,
    );
    let list = |items: &[&(ParticipationEvent, Vec<Impulse>)], none: &str| {
        if items.is_empty() {
            format!("<p>{none}</p>")
        } else {
            let cards: String = items.iter().map(|(e, i)| card(e, i)).collect();
            format!(r#"<ul class="events">{cards}</ul>"#)
        }
    };
    let mut b = format!(
        r#"<h1>Beteiligung</h1><p class="lead">Sozialplanung lebt vom Austausch: Konferenzen, Foren und Fachtage in {kreis}, und was aus ihren Ergebnissen geworden ist. Jeder Impuls nennt die Empfehlungen und Maßnahmen der <a href="/planung">Planung</a>, zu denen er geführt hat.</p>"#,
        kreis = esc(&site.regions[site.home].name),
    );
    let _ = write!(
        b,
        "<h2>Kommende und laufende Veranstaltungen</h2>{}<h2>Vergangene Veranstaltungen</h2>{}",
        list(&ahead, "Zurzeit ist keine Veranstaltung angekündigt."),
        list(&past, "Noch keine veröffentlicht.")
    );
    ("Beteiligung".into(), b)
}

/// The published records an impulse led to, as links.
fn led_to(site: &Site, i: &Impulse) -> String {
    let recs = i.recommendations.iter().filter_map(|id| {
        site.planning.recommendation(*id).map(|r| {
            format!(
                r#"<li>Empfehlung <a href="/planung#empfehlung-{}">{}</a></li>"#,
                r.id,
                esc(&r.title)
            )
        })
    });
    let measures = i.measures.iter().filter_map(|id| {
        site.planning.measure(*id).map(|m| {
            format!(
                r#"<li>Maßnahme <a href="/planung/massnahme/{}">{}</a></li>"#,
                m.measure.id,
                esc(&m.measure.title)
            )
        })
    });
    let items: String = recs.chain(measures).collect();
    if items.is_empty() {
        String::new()
    } else {
        format!(r#"<p>Daraus wurde:</p><ul>{items}</ul>"#)
    }
}

/// `/beteiligung/{id}`: one published event with its impulses; `None` for one not published.
pub fn event_page(site: &Site, id: i64) -> Option<(String, String)> {
    let (e, impulses) = site.planning.events.iter().find(|(e, _)| e.id == id)?;
    let mut b = format!(
        r#"<p><a href="/beteiligung">Beteiligung</a> › Veranstaltung</p><h1>{title}{ex}</h1>{topics}{facts}"#,
        title = esc(&e.title),
        ex = example(e.example),
        topics = if e.topics.trim().is_empty() {
            String::new()
        } else {
            format!(r#"<p class="lead">{}</p>"#, esc(&e.topics))
        },
        facts = facts(e),
    );
    let docs: Vec<&str> = e
        .documents
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    if !docs.is_empty() {
        let items: String = docs
            .iter()
            .map(|d| format!("<li>{}</li>", esc(d)))
            .collect();
        let _ = write!(b, "<h2>Dokumente</h2><ul>{items}</ul>");
    }
    b.push_str("<h2>Impulse</h2>");
    if impulses.is_empty() {
        b.push_str("<p>Zu dieser Veranstaltung sind keine Ergebnisse veröffentlicht.</p>");
    }
    for i in impulses {
        let field = if i.action_field.trim().is_empty() {
            String::new()
        } else {
            format!(
                r#"<p class="meta">Handlungsfeld: {}</p>"#,
                esc(&i.action_field)
            )
        };
        let _ = write!(
            b,
            r#"<section class="card" aria-labelledby="impuls-{id}"><h3 id="impuls-{id}">{title}{ex}</h3>{field}<p>{body}</p>{led}</section>"#,
            id = i.id,
            title = esc(&i.title),
            ex = example(i.example),
            body = esc(&i.body),
            led = led_to(site, i),
        );
    }
    let _ = write!(b, r#"<p class="note">Quelle: {}</p>"#, esc(&e.source));
    Some((e.title.clone(), b))
}

/// "Aus der Beteiligung": the published impulses a recommendation or measure came from, as a
/// line for its page; empty when none.
pub fn origins_html(site: &Site, recommendation: Option<i64>, measure: Option<i64>) -> String {
    let links: Vec<String> = site
        .planning
        .origins(recommendation, measure)
        .iter()
        .map(|(e, i)| {
            format!(
                r#"„{}“ (<a href="/beteiligung/{}#impuls-{}">{}</a>)"#,
                esc(&i.title),
                e.id,
                i.id,
                esc(&e.title)
            )
        })
        .collect();
    if links.is_empty() {
        String::new()
    } else {
        format!(
            r#"<p class="origin">Aus der Beteiligung: {}</p>"#,
            links.join("; ")
        )
    }
}
