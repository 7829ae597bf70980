//! The public directory of social services (Wegweiser) of the home district: searchable by
//! municipality, topic, target group and free text, listed and on a map, printable; the
//! Seniorenwegweiser is the same directory for older people under its own address. Works
//! without JavaScript (the filters are a GET form), and every entry on the map is also in the
//! list, which is the map's text alternative.

use std::fmt::Write as _;

use sozialmonitor_core::format::german_date;
use sozialmonitor_core::services::{TARGET_GROUPS, TOPICS, TargetGroup, Topic};
use sozialmonitor_site::Site;
use sozialmonitor_store::Service;
use sozialmonitor_viz::esc;
use sozialmonitor_viz::map::{Area, Point, with_points};

use crate::html::options;

/// The directory's filters, from the query string.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// A municipality (AGS): the entries in it or serving it.
    pub municipality: String,
    /// A topic code.
    pub topic: String,
    /// A target group code.
    pub group: String,
    /// Words that name, provider, place or languages must all contain.
    pub text: String,
}

impl Filter {
    /// Whether the entry passes every filter set (`kreis`: the home district's key).
    fn passes(&self, s: &Service, kreis: &str) -> bool {
        let m = &self.municipality;
        let here =
            m.is_empty() || s.municipality == *m || s.served.iter().any(|g| g == m || g == kreis);
        let topic = Topic::parse(&self.topic).is_none_or(|t| s.topics.contains(&t));
        let group = TargetGroup::parse(&self.group).is_none_or(|g| {
            s.target_groups.contains(&g) || s.target_groups.contains(&TargetGroup::Everyone)
        });
        let hay = format!("{} {} {} {}", s.name, s.provider, s.place, s.languages).to_lowercase();
        let words = self
            .text
            .to_lowercase()
            .split_whitespace()
            .all(|w| hay.contains(w));
        here && topic && group && words
    }
}

fn tag(example: bool) -> &'static str {
    if example {
        r#" <span class="tag">Beispiel – kein realer Eintrag</span>"#
    } else {
        ""
    }
}

