//! What both backends share: the encoding of values, diagnostics and batches as stored, the
//! rules that decide whether a file is stored at all, the order observations are written in, and
//! the rebuild of regions and territorial changes from register snapshots. Only the SQL differs.

use std::collections::BTreeMap;

use sozialmonitor_core::territory::{SnapshotEntry, infer_successors};
use sozialmonitor_core::{Dataset, Diagnostic, RegionKey, Said, Severity, Symbol, Value};

use crate::{ImportOptions, ImportOutcome, Result, StoreError};

/// The columns of a region as read into [`crate::RegionInfo`].
pub(crate) const REGION_COLS: &str =
    "key, name, level, parent, verband, valid_from, valid_to, area_km2, population, postcode, kind";

/// The columns of a batch as read into [`crate::ImportBatch`].
pub(crate) const BATCH_COLS: &str = "id, file_name, sha256, format, rows_read, rows_stored, rows_revised, rows_unchanged, rows_skipped, diagnostics, imported_at, duration_ms, contents";

/// A key as stored: an ARS becomes the AGS; text that is no key is looked up as it is.
pub(crate) fn normalize_key(key: &str) -> String {
    RegionKey::parse(key)
        .map(|k| k.to_string())
        .unwrap_or_else(|_| key.to_string())
}

pub(crate) fn now_iso() -> String {
    // The import time is provenance, not data: computed numbers never depend on it.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    sozialmonitor_core::format::iso_datetime_utc(secs)
}

pub(crate) fn diag_json(d: &[Diagnostic]) -> String {
    let v: Vec<serde_json::Value> = d
        .iter()
        .map(|d| {
            serde_json::json!({
                "file": d.file, "line": d.line, "column": d.column,
                "severity": if d.severity == Severity::Error { "error" } else { "warning" },
                "message": d.message.english(), "hint": d.hint.as_ref().map(Said::english),
                "message_de": d.message.german(), "hint_de": d.hint.as_ref().map(Said::german),
            })
        })
        .collect();
    serde_json::Value::Array(v).to_string()
}

pub(crate) fn diag_from_json(s: &str) -> Vec<Diagnostic> {
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
            message: said_of(&d["message"], &d["message_de"]).unwrap_or_else(|| Said::both("", "")),
            hint: said_of(&d["hint"], &d["hint_de"]),
        })
        .collect()
}

/// A stored message in both languages; batches stored before the German wording was kept have
/// only the English one, which then stands for both.
fn said_of(english: &serde_json::Value, german: &serde_json::Value) -> Option<Said> {
    let english = english.as_str()?;
    Some(Said::both(english, german.as_str().unwrap_or(english)))
}

pub(crate) fn value_parts(v: &Value) -> (Option<f64>, Option<i64>, i64, Option<&str>) {
    (
        v.number,
        v.symbol.map(|s| s.code() as i64),
        v.decimals as i64 | (v.flags as i64) << 8,
        v.raw.as_deref(),
    )
}

pub(crate) fn value_from_parts(
    num: Option<f64>,
    sym: Option<i64>,
    fmt: i64,
    raw: Option<String>,
) -> Value {
    Value {
        number: num,
        symbol: sym.and_then(|s| Symbol::from_code(s as u8)),
        decimals: (fmt & 0xff) as u8,
        flags: ((fmt >> 8) & 0xff) as u8,
        raw: raw.map(Into::into),
    }
}

/// [`Dataset::contents`] as stored with the batch.
pub(crate) fn contents_json(data: &Dataset) -> Result<String> {
    serde_json::to_string(&data.contents()).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Text to be matched literally by `LIKE … ESCAPE '\'`: the wildcards `%`, `_` and the escape
/// character itself are escaped (a search for `50%` or `a_b` finds those characters).
pub(crate) fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The outcome for a file that must not be stored at all, or `None` if it may be.
///
/// An error about the whole file (line 0: unreadable, a failed importer, a file-wide
/// inconsistency) leaves no good rows to keep, so even `skip_bad_rows` must not record the file as
/// imported: its hash would make the same file count as done after a fix.
pub(crate) fn rejection(data: &Dataset, opts: ImportOptions) -> Option<ImportOutcome> {
    let whole_file_error = data
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error && d.line == 0);
    (data.has_errors() && (!opts.skip_bad_rows || whole_file_error))
        .then(|| ImportOutcome::Rejected(data.diagnostics.clone()))
}

