//! The PostgreSQL implementation of [`Store`]: the same tables, revisions and rules as SQLite,
//! bulk writes by binary `COPY`, one transaction per file, imports serialised by an advisory lock
//! (as SQLite's single writer), append-only migrations of its own.

use std::cell::RefCell;
use std::path::Path;
use std::time::Instant;

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, GenericClient, IsolationLevel, NoTls, Row, Transaction};
use rustc_hash::FxHashMap;
use sozialmonitor_core::confidential::RULES_VERSION;
use sozialmonitor_core::{Dataset, Diagnostic, Period, RegionKey, RegionLevel};

use crate::accounts::import_event;
use crate::bulk::{GridChange, GridRow, PartRow, Reader};
use crate::common::*;
use crate::sqlite::SqliteStore;
use crate::transfer::{Field, TABLES, Ty};
use crate::*;

/// Migrations in order; the index + 1 is the schema version (table `sozialmonitor_schema`).
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_init.sql"),
    include_str!("../migrations/postgres/0002_workspace_accounts.sql"),
    include_str!("../migrations/postgres/0003_commentary_and_reports.sql"),
    include_str!("../migrations/postgres/0004_planning.sql"),
    include_str!("../migrations/postgres/0005_api_tokens.sql"),
    include_str!("../migrations/postgres/0006_services.sql"),
    include_str!("../migrations/postgres/0007_network.sql"),
];

/// Advisory lock keys: one migration and one import at a time per database.
const MIGRATE_LOCK: i64 = 0x5a4d_0001;
const IMPORT_LOCK: i64 = 0x5a4d_0002;
const RESULTS_LOCK: i64 = 0x5a4d_0003;

/// Rows buffered per binary `COPY` when loading a whole database: large enough that a `COPY`
/// statement's overhead does not count, small enough to bound memory (see also [`COPY_BYTES`]).
const COPY_BATCH: usize = 50_000;
/// Text bytes buffered per `COPY` (boundaries are large GeoJSON texts).
const COPY_BYTES: usize = 64 << 20;

type Param<'a> = &'a (dyn ToSql + Sync);

/// An error as a person reads it: the server's message, detail and hint, or the client's error
/// with its cause (a refused connection, a bad connection string).
pub(crate) fn message(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut m = db.message().to_string();
        if let Some(d) = db.detail() {
            m.push_str(&format!(" ({d})"));
        }
        if let Some(h) = db.hint() {
            m.push_str(&format!("; hint: {h}"));
        }
        return m;
    }
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// A store in a PostgreSQL database.
pub struct PgStore {
    client: RefCell<Client>,
    shown: String,
}

impl PgStore {
    /// Connects and brings the schema up to date; a database written by a newer program is
    /// refused.
    pub fn open(conninfo: &str) -> Result<Self> {
        let mut client = Client::connect(conninfo, NoTls)?;
        migrate(&mut client)?;
        Ok(PgStore {
            client: RefCell::new(client),
            shown: crate::database::redact(conninfo),
        })
    }
}

/// The schema version recorded in the database (0 for an empty one).
fn schema_version<C: GenericClient>(c: &mut C) -> Result<i64> {
    let exists: bool = c
        .query_one(
            "SELECT to_regclass('sozialmonitor_schema') IS NOT NULL",
            &[],
        )?
        .try_get(0)?;
    if !exists {
        return Ok(0);
    }
    Ok(
        c.query_opt("SELECT version FROM sozialmonitor_schema WHERE id = 1", &[])?
            .map(|r| r.try_get(0))
            .transpose()?
            .unwrap_or(0),
    )
}

/// Brings the schema up to date. A database that is current is only read, so that opening it
/// every few seconds (a server looking for new data) writes nothing and works for a read-only
/// role.
fn migrate(client: &mut Client) -> Result<()> {
    let known = MIGRATIONS.len() as i64;
    let found = schema_version(client)?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    if found == known {
        return Ok(());
    }
    let mut tx = client.transaction()?;
    // Several `serve` processes may start at once: one migrates, the others wait and see it done.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS sozialmonitor_schema (
             id BIGINT PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)",
    )?;
    let found = schema_version(&mut tx)?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for sql in MIGRATIONS.iter().skip(found as usize) {
        tx.batch_execute(sql)?;
    }
    tx.execute(
        "INSERT INTO sozialmonitor_schema (id, version) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        &[&known],
    )?;
    tx.commit()?;
    Ok(())
}

fn region_from_row(r: &Row) -> Result<RegionInfo> {
    let level: String = r.try_get(2)?;
    Ok(RegionInfo {
        key: r.try_get(0)?,
        name: r.try_get(1)?,
        level: RegionLevel::from_code(&level).unwrap_or(RegionLevel::Gemeinde),
        parent: r.try_get(3)?,
        verband: r.try_get(4)?,
        valid_from: r.try_get(5)?,
        valid_to: r.try_get(6)?,
        area_km2: r.try_get(7)?,
        population: r.try_get(8)?,
        postcode: r.try_get(9)?,
        kind: r.try_get(10)?,
    })
}

fn batch_from_row(r: &Row) -> Result<ImportBatch> {
    let diags: String = r.try_get(9)?;
    Ok(ImportBatch {
        id: r.try_get(0)?,
        file_name: r.try_get(1)?,
        sha256: r.try_get(2)?,
        format: r.try_get(3)?,
        rows_read: r.try_get(4)?,
        rows_stored: r.try_get(5)?,
        rows_revised: r.try_get(6)?,
        rows_unchanged: r.try_get(7)?,
        rows_skipped: r.try_get(8)?,
        diagnostics: diag_from_json(&diags),
        imported_at: r.try_get(10)?,
        duration_ms: r.try_get(11)?,
        // As on SQLite: an unreadable list is shown as no contents.
        contents: serde_json::from_str(&r.try_get::<_, String>(12)?).unwrap_or_default(),
    })
}

