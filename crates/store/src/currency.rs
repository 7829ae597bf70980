//! What the data-currency overview reads from a store: the newest cached year per indicator
//! and level, in one pass over the results (`catalog currency` and the workspace's page).

use std::collections::BTreeMap;

use sozialmonitor_core::RegionKey;
use sozialmonitor_core::currency::{Month, Overview, latest_years, overview};

use crate::{Result, Store};

/// The currency of every available catalogue entry over `within` (every region when `None`).
pub fn currency_overview(
    store: &impl Store,
    within: Option<&RegionKey>,
    today: Month,
) -> Result<Overview> {
    let entries = store.indicators()?;
    let keys: Vec<String> = entries
        .iter()
        .filter(|e| e.status == sozialmonitor_core::IndicatorStatus::Available)
        .map(|e| e.key.clone())
        .collect();
    let mut held = BTreeMap::new();
    store.each_results(&keys, &mut |key, rows| {
        let cells = rows.iter().map(|r| (r.region.as_str(), r.year, &r.cell));
        held.insert(key.to_string(), latest_years(cells, within));
        Ok(())
    })?;
    Ok(overview(&entries, &held, within, today))
}