/// The number of bad rows skipped: distinct lines with an error.
pub(crate) fn skipped_rows(diags: &[Diagnostic]) -> i64 {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error && d.line > 0)
        .map(|d| d.line)
        .collect::<std::collections::BTreeSet<_>>()
        .len() as i64
}

/// A stored observation key: `(measure id, region id, period code, breakdown id)` packed so that
/// its order is the primary key's order.
pub(crate) fn pack_key(measure: i64, region: i64, period: u32, breakdown: i64) -> u128 {
    (measure as u128) << 96 | (region as u128) << 64 | (period as u128) << 32 | breakdown as u128
}

/// The parts of a packed key as the columns store them.
pub(crate) fn unpack_key(k: u128) -> [i64; 4] {
    [
        (k >> 96) as i64,
        ((k >> 64) as u32) as i64,
        ((k >> 32) as u32) as i64,
        (k as u32) as i64,
    ]
}

/// The observations to write, as `(packed key, index)` in primary-key order (so a B-tree grows at
/// its end instead of splitting pages), one per cell: where a cell occurs twice (a conflicting
/// duplicate kept under `skip_bad_rows`), the later row of the file wins, as it would by a second
/// write.
pub(crate) fn write_order(
    data: &Dataset,
    mids: &[i64],
    rids: &[i64],
    bids: &[i64],
) -> Vec<(u128, u32)> {
    let mut order: Vec<(u128, u32)> = data
        .observations
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let k = pack_key(
                mids[o.measure as usize],
                rids[o.region as usize],
                o.period.code(),
                bids[o.breakdown as usize],
            );
            (k, i as u32)
        })
        .collect();
    order.sort_unstable();
    // Equal keys are adjacent and ordered by file position: keep the last of each run.
    let mut out: Vec<(u128, u32)> = Vec::with_capacity(order.len());
    for e in order {
        match out.last_mut() {
            Some(last) if last.0 == e.0 => *last = e,
            _ => out.push(e),
        }
    }
    out
}

/// Per region id, the end (`yyyymmdd`) of the last period with a published number (not `-`), for
/// the region's `last_data` (see migration 0002).
pub(crate) fn last_data(data: &Dataset, rids: &[i64]) -> Vec<(i64, i64)> {
    let mut last: BTreeMap<i64, i64> = BTreeMap::new();
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
    last.into_iter().collect()
}

/// A region's name as data names it: the file's name, else its key.
pub(crate) fn data_name<'a>(key: &'a RegionKey, name: Option<&'a str>) -> &'a str {
    name.map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(key.as_str())
}

/// One row of `region_snapshot` as the rebuild reads it.
#[derive(Debug, Clone)]
pub(crate) struct SnapshotRow {
    pub key: String,
    pub snapshot: String,
    pub name: String,
    pub level: String,
    pub parent: Option<String>,
    pub verband: Option<String>,
    pub area_km2: Option<f64>,
    pub population: Option<i64>,
    pub postcode: Option<String>,
    pub kind: Option<String>,
}

/// A region as the registers describe it, to be written with `in_register = 1`.
pub(crate) struct RegisteredRegion<'a> {
    pub latest: &'a SnapshotRow,
    pub valid_from: &'a str,
    pub valid_to: Option<&'a str>,
}

/// A territorial change between consecutive snapshots.
pub(crate) struct ChangeRow<'a> {
    pub from: String,
    pub to: String,
    pub last_seen: &'a str,
    pub first_gone: &'a str,
    pub confirmed: bool,
}