/// `key → id` of these keys in a table with a unique `key`.
fn ids_of(tx: &mut Transaction<'_>, table: &str, keys: &[&str]) -> Result<FxHashMap<String, i64>> {
    let rows = tx.query(
        &format!("SELECT key, id FROM {table} WHERE key = ANY($1)"),
        &[&keys],
    )?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// Ids of regions, creating rows for keys first seen in data (named as the data names them).
fn region_ids(tx: &mut Transaction<'_>, data: &Dataset) -> Result<Vec<i64>> {
    let keys: Vec<&str> = data.region_keys.iter().map(|k| k.as_str()).collect();
    let names: Vec<&str> = data
        .region_keys
        .iter()
        .zip(&data.region_names)
        .map(|(k, n)| data_name(k, n.as_deref()))
        .collect();
    let levels: Vec<&str> = data.region_keys.iter().map(|k| k.level().code()).collect();
    let parents: Vec<Option<String>> = data
        .region_keys
        .iter()
        .map(|k| k.natural_parent().map(|p| p.to_string()))
        .collect();
    // New keys get ids in the order of the file, as on SQLite.
    tx.execute(
        "INSERT INTO region(key, name, level, parent)
         SELECT u.key, u.name, u.level, u.parent
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u(key, name, level, parent, ord)
         WHERE NOT EXISTS (SELECT 1 FROM region r WHERE r.key = u.key)
         ORDER BY u.ord",
        &[&keys, &names, &levels, &parents],
    )?;
    tx.execute(
        "UPDATE region r SET name = u.name FROM unnest($1::text[], $2::text[]) AS u(key, name)
         WHERE r.key = u.key AND u.name <> u.key AND r.in_register = 0 AND r.name = r.key",
        &[&keys, &names],
    )?;
    let ids = ids_of(tx, "region", &keys)?;
    keys.iter()
        .map(|k| {
            ids.get(*k)
                .copied()
                .ok_or_else(|| StoreError::Corrupt(format!("region {k} was not stored")))
        })
        .collect()
}

fn measure_ids(tx: &mut Transaction<'_>, data: &Dataset) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(data.measures.len());
    for m in &data.measures {
        let kind = data.kind(m).map(|k| k.as_str());
        // Look first, insert only what is new: `ON CONFLICT` would use up an id every time, and
        // ids would drift from SQLite's.
        let found = tx.query_opt("SELECT id FROM measure WHERE code = $1", &[&m.code])?;
        let id: i64 = match found {
            Some(row) => {
                // A later file may declare the kind of a measure an earlier one left undeclared.
                let id = row.try_get(0)?;
                tx.execute(
                    "UPDATE measure SET kind = coalesce($2, kind) WHERE id = $1",
                    &[&id, &kind],
                )?;
                id
            }
            None => tx
                .query_one(
                    "INSERT INTO measure(code, label, unit, statistic, kind) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    &[&m.code, &m.label, &m.unit, &m.statistic, &kind],
                )?
                .try_get(0)?,
        };
        ids.push(id);
    }
    Ok(ids)
}

fn breakdown_ids(tx: &mut Transaction<'_>, data: &Dataset) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(data.breakdowns.len());
    for b in &data.breakdowns {
        let key = b.key();
        let items: Vec<[&str; 3]> = b
            .items()
            .iter()
            .map(|i| [i.variable.as_str(), i.value.as_str(), i.label.as_str()])
            .collect();
        let items = serde_json::to_string(&items).unwrap_or_default();
        let found = tx.query_opt("SELECT id FROM breakdown WHERE key = $1", &[&key])?;
        let id: i64 = match found {
            Some(row) => row.try_get(0)?,
            None => tx
                .query_one(
                    "INSERT INTO breakdown(key, label, items) VALUES ($1, $2, $3) RETURNING id",
                    &[&key, &b.label(), &items],
                )?
                .try_get(0)?,
        };
        ids.push(id);
    }
    Ok(ids)
}

/// Upserts the observations by binary `COPY` into a temporary table and one `INSERT … ON
/// CONFLICT`; returns (stored, unchanged). The revision rule is SQLite's (see its `upsert_sql`).
fn store_observations(tx: &mut Transaction<'_>, data: &Dataset, batch: i64) -> Result<(i64, i64)> {
    if data.observations.is_empty() {
        return Ok((0, 0));
    }
    let mids = measure_ids(tx, data)?;
    let rids = region_ids(tx, data)?;
    let bids = breakdown_ids(tx, data)?;
    let order = write_order(data, &mids, &rids, &bids);
    // No stored value of these measures (a first import of a statistic): nothing can be revised,
    // so the rows go straight into the table, without a temporary table and `ON CONFLICT`.
    let fresh: bool = tx
        .query_one(
            "SELECT NOT EXISTS(SELECT 1 FROM observation WHERE measure_id = ANY($1))",
            &[&mids],
        )?
        .try_get(0)?;
    let stored = if fresh {
        copy_observations(
            tx,
            "COPY observation (measure_id, region_id, period, breakdown_id, num, sym, fmt, raw, quality, import_id)
             FROM STDIN (FORMAT binary)",
            data,
            &order,
            Some(batch),
        )?;
        order.len() as i64
    } else {
        tx.batch_execute(
            "CREATE TEMP TABLE obs_in (measure_id BIGINT, region_id BIGINT, period BIGINT,
               breakdown_id BIGINT, num DOUBLE PRECISION, sym BIGINT, fmt BIGINT, raw TEXT, quality TEXT)
             ON COMMIT DROP",
        )?;
        copy_observations(
            tx,
            "COPY obs_in FROM STDIN (FORMAT binary)",
            data,
            &order,
            None,
        )?;
        tx.execute(
            "INSERT INTO observation(measure_id, region_id, period, breakdown_id, num, sym, fmt, raw, quality, import_id)
             SELECT measure_id, region_id, period, breakdown_id, num, sym, fmt, raw, quality, $1 FROM obs_in
             ON CONFLICT (measure_id, region_id, period, breakdown_id) DO UPDATE SET
               num = excluded.num, sym = excluded.sym, fmt = excluded.fmt, raw = excluded.raw,
               quality = coalesce(excluded.quality, observation.quality),
               -- A quality mark added to the same value only completes the cell (no revision,
               -- see the trigger): the value still comes from its batch, which an undo must know.
               import_id = CASE WHEN observation.num IS DISTINCT FROM excluded.num
                     OR observation.sym IS DISTINCT FROM excluded.sym
                     OR (observation.fmt & ~4096) IS DISTINCT FROM (excluded.fmt & ~4096)
                     OR observation.raw IS DISTINCT FROM excluded.raw
                     OR (observation.quality IS NOT NULL AND observation.quality IS DISTINCT FROM excluded.quality)
                   THEN excluded.import_id ELSE observation.import_id END
             WHERE observation.num IS DISTINCT FROM excluded.num OR observation.sym IS DISTINCT FROM excluded.sym
                OR (observation.fmt & ~4096) IS DISTINCT FROM (excluded.fmt & ~4096)
                OR observation.raw IS DISTINCT FROM excluded.raw
                OR (excluded.quality IS NOT NULL AND observation.quality IS DISTINCT FROM excluded.quality)",
            &[&batch],
        )? as i64
    };
    // Keep each region's last period with a number up to date (see SQLite's migration 0002).
    let (ids, ends): (Vec<i64>, Vec<i64>) = last_data(data, &rids).into_iter().unzip();
    tx.execute(
        "UPDATE region r SET last_data = GREATEST(coalesce(r.last_data, 0), u.e)
         FROM unnest($1::bigint[], $2::bigint[]) AS u(id, e) WHERE r.id = u.id",
        &[&ids, &ends],
    )?;
    Ok((stored, order.len() as i64 - stored))
}

/// Writes the observations in `order` by binary `COPY` (`sql`), with the batch as a last column
/// when given.
fn copy_observations(
    tx: &mut Transaction<'_>,
    sql: &str,
    data: &Dataset,
    order: &[(u128, u32)],
    batch: Option<i64>,
) -> Result<()> {
    let mut types = vec![
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::FLOAT8,
        Type::INT8,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
    ];
    if batch.is_some() {
        types.push(Type::INT8);
    }
    let sink = tx.copy_in(sql)?;
    let mut w = BinaryCopyInWriter::new(sink, &types);
    for &(k, i) in order {
        let o = &data.observations[i as usize];
        let (num, sym, fmt, raw) = value_parts(&o.value);
        let q = (o.quality != 0).then(|| data.qualities[o.quality as usize].as_str());
        let [m, r, per, b] = unpack_key(k);
        match &batch {
            Some(id) => w.write(&[&m, &r, &per, &b, &num, &sym, &fmt, &raw, &q, id])?,
            None => w.write(&[&m, &r, &per, &b, &num, &sym, &fmt, &raw, &q])?,
        }
    }
    w.finish()?;
    Ok(())
}