/// One entry as an article of the list.
fn entry(site: &Site, s: &Service) -> String {
    let mut b = format!(
        r#"<article class="service" id="dienst-{id}"><h3>{name}{ex}</h3><p class="hint">{topics} · für {groups}</p>"#,
        id = s.id,
        name = esc(&s.name),
        ex = tag(s.example),
        topics = s
            .topics
            .iter()
            .map(|t| t.label_de())
            .collect::<Vec<_>>()
            .join(", "),
        groups = s
            .target_groups
            .iter()
            .map(|t| t.label_de())
            .collect::<Vec<_>>()
            .join(", "),
    );
    b.push_str("<dl>");
    let mut row = |k: &str, v: String| {
        if !v.trim().is_empty() {
            let _ = write!(b, "<dt>{k}</dt><dd>{v}</dd>");
        }
    };
    row("Träger", esc(&s.provider));
    let address = [s.street.as_str(), &format!("{} {}", s.postcode, s.place)]
        .iter()
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    row("Adresse", esc(&address));
    let name_of = |k: &str| {
        site.region(k)
            .map_or(k.to_string(), |r| site.regions[r].name.clone())
    };
    row(
        "Gemeinde",
        format!(
            r#"<a href="/gemeinde/{}">{}</a>"#,
            esc(&s.municipality),
            esc(&name_of(&s.municipality))
        ),
    );
    if !s.served.is_empty() {
        let served: Vec<String> = s.served.iter().map(|k| name_of(k)).collect();
        row("Zuständig für", esc(&served.join(", ")));
    }
    row("Öffnungszeiten", esc(&s.opening_hours));
    let access: Vec<&str> = [
        (s.step_free, "stufenlos erreichbar"),
        (s.hearing_loop, "Hörschleife"),
        (s.easy_language, "Informationen in Leichter Sprache"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, t)| *t)
    .collect();
    row(
        "Barrierefreiheit",
        if access.is_empty() {
            "keine Angaben".into()
        } else {
            access.join(", ")
        },
    );
    row("Sprachen", esc(&s.languages));
    row("Telefon", esc(&s.phone));
    if !s.email.is_empty() {
        row(
            "E-Mail",
            format!(r#"<a href="mailto:{0}">{0}</a>"#, esc(&s.email)),
        );
    }
    if s.web.starts_with("https://") || s.web.starts_with("http://") {
        row("Internet", format!(r#"<a href="{0}">{0}</a>"#, esc(&s.web)));
    }
    if !s.checked_on.is_empty() {
        row("Zuletzt geprüft", esc(&german_date(&s.checked_on)));
    }
    b.push_str("</dl></article>");
    b
}

/// The map of the district's municipalities with the entries that have a position.
fn map(site: &Site, shown: &[&Service], title: &str) -> Option<String> {
    let areas: Vec<Area<'_>> = site
        .municipalities(site.home)
        .into_iter()
        .filter_map(|g| {
            site.shapes.get(&g).map(|shape| Area {
                shape,
                fill: Some("#e8eef6"),
                label: site.regions[g].name.clone(),
                href: None,
                highlight: false,
            })
        })
        .collect();
    if areas.is_empty() {
        return None;
    }
    let points: Vec<Point> = shown
        .iter()
        .filter_map(|s| {
            s.position.map(|p| Point {
                lon: p.lon(),
                lat: p.lat(),
                label: s.name.clone(),
                href: format!("#dienst-{}", s.id),
            })
        })
        .collect();
    let placed = points.len();
    Some(with_points(
        &areas,
        &points,
        title,
        &format!(
            "Karte der Gemeinden von {} mit {placed} Angeboten als Punkte; dieselben Angebote stehen in der Liste.",
            site.regions[site.home].name
        ),
        &[],
        640.0,
    ))
}

/// The filter form; `seniors` hides the target group (the Seniorenwegweiser is for them).
fn form(site: &Site, f: &Filter, action: &str, seniors: bool) -> String {
    let mut places: Vec<(String, String)> = site
        .municipalities(site.home)
        .into_iter()
        .map(|g| (site.regions[g].key.clone(), site.regions[g].name.clone()))
        .collect();
    places.sort_by(|a, b| a.1.cmp(&b.1));
    places.insert(0, (String::new(), "alle Gemeinden".into()));
    let mut topics: Vec<(String, String)> = TOPICS
        .iter()
        .map(|t| (t.code().to_string(), t.label_de().to_string()))
        .collect();
    topics.insert(0, (String::new(), "alle Themen".into()));
    let mut groups: Vec<(String, String)> = TARGET_GROUPS
        .iter()
        .filter(|g| **g != TargetGroup::Everyone)
        .map(|t| (t.code().to_string(), t.label_de().to_string()))
        .collect();
    groups.insert(0, (String::new(), "alle".into()));
    let group = if seniors {
        String::new()
    } else {
        format!(
            r#"<label for="w-gruppe">Für<select id="w-gruppe" name="zielgruppe">{}</select></label>"#,
            options(&groups, &f.group)
        )
    };
    format!(
        r#"<form class="controls" method="get" action="{action}" role="search" aria-label="Angebote suchen">
<label for="w-gemeinde">Gemeinde<select id="w-gemeinde" name="gemeinde">{places}</select></label>
<label for="w-thema">Thema<select id="w-thema" name="thema">{topics}</select></label>
{group}
<label for="w-text">Suchwort<input id="w-text" name="q" type="search" value="{text}"></label>
<button type="submit">Angebote zeigen</button></form>"#,
        places = options(&places, &f.municipality),
        topics = options(&topics, &f.topic),
        text = esc(&f.text),
    )
}

/// The directory page: `/wegweiser`, or the Seniorenwegweiser (`seniors`).
pub fn page(site: &Site, f: &Filter, seniors: bool) -> String {
    let kreis = &site.regions[site.home];
    let mut filter = f.clone();
    if seniors {
        filter.group = TargetGroup::Older.code().into();
    }
    let shown: Vec<&Service> = site
        .services
        .iter()
        .filter(|s| filter.passes(s, &kreis.key))
        .collect();
    let (title, action, lead) = if seniors {
        (
            "Seniorenwegweiser",
            "/seniorenwegweiser",
            format!(
                "Beratung, Pflege und Begegnung für ältere Menschen in {} – nach Gemeinde und Thema.",
                esc(&kreis.name)
            ),
        )
    } else {
        (
            "Wegweiser soziale Angebote",
            "/wegweiser",
            format!(
                "Beratungsstellen und soziale Angebote in {} – nach Gemeinde, Thema und Zielgruppe. Für ältere Menschen gibt es den <a href=\"/seniorenwegweiser\">Seniorenwegweiser</a>.",
                esc(&kreis.name)
            ),
        )
    };
    let mut b = format!(
        r#"<h1>{title}</h1><p class="lead">{lead}</p>{form}"#,
        form = form(site, f, action, seniors)
    );
    if site.services.iter().any(|s| s.example) {
        b.push_str(r#"<p class="note">Dieses Verzeichnis enthält Beispiel-Einträge: Sie zeigen, wie der Wegweiser funktioniert, und sind keine realen Angebote.</p>"#);
    }
    let _ = write!(
        b,
        r#"<h2 id="treffer" aria-live="polite">{n} {what}</h2>"#,
        n = shown.len(),
        what = if shown.len() == 1 {
            "Angebot"
        } else {
            "Angebote"
        },
    );
    if shown.is_empty() {
        b.push_str("<p>Kein Angebot passt zu dieser Auswahl. Versuchen Sie eine andere Gemeinde oder ein anderes Thema.</p>");
        return b;
    }
    if let Some(m) = map(site, &shown, &format!("{title}: Lage der Angebote")) {
        let _ = write!(b, r#"<figure class="service-map">{m}</figure>"#);
    }
    b.push_str(r#"<div class="services">"#);
    for s in &shown {
        b.push_str(&entry(site, s));
    }
    b.push_str("</div>");
    b
}
