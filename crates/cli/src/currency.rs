//! `sozialmonitor catalog currency`: per indicator and region level, the latest year held
//! against the latest year its publishers have released, and what to import to catch up.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Context, Result};
use sozialmonitor_core::currency::{Month, Release, currency};
use sozialmonitor_core::engine::Cell;
use sozialmonitor_core::{IndicatorEntry, IndicatorStatus, RegionKey, RegionLevel};
use sozialmonitor_store::{Database, Store, Territory};

use crate::indicator::ensure_cache;
use crate::table::Table;

/// What `catalog currency` shows.
pub struct Options {
    /// Only rows behind their publisher.
    pub behind: bool,
    /// Only this region and the regions below it (key prefix).
    pub region: Option<String>,
    /// "Today" as `YYYY-MM`; the clock when absent.
    pub today: Option<String>,
}

/// The month given as `YYYY-MM`, or that of the clock.
fn today(arg: Option<&str>) -> Result<Month> {
    match arg {
        Some(s) => s.parse().map_err(|e| anyhow::anyhow!("--today {e}")),
        None => {
            let now = time::OffsetDateTime::now_utc();
            Ok(Month {
                year: now.year(),
                month: u8::from(now.month()),
            })
        }
    }
}

/// The releases concerning an entry: those the catalogue attached, else (an INKAR codebook
/// entry, imported from its own file) the catalogue's releases of the measures it reads.
fn releases_of(e: &IndicatorEntry, all: &[Release]) -> Vec<Release> {
    if !e.releases.is_empty() {
        return e.releases.clone();
    }
    let measures = sozialmonitor_core::formula::measures(&e.formula);
    all.iter()
        .filter(|r| r.concerns(&measures, false))
        .cloned()
        .collect()
}

/// The latest year with a value (a number or a published symbol) per region level, over the
/// region and the regions below it (a key prefix; every region for Germany or none).
fn held(
    store: &Database,
    key: &str,
    region: Option<&RegionKey>,
) -> Result<BTreeMap<RegionLevel, u16>> {
    let prefix = region
        .filter(|r| r.level() != RegionLevel::Germany)
        .map(RegionKey::as_str);
    let mut out = BTreeMap::new();
    for row in store.results(key)?.unwrap_or_default() {
        if row.cell == Cell::Missing || prefix.is_some_and(|p| !row.region.starts_with(p)) {
            continue;
        }
        let Ok(k) = RegionKey::parse(&row.region) else {
            continue;
        };
        let y = out.entry(k.level()).or_insert(row.year);
        *y = (*y).max(row.year);
    }
    Ok(out)
}

/// Prints the currency table, the publications to import from and a summary line.
pub fn run(store: &mut Database, o: &Options) -> Result<ExitCode> {
    let now = today(o.today.as_deref())?;
    ensure_cache(store, Territory::Today)?;
    let entries: Vec<IndicatorEntry> = store
        .indicators()?
        .into_iter()
        .filter(|e| e.status == IndicatorStatus::Available)
        .collect();
    let mut all: Vec<Release> = Vec::new();
    for r in entries.iter().flat_map(|e| &e.releases) {
        if !all.iter().any(|a| a.key == r.key) {
            all.push(r.clone());
        }
    }
    let region = match o.region.as_deref() {
        Some(r) => Some(RegionKey::parse(r).with_context(|| format!("--region `{r}`"))?),
        None => None,
    };
    let mut t = Table::new(&[
        "Indikator",
        "Ebene",
        "vorhanden bis",
        "veröffentlicht bis",
        "Stand",
        "nachladen",
    ]);
    let (mut rows, mut behind, mut unknown) = (0, 0, 0);
    let mut needed: Vec<Release> = Vec::new();
    for e in &entries {
        let Ok(formula) = sozialmonitor_core::formula::parse(&e.formula) else {
            continue;
        };
        let releases: Vec<Release> = releases_of(e, &all)
            .into_iter()
            .filter(|r| r.serves(region.as_ref().map(RegionKey::as_str)))
            .collect();
        let held = held(store, &e.key, region.as_ref())?;
        for level in levels(e, &held, region.as_ref().map(RegionKey::level)) {
            let c = currency(
                &formula,
                &releases,
                e.inkar_code.is_some(),
                level,
                held.get(&level).copied(),
                now,
            );
            let late = c.behind().is_some_and(|n| n > 0);
            behind += usize::from(late);
            unknown += usize::from(c.released.is_none());
            rows += 1;
            if o.behind && !late {
                continue;
            }
            let (released, from) = match &c.released {
                Some((y, rs)) if late => {
                    for r in rs {
                        if !needed.iter().any(|n| n.key == r.key) {
                            needed.push((*r).clone());
                        }
                    }
                    let keys: Vec<&str> = rs.iter().map(|r| r.key.as_str()).collect();
                    (y.to_string(), keys.join(", "))
                }
                Some((y, _)) => (y.to_string(), String::new()),
                None => (String::new(), String::new()),
            };
            t.row(vec![
                e.key.clone(),
                level.label_de().to_string(),
                c.held.map_or_else(|| "–".into(), |y| y.to_string()),
                released,
                c.words(),
                from,
            ]);
        }
    }
    print!("{}", t.render());
    if !needed.is_empty() {
        println!("\nNachzuladen:");
        for r in &needed {
            println!("  {}: {} ({}). {}", r.key, r.title, r.publisher, r.import);
        }
    }
    println!(
        "\nStand {:02}/{}: {rows} Indikator-Ebenen, {} aktuell, {behind} zurück, {unknown} ohne Veröffentlichungstermin im Katalog.",
        now.month,
        now.year,
        rows - behind - unknown
    );
    Ok(ExitCode::SUCCESS)
}

/// The levels to report: those the catalogue names, else those with values; with a region,
/// the levels from its own down.
fn levels(
    e: &IndicatorEntry,
    held: &BTreeMap<RegionLevel, u16>,
    top: Option<RegionLevel>,
) -> Vec<RegionLevel> {
    let mut levels: Vec<RegionLevel> = e
        .spatial_levels
        .iter()
        .filter_map(|l| RegionLevel::from_code(l))
        .collect();
    if levels.is_empty() {
        levels = held
            .keys()
            .copied()
            .filter(|l| *l >= RegionLevel::Land && *l != RegionLevel::Regierungsbezirk)
            .collect();
    }
    levels.retain(|l| top.is_none_or(|t| *l >= t));
    levels.sort();
    levels
}
