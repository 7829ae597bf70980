//! Storage of Sozialmonitor: the [`Store`] trait, its SQLite and PostgreSQL implementations and
//! [`Database`], the one type callers hold, chosen by a [`Location`] (`--db`). All SQL lives in
//! this crate; nothing outside it names a backend.

pub mod accounts;
mod bulk;
mod common;
pub mod currency;
mod database;
pub mod network;
mod pg;
pub mod planning;
pub mod services;
mod sqlite;
pub mod testing;
pub mod tokens;
pub mod transfer;
pub mod writing;

use std::path::Path;

use sozialmonitor_core::engine::Cell;
use sozialmonitor_core::{Dataset, Diagnostic, Period, RegionLevel, Value};

pub use accounts::{
    Account, AccountChange, Accounts, AuditEvent, AuditFilter, NewAccount, Session,
};
pub use bulk::{Published, stored_kind};
pub use database::{Database, Location};
pub use network::{
    ContactPerson, Impulse, Membership, Network, NetworkRecords, Organisation, ParticipationEvent,
    WorkingGroup,
};
pub use planning::{
    Cycle, CycleRecords, Decision, Deletable, MeasureAim, Milestone, PlanMeasure, Planning,
    Priority, Recommendation,
};
pub use services::{Service, Services};
pub use tokens::{ApiToken, ApiTokens, NewApiToken};
pub use transfer::{Counts, Field, RowSink, RowSource, Table};
pub use writing::{CommentaryVersion, ReportInfo, Undo, Undone, Writing};

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    /// PostgreSQL reported an error (shown with the server's message and detail, which
    /// `postgres::Error` alone leaves out).
    #[error("PostgreSQL: {}", pg::message(.0))]
    Postgres(#[from] postgres::Error),
    /// A database location that names no database this program can open.
    #[error("{0}")]
    Location(String),
    /// The database was written by a newer version of Sozialmonitor.
    #[error(
        "the database has schema version {found}, this program knows up to {known}; update sozialmonitor"
    )]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Highest version this build knows.
        known: i64,
    },
    /// A change that contradicts what is stored (an account name taken, an id unknown).
    #[error("{0}")]
    Conflict(String),
    /// Stored data that cannot be decoded (a bug or a hand-edited database).
    #[error("corrupt data in the database: {0}")]
    Corrupt(String),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, StoreError>;

/// What identifies the file an import comes from.
#[derive(Debug, Clone)]
pub struct ImportSource {
    /// File name as the user gave it.
    pub file_name: String,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
}

/// Who does something, and when (Unix seconds), for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Login name, or `cli:<system user>`.
    pub name: String,
    /// Unix seconds.
    pub at: i64,
}

/// Choices the user makes for one import.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Import the good rows of a file that has bad ones (the bad ones are listed).
    pub skip_bad_rows: bool,
    /// Run the whole import and roll it back: the counts say what the file would change
    /// (new, revised, unchanged values) and nothing is stored (the workspace's preview).
    pub dry_run: bool,
}

/// The outcome of one import.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportOutcome {
    /// Stored as a new batch.
    Imported(ImportBatch),
    /// The identical file was imported before; nothing changed.
    AlreadyImported(ImportBatch),
    /// The file has errors and `skip_bad_rows` was not chosen; nothing changed.
    Rejected(Vec<Diagnostic>),
    /// A dry run: what the import would have stored (the batch as it would be, with its
    /// counts); nothing changed.
    Previewed(ImportBatch),
}

