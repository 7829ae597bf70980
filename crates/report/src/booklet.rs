//! The Seniorenwegweiser as a booklet (PDF): the published entries of the directory for older
//! people (and for everyone), of the whole district or of one municipality, grouped by topic,
//! with the map of where they are, each entry with its address, contact, opening hours and
//! accessibility in words. The same selection as the page `/seniorenwegweiser`.

use serde_json::{Value, json};
use sozialmonitor_core::format::{count_de, german_date};
use sozialmonitor_core::services::{TOPICS, is_web_address};
use sozialmonitor_site::Site;
use sozialmonitor_site::directory::{
    Filter, access, address, directory_map, name_of, served_names,
};
use sozialmonitor_store::Service;

use crate::{Figures, ReportError, base_data, typeset};

/// An entry's lines as the booklet prints them: label and text, empty ones left out.
fn lines(site: &Site, s: &Service) -> Vec<Value> {
    let served = served_names(site, s);
    let web = if is_web_address(&s.web) {
        s.web.clone()
    } else {
        String::new()
    };
    let checked = if s.checked_on.is_empty() {
        String::new()
    } else {
        german_date(&s.checked_on)
    };
    [
        ("Träger", s.provider.clone()),
        ("Adresse", address(s)),
        ("Gemeinde", name_of(site, &s.municipality)),
        ("Zuständig für", served.join(", ")),
        ("Öffnungszeiten", s.opening_hours.clone()),
        ("Barrierefreiheit", access(s)),
        ("Sprachen", s.languages.clone()),
        ("Telefon", s.phone.clone()),
        ("E-Mail", s.email.clone()),
        ("Internet", web),
        ("Zuletzt geprüft", checked),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| json!({ "label": k, "text": v }))
    .collect()
}

/// The booklet of the district's Seniorenwegweiser, or of municipality `m`'s part of it.
pub fn senior_booklet(site: &Site, m: Option<usize>) -> Result<Vec<u8>, ReportError> {
    let kreis = &site.regions[site.home];
    let filter = Filter {
        municipality: m.map(|m| site.regions[m].key.clone()),
        ..Filter::default()
    }
    .for_older();
    let shown = filter.found(site);
    let place = m.map_or(kreis.name.clone(), |m| site.regions[m].name.clone());
    let title = format!("Seniorenwegweiser {place}");
    let mut figs = Figures::default();
    let map = directory_map(site, &shown, &format!("{title}: Lage der Angebote")).map(|svg| {
        figs.add(
            svg,
            &format!(
                "Karte der Gemeinden von {} mit den Angeboten dieses Wegweisers als Punkte",
                kreis.name
            ),
        )
    });
    // Each entry once, under the first of its topics in the directory's order.
    let sections: Vec<Value> = TOPICS
        .iter()
        .filter_map(|t| {
            let here: Vec<Value> = shown
                .iter()
                .filter(|s| TOPICS.iter().find(|x| s.topics.contains(x)) == Some(t))
                .map(|s| {
                    json!({
                        "name": s.name,
                        "example": s.example,
                        "groups": s.target_groups.iter().map(|g| g.label_de()).collect::<Vec<_>>().join(", "),
                        "lines": lines(site, s),
                    })
                })
                .collect();
            (!here.is_empty()).then(|| json!({ "topic": t.label_de(), "entries": here }))
        })
        .collect();
    let mut data = base_data(
        site,
        &title,
        &format!("Beratung, Pflege und Begegnung für ältere Menschen in {place}"),
        &title,
        &kreis.name,
    );
    data["name"] = json!(title);
    data["place"] = json!(place);
    data["count"] = json!(count_de(shown.len(), "Angebot", "Angebote"));
    data["examples"] = json!(shown.iter().any(|s| s.example));
    data["map"] = json!(map);
    data["sections"] = json!(sections);
    data["source"] = json!(format!(
        "Wegweiser soziale Angebote, {}; die Einträge pflegt die Sozialplanung, jeder mit dem Tag seiner letzten Prüfung. Gebietsgrenzen © GeoBasis-DE / BKG, dl-de/by-2-0.",
        kreis.name
    ));
    typeset(
        "seniorenwegweiser",
        include_str!("../templates/seniorenwegweiser.typ"),
        data,
        figs,
        Vec::new(),
    )
}
