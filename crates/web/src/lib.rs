//! The public dashboard and its JSON API: axum over an in-memory [`Site`] loaded from the store.
//!
//! Every number served is the public side of the results cache, where confidentiality has
//! already been applied in one place (`core::indicators::compute_all`). Responses carry an ETag
//! and Last-Modified and are compressed once, when the response cache stores them. The server
//! is built to stay up under hostile requests: query strings are decoded by a library and
//! bounded per route (`query`), the cache is an LRU within a byte budget (`cache`), PDFs are
//! typeset behind a bounded queue (`pdf`), and every request has a time limit, a panic guard,
//! security headers and a log line (`middleware`, `server`). Text from requests is never sliced
//! by byte index (a `%` before a UTF-8 character once panicked a connection): the lint below keeps
//! it so.

#![warn(clippy::string_slice)]

pub mod analysis;
pub mod api;
pub mod cache;
pub mod downloads;
pub mod html;
pub mod live;
mod middleware;
pub mod pages;
pub mod participation;
pub mod pdf;
pub mod planning;
pub mod query;
pub mod server;
pub mod wegweiser;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;

pub use middleware::CSP;
pub use query::Params;
pub use server::{Config, LogFormat, WorkspaceMount, serve, serve_live, serve_with};
pub use sozialmonitor_site::{self as site, Site};

use crate::cache::ResponseCache;
use crate::middleware::Layers;
use crate::pdf::{PdfQueue, Pdfs};

type Shared = Arc<Site>;

/// The layers every response of another router served beside the dashboard gets (the
/// planners' workspace): security headers, the request log and the panic guard. No time limit:
/// an upload or an import may take longer than a page.
pub fn harden(router: Router) -> Router {
    router
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(from_fn(middleware::security_headers))
        .layer(from_fn(middleware::log_request))
}

/// The router of the dashboard and the API with the default limits.
pub fn router(site: Site) -> Router {
    router_with(site, &Config::default())
}

/// The router with the given limits.
pub fn router_with(site: Site, config: &Config) -> Router {
    app(site, config).0
}

/// The router and its response cache (tests look at the cache's size).
fn app(site: Site, config: &Config) -> (Router, Arc<ResponseCache>) {
    let (router, cache, _) = app_parts(site, config);
    (router, cache)
}

/// The router, its response cache and its PDF queue (whose state `/metrics` reports).
pub(crate) fn app_parts(
    site: Site,
    config: &Config,
) -> (Router, Arc<ResponseCache>, Arc<PdfQueue>) {
    let cache = Arc::new(ResponseCache::new(
        &http_date(&site.data_date),
        config.cache_budget,
    ));
    let site: Shared = Arc::new(site);
    let layers = Layers {
        site: site.clone(),
        cache: cache.clone(),
        request_timeout: config.request_timeout,
    };
    let queue = PdfQueue::new(config.pdf_workers, config.pdf_queue);
    let pdfs = Pdfs {
        site: site.clone(),
        cache: cache.clone(),
        queue: queue.clone(),
    };
    // Every route with query parameters must be listed in `query::route` too.
    let router = Router::new()
        .route("/", get(start))
        .route("/gemeinde/{key}", get(profile))
        .route(
            "/gemeinde/{key}/profil.pdf",
            get(pdf::profile_pdf).with_state(pdfs.clone()),
        )
        .route(
            "/seniorenwegweiser.pdf",
            get(pdf::senior_booklet).with_state(pdfs),
        )
        .route("/indikator/{key}", get(indicator))
        .route("/indikator/{key}/{file}", get(downloads::indicator_file))
        .route("/katalog", get(catalogue))
        .route("/suche", get(search))
        .route("/vergleich", get(compare))
        .route("/impressum", get(imprint))
        .route("/planung", get(planning_page))
        .route("/planung/handlungsfeld/{field}", get(planning_field))
        .route("/planung/massnahme/{id}", get(planning_measure))
        .route("/wegweiser", get(directory))
        .route("/seniorenwegweiser", get(senior_directory))
        .route("/beteiligung", get(participation_page))
        .route("/analyse", get(analysis_page))
        .route("/analyse/typ/{n}", get(analysis_type))
        .route("/beteiligung/{id}", get(participation_event))
        .route(
            "/static/style.css",
            get(|| async { asset("text/css; charset=utf-8", html::CSS) }),
        )
        .route(
            "/static/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", html::JS) }),
        )
        .nest("/api/v1", api::routes())
        .fallback(not_found);
    #[cfg(test)]
    let router = tests::extra(router);
    let router = router
        // The last layer added is the outermost.
        .layer(from_fn_with_state(layers.clone(), middleware::caching))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(from_fn_with_state(layers, middleware::guard))
        .layer(from_fn(middleware::security_headers))
        .layer(from_fn(middleware::log_request))
        .with_state(site);
    (router, cache, queue)
}

