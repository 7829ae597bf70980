//! `sozialmonitor catalog currency`: per indicator and region level, the latest year held
//! against the latest year its publishers have released, and what to import to catch up.

use std::process::ExitCode;

use anyhow::{Context, Result};
use sozialmonitor_core::RegionKey;
use sozialmonitor_core::currency::Month;
use sozialmonitor_store::currency::currency_overview;
use sozialmonitor_store::{Database, Territory};

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
        None => Ok(Month::from_unix(
            time::OffsetDateTime::now_utc().unix_timestamp(),
        )),
    }
}

/// Prints the currency table, the publications to import from and a summary line.
pub fn run(store: &mut Database, o: &Options) -> Result<ExitCode> {
    let now = today(o.today.as_deref())?;
    ensure_cache(store, Territory::Today)?;
    let region = match o.region.as_deref() {
        Some(r) => Some(RegionKey::parse(r).with_context(|| format!("--region `{r}`"))?),
        None => None,
    };
    let view = currency_overview(store, region.as_ref(), now)?;
    let mut t = Table::new(&[
        "Indikator",
        "Ebene",
        "vorhanden bis",
        "veröffentlicht bis",
        "Stand",
        "nachladen",
    ]);
    for l in &view.lines {
        if o.behind && !l.is_behind() {
            continue;
        }
        t.row(vec![
            l.indicator.clone(),
            l.level.label_de().to_string(),
            l.held.map_or_else(|| "–".into(), |y| y.to_string()),
            l.released.map(|y| y.to_string()).unwrap_or_default(),
            l.words.clone(),
            l.from.join(", "),
        ]);
    }
    print!("{}", t.render());
    if !view.needed.is_empty() {
        println!("\nNachzuladen:");
        for r in &view.needed {
            println!("  {}: {} ({}). {}", r.key, r.title, r.publisher, r.import);
        }
    }
    println!(
        "\nStand {:02}/{}: {} Indikator-Ebenen, {} aktuell, {} zurück, {} ohne Veröffentlichungstermin im Katalog.",
        now.month,
        now.year,
        view.lines.len(),
        view.current(),
        view.behind(),
        view.unknown()
    );
    Ok(ExitCode::SUCCESS)
}