/// One recorded import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportBatch {
    /// Batch number.
    pub id: i64,
    /// File name.
    pub file_name: String,
    /// Hex SHA-256.
    pub sha256: String,
    /// Format identifier.
    pub format: String,
    /// Data rows read.
    pub rows_read: i64,
    /// Values, regions, boundaries or catalogue entries newly stored or changed.
    pub rows_stored: i64,
    /// Values that replaced a different earlier value (the earlier one is kept as history).
    pub rows_revised: i64,
    /// Values identical to what was stored.
    pub rows_unchanged: i64,
    /// Rows skipped because they were bad (with `skip_bad_rows`).
    pub rows_skipped: i64,
    /// All diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    /// When (ISO 8601, UTC).
    pub imported_at: String,
    /// How long it took.
    pub duration_ms: i64,
    /// What its values hold, per statistic (empty for registers, boundaries, the catalogue and
    /// batches imported before this was recorded).
    pub contents: Vec<sozialmonitor_core::Content>,
}

/// A region as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionInfo {
    /// Key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Level.
    pub level: RegionLevel,
    /// Parent key.
    pub parent: Option<String>,
    /// Gemeindeverband key.
    pub verband: Option<String>,
    /// First known existence (ISO date).
    pub valid_from: Option<String>,
    /// Last day of existence (ISO date) if dissolved.
    pub valid_to: Option<String>,
    /// Area.
    pub area_km2: Option<f64>,
    /// Population.
    pub population: Option<i64>,
    /// Postcode.
    pub postcode: Option<String>,
    /// Kind (Stadt, Landkreis ...).
    pub kind: Option<String>,
}

/// A territorial change as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeInfo {
    /// Dissolved region.
    pub from_key: String,
    /// Successor.
    pub to_key: String,
    /// Last snapshot listing `from_key`.
    pub last_seen: String,
    /// First snapshot without it.
    pub first_gone: String,
    /// Whether the area balance confirmed it.
    pub confirmed: bool,
}

/// A measure with its coverage.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureInfo {
    /// Code.
    pub code: String,
    /// Label.
    pub label: String,
    /// Unit.
    pub unit: String,
    /// Statistic or table.
    pub statistic: String,
    /// Number of values.
    pub values: i64,
    /// How its numbers behave (declared, or a count).
    pub kind: sozialmonitor_core::MeasureKind,
    /// Number of distinct regions.
    pub regions: i64,
    /// First period.
    pub first: Option<Period>,
    /// Last period.
    pub last: Option<Period>,
    /// Number of distinct periods.
    pub periods: i64,
    /// Number of distinct breakdowns.
    pub breakdowns: i64,
}

/// Which values to fetch.
#[derive(Debug, Clone, Default)]
pub struct ObservationQuery {
    /// Measure codes (empty: all).
    pub measures: Vec<String>,
    /// Region keys (empty: all).
    pub regions: Vec<String>,
    /// Also the regions directly below the given ones.
    pub include_children: bool,
    /// Periods (empty: all).
    pub periods: Vec<Period>,
    /// Breakdown key (`None`: all breakdowns, `Some("")`: the total only).
    pub breakdown: Option<String>,
    /// Also superseded values (revisions), oldest first.
    pub history: bool,
    /// At most this many rows.
    pub limit: Option<usize>,
}

/// One value as fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationRow {
    /// Region key.
    pub region_key: String,
    /// Region name.
    pub region_name: String,
    /// Measure code.
    pub measure: String,
    /// Measure label.
    pub measure_label: String,
    /// Unit.
    pub unit: String,
    /// Breakdown key (`''` for the total).
    pub breakdown: String,
    /// Breakdown label.
    pub breakdown_label: String,
    /// Period.
    pub period: Period,
    /// The value.
    pub value: Value,
    /// Quality column as published.
    pub quality: Option<String>,
    /// Batch it came from.
    pub import_id: i64,
    /// For history rows: the batch that replaced it.
    pub superseded_by: Option<i64>,
}

/// Counts of what a store holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Import batches.
    pub imports: i64,
    /// Regions by level code.
    pub regions_by_level: Vec<(String, i64)>,
    /// Measures.
    pub measures: i64,
    /// Current values.
    pub observations: i64,
    /// Superseded values.
    pub revisions: i64,
    /// Boundaries.
    pub boundaries: i64,
    /// Catalogue entries.
    pub indicators: i64,
    /// Territorial changes.
    pub changes: i64,
}

