//! Operations: `serve` with reloading, `copy` between databases, `backup` and `restore`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use sozialmonitor_store::{Counts, Database, Location, Planning, Store, Territory};
use sozialmonitor_web::Site;
use sozialmonitor_web::live::Source;

use crate::{de_int, indicator, open, open_existing};

/// What `serve` was told, after flags, environment and configuration file.
pub struct ServeOptions {
    /// Address to listen at.
    pub addr: String,
    /// The district of the start page.
    pub kreis: String,
    /// JSON log lines.
    pub json_log: bool,
    /// Seconds between checks for new data (0: never).
    pub reload_every: f64,
    /// Server limits from the configuration file, as the environment variables they stand for.
    pub vars: Vec<(&'static str, String)>,
    /// `same`, `off` or the workspace's own address.
    pub workspace_addr: String,
    /// The workspace's settings.
    pub workspace: sozialmonitor_workspace::Settings,
}

/// The workspace's settings from the environment, else the configuration file.
pub fn workspace_settings(s: &crate::config::Serve) -> Result<sozialmonitor_workspace::Settings> {
    let mut w = sozialmonitor_workspace::Settings::default();
    let secure = match std::env::var("SOZIALMONITOR_SECURE_COOKIES") {
        Ok(v) => match v.trim() {
            "1" | "true" | "yes" => Some(true),
            "0" | "false" | "no" => Some(false),
            other => bail!("SOZIALMONITOR_SECURE_COOKIES={other}: true or false"),
        },
        Err(_) => s.secure_cookies,
    };
    if secure == Some(true) {
        w.secure_cookies = sozialmonitor_workspace::SecureCookies::Always;
    }
    let mb =
        match std::env::var("SOZIALMONITOR_MAX_UPLOAD_MB") {
            Ok(v) => Some(v.trim().parse::<u64>().with_context(|| {
                format!("SOZIALMONITOR_MAX_UPLOAD_MB={v}: a number of megabytes")
            })?),
            Err(_) => s.max_upload_mb,
        };
    if let Some(mb) = mb {
        anyhow::ensure!(
            (1..=4096).contains(&mb),
            "max_upload_mb {mb}: between 1 and 4096"
        );
        w.max_upload_bytes = (mb as usize) << 20;
    }
    let proxies = match std::env::var("SOZIALMONITOR_TRUSTED_PROXIES") {
        Ok(v) => Some(
            v.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
        ),
        Err(_) => s.trusted_proxies.clone(),
    };
    if let Some(proxies) = proxies {
        w.trusted_proxies = proxies
            .iter()
            .map(|p: &String| {
                p.parse::<std::net::IpAddr>()
                    .map(|a| a.to_canonical())
                    .with_context(|| format!("trusted proxy {p:?}: an IP address expected"))
            })
            .collect::<Result<_>>()?;
    }
    Ok(w)
}

/// The database as the server's source of new data, with one connection kept between checks
/// (and opened again after an error, e.g. a restarted database server).
struct DbSource {
    db: Location,
    kreis: String,
    conn: Mutex<Option<Database>>,
}

impl Source for DbSource {
    /// New data is there when the cache was computed from a newer import than the one served,
    /// or when an import made the cache stale (then this process computes it).
    fn newer(&self, version: i64, planning: i64) -> Result<Option<(Site, i64)>> {
        let mut slot = self
            .conn
            .lock()
            .map_err(|_| anyhow::anyhow!("the reload connection was poisoned"))?;
        let store = match slot.as_mut() {
            Some(s) => s,
            None => slot.insert(open_existing(&self.db)?),
        };
        let found = newer_in(store, version, planning, &self.kreis);
        if found.is_err() {
            *slot = None;
        }
        found
    }
}

fn newer_in(
    store: &mut Database,
    version: i64,
    planning: i64,
    kreis: &str,
) -> Result<Option<(Site, i64)>> {
    // A change of the planning records in the workspace shows on the public pages too.
    let planned = store.planning_version()? != planning;
    if let Some((computed, now, _)) = store.cache_state()?
        && computed == now
        && computed == version
        && !planned
    {
        return Ok(None);
    }
    indicator::ensure_cache(store, Territory::Today)?;
    let computed = store.cache_state()?.map_or(0, |s| s.0);
    if computed == version && !planned {
        return Ok(None);
    }
    Ok(Some((Site::load(store, kreis)?, computed)))
}

/// Loads the public side of the database (computing the results cache if it is stale) and
/// serves the dashboard until Ctrl-C or SIGTERM, reloading when new data is computed.
pub fn serve(db: &Location, o: &ServeOptions) -> Result<ExitCode> {
    // Settings first: a mistake is reported before the cache is computed and the site loaded.
    anyhow::ensure!(
        o.reload_every.is_finite() && (0.0..=86_400.0).contains(&o.reload_every),
        "reload interval {}: between 0 and 86400 seconds",
        o.reload_every
    );
    let config = sozialmonitor_web::Config::from_vars_or_env(&o.vars)?;
    let mut store = open_existing(db)?;
    // A publication holds the public side only: no accounts, nothing to plan with.
    let workspace = match o.workspace_addr.trim() {
        "off" => None,
        _ if store.is_publication()? => None,
        "same" | "" => Some(None),
        own => Some(Some(own.to_string())),
    };
    indicator::ensure_cache(&mut store, Territory::Today)?;
    let t = std::time::Instant::now();
    // The version before the site: a cache saved meanwhile by another process then looks new
    // to the first check and is loaded, instead of being taken for the one served.
    let version = store.cache_state()?.map_or(0, |s| s.0);
    let site = Site::load(&store, &o.kreis)?;
    println!(
        "dashboard loaded in {:.1} s: {} indicators, {} regions",
        t.elapsed().as_secs_f64(),
        site.indicators.len(),
        site.regions.len()
    );
    let source: Arc<dyn Source> = Arc::new(DbSource {
        db: db.clone(),
        kreis: o.kreis.clone(),
        conn: Mutex::new(Some(store)),
    });
    let workspace = match workspace {
        Some(addr) => Some(sozialmonitor_web::WorkspaceMount {
            router: sozialmonitor_workspace::router(sozialmonitor_workspace::Workspace::new(
                db.clone(),
                sozialmonitor_workspace::Settings {
                    kreis: o.kreis.clone(),
                    ..o.workspace.clone()
                },
            )?),
            addr,
        }),
        None => None,
    };
    let log = if o.json_log {
        sozialmonitor_web::LogFormat::Json
    } else {
        sozialmonitor_web::LogFormat::Text
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(sozialmonitor_web::serve_live(
            site,
            version,
            &o.addr,
            config,
            log,
            Some((Duration::from_secs_f64(o.reload_every), source)),
            workspace,
        ))?;
    Ok(ExitCode::SUCCESS)
}

/// Whether a database holds anything.
fn holds_data(store: &Database) -> Result<bool> {
    let s = store.summary()?;
    Ok(s.imports > 0 || s.observations > 0 || s.indicators > 0)
}

fn print_counts(counts: &Counts) {
    for (table, n) in counts {
        println!("  {table}: {}", de_int(*n as i64));
    }
}

/// `copy --from A --to B`.
pub fn copy(from: &str, to: &str, replace: bool) -> Result<ExitCode> {
    let (from, to) = (Location::parse(from)?, Location::parse(to)?);
    anyhow::ensure!(
        !from.same_as(&to),
        "source and target are the same database"
    );
    let source = open_existing(&from)?;
    let mut target = open(&to)?;
    if holds_data(&target)? && !replace {
        bail!(
            "{} holds data; add --replace to replace it with the content of {}",
            target.describe(),
            source.describe()
        );
    }
    let t = std::time::Instant::now();
    let counts = sozialmonitor_store::transfer::copy(&source, &mut target)
        .with_context(|| format!("copying into {to}; the target is unchanged"))?;
    println!(
        "{} → {} in {:.1} s:",
        source.describe(),
        target.describe(),
        t.elapsed().as_secs_f64()
    );
    print_counts(&counts);
    Ok(ExitCode::SUCCESS)
}

/// `backup FILE`: a consistent snapshot into a new SQLite file, readable by its owner only (it
/// holds confidential counts), written beside it first and never over an existing file.
pub fn backup(db: &Location, file: &Path) -> Result<ExitCode> {
    anyhow::ensure!(
        !file.exists(),
        "{} exists; a backup is written to a new file",
        file.display()
    );
    let store = open_existing(db)?;
    let part = part_file(file);
    private_empty_file(&part)?;
    let t = std::time::Instant::now();
    let written = store
        .backup(&part)
        .with_context(|| format!("writing {}", part.display()))
        .and_then(|()| {
            // A hard link fails if the file appeared meanwhile: no backup overwrites one.
            std::fs::hard_link(&part, file)
                .with_context(|| format!("moving the backup to {}", file.display()))
        });
    remove_sqlite(&part);
    written?;
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!(
        "Sicherung von {} geschrieben: {} ({} MB) in {:.1} s",
        store.describe(),
        file.display(),
        de_int((size / 1_000_000) as i64),
        t.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Creates `path` empty with mode 0600; refuses if it exists (a backup under way, or one that
/// failed and should be looked at).
fn private_empty_file(path: &Path) -> Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).map(drop).with_context(|| {
        format!(
            "creating {} (if it is left from a failed backup, remove it)",
            path.display()
        )
    })
}

/// `restore FILE`: the database's content replaced by a backup. The backup is read through a
/// copy in a private temporary folder, so that the file is never changed (an older schema is
/// brought up to date in the copy) and no other user can slip a file in.
pub fn restore(db: &Location, file: &Path, replace: bool) -> Result<ExitCode> {
    anyhow::ensure!(file.is_file(), "no backup at {}", file.display());
    let work = tempfile::tempdir().context("creating a temporary folder")?;
    let backup = Database::open_copy(file, &work.path().join("backup.sqlite"))
        .with_context(|| format!("{} is no Sozialmonitor backup", file.display()))?;
    let mut target = open(db)?;
    if holds_data(&target)? && !replace {
        bail!(
            "{} holds data; add --replace to replace it with the backup",
            target.describe()
        );
    }
    let counts = sozialmonitor_store::transfer::copy(&backup, &mut target)
        .with_context(|| format!("restoring into {db}; it is unchanged"))?;
    println!("{} wiederhergestellt in {db}:", file.display());
    print_counts(&counts);
    Ok(ExitCode::SUCCESS)
}

/// The file a backup is written to before it gets its name.
fn part_file(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    file.with_file_name(name)
}

/// Removes a SQLite file with its journal files.
fn remove_sqlite(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}
