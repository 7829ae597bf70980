//! The SQLite implementation of [`Store`]: a single file, bundled SQLite, append-only migrations.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sozialmonitor_core::territory::{SnapshotEntry, infer_successors};
use sozialmonitor_core::{
    Dataset, Diagnostic, Period, RegionKey, RegionLevel, Severity, Symbol, Value,
};

use crate::*;

/// Migrations in order; the index + 1 is the schema version (`PRAGMA user_version`).
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_region_last_data.sql"),
    include_str!("../migrations/sqlite/0003_indicator_value.sql"),
    include_str!("../migrations/sqlite/0004_measure_kind.sql"),
    include_str!("../migrations/sqlite/0005_publication.sql"),
    include_str!("../migrations/sqlite/0006_batch_contents.sql"),
];

/// A store in one SQLite file.
pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens (and creates, if `create`) a database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        Self::setup(conn)
    }

    /// Whether this database is a publication (written by [`SqliteStore::publish`]): it is
    /// served as it is and never recomputed.
    pub fn is_publication(&self) -> Result<bool> {
        crate::bulk::is_publication(&self.conn)
    }

    /// Writes a public-only database to the new file `to` (see [`crate::bulk::publish`]).
    pub fn publish(&mut self, to: &Path) -> Result<crate::Published> {
        drop(Self::open(to)?);
        crate::bulk::publish(&mut self.conn, to)
    }

    /// Opens an existing file without creating it; `Ok(None)` when it does not exist.
    pub fn open_existing(path: &Path) -> Result<Option<Self>> {
        if !path.exists() {
            return Ok(None);
        }
        Self::open(path).map(Some)
    }

    /// An in-memory store (tests).
    pub fn in_memory() -> Result<Self> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Self> {
        // Larger pages make bulk imports and range scans cheaper; only takes effect on a new file.
        conn.pragma_update(None, "page_size", 16_384)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "cache_size", -262_144)?; // 256 MiB
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        let mut s = SqliteStore { conn };
        s.migrate()?;
        Ok(s)
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The underlying connection, for the few read-only reports that need plain SQL.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// All boundaries as (region key, name, GeoJSON geometry).
    pub fn boundaries(&self) -> Result<Vec<(String, Option<String>, String)>> {
        let mut st = self
            .conn
            .prepare("SELECT region_key, name, geojson FROM boundary ORDER BY region_key")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

/// A key as stored: an ARS becomes the AGS; text that is no key is looked up as it is.
fn normalize_key(key: &str) -> String {
    RegionKey::parse(key)
        .map(|k| k.to_string())
        .unwrap_or_else(|_| key.to_string())
}

fn now_iso() -> String {
    // The import time is provenance, not data: computed numbers never depend on it.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let (h, m, s) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if mo <= 2 { y + 1 } else { y };
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}Z")
}

fn diag_json(d: &[Diagnostic]) -> String {
    let v: Vec<serde_json::Value> = d
        .iter()
        .map(|d| {
            serde_json::json!({
                "file": d.file, "line": d.line, "column": d.column,
                "severity": if d.severity == Severity::Error { "error" } else { "warning" },
                "message": d.message, "hint": d.hint,
            })
        })
        .collect();
    serde_json::Value::Array(v).to_string()
}

fn diag_from_json(s: &str) -> Vec<Diagnostic> {
    let v: Vec<serde_json::Value> = serde_json::from_str(s).unwrap_or_default();
    v.iter()
        .map(|d| Diagnostic {
            file: d["file"].as_str().unwrap_or("").to_string(),
            line: d["line"].as_u64().unwrap_or(0) as usize,
            column: d["column"].as_u64().unwrap_or(0) as usize,
            severity: if d["severity"] == "error" {
                Severity::Error
            } else {
                Severity::Warning
            },
            message: d["message"].as_str().unwrap_or("").to_string(),
            hint: d["hint"].as_str().map(str::to_string),
        })
        .collect()
}

fn value_parts(v: &Value) -> (Option<f64>, Option<i64>, i64, Option<&str>) {
    (
        v.number,
        v.symbol.map(|s| s.code() as i64),
        v.decimals as i64 | (v.flags as i64) << 8,
        v.raw.as_deref(),
    )
}

fn value_from_parts(num: Option<f64>, sym: Option<i64>, fmt: i64, raw: Option<String>) -> Value {
    Value {
        number: num,
        symbol: sym.and_then(|s| Symbol::from_code(s as u8)),
        decimals: (fmt & 0xff) as u8,
        flags: ((fmt >> 8) & 0xff) as u8,
        raw: raw.map(Into::into),
    }
}

