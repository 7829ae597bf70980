//! The server as operations see it: the dashboard behind a switch that a reload thread flips when
//! new data is ready (so every `serve` process of a deployment serves an import within seconds),
//! `/healthz` (the process answers), `/readyz` (it has a site and is not shutting down) and
//! `/metrics` in Prometheus' text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;

use crate::cache::ResponseCache;
use crate::pdf::PdfQueue;
use crate::{Config, Site};

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Where new data comes from: asked every few seconds by the reload thread.
pub trait Source: Send + Sync + 'static {
    /// A new site when the data changed since `version` or the published planning since
    /// `planning` (with its data version), `None` when neither did. Runs on a thread of its own
    /// and may block (database reads, recomputing the cache).
    fn newer(&self, version: i64, planning: i64) -> anyhow::Result<Option<(Site, i64)>>;
}

/// Counters per route: requests by status and the latency histogram.
#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// What `/metrics` reports.
#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<&'static str, RouteStats>>,
    data_version: AtomicI64,
    /// The planning version of the site served.
    planning_version: AtomicI64,
    reloads: AtomicU64,
    reload_errors: AtomicU64,
}

impl Metrics {
    fn record(&self, route: &'static str, status: u16, seconds: f64) {
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        let r = routes.entry(route).or_default();
        *r.by_status.entry(status).or_default() += 1;
        for (b, le) in r.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= le {
                *b += 1;
            }
        }
        r.count += 1;
        r.sum += seconds;
    }
}

/// The current dashboard: its router and the parts whose state `/metrics` reports.
struct Current {
    router: Router,
    cache: Arc<ResponseCache>,
    pdfs: Arc<PdfQueue>,
}

/// The switchable dashboard with its health and metrics.
pub struct Live {
    current: RwLock<Current>,
    /// The planners' workspace when it is served on the dashboard's address.
    workspace: Option<Router>,
    config: Config,
    metrics: Metrics,
    ready: AtomicBool,
    started: Instant,
}

impl Live {
    /// A server state serving `site`, computed from data version `version`, and the
    /// workspace's router under `/arbeitsbereich` if given.
    pub fn new(site: Site, version: i64, config: Config, workspace: Option<Router>) -> Arc<Live> {
        let planning = site.planning.version;
        let (router, cache, pdfs) = crate::app_parts(site, &config);
        let live = Live {
            current: RwLock::new(Current {
                router,
                cache,
                pdfs,
            }),
            workspace,
            config,
            metrics: Metrics::default(),
            ready: AtomicBool::new(true),
            started: Instant::now(),
        };
        live.metrics.data_version.store(version, Ordering::Relaxed);
        live.metrics
            .planning_version
            .store(planning, Ordering::Relaxed);
        Arc::new(live)
    }

    /// Serves `site` from now on (requests under way finish with the old one).
    pub fn replace(&self, site: Site, version: i64) {
        let planning = site.planning.version;
        let (router, cache, pdfs) = crate::app_parts(site, &self.config);
        if let Ok(mut c) = self.current.write() {
            *c = Current {
                router,
                cache,
                pdfs,
            };
        }
        self.metrics.data_version.store(version, Ordering::Relaxed);
        self.metrics
            .planning_version
            .store(planning, Ordering::Relaxed);
        self.metrics.reloads.fetch_add(1, Ordering::Relaxed);
    }

    /// The data version served.
    pub fn data_version(&self) -> i64 {
        self.metrics.data_version.load(Ordering::Relaxed)
    }

    /// Marks the server as going away: `/readyz` answers 503 so a load balancer stops sending.
    pub fn shutting_down(&self) {
        self.ready.store(false, Ordering::Relaxed);
    }