/// Stores register snapshot rows; returns how many were new or changed.
fn store_register(tx: &mut Transaction<'_>, data: &Dataset, batch: i64) -> Result<i64> {
    if data.regions.is_empty() {
        return Ok(0);
    }
    // One row per (key, snapshot), the file's last, as repeated upserts would leave it.
    let mut rows: FxHashMap<(String, String), &sozialmonitor_core::region::Region> =
        FxHashMap::default();
    for r in &data.regions {
        let snap = r.valid_from.map(|p| p.iso()).unwrap_or_default();
        rows.insert((r.key.to_string(), snap), r);
    }
    let mut rows: Vec<_> = rows.into_iter().collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let keys: Vec<&str> = rows.iter().map(|((k, _), _)| k.as_str()).collect();
    let snaps: Vec<&str> = rows.iter().map(|((_, s), _)| s.as_str()).collect();
    let names: Vec<&str> = rows.iter().map(|(_, r)| r.name.as_str()).collect();
    let levels: Vec<&str> = rows.iter().map(|(_, r)| r.level.code()).collect();
    let parents: Vec<Option<String>> = rows
        .iter()
        .map(|(_, r)| r.parent.as_ref().map(|p| p.to_string()))
        .collect();
    let verbands: Vec<Option<String>> = rows
        .iter()
        .map(|(_, r)| r.verband.as_ref().map(|p| p.to_string()))
        .collect();
    let areas: Vec<Option<f64>> = rows.iter().map(|(_, r)| r.area_km2).collect();
    let pops: Vec<Option<i64>> = rows.iter().map(|(_, r)| r.population).collect();
    let postcodes: Vec<Option<&str>> = rows.iter().map(|(_, r)| r.postcode.as_deref()).collect();
    let kinds: Vec<Option<&str>> = rows.iter().map(|(_, r)| r.kind.as_deref()).collect();
    let n = tx.execute(
        "INSERT INTO region_snapshot(key, snapshot, name, level, parent, verband, area_km2, population, postcode, kind, import_id)
         SELECT *, $11 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                   $7::float8[], $8::bigint[], $9::text[], $10::text[])
         ON CONFLICT (key, snapshot) DO UPDATE SET name = excluded.name, parent = excluded.parent, verband = excluded.verband,
           area_km2 = excluded.area_km2, population = excluded.population, postcode = excluded.postcode, kind = excluded.kind,
           import_id = excluded.import_id
         WHERE region_snapshot.name IS DISTINCT FROM excluded.name OR region_snapshot.area_km2 IS DISTINCT FROM excluded.area_km2
            OR region_snapshot.population IS DISTINCT FROM excluded.population OR region_snapshot.parent IS DISTINCT FROM excluded.parent
            OR region_snapshot.verband IS DISTINCT FROM excluded.verband OR region_snapshot.postcode IS DISTINCT FROM excluded.postcode",
        &[
            &keys, &snaps, &names, &levels, &parents, &verbands, &areas, &pops, &postcodes, &kinds,
            &batch,
        ],
    )? as i64;
    rebuild_regions(tx)?;
    Ok(n)
}

/// Recomputes names, validity and territorial changes from all register snapshots.
fn rebuild_regions(tx: &mut Transaction<'_>) -> Result<()> {
    let rows: Vec<SnapshotRow> = tx
        .query(
            "SELECT key, snapshot, name, level, parent, verband, area_km2, population, postcode, kind
             FROM region_snapshot ORDER BY key, snapshot",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(SnapshotRow {
                key: r.try_get(0)?,
                snapshot: r.try_get(1)?,
                name: r.try_get(2)?,
                level: r.try_get(3)?,
                parent: r.try_get(4)?,
                verband: r.try_get(5)?,
                area_km2: r.try_get(6)?,
                population: r.try_get(7)?,
                postcode: r.try_get(8)?,
                kind: r.try_get(9)?,
            })
        })
        .collect::<Result<_>>()?;
    let (regions, changes) = rebuild_plan(&rows);
    fn col<'a>(
        regions: &'a [RegisteredRegion<'a>],
        f: fn(&'a RegisteredRegion<'a>) -> Option<&'a str>,
    ) -> Vec<Option<&'a str>> {
        regions.iter().map(f).collect()
    }
    let keys = col(&regions, |g| Some(g.latest.key.as_str()));
    let names = col(&regions, |g| Some(g.latest.name.as_str()));
    let levels = col(&regions, |g| Some(g.latest.level.as_str()));
    let parents = col(&regions, |g| g.latest.parent.as_deref());
    let verbands = col(&regions, |g| g.latest.verband.as_deref());
    let from = col(&regions, |g| Some(g.valid_from));
    let to = col(&regions, |g| g.valid_to);
    let postcodes = col(&regions, |g| g.latest.postcode.as_deref());
    let kinds = col(&regions, |g| g.latest.kind.as_deref());
    let areas: Vec<Option<f64>> = regions.iter().map(|g| g.latest.area_km2).collect();
    let pops: Vec<Option<i64>> = regions.iter().map(|g| g.latest.population).collect();
    let params: [Param<'_>; 11] = [
        &keys, &names, &levels, &parents, &verbands, &from, &to, &areas, &pops, &postcodes, &kinds,
    ];
    const UNNEST: &str = "unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                                 $8::float8[], $9::bigint[], $10::text[], $11::text[])
              WITH ORDINALITY AS u(key, name, level, parent, verband, valid_from, valid_to, area_km2, population, postcode, kind, ord)";
    // Update what exists, insert what is new in register order: no id is used up, so ids
    // follow SQLite's.
    tx.execute(
        &format!(
            "UPDATE region r SET name = u.name, level = u.level, parent = u.parent, verband = u.verband,
               valid_from = u.valid_from, valid_to = u.valid_to, area_km2 = u.area_km2,
               population = u.population, postcode = u.postcode, kind = u.kind, in_register = 1
             FROM {UNNEST} WHERE r.key = u.key"
        ),
        &params,
    )?;
    tx.execute(
        &format!(
            "INSERT INTO region(key, name, level, parent, verband, valid_from, valid_to, area_km2, population, postcode, kind, in_register)
             SELECT key, name, level, parent, verband, valid_from, valid_to, area_km2, population, postcode, kind, 1
             FROM {UNNEST} WHERE NOT EXISTS (SELECT 1 FROM region r WHERE r.key = u.key) ORDER BY ord"
        ),
        &params,
    )?;
    tx.execute("DELETE FROM region_change", &[])?;
    let f: Vec<&str> = changes.iter().map(|c| c.from.as_str()).collect();
    let t: Vec<&str> = changes.iter().map(|c| c.to.as_str()).collect();
    let seen: Vec<&str> = changes.iter().map(|c| c.last_seen).collect();
    let gone: Vec<&str> = changes.iter().map(|c| c.first_gone).collect();
    let conf: Vec<i64> = changes.iter().map(|c| i64::from(c.confirmed)).collect();
    tx.execute(
        "INSERT INTO region_change(from_key, to_key, last_seen, first_gone, share, confirmed)
         SELECT f, t, s, g, 1.0, c FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS u(f, t, s, g, c)",
        &[&f, &t, &seen, &gone, &conf],
    )?;
    Ok(())
}

