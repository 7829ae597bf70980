//! Bulk reads and writes for the indicator engine: a [`Frame`] of whole series from SQLite, the
//! region lifetimes and territorial changes it needs, and the cache of computed values.

use rusqlite::{Connection, OptionalExtension, params};
use rustc_hash::FxHashMap;
use sozialmonitor_core::confidential::RULES_VERSION;
use sozialmonitor_core::engine::{Cell, Outcome};
use sozialmonitor_core::frame::{Frame, Grid, GridRegion, Series};
use sozialmonitor_core::{MeasureKind, RegionKey, RegionLevel, Symbol};

use crate::{ResultRow, Results, StoreError, Territory};

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
pub(crate) fn grid(
    conn: &Connection,
    years: (u16, u16),
) -> Result<(Grid, Vec<Merger>), StoreError> {
    let first_snapshot: Option<String> =
        conn.query_row("SELECT min(snapshot) FROM region_snapshot", [], |r| {
            r.get(0)
        })?;
    let first_snapshot_year = first_snapshot.as_deref().and_then(year_of);
    let mut st = conn.prepare(
        "SELECT r.key, r.parent, r.in_register, r.last_data,
                (SELECT min(c.last_seen) FROM region_change c WHERE c.from_key = r.key),
                (SELECT min(c.first_gone) FROM region_change c WHERE c.from_key = r.key)
         FROM region r
         WHERE r.level IN ('germany', 'land', 'regbez', 'kreis', 'gemeinde')
         ORDER BY r.key",
    )?;
    struct Row {
        key: String,
        parent: Option<String>,
        in_register: bool,
        last_data: Option<i64>,
        gone_after: Option<String>,
        first_gone: Option<String>,
    }
    let rows: Vec<Row> = st
        .query_map([], |r| {
            Ok(Row {
                key: r.get(0)?,
                parent: r.get(1)?,
                in_register: r.get(2)?,
                last_data: r.get(3)?,
                gone_after: r.get(4)?,
                first_gone: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
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
    let mut st = conn.prepare(
        "SELECT c.from_key, c.to_key, c.share, r.valid_from > c.last_seen
         FROM region_change c JOIN region r ON r.key = c.to_key ORDER BY c.from_key, c.to_key",
    )?;
    let changes: Vec<(String, String, f64, bool)> = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get::<_, Option<bool>>(3)?.unwrap_or(false),
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
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
pub(crate) fn frame(
    conn: &Connection,
    measures: &[String],
    years: (u16, u16),
    territory: Territory,
) -> Result<Frame, StoreError> {
    let (grid, mergers) = grid(conn, years)?;
    let mut frame = Frame::new(grid);
    let mut ids = Vec::new();
    {
        let mut st = conn.prepare_cached("SELECT id, unit, kind FROM measure WHERE code = ?1")?;
        for m in measures {
            if let Some((id, unit, kind)) = st
                .query_row([m], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                })
                .optional()?
            {
                frame.set_kind(m, stored_kind(kind.as_deref(), &unit));
                ids.push((id, m.clone()));
            }
        }
    }
    let region_index: FxHashMap<i64, usize> = {
        let mut st = conn.prepare("SELECT id, key FROM region")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut map = FxHashMap::default();
        for row in rows {
            let (id, key) = row?;
            if let Some(i) = RegionKey::parse(&key)
                .ok()
                .and_then(|k| frame.grid().region(&k))
            {
                map.insert(id, i);
            }
        }
        map
    };
    let breakdowns: FxHashMap<i64, String> = {
        let mut st = conn.prepare("SELECT id, key FROM breakdown")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut st = conn.prepare_cached(
        "SELECT region_id, period, breakdown_id, num, sym FROM observation WHERE measure_id = ?1
         ORDER BY CASE WHEN period < 10000 THEN period * 10000 + 1231 ELSE period END",
    )?;
    let (regions, years_n) = (frame.grid().len(), frame.grid().years());
    for (id, measure) in &ids {
        // One series per breakdown, built apart and inserted once.
        let mut series: FxHashMap<i64, Series> = FxHashMap::default();
        let mut rows = st.query([id])?;
        while let Some(r) = rows.next()? {
            let Some(&region) = region_index.get(&r.get::<_, i64>(0)?) else {
                continue;
            };
            let period: i64 = r.get(1)?;
            let Some(col) = frame.grid().col(year_of_code(period)) else {
                continue;
            };
            let bid: i64 = r.get(2)?;
            let cell = stored_cell(r.get(3)?, r.get(4)?);
            // Rows come in chronological order (a year as 31 December): the latest date wins.
            series
                .entry(bid)
                .or_insert_with(|| Series::missing(regions, years_n))
                .set(frame.grid().at(region, col), Outcome::new(cell));
        }
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

/// The current data version: the newest import batch.
pub(crate) fn data_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(
        conn.query_row("SELECT coalesce(max(id), 0) FROM import_batch", [], |r| {
            r.get(0)
        })?,
    )
}

/// Loads a frame and the data version it reflects in one read transaction, so that an import
/// committed meanwhile can neither be half-read nor make the result look newer than it is.
pub(crate) fn frame_at(
    conn: &Connection,
    measures: &[String],
    years: (u16, u16),
    territory: Territory,
) -> Result<(Frame, i64), StoreError> {
    let tx = conn.unchecked_transaction()?;
    let version = data_version(&tx)?;
    let frame = frame(&tx, measures, years, territory)?;
    tx.commit()?;
    Ok((frame, version))
}

/// Replaces the cache with `results`, in one transaction, labelled with the data version the
/// inputs were read at (`results.data_version`) and the current confidentiality rules.
pub(crate) fn save_results(conn: &mut Connection, results: &Results) -> Result<usize, StoreError> {
    let version = results.data_version;
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM indicator_value", [])?;
    tx.execute("DELETE FROM indicator_cache", [])?;
    let ids: FxHashMap<String, i64> = {
        let mut st = tx.prepare("SELECT key, id FROM region")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut n = 0;
    {
        let mut st = tx.prepare(
            "INSERT INTO indicator_value (indicator, region_id, year, num, sym, flags)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for r in &results.rows {
            let Some(id) = ids.get(&r.region) else {
                continue;
            };
            let (num, sym) = match r.cell {
                Cell::Num(x) => (Some(x), None),
                Cell::Sym(s) => (None, Some(i64::from(s.code()))),
                Cell::Missing => continue,
            };
            let flags = i64::from(r.incomplete)
                | (i64::from(r.suppressed) << 1)
                | (i64::from(r.equivalent) << 2);
            st.execute(params![r.indicator, id, r.year, num, sym, flags])?;
            n += 1;
        }
    }
    tx.execute(
        "INSERT INTO indicator_cache (id, data_version, territory, first_year, last_year, rules)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)",
        params![
            version,
            results.territory.code(),
            results.years.0,
            results.years.1,
            RULES_VERSION
        ],
    )?;
    tx.commit()?;
    Ok(n)
}

/// The cached values of one indicator.
pub(crate) fn results(
    conn: &Connection,
    indicator: &str,
) -> Result<Option<Vec<ResultRow>>, StoreError> {
    let cached: bool = conn.query_row("SELECT EXISTS(SELECT 1 FROM indicator_cache)", [], |r| {
        r.get(0)
    })?;
    if !cached {
        return Ok(None);
    }
    let mut st = conn.prepare_cached(
        "SELECT r.key, v.year, v.num, v.sym, v.flags FROM indicator_value v
         JOIN region r ON r.id = v.region_id WHERE v.indicator = ?1 ORDER BY r.key, v.year",
    )?;
    let rows = st.query_map([indicator], |r| {
        let flags: i64 = r.get(4)?;
        let cell = stored_cell(r.get(2)?, r.get(3)?);
        Ok(ResultRow {
            indicator: indicator.to_string(),
            region: r.get(0)?,
            year: r.get(1)?,
            cell,
            incomplete: flags & 1 != 0,
            suppressed: flags & 2 != 0,
            equivalent: flags & 4 != 0,
        })
    })?;
    Ok(Some(rows.collect::<rusqlite::Result<_>>()?))
}

/// `(version computed from, current version, territory)` of the cache, if any. A cache computed
/// with other confidentiality rules than the current ones reports version -1: it is stale
/// whatever the data.
pub(crate) fn cache_state(conn: &Connection) -> Result<Option<(i64, i64, Territory)>, StoreError> {
    let row: Option<(i64, String, u32)> = conn
        .query_row(
            "SELECT data_version, territory, rules FROM indicator_cache WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let now = data_version(conn)?;
    Ok(row.map(|(v, t, rules)| {
        let v = if rules == RULES_VERSION { v } else { -1 };
        (v, now, Territory::parse(&t).unwrap_or_default())
    }))
}

/// Whether this database is a publication written by [`publish`].
pub(crate) fn is_publication(conn: &Connection) -> Result<bool, StoreError> {
    Ok(conn.query_row("SELECT EXISTS(SELECT 1 FROM publication)", [], |r| r.get(0))?)
}

/// What [`publish`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// Indicator values (withheld ones as `.` without their number).
    pub values: usize,
    /// Of which withheld.
    pub withheld: usize,
    /// Regions.
    pub regions: usize,
}

/// Writes a public-only database to `to` (a new file): regions, territorial changes,
/// boundaries, the catalogue, the import history without its diagnostics (which quote file
/// lines) and the public side of the results cache. A withheld value is written as `.` without
/// its number; observations, their history and measures are not copied, so the host that serves
/// it holds no confidential value. The cache must be fresh (the caller checks).
pub(crate) fn publish(
    conn: &mut Connection,
    to: &std::path::Path,
) -> Result<Published, StoreError> {
    let secret = i64::from(Symbol::Secret.code());
    let to_text = to.to_string_lossy().to_string();
    conn.execute("ATTACH DATABASE ?1 AS pub", [&to_text])?;
    let result = (|| -> Result<Published, StoreError> {
        let tx = conn.transaction()?;
        for table in ["region", "region_change", "boundary", "indicator"] {
            tx.execute(
                &format!("INSERT INTO pub.{table} SELECT * FROM main.{table}"),
                [],
            )?;
        }
        tx.execute(
            "INSERT INTO pub.import_batch SELECT * FROM main.import_batch",
            [],
        )?;
        tx.execute("UPDATE pub.import_batch SET diagnostics = '[]'", [])?;
        tx.execute(
            "INSERT INTO pub.indicator_cache SELECT * FROM main.indicator_cache",
            [],
        )?;
        let values = tx.execute(
            "INSERT INTO pub.indicator_value (indicator, region_id, year, num, sym, flags)
             SELECT indicator, region_id, year,
                    CASE WHEN flags & 2 = 0 THEN num END,
                    CASE WHEN flags & 2 = 0 THEN sym ELSE ?1 END,
                    flags
             FROM main.indicator_value",
            [secret],
        )?;
        let withheld: i64 = tx.query_row(
            "SELECT count(*) FROM pub.indicator_value WHERE flags & 2 <> 0",
            [],
            |r| r.get(0),
        )?;
        let regions: i64 = tx.query_row("SELECT count(*) FROM pub.region", [], |r| r.get(0))?;
        tx.execute(
            "INSERT INTO pub.publication (id, data_version, rules, source_sha256)
             SELECT 1, data_version, rules, '' FROM main.indicator_cache WHERE id = 1",
            [],
        )?;
        tx.commit()?;
        Ok(Published {
            values,
            withheld: withheld as usize,
            regions: regions as usize,
        })
    })();
    conn.execute("DETACH DATABASE pub", [])?;
    result
}
