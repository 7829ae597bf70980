//! The public directory of social services (Wegweiser) of the home district: searchable by
//! municipality, topic, target group and free text, listed and on a map, printable; the
//! Seniorenwegweiser is the same directory for older people under its own address. Works
//! without JavaScript (the filters are a GET form), and every entry on the map is also in the
//! list, which is the map's text alternative.

use std::fmt::Write as _;

use sozialmonitor_core::format::{count_de, german_date};
use sozialmonitor_core::services::{TARGET_GROUPS, TOPICS, TargetGroup, check_due, is_web_address};
use sozialmonitor_site::Site;
pub use sozialmonitor_site::directory::Filter;
use sozialmonitor_site::directory::{
    access, address, approximate_position, directory_map, languages, name_of, served_names,
};
use sozialmonitor_store::Service;
use sozialmonitor_viz::esc;

use crate::html::options;

fn tag(example: bool) -> &'static str {
    if example {
        r#" <span class="tag">Beispiel – kein realer Eintrag</span>"#
    } else {
        ""
    }
}

/// The definition list of an entry: `(term, HTML)` pairs, empty ones left out.
fn details(site: &Site, s: &Service) -> Vec<(&'static str, String)> {
    let name_of = |k: &str| name_of(site, k);
    let address = address(s);
    let served = served_names(site, s);
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
        (
            "Lage",
            if s.position.is_none() && approximate_position(site, s).is_some() {
                "ungefähr: keine Koordinaten erfasst, auf der Karte in der Mitte der Gemeinde"
                    .into()
            } else {
                String::new()
            },
        ),
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
    if is_web_address(&s.web) {
        out.push(("Internet", format!(r#"<a href="{0}">{0}</a>"#, esc(&s.web))));
    }
    if !s.checked_on.is_empty() {
        let old =
            sozialmonitor_core::format::unix_from_iso_utc(&format!("{}T00:00:00Z", site.data_date))
                .is_some_and(|now| check_due(&s.checked_on, now));
        let note = if old {
            r#" <strong class="stale">vor über einem Jahr – bitte Angaben vor einem Besuch telefonisch bestätigen</strong>"#
        } else {
            ""
        };
        out.push((
            "Zuletzt geprüft",
            format!("{}{note}", esc(&german_date(&s.checked_on))),
        ));
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
{language}<fieldset class="checks"><legend>Barrierefreiheit</legend><label class="check"><input type="checkbox" name="stufenlos" value="1"{step}> stufenlos erreichbar</label><label class="check"><input type="checkbox" name="leicht" value="1"{easy}> Leichte Sprache</label></fieldset>
<button type="submit">Angebote zeigen</button></form>"#,
        places = options(&places, f.municipality.as_deref().unwrap_or("")),
        topics = options(&topics, f.topic.map_or("", |t| t.code())),
        text = esc(&f.text),
        language = language_select(site, f),
        step = if f.step_free { " checked" } else { "" },
        easy = if f.easy_language { " checked" } else { "" },
    )
}

/// The language filter, when the entries name languages besides German.
fn language_select(site: &Site, f: &Filter) -> String {
    let mut all: Vec<(String, String)> = languages(site)
        .into_iter()
        .map(|l| (l.clone(), l))
        .collect();
    if all.is_empty() {
        return String::new();
    }
    all.insert(0, (String::new(), "alle".into()));
    format!(
        r#"<label for="w-sprache">Beratung auch auf<select id="w-sprache" name="sprache">{}</select></label>"#,
        options(&all, f.language.as_deref().unwrap_or(""))
    )
}

/// The directory page, `/wegweiser` or the Seniorenwegweiser (`seniors`): its title (with the
/// number of entries found, since the page is reloaded to filter) and its body.
pub fn page(site: &Site, f: &Filter, seniors: bool) -> (String, String) {
    let kreis = &site.regions[site.home];
    let filter = if seniors {
        f.clone().for_older()
    } else {
        f.clone()
    };
    let shown: Vec<&Service> = filter.found(site);
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
    let found = count_de(shown.len(), "Angebot", "Angebote");
    let mut b = format!(
        r#"<h1>{title}</h1><p class="lead">{lead}</p>{form}"#,
        form = form(site, f, action, seniors)
    );
    if site.services.iter().any(|s| s.example) {
        b.push_str(r#"<p class="note">Dieses Verzeichnis enthält Beispiel-Einträge: Sie zeigen, wie der Wegweiser funktioniert, und sind keine realen Angebote. Ihre Punkte auf der Karte liegen in der Mitte ihrer Gemeinde.</p>"#);
    }
    if seniors {
        let query = f.municipality.as_ref().map_or(String::new(), |m| {
            format!("?gemeinde={}", crate::html::qv(m))
        });
        let _ = write!(
            b,
            r#"<p><a href="/seniorenwegweiser.pdf{query}">Seniorenwegweiser als Broschüre (PDF)</a>{place}</p>"#,
            place = f.municipality.as_ref().and_then(|m| site.region(m)).map_or(
                String::new(),
                |r| format!(" für {}", esc(&site.regions[r].name))
            ),
        );
    }
    let _ = write!(b, r#"<h2 id="treffer">{found}</h2>"#);
    let page_title = format!("{title}: {found}");
    if shown.is_empty() {
        b.push_str("<p>Kein Angebot passt zu dieser Auswahl. Versuchen Sie eine andere Gemeinde oder ein anderes Thema.</p>");
        return (page_title, b);
    }
    b.push_str(r##"<p><a href="#liste">Zur Liste der Angebote</a></p>"##);
    if let Some(m) = directory_map(site, &shown, &format!("{title}: Lage der Angebote")) {
        let _ = write!(b, r#"<figure class="service-map">{m}</figure>"#);
    }
    b.push_str(r#"<div class="services" id="liste">"#);
    for s in &shown {
        b.push_str(&entry(site, s));
    }
    b.push_str("</div>");
    (page_title, b)
}

/// The section of a municipality's profile on the directory: how many published entries are in
/// or serve it, with links to them; empty for a region without any.
pub fn profile_section(site: &Site, r: usize) -> String {
    let key = &site.regions[r].key;
    if !site.municipalities(site.home).contains(&r) {
        return String::new();
    }
    let filter = Filter {
        municipality: Some(key.clone()),
        ..Filter::default()
    };
    let all = filter.found(site).len();
    if all == 0 {
        return String::new();
    }
    let older = filter.clone().for_older().found(site).len();
    let name = esc(&site.regions[r].name);
    let q = crate::html::qv(key);
    format!(
        r#"<h2>Soziale Angebote</h2><p>Der <a href="/wegweiser?gemeinde={q}">Wegweiser</a> nennt {all} für {name}, davon {older} im <a href="/seniorenwegweiser?gemeinde={q}">Seniorenwegweiser</a> für ältere Menschen.</p>"#,
        all = count_de(all, "Angebot", "Angebote"),
    )
}
