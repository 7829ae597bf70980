//! The directory of social services as the public sees it: which published entries a search
//! finds (by municipality, topic, target group and words), and an entry's accessibility in
//! words. One selection for the Wegweiser pages and the Seniorenwegweiser booklet.

use sozialmonitor_core::format::count_de;
use sozialmonitor_core::services::{Position, TargetGroup, Topic, centroid};
use sozialmonitor_store::Service;

use sozialmonitor_viz::map::{Area, Point, with_points};

use crate::Site;

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
    /// Only entries known to be reachable without steps.
    pub step_free: bool,
    /// Only entries known to give information in easy language (Leichte Sprache).
    pub easy_language: bool,
    /// Only entries whose languages name this one (as the list of [`languages`] gives it).
    pub language: Option<String>,
}

/// The languages the site's published entries name (besides German), sorted, each once: the
/// choices of the language filter.
pub fn languages(site: &Site) -> Vec<String> {
    let mut all: Vec<String> = site
        .services
        .iter()
        .flat_map(|s| s.languages.split([',', ';']))
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    all.sort_by_key(|l| l.to_lowercase());
    all.dedup_by_key(|l| l.to_lowercase());
    all
}

impl Filter {
    /// The filter a query names for the site's district: `gemeinde`, `thema`, `zielgruppe`,
    /// `q`, `stufenlos=1`, `leicht=1`, `sprache`.
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
            step_free: get("stufenlos") == "1",
            easy_language: get("leicht") == "1",
            language: {
                let l = get("sprache");
                languages(site)
                    .into_iter()
                    .find(|x| x.eq_ignore_ascii_case(l.trim()))
            },
        }
    }

    /// Whether the entry passes every filter set.
    pub fn passes(&self, site: &Site, s: &Service) -> bool {
        let kreis = &site.regions[site.home].key;
        let here = self
            .municipality
            .as_ref()
            .is_none_or(|m| s.municipality == *m || s.served.iter().any(|g| g == m || g == kreis));
        let topic = self.topic.is_none_or(|t| s.topics.contains(&t));
        let group = self.group.is_none_or(|g| {
            s.target_groups.contains(&g) || s.target_groups.contains(&TargetGroup::Everyone)
        });
        let access = (!self.step_free || s.step_free == Some(true))
            && (!self.easy_language || s.easy_language == Some(true));
        let spoken = self.language.as_ref().is_none_or(|l| {
            s.languages
                .split([',', ';'])
                .any(|x| x.trim().eq_ignore_ascii_case(l))
        });
        here && topic && group && access && spoken && self.words(site, s)
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

    /// The site's published entries this filter finds, in the directory's order.
    pub fn found<'a>(&self, site: &'a Site) -> Vec<&'a Service> {
        site.services
            .iter()
            .filter(|s| self.passes(site, s))
            .collect()
    }

    /// The Seniorenwegweiser's filter: for older people (entries for everyone included).
    pub fn for_older(mut self) -> Filter {
        self.group = Some(TargetGroup::Older);
        self
    }
}

/// Accessibility in words: what is there, what is not, or that nothing is known.
pub fn access(s: &Service) -> String {
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

/// Where an entry without coordinates is drawn: the centre of its municipality's area, from the
/// register's boundary. Only drawn, never counted: coverage distances use entered coordinates.
pub fn approximate_position(site: &Site, s: &Service) -> Option<Position> {
    let r = site.region(&s.municipality)?;
    centroid(&site.shapes.get(&r)?.rings)
}

/// The map of the district's municipalities with the entries that have a position, each point
/// a link to its entry on the page (`#dienst-ID`).
pub fn directory_map(site: &Site, shown: &[&Service], title: &str) -> Option<String> {
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
            let (p, label) = match s.position {
                Some(p) => (p, s.name.clone()),
                None => (
                    approximate_position(site, s)?,
                    format!("{} (ungefähre Lage: Mitte der Gemeinde)", s.name),
                ),
            };
            Some(Point {
                lon: p.lon(),
                lat: p.lat(),
                label,
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
            "Karte der Gemeinden von {} mit {} als Punkte; dieselben Angebote stehen in der Liste.",
            site.regions[site.home].name,
            count_de(placed, "Angebot", "Angeboten")
        ),
        &[],
        640.0,
    ))
}

/// An entry's address in one line: street, then postcode and place; empty parts left out.
pub fn address(s: &Service) -> String {
    [s.street.trim(), &format!("{} {}", s.postcode, s.place)]
        .iter()
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The name of a region by key, or the key where the site does not know it.
pub fn name_of(site: &Site, key: &str) -> String {
    site.region(key)
        .map_or(key.to_string(), |r| site.regions[r].name.clone())
}

/// The names of the municipalities an entry serves, in its order.
pub fn served_names(site: &Site, s: &Service) -> Vec<String> {
    s.served.iter().map(|k| name_of(site, k)).collect()
}
