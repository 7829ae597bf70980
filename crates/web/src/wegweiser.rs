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

/// The directory's filters, read once from the query string: an unknown value is no filter
/// (and the form shows "alle").
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// A municipality of the district (AGS): the entries in it or serving it.
    pub municipality: Option<String>,
    /// A topic.
    pub topic: Option<Topic>,
    /// A target group.
    pub group: Option<TargetGroup>,
    /// Words that name, provider, place, municipality, topics or languages must all contain.
    pub text: String,
}

impl Filter {
    /// The filter a query names (`gemeinde`, `thema`, `zielgruppe`, `q`) for the site's district.
    pub fn read(site: &Site, get: impl Fn(&str) -> String) -> Filter {
        let m = get("gemeinde");
        Filter {
            municipality: site
                .municipalities(site.home)
                .into_iter()
                .any(|g| site.regions[g].key == m)
                .then_some(m),
            topic: Topic::parse(&get("thema")),
            group: TargetGroup::parse(&get("zielgruppe")),
            text: get("q").trim().to_lowercase(),
        }
    }

    /// Whether the entry passes every filter set.
    fn passes(&self, site: &Site, s: &Service) -> bool {
        let kreis = &site.regions[site.home].key;
        let here = self
            .municipality
            .as_ref()
            .is_none_or(|m| s.municipality == *m || s.served.iter().any(|g| g == m || g == kreis));
        let topic = self.topic.is_none_or(|t| s.topics.contains(&t));
        let group = self.group.is_none_or(|g| {
            s.target_groups.contains(&g) || s.target_groups.contains(&TargetGroup::Everyone)
        });
        here && topic && group && self.words(site, s)
    }

    fn words(&self, site: &Site, s: &Service) -> bool {
        if self.text.is_empty() {
            return true;
        }
        let municipality = site
            .region(&s.municipality)
            .map_or("", |r| site.regions[r].name.as_str());
        let topics: Vec<&str> = s.topics.iter().map(|t| t.label_de()).collect();
        let hay = format!(
            "{} {} {} {municipality} {} {}",
            s.name,
            s.provider,
            s.place,
            topics.join(" "),
            s.languages
        )
        .to_lowercase();
        self.text.split_whitespace().all(|w| hay.contains(w))
    }
}

fn tag(example: bool) -> &'static str {
    if example {
        r#" <span class="tag">Beispiel – kein realer Eintrag</span>"#
    } else {
        ""
    }
}

/// Accessibility in words: what is there, what is not, or that nothing is known.
fn access(s: &Service) -> String {
    let said: Vec<&str> = [
        (
            s.step_free,
            "stufenlos erreichbar",
            "nicht stufenlos erreichbar",
        ),
        (s.hearing_loop, "Hörschleife", "keine Hörschleife"),
        (
            s.easy_language,
            "Informationen in Leichter Sprache",
            "keine Informationen in Leichter Sprache",
        ),
    ]
    .iter()
    .filter_map(|(k, yes, no)| k.map(|k| if k { *yes } else { *no }))
    .collect();
    if said.is_empty() {
        "keine Angaben".into()
    } else {
        said.join(", ")
    }
}

