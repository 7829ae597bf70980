//! The typology of municipalities that the dashboard and the reports show: computed by the core
//! when the site loads, from the public values of the features the catalogue marks
//! (`typology = true`), so it never rests on a withheld number and follows the catalogue.

use rustc_hash::FxHashMap;
use sozialmonitor_core::RegionLevel;
use sozialmonitor_core::analysis::cluster::{Points, Typology, TypologyOptions};
use sozialmonitor_core::analysis::{AnalysisError, wants_logarithm};
use sozialmonitor_core::format::german_number;
use sozialmonitor_viz::chart::{Bar, diverging};
use sozialmonitor_viz::map::{Area, LegendItem, choropleth};
use sozialmonitor_viz::{NO_DATA, categories};

use crate::Site;

/// The share of the municipalities a feature's year must cover to be the year it enters with.
pub const COVERAGE: f64 = 0.9;

/// Standardised values are limited to this many standard deviations either side of the mean,
/// so that one extreme municipality (a reception centre's migration balance) cannot form a type
/// of its own.
pub const LIMIT: f64 = 3.0;

/// The numbers of types considered: two types are a split, not a typology, and more than seven
/// cannot be told apart on a map.
pub const OPTIONS: TypologyOptions = TypologyOptions {
    k_min: 3,
    k_max: 7,
    ..TypologyOptions::DEFAULT
};

/// One feature of the typology.
#[derive(Debug, Clone)]
pub struct Feature {
    /// Index into [`Site::indicators`].
    pub indicator: usize,
    /// The year its values are taken from.
    pub year: u16,
    /// Whether it enters as its logarithm (strongly skewed, see `analysis::wants_logarithm`).
    pub logged: bool,
    /// Its short name, as charts and sentences name it.
    pub name: String,
}

/// The typology of the municipalities that have every feature.
#[derive(Debug, Clone)]
pub struct Types {
    /// The features, in catalogue order.
    pub features: Vec<Feature>,
    /// The municipalities typed (indices into [`Site::regions`]), in key order.
    pub members: Vec<usize>,
    /// Current municipalities of the Länder typed that lack a feature, left out.
    pub untyped: Vec<usize>,
    /// The core's result, types numbered by size (type 0, shown as „Typ 1“, is the largest).
    pub typology: Typology,
    /// Position in `members` of each typed region.
    position: FxHashMap<usize, usize>,
}

impl Types {
    /// Computes the typology from the site's public values; `Err` says in German why there is
    /// none (no features marked, too few municipalities with every feature).
    pub fn compute(site: &Site) -> Result<Types, String> {
        let municipalities: Vec<usize> = (0..site.regions.len())
            .filter(|&r| site.regions[r].current && site.regions[r].level == RegionLevel::Gemeinde)
            .collect();
        let mut features = Vec::new();
        for (i, ind) in site.indicators.iter().enumerate() {
            if !ind.entry.typology {
                continue;
            }
            if let Some(year) = feature_year(site, i, &municipalities) {
                features.push(Feature {
                    indicator: i,
                    year,
                    logged: false,
                    name: ind.entry.short_name.clone(),
                });
            }
        }
        if features.len() < 2 {
            return Err("Der Katalog nennt weniger als zwei Merkmale der Typisierung mit Werten für die Gemeinden.".into());
        }
        let value = |r: usize, f: &Feature| {
            let ind = &site.indicators[f.indicator];
            ind.num(r, f.year)
                .or_else(|| ind.num(kreisfreie_stadt(site, r)?, f.year))
        };
        let mut members: Vec<usize> = municipalities
            .iter()
            .copied()
            .filter(|&r| features.iter().all(|f| value(r, f).is_some()))
            .collect();
        // The municipalities left out are those of the Länder the typology covers (a feature
        // such as the density may have values for all of Germany).
        let lands: std::collections::BTreeSet<Option<usize>> = members
            .iter()
            .map(|&r| site.up(r, RegionLevel::Land))
            .collect();
        let untyped: Vec<usize> = municipalities
            .iter()
            .copied()
            .filter(|&r| lands.contains(&site.up(r, RegionLevel::Land)))
            .filter(|&r| features.iter().any(|f| value(r, f).is_none()))
            .collect();
        members.sort_by(|a, b| site.regions[*a].key.cmp(&site.regions[*b].key));
        let mut rows: Vec<Vec<f64>> = members
            .iter()
            .map(|&r| {
                features
                    .iter()
                    .map(|f| value(r, f).unwrap_or(0.0))
                    .collect()
            })
            .collect();
        for (j, f) in features.iter_mut().enumerate() {
            let column: Vec<f64> = rows.iter().map(|row| row[j]).collect();
            f.logged = wants_logarithm(&column);
            if f.logged {
                rows.iter_mut().for_each(|row| row[j] = row[j].log10());
            }
        }
        let points =
            Points::standardised_within(&rows, features.len(), LIMIT).map_err(|e| match e {
                // A feature with the same value everywhere is named, not numbered.
                AnalysisError::Constant(j) => format!(
                    "Das Merkmal „{}“ hat in allen Gemeinden denselben Wert.",
                    features.get(j).map_or("?", |f| f.name.as_str())
                ),
                e => e.to_string(),
            })?;
        let mut typology = Typology::compute(&points, OPTIONS).map_err(|e| e.to_string())?;
        typology.partition = typology.partition.largest_first();
        Ok(Types {
            untyped,
            position: members.iter().enumerate().map(|(i, &r)| (r, i)).collect(),
            features,
            members,
            typology,
        })
    }

