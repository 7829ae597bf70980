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
        if let Some(conf) = t
            .strip_prefix("postgres:")
            .or_else(|| t.strip_prefix("postgresql:"))
        {
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

    /// Whether two locations name the same database, however written (copying a database onto
    /// itself would wait for its own lock).
    pub fn same_as(&self, other: &Location) -> bool {
        match (self, other) {
            (Location::Sqlite(a), Location::Sqlite(b)) => {
                a == b
                    || a.canonicalize()
                        .ok()
                        .is_some_and(|x| b.canonicalize().ok() == Some(x))
            }
            (Location::Postgres(a), Location::Postgres(b)) => {
                a == b || pg_identity(a).is_some_and(|x| pg_identity(b) == Some(x))
            }
            _ => false,
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

/// What a connection string names, without its password: `postgres://user@host:port/db`,
/// built from the fields the PostgreSQL client parses, so that no spelling of a password
/// (`:pw@`, `?password=`, `password = '…'`) is ever shown.
pub(crate) fn redact(conninfo: &str) -> String {
    match conninfo.parse::<postgres::Config>() {
        Ok(c) => {
            let hosts: Vec<String> = c
                .get_hosts()
                .iter()
                .map(|h| match h {
                    postgres::config::Host::Tcp(name) => name.clone(),
                    postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .collect();
            let ports: Vec<String> = c.get_ports().iter().map(u16::to_string).collect();
            let mut shown = String::from("postgres://");
            if let Some(user) = c.get_user() {
                shown.push_str(user);
                if c.get_password().is_some() {
                    shown.push_str(":***");
                }
                shown.push('@');
            }
            shown.push_str(&hosts.join(","));
            if !ports.is_empty() {
                shown.push(':');
                shown.push_str(&ports.join(","));
            }
            if let Some(db) = c.get_dbname() {
                shown.push('/');
                shown.push_str(db);
            }
            shown
        }
        Err(_) => "(a PostgreSQL connection string that cannot be read)".into(),
    }
}

/// What identifies a PostgreSQL database: hosts, ports and database name.
fn pg_identity(conninfo: &str) -> Option<(String, Vec<u16>, Option<String>)> {
    let c = conninfo.parse::<postgres::Config>().ok()?;
    Some((
        format!("{:?}", c.get_hosts()),
        c.get_ports().to_vec(),
        c.get_dbname().or(c.get_user()).map(str::to_string),
    ))
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

    /// Opens a working copy of the SQLite file `file` (a backup) written to `work` (a new file in
    /// a private folder): the file itself is only read, never migrated or changed.
    pub fn open_copy(file: &Path, work: &Path) -> Result<Database> {
        SqliteStore::snapshot_file(file, work)?;
        Ok(Database::Sqlite(SqliteStore::open(work)?))
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
    fn import_by(
        &mut self,
        source: &ImportSource,
        data: &Dataset,
        opts: ImportOptions,
        by: Option<&Actor>,
    ) -> Result<ImportOutcome> {
        each!(self, s => s.import_by(source, data, opts, by))
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
    fn each_results(
        &self,
        indicators: &[String],
        f: &mut dyn FnMut(&str, Vec<ResultRow>) -> Result<()>,
    ) -> Result<bool> {
        each!(self, s => s.each_results(indicators, f))
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
    fn replace_all(&mut self, from: &dyn RowSource) -> Result<Counts> {
        each!(self, s => s.replace_all(from))
    }
    fn size_bytes(&self) -> Result<u64> {
        each!(self, s => s.size_bytes())
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

impl RowSource for Database {
    fn scan(&self, tables: &[&'static Table], sink: &mut RowSink<'_>) -> Result<()> {
        each!(self, s => s.scan(tables, sink))
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

impl crate::accounts::Sql for Database {
    fn select(
        &self,
        sql: &str,
        params: &[Field],
        types: &[crate::transfer::Ty],
    ) -> Result<Vec<Vec<Field>>> {
        each!(self, s => s.select(sql, params, types))
    }
    fn transact(
        &mut self,
        steps: &[crate::accounts::Step<'_>],
    ) -> Result<Vec<(Vec<Vec<Field>>, u64)>> {
        each!(self, s => s.transact(steps))
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
        for text in [
            "postgres:host=db password=geheim dbname=sm user=sm",
            "postgres:host=db password = 'geh eim' dbname=sm",
            "postgres://sm@db/sm?password=geheim",
            "postgresql://sm:geheim@db/sm",
        ] {
            let l = Location::parse(text).expect(text);
            let shown = format!("{l} {l:?}");
            assert!(!shown.contains("geh"), "{text}: {shown}");
            assert!(shown.contains("db"), "{text}: {shown}");
        }
    }

    #[test]
    fn one_database_written_two_ways_is_the_same() {
        let a = Location::parse("postgres://sm:pw@127.0.0.1:5432/x").expect("a");
        let b = Location::parse("postgres:host=127.0.0.1 port=5432 dbname=x user=sm").expect("b");
        let c = Location::parse("postgres://sm@127.0.0.1:5432/y").expect("c");
        assert!(a.same_as(&b) && !a.same_as(&c));
        assert!(
            Location::parse("x.sqlite")
                .expect("f")
                .same_as(&Location::parse("sqlite:x.sqlite").expect("g"))
        );
    }
}