/// The storage interface every caller uses.
pub trait Store: RowSource {
    /// Stores one file's dataset as one batch, in one transaction.
    fn import(
        &mut self,
        source: &ImportSource,
        data: &Dataset,
        opts: ImportOptions,
    ) -> Result<ImportOutcome> {
        self.import_by(source, data, opts, None)
    }
    /// [`Store::import`] on behalf of someone: the audit event `import.commit` (who, when, the
    /// batch and its counts) is written in the import's own transaction, so an import is never
    /// without its event, nor an event without its import.
    fn import_by(
        &mut self,
        source: &ImportSource,
        data: &Dataset,
        opts: ImportOptions,
        by: Option<&Actor>,
    ) -> Result<ImportOutcome>;
    /// All batches, oldest first.
    fn imports(&self) -> Result<Vec<ImportBatch>>;
    /// A region by key (an ARS is accepted and mapped to the AGS).
    fn region(&self, key: &str) -> Result<Option<RegionInfo>>;
    /// Regions whose name or key contains the text (or whose postcode is it).
    fn search_regions(&self, text: &str, limit: usize) -> Result<Vec<RegionInfo>>;
    /// The regions directly below a region; with `at`, only those a register lists as valid on
    /// that date (regions known only from statistics files have no validity and are left out).
    fn children(&self, key: &str, at: Option<Period>) -> Result<Vec<RegionInfo>>;
    /// Territorial changes a region took part in.
    fn changes(&self, key: &str) -> Result<Vec<ChangeInfo>>;
    /// The register snapshot dates known.
    fn snapshots(&self) -> Result<Vec<String>>;
    /// Measures with their coverage.
    fn measures(&self) -> Result<Vec<MeasureInfo>>;
    /// Values.
    fn query(&self, q: &ObservationQuery) -> Result<Vec<ObservationRow>>;
    /// Counts.
    fn summary(&self) -> Result<Summary>;
    /// The indicator catalogue, by key.
    fn indicators(&self) -> Result<Vec<sozialmonitor_core::IndicatorEntry>>;
    /// The series of these measures (all breakdowns) for every region and year of the range, on
    /// the territory chosen, ready for bulk evaluation (not yet aggregated).
    fn frame(
        &self,
        measures: &[String],
        years: (u16, u16),
        territory: Territory,
    ) -> Result<sozialmonitor_core::frame::Frame>;
    /// [`Store::frame`] and the data version it reflects, read in one transaction.
    fn frame_at(
        &self,
        measures: &[String],
        years: (u16, u16),
        territory: Territory,
    ) -> Result<(sozialmonitor_core::frame::Frame, i64)>;
    /// Replaces the cached indicator values with these.
    fn save_results(&mut self, results: &Results) -> Result<usize>;
    /// Cached values of one indicator (all regions and years); `None` if nothing is cached.
    fn results(&self, indicator: &str) -> Result<Option<Vec<ResultRow>>>;
    /// The cached values of each of `indicators`, handed to `f` one indicator at a time (every
    /// key once, in no particular order; rows ordered by region key and year as
    /// [`Store::results`] gives them), for loading the dashboard; `false`, without calling `f`,
    /// when nothing is cached. `f` must not use the store (PostgreSQL streams meanwhile). The
    /// default asks for one indicator after another.
    fn each_results(
        &self,
        indicators: &[String],
        f: &mut dyn FnMut(&str, Vec<ResultRow>) -> Result<()>,
    ) -> Result<bool> {
        if self.cache_state()?.is_none() {
            return Ok(false);
        }
        let keys: std::collections::BTreeSet<&String> = indicators.iter().collect();
        for key in keys {
            f(key, self.results(key)?.unwrap_or_default())?;
        }
        Ok(true)
    }
    /// The state of the cache: `(data version it was computed from, current data version)`.
    fn cache_state(&self) -> Result<Option<(i64, i64, Territory)>>;
    /// The current data version: the newest import batch (0 for none).
    fn data_version(&self) -> Result<i64>;
    /// All boundaries as (region key, name, GeoJSON geometry), by key.
    fn boundaries(&self) -> Result<Vec<(String, Option<String>, String)>>;
    /// Whether this database is a publication (written by [`Store::publish`]): it is served as
    /// it is and never recomputed.
    fn is_publication(&self) -> Result<bool>;
    /// Writes a public-only SQLite database to the new file `to`: regions, territorial changes,
    /// boundaries, the catalogue, the import history without its diagnostics (which quote file
    /// lines) and the public side of the results cache. A withheld value is written as `.`
    /// without its number; observations, their history and measures are not copied, so the host
    /// that serves it holds no confidential value. The cache must be fresh (the caller checks).
    fn publish(&mut self, to: &Path) -> Result<Published>;
    /// Replaces everything in this database by the rows of `from`, in one transaction.
    fn replace_all(&mut self, from: &dyn RowSource) -> Result<Counts>;
    /// The space the database takes (SQLite: pages in use; PostgreSQL: `pg_database_size`).
    fn size_bytes(&self) -> Result<u64>;
    /// Writes a consistent snapshot into the new SQLite file `to` while others keep reading and
    /// writing.
    fn backup(&self, to: &Path) -> Result<()>;
    /// `(schema version of the database, newest version this program knows)`.
    fn schema_version(&self) -> Result<(i64, i64)>;
    /// Where this database is, for messages (a PostgreSQL password is never shown).
    fn describe(&self) -> String;
}