fn asset(ct: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, ct),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn not_found(State(site): State<Shared>) -> Response {
    html(
        StatusCode::NOT_FOUND,
        pages::error(
            &site,
            "Seite nicht gefunden",
            "Diese Adresse gibt es nicht.",
        ),
    )
}

async fn start(State(site): State<Shared>) -> Response {
    html(StatusCode::OK, pages::start(&site))
}

async fn imprint(State(site): State<Shared>) -> Response {
    html(StatusCode::OK, pages::imprint(&site))
}

async fn planning_page(State(site): State<Shared>) -> Response {
    html(
        StatusCode::OK,
        html::page(
            "Planung und Maßnahmen",
            &planning::page(&site),
            &site.data_date,
        ),
    )
}

async fn planning_field(State(site): State<Shared>, Path(field): Path<String>) -> Response {
    match planning::field_page(&site, &field) {
        Some((name, body)) => html(
            StatusCode::OK,
            html::page(&format!("Handlungsfeld {name}"), &body, &site.data_date),
        ),
        None => html(
            StatusCode::NOT_FOUND,
            pages::error(
                &site,
                "Handlungsfeld nicht gefunden",
                "Zu diesem Handlungsfeld ist nichts veröffentlicht.",
            ),
        ),
    }
}

async fn planning_measure(State(site): State<Shared>, Path(id): Path<String>) -> Response {
    // Ids are whole numbers; anything else names no measure.
    match id
        .parse()
        .ok()
        .and_then(|id| planning::measure_page(&site, id))
    {
        Some((title, body)) => html(
            StatusCode::OK,
            html::page(&format!("Maßnahme {title}"), &body, &site.data_date),
        ),
        None => html(
            StatusCode::NOT_FOUND,
            pages::error(
                &site,
                "Maßnahme nicht gefunden",
                "Diese Maßnahme gibt es nicht, oder sie ist nicht veröffentlicht.",
            ),
        ),
    }
}

async fn profile(State(site): State<Shared>, Path(key): Path<String>) -> Response {
    let Some(r) = site.region(key.trim()) else {
        return html(
            StatusCode::NOT_FOUND,
            pages::error(
                &site,
                "Gebiet nicht gefunden",
                &format!(
                    "Zum Schlüssel {key} gibt es kein Gebiet. Suchen Sie nach Name oder Postleitzahl."
                ),
            ),
        );
    };
    match site.successor.get(&r) {
        Some(&s) => html(StatusCode::OK, pages::profile(&site, s, Some(r))),
        None => html(StatusCode::OK, pages::profile(&site, r, None)),
    }
}

async fn indicator(State(site): State<Shared>, Path(key): Path<String>, q: Params) -> Response {
    let Some(ind) = site.indicator(&key) else {
        return html(
            StatusCode::NOT_FOUND,
            pages::error(
                &site,
                "Indikator nicht gefunden",
                &format!("Einen Indikator „{key}“ gibt es nicht; der Katalog listet alle."),
            ),
        );
    };
    match pages::View::parse(&site, ind, &q) {
        Ok(v) => html(StatusCode::OK, pages::indicator(&site, ind, &v)),
        Err(m) => html(
            StatusCode::BAD_REQUEST,
            pages::error(&site, "Ungültige Auswahl", &m),
        ),
    }
}

async fn catalogue(State(site): State<Shared>, q: Params) -> Response {
    let g = |k: &str| q.get(k).unwrap_or("");
    html(
        StatusCode::OK,
        pages::catalogue(&site, g("feld"), g("gruppe"), g("q")),
    )
}

/// `/wegweiser?gemeinde=&thema=&zielgruppe=&q=`: the directory of social services, or the
/// Seniorenwegweiser.
async fn directory_page(site: &Site, q: &Params, seniors: bool) -> Response {
    let filter = wegweiser::Filter::read(site, |k| q.get(k).unwrap_or("").to_string());
    let (title, body) = wegweiser::page(site, &filter, seniors);
    html(StatusCode::OK, html::page(&title, &body, &site.data_date))
}

async fn directory(State(site): State<Shared>, q: Params) -> Response {
    directory_page(&site, &q, false).await
}