    /// Answers one request.
    pub async fn handle<B>(self: Arc<Self>, req: Request<B>) -> Response
    where
        B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        match req.uri().path() {
            "/healthz" => return plain(StatusCode::OK, "ok\n".into()),
            "/readyz" => {
                return if self.ready.load(Ordering::Relaxed) {
                    plain(StatusCode::OK, "ready\n".into())
                } else {
                    plain(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n".into())
                };
            }
            "/metrics" => {
                return (
                    [(
                        header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    self.metrics_text(),
                )
                    .into_response();
            }
            _ => {}
        }
        let route = route_label(req.uri().path());
        let router = match (&self.workspace, route) {
            (Some(ws), "/arbeitsbereich") => ws.clone(),
            _ => match self.current.read() {
                Ok(c) => c.router.clone(),
                Err(_) => return plain(StatusCode::SERVICE_UNAVAILABLE, "not ready\n".into()),
            },
        };
        let start = Instant::now();
        let res = match router.oneshot(req.map(Body::new)).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        self.metrics
            .record(route, res.status().as_u16(), start.elapsed().as_secs_f64());
        res
    }

    /// The metrics in Prometheus' text exposition format.
    pub fn metrics_text(&self) -> String {
        let mut out = String::new();
        let m = &self.metrics;
        let (hits, misses, bytes, entries, queued) = match self.current.read() {
            Ok(c) => (
                c.cache.hits(),
                c.cache.misses(),
                c.cache.bytes(),
                c.cache.len(),
                c.pdfs.admitted(),
            ),
            Err(_) => (0, 0, 0, 0, 0),
        };
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        metric(
            "sozialmonitor_up_seconds",
            "gauge",
            "Seconds since the server started.",
            format!("{:.3}", self.started.elapsed().as_secs_f64()),
        );
        metric(
            "sozialmonitor_data_version",
            "gauge",
            "The import batch the served data was computed from.",
            m.data_version.load(Ordering::Relaxed).to_string(),
        );
        metric(
            "sozialmonitor_reloads_total",
            "counter",
            "Times new data was loaded while serving.",
            m.reloads.load(Ordering::Relaxed).to_string(),
        );
        metric(
            "sozialmonitor_reload_errors_total",
            "counter",
            "Failed checks for new data (the old data is served on).",
            m.reload_errors.load(Ordering::Relaxed).to_string(),
        );
        metric(
            "sozialmonitor_response_cache_hits_total",
            "counter",
            "Responses served from the response cache (since the last reload).",
            hits.to_string(),
        );
        metric(
            "sozialmonitor_response_cache_misses_total",
            "counter",
            "Cacheable requests rendered anew (since the last reload).",
            misses.to_string(),
        );
        metric(
            "sozialmonitor_response_cache_bytes",
            "gauge",
            "Bytes held by the response cache.",
            bytes.to_string(),
        );
        metric(
            "sozialmonitor_response_cache_entries",
            "gauge",
            "Responses held by the response cache.",
            entries.to_string(),
        );
        metric(
            "sozialmonitor_pdf_queue",
            "gauge",
            "PDF requests typesetting or waiting for a worker.",
            queued.to_string(),
        );
        let Ok(routes) = m.routes.lock() else {
            return out;
        };
        out.push_str("# HELP sozialmonitor_http_requests_total Requests by route and status.\n");
        out.push_str("# TYPE sozialmonitor_http_requests_total counter\n");
        for (route, r) in routes.iter() {
            for (status, n) in &r.by_status {
                let _ = writeln!(
                    out,
                    "sozialmonitor_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str(
            "# HELP sozialmonitor_http_request_duration_seconds Time to answer, by route.\n",
        );
        out.push_str("# TYPE sozialmonitor_http_request_duration_seconds histogram\n");
        for (route, r) in routes.iter() {
            for (le, n) in BUCKETS.iter().zip(r.buckets) {
                let _ = writeln!(
                    out,
                    "sozialmonitor_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "sozialmonitor_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n\
                 sozialmonitor_http_request_duration_seconds_sum{{route=\"{route}\"}} {:.6}\n\
                 sozialmonitor_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                r.count, r.sum, r.count
            );
        }
        out
    }

    /// Asks `source` for new data every `every` until `stop` is set, on a thread of its own
    /// (database reads and recomputation block).
    pub fn reload_thread(
        self: &Arc<Self>,
        source: Arc<dyn Source>,
        every: Duration,
        stop: Arc<AtomicBool>,
    ) -> std::thread::JoinHandle<()> {
        let live = Arc::clone(self);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                // Short sleeps, so that shutdown does not wait for a whole interval.
                let until = Instant::now() + every;
                while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100).min(every));
                }
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let planning = live.metrics.planning_version.load(Ordering::Relaxed);
                match source.newer(live.data_version(), planning) {
                    Ok(Some((site, version))) => {
                        live.replace(site, version);
                        tracing::info!(data_version = version, "serving new data");
                    }
                    Ok(None) => {}
                    Err(e) => {
                        live.metrics.reload_errors.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(
                            error = format!("{e:#}"),
                            "checking for new data failed; serving the old"
                        );
                    }
                }
            }
        })
    }
}

fn plain(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// The route of a path as a metric label: the router's pattern, so the label set stays small
/// whatever paths clients send.
pub fn route_label(path: &str) -> &'static str {
    let mut seg = path.trim_start_matches('/').split('/');
    match (seg.next(), seg.next(), seg.next(), seg.next()) {
        (Some(""), None, ..) => "/",
        (Some("gemeinde"), Some(_), None, _) => "/gemeinde/{key}",
        (Some("gemeinde"), Some(_), Some("profil.pdf"), None) => "/gemeinde/{key}/profil.pdf",
        (Some("indikator"), Some(_), None, _) => "/indikator/{key}",
        (Some("indikator"), Some(_), Some(_), None) => "/indikator/{key}/{file}",
        (Some("katalog"), None, ..) => "/katalog",
        (Some("suche"), None, ..) => "/suche",
        (Some("vergleich"), None, ..) => "/vergleich",
        (Some("impressum"), None, ..) => "/impressum",
        (Some("static"), ..) => "/static/{file}",
        (Some("arbeitsbereich"), ..) => "/arbeitsbereich",
        (Some("api"), Some("v1"), Some("regions"), _) => "/api/v1/regions",
        (Some("api"), Some("v1"), Some("indicators"), _) => "/api/v1/indicators",
        (Some("api"), Some("v1"), Some("values"), _) => "/api/v1/values",
        (Some("api"), ..) => "/api/v1/other",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::route_label;

    #[test]
    fn labels_stay_few_whatever_the_path() {
        assert_eq!(route_label("/"), "/");
        assert_eq!(route_label("/gemeinde/14522010"), "/gemeinde/{key}");
        assert_eq!(
            route_label("/gemeinde/14522010/profil.pdf"),
            "/gemeinde/{key}/profil.pdf"
        );
        assert_eq!(
            route_label("/indikator/x/werte.csv"),
            "/indikator/{key}/{file}"
        );
        assert_eq!(route_label("/gibt/es/nicht/ü"), "other");
        assert_eq!(route_label("/api/v1/values"), "/api/v1/values");
        assert_eq!(route_label("/arbeitsbereich/konten/x"), "/arbeitsbereich");
        assert_eq!(route_label("/arbeitsbereichx"), "other");
    }
}
