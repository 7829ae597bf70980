//! Scratch databases for the tests of every crate, so that one suite runs on both backends: a
//! SQLite file in a temporary folder, or a new database on the PostgreSQL server that
//! `SOZIALMONITOR_TEST_PG` names (`.ci/run` starts one). Without that variable the PostgreSQL half
//! of a test says it was skipped; with `SOZIALMONITOR_REQUIRE_PG=1` (set by CI) it fails instead.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Database, Location, Result, StoreError};

/// Runs each named test (a `fn(Backend)` in scope) once per backend, as `sqlite::name` and
/// `postgres::name`: one suite for both, in the store's tests and the command tests alike.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::testing::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name($crate::testing::Backend::Postgres) } )*
        }
    };
}

/// The variable naming the test server (`postgres://user@127.0.0.1:port/db`).
pub const PG_ENV: &str = "SOZIALMONITOR_TEST_PG";
/// Set to `1` to make a missing test server an error rather than a skip.
pub const REQUIRE_PG_ENV: &str = "SOZIALMONITOR_REQUIRE_PG";

/// A backend to run a test on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A database on the test server.
    Postgres,
}

/// A database that exists for one test and is removed afterwards.
pub struct Scratch {
    /// Where it is.
    pub at: Location,
    dir: Option<PathBuf>,
    pg: Option<(String, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The URL of the test server, or `None` (after saying so) when the PostgreSQL half is skipped.
///
/// # Panics
/// When `SOZIALMONITOR_REQUIRE_PG=1` and no server is named.
pub fn pg_server(test: &str) -> Option<String> {
    match std::env::var(PG_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var(REQUIRE_PG_ENV).as_deref() != Ok("1"),
                "{test}: {REQUIRE_PG_ENV}=1 but {PG_ENV} names no PostgreSQL server"
            );
            // Through the stderr handle, not `eprintln!`: the test harness captures the macros'
            // output of passing tests, and a skipped half must be seen in every run. One write
            // per line, so that lines of parallel tests do not interleave.
            let line = format!(
                "SKIPPED {test} on PostgreSQL: {PG_ENV} is not set (see scripts/pg-test-server)\n"
            );
            let _ = std::io::stderr().write_all(line.as_bytes());
            None
        }
    }
}

/// A database name quoted as an SQL identifier (the names are made here, but quoting costs
/// nothing and keeps the statements safe whatever a name holds).
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `url` with its database name replaced.
fn with_dbname(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let (scheme, rest) = base.split_once("://").unwrap_or(("postgres", base));
    let authority = rest.split('/').next().unwrap_or(rest);
    let mut out = format!("{scheme}://{authority}/{name}");
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl Scratch {
    /// A new, empty database on `backend`; `None` when the PostgreSQL half is skipped.
    pub fn new(backend: Backend, test: &str) -> Option<Scratch> {
        match backend {
            Backend::Sqlite => Scratch::in_temp_dir().ok(),
            Backend::Postgres => {
                let server = pg_server(test)?;
                Some(
                    Scratch::on_server(&server, "sm_test")
                        .unwrap_or_else(|e| panic!("{test}: a database on {PG_ENV}: {e}")),
                )
            }
        }
    }

    /// A SQLite file (not yet created) in a new temporary folder, removed with it.
    fn in_temp_dir() -> std::io::Result<Scratch> {
        let dir = std::env::temp_dir().join(unique("sozialmonitor_test"));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch {
            at: Location::Sqlite(dir.join("test.sqlite")),
            dir: Some(dir),
            pg: None,
        })
    }

    /// A new, empty database on the PostgreSQL server `server` (a URL naming any database
    /// there), dropped when this value is; the benchmarks use it too.
    pub fn on_server(server: &str, prefix: &str) -> Result<Scratch> {
        let name = unique(prefix);
        let mut admin = postgres::Client::connect(server, postgres::NoTls)?;
        admin.batch_execute(&format!("CREATE DATABASE {}", ident(&name)))?;
        Ok(Scratch {
            at: Location::Postgres(with_dbname(server, &name)),
            dir: None,
            pg: Some((server.to_string(), name)),
        })
    }

    /// A new database holding a copy of this one (a file copy; on PostgreSQL a database made
    /// from this one as its template), for tests that start many times from one state.
    ///
    /// # Errors
    /// When the copy fails; on PostgreSQL also while a session is still connected to this one
    /// after a few retries.
    pub fn copy(&self) -> Result<Scratch> {
        match (&self.at, &self.pg) {
            (Location::Sqlite(file), _) => {
                let failed = |e: std::io::Error| {
                    StoreError::Location(format!("copy of {}: {e}", file.display()))
                };
                let copy = Scratch::in_temp_dir().map_err(failed)?;
                if let Location::Sqlite(to) = &copy.at {
                    std::fs::copy(file, to).map_err(failed)?;
                }
                Ok(copy)
            }
            (Location::Postgres(_), Some((server, template))) => {
                let name = unique("sm_copy");
                let mut admin = postgres::Client::connect(server, postgres::NoTls)?;
                let sql = format!(
                    "CREATE DATABASE {} TEMPLATE {}",
                    ident(&name),
                    ident(template)
                );
                // A process that just exited may still show as a session of the template for a
                // moment ("being accessed by other users"); other errors fail at once.
                let mut tries = 0;
                while let Err(e) = admin.batch_execute(&sql) {
                    tries += 1;
                    if tries == 50 || e.code() != Some(&postgres::error::SqlState::OBJECT_IN_USE) {
                        return Err(e.into());
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Ok(Scratch {
                    at: Location::Postgres(with_dbname(server, &name)),
                    dir: None,
                    pg: Some((server.clone(), name)),
                })
            }
            (Location::Postgres(_), None) => Err(StoreError::Location(
                "only a scratch database made on a test server can be copied".into(),
            )),
        }
    }

    /// Waits until no session is connected to it any more (up to 30 s): on PostgreSQL the
    /// server's session of a killed client may still be finishing what it received. A SQLite
    /// file has no sessions.
    ///
    /// # Errors
    /// When the server cannot be asked, or sessions remain after 30 s.
    pub fn wait_idle(&self) -> Result<()> {
        let Some((server, name)) = &self.pg else {
            return Ok(());
        };
        let mut admin = postgres::Client::connect(server, postgres::NoTls)?;
        for _ in 0..300 {
            let n: i64 = admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                    &[name],
                )?
                .try_get(0)?;
            if n == 0 {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Err(StoreError::Conflict(format!(
            "sessions on {name} after 30 s"
        )))
    }

    /// Opens it (every call a new connection).
    pub fn open(&self) -> Result<Database> {
        Database::open(&self.at)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((server, name)) = &self.pg
            && let Ok(mut admin) = postgres::Client::connect(server, postgres::NoTls)
        {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                ident(name)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_dbname;

    #[test]
    fn the_database_name_is_replaced() {
        assert_eq!(
            with_dbname("postgres://sm@127.0.0.1:55432/sozialmonitor", "t1"),
            "postgres://sm@127.0.0.1:55432/t1"
        );
        assert_eq!(
            with_dbname("postgres://sm:pw@h/db?sslmode=disable", "t2"),
            "postgres://sm:pw@h/t2?sslmode=disable"
        );
        assert_eq!(with_dbname("postgres://h", "t3"), "postgres://h/t3");
    }
}