fn store_boundaries(
    tx: &mut Transaction<'_>,
    data: &Dataset,
    batch: i64,
    diags: &mut Vec<Diagnostic>,
    file: &str,
) -> Result<i64> {
    if data.boundaries.is_empty() {
        return Ok(0);
    }
    let st = tx.prepare(
        "INSERT INTO boundary(region_key, name, geojson, import_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (region_key) DO UPDATE SET name = excluded.name, geojson = excluded.geojson, import_id = excluded.import_id
         WHERE boundary.geojson IS DISTINCT FROM excluded.geojson OR boundary.name IS DISTINCT FROM excluded.name",
    )?;
    let mut n = 0;
    for b in &data.boundaries {
        n += tx.execute(&st, &[&b.key.as_str(), &b.name, &boundary_json(b), &batch])? as i64;
    }
    let keys: Vec<&str> = data.boundaries.iter().map(|b| b.key.as_str()).collect();
    let known = ids_of(tx, "region", &keys)?;
    let unmatched: Vec<String> = keys
        .iter()
        .filter(|k| !known.contains_key(**k))
        .map(|k| k.to_string())
        .collect();
    diags.extend(unmatched_boundaries(file, &unmatched));
    Ok(n)
}

fn store_catalog(
    tx: &mut Transaction<'_>,
    data: &Dataset,
    batch: i64,
    by: Option<&Actor>,
) -> Result<i64> {
    let mut n = 0;
    for e in &data.catalog {
        let new = entry_json(e)?;
        let old: Option<String> = match by {
            Some(_) => tx
                .query_opt("SELECT entry FROM indicator WHERE key = $1", &[&e.key])?
                .map(|r| r.try_get(0))
                .transpose()?,
            None => None,
        };
        let changed = tx.execute(
            "INSERT INTO indicator(key, entry, import_id) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET entry = excluded.entry, import_id = excluded.import_id
             WHERE indicator.entry IS DISTINCT FROM excluded.entry",
            &[&e.key, &new, &batch],
        )? as i64;
        n += changed;
        if let (Some(by), 1) = (by, changed) {
            let ev =
                AuditEvent::new(by.at, &by.name, "catalog.change", &e.key).values(old, Some(new));
            let (sql, ps) = crate::accounts::audit_insert(&ev);
            let ps: Vec<Param<'_>> = ps.iter().map(|p| p as Param<'_>).collect();
            tx.execute(&dollar_params(sql), &ps)?;
        }
    }
    Ok(n)
}

impl PgStore {
    /// A read-only snapshot transaction (repeatable read): every read in it sees one state.
    fn snapshot<T>(&self, f: impl FnOnce(&RefCell<Transaction<'_>>) -> Result<T>) -> Result<T> {
        let mut client = self.client.borrow_mut();
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let cell = RefCell::new(tx);
        let out = f(&cell)?;
        cell.into_inner().commit()?;
        Ok(out)
    }

    fn query_rows(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        Ok(self.client.borrow_mut().query(sql, params)?)
    }
}

impl RowSource for PgStore {
    fn scan(&self, tables: &[&'static Table], sink: &mut RowSink<'_>) -> Result<()> {
        self.snapshot(|tx| {
            let mut tx = tx.borrow_mut();
            for t in tables {
                let order = t.order.join(", ");
                let sql = format!(
                    "SELECT {} FROM {} ORDER BY {order}",
                    t.column_list(),
                    t.name
                );
                let none: [Param<'_>; 0] = [];
                let mut rows = tx.query_raw(&sql, none)?;
                let types: Vec<Ty> = t.columns.iter().map(|(_, ty)| *ty).collect();
                let mut row = Vec::with_capacity(t.columns.len());
                while let Some(r) = rows.next()? {
                    fields_into(&r, &types, &mut row)?;
                    sink(t, &row)?;
                }
            }
            Ok(())
        })
    }
}

impl Store for PgStore {
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
        let client = self.client.get_mut();
        let mut tx = client.transaction()?;
        // One import at a time (SQLite's single writer): the duplicate check below then sees
        // every batch committed before, so two imports of one file cannot both land.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&IMPORT_LOCK])?;
        if let Some(row) = tx.query_opt(
            &format!("SELECT {BATCH_COLS} FROM import_batch WHERE sha256 = $1 \
                     AND NOT EXISTS (SELECT 1 FROM import_batch u WHERE u.sha256 = 'undo:' || import_batch.id) \
                     ORDER BY id LIMIT 1"),
            &[&source.sha256],
        )? {
            return Ok(ImportOutcome::AlreadyImported(batch_from_row(&row)?));
        }
        let batch: i64 = tx
            .query_one(
                // A dry run takes the next id by hand: a sequence value is not given back by the
                // rollback, and the real import after a preview should get the id the preview
                // showed, as on SQLite. The import lock keeps other imports out meanwhile.
                if opts.dry_run {
                    "INSERT INTO import_batch(id, file_name, sha256, format, rows_read, rows_stored, rows_revised, rows_unchanged, rows_skipped, diagnostics, imported_at, duration_ms, contents)
                     VALUES ((SELECT coalesce(max(id), 0) + 1 FROM import_batch), $1, $2, $3, $4, 0, 0, 0, 0, '[]', $5, 0, $6) RETURNING id"
                } else {
                    "INSERT INTO import_batch(file_name, sha256, format, rows_read, rows_stored, rows_revised, rows_unchanged, rows_skipped, diagnostics, imported_at, duration_ms, contents)
                     VALUES ($1, $2, $3, $4, 0, 0, 0, 0, '[]', $5, 0, $6) RETURNING id"
                },
                &[
                    &source.file_name,
                    &source.sha256,
                    &data.format,
                    &(data.rows_read as i64),
                    &now_iso(),
                    &contents_json(data)?,
                ],
            )?
            .try_get(0)?;
        let mut diags = data.diagnostics.clone();
        let (obs_stored, unchanged) = store_observations(&mut tx, data, batch)?;
        let revised: i64 = tx
            .query_one(
                "SELECT count(*) FROM observation_history WHERE superseded_by = $1",
                &[&batch],
            )?
            .try_get(0)?;
        let reg = store_register(&mut tx, data, batch)?;
        let bnd = store_boundaries(&mut tx, data, batch, &mut diags, &source.file_name)?;
        let cat = store_catalog(&mut tx, data, batch, by)?;
        let skipped = skipped_rows(&diags);
        let duration = started.elapsed().as_millis() as i64;
        tx.execute(
            "UPDATE import_batch SET rows_stored = $2, rows_revised = $3, rows_unchanged = $4, rows_skipped = $5, diagnostics = $6, duration_ms = $7 WHERE id = $1",
            &[&batch, &(obs_stored + reg + bnd + cat), &revised, &unchanged, &skipped, &diag_json(&diags), &duration],
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
            let ps: Vec<Param<'_>> = params.iter().map(|p| p as Param<'_>).collect();
            tx.execute(&dollar_params(sql), &ps)?;
        }
        if opts.dry_run {
            let row = tx.query_one(
                &format!("SELECT {BATCH_COLS} FROM import_batch WHERE id = $1"),
                &[&batch],
            )?;
            // Dropping the transaction rolls everything back.
            return Ok(ImportOutcome::Previewed(batch_from_row(&row)?));
        }
        tx.commit()?;
        let row = client.query_one(
            &format!("SELECT {BATCH_COLS} FROM import_batch WHERE id = $1"),
            &[&batch],
        )?;
        Ok(ImportOutcome::Imported(batch_from_row(&row)?))
    }