    /// The number of types.
    pub fn count(&self) -> usize {
        self.typology.k
    }

    /// The type of a region (0-based), `None` when it is not typed.
    pub fn type_of(&self, region: usize) -> Option<usize> {
        self.position
            .get(&region)
            .map(|&i| self.typology.partition.labels[i])
    }

    /// The share of bootstrap samples in which the region kept its type.
    pub fn region_stability(&self, region: usize) -> Option<f64> {
        self.position
            .get(&region)
            .map(|&i| self.typology.stability[i])
    }

    /// The typed municipalities of type `t`, in key order.
    pub fn of_type(&self, t: usize) -> Vec<usize> {
        self.members
            .iter()
            .zip(&self.typology.partition.labels)
            .filter(|(_, l)| **l == t)
            .map(|(r, _)| *r)
            .collect()
    }

    /// The feature names as the core's descriptions use them.
    fn names(&self) -> Vec<&str> {
        self.features.iter().map(|f| f.name.as_str()).collect()
    }

    /// What sets type `t` apart, in German.
    pub fn describe(&self, t: usize) -> String {
        self.typology.describe(t, &self.names())
    }

    /// The type's name as pages show it: „Typ 2“.
    pub fn label(t: usize) -> String {
        format!("Typ {}", t + 1)
    }

    /// The sentence a profile shows for a typed municipality, German.
    pub fn sentence(&self, region: usize) -> Option<String> {
        let t = self.type_of(region)?;
        let kept = self.region_stability(region)?;
        Some(format!(
            "{} von {} Gemeindetypen – {}. In {} % der Bootstrap-Stichproben blieb die Gemeinde in ihrem Typ.",
            Types::label(t),
            self.count(),
            self.describe(t),
            german_number(kept * 100.0, 0)
        ))
    }

    /// Type `t`'s features as standard deviations from the mean of all typed municipalities,
    /// as a diverging bar chart.
    pub fn chart(&self, t: usize, width: f64) -> String {
        let Some(centre) = self.typology.partition.centroids.get(t) else {
            return String::new();
        };
        let items: Vec<Bar> = self
            .features
            .iter()
            .zip(centre)
            .map(|(f, z)| Bar {
                label: f.name.clone(),
                value: Some(*z),
                text: signed(*z),
                highlight: false,
            })
            .collect();
        diverging(
            &items,
            &format!(
                "{}: Merkmale im Vergleich zum Durchschnitt",
                Types::label(t)
            ),
            &format!(
                "{} Rechts über, links unter dem Durchschnitt.",
                self.chart_words(t)
            ),
            width,
        )
    }

    /// What the chart of type `t` shows, in words for its alternative text.
    pub fn chart_words(&self, t: usize) -> String {
        let centre = self.typology.partition.centroids.get(t);
        let parts: Vec<String> = self
            .features
            .iter()
            .zip(centre.into_iter().flatten())
            .map(|(f, z)| format!("{} {}", f.name, signed(*z)))
            .collect();
        format!(
            "{}, Merkmale in Standardabweichungen vom Durchschnitt aller typisierten Gemeinden: {}.",
            Types::label(t),
            parts.join("; ")
        )
    }

    /// The map of the typed municipalities, each filled with its type's colour; with
    /// `highlight`, only that type's municipalities coloured, the others light grey. Each area's label names its type, and
    /// the pages list the members beside the map, so colour is never the only carrier.
    pub fn map(&self, site: &Site, highlight: Option<usize>, width: f64) -> String {
        let all: Vec<usize> = self.members.iter().chain(&self.untyped).copied().collect();
        self.map_of(site, &all, highlight, width)
    }

