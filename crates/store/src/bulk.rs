//! Bulk reads for the indicator engine, written once for every backend: a [`Frame`] of whole
//! series, the region lifetimes and territorial changes it needs, and the parts a region's sum
//! runs over. A backend supplies the rows ([`Reader`]); the rules live here.

use rustc_hash::FxHashMap;
use sozialmonitor_core::confidential::RULES_VERSION;
use sozialmonitor_core::engine::{Cell, Outcome};
use sozialmonitor_core::frame::{Frame, Grid, GridRegion, Series};
use sozialmonitor_core::{MeasureKind, Period, RegionKey, RegionLevel, Symbol};

use crate::{StoreError, Territory};

/// A region as the grid of sums reads it.
pub(crate) struct GridRow {
    pub key: String,
    pub parent: Option<String>,
    pub in_register: bool,
    pub last_data: Option<i64>,
    /// The last snapshot before the region's first change away (`min(last_seen)`).
    pub gone_after: Option<String>,
    /// The first snapshot without it.
    pub first_gone: Option<String>,
}

/// A territorial change as the grid reads it: `(from, to, share, successor newly formed)`.
pub(crate) type GridChange = (String, String, f64, bool);

/// A child region as [`parts`] reads it: `(key, in_register, gone_after, new_after, last_data)`.
pub(crate) type PartRow = (String, bool, Option<String>, Option<String>, Option<i64>);

/// The rows a backend supplies for bulk reads. Every method is one query; the caller decides
/// whether they run in one transaction.
pub(crate) trait Reader {
    /// The first register snapshot date.
    fn first_snapshot(&self) -> Result<Option<String>, StoreError>;
    /// The regions of the hierarchy of sums, by key.
    fn grid_rows(&self) -> Result<Vec<GridRow>, StoreError>;
    /// The territorial changes, by `from`, `to`.
    fn grid_changes(&self) -> Result<Vec<GridChange>, StoreError>;
    /// `(id, unit, kind)` of a measure.
    fn measure_meta(&self, code: &str)
    -> Result<Option<(i64, String, Option<String>)>, StoreError>;
    /// `(id, key)` of every region.
    fn region_ids(&self) -> Result<Vec<(i64, String)>, StoreError>;
    /// `(id, key)` of every breakdown.
    fn breakdowns(&self) -> Result<Vec<(i64, String)>, StoreError>;
    /// Every value of a measure as `(region id, period code, breakdown id, num, sym)`, in
    /// chronological order (a year as its 31 December).
    fn observations(
        &self,
        measure_id: i64,
        f: &mut dyn FnMut(i64, i64, i64, Option<f64>, Option<i64>),
    ) -> Result<(), StoreError>;
    /// The newest import batch.
    fn data_version(&self) -> Result<i64, StoreError>;
    /// Whether a region has children of a level.
    fn has_children_of_level(&self, parent: &str, level: &str) -> Result<bool, StoreError>;
    /// The children of a level, by key.
    fn part_rows(&self, parent: &str, level: &str) -> Result<Vec<PartRow>, StoreError>;
}

/// The kind of a stored measure: as declared at import (`kind` column), else as the offices' unit
/// vocabulary declares it, else a count: an undeclared measure is summed and protected, never
/// published raw (the importer warned about it).
pub fn stored_kind(kind: Option<&str>, unit: &str) -> MeasureKind {
    kind.and_then(MeasureKind::parse)
        .or_else(|| MeasureKind::of_unit(unit))
        .unwrap_or(MeasureKind::Count)
}

/// `(predecessor, successor, last year of the predecessor)` as grid indices.
type Merger = (usize, usize, u16);

/// A stored value (`num`, `sym` columns) as the engine sees it: a symbol wins over a number.
pub(crate) fn stored_cell(num: Option<f64>, sym: Option<i64>) -> Cell {
    match (
        num,
        sym.and_then(|s| u8::try_from(s).ok())
            .and_then(Symbol::from_code),
    ) {
        (_, Some(s)) => Cell::Sym(s),
        (Some(n), None) => Cell::Num(n),
        (None, None) => Cell::Missing,
    }
}

fn year_of(iso: &str) -> Option<u16> {
    iso.get(..4)?.parse().ok()
}

fn year_of_code(code: i64) -> u16 {
    // yyyymmdd or yyyy
    if code >= 10_000 {
        (code / 10_000) as u16
    } else {
        code as u16
    }
}

