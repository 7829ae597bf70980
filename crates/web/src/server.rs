//! Serving over TCP: the limits of the server, the accept loop with its connection limit and
//! header timeout, graceful shutdown on Ctrl-C or SIGTERM, and the request log.
//!
//! `axum::serve` cannot set a header-read timeout or bound the open connections, so the loop
//! drives hyper's HTTP/1 connections itself: a client that never finishes its headers is cut
//! off after [`Config::header_timeout`], headers over [`MAX_HEADER_BYTES`] get 431, and at most
//! [`Config::max_connections`] connections are open (beyond that new ones wait in the
//! kernel's backlog).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tracing::level_filters::LevelFilter;

use crate::Site;

/// Largest request head (request line and headers); browsers send 1–2 KB.
pub const MAX_HEADER_BYTES: usize = 16 << 10;

/// Most header lines in a request.
const MAX_HEADERS: usize = 64;

/// The limits of the server. [`Config::from_env`] reads them from `SOZIALMONITOR_*` variables,
/// so that a deployment (or a test) can tighten them without a new flag.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bytes the response cache may hold (`SOZIALMONITOR_CACHE_MB`, default 32).
    pub cache_budget: usize,
    /// Time for a client to send its request head (`SOZIALMONITOR_HEADER_TIMEOUT`, seconds,
    /// default 10). It also ends idle keep-alive connections.
    pub header_timeout: Duration,
    /// Time for a response to be made (`SOZIALMONITOR_REQUEST_TIMEOUT`, seconds, default 30);
    /// after it the client gets 503.
    pub request_timeout: Duration,
    /// Open connections at most (`SOZIALMONITOR_MAX_CONNECTIONS`, default 512).
    pub max_connections: usize,
    /// PDFs typeset at once (default: one per core).
    pub pdf_workers: usize,
    /// PDF requests that may wait for a worker (`SOZIALMONITOR_PDF_QUEUE`, default 8); more
    /// get 503 with `Retry-After`.
    pub pdf_queue: usize,
    /// Time open connections get to finish after Ctrl-C or SIGTERM.
    pub shutdown_grace: Duration,
    /// Log level (`SOZIALMONITOR_LOG`: `off`, `error`, `warn`, `info`, `debug`; default
    /// `info`, one line per request).
    pub log: LevelFilter,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            cache_budget: 32 << 20,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 512,
            pdf_workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            pdf_queue: 8,
            shutdown_grace: Duration::from_secs(10),
            log: LevelFilter::INFO,
        }
    }
}

impl Config {
    /// The defaults, changed by the `SOZIALMONITOR_*` variables that are set.
    pub fn from_env() -> Result<Config> {
        Config::from_vars(|k| std::env::var(k).ok())
    }

