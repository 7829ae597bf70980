//! The inputs of the population projection derived from published tables, and its back-test.
//!
//! From GENESIS tables as read (a [`Dataset`] each): the population of each municipality by sex
//! and age group, spread over single years like its Kreis's single years; survival by a
//! Gompertz curve at the level of the Kreis's published deaths; fertility at the level of the
//! Kreis's published births; the municipality's own arrivals and departures by age group, at
//! the level of its Kreis's mean over five years. The back-test
//! compares a projection with what was published later and sums up the errors per Kreis and per
//! municipality size class.

use std::collections::BTreeMap;

use super::projection::{
    Assumptions, Error, FEMALE, MALE, Population, fertility_schedule, gompertz_survival,
    split_groups,
};
use crate::{BreakdownItem, Dataset};

/// Age groups `(from, to exclusive, count)` of one region and sex.
pub type AgeGroups = Vec<(usize, usize, f64)>;

/// Per region key: its age groups by sex (`[MALE, FEMALE]`).
pub type AgeTable = BTreeMap<String, [AgeGroups; 2]>;

/// Rise in the risk of dying per year of age in the Gompertz curve (about 9 % a year).
pub const GOMPERTZ_SLOPE: f64 = 0.09;

/// Mean age of mothers at birth assumed for the shape of the fertility schedule (Germany
/// 2015: 30.9 years for all births; 30.5 is used with the spread below).
pub const MOTHERS_MEAN_AGE: f64 = 30.5;

/// Spread (standard deviation) of the mothers' ages in the fertility schedule.
pub const MOTHERS_AGE_SPREAD: f64 = 5.5;

/// Single years `(from, to)` of a GENESIS age label; `to` is exclusive, open ends run to 200.
pub fn age_range(label: &str) -> Option<(usize, usize)> {
    let numbers: Vec<usize> = label
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    match numbers.as_slice() {
        [to] if label.starts_with("unter") => Some((0, *to)),
        [from] if label.contains("und mehr") || label.contains("u.m.") => Some((*from, 200)),
        [from, to] if label.contains("bis unter") => Some((*from, *to)),
        _ => None,
    }
}

/// Sex (MALE, FEMALE) of a breakdown, if it names one: by label, as table exports give it,
/// or by the GENESIS code of flat exports (`GESM`, `GESW`).
fn sex_of(items: &[BreakdownItem]) -> Option<usize> {
    items
        .iter()
        .find_map(|i| match (i.value.as_str(), i.label.as_str()) {
            ("männlich" | "GESM", _) | (_, "männlich") => Some(MALE),
            ("weiblich" | "GESW", _) | (_, "weiblich") => Some(FEMALE),
            _ => None,
        })
}

/// Counts by region, sex and age group in `year`, for the measures whose label contains
/// `measure` (all if empty).
pub fn by_age(ds: &Dataset, measure: &str, year: u16) -> AgeTable {
    let mut out = AgeTable::new();
    for o in &ds.observations {
        if o.period.year() != year || !ds.measures[o.measure as usize].label.contains(measure) {
            continue;
        }
        let items = ds.breakdowns[o.breakdown as usize].items();
        let (Some(sex), Some(number)) = (sex_of(items), o.value.number) else {
            continue;
        };
        let Some((from, to)) = items.iter().find_map(|i| age_range(&i.value)) else {
            continue;
        };
        let key = ds.region_keys[o.region as usize].as_str().to_owned();
        out.entry(key).or_default()[sex].push((from, to, number));
    }
    out
}

/// Totals by region and sex in `year` (births, deaths, population by sex), for the measures
/// whose label contains `measure` (all if empty).
pub fn by_sex(ds: &Dataset, measure: &str, year: u16) -> BTreeMap<String, [f64; 2]> {
    let mut out: BTreeMap<String, [f64; 2]> = BTreeMap::new();
    for o in &ds.observations {
        let items = ds.breakdowns[o.breakdown as usize].items();
        if o.period.year() != year
            || items.len() != 1
            || !ds.measures[o.measure as usize].label.contains(measure)
        {
            continue;
        }
        if let (Some(sex), Some(n)) = (sex_of(items), o.value.number) {
            out.entry(ds.region_keys[o.region as usize].as_str().to_owned())
                .or_default()[sex] = n;
        }
    }
    out
}