/// The regions of the hierarchy that sums run through (Germany, Länder, Regierungsbezirke,
/// Kreise, Gemeinden), each with the years it counts as a part of its parent, and the full
/// mergers `(predecessor, successor, last year of the predecessor)`.
///
/// A dissolved municipality counts up to the year of its last published number when that lies
/// between the last register listing it and the first without it (the statistical offices publish
/// `-` after a merger), otherwise up to the year of the last register listing it; its successor,
/// if newly formed, counts from the year after. A region known only from statistics (dissolved
/// before the first register) counts up to its last published number.
pub(crate) fn grid<R: Reader + ?Sized>(
    conn: &R,
    years: (u16, u16),
) -> Result<(Grid, Vec<Merger>), StoreError> {
    let first_snapshot = conn.first_snapshot()?;
    let first_snapshot_year = first_snapshot.as_deref().and_then(year_of);
    let rows = conn.grid_rows()?;
    let mut last_year: FxHashMap<String, u16> = FxHashMap::default();
    let mut regions = Vec::with_capacity(rows.len());
    let mut registered = Vec::with_capacity(rows.len());
    for row in &rows {
        let Ok(key) = RegionKey::parse(&row.key) else {
            continue;
        };
        let data_year = row.last_data.map(year_of_code);
        let mut alive = (0u16, u16::MAX);
        if let Some(g) = row.gone_after.as_deref().and_then(year_of) {
            let limit = row
                .first_gone
                .as_deref()
                .and_then(year_of)
                .unwrap_or(u16::MAX);
            alive.1 = match data_year {
                Some(d) if d > g && d <= limit => d,
                _ => g,
            };
            last_year.insert(row.key.clone(), alive.1);
        }
        // A region known only from statistics is history (a Kreis before a reform) and counts
        // as a part only while its data lasts.
        if !row.in_register {
            let bound = first_snapshot_year
                .unwrap_or(u16::MAX)
                .min(data_year.unwrap_or(0));
            alive.1 = alive.1.min(bound);
        }
        registered.push(row.in_register);
        regions.push(GridRegion {
            key,
            parent: row.parent.as_deref().and_then(|p| RegionKey::parse(p).ok()),
            alive,
        });
    }
    extend_unregistered_parents(&mut regions, &registered);
    // Newly formed successors count from the year after their predecessors.
    let changes = conn.grid_changes()?;
    let index: FxHashMap<String, usize> = regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.key.as_str().to_string(), i))
        .collect();
    let mut mergers = Vec::new();
    for (from, to, share, is_new) in &changes {
        let (Some(&fi), Some(&ti), Some(&last)) =
            (index.get(from), index.get(to), last_year.get(from))
        else {
            continue;
        };
        if *is_new {
            let a = &mut regions[ti].alive;
            a.0 = a.0.max(last.saturating_add(1));
        }
        // Only a whole municipality going to one successor can be converted exactly; a split
        // would need a key to divide its numbers by.
        if *share >= 0.99 {
            mergers.push((fi, ti, last));
        }
    }
    Ok((Grid::new(regions, years.0, years.1), mergers))
}

/// A Land or Regierungsbezirk missing from the registers lives as long as its parts do:
/// Saxony-Anhalt's statistical region `150` exists only as the parent that today's Kreis keys
/// imply and lives on with them, while the dissolved regions `151`–`153` end with their old
/// Kreise. (Capping `150` at its own data cut the Land's sums off after 2015; never capping
/// `151`–`153` would make them missing parts of every later Land sum.)
fn extend_unregistered_parents(regions: &mut [GridRegion], registered: &[bool]) {
    let index: FxHashMap<String, usize> = regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.key.as_str().to_string(), i))
        .collect();
    // Bottom-up, so that a Regierungsbezirk is extended before the Land above it.
    for level in [
        RegionLevel::Gemeinde,
        RegionLevel::Kreis,
        RegionLevel::Regierungsbezirk,
        RegionLevel::Land,
    ] {
        for i in 0..regions.len() {
            if regions[i].key.level() != level {
                continue;
            }
            let parent = regions[i].parent.as_ref().map(|p| p.as_str());
            let Some(&p) = parent.and_then(|p| index.get(p)) else {
                continue;
            };
            let structural = matches!(
                regions[p].key.level(),
                RegionLevel::Germany | RegionLevel::Land | RegionLevel::Regierungsbezirk
            );
            if structural && !registered[p] {
                regions[p].alive.1 = regions[p].alive.1.max(regions[i].alive.1);
            }
        }
    }
}

