//! The SQLite implementation of [`Store`]: a single file, bundled SQLite, append-only migrations.

use std::path::Path;
use std::time::Instant;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rustc_hash::FxHashMap;
use sozialmonitor_core::confidential::RULES_VERSION;
use sozialmonitor_core::{Dataset, Diagnostic, Period, RegionKey, RegionLevel, Symbol};

use crate::accounts::import_event;
use crate::bulk::{GridChange, GridRow, PartRow, Reader};
use crate::common::*;
use crate::transfer::{Field, TABLES, Ty};
use crate::*;

/// Migrations in order; the index + 1 is the schema version (`PRAGMA user_version`).
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_region_last_data.sql"),
    include_str!("../migrations/sqlite/0003_indicator_value.sql"),
    include_str!("../migrations/sqlite/0004_measure_kind.sql"),
    include_str!("../migrations/sqlite/0005_publication.sql"),
    include_str!("../migrations/sqlite/0006_batch_contents.sql"),
    include_str!("../migrations/sqlite/0007_workspace_accounts.sql"),
    include_str!("../migrations/sqlite/0008_commentary_and_reports.sql"),
    include_str!("../migrations/sqlite/0009_planning.sql"),
    include_str!("../migrations/sqlite/0010_api_tokens.sql"),
    include_str!("../migrations/sqlite/0011_services.sql"),
    include_str!("../migrations/sqlite/0012_network.sql"),
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

    /// Opens an existing file without creating it; `Ok(None)` when it does not exist.
    pub fn open_existing(path: &Path) -> Result<Option<Self>> {
        if !path.exists() {
            return Ok(None);
        }
        Self::open(path).map(Some)
    }

    /// Copies the SQLite database file `from` (a backup, or a live database with its write-ahead
    /// log) into the new file `to`, reading `from` without writing to it.
    pub fn snapshot_file(from: &Path, to: &Path) -> Result<()> {
        let conn = Connection::open_with_flags(
            from,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.execute("VACUUM INTO ?1", [to.to_string_lossy().as_ref()])?;
        Ok(())
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

    /// The path of the file, for messages.
    fn path_text(&self) -> String {
        self.conn.path().unwrap_or(":memory:").to_string()
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

/// Ids of regions, creating rows for keys first seen in data (named as the data names them).
fn region_ids(tx: &Transaction<'_>, data: &Dataset) -> Result<Vec<i64>> {
    let mut ins = tx.prepare_cached("INSERT INTO region(key, name, level, parent) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(key) DO NOTHING")?;
    let mut rename = tx.prepare_cached(
        "UPDATE region SET name = ?2 WHERE key = ?1 AND in_register = 0 AND name = key",
    )?;
    let mut get = tx.prepare_cached("SELECT id FROM region WHERE key = ?1")?;
    let mut ids = Vec::with_capacity(data.region_keys.len());
    for (k, name) in data.region_keys.iter().zip(&data.region_names) {
        let name = data_name(k, name.as_deref());
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
           quality = coalesce(excluded.quality, observation.quality),
           -- A quality mark added to the same value only completes the cell (no revision, see
           -- the trigger): the value still comes from its batch, which an undo must know.
           import_id = CASE WHEN observation.num IS NOT excluded.num OR observation.sym IS NOT excluded.sym
                 OR (observation.fmt & ~4096) IS NOT (excluded.fmt & ~4096) OR observation.raw IS NOT excluded.raw
                 OR (observation.quality IS NOT NULL AND observation.quality IS NOT excluded.quality)
               THEN excluded.import_id ELSE observation.import_id END
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
    let order = write_order(data, &mids, &rids, &bids);
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
            let [m, r, per, b] = unpack_key(k);
            stmt.raw_bind_parameter(p, m)?;
            stmt.raw_bind_parameter(p + 1, r)?;
            stmt.raw_bind_parameter(p + 2, per)?;
            stmt.raw_bind_parameter(p + 3, b)?;
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
    let mut up = tx.prepare_cached(
        "UPDATE region SET last_data = max(coalesce(last_data, 0), ?2) WHERE id = ?1",
    )?;
    for (id, end) in last_data(data, &rids) {
        up.execute(params![id, end])?;
    }
    Ok((stored, order.len() as i64 - stored))
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
    let rows: Vec<SnapshotRow> = {
        let mut st = tx.prepare("SELECT key, snapshot, name, level, parent, verband, area_km2, population, postcode, kind FROM region_snapshot ORDER BY key, snapshot")?;
        st.query_map([], |r| {
            Ok(SnapshotRow {
                key: r.get(0)?,
                snapshot: r.get(1)?,
                name: r.get(2)?,
                level: r.get(3)?,
                parent: r.get(4)?,
                verband: r.get(5)?,
                area_km2: r.get(6)?,
                population: r.get(7)?,
                postcode: r.get(8)?,
                kind: r.get(9)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    let (regions, changes) = rebuild_plan(&rows);
    let mut up = tx.prepare(
        "INSERT INTO region(key, name, level, parent, verband, valid_from, valid_to, area_km2, population, postcode, kind, in_register)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1)
         ON CONFLICT(key) DO UPDATE SET name = excluded.name, level = excluded.level, parent = excluded.parent,
           verband = excluded.verband, valid_from = excluded.valid_from, valid_to = excluded.valid_to,
           area_km2 = excluded.area_km2, population = excluded.population, postcode = excluded.postcode,
           kind = excluded.kind, in_register = 1",
    )?;
    for g in &regions {
        let l = g.latest;
        up.execute(params![
            l.key,
            l.name,
            l.level,
            l.parent,
            l.verband,
            g.valid_from,
            g.valid_to,
            l.area_km2,
            l.population,
            l.postcode,
            l.kind
        ])?;
    }
    drop(up);
    tx.execute("DELETE FROM region_change", [])?;
    let mut ins = tx.prepare("INSERT INTO region_change(from_key, to_key, last_seen, first_gone, share, confirmed) VALUES (?1, ?2, ?3, ?4, 1.0, ?5)")?;
    for c in &changes {
        ins.execute(params![
            c.from,
            c.to,
            c.last_seen,
            c.first_gone,
            c.confirmed
        ])?;
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
        n += st.execute(params![b.key.as_str(), b.name, boundary_json(b), batch])? as i64;
        if known
            .query_row([b.key.as_str()], |_| Ok(()))
            .optional()?
            .is_none()
        {
            unmatched.push(b.key.to_string());
        }
    }
    diags.extend(unmatched_boundaries(file, &unmatched));
    Ok(n)
}

fn store_catalog(
    tx: &Transaction<'_>,
    data: &Dataset,
    batch: i64,
    by: Option<&Actor>,
) -> Result<i64> {
    let mut st = tx.prepare_cached(
        "INSERT INTO indicator(key, entry, import_id) VALUES (?1, ?2, ?3)
         ON CONFLICT(key) DO UPDATE SET entry = excluded.entry, import_id = excluded.import_id WHERE indicator.entry IS NOT excluded.entry",
    )?;
    let mut n = 0;
    for e in &data.catalog {
        let new = entry_json(e)?;
        let old: Option<String> = match by {
            Some(_) => tx
                .query_row(
                    "SELECT entry FROM indicator WHERE key = ?1",
                    [&e.key],
                    |r| r.get(0),
                )
                .optional()?,
            None => None,
        };
        let changed = st.execute(params![e.key, new, batch])? as i64;
        n += changed;
        if let (Some(by), 1) = (by, changed) {
            let ev =
                AuditEvent::new(by.at, &by.name, "catalog.change", &e.key).values(old, Some(new));
            let (sql, ps) = crate::accounts::audit_insert(&ev);
            tx.execute(sql, rusqlite::params_from_iter(ps.iter()))?;
        }
    }
    Ok(n)
}

impl RowSource for SqliteStore {
    fn scan(&self, tables: &[&'static Table], sink: &mut RowSink<'_>) -> Result<()> {
        // One read transaction: a snapshot, whatever is committed meanwhile.
        let tx = self.conn.unchecked_transaction()?;
        for t in tables {
            let order = t.order.join(", ");
            let mut st = tx.prepare(&format!(
                "SELECT {} FROM {} ORDER BY {order}",
                t.column_list(),
                t.name
            ))?;
            let mut rows = st.query([])?;
            let mut row = Vec::with_capacity(t.columns.len());
            while let Some(r) = rows.next()? {
                row.clear();
                for (i, (_, ty)) in t.columns.iter().enumerate() {
                    row.push(field(r.get_ref(i)?, *ty));
                }
                sink(t, &row)?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

impl Store for SqliteStore {
    fn import_by(
        &mut self,
        source: &ImportSource,
        data: &Dataset,
        opts: ImportOptions,
        by: Option<&Actor>,
    ) -> Result<ImportOutcome> {
        let started = Instant::now();
        if let Some(rejected) = rejection(data, opts) {
            return Ok(rejected);
        }
        // The write lock is taken before the duplicate check, so that two processes importing
        // the same file cannot both land it.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing = tx
            .query_row(
                &format!(
                    "SELECT {BATCH_COLS} FROM import_batch WHERE sha256 = ?1 \
                     AND NOT EXISTS (SELECT 1 FROM import_batch u WHERE u.sha256 = 'undo:' || import_batch.id) \
                     ORDER BY id LIMIT 1"
                ),
                [&source.sha256],
                batch_from_row,
            )
            .optional()?;
        if let Some(b) = existing {
            return Ok(ImportOutcome::AlreadyImported(b));
        }
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
        let cat = store_catalog(&tx, data, batch, by)?;
        let skipped = skipped_rows(&diags);
        let duration = started.elapsed().as_millis() as i64;
        tx.execute(
            "UPDATE import_batch SET rows_stored = ?2, rows_revised = ?3, rows_unchanged = ?4, rows_skipped = ?5, diagnostics = ?6, duration_ms = ?7 WHERE id = ?1",
            params![batch, obs_stored + reg + bnd + cat, revised, unchanged, skipped, diag_json(&diags), duration],
        )?;
        if let Some(by) = by {
            let (sql, params) = import_event(
                by,
                &source.file_name,
                batch,
                obs_stored + reg + bnd + cat,
                revised,
                unchanged,
                skipped,
            );
            tx.execute(sql, rusqlite::params_from_iter(params.iter()))?;
        }
        if opts.dry_run {
            let b = tx.query_row(
                &format!("SELECT {BATCH_COLS} FROM import_batch WHERE id = ?1"),
                [batch],
                batch_from_row,
            )?;
            // Dropping the transaction rolls everything back.
            return Ok(ImportOutcome::Previewed(b));
        }
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
        // The user's text is matched literally: `%`, `_` and `\` are escaped (see `like_literal`).
        let mut st = self.conn.prepare(&format!(
            "SELECT {REGION_COLS} FROM region
             WHERE key = ?1 OR key LIKE ?2 ESCAPE '\\' OR name LIKE ?3 ESCAPE '\\' OR postcode = ?4
             ORDER BY (key = ?1) DESC, (name LIKE ?6 ESCAPE '\\') DESC, (valid_to IS NULL) DESC, length(key), name, key
             LIMIT ?5"
        ))?;
        let (lk, lt) = (like_literal(&key), like_literal(t));
        let v = st
            .query_map(
                params![
                    key,
                    format!("{lk}%"),
                    format!("%{lt}%"),
                    t,
                    limit as i64,
                    lt
                ],
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
        let mut st = self.conn.prepare("SELECT from_key, to_key, last_seen, first_gone, confirmed FROM region_change WHERE from_key = ?1 OR to_key = ?1 ORDER BY first_gone, from_key, to_key")?;
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
            out.push(entry_from_json(&r?)?);
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
        let tx = self.conn.unchecked_transaction()?;
        let out = crate::bulk::frame_at(&*tx, measures, years, territory)?;
        tx.commit()?;
        Ok(out)
    }

    fn save_results(&mut self, results: &Results) -> Result<usize> {
        save_results(&mut self.conn, results)
    }

    fn results(&self, indicator: &str) -> Result<Option<Vec<ResultRow>>> {
        results(&self.conn, indicator)
    }

    fn cache_state(&self) -> Result<Option<(i64, i64, Territory)>> {
        let label: Option<(i64, String, i64)> = self
            .conn
            .query_row(
                "SELECT data_version, territory, rules FROM indicator_cache WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        Ok(crate::bulk::cache_state(label, self.conn.data_version()?))
    }

    fn data_version(&self) -> Result<i64> {
        self.conn.data_version()
    }

    fn boundaries(&self) -> Result<Vec<(String, Option<String>, String)>> {
        let mut st = self
            .conn
            .prepare("SELECT region_key, name, geojson FROM boundary ORDER BY region_key")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn is_publication(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT EXISTS(SELECT 1 FROM publication)", [], |r| r.get(0))?)
    }

    fn publish(&mut self, to: &Path) -> Result<Published> {
        SqliteStore::open(to)?.load_publication(self)
    }

    fn replace_all(&mut self, from: &dyn RowSource) -> Result<Counts> {
        let tx = self.conn.transaction()?;
        for name in crate::transfer::NOT_MOVED {
            tx.execute(&format!("DELETE FROM {name}"), [])?;
        }
        for t in TABLES.iter().rev() {
            tx.execute(&format!("DELETE FROM {}", t.name), [])?;
        }
        let mut counts: Counts = Vec::new();
        {
            let mut loader = Loader::new(&tx);
            from.scan(&crate::transfer::all(), &mut |t, row| {
                loader.row(t, row)?;
                match counts.last_mut() {
                    Some((name, n)) if *name == t.name => *n += 1,
                    _ => counts.push((t.name, 1)),
                }
                Ok(())
            })?;
        }
        tx.commit()?;
        Ok(counts)
    }

    fn backup(&self, to: &Path) -> Result<()> {
        // VACUUM INTO reads one snapshot and writes a compact copy; writers go on meanwhile.
        self.conn
            .execute("VACUUM INTO ?1", [to.to_string_lossy().as_ref()])?;
        Ok(())
    }

    fn size_bytes(&self) -> Result<u64> {
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok((pages * size).max(0) as u64)
    }

    fn schema_version(&self) -> Result<(i64, i64)> {
        let v: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        Ok((v, MIGRATIONS.len() as i64))
    }

    fn describe(&self) -> String {
        format!("SQLite {}", self.path_text())
    }

    fn summary(&self) -> Result<Summary> {
        let c = |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [], |r| r.get(0))?) };
        let mut st = self.conn.prepare(
            "SELECT level, count(*) FROM region GROUP BY level ORDER BY count(*), level",
        )?;
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

    /// See [`crate::bulk::parts`].
    fn parts(&self, region: &RegionKey, period: Period) -> Vec<RegionKey> {
        crate::bulk::parts(&self.conn, region, period)
    }
}

/// A stored value as a moved field of the declared type.
fn field(v: rusqlite::types::ValueRef<'_>, ty: Ty) -> Field {
    use rusqlite::types::ValueRef as V;
    match (v, ty) {
        (V::Null, _) => Field::Null,
        (V::Integer(i), Ty::Real) => Field::Real(i as f64),
        (V::Integer(i), _) => Field::Int(i),
        (V::Real(x), _) => Field::Real(x),
        (V::Text(t), _) | (V::Blob(t), _) => Field::Text(String::from_utf8_lossy(t).into_owned()),
    }
}

impl rusqlite::ToSql for Field {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Field::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Field::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Field::Real(x) => ToSqlOutput::Borrowed(ValueRef::Real(*x)),
            Field::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

/// Writes moved rows into the tables of one transaction.
struct Loader<'t> {
    tx: &'t Transaction<'t>,
    sql: FxHashMap<&'static str, String>,
}

impl<'t> Loader<'t> {
    fn new(tx: &'t Transaction<'t>) -> Self {
        Loader {
            tx,
            sql: FxHashMap::default(),
        }
    }

    fn row(&mut self, t: &'static Table, row: &[Field]) -> Result<()> {
        let sql = self.sql.entry(t.name).or_insert_with(|| {
            let marks = vec!["?"; t.columns.len()].join(", ");
            format!(
                "INSERT INTO {} ({}) VALUES ({marks})",
                t.name,
                t.column_list()
            )
        });
        let mut st = self.tx.prepare_cached(sql)?;
        st.execute(rusqlite::params_from_iter(row.iter()))?;
        Ok(())
    }
}

impl SqliteStore {
    /// Fills this new, empty database with the public side of `from` (see [`Store::publish`]).
    pub(crate) fn load_publication(&mut self, from: &dyn RowSource) -> Result<Published> {
        const PUBLIC: [&str; 7] = [
            "import_batch",
            "region",
            "region_change",
            "boundary",
            "indicator",
            "indicator_cache",
            "indicator_value",
        ];
        // Only the public tables are read: observations and their history never leave `from`.
        let tables: Vec<&'static Table> = PUBLIC
            .iter()
            .filter_map(|n| crate::transfer::table(n))
            .collect();
        let secret = i64::from(Symbol::Secret.code());
        let tx = self.conn.transaction()?;
        let mut published = Published {
            values: 0,
            withheld: 0,
            regions: 0,
        };
        let mut cache: Option<(i64, i64)> = None;
        {
            let mut loader = Loader::new(&tx);
            from.scan(&tables, &mut |t, row| {
                let mut row = row.to_vec();
                match t.name {
                    // Diagnostics quote the lines of the files.
                    "import_batch" => {
                        if let Some(i) = t.column("diagnostics") {
                            row[i] = Field::Text("[]".into());
                        }
                    }
                    "region" => published.regions += 1,
                    "indicator_cache" => {
                        let get = |c: &str| t.column(c).and_then(|i| row[i].as_int());
                        cache = get("data_version").zip(get("rules"));
                    }
                    // A withheld value keeps its place, as `.`, and loses its number.
                    "indicator_value" => {
                        published.values += 1;
                        let flags = t.column("flags").and_then(|i| row[i].as_int());
                        if flags.is_some_and(|f| f & 2 != 0) {
                            published.withheld += 1;
                            if let (Some(n), Some(s)) = (t.column("num"), t.column("sym")) {
                                row[n] = Field::Null;
                                row[s] = Field::Int(secret);
                            }
                        }
                    }
                    _ => {}
                }
                loader.row(t, &row)
            })?;
        }
        if let Some((version, rules)) = cache {
            tx.execute(
                "INSERT INTO publication (id, data_version, rules, source_sha256) VALUES (1, ?1, ?2, '')",
                params![version, rules],
            )?;
        }
        tx.commit()?;
        Ok(published)
    }
}

/// Replaces the cache with `results`, in one transaction, labelled with the data version the
/// inputs were read at (`results.data_version`) and the current confidentiality rules.
fn save_results(conn: &mut Connection, results: &Results) -> Result<usize> {
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
            let (Some(id), Some((num, sym))) = (ids.get(&r.region), result_cell(r.cell)) else {
                continue;
            };
            st.execute(params![r.indicator, id, r.year, num, sym, result_flags(r)])?;
            n += 1;
        }
    }
    tx.execute(
        "INSERT INTO indicator_cache (id, data_version, territory, first_year, last_year, rules)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)",
        params![
            results.data_version,
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
fn results(conn: &Connection, indicator: &str) -> Result<Option<Vec<ResultRow>>> {
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
        Ok(ResultRow {
            indicator: indicator.to_string(),
            region: r.get(0)?,
            year: r.get(1)?,
            cell: crate::bulk::stored_cell(r.get(2)?, r.get(3)?),
            incomplete: flags & 1 != 0,
            suppressed: flags & 2 != 0,
            equivalent: flags & 4 != 0,
        })
    })?;
    Ok(Some(rows.collect::<rusqlite::Result<_>>()?))
}

impl Reader for Connection {
    fn first_snapshot(&self) -> Result<Option<String>> {
        Ok(
            self.query_row("SELECT min(snapshot) FROM region_snapshot", [], |r| {
                r.get(0)
            })?,
        )
    }

    fn grid_rows(&self) -> Result<Vec<GridRow>> {
        let mut st = self.prepare(
            "SELECT r.key, r.parent, r.in_register, r.last_data,
                    (SELECT min(c.last_seen) FROM region_change c WHERE c.from_key = r.key),
                    (SELECT min(c.first_gone) FROM region_change c WHERE c.from_key = r.key)
             FROM region r
             WHERE r.level IN ('germany', 'land', 'regbez', 'kreis', 'gemeinde')
             ORDER BY r.key",
        )?;
        let rows = st.query_map([], |r| {
            Ok(GridRow {
                key: r.get(0)?,
                parent: r.get(1)?,
                in_register: r.get(2)?,
                last_data: r.get(3)?,
                gone_after: r.get(4)?,
                first_gone: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn grid_changes(&self) -> Result<Vec<GridChange>> {
        let mut st = self.prepare(
            "SELECT c.from_key, c.to_key, c.share, r.valid_from > c.last_seen
             FROM region_change c JOIN region r ON r.key = c.to_key ORDER BY c.from_key, c.to_key",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get::<_, Option<bool>>(3)?.unwrap_or(false),
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn measure_meta(&self, code: &str) -> Result<Option<(i64, String, Option<String>)>> {
        let mut st = self.prepare_cached("SELECT id, unit, kind FROM measure WHERE code = ?1")?;
        Ok(st
            .query_row([code], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?)
    }

    fn region_ids(&self) -> Result<Vec<(i64, String)>> {
        let mut st = self.prepare("SELECT id, key FROM region")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn breakdowns(&self) -> Result<Vec<(i64, String)>> {
        let mut st = self.prepare("SELECT id, key FROM breakdown")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn observations(
        &self,
        measure_id: i64,
        f: &mut dyn FnMut(i64, i64, i64, Option<f64>, Option<i64>),
    ) -> Result<()> {
        let mut st = self.prepare_cached(
            "SELECT region_id, period, breakdown_id, num, sym FROM observation WHERE measure_id = ?1
             ORDER BY CASE WHEN period < 10000 THEN period * 10000 + 1231 ELSE period END",
        )?;
        let mut rows = st.query([measure_id])?;
        while let Some(r) = rows.next()? {
            f(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
        }
        Ok(())
    }

    fn data_version(&self) -> Result<i64> {
        Ok(
            self.query_row("SELECT coalesce(max(id), 0) FROM import_batch", [], |r| {
                r.get(0)
            })?,
        )
    }

    fn has_children_of_level(&self, parent: &str, level: &str) -> Result<bool> {
        Ok(self.query_row(
            "SELECT EXISTS(SELECT 1 FROM region WHERE parent = ?1 AND level = ?2)",
            [parent, level],
            |r| r.get(0),
        )?)
    }

    fn part_rows(&self, parent: &str, level: &str) -> Result<Vec<PartRow>> {
        let mut st = self.prepare_cached(
            "SELECT r.key, r.in_register,
                    (SELECT min(c.last_seen) FROM region_change c WHERE c.from_key = r.key),
                    (SELECT max(c.last_seen) FROM region_change c WHERE c.to_key = r.key AND r.valid_from > c.last_seen),
                    r.last_data
             FROM region r WHERE r.parent = ?1 AND r.level = ?2 ORDER BY r.key",
        )?;
        let rows = st.query_map([parent, level], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn rows_of(
    st: &mut rusqlite::CachedStatement<'_>,
    params: &[Field],
    types: &[Ty],
) -> Result<Vec<Vec<Field>>> {
    let rows = st.query_map(rusqlite::params_from_iter(params.iter()), |r| {
        types
            .iter()
            .enumerate()
            .map(|(i, ty)| Ok(field(r.get_ref(i)?, *ty)))
            .collect::<rusqlite::Result<Vec<Field>>>()
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

impl crate::accounts::Sql for SqliteStore {
    fn select(&self, sql: &str, params: &[Field], types: &[Ty]) -> Result<Vec<Vec<Field>>> {
        let mut st = self.conn.prepare_cached(sql)?;
        rows_of(&mut st, params, types)
    }

    fn transact(
        &mut self,
        steps: &[crate::accounts::Step<'_>],
    ) -> Result<Vec<(Vec<Vec<Field>>, u64)>> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(steps.len());
        for s in steps {
            let mut st = tx.prepare_cached(s.sql)?;
            let params = s.params_with(&out)?;
            if s.returns.is_empty() {
                let n = st.execute(rusqlite::params_from_iter(params.iter()))?;
                out.push((Vec::new(), n as u64));
            } else {
                let rows = rows_of(&mut st, &params, s.returns)?;
                let n = rows.len() as u64;
                out.push((rows, n));
            }
            // Dropping the transaction rolls it back.
            s.check(out.last())?;
        }
        tx.commit()?;
        Ok(out)
    }
}