/// The published tables a projection is derived from, each as read.
pub struct Sources<'a> {
    /// Population by sex and single year of age per Kreis (12411-04-02-4).
    pub kreis_ages: &'a Dataset,
    /// Population by sex and age group per municipality (12411-02-03-5).
    pub municipal_ages: &'a Dataset,
    /// Live births by sex per Kreis (12612-01-01-4).
    pub births: &'a Dataset,
    /// Deaths by sex per Kreis (12613-01-01-4).
    pub deaths: &'a Dataset,
    /// Arrivals and departures by sex and age group per municipality (12711-01-03-5).
    pub migration: &'a Dataset,
    /// Arrivals and departures by sex per Kreis over several years (12711-05-02-4): their mean
    /// over [`MIGRATION_YEARS`] sets the level of migration, the municipality's own year its
    /// ages; `None` keeps the single year's level.
    pub kreis_migration: Option<&'a Dataset>,
}

/// Years whose mean migration sets the level of the projection's migration: one year (2015
/// brought the refugees' arrival) is no steady level for twenty-five years.
pub const MIGRATION_YEARS: u16 = 5;

/// Per Kreis and sex: the mean of `measure` over the `MIGRATION_YEARS` up to `year`, relative
/// to `year` itself (1 where a year is missing or nothing moved).
fn level_ratio(ds: &Dataset, measure: &str, year: u16) -> BTreeMap<String, [f64; 2]> {
    let years: Vec<BTreeMap<String, [f64; 2]>> = (year + 1 - MIGRATION_YEARS..=year)
        .map(|y| by_sex(ds, measure, y))
        .collect();
    let Some(now) = years.last() else {
        return BTreeMap::new();
    };
    now.iter()
        .map(|(kreis, current)| {
            let ratio = |sex: usize| -> f64 {
                let all: Vec<f64> = years
                    .iter()
                    .filter_map(|y| y.get(kreis).map(|v| v[sex]))
                    .collect();
                if all.len() < usize::from(MIGRATION_YEARS) || current[sex] <= 0.0 {
                    return 1.0;
                }
                all.iter().sum::<f64>() / all.len() as f64 / current[sex]
            };
            (kreis.clone(), [ratio(MALE), ratio(FEMALE)])
        })
        .collect()
}

/// One municipality ready to project.
#[derive(Debug, Clone, PartialEq)]
pub struct Municipality {
    /// Its key (8-digit AGS).
    pub key: String,
    /// Its population at the end of the base year.
    pub base: Population,
    /// What its projection assumes.
    pub assumptions: Assumptions,
}

/// The municipalities whose key starts with one of `lands`, with base population and
/// assumptions from the tables' values of `year` (see the module documentation). One share of
/// boys among births is used for all: that of every Kreis of the Länder together, as a single
/// Kreis's varies by chance.
pub fn municipalities(sources: &Sources, year: u16, lands: &[&str]) -> Vec<Municipality> {
    let in_lands = |k: &str| lands.iter().any(|l| k.starts_with(l));
    let kreis_ages = by_age(sources.kreis_ages, "", year);
    let municipal_ages = by_age(sources.municipal_ages, "", year);
    let births = by_sex(sources.births, "", year);
    let deaths = by_sex(sources.deaths, "", year);
    let (arrival_level, departure_level) = match sources.kreis_migration {
        Some(ds) => (
            level_ratio(ds, "Zuzüge", year),
            level_ratio(ds, "Fortzüge", year),
        ),
        None => (BTreeMap::new(), BTreeMap::new()),
    };
    let arrivals = by_age(sources.migration, "Zuzüge", year);
    let departures = by_age(sources.migration, "Fortzüge", year);
    let (boys, all) = births
        .iter()
        .filter(|(k, _)| k.len() == 5 && in_lands(k))
        .fold((0.0, 0.0), |(b, a), (_, n)| {
            (b + n[MALE], a + n[MALE] + n[FEMALE])
        });
    let boys = if all > 0.0 { boys / all } else { 0.514 };
    let none: AgeGroups = Vec::new();
    // A kreisfreie Stadt is listed only under its 5-digit key (no municipality rows below it);
    // as a municipality its key ends in 000, as the register writes it.
    let with_rows: std::collections::BTreeSet<&str> = municipal_ages
        .keys()
        .filter(|k| k.len() == 8)
        .filter_map(|k| k.get(..5))
        .collect();
    // (municipality key, key the tables list it under, its age groups)
    let mut municipal: Vec<(String, &str, &[AgeGroups; 2])> = Vec::new();
    for (key, groups) in municipal_ages.iter().filter(|(k, _)| in_lands(k)) {
        match key.len() {
            8 => municipal.push((key.clone(), key.as_str(), groups)),
            5 if !with_rows.contains(key.as_str()) => {
                municipal.push((format!("{key}000"), key.as_str(), groups));
            }
            _ => {}
        }
    }
    municipal.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::new();
    for &(ref key, listed, groups) in &municipal {
        let key = key.as_str();
        let kreis = key.get(..5).unwrap_or_default();
        let (Some(kreis_groups), Some(b), Some(d)) =
            (kreis_ages.get(kreis), births.get(kreis), deaths.get(kreis))
        else {
            continue;
        };
        let kreis_pop = [
            split_groups(&kreis_groups[MALE], &[]),
            split_groups(&kreis_groups[FEMALE], &[]),
        ];
        let net = |sex: usize| -> Vec<f64> {
            let level = |l: &BTreeMap<String, [f64; 2]>| l.get(kreis).map_or(1.0, |r| r[sex]);
            let (la, ld) = (level(&arrival_level), level(&departure_level));
            let a = split_groups(arrivals.get(listed).map_or(&none, |g| &g[sex]), &[]);
            let d = split_groups(departures.get(listed).map_or(&none, |g| &g[sex]), &[]);
            a.iter().zip(&d).map(|(a, d)| a * la - d * ld).collect()
        };
        let survival = [
            gompertz_survival(d[MALE], &kreis_pop[MALE], GOMPERTZ_SLOPE),
            gompertz_survival(d[FEMALE], &kreis_pop[FEMALE], GOMPERTZ_SLOPE),
        ];
        out.push(Municipality {
            key: key.to_owned(),
            base: Population {
                by_sex: [
                    split_groups(&groups[MALE], &kreis_pop[MALE]),
                    split_groups(&groups[FEMALE], &kreis_pop[FEMALE]),
                ],
            },
            assumptions: Assumptions {
                infant_survival: [survival[MALE][0], survival[FEMALE][0]],
                survival,
                fertility: fertility_schedule(
                    b[MALE] + b[FEMALE],
                    &kreis_pop[FEMALE],
                    MOTHERS_MEAN_AGE,
                    MOTHERS_AGE_SPREAD,
                ),
                boys,
                migration: [net(MALE), net(FEMALE)],
            },
        });
    }
    out
}