/// Loads the series of `measures` (all breakdowns) into a frame.
pub(crate) fn frame<R: Reader + ?Sized>(
    conn: &R,
    measures: &[String],
    years: (u16, u16),
    territory: Territory,
) -> Result<Frame, StoreError> {
    let (grid, mergers) = grid(conn, years)?;
    let mut frame = Frame::new(grid);
    let mut ids = Vec::new();
    for m in measures {
        if let Some((id, unit, kind)) = conn.measure_meta(m)? {
            frame.set_kind(m, stored_kind(kind.as_deref(), &unit));
            ids.push((id, m.clone()));
        }
    }
    let mut region_index: FxHashMap<i64, usize> = FxHashMap::default();
    for (id, key) in conn.region_ids()? {
        if let Some(i) = RegionKey::parse(&key)
            .ok()
            .and_then(|k| frame.grid().region(&k))
        {
            region_index.insert(id, i);
        }
    }
    let breakdowns: FxHashMap<i64, String> = conn.breakdowns()?.into_iter().collect();
    let (regions, years_n) = (frame.grid().len(), frame.grid().years());
    for (id, measure) in &ids {
        // One series per breakdown, built apart and inserted once.
        let mut series: FxHashMap<i64, Series> = FxHashMap::default();
        let grid = frame.grid();
        conn.observations(*id, &mut |region, period, bid, num, sym| {
            let Some(&region) = region_index.get(&region) else {
                return;
            };
            let Some(col) = grid.col(year_of_code(period)) else {
                return;
            };
            // Rows come in chronological order (a year as 31 December): the latest date wins.
            series
                .entry(bid)
                .or_insert_with(|| Series::missing(regions, years_n))
                .set(grid.at(region, col), Outcome::new(stored_cell(num, sym)));
        })?;
        for (bid, s) in series {
            if let Some(bkey) = breakdowns.get(&bid) {
                frame.insert_series(measure, bkey, s);
            }
        }
    }
    match territory {
        Territory::Today => frame.to_today(&mergers),
        // Recorded, so that the caller can derive today's territory from the same read.
        Territory::AsPublished => frame.set_changes(mergers),
    }
    Ok(frame)
}

/// The parts of a region at a period. A municipality dissolved in a merger counts up to the last
/// register that listed it, its successor from then on, so a sum neither misses nor double-counts
/// merged municipalities; municipalities known only from statistics (dissolved before the first
/// register) count only before that register. A read error gives no parts (an incomplete sum,
/// never a wrong one).
pub(crate) fn parts<R: Reader + ?Sized>(
    conn: &R,
    region: &RegionKey,
    period: Period,
) -> Vec<RegionKey> {
    let level = match region.level() {
        RegionLevel::Germany => "land",
        RegionLevel::Land => {
            let has_rb = conn
                .has_children_of_level(region.as_str(), "regbez")
                .unwrap_or(false);
            if has_rb { "regbez" } else { "kreis" }
        }
        RegionLevel::Regierungsbezirk => "kreis",
        RegionLevel::Kreis => "gemeinde",
        _ => return Vec::new(),
    };
    let end = period.end().iso();
    let first_snapshot = conn.first_snapshot().unwrap_or(None);
    let end_code = period.end().code() as i64;
    let Ok(rows) = conn.part_rows(region.as_str(), level) else {
        return Vec::new();
    };
    // A Land or Regierungsbezirk missing from the registers lives as long as its parts (the
    // rule of `grid`): Saxony-Anhalt's `150` with today's Kreise.
    let structural = matches!(level, "land" | "regbez");
    rows.into_iter()
        .filter(|(k, in_register, gone_after, new_after, last_data)| {
            let existed = gone_after
                .as_ref()
                .is_none_or(|g| end.as_str() <= g.as_str());
            let formed = new_after.as_ref().is_none_or(|n| end.as_str() > n.as_str());
            // For a region known only from statistics, its last published number (not `-`)
            // bounds its life.
            let known = *in_register
                || (first_snapshot
                    .as_ref()
                    .is_none_or(|f| end.as_str() <= f.as_str())
                    && last_data.is_some_and(|d| end_code <= d))
                || (structural
                    && RegionKey::parse(k).is_ok_and(|key| !parts(conn, &key, period).is_empty()));
            existed && formed && known
        })
        .filter_map(|(k, ..)| RegionKey::parse(&k).ok())
        .collect()
}

/// Loads a frame and the data version it reflects; the caller runs both in one read transaction,
/// so that an import committed meanwhile can neither be half-read nor make the result look newer
/// than it is.
pub(crate) fn frame_at<R: Reader + ?Sized>(
    conn: &R,
    measures: &[String],
    years: (u16, u16),
    territory: Territory,
) -> Result<(Frame, i64), StoreError> {
    let version = conn.data_version()?;
    let frame = frame(conn, measures, years, territory)?;
    Ok((frame, version))
}

/// The cache state from the stored label `(data version, territory, rules)` and the current data
/// version. A cache computed with other confidentiality rules than the current ones reports
/// version -1: it is stale whatever the data.
pub(crate) fn cache_state(
    label: Option<(i64, String, i64)>,
    now: i64,
) -> Option<(i64, i64, Territory)> {
    label.map(|(v, t, rules)| {
        let v = if rules == i64::from(RULES_VERSION) {
            v
        } else {
            -1
        };
        (v, now, Territory::parse(&t).unwrap_or_default())
    })
}

/// What a publication (`Store::publish`) wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// Indicator values (withheld ones as `.` without their number).
    pub values: usize,
    /// Of which withheld.
    pub withheld: usize,
    /// Regions.
    pub regions: usize,
}