    fn imports(&self) -> Result<Vec<ImportBatch>> {
        self.query_rows(
            &format!("SELECT {BATCH_COLS} FROM import_batch ORDER BY id"),
            &[],
        )?
        .iter()
        .map(batch_from_row)
        .collect()
    }

    fn region(&self, key: &str) -> Result<Option<RegionInfo>> {
        let key = normalize_key(key);
        self.query_rows(
            &format!("SELECT {REGION_COLS} FROM region WHERE key = $1"),
            &[&key],
        )?
        .first()
        .map(region_from_row)
        .transpose()
    }

    fn search_regions(&self, text: &str, limit: usize) -> Result<Vec<RegionInfo>> {
        let t = text.trim();
        let key = normalize_key(t);
        // ILIKE where SQLite's LIKE ignores the case of ASCII letters (under `COLLATE "C"`
        // ILIKE folds ASCII only, as SQLite does); the text is matched literally.
        let (lk, lt) = (like_literal(&key), like_literal(t));
        self.query_rows(
            &format!(
                "SELECT {REGION_COLS} FROM region
                 WHERE key = $1 OR key ILIKE $2 ESCAPE '\\' OR name ILIKE $3 ESCAPE '\\' OR postcode = $4
                 ORDER BY (key = $1) DESC, (name ILIKE $6 ESCAPE '\\') DESC, (valid_to IS NULL) DESC, length(key), name, key
                 LIMIT $5"
            ),
            &[
                &key,
                &format!("{lk}%"),
                &format!("%{lt}%"),
                &t,
                &(limit as i64),
                &lt,
            ],
        )?
        .iter()
        .map(region_from_row)
        .collect()
    }

    fn children(&self, key: &str, at: Option<Period>) -> Result<Vec<RegionInfo>> {
        let key = normalize_key(key);
        let at = at.map(|p| p.iso());
        self.query_rows(
            &format!(
                "SELECT {REGION_COLS} FROM region WHERE parent = $1
                   AND ($2::text IS NULL OR (in_register = 1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to >= $2)))
                 ORDER BY key"
            ),
            &[&key, &at],
        )?
        .iter()
        .map(region_from_row)
        .collect()
    }

    fn changes(&self, key: &str) -> Result<Vec<ChangeInfo>> {
        let key = normalize_key(key);
        self.query_rows(
            "SELECT from_key, to_key, last_seen, first_gone, confirmed FROM region_change
             WHERE from_key = $1 OR to_key = $1 ORDER BY first_gone, from_key, to_key",
            &[&key],
        )?
        .iter()
        .map(|r| {
            Ok(ChangeInfo {
                from_key: r.try_get(0)?,
                to_key: r.try_get(1)?,
                last_seen: r.try_get(2)?,
                first_gone: r.try_get(3)?,
                confirmed: r.try_get::<_, i64>(4)? != 0,
            })
        })
        .collect()
    }