fn region_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RegionInfo> {
    let level: String = r.get(2)?;
    Ok(RegionInfo {
        key: r.get(0)?,
        name: r.get(1)?,
        level: RegionLevel::from_code(&level).unwrap_or(RegionLevel::Gemeinde),
        parent: r.get(3)?,
        verband: r.get(4)?,
        valid_from: r.get(5)?,
        valid_to: r.get(6)?,
        area_km2: r.get(7)?,
        population: r.get(8)?,
        postcode: r.get(9)?,
        kind: r.get(10)?,
    })
}

const REGION_COLS: &str =
    "key, name, level, parent, verband, valid_from, valid_to, area_km2, population, postcode, kind";

fn batch_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ImportBatch> {
    let diags: String = r.get(9)?;
    Ok(ImportBatch {
        id: r.get(0)?,
        file_name: r.get(1)?,
        sha256: r.get(2)?,
        format: r.get(3)?,
        rows_read: r.get(4)?,
        rows_stored: r.get(5)?,
        rows_revised: r.get(6)?,
        rows_unchanged: r.get(7)?,
        rows_skipped: r.get(8)?,
        diagnostics: diag_from_json(&diags),
        imported_at: r.get(10)?,
        duration_ms: r.get(11)?,
        // Written by this code only; an unreadable list is shown as no contents rather than
        // failing every listing of the imports.
        contents: serde_json::from_str(&r.get::<_, String>(12)?).unwrap_or_default(),
    })
}

const BATCH_COLS: &str = "id, file_name, sha256, format, rows_read, rows_stored, rows_revised, rows_unchanged, rows_skipped, diagnostics, imported_at, duration_ms, contents";

/// Ids of regions, creating rows for keys first seen in data (named as the data names them).
fn region_ids(tx: &Transaction<'_>, data: &Dataset) -> Result<Vec<i64>> {
    let mut ins = tx.prepare_cached("INSERT INTO region(key, name, level, parent) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(key) DO NOTHING")?;
    let mut rename = tx.prepare_cached(
        "UPDATE region SET name = ?2 WHERE key = ?1 AND in_register = 0 AND name = key",
    )?;
    let mut get = tx.prepare_cached("SELECT id FROM region WHERE key = ?1")?;
    let mut ids = Vec::with_capacity(data.region_keys.len());
    for (k, name) in data.region_keys.iter().zip(&data.region_names) {
        let name = name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(k.as_str());
        ins.execute(params![
            k.as_str(),
            name,
            k.level().code(),
            k.natural_parent().map(|p| p.to_string())
        ])?;
        if name != k.as_str() {
            rename.execute(params![k.as_str(), name])?;
        }
        ids.push(get.query_row([k.as_str()], |r| r.get(0))?);
    }
    Ok(ids)
}

fn measure_ids(tx: &Transaction<'_>, data: &Dataset) -> Result<Vec<i64>> {
    // A later file may declare the kind of a measure an earlier one left undeclared.
    let mut ins = tx.prepare_cached(
        "INSERT INTO measure(code, label, unit, statistic, kind) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(code) DO UPDATE SET kind = coalesce(excluded.kind, measure.kind)",
    )?;
    let mut get = tx.prepare_cached("SELECT id FROM measure WHERE code = ?1")?;
    let mut ids = Vec::new();
    for m in &data.measures {
        let kind = data.kind(m).map(|k| k.as_str());
        ins.execute(params![m.code, m.label, m.unit, m.statistic, kind])?;
        ids.push(get.query_row([&m.code], |r| r.get(0))?);
    }
    Ok(ids)
}

fn breakdown_ids(tx: &Transaction<'_>, data: &Dataset) -> Result<Vec<i64>> {
    let mut ins = tx.prepare_cached(
        "INSERT INTO breakdown(key, label, items) VALUES (?1, ?2, ?3) ON CONFLICT(key) DO NOTHING",
    )?;
    let mut get = tx.prepare_cached("SELECT id FROM breakdown WHERE key = ?1")?;
    let mut ids = Vec::new();
    for b in &data.breakdowns {
        let key = b.key();
        let items: Vec<[&str; 3]> = b
            .items()
            .iter()
            .map(|i| [i.variable.as_str(), i.value.as_str(), i.label.as_str()])
            .collect();
        ins.execute(params![
            key,
            b.label(),
            serde_json::to_string(&items).unwrap_or_default()
        ])?;
        ids.push(get.query_row([&key], |r| r.get(0))?);
    }
    Ok(ids)
}