    /// The typed municipalities of a district by type (types in order, each with its
    /// municipalities by name); types without one there are left out.
    pub fn in_district(&self, site: &Site, kreis: usize) -> Vec<(usize, Vec<usize>)> {
        let here = site.municipalities(kreis);
        (0..self.count())
            .map(|t| {
                let of: Vec<usize> = here
                    .iter()
                    .copied()
                    .filter(|&r| self.type_of(r) == Some(t))
                    .collect();
                (t, of)
            })
            .filter(|(_, of)| !of.is_empty())
            .collect()
    }

    /// [`Types::map`] of some of the typed municipalities (a district's).
    pub fn map_of(
        &self,
        site: &Site,
        regions: &[usize],
        highlight: Option<usize>,
        width: f64,
    ) -> String {
        let colours = categories(self.count());
        let areas: Vec<Area<'_>> = regions
            .iter()
            .filter_map(|&r| {
                let shape = site.shapes.get(&r)?;
                let t = self.type_of(r);
                let (fill, words) = match t {
                    Some(t) if highlight.is_some_and(|h| h != t) => {
                        (Some(NO_DATA), Types::label(t))
                    }
                    Some(t) => (colours.get(t).copied(), Types::label(t)),
                    // Hatched, as a missing value on every other map.
                    None => (None, "ohne Typ (ein Merkmal fehlt)".to_owned()),
                };
                Some(Area {
                    shape,
                    fill,
                    label: format!("{}: {words}", site.regions[r].name),
                    href: Some(format!("/gemeinde/{}", site.regions[r].key)),
                    // The type's colour against light grey marks it; a heavy outline on
                    // hundreds of areas would hide the map.
                    highlight: false,
                })
            })
            .collect();
        let mut legend: Vec<LegendItem> = match highlight.and_then(|t| Some((t, colours.get(t)?))) {
            Some((t, colour)) => vec![
                (colour.to_string(), Types::label(t)),
                (NO_DATA.to_string(), "andere Typen".to_string()),
            ],
            None => colours
                .iter()
                .enumerate()
                .map(|(t, colour)| (colour.to_string(), Types::label(t)))
                .collect(),
        };
        if areas.iter().any(|a| a.fill.is_none()) {
            legend.push((String::new(), "ohne Typ (ein Merkmal fehlt)".to_string()));
        }
        let title = match highlight {
            Some(t) => format!("Karte: Gemeinden vom {}", Types::label(t)),
            None => "Karte der Gemeindetypen".to_string(),
        };
        choropleth(
            &areas,
            &title,
            &format!(
                "{} Gemeinden nach ihrem Typ; die Seiten der Typen nennen jede Gemeinde mit ihrem Typ",
                german_number(areas.len() as f64, 0)
            ),
            &legend,
            width,
        )
    }

    /// The features in words for the method section: „Bevölkerungsdichte (2022, logarithmiert)“.
    pub fn feature_words(&self) -> Vec<String> {
        self.features
            .iter()
            .map(|f| {
                format!(
                    "{} ({}{})",
                    f.name,
                    f.year,
                    if f.logged { ", logarithmiert" } else { "" }
                )
            })
            .collect()
    }
}

/// A z-value with its sign, German: „+1,2“, „-0,4“ (the hyphen-minus, as every other number
/// of the dashboard and the bundled PDF fonts show it).
pub fn signed(z: f64) -> String {
    let text = german_number(z.abs(), 1);
    if text == "0,0" {
        text
    } else if z < 0.0 {
        format!("-{text}")
    } else {
        format!("+{text}")
    }
}

/// The Kreis of a kreisfreie Stadt, which is the same territory: statistics published for
/// Kreise give its numbers there and not under the municipality's key.
fn kreisfreie_stadt(site: &Site, r: usize) -> Option<usize> {
    let k = site.up(r, RegionLevel::Kreis)?;
    (site.regions[r].key == format!("{}000", site.regions[k].key) && site.municipalities(k) == [r])
        .then_some(k)
}

/// The latest year in which indicator `i` has a public number for nine in ten of the
/// municipalities that have one in its best-covered year.
fn feature_year(site: &Site, i: usize, municipalities: &[usize]) -> Option<u16> {
    let ind = &site.indicators[i];
    let counts: Vec<(u16, usize)> = ind
        .years
        .iter()
        .map(|&y| {
            let n = municipalities
                .iter()
                .filter(|&&r| {
                    ind.num(r, y).is_some()
                        || kreisfreie_stadt(site, r).is_some_and(|k| ind.num(k, y).is_some())
                })
                .count();
            (y, n)
        })
        .collect();
    let best = counts.iter().map(|(_, n)| *n).max()?;
    if best == 0 {
        return None;
    }
    counts
        .iter()
        .rev()
        .find(|(_, n)| *n as f64 >= COVERAGE * best as f64)
        .map(|(y, _)| *y)
}