/// Size classes of municipalities by inhabitants in the base year, as the back-test reports
/// its errors (lower bound, German label).
pub const SIZE_CLASSES: [(f64, &str); 5] = [
    (0.0, "unter 2.000"),
    (2_000.0, "2.000 bis unter 5.000"),
    (5_000.0, "5.000 bis unter 10.000"),
    (10_000.0, "10.000 bis unter 50.000"),
    (50_000.0, "50.000 und mehr"),
];

/// The size class (index into [`SIZE_CLASSES`]) of a municipality of `people` inhabitants.
pub fn size_class(people: f64) -> usize {
    SIZE_CLASSES
        .iter()
        .rposition(|(lower, _)| people >= *lower)
        .unwrap_or(0)
}

/// One projected value beside the value published later.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Region key.
    pub key: String,
    /// Inhabitants in the base year.
    pub base: f64,
    /// Projected.
    pub projected: f64,
    /// Published later.
    pub published: f64,
}

/// Errors of the comparisons grouped by `group` (e.g. Kreis or size class), in key order.
pub fn errors_by<K: Ord + Clone>(
    comparisons: &[Comparison],
    group: impl Fn(&Comparison) -> K,
) -> Vec<(K, Error)> {
    let mut pairs: BTreeMap<K, Vec<(f64, f64)>> = BTreeMap::new();
    for c in comparisons {
        pairs
            .entry(group(c))
            .or_default()
            .push((c.projected, c.published));
    }
    pairs
        .into_iter()
        .filter_map(|(k, p)| Error::of(&p).map(|e| (k, e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_age_labels_become_ranges() {
        assert_eq!(age_range("unter 3 Jahre"), Some((0, 3)));
        assert_eq!(age_range("unter 1 Jahr"), Some((0, 1)));
        assert_eq!(age_range("3 bis unter 6 Jahre"), Some((3, 6)));
        assert_eq!(age_range("75 Jahre und mehr"), Some((75, 200)));
        assert_eq!(age_range("Insgesamt"), None);
    }

    #[test]
    fn size_classes_and_grouped_errors() {
        assert_eq!(
            (size_class(1999.0), size_class(2000.0), size_class(80_000.0)),
            (0, 1, 4)
        );
        let c = |key: &str, projected: f64, published: f64| Comparison {
            key: key.into(),
            base: published,
            projected,
            published,
        };
        let errors = errors_by(
            &[
                c("14522010", 105.0, 100.0),
                c("14522020", 95.0, 100.0),
                c("15082005", 120.0, 100.0),
            ],
            |c| c.key[..5].to_owned(),
        );
        assert_eq!(errors.len(), 2);
        assert_eq!(
            (
                errors[0].1.mean_percentage,
                errors[0].1.mean_absolute_percentage
            ),
            (0.0, 5.0)
        );
        assert_eq!(errors[1].1.mean_percentage, 20.0);
    }
}