async fn senior_directory(State(site): State<Shared>, q: Params) -> Response {
    directory_page(&site, &q, true).await
}

/// `/beteiligung`: the published events, coming ones as of today (the server's clock).
async fn participation_page(State(site): State<Shared>) -> Response {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64 / 86_400);
    let today = sozialmonitor_core::format::iso_date(days);
    let (title, body) = participation::page(&site, &today);
    html(StatusCode::OK, html::page(&title, &body, &site.data_date))
}

/// `/beteiligung/{id}`: one published event.
async fn participation_event(State(site): State<Shared>, Path(id): Path<String>) -> Response {
    match id
        .parse()
        .ok()
        .and_then(|id| participation::event_page(&site, id))
    {
        Some((title, body)) => html(StatusCode::OK, html::page(&title, &body, &site.data_date)),
        None => html(
            StatusCode::NOT_FOUND,
            pages::error(
                &site,
                "Veranstaltung nicht gefunden",
                "Diese Veranstaltung ist nicht veröffentlicht.",
            ),
        ),
    }
}

/// `/analyse`: the typology of municipalities and its method.
async fn analysis_page(State(site): State<Shared>) -> Response {
    let (title, body) = analysis::page(&site);
    html(StatusCode::OK, html::page(&title, &body, &site.data_date))
}

/// `/analyse/typ/{n}`: one type of municipalities.
async fn analysis_type(State(site): State<Shared>, Path(n): Path<String>) -> Response {
    match n.parse().ok().and_then(|n| analysis::type_page(&site, n)) {
        Some((title, body)) => html(StatusCode::OK, html::page(&title, &body, &site.data_date)),
        None => html(
            StatusCode::NOT_FOUND,
            pages::error(
                &site,
                "Gemeindetyp nicht gefunden",
                "Diesen Gemeindetyp gibt es nicht; die Seite „Analysen“ nennt alle.",
            ),
        ),
    }
}

async fn search(State(site): State<Shared>, q: Params) -> Response {
    html(
        StatusCode::OK,
        pages::search(&site, q.get("q").unwrap_or("")),
    )
}

/// `/vergleich?r=14522&r=15082&i=anteil_65_plus`: at most five regions and four indicators
/// (more is refused before this runs, see `query`).
async fn compare(State(site): State<Shared>, q: Params) -> Response {
    let mut regions = Vec::new();
    for v in q.all("r") {
        // A key, or else the best match of a name or postcode.
        let found = site
            .region(v.trim())
            .or_else(|| site.search(v, 1).first().copied());
        if let Some(r) = found.map(|r| site.successor.get(&r).copied().unwrap_or(r))
            && !regions.contains(&r)
        {
            regions.push(r);
        }
    }
    let mut inds: Vec<&site::Indicator> = Vec::new();
    for v in q.all("i") {
        if let Some(i) = site.indicator(v)
            && !inds.iter().any(|x| x.entry.key == i.entry.key)
        {
            inds.push(i);
        }
    }
    if regions.is_empty() && inds.is_empty() {
        let home = site.home;
        return Redirect::to(&format!(
            "/vergleich?r={}&r={}&i=anteil_65_plus&i=arbeitslose_je_1000&i=personen_bg_sgb2_je_1000",
            html::qv(&site.regions[home].key),
            site.up(home, sozialmonitor_core::RegionLevel::Land)
                .map(|l| html::qv(&site.regions[l].key))
                .unwrap_or_default()
        ))
        .into_response();
    }
    html(StatusCode::OK, pages::compare(&site, &regions, &inds))
}

/// `2026-11-23` → `Mon, 23 Nov 2026 00:00:00 GMT`.
pub fn http_date(iso: &str) -> String {
    let p: Vec<i64> = iso.split('-').filter_map(|x| x.parse().ok()).collect();
    let [y, m, d] = p[..] else {
        return "Thu, 01 Jan 1970 00:00:00 GMT".into();
    };
    // Days since 1970-01-01 (civil from days, inverted), then the weekday.
    let (yy, mm) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(m as usize).clamp(1, 12) - 1];
    format!("{wd}, {d:02} {mon} {y} 00:00:00 GMT")
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn http_dates_have_the_right_weekday() {
        assert_eq!(http_date("2026-11-23"), "Mon, 23 Nov 2026 00:00:00 GMT");
        assert_eq!(http_date("2024-02-29"), "Thu, 29 Feb 2024 00:00:00 GMT");
        assert_eq!(http_date("1970-01-01"), "Thu, 01 Jan 1970 00:00:00 GMT");
    }
}