/// Whose territory a series describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Territory {
    /// Merged municipalities' predecessors summed into their successor for the years before the
    /// merger, so a series is comparable over time (the default).
    #[default]
    Today,
    /// Every value on the territory of its time, as published.
    AsPublished,
}

impl Territory {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Territory::Today => "today",
            Territory::AsPublished => "published",
        }
    }

    /// Parses a code (`today`, `published`; German `heute`, `veroeffentlicht` too).
    pub fn parse(s: &str) -> Option<Territory> {
        match s {
            "today" | "heute" => Some(Territory::Today),
            "published" | "as-published" | "veroeffentlicht" | "veröffentlicht" => {
                Some(Territory::AsPublished)
            }
            _ => None,
        }
    }

    /// German label.
    pub fn label_de(self) -> &'static str {
        match self {
            Territory::Today => "Gebietsstand heute",
            Territory::AsPublished => "Gebietsstand der jeweiligen Zeit",
        }
    }
}

/// Computed indicator values to cache.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// Territory they were computed on.
    pub territory: Territory,
    /// Year range.
    pub years: (u16, u16),
    /// The data version (newest import) the inputs were read at, from [`Store::frame_at`].
    pub data_version: i64,
    /// `(indicator, region key, year, cell, incomplete, suppressed)`.
    pub rows: Vec<ResultRow>,
}

/// One cached value.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    /// Indicator key.
    pub indicator: String,
    /// Region key.
    pub region: String,
    /// Year.
    pub year: u16,
    /// The value.
    pub cell: Cell,
    /// Rests on an incomplete sum.
    pub incomplete: bool,
    /// Suppressed for the public by our rules.
    pub suppressed: bool,
    /// Taken from the indicator's published equivalent (INKAR) where our own computation has
    /// no value.
    pub equivalent: bool,
}

/// Encodes a period as stored: `yyyy` for a year, `yyyymmdd` for a date.
pub fn period_code(p: Period) -> i64 {
    p.code() as i64
}

/// Inverse of [`period_code`].
pub fn period_from_code(c: i64) -> Option<Period> {
    u32::try_from(c).ok().and_then(Period::from_code)
}
