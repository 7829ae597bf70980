//! [`Location`], where a database is (`--db`), and [`Database`], the store callers hold: one
//! type over both backends, so that no caller names one.

use std::fmt;
use std::path::{Path, PathBuf};

use sozialmonitor_core::engine::{Cell, Inputs};
use sozialmonitor_core::frame::Frame;
use sozialmonitor_core::{Dataset, IndicatorEntry, Period, RegionKey};

use crate::pg::PgStore;
use crate::sqlite::SqliteStore;
use crate::*;

/// Where a database is: a SQLite file or a PostgreSQL server.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file (`demo.sqlite`, `sqlite:demo.sqlite`, `sqlite:///srv/demo.sqlite`).
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (`postgres://user:pw@host:5432/db`, or the key=value form
    /// after `postgres:`).
    Postgres(String),
}

impl Location {
    /// Reads a location as the user writes it. Anything without a known scheme is a file path.
    pub fn parse(text: &str) -> Result<Location> {
        let t = text.trim();
        if t.is_empty() {
            return Err(StoreError::Location(
                "no database given; use a file name (sozialmonitor.sqlite) or postgres://…".into(),
            ));
        }
        if t.starts_with("postgres://") || t.starts_with("postgresql://") {
            return Ok(Location::Postgres(t.to_string()));
        }
        if let Some(conf) = t.strip_prefix("postgres:") {
            return Ok(Location::Postgres(conf.trim().to_string()));
        }
        if let Some(path) = t
            .strip_prefix("sqlite://")
            .or_else(|| t.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(StoreError::Location(format!(
                    "`{t}` names no file; write sqlite:FILE"
                )));
            }
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = t.split_once("://") {
            return Err(StoreError::Location(format!(
                "unknown database scheme `{scheme}://`; use a file name, sqlite:FILE or postgres://…"
            )));
        }
        Ok(Location::Sqlite(PathBuf::from(t)))
    }

    /// A SQLite file location.
    pub fn file(path: &Path) -> Location {
        Location::Sqlite(path.to_path_buf())
    }

    /// The location as `--db` takes it, password included (for starting another process).
    pub fn as_arg(&self) -> String {
        match self {
            Location::Sqlite(p) => p.to_string_lossy().into_owned(),
            Location::Postgres(c) if c.contains("://") => c.clone(),
            Location::Postgres(c) => format!("postgres:{c}"),
        }
    }

    /// Whether a database is there without creating one: a SQLite file must exist; a PostgreSQL
    /// server is asked when opened.
    pub fn exists(&self) -> bool {
        match self {
            Location::Sqlite(p) => p.exists(),
            Location::Postgres(_) => true,
        }
    }
}

/// Shown without a password: `postgres://user:***@host/db`.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(url) => write!(f, "{}", redact(url)),
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A connection string with its password replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    if let Some(rest) = url.split_once("://").map(|(_, r)| r)
        && let Some((userinfo, _)) = rest.split_once('@')
        && let Some((_, pw)) = userinfo.split_once(':')
        && !pw.is_empty()
    {
        return url.replacen(&format!(":{pw}@"), ":***@", 1);
    }
    // key=value form: password=… up to the next space.
    url.split_whitespace()
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The store callers hold.
pub enum Database {
    /// A SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database.
    Postgres(Box<PgStore>),
}

impl Database {
    /// Opens (creating a SQLite file if needed) and brings the schema up to date; a database
    /// written by a newer program is refused.
    pub fn open(at: &Location) -> Result<Database> {
        Ok(match at {
            Location::Sqlite(p) => Database::Sqlite(SqliteStore::open(p)?),
            Location::Postgres(url) => Database::Postgres(Box::new(PgStore::open(url)?)),
        })
    }

    /// Opens an existing database; `Ok(None)` for a SQLite file that does not exist.
    pub fn open_existing(at: &Location) -> Result<Option<Database>> {
        if !at.exists() {
            return Ok(None);
        }
        Database::open(at).map(Some)
    }

    /// An empty in-memory SQLite database (tests).
    pub fn in_memory() -> Result<Database> {
        Ok(Database::Sqlite(SqliteStore::in_memory()?))
    }
}

macro_rules! each {
    ($self:expr, $s:ident => $e:expr) => {
        match $self {
            Database::Sqlite($s) => $e,
            Database::Postgres($s) => $e,
        }
    };
}