/// Rows per INSERT statement: many rows per statement save SQLite's per-statement work.
///
/// A cell is revised when its value or its quality mark changed. An export without the quality
/// column (GENESIS "quality=off") carries no mark, which is no news: the stored mark is kept. The
/// decimal separator (flag 16 << 8 = 4096) is locale, not content: `27,42` and `27.42` are the same.
const CHUNK: usize = 200;

fn upsert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO observation(measure_id, region_id, period, breakdown_id, num, sym, fmt, raw, quality, import_id) VALUES ",
    );
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?,?,?,?,?)");
    }
    sql.push_str(
        " ON CONFLICT(measure_id, region_id, period, breakdown_id) DO UPDATE SET
           num = excluded.num, sym = excluded.sym, fmt = excluded.fmt, raw = excluded.raw,
           quality = coalesce(excluded.quality, observation.quality), import_id = excluded.import_id
         WHERE observation.num IS NOT excluded.num OR observation.sym IS NOT excluded.sym
            OR (observation.fmt & ~4096) IS NOT (excluded.fmt & ~4096) OR observation.raw IS NOT excluded.raw
            OR (excluded.quality IS NOT NULL AND observation.quality IS NOT excluded.quality)",
    );
    sql
}

/// Upserts the observations; returns (stored, unchanged).
fn store_observations(tx: &Transaction<'_>, data: &Dataset, batch: i64) -> Result<(i64, i64)> {
    if data.observations.is_empty() {
        return Ok((0, 0));
    }
    let mids = measure_ids(tx, data)?;
    let rids = region_ids(tx, data)?;
    let bids = breakdown_ids(tx, data)?;
    // Insert in primary-key order so the B-tree grows at its end instead of splitting pages.
    let mut order: Vec<(u128, u32)> = data
        .observations
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let k = (mids[o.measure as usize] as u128) << 96
                | (rids[o.region as usize] as u128) << 64
                | (o.period.code() as u128) << 32
                | bids[o.breakdown as usize] as u128;
            (k, i as u32)
        })
        .collect();
    order.sort_unstable();
    let mut stored = 0i64;
    let mut full = tx.prepare_cached(&upsert_sql(CHUNK))?;
    for chunk in order.chunks(CHUNK) {
        let mut st = if chunk.len() == CHUNK {
            None
        } else {
            Some(tx.prepare(&upsert_sql(chunk.len()))?)
        };
        let stmt = st.as_mut().unwrap_or(&mut full);
        let mut p = 1;
        for &(k, i) in chunk {
            let o = &data.observations[i as usize];
            let (num, sym, fmt, raw) = value_parts(&o.value);
            let q = (o.quality != 0).then(|| data.qualities[o.quality as usize].as_str());
            stmt.raw_bind_parameter(p, (k >> 96) as i64)?;
            stmt.raw_bind_parameter(p + 1, ((k >> 64) as u32) as i64)?;
            stmt.raw_bind_parameter(p + 2, ((k >> 32) as u32) as i64)?;
            stmt.raw_bind_parameter(p + 3, (k as u32) as i64)?;
            stmt.raw_bind_parameter(p + 4, num)?;
            stmt.raw_bind_parameter(p + 5, sym)?;
            stmt.raw_bind_parameter(p + 6, fmt)?;
            stmt.raw_bind_parameter(p + 7, raw)?;
            stmt.raw_bind_parameter(p + 8, q)?;
            stmt.raw_bind_parameter(p + 9, batch)?;
            p += 10;
        }
        stored += stmt.raw_execute()? as i64;
    }
    // Keep each region's last period with a number up to date (see migration 0002).
    let mut last: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for o in &data.observations {
        if o.value.symbol == Some(Symbol::Nil)
            || (o.value.number.is_none() && o.value.symbol.is_none())
        {
            continue;
        }
        let end = o.period.end().code() as i64;
        let e = last.entry(rids[o.region as usize]).or_insert(end);
        *e = (*e).max(end);
    }
    let mut up = tx.prepare_cached(
        "UPDATE region SET last_data = max(coalesce(last_data, 0), ?2) WHERE id = ?1",
    )?;
    for (id, end) in last {
        up.execute(params![id, end])?;
    }
    Ok((stored, data.observations.len() as i64 - stored))
}