    fn snapshots(&self) -> Result<Vec<String>> {
        self.query_rows(
            "SELECT DISTINCT snapshot FROM region_snapshot ORDER BY snapshot",
            &[],
        )?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    fn measures(&self) -> Result<Vec<MeasureInfo>> {
        self.query_rows(
            "SELECT m.code, m.label, m.unit, m.statistic, count(o.measure_id), count(DISTINCT o.region_id), min(o.period), max(o.period),
                    count(DISTINCT o.period), count(DISTINCT o.breakdown_id), m.kind
             FROM measure m LEFT JOIN observation o ON o.measure_id = m.id GROUP BY m.id ORDER BY m.statistic, m.code",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(MeasureInfo {
                code: r.try_get(0)?,
                label: r.try_get(1)?,
                unit: r.try_get(2)?,
                statistic: r.try_get(3)?,
                values: r.try_get(4)?,
                regions: r.try_get(5)?,
                first: r.try_get::<_, Option<i64>>(6)?.and_then(period_from_code),
                last: r.try_get::<_, Option<i64>>(7)?.and_then(period_from_code),
                periods: r.try_get(8)?,
                breakdowns: r.try_get(9)?,
                kind: crate::bulk::stored_kind(
                    r.try_get::<_, Option<String>>(10)?.as_deref(),
                    &r.try_get::<_, String>(2)?,
                ),
            })
        })
        .collect()
    }

    fn query(&self, q: &ObservationQuery) -> Result<Vec<ObservationRow>> {
        let mut conds = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        let mut ints: Vec<i64> = Vec::new();
        // Placeholders are numbered in order: texts first ($1…), then periods.
        let mut text_in = |vals: Vec<String>| -> String {
            let start = texts.len();
            texts.extend(vals);
            (start..texts.len())
                .map(|i| format!("${}", i + 1))
                .collect::<Vec<_>>()
                .join(",")
        };
        if !q.measures.is_empty() {
            let p = text_in(q.measures.clone());
            conds.push(format!("m.code IN ({p})"));
        }
        if !q.regions.is_empty() {
            let p = text_in(q.regions.iter().map(|k| normalize_key(k)).collect());
            if q.include_children {
                conds.push(format!("(r.key IN ({p}) OR r.parent IN ({p}))"));
            } else {
                conds.push(format!("r.key IN ({p})"));
            }
        }
        if let Some(b) = &q.breakdown {
            let p = text_in(vec![b.clone()]);
            conds.push(format!("b.key = {p}"));
        }
        if !q.periods.is_empty() {
            let first = texts.len();
            ints.extend(q.periods.iter().map(|p| period_code(*p)));
            let p = (0..ints.len())
                .map(|i| format!("${}", first + i + 1))
                .collect::<Vec<_>>()
                .join(",");
            conds.push(format!("o.period IN ({p})"));
        }
        let where_ = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let cols = "r.key AS rk, r.name, m.code AS mc, m.label, m.unit, b.key AS bk, b.label, o.period AS per, o.num, o.sym, o.fmt, o.raw, o.quality, o.import_id";
        let joins = "JOIN measure m ON m.id = o.measure_id JOIN region r ON r.id = o.region_id JOIN breakdown b ON b.id = o.breakdown_id";
        let mut sql = format!(
            "SELECT {cols}, NULL::bigint AS sb, 1 AS cur FROM observation o {joins} {where_}"
        );
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
        let mut params: Vec<Param<'_>> = texts.iter().map(|t| t as Param<'_>).collect();
        params.extend(ints.iter().map(|i| i as Param<'_>));
        let mut out = Vec::new();
        for r in self.query_rows(&sql, &params)? {
            let code: i64 = r.try_get(7)?;
            out.push(ObservationRow {
                region_key: r.try_get(0)?,
                region_name: r.try_get(1)?,
                measure: r.try_get(2)?,
                measure_label: r.try_get(3)?,
                unit: r.try_get(4)?,
                breakdown: r.try_get(5)?,
                breakdown_label: r.try_get(6)?,
                period: period_from_code(code)
                    .ok_or_else(|| StoreError::Corrupt(format!("period code {code}")))?,
                value: value_from_parts(
                    r.try_get(8)?,
                    r.try_get(9)?,
                    r.try_get(10)?,
                    r.try_get(11)?,
                ),
                quality: r.try_get(12)?,
                import_id: r.try_get(13)?,
                superseded_by: r.try_get(14)?,
            });
        }
        Ok(out)
    }

    /// All counts from one snapshot, so that an import committing meanwhile is counted whole or
    /// not at all.
    fn summary(&self) -> Result<Summary> {
        self.snapshot(|tx| {
            let mut tx = tx.borrow_mut();
            let levels = tx
                .query(
                    "SELECT level, count(*) FROM region GROUP BY level ORDER BY count(*), level",
                    &[],
                )?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_>>()?;
            let mut c = |table: &str| -> Result<i64> {
                Ok(tx
                    .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
                    .try_get(0)?)
            };
            Ok(Summary {
                imports: c("import_batch")?,
                regions_by_level: levels,
                measures: c("measure")?,
                observations: c("observation")?,
                revisions: c("observation_history")?,
                boundaries: c("boundary")?,
                indicators: c("indicator")?,
                changes: c("region_change")?,
            })
        })
    }

    fn indicators(&self) -> Result<Vec<sozialmonitor_core::IndicatorEntry>> {
        self.query_rows("SELECT entry FROM indicator ORDER BY key", &[])?
            .iter()
            .map(|r| entry_from_json(&r.try_get::<_, String>(0)?))
            .collect()
    }

    fn frame(
        &self,
        measures: &[String],
        years: (u16, u16),
        territory: Territory,
    ) -> Result<sozialmonitor_core::frame::Frame> {
        self.snapshot(|tx| crate::bulk::frame(tx, measures, years, territory))
    }

    fn frame_at(
        &self,
        measures: &[String],
        years: (u16, u16),
        territory: Territory,
    ) -> Result<(sozialmonitor_core::frame::Frame, i64)> {
        self.snapshot(|tx| crate::bulk::frame_at(tx, measures, years, territory))
    }

    fn save_results(&mut self, results: &Results) -> Result<usize> {
        let client = self.client.get_mut();
        let mut tx = client.transaction()?;
        // Two processes saving at once (servers that each computed a stale cache) take turns;
        // without the lock the second's DELETE misses the first's rows and its inserts collide.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&RESULTS_LOCK])?;
        tx.batch_execute("DELETE FROM indicator_value; DELETE FROM indicator_cache")?;
        let ids: FxHashMap<String, i64> = tx
            .query("SELECT key, id FROM region", &[])?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_>>()?;
        let mut n = 0;
        {
            let sink = tx.copy_in(
                "COPY indicator_value (indicator, region_id, year, num, sym, flags) FROM STDIN (FORMAT binary)",
            )?;
            let types = [
                Type::TEXT,
                Type::INT8,
                Type::INT8,
                Type::FLOAT8,
                Type::INT8,
                Type::INT8,
            ];
            let mut w = BinaryCopyInWriter::new(sink, &types);
            for r in &results.rows {
                let (Some(id), Some((num, sym))) = (ids.get(&r.region), result_cell(r.cell)) else {
                    continue;
                };
                let year = i64::from(r.year);
                w.write(&[&r.indicator, id, &year, &num, &sym, &result_flags(r)])?;
                n += 1;
            }
            w.finish()?;
        }
        tx.execute(
            "INSERT INTO indicator_cache (id, data_version, territory, first_year, last_year, rules)
             VALUES (1, $1, $2, $3, $4, $5)",
            &[
                &results.data_version,
                &results.territory.code(),
                &i64::from(results.years.0),
                &i64::from(results.years.1),
                &i64::from(RULES_VERSION),
            ],
        )?;
        tx.commit()?;
        Ok(n)
    }

    fn results(&self, indicator: &str) -> Result<Option<Vec<ResultRow>>> {
        self.snapshot(|tx| {
            let mut tx = tx.borrow_mut();
            if !is_cached(&mut tx)? {
                return Ok(None);
            }
            let rows = tx.query(
                "SELECT v.indicator, r.key, v.year, v.num, v.sym, v.flags FROM indicator_value v
                 JOIN region r ON r.id = v.region_id WHERE v.indicator = $1 ORDER BY r.key, v.year",
                &[&indicator],
            )?;
            rows.iter()
                .map(|r| result_row(r, r.try_get(1)?))
                .collect::<Result<_>>()
                .map(Some)
        })
    }

    /// One query for all the indicators instead of one per indicator: each of those joined all
    /// regions again (100 ms apiece on a Germany-sized database). The region keys are read once,
    /// the rows streamed by indicator and sorted by region key and year per indicator.
    fn each_results(
        &self,
        indicators: &[String],
        f: &mut dyn FnMut(&str, Vec<ResultRow>) -> Result<()>,
    ) -> Result<bool> {
        self.snapshot(|tx| {
            let mut tx = tx.borrow_mut();
            if !is_cached(&mut tx)? {
                return Ok(false);
            }
            let mut keys: FxHashMap<i64, String> = FxHashMap::default();
            for r in tx.query("SELECT id, key FROM region", &[])? {
                keys.insert(r.try_get(0)?, r.try_get(1)?);
            }
            let mut rows = tx.query_raw(
                "SELECT indicator, region_id, year, num, sym, flags FROM indicator_value
                 WHERE indicator = ANY($1) ORDER BY indicator",
                [&indicators as Param<'_>],
            )?;
            let mut pending: std::collections::BTreeSet<&str> =
                indicators.iter().map(String::as_str).collect();
            let mut batch: Vec<ResultRow> = Vec::new();
            while let Some(r) = rows.next()? {
                let id: i64 = r.try_get(1)?;
                let region = keys.get(&id).cloned().ok_or_else(|| {
                    StoreError::Corrupt(format!("an indicator value of unknown region {id}"))
                })?;
                let row = result_row(&r, region)?;
                if batch.first().is_some_and(|b| b.indicator != row.indicator) {
                    hand_over(std::mem::take(&mut batch), &mut pending, f)?;
                }
                batch.push(row);
            }
            hand_over(batch, &mut pending, f)?;
            // Indicators without a single cached value get their empty list, as `results` gives.
            for key in pending {
                f(key, Vec::new())?;
            }
            Ok(true)
        })
    }

    fn cache_state(&self) -> Result<Option<(i64, i64, Territory)>> {
        self.snapshot(|tx| {
            let label = tx
                .borrow_mut()
                .query_opt(
                    "SELECT data_version, territory, rules FROM indicator_cache WHERE id = 1",
                    &[],
                )?
                .map(|r| -> Result<_> { Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)) })
                .transpose()?;
            Ok(crate::bulk::cache_state(label, tx.data_version()?))
        })
    }

    fn data_version(&self) -> Result<i64> {
        self.client.data_version()
    }

    fn boundaries(&self) -> Result<Vec<(String, Option<String>, String)>> {
        self.query_rows(
            "SELECT region_key, name, geojson FROM boundary ORDER BY region_key",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
    }

    fn is_publication(&self) -> Result<bool> {
        Ok(self
            .client
            .borrow_mut()
            .query_one("SELECT EXISTS(SELECT 1 FROM publication)", &[])?
            .try_get(0)?)
    }

    fn publish(&mut self, to: &Path) -> Result<Published> {
        SqliteStore::open(to)?.load_publication(self)
    }

    fn replace_all(&mut self, from: &dyn RowSource) -> Result<Counts> {
        let client = self.client.get_mut();
        let mut tx = client.transaction()?;
        let names: Vec<&str> = TABLES
            .iter()
            .map(|t| t.name)
            .chain(crate::transfer::NOT_MOVED.iter().copied())
            .collect();
        tx.batch_execute(&format!("TRUNCATE {}", names.join(", ")))?;
        let mut counts: Counts = Vec::new();
        let mut buffer: Vec<Vec<Field>> = Vec::new();
        let mut bytes = 0;
        let mut current: Option<&'static Table> = None;
        from.scan(&crate::transfer::all(), &mut |t, row| {
            let full = buffer.len() >= COPY_BATCH || bytes >= COPY_BYTES;
            if current.is_some_and(|c| c.name != t.name) || full {
                if let Some(c) = current {
                    copy_rows(&mut tx, c, &buffer)?;
                }
                buffer.clear();
                bytes = 0;
            }
            current = Some(t);
            bytes += row
                .iter()
                .map(|f| match f {
                    Field::Text(s) => s.len(),
                    _ => 8,
                })
                .sum::<usize>();
            buffer.push(row.to_vec());
            match counts.last_mut() {
                Some((name, n)) if *name == t.name => *n += 1,
                _ => counts.push((t.name, 1)),
            }
            Ok(())
        })?;
        if let Some(c) = current {
            copy_rows(&mut tx, c, &buffer)?;
        }
        // Generated ids go on after the copied ones.
        for t in TABLES.iter().filter(|t| t.generated_id) {
            tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', 'id'), coalesce((SELECT max(id) FROM {0}), 0) + 1, false)",
                    t.name
                ),
                &[],
            )?;
        }
        tx.commit()?;
        Ok(counts)
    }

    fn backup(&self, to: &Path) -> Result<()> {
        // One repeatable-read snapshot, written into a new SQLite file: the portable backup.
        SqliteStore::open(to)?.replace_all(self)?;
        Ok(())
    }

    fn size_bytes(&self) -> Result<u64> {
        let n: i64 = self
            .client
            .borrow_mut()
            .query_one("SELECT pg_database_size(current_database())", &[])?
            .try_get(0)?;
        Ok(n.max(0) as u64)
    }

    fn schema_version(&self) -> Result<(i64, i64)> {
        let v: i64 = self
            .client
            .borrow_mut()
            .query_opt("SELECT version FROM sozialmonitor_schema WHERE id = 1", &[])?
            .map(|r| r.try_get(0))
            .transpose()?
            .unwrap_or(0);
        Ok((v, MIGRATIONS.len() as i64))
    }

    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.shown)
    }
}