impl Store for Database {
    fn import(
        &mut self,
        source: &ImportSource,
        data: &Dataset,
        opts: ImportOptions,
    ) -> Result<ImportOutcome> {
        each!(self, s => s.import(source, data, opts))
    }
    fn imports(&self) -> Result<Vec<ImportBatch>> {
        each!(self, s => s.imports())
    }
    fn region(&self, key: &str) -> Result<Option<RegionInfo>> {
        each!(self, s => s.region(key))
    }
    fn search_regions(&self, text: &str, limit: usize) -> Result<Vec<RegionInfo>> {
        each!(self, s => s.search_regions(text, limit))
    }
    fn children(&self, key: &str, at: Option<Period>) -> Result<Vec<RegionInfo>> {
        each!(self, s => s.children(key, at))
    }
    fn changes(&self, key: &str) -> Result<Vec<ChangeInfo>> {
        each!(self, s => s.changes(key))
    }
    fn snapshots(&self) -> Result<Vec<String>> {
        each!(self, s => s.snapshots())
    }
    fn measures(&self) -> Result<Vec<MeasureInfo>> {
        each!(self, s => s.measures())
    }
    fn query(&self, q: &ObservationQuery) -> Result<Vec<ObservationRow>> {
        each!(self, s => s.query(q))
    }
    fn summary(&self) -> Result<Summary> {
        each!(self, s => s.summary())
    }
    fn indicators(&self) -> Result<Vec<IndicatorEntry>> {
        each!(self, s => s.indicators())
    }
    fn frame(&self, measures: &[String], years: (u16, u16), territory: Territory) -> Result<Frame> {
        each!(self, s => s.frame(measures, years, territory))
    }
    fn frame_at(
        &self,
        measures: &[String],
        years: (u16, u16),
        territory: Territory,
    ) -> Result<(Frame, i64)> {
        each!(self, s => s.frame_at(measures, years, territory))
    }
    fn save_results(&mut self, results: &Results) -> Result<usize> {
        each!(self, s => s.save_results(results))
    }
    fn results(&self, indicator: &str) -> Result<Option<Vec<ResultRow>>> {
        each!(self, s => s.results(indicator))
    }
    fn cache_state(&self) -> Result<Option<(i64, i64, Territory)>> {
        each!(self, s => s.cache_state())
    }
    fn data_version(&self) -> Result<i64> {
        each!(self, s => s.data_version())
    }
    fn boundaries(&self) -> Result<Vec<(String, Option<String>, String)>> {
        each!(self, s => s.boundaries())
    }
    fn is_publication(&self) -> Result<bool> {
        each!(self, s => s.is_publication())
    }
    fn publish(&mut self, to: &Path) -> Result<Published> {
        each!(self, s => s.publish(to))
    }
    fn scan(&self, tables: &'static [Table], sink: &mut RowSink<'_>) -> Result<()> {
        each!(self, s => s.scan(tables, sink))
    }
    fn replace_all(&mut self, from: &dyn Store) -> Result<Counts> {
        each!(self, s => s.replace_all(from))
    }
    fn backup(&self, to: &Path) -> Result<()> {
        each!(self, s => s.backup(to))
    }
    fn schema_version(&self) -> Result<(i64, i64)> {
        each!(self, s => s.schema_version())
    }
    fn describe(&self) -> String {
        each!(self, s => s.describe())
    }
}

impl Inputs for Database {
    fn get(
        &self,
        measure: &str,
        region: &RegionKey,
        period: Period,
        breakdown: &str,
    ) -> Option<Cell> {
        each!(self, s => s.get(measure, region, period, breakdown))
    }
    fn additive(&self, measure: &str) -> bool {
        each!(self, s => s.additive(measure))
    }
    fn parts(&self, region: &RegionKey, period: Period) -> Vec<RegionKey> {
        each!(self, s => s.parts(region, period))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_read_as_users_write_them() {
        let file = |s: &str| Location::parse(s).expect(s);
        assert_eq!(file("demo.sqlite"), Location::Sqlite("demo.sqlite".into()));
        assert_eq!(
            file("sqlite:demo.sqlite"),
            Location::Sqlite("demo.sqlite".into())
        );
        assert_eq!(
            file("sqlite:///srv/x.db"),
            Location::Sqlite("/srv/x.db".into())
        );
        assert_eq!(
            file("postgres://u:pw@localhost:5432/sm"),
            Location::Postgres("postgres://u:pw@localhost:5432/sm".into())
        );
        assert_eq!(
            file("postgres:host=/run/postgresql dbname=sm"),
            Location::Postgres("host=/run/postgresql dbname=sm".into())
        );
        assert!(Location::parse("mysql://x").is_err());
        assert!(Location::parse("sqlite:").is_err());
        assert!(Location::parse(" ").is_err());
    }

    #[test]
    fn a_password_is_never_shown() {
        let l = Location::parse("postgres://sm:geheim@db:5432/sm").expect("url");
        assert_eq!(l.to_string(), "postgres://sm:***@db:5432/sm");
        let l = Location::parse("postgres:host=db password=geheim dbname=sm").expect("kv");
        assert_eq!(l.to_string(), "host=db password=*** dbname=sm");
        assert!(!format!("{l:?}").contains("geheim"));
    }
}