    /// The defaults, changed by the `SOZIALMONITOR_*` variables that are set, else by the
    /// configuration file's settings given as `(variable, value)`.
    pub fn from_vars_or_env(file: &[(&str, String)]) -> Result<Config> {
        Config::from_vars(|k| {
            std::env::var(k).ok().or_else(|| {
                file.iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| v.clone())
            })
        })
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let mut c = Config::default();
        let secs = |k: &str, v: &str| -> Result<Duration> {
            let s: f64 = v
                .trim()
                .parse()
                .with_context(|| format!("{k}={v}: seconds expected"))?;
            if !(0.01..=3600.0).contains(&s) {
                bail!("{k}={v}: between 0.01 and 3600 seconds");
            }
            Ok(Duration::from_secs_f64(s))
        };
        let count = |k: &str, v: &str, max: usize| -> Result<usize> {
            let n: usize = v
                .trim()
                .parse()
                .with_context(|| format!("{k}={v}: a whole number expected"))?;
            if n > max {
                bail!("{k}={v}: at most {max}");
            }
            Ok(n)
        };
        if let Some(v) = var("SOZIALMONITOR_CACHE_MB") {
            c.cache_budget = count("SOZIALMONITOR_CACHE_MB", &v, 64 << 10)? << 20;
        }
        if let Some(v) = var("SOZIALMONITOR_HEADER_TIMEOUT") {
            c.header_timeout = secs("SOZIALMONITOR_HEADER_TIMEOUT", &v)?;
        }
        if let Some(v) = var("SOZIALMONITOR_REQUEST_TIMEOUT") {
            c.request_timeout = secs("SOZIALMONITOR_REQUEST_TIMEOUT", &v)?;
        }
        if let Some(v) = var("SOZIALMONITOR_MAX_CONNECTIONS") {
            c.max_connections = count("SOZIALMONITOR_MAX_CONNECTIONS", &v, 1 << 20)?.max(1);
        }
        if let Some(v) = var("SOZIALMONITOR_PDF_QUEUE") {
            c.pdf_queue = count("SOZIALMONITOR_PDF_QUEUE", &v, 10_000)?;
        }
        if let Some(v) = var("SOZIALMONITOR_LOG") {
            c.log = v.trim().parse().map_err(|_| {
                anyhow::anyhow!("SOZIALMONITOR_LOG={v}: off, error, warn, info or debug")
            })?;
        }
        Ok(c)
    }
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Starts the log on stderr: stdout carries the address line that scripts and tests read.
/// `try_init`, because a process (a test) may start more than one server.
fn init_log(level: LevelFilter, format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Serves the site until Ctrl-C or SIGTERM, printing the address it listens at (port 0 picks a
/// free one). Limits come from the environment ([`Config::from_env`]).
pub async fn serve(site: Site, addr: &str) -> Result<()> {
    serve_with(site, addr, Config::from_env()?).await
}

/// [`serve`] with explicit limits.
pub async fn serve_with(site: Site, addr: &str, config: Config) -> Result<()> {
    serve_live(site, 0, addr, config, LogFormat::Text, None, None).await
}

/// Where the planners' workspace is served: its router, and its own address (else the
/// dashboard's, under `/arbeitsbereich`).
pub struct WorkspaceMount {
    /// The workspace's router.
    pub router: axum::Router,
    /// Its own address (`--workspace-addr`), so that it can stay on the internal network.
    pub addr: Option<String>,
}

/// Serves `site` (computed from data `version`) with `/healthz`, `/readyz` and `/metrics`; with
/// a source, asks it for new data every interval and serves that as soon as it is loaded; with
/// a workspace, serves it too.
pub async fn serve_live(
    site: Site,
    version: i64,
    addr: &str,
    config: Config,
    log: LogFormat,
    source: Option<(Duration, Arc<dyn crate::live::Source>)>,
    workspace: Option<WorkspaceMount>,
) -> Result<()> {
    init_log(config.log, log);
    let listener = TcpListener::bind(addr).await?;
    let (beside, apart) = match workspace {
        Some(WorkspaceMount {
            router,
            addr: Some(a),
        }) => {
            let l = TcpListener::bind(&a)
                .await
                .with_context(|| format!("listening at the workspace address {a}"))?;
            (None, Some((crate::harden(router), l)))
        }
        Some(WorkspaceMount { router, addr: None }) => (Some(crate::harden(router)), None),
        None => (None, None),
    };
    println!(
        "serving the dashboard at http://{}/ (Ctrl-C stops)",
        listener.local_addr()?
    );
    if beside.is_some() {
        println!(
            "serving the workspace at http://{}/arbeitsbereich",
            listener.local_addr()?
        );
    }
    if let Some((_, l)) = &apart {
        println!(
            "serving the workspace at http://{}/arbeitsbereich",
            l.local_addr()?
        );
    }
    let live = crate::live::Live::new(site, version, config.clone(), beside);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reloader = source
        .filter(|(every, _)| !every.is_zero())
        .map(|(every, src)| live.reload_thread(src, every, Arc::clone(&stop)));
    let handler = Arc::clone(&live);
    let service = tower::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let live = Arc::clone(&handler);
        async move { Ok::<_, std::convert::Infallible>(live.handle(req).await) }
    });
    // One signal stops both listeners.
    let (stopping, stopped) = tokio::sync::watch::channel(false);
    let signal_live = Arc::clone(&live);
    tokio::spawn(async move {
        shutdown_signal().await;
        signal_live.shutting_down();
        let _ = stopping.send(true);
    });
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let dashboard = run(listener, service, &config, until_stopped(stopped.clone()));
    match apart {
        Some((router, l)) => {
            let ws = tower::ServiceExt::map_request(
                router,
                |req: hyper::Request<hyper::body::Incoming>| req.map(axum::body::Body::new),
            );
            tokio::join!(dashboard, run(l, ws, &config, until_stopped(stopped)));
        }
        None => dashboard.await,
    }
    // Not joined: the reload thread may be in the middle of computing the cache, which must not
    // hold up a shutdown (systemd's stop timeout); it stops at its next look at the flag.
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    drop(reloader);
    Ok(())
}

/// Ctrl-C, or SIGTERM (what `systemctl stop` and container runtimes send).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Accepts connections until `shutdown` completes, then lets the open ones finish their
/// requests for at most [`Config::shutdown_grace`].
pub async fn run<S>(
    listener: TcpListener,
    app: S,
    config: &Config,
    shutdown: impl Future<Output = ()>,
) where
    S: tower::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .max_headers(MAX_HEADERS);
    tokio::pin!(shutdown);
    loop {
        // A free slot first: at the limit, connections wait in the kernel's backlog instead of
        // costing a task and buffers each.
        let slot = tokio::select! {
            s = Arc::clone(&slots).acquire_owned() => match s {
                Ok(s) => s,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // The peer goes with every request as axum's `ConnectInfo` (the workspace throttles
        // failed sign-ins per client address).
        let service = tower::ServiceExt::map_request(
            app.clone(),
            move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                req
            },
        );
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                // Header timeouts, oversized heads and clients that hang up end up here.
                tracing::debug!(%peer, error = %e, "connection closed with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(config.shutdown_grace) => {
            tracing::warn!("closing connections that did not finish in time");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_come_from_the_environment() {
        let vars = |k: &str| match k {
            "SOZIALMONITOR_HEADER_TIMEOUT" => Some("0.5".to_string()),
            "SOZIALMONITOR_CACHE_MB" => Some("4".to_string()),
            "SOZIALMONITOR_PDF_QUEUE" => Some("0".to_string()),
            "SOZIALMONITOR_LOG" => Some("warn".to_string()),
            _ => None,
        };
        let c = Config::from_vars(vars).expect("valid");
        assert_eq!(c.header_timeout, Duration::from_millis(500));
        assert_eq!(c.cache_budget, 4 << 20);
        assert_eq!(c.pdf_queue, 0);
        assert_eq!(c.log, LevelFilter::WARN);
        assert_eq!(c.request_timeout, Duration::from_secs(30));
        for bad in ["-1", "zehn", "NaN", "1e9"] {
            let v = |k: &str| (k == "SOZIALMONITOR_HEADER_TIMEOUT").then(|| bad.to_string());
            assert!(Config::from_vars(v).is_err(), "{bad}");
        }
    }
}