/// Writes rows of one table by binary `COPY`.
fn copy_rows(tx: &mut Transaction<'_>, t: &Table, rows: &[Vec<Field>]) -> Result<()> {
    let types: Vec<Type> = t
        .columns
        .iter()
        .map(|(_, ty)| match ty {
            Ty::Int => Type::INT8,
            Ty::Real => Type::FLOAT8,
            Ty::Text => Type::TEXT,
        })
        .collect();
    let sink = tx.copy_in(&format!(
        "COPY {} ({}) FROM STDIN (FORMAT binary)",
        t.name,
        t.column_list()
    ))?;
    let mut w = BinaryCopyInWriter::new(sink, &types);
    for row in rows {
        let params: Vec<Param<'_>> = row.iter().map(|f| f as Param<'_>).collect();
        w.write(&params)?;
    }
    w.finish()?;
    Ok(())
}

/// A moved field as a PostgreSQL value of the column's type.
impl ToSql for Field {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Field::Null => Ok(IsNull::Yes),
            Field::Int(i) => i.to_sql(ty, out),
            Field::Real(x) => x.to_sql(ty, out),
            Field::Text(s) => s.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::INT8 | Type::FLOAT8 | Type::TEXT)
    }

    to_sql_checked!();
}

impl<C: GenericClient> Reader for RefCell<C> {
    fn first_snapshot(&self) -> Result<Option<String>> {
        Ok(self
            .borrow_mut()
            .query_one("SELECT min(snapshot) FROM region_snapshot", &[])?
            .try_get(0)?)
    }

    fn grid_rows(&self) -> Result<Vec<GridRow>> {
        let rows = self.borrow_mut().query(
            "SELECT r.key, r.parent, r.in_register, r.last_data,
                    (SELECT min(c.last_seen) FROM region_change c WHERE c.from_key = r.key),
                    (SELECT min(c.first_gone) FROM region_change c WHERE c.from_key = r.key)
             FROM region r
             WHERE r.level IN ('germany', 'land', 'regbez', 'kreis', 'gemeinde')
             ORDER BY r.key",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(GridRow {
                    key: r.try_get(0)?,
                    parent: r.try_get(1)?,
                    in_register: r.try_get::<_, i64>(2)? != 0,
                    last_data: r.try_get(3)?,
                    gone_after: r.try_get(4)?,
                    first_gone: r.try_get(5)?,
                })
            })
            .collect()
    }

    fn grid_changes(&self) -> Result<Vec<GridChange>> {
        let rows = self.borrow_mut().query(
            "SELECT c.from_key, c.to_key, c.share, r.valid_from > c.last_seen
             FROM region_change c JOIN region r ON r.key = c.to_key ORDER BY c.from_key, c.to_key",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get::<_, Option<bool>>(3)?.unwrap_or(false),
                ))
            })
            .collect()
    }

    fn measure_meta(&self, code: &str) -> Result<Option<(i64, String, Option<String>)>> {
        self.borrow_mut()
            .query_opt(
                "SELECT id, unit, kind FROM measure WHERE code = $1",
                &[&code],
            )?
            .map(|r| -> Result<_> { Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)) })
            .transpose()
    }

    fn region_ids(&self) -> Result<Vec<(i64, String)>> {
        self.borrow_mut()
            .query("SELECT id, key FROM region", &[])?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    fn breakdowns(&self) -> Result<Vec<(i64, String)>> {
        self.borrow_mut()
            .query("SELECT id, key FROM breakdown", &[])?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    fn observations(
        &self,
        measure_id: i64,
        f: &mut dyn FnMut(i64, i64, i64, Option<f64>, Option<i64>),
    ) -> Result<()> {
        let mut c = self.borrow_mut();
        let mut rows = c.query_raw(
            "SELECT region_id, period, breakdown_id, num, sym FROM observation WHERE measure_id = $1
             ORDER BY CASE WHEN period < 10000 THEN period * 10000 + 1231 ELSE period END",
            [&measure_id as Param<'_>],
        )?;
        while let Some(r) = rows.next()? {
            f(
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            );
        }
        Ok(())
    }

    fn data_version(&self) -> Result<i64> {
        Ok(self
            .borrow_mut()
            .query_one("SELECT coalesce(max(id), 0)::bigint FROM import_batch", &[])?
            .try_get(0)?)
    }

    fn has_children_of_level(&self, parent: &str, level: &str) -> Result<bool> {
        Ok(self
            .borrow_mut()
            .query_one(
                "SELECT EXISTS(SELECT 1 FROM region WHERE parent = $1 AND level = $2)",
                &[&parent, &level],
            )?
            .try_get(0)?)
    }

    fn part_rows(&self, parent: &str, level: &str) -> Result<Vec<PartRow>> {
        let rows = self.borrow_mut().query(
            "SELECT r.key, r.in_register,
                    (SELECT min(c.last_seen) FROM region_change c WHERE c.from_key = r.key),
                    (SELECT max(c.last_seen) FROM region_change c WHERE c.to_key = r.key AND r.valid_from > c.last_seen),
                    r.last_data
             FROM region r WHERE r.parent = $1 AND r.level = $2 ORDER BY r.key",
            &[&parent, &level],
        )?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    r.try_get::<_, i64>(1)? != 0,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                ))
            })
            .collect()
    }
}

