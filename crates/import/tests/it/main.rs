//! Integration tests of the importers on the real files shipped in `data/demo`: a golden summary
//! per file (refresh with `UPDATE_GOLDEN=1 cargo test -p sozialmonitor-import`), spot values
//! including statistical symbols, the bad-input corpus in `tests/bad`, fuzzing of every parser
//! (`fuzz`) and the panics it and the reviews found (`regressions`).

mod bad;
mod fuzz;
mod golden;
mod regressions;
mod spot;

use std::path::{Path, PathBuf};

use sozialmonitor_core::Dataset;
use sozialmonitor_import::Source;

/// The demo data folder of the repository.
pub fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo")
}

/// Reads one demo file (path relative to `data/demo`).
pub fn read_demo(rel: &str) -> Dataset {
    let path = demo().join(rel);
    let src = Source::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    sozialmonitor_import::read(&src, None)
}

/// The observation for a measure, region, period and breakdown key, rendered as published.
pub fn cell(
    ds: &Dataset,
    measure: &str,
    region: &str,
    period: &str,
    breakdown: &str,
) -> Option<String> {
    let p = sozialmonitor_core::Period::parse(period).ok()?;
    ds.observations
        .iter()
        .find(|o| {
            ds.measures[o.measure as usize].code == measure
                && ds.region_keys[o.region as usize].as_str() == region
                && o.period == p
                && ds.breakdowns[o.breakdown as usize].key() == breakdown
        })
        .map(|o| o.value.render())
}