/// What all register snapshots say: every region with its validity, and the territorial changes
/// of municipalities. `rows` must be ordered by key, then snapshot.
pub(crate) fn rebuild_plan(
    rows: &[SnapshotRow],
) -> (Vec<RegisteredRegion<'_>>, Vec<ChangeRow<'_>>) {
    let mut snaps: Vec<&str> = rows.iter().map(|r| r.snapshot.as_str()).collect();
    snaps.sort_unstable();
    snaps.dedup();
    // A region is dissolved when a later snapshot of its level no longer lists it: registers of
    // Ortsteile and official registers are dated independently.
    let mut latest_of_level: BTreeMap<&str, &str> = BTreeMap::new();
    for r in rows {
        let e = latest_of_level
            .entry(r.level.as_str())
            .or_insert(r.snapshot.as_str());
        if r.snapshot.as_str() > *e {
            *e = r.snapshot.as_str();
        }
    }
    let mut regions = Vec::new();
    for group in rows.chunk_by(|a, b| a.key == b.key) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let latest = latest_of_level
            .get(last.level.as_str())
            .copied()
            .unwrap_or(last.snapshot.as_str());
        regions.push(RegisteredRegion {
            latest: last,
            valid_from: first.snapshot.as_str(),
            valid_to: (last.snapshot != latest).then_some(last.snapshot.as_str()),
        });
    }
    let entries = |snap: &str| -> Vec<SnapshotEntry> {
        rows.iter()
            .filter(|r| r.snapshot == snap && r.level == "gemeinde")
            .filter_map(|r| {
                Some(SnapshotEntry {
                    key: RegionKey::parse(&r.key).ok()?,
                    area_km2: r.area_km2.unwrap_or(0.0),
                })
            })
            .collect()
    };
    let mut changes: BTreeMap<(String, String, &str), ChangeRow<'_>> = BTreeMap::new();
    for w in snaps.windows(2) {
        let (old, new) = (entries(w[0]), entries(w[1]));
        if old.is_empty() || new.is_empty() {
            continue;
        }
        for c in infer_successors(&old, &new) {
            let row = ChangeRow {
                from: c.from.to_string(),
                to: c.to.to_string(),
                last_seen: w[0],
                first_gone: w[1],
                confirmed: c.confirmed,
            };
            // The primary key (from, to, first_gone): a repeated change replaces the earlier.
            changes.insert((row.from.clone(), row.to.clone(), w[1]), row);
        }
    }
    (regions, changes.into_values().collect())
}

/// The warning for boundaries whose key names no region.
pub(crate) fn unmatched_boundaries(file: &str, unmatched: &[String]) -> Option<Diagnostic> {
    if unmatched.is_empty() {
        return None;
    }
    let shown: Vec<&str> = unmatched.iter().take(10).map(String::as_str).collect();
    Some(
        Diagnostic::warning(
            file,
            0,
            0,
            Said::both(
                format!("{} boundaries match no region in the store (e.g. {}); they are kept and will match once a register names them", unmatched.len(), shown.join(", ")),
                format!("{} Gebietsgrenzen passen zu keiner gespeicherten Region (z. B. {}); sie bleiben erhalten und werden zugeordnet, sobald ein Gemeindeverzeichnis die Schlüssel nennt", unmatched.len(), shown.join(", ")),
            ),
        )
        .with_hint(Said::both(
            "import the GV100AD register first, or check the key attribute",
            "zuerst das Gemeindeverzeichnis GV100AD importieren oder das Schlüsselattribut prüfen",
        )),
    )
}

/// A boundary's geometry as stored: a GeoJSON MultiPolygon.
pub(crate) fn boundary_json(b: &sozialmonitor_core::Boundary) -> String {
    serde_json::json!({ "type": "MultiPolygon", "coordinates": b.polygons }).to_string()
}

/// A catalogue entry as stored (JSON).
pub(crate) fn entry_json(e: &sozialmonitor_core::IndicatorEntry) -> Result<String> {
    serde_json::to_string(e).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A stored catalogue entry.
pub(crate) fn entry_from_json(json: &str) -> Result<sozialmonitor_core::IndicatorEntry> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("catalogue entry: {e}")))
}

/// The flags column of a cached indicator value.
pub(crate) fn result_flags(r: &crate::ResultRow) -> i64 {
    i64::from(r.incomplete) | (i64::from(r.suppressed) << 1) | (i64::from(r.equivalent) << 2)
}

/// A cached value's cell as stored: `(num, sym)`, `None` for a missing one (not stored).
pub(crate) fn result_cell(
    c: sozialmonitor_core::engine::Cell,
) -> Option<(Option<f64>, Option<i64>)> {
    use sozialmonitor_core::engine::Cell;
    match c {
        Cell::Num(x) => Some((Some(x), None)),
        Cell::Sym(s) => Some((None, Some(i64::from(s.code())))),
        Cell::Missing => None,
    }
}