/// Stores register snapshot rows; returns how many were new or changed.
fn store_register(tx: &Transaction<'_>, data: &Dataset, batch: i64) -> Result<i64> {
    let mut st = tx.prepare_cached(
        "INSERT INTO region_snapshot(key, snapshot, name, level, parent, verband, area_km2, population, postcode, kind, import_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT(key, snapshot) DO UPDATE SET name = excluded.name, parent = excluded.parent, verband = excluded.verband,
           area_km2 = excluded.area_km2, population = excluded.population, postcode = excluded.postcode, kind = excluded.kind,
           import_id = excluded.import_id
         WHERE region_snapshot.name IS NOT excluded.name OR region_snapshot.area_km2 IS NOT excluded.area_km2
            OR region_snapshot.population IS NOT excluded.population OR region_snapshot.parent IS NOT excluded.parent
            OR region_snapshot.verband IS NOT excluded.verband OR region_snapshot.postcode IS NOT excluded.postcode",
    )?;
    let mut n = 0;
    for r in &data.regions {
        let snap = r.valid_from.map(|p| p.iso()).unwrap_or_default();
        n += st.execute(params![
            r.key.as_str(),
            snap,
            r.name,
            r.level.code(),
            r.parent.as_ref().map(|p| p.to_string()),
            r.verband.as_ref().map(|p| p.to_string()),
            r.area_km2,
            r.population,
            r.postcode,
            r.kind,
            batch
        ])? as i64;
    }
    drop(st);
    if !data.regions.is_empty() {
        rebuild_regions(tx)?;
    }
    Ok(n)
}

/// Recomputes names, validity and territorial changes from all register snapshots.
fn rebuild_regions(tx: &Transaction<'_>) -> Result<()> {
    let snaps: Vec<String> = {
        let mut st =
            tx.prepare("SELECT DISTINCT snapshot FROM region_snapshot ORDER BY snapshot")?;
        st.query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?
    };
    let Some(latest) = snaps.last().cloned() else {
        return Ok(());
    };
    type Row = (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<f64>,
        Option<i64>,
        Option<String>,
        Option<String>,
    );
    let mut by_key: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    {
        let mut st = tx.prepare("SELECT key, snapshot, name, level, parent, verband, area_km2, population, postcode, kind FROM region_snapshot ORDER BY key, snapshot")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ))
        })?;
        for row in rows {
            let row: Row = row?;
            by_key.entry(row.0.clone()).or_default().push(row);
        }
    }
    let mut up = tx.prepare(
        "INSERT INTO region(key, name, level, parent, verband, valid_from, valid_to, area_km2, population, postcode, kind, in_register)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1)
         ON CONFLICT(key) DO UPDATE SET name = excluded.name, level = excluded.level, parent = excluded.parent,
           verband = excluded.verband, valid_from = excluded.valid_from, valid_to = excluded.valid_to,
           area_km2 = excluded.area_km2, population = excluded.population, postcode = excluded.postcode,
           kind = excluded.kind, in_register = 1",
    )?;
    // A region is dissolved when a later snapshot of its level no longer lists it: registers of
    // Ortsteile and official registers are dated independently.
    let mut latest_of_level: std::collections::HashMap<&str, &str> =
        std::collections::HashMap::new();
    for r in by_key.values().flatten() {
        let e = latest_of_level.entry(r.3.as_str()).or_insert(r.1.as_str());
        if r.1.as_str() > *e {
            *e = r.1.as_str();
        }
    }
    for rows in by_key.values() {
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            continue;
        };
        let latest = latest_of_level
            .get(last.3.as_str())
            .copied()
            .unwrap_or(latest.as_str());
        let valid_to = (last.1 != latest).then(|| last.1.clone());
        up.execute(params![
            last.0, last.2, last.3, last.4, last.5, first.1, valid_to, last.6, last.7, last.8,
            last.9
        ])?;
    }
    drop(up);
    // Territorial changes between consecutive snapshots, for municipalities.
    tx.execute("DELETE FROM region_change", [])?;
    let entries = |snap: &str| -> Vec<SnapshotEntry> {
        by_key
            .values()
            .flat_map(|rows| rows.iter())
            .filter(|r| r.1 == snap && r.3 == "gemeinde")
            .filter_map(|r| {
                Some(SnapshotEntry {
                    key: RegionKey::parse(&r.0).ok()?,
                    area_km2: r.6.unwrap_or(0.0),
                })
            })
            .collect()
    };
    let mut ins = tx.prepare("INSERT OR REPLACE INTO region_change(from_key, to_key, last_seen, first_gone, share, confirmed) VALUES (?1, ?2, ?3, ?4, 1.0, ?5)")?;
    for w in snaps.windows(2) {
        let (old, new) = (entries(&w[0]), entries(&w[1]));
        if old.is_empty() || new.is_empty() {
            continue;
        }
        for c in infer_successors(&old, &new) {
            ins.execute(params![
                c.from.as_str(),
                c.to.as_str(),
                w[0],
                w[1],
                c.confirmed
            ])?;
        }
    }
    Ok(())
}