/// The definition list of an entry: `(term, HTML)` pairs, empty ones left out.
fn details(site: &Site, s: &Service) -> Vec<(&'static str, String)> {
    let name_of = |k: &str| {
        site.region(k)
            .map_or(k.to_string(), |r| site.regions[r].name.clone())
    };
    let address = [s.street.trim(), &format!("{} {}", s.postcode, s.place)]
        .iter()
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let served: Vec<String> = s.served.iter().map(|k| name_of(k)).collect();
    let phone = s.phone.trim();
    let dial: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let mut out = vec![
        ("Träger", esc(&s.provider)),
        ("Adresse", esc(&address)),
        (
            "Gemeinde",
            format!(
                r#"<a href="/gemeinde/{}">{}</a>"#,
                esc(&s.municipality),
                esc(&name_of(&s.municipality))
            ),
        ),
        ("Zuständig für", esc(&served.join(", "))),
        ("Öffnungszeiten", esc(&s.opening_hours)),
        ("Barrierefreiheit", esc(&access(s))),
        ("Sprachen", esc(&s.languages)),
    ];
    if !dial.is_empty() {
        out.push((
            "Telefon",
            format!(r#"<a href="tel:{dial}">{}</a>"#, esc(phone)),
        ));
    }
    if !s.email.is_empty() {
        out.push((
            "E-Mail",
            format!(r#"<a href="mailto:{0}">{0}</a>"#, esc(&s.email)),
        ));
    }
    let web = s.web.to_lowercase();
    if web.starts_with("https://") || web.starts_with("http://") {
        out.push(("Internet", format!(r#"<a href="{0}">{0}</a>"#, esc(&s.web))));
    }
    if !s.checked_on.is_empty() {
        out.push(("Zuletzt geprüft", esc(&german_date(&s.checked_on))));
    }
    out.push(("Quelle", esc(&s.source)));
    out
}

/// One entry as an article of the list.
fn entry(site: &Site, s: &Service) -> String {
    let list = |items: Vec<&str>| items.join(", ");
    let mut b = format!(
        r#"<article class="service" id="dienst-{id}"><h3>{name}{ex}</h3><p class="hint">{topics} · für {groups}</p><dl>"#,
        id = s.id,
        name = esc(&s.name),
        ex = tag(s.example),
        topics = list(s.topics.iter().map(|t| t.label_de()).collect()),
        groups = list(s.target_groups.iter().map(|t| t.label_de()).collect()),
    );
    for (term, html) in details(site, s) {
        if !html.trim().is_empty() {
            let _ = write!(b, "<dt>{term}</dt><dd>{html}</dd>");
        }
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
            options(&groups, f.group.map_or("", |g| g.code()))
        )
    };
    format!(
        r#"<form class="controls filters" method="get" action="{action}" role="search" aria-label="Angebote suchen">
<label for="w-gemeinde">Gemeinde<select id="w-gemeinde" name="gemeinde">{places}</select></label>
<label for="w-thema">Thema<select id="w-thema" name="thema">{topics}</select></label>
{group}
<label for="w-text">Suchwort<input id="w-text" name="q" type="search" value="{text}"></label>
<button type="submit">Angebote zeigen</button></form>"#,
        places = options(&places, f.municipality.as_deref().unwrap_or("")),
        topics = options(&topics, f.topic.map_or("", |t| t.code())),
        text = esc(&f.text),
    )
}

/// The directory page, `/wegweiser` or the Seniorenwegweiser (`seniors`): its title (with the
/// number of entries found, since the page is reloaded to filter) and its body.
pub fn page(site: &Site, f: &Filter, seniors: bool) -> (String, String) {
    let kreis = &site.regions[site.home];
    let mut filter = f.clone();
    if seniors {
        filter.group = Some(TargetGroup::Older);
    }
    let shown: Vec<&Service> = site
        .services
        .iter()
        .filter(|s| filter.passes(site, s))
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
    let found = format!(
        "{} {}",
        shown.len(),
        if shown.len() == 1 {
            "Angebot"
        } else {
            "Angebote"
        }
    );
    let mut b = format!(
        r#"<h1>{title}</h1><p class="lead">{lead}</p>{form}"#,
        form = form(site, f, action, seniors)
    );
    if site.services.iter().any(|s| s.example) {
        b.push_str(r#"<p class="note">Dieses Verzeichnis enthält Beispiel-Einträge: Sie zeigen, wie der Wegweiser funktioniert, und sind keine realen Angebote. Ihre Punkte auf der Karte liegen in der Mitte ihrer Gemeinde.</p>"#);
    }
    let _ = write!(b, r#"<h2 id="treffer">{found}</h2>"#);
    let page_title = format!("{title}: {found}");
    if shown.is_empty() {
        b.push_str("<p>Kein Angebot passt zu dieser Auswahl. Versuchen Sie eine andere Gemeinde oder ein anderes Thema.</p>");
        return (page_title, b);
    }
    b.push_str(r##"<p><a href="#liste">Zur Liste der Angebote</a></p>"##);
    if let Some(m) = map(site, &shown, &format!("{title}: Lage der Angebote")) {
        let _ = write!(b, r#"<figure class="service-map">{m}</figure>"#);
    }
    b.push_str(r#"<div class="services" id="liste">"#);
    for s in &shown {
        b.push_str(&entry(site, s));
    }
    b.push_str("</div>");
    (page_title, b)
}