impl sozialmonitor_core::engine::Inputs for PgStore {
    fn get(
        &self,
        measure: &str,
        region: &RegionKey,
        period: Period,
        breakdown: &str,
    ) -> Option<sozialmonitor_core::engine::Cell> {
        let row = self
            .client
            .borrow_mut()
            .query_opt(
                "SELECT o.num, o.sym FROM observation o
                 JOIN measure m ON m.id = o.measure_id JOIN region r ON r.id = o.region_id JOIN breakdown b ON b.id = o.breakdown_id
                 WHERE m.code = $1 AND r.key = $2 AND o.period = $3 AND b.key = $4",
                &[&measure, &region.as_str(), &period_code(period), &breakdown],
            )
            .ok()??;
        Some(crate::bulk::stored_cell(
            row.try_get(0).ok()?,
            row.try_get(1).ok()?,
        ))
    }

    /// See SQLite's `additive`.
    fn additive(&self, measure: &str) -> bool {
        let row = self
            .client
            .borrow_mut()
            .query_opt(
                "SELECT kind, unit FROM measure WHERE code = $1",
                &[&measure],
            )
            .ok()
            .flatten();
        row.and_then(|r| {
            Some((
                r.try_get::<_, Option<String>>(0).ok()?,
                r.try_get::<_, String>(1).ok()?,
            ))
        })
        .is_some_and(|(kind, unit)| crate::bulk::stored_kind(kind.as_deref(), &unit).additive())
    }

    /// See [`crate::bulk::parts`].
    fn parts(&self, region: &RegionKey, period: Period) -> Vec<RegionKey> {
        crate::bulk::parts(&self.client, region, period)
    }
}

/// `?N` parameters as PostgreSQL's `$N` (the shared statements of [`crate::accounts`] use
/// SQLite's form; no `?` stands anywhere else in them).
fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// A row's columns as fields of the given types, into `out` (reused between rows of a scan).
fn fields_into(r: &Row, types: &[Ty], out: &mut Vec<Field>) -> Result<()> {
    out.clear();
    for (i, ty) in types.iter().enumerate() {
        out.push(match ty {
            Ty::Int => r
                .try_get::<_, Option<i64>>(i)?
                .map_or(Field::Null, Field::Int),
            Ty::Real => r
                .try_get::<_, Option<f64>>(i)?
                .map_or(Field::Null, Field::Real),
            Ty::Text => r
                .try_get::<_, Option<String>>(i)?
                .map_or(Field::Null, Field::Text),
        });
    }
    Ok(())
}

fn fields_of(r: &Row, types: &[Ty]) -> Result<Vec<Field>> {
    let mut out = Vec::with_capacity(types.len());
    fields_into(r, types, &mut out)?;
    Ok(out)
}

impl crate::accounts::Sql for PgStore {
    fn select(&self, sql: &str, params: &[Field], types: &[Ty]) -> Result<Vec<Vec<Field>>> {
        let ps: Vec<Param<'_>> = params.iter().map(|p| p as Param<'_>).collect();
        let rows = self.client.borrow_mut().query(&dollar_params(sql), &ps)?;
        rows.iter().map(|r| fields_of(r, types)).collect()
    }

    fn transact(
        &mut self,
        steps: &[crate::accounts::Step<'_>],
    ) -> Result<Vec<(Vec<Vec<Field>>, u64)>> {
        let client = self.client.get_mut();
        let mut tx = client.transaction()?;
        let mut out = Vec::with_capacity(steps.len());
        for s in steps {
            let params = s.params_with(&out)?;
            let ps: Vec<Param<'_>> = params.iter().map(|p| p as Param<'_>).collect();
            let sql = dollar_params(s.sql);
            if s.returns.is_empty() {
                out.push((Vec::new(), tx.execute(&sql, &ps)?));
            } else {
                let rows = tx.query(&sql, &ps)?;
                let fields = rows
                    .iter()
                    .map(|r| fields_of(r, s.returns))
                    .collect::<Result<Vec<_>>>()?;
                let n = fields.len() as u64;
                out.push((fields, n));
            }
            // Dropping the transaction rolls it back.
            s.check(out.last())?;
        }
        tx.commit()?;
        Ok(out)
    }
}

/// Whether the results cache has been filled.
fn is_cached(tx: &mut Transaction<'_>) -> Result<bool> {
    Ok(tx
        .query_one("SELECT EXISTS(SELECT 1 FROM indicator_cache)", &[])?
        .try_get(0)?)
}

/// One cached value from a row `(indicator, region, year, num, sym, flags)`, its region's key
/// given (the query joined it, or it was looked up).
fn result_row(r: &Row, region: String) -> Result<ResultRow> {
    let (year, flags): (i64, i64) = (r.try_get(2)?, r.try_get(5)?);
    Ok(ResultRow {
        indicator: r.try_get(0)?,
        region,
        year: u16::try_from(year).map_err(|_| StoreError::Corrupt(format!("year {year}")))?,
        cell: crate::bulk::stored_cell(r.try_get(3)?, r.try_get(4)?),
        incomplete: flags & 1 != 0,
        suppressed: flags & 2 != 0,
        equivalent: flags & 4 != 0,
    })
}

/// One indicator's streamed rows, sorted as `results` sorts them, to `f` (once per key).
fn hand_over(
    mut rows: Vec<ResultRow>,
    pending: &mut std::collections::BTreeSet<&str>,
    f: &mut dyn FnMut(&str, Vec<ResultRow>) -> Result<()>,
) -> Result<()> {
    let Some(key) = rows.first().map(|r| r.indicator.clone()) else {
        return Ok(());
    };
    if pending.remove(key.as_str()) {
        rows.sort_by(|a, b| (&a.region, a.year).cmp(&(&b.region, b.year)));
        f(&key, rows)?;
    }
    Ok(())
}