fn store_boundaries(
    tx: &Transaction<'_>,
    data: &Dataset,
    batch: i64,
    diags: &mut Vec<Diagnostic>,
    file: &str,
) -> Result<i64> {
    let mut st = tx.prepare_cached(
        "INSERT INTO boundary(region_key, name, geojson, import_id) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(region_key) DO UPDATE SET name = excluded.name, geojson = excluded.geojson, import_id = excluded.import_id
         WHERE boundary.geojson IS NOT excluded.geojson OR boundary.name IS NOT excluded.name",
    )?;
    let mut known = tx.prepare_cached("SELECT 1 FROM region WHERE key = ?1")?;
    let mut n = 0;
    let mut unmatched = Vec::new();
    for b in &data.boundaries {
        let geom = serde_json::json!({ "type": "MultiPolygon", "coordinates": b.polygons });
        n += st.execute(params![b.key.as_str(), b.name, geom.to_string(), batch])? as i64;
        if known
            .query_row([b.key.as_str()], |_| Ok(()))
            .optional()?
            .is_none()
        {
            unmatched.push(b.key.to_string());
        }
    }
    if !unmatched.is_empty() {
        let shown: Vec<&str> = unmatched.iter().take(10).map(String::as_str).collect();
        diags.push(
            Diagnostic::warning(
                file,
                0,
                0,
                format!("{} boundaries match no region in the store (e.g. {}); they are kept and will match once a register names them", unmatched.len(), shown.join(", ")),
            )
            .with_hint("import the GV100AD register first, or check the key attribute"),
        );
    }
    Ok(n)
}

fn store_catalog(tx: &Transaction<'_>, data: &Dataset, batch: i64) -> Result<i64> {
    let mut st = tx.prepare_cached(
        "INSERT INTO indicator(key, entry, import_id) VALUES (?1, ?2, ?3)
         ON CONFLICT(key) DO UPDATE SET entry = excluded.entry, import_id = excluded.import_id WHERE indicator.entry IS NOT excluded.entry",
    )?;
    let mut n = 0;
    for e in &data.catalog {
        let json = serde_json::to_string(e).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        n += st.execute(params![e.key, json, batch])? as i64;
    }
    Ok(n)
}

