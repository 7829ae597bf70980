//! The coverage of a district by its directory of social services, as statistics: per
//! municipality the counselling offers, those for older people, and the straight-line distance
//! from the municipality's centre to the nearest counselling offer, imported as a batch like
//! any file (`wegweiser` format, with provenance and revisions) so that the catalogue's
//! coverage indicators compute them against the population like every other indicator: on
//! maps, in profiles and reports, withheld by the same rules.
//!
//! The offers are the directory's state when the coverage is computed; they are dated at the
//! newest population they are set against (the total, and by age for older people), so that a
//! rate's numerator and denominator share their period. Example entries are never counted (an
//! example is not a service), nor entries not published (the indicators are public).

use std::collections::HashMap;

use anyhow::Result;
use sozialmonitor_core::services::{Offer, Position, centroid, coverage, coverage_dataset};
use sozialmonitor_core::{Dataset, Period};
use sozialmonitor_store::{
    Actor, Database, ImportOptions, ImportOutcome, ImportSource, ObservationQuery, Services, Store,
};
use sozialmonitor_viz::map::parse_geometry;

/// The measures the catalogue's population indicator reads (`bevoelkerung`).
const POPULATION: [&str; 4] = [
    "12411-01-01-5:Bevölkerungsstand",
    "GV100_BEV",
    "BEVSTD",
    "12411-6A119:Bevölkerungsstand",
];

/// The measures the population by age comes from (`anteil_65_plus`).
const POPULATION_BY_AGE: [&str; 2] = [
    "12411-02-03-5:Bevölkerungsstand",
    "12411-6A119:Bevölkerungsstand",
];

/// Why there is no coverage to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nothing {
    /// The directory holds no published entry that is not an example.
    NoEntries,
    /// No population of the district's municipalities is imported: nothing to set offers
    /// against.
    NoPopulation,
}

impl Nothing {
    /// In English, for the command line.
    pub fn message(self) -> &'static str {
        match self {
            Nothing::NoEntries => {
                "the directory holds no published entry that is not an example (examples never count)"
            }
            Nothing::NoPopulation => "no population of the district's municipalities is imported",
        }
    }
}

/// The coverage of a district, ready to import.
#[derive(Debug)]
pub struct Computed {
    /// The dataset.
    pub dataset: Dataset,
    /// What it is called as an import.
    pub source: ImportSource,
    /// The municipalities covered.
    pub municipalities: usize,
    /// The directory's entries counted (examples left out).
    pub offers: usize,
    /// The period of the counts and distances.
    pub counts_at: Period,
    /// The period of the counts for older people.
    pub older_at: Period,
}

/// The newest year-end period at which one of `measures` has a number for one of
/// `municipalities` (`total`: the total only; else a breakdown only).
fn newest(
    db: &Database,
    measures: &[&str],
    municipalities: &[String],
    total: bool,
) -> Result<Option<Period>> {
    let rows = db.query(&ObservationQuery {
        measures: measures.iter().map(|m| m.to_string()).collect(),
        regions: municipalities.to_vec(),
        include_children: false,
        periods: Vec::new(),
        breakdown: total.then(String::new),
        history: false,
        limit: None,
    })?;
    Ok(rows
        .iter()
        .filter(|r| r.value.number.is_some() && (total || !r.breakdown.is_empty()))
        .map(|r| r.period)
        .filter(|p| matches!(p, Period::Year(_) | Period::Date(_, 12, 31)))
        .max())
}

/// The centre of each region that has a boundary.
fn centres(db: &Database) -> Result<HashMap<String, Position>> {
    Ok(db
        .boundaries()?
        .into_iter()
        .filter_map(|(key, _, geojson)| Some((key, centroid(&parse_geometry(&geojson)?)?)))
        .collect())
}

/// Computes the coverage of district `kreis`; `Ok(Err(why))` when there is nothing to compute.
pub fn compute(db: &Database, kreis: &str) -> Result<std::result::Result<Computed, Nothing>> {
    let offers: Vec<Offer> = db
        .services(kreis)?
        .iter()
        // What the public indicators count is what the public directory shows.
        .filter(|s| s.public && !s.example)
        .map(|s| Offer::of(&s.municipality, s.position, &s.topics, &s.target_groups))
        .collect();
    if offers.is_empty() {
        return Ok(Err(Nothing::NoEntries));
    }
    let keys: Vec<String> = crate::pages::municipalities_of(db, kreis)?
        .into_iter()
        .map(|r| r.key)
        .collect();
    let Some(counts_at) = newest(db, &POPULATION, &keys, true)? else {
        return Ok(Err(Nothing::NoPopulation));
    };
    let older_at = newest(db, &POPULATION_BY_AGE, &keys, false)?.unwrap_or(counts_at);
    let centres = centres(db)?;
    let municipalities: Vec<(String, Option<Position>)> = keys
        .iter()
        .map(|k| (k.clone(), centres.get(k).copied()))
        .collect();
    let rows = coverage(&offers, &municipalities);
    let mut dataset = coverage_dataset(&rows, counts_at, older_at);
    let file_name = format!("Wegweiser {kreis}: Versorgung");
    dataset.finish(&file_name);
    // The same directory against the same population is the same import.
    let fingerprint = format!("{kreis}|{counts_at:?}|{older_at:?}|{rows:?}");
    Ok(Ok(Computed {
        source: ImportSource {
            file_name,
            sha256: sozialmonitor_import::sha256_hex(fingerprint.as_bytes()),
        },
        municipalities: rows.len(),
        offers: offers.len(),
        counts_at,
        older_at,
        dataset,
    }))
}

/// Computes and imports the coverage of district `kreis`; the import's outcome, or why there
/// was nothing to compute. The caller recomputes the indicators after a new batch.
pub fn import(
    db: &mut Database,
    kreis: &str,
    by: Option<&Actor>,
) -> Result<std::result::Result<(Computed, ImportOutcome), Nothing>> {
    let c = match compute(db, kreis)? {
        Ok(c) => c,
        Err(why) => return Ok(Err(why)),
    };
    let outcome = db.import_by(&c.source, &c.dataset, ImportOptions::default(), by)?;
    Ok(Ok((c, outcome)))
}