/// [`Dataset::contents`] as stored with the batch.
fn contents_json(data: &Dataset) -> Result<String> {
    serde_json::to_string(&data.contents()).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store for SqliteStore {
    fn import(
        &mut self,
        source: &ImportSource,
        data: &Dataset,
        opts: ImportOptions,
    ) -> Result<ImportOutcome> {
        let started = Instant::now();
        // An error about the whole file (line 0: unreadable, a failed importer, a file-wide
        // inconsistency) leaves no good rows to keep, so even `skip_bad_rows` must not record the
        // file as imported: its hash would make the same file count as done after a fix.
        let whole_file_error = data
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error && d.line == 0);
        if data.has_errors() && (!opts.skip_bad_rows || whole_file_error) {
            return Ok(ImportOutcome::Rejected(data.diagnostics.clone()));
        }
        let existing = self
            .conn
            .query_row(
                &format!(
                    "SELECT {BATCH_COLS} FROM import_batch WHERE sha256 = ?1 ORDER BY id LIMIT 1"
                ),
                [&source.sha256],
                batch_from_row,
            )
            .optional()?;
        if let Some(b) = existing {
            return Ok(ImportOutcome::AlreadyImported(b));
        }
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO import_batch(file_name, sha256, format, rows_read, rows_stored, rows_revised, rows_unchanged, rows_skipped, diagnostics, imported_at, duration_ms, contents)
             VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0, '[]', ?5, 0, ?6)",
            params![source.file_name, source.sha256, data.format, data.rows_read as i64, now_iso(), contents_json(data)?],
        )?;
        let batch = tx.last_insert_rowid();
        let mut diags = data.diagnostics.clone();
        let (obs_stored, unchanged) = store_observations(&tx, data, batch)?;
        let revised: i64 = tx.query_row(
            "SELECT count(*) FROM observation_history WHERE superseded_by = ?1",
            [batch],
            |r| r.get(0),
        )?;
        let reg = store_register(&tx, data, batch)?;
        let bnd = store_boundaries(&tx, data, batch, &mut diags, &source.file_name)?;
        let cat = store_catalog(&tx, data, batch)?;
        let skipped = diags
            .iter()
            .filter(|d| d.severity == Severity::Error && d.line > 0)
            .map(|d| d.line)
            .collect::<std::collections::BTreeSet<_>>()
            .len() as i64;
        let duration = started.elapsed().as_millis() as i64;
        tx.execute(
            "UPDATE import_batch SET rows_stored = ?2, rows_revised = ?3, rows_unchanged = ?4, rows_skipped = ?5, diagnostics = ?6, duration_ms = ?7 WHERE id = ?1",
            params![batch, obs_stored + reg + bnd + cat, revised, unchanged, skipped, diag_json(&diags), duration],
        )?;
        tx.commit()?;
        let b = self.conn.query_row(
            &format!("SELECT {BATCH_COLS} FROM import_batch WHERE id = ?1"),
            [batch],
            batch_from_row,
        )?;
        Ok(ImportOutcome::Imported(b))
    }

    fn imports(&self) -> Result<Vec<ImportBatch>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {BATCH_COLS} FROM import_batch ORDER BY id"
        ))?;
        let v = st
            .query_map([], batch_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }

    fn region(&self, key: &str) -> Result<Option<RegionInfo>> {
        let key = normalize_key(key);
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {REGION_COLS} FROM region WHERE key = ?1"),
                [key],
                region_from_row,
            )
            .optional()?)
    }

    fn search_regions(&self, text: &str, limit: usize) -> Result<Vec<RegionInfo>> {
        let t = text.trim();
        let key = normalize_key(t);
        let mut st = self.conn.prepare(&format!(
            "SELECT {REGION_COLS} FROM region
             WHERE key = ?1 OR key LIKE ?2 OR name LIKE ?3 OR postcode = ?4
             ORDER BY (key = ?1) DESC, (name LIKE ?4) DESC, (valid_to IS NULL) DESC, length(key), name LIMIT ?5"
        ))?;
        let v = st
            .query_map(
                params![key, format!("{key}%"), format!("%{t}%"), t, limit as i64],
                region_from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }

    fn children(&self, key: &str, at: Option<Period>) -> Result<Vec<RegionInfo>> {
        let key = normalize_key(key);
        let at = at.map(|p| p.iso());
        let mut st = self.conn.prepare(&format!(
            "SELECT {REGION_COLS} FROM region WHERE parent = ?1
               AND (?2 IS NULL OR (in_register = 1 AND valid_from <= ?2 AND (valid_to IS NULL OR valid_to >= ?2)))
             ORDER BY key"
        ))?;
        let v = st
            .query_map(params![key, at], region_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }

    fn changes(&self, key: &str) -> Result<Vec<ChangeInfo>> {
        let key = normalize_key(key);
        let mut st = self.conn.prepare("SELECT from_key, to_key, last_seen, first_gone, confirmed FROM region_change WHERE from_key = ?1 OR to_key = ?1 ORDER BY first_gone, from_key")?;
        let v = st
            .query_map([key], |r| {
                Ok(ChangeInfo {
                    from_key: r.get(0)?,
                    to_key: r.get(1)?,
                    last_seen: r.get(2)?,
                    first_gone: r.get(3)?,
                    confirmed: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }

    fn snapshots(&self) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT DISTINCT snapshot FROM region_snapshot ORDER BY snapshot")?;
        let v = st
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(v)
    }

    fn measures(&self) -> Result<Vec<MeasureInfo>> {
        let mut st = self.conn.prepare(
            "SELECT m.code, m.label, m.unit, m.statistic, count(o.measure_id), count(DISTINCT o.region_id), min(o.period), max(o.period),
                    count(DISTINCT o.period), count(DISTINCT o.breakdown_id), m.kind
             FROM measure m LEFT JOIN observation o ON o.measure_id = m.id GROUP BY m.id ORDER BY m.statistic, m.code",
        )?;
        let v = st
            .query_map([], |r| {
                Ok(MeasureInfo {
                    code: r.get(0)?,
                    label: r.get(1)?,
                    unit: r.get(2)?,
                    statistic: r.get(3)?,
                    values: r.get(4)?,
                    regions: r.get(5)?,
                    first: r.get::<_, Option<i64>>(6)?.and_then(period_from_code),
                    last: r.get::<_, Option<i64>>(7)?.and_then(period_from_code),
                    periods: r.get(8)?,
                    breakdowns: r.get(9)?,
                    kind: crate::bulk::stored_kind(
                        r.get::<_, Option<String>>(10)?.as_deref(),
                        &r.get::<_, String>(2)?,
                    ),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }

    fn query(&self, q: &ObservationQuery) -> Result<Vec<ObservationRow>> {
        let mut conds = Vec::new();
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let placeholders =
            |args: &mut Vec<rusqlite::types::Value>, vals: Vec<rusqlite::types::Value>| -> String {
                let start = args.len();
                args.extend(vals);
                (start..args.len())
                    .map(|i| format!("?{}", i + 1))
                    .collect::<Vec<_>>()
                    .join(",")
            };
        if !q.measures.is_empty() {
            let p = placeholders(
                &mut args,
                q.measures.iter().map(|m| m.clone().into()).collect(),
            );
            conds.push(format!("m.code IN ({p})"));
        }
        if !q.regions.is_empty() {
            let keys: Vec<rusqlite::types::Value> =
                q.regions.iter().map(|k| normalize_key(k).into()).collect();
            let p = placeholders(&mut args, keys);
            if q.include_children {
                conds.push(format!("(r.key IN ({p}) OR r.parent IN ({p}))"));
            } else {
                conds.push(format!("r.key IN ({p})"));
            }
        }
        if !q.periods.is_empty() {
            let p = placeholders(
                &mut args,
                q.periods.iter().map(|p| period_code(*p).into()).collect(),
            );
            conds.push(format!("o.period IN ({p})"));
        }
        if let Some(b) = &q.breakdown {
            let p = placeholders(&mut args, vec![b.clone().into()]);
            conds.push(format!("b.key = {p}"));
        }
        let where_ = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let cols = "r.key AS rk, r.name, m.code AS mc, m.label, m.unit, b.key AS bk, b.label, o.period AS per, o.num, o.sym, o.fmt, o.raw, o.quality, o.import_id";
        let joins = "JOIN measure m ON m.id = o.measure_id JOIN region r ON r.id = o.region_id JOIN breakdown b ON b.id = o.breakdown_id";
        let mut sql =
            format!("SELECT {cols}, NULL AS sb, 1 AS cur FROM observation o {joins} {where_}");
        if q.history {
            sql = format!(
                "{sql} UNION ALL SELECT {cols}, o.superseded_by, 0 FROM observation_history o {joins} {where_}"
            );
        }
        // History rows first (oldest batch first), the current value last.
        sql.push_str(" ORDER BY mc, rk, per, bk, cur, sb");
        if let Some(l) = q.limit {
            sql.push_str(&format!(" LIMIT {l}"));
        }
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            let period: i64 = r.get(7)?;
            Ok((
                ObservationRow {
                    region_key: r.get(0)?,
                    region_name: r.get(1)?,
                    measure: r.get(2)?,
                    measure_label: r.get(3)?,
                    unit: r.get(4)?,
                    breakdown: r.get(5)?,
                    breakdown_label: r.get(6)?,
                    period: Period::Year(0),
                    value: value_from_parts(r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?),
                    quality: r.get(12)?,
                    import_id: r.get(13)?,
                    superseded_by: r.get(14)?,
                },
                period,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut row, code) = row?;
            row.period = period_from_code(code)
                .ok_or_else(|| StoreError::Corrupt(format!("period code {code}")))?;
            out.push(row);
        }
        Ok(out)
    }

    fn indicators(&self) -> Result<Vec<sozialmonitor_core::IndicatorEntry>> {
        let mut st = self
            .conn
            .prepare("SELECT entry FROM indicator ORDER BY key")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            let json = r?;
            out.push(
                serde_json::from_str(&json)
                    .map_err(|e| StoreError::Corrupt(format!("catalogue entry: {e}")))?,
            );
        }
        Ok(out)
    }

    fn frame(
        &self,
        measures: &[String],
        years: (u16, u16),
        territory: Territory,
    ) -> Result<sozialmonitor_core::frame::Frame> {
        crate::bulk::frame(&self.conn, measures, years, territory)
    }

    fn frame_at(
        &self,
        measures: &[String],
        years: (u16, u16),
        territory: Territory,
    ) -> Result<(sozialmonitor_core::frame::Frame, i64)> {
        crate::bulk::frame_at(&self.conn, measures, years, territory)
    }

    fn save_results(&mut self, results: &Results) -> Result<usize> {
        crate::bulk::save_results(&mut self.conn, results)
    }

    fn results(&self, indicator: &str) -> Result<Option<Vec<ResultRow>>> {
        crate::bulk::results(&self.conn, indicator)
    }

    fn cache_state(&self) -> Result<Option<(i64, i64, Territory)>> {
        crate::bulk::cache_state(&self.conn)
    }

    fn summary(&self) -> Result<Summary> {
        let c = |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [], |r| r.get(0))?) };
        let mut st = self
            .conn
            .prepare("SELECT level, count(*) FROM region GROUP BY level ORDER BY count(*)")?;
        let levels = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Summary {
            imports: c("SELECT count(*) FROM import_batch")?,
            regions_by_level: levels,
            measures: c("SELECT count(*) FROM measure")?,
            observations: c("SELECT count(*) FROM observation")?,
            revisions: c("SELECT count(*) FROM observation_history")?,
            boundaries: c("SELECT count(*) FROM boundary")?,
            indicators: c("SELECT count(*) FROM indicator")?,
            changes: c("SELECT count(*) FROM region_change")?,
        })
    }
}

impl sozialmonitor_core::engine::Inputs for SqliteStore {
    fn get(
        &self,
        measure: &str,
        region: &RegionKey,
        period: Period,
        breakdown: &str,
    ) -> Option<sozialmonitor_core::engine::Cell> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT o.num, o.sym FROM observation o
                 JOIN measure m ON m.id = o.measure_id JOIN region r ON r.id = o.region_id JOIN breakdown b ON b.id = o.breakdown_id
                 WHERE m.code = ?1 AND r.key = ?2 AND o.period = ?3 AND b.key = ?4",
            )
            .ok()?;
        let row: Option<(Option<f64>, Option<i64>)> = st
            .query_row(
                params![measure, region.as_str(), period_code(period), breakdown],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ok()?;
        row.map(|(num, sym)| crate::bulk::stored_cell(num, sym))
    }

    /// Counts and amounts add up; rates, shares, averages and indices do not (the declared
    /// kind, see [`crate::bulk::stored_kind`]).
    fn additive(&self, measure: &str) -> bool {
        let row: Option<(Option<String>, String)> = self
            .conn
            .query_row(
                "SELECT kind, unit FROM measure WHERE code = ?1",
                [measure],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ok()
            .flatten();
        row.is_some_and(|(kind, unit)| crate::bulk::stored_kind(kind.as_deref(), &unit).additive())
    }

    /// The parts of a region at a period. A municipality dissolved in a merger counts up to the
    /// last register that listed it, its successor from then on, so a sum neither misses nor
    /// double-counts merged municipalities; municipalities known only from statistics (dissolved
    /// before the first register) count only before that register.
    fn parts(&self, region: &RegionKey, period: Period) -> Vec<RegionKey> {
        let level = match region.level() {
            RegionLevel::Germany => "land",
            RegionLevel::Land => {
                let has_rb: bool = self
                    .conn
                    .query_row("SELECT EXISTS(SELECT 1 FROM region WHERE parent = ?1 AND level = 'regbez')", [region.as_str()], |r| r.get(0))
                    .unwrap_or(false);
                if has_rb { "regbez" } else { "kreis" }
            }
            RegionLevel::Regierungsbezirk => "kreis",
            RegionLevel::Kreis => "gemeinde",
            _ => return Vec::new(),
        };
        let end = period.end().iso();
        let first_snapshot: Option<String> = self
            .conn
            .query_row("SELECT min(snapshot) FROM region_snapshot", [], |r| {
                r.get(0)
            })
            .unwrap_or(None);
        // For a region known only from statistics, its last published number (not `-`) bounds its life.
        let sql = "SELECT r.key, r.in_register,
                          (SELECT min(c.last_seen) FROM region_change c WHERE c.from_key = r.key) AS gone_after,
                          (SELECT max(c.last_seen) FROM region_change c WHERE c.to_key = r.key AND r.valid_from > c.last_seen) AS new_after,
                          r.last_data
                   FROM region r WHERE r.parent = ?1 AND r.level = ?2 ORDER BY r.key";
        let Ok(mut st) = self.conn.prepare_cached(sql) else {
            return Vec::new();
        };
        let end_code = period.end().code() as i64;
        let rows = st.query_map(params![region.as_str(), level], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, bool>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<i64>>(4)?,
            ))
        });
        let Ok(rows) = rows else { return Vec::new() };
        let rows: Vec<_> = rows.filter_map(|r| r.ok()).collect();
        // A Land or Regierungsbezirk missing from the registers lives as long as its parts (the
        // rule of `bulk::grid`): Saxony-Anhalt's `150` with today's Kreise.
        let structural = matches!(level, "land" | "regbez");
        rows.into_iter()
            .filter(|(k, in_register, gone_after, new_after, last_data)| {
                let existed = gone_after
                    .as_ref()
                    .is_none_or(|g| end.as_str() <= g.as_str());
                let formed = new_after.as_ref().is_none_or(|n| end.as_str() > n.as_str());
                let known = *in_register
                    || (first_snapshot
                        .as_ref()
                        .is_none_or(|f| end.as_str() <= f.as_str())
                        && last_data.is_some_and(|d| end_code <= d))
                    || (structural
                        && RegionKey::parse(k)
                            .is_ok_and(|key| !self.parts(&key, period).is_empty()));
                existed && formed && known
            })
            .filter_map(|(k, ..)| RegionKey::parse(&k).ok())
            .collect()
    }
}
