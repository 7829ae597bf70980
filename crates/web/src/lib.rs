//! The public dashboard and its JSON API: axum over an in-memory [`Site`] loaded from the store.
//!
//! Every number served is the public side of the results cache, where confidentiality has
//! already been applied in one place (`core::indicators::compute_all`). Responses carry an ETag
//! and Last-Modified and are compressed.

pub mod api;
pub mod html;
pub mod pages;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rustc_hash::FxHashMap;
use sozialmonitor_viz::chart::lines;

pub use sozialmonitor_site::{self as site, Site};

type Shared = Arc<Site>;

/// Memory for rendered pages (the demo's site itself takes about 100 MB).
const CACHE_BUDGET: usize = 32 << 20;

/// The router of the dashboard and the API.
pub fn router(site: Site) -> Router {
    let cache = Arc::new(ResponseCache::new(&site.data_date, CACHE_BUDGET));
    let site: Shared = Arc::new(site);
    Router::new()
        .route("/", get(start))
        .route("/gemeinde/{key}", get(profile))
        .route("/gemeinde/{key}/profil.pdf", get(profile_pdf))
        .route("/indikator/{key}", get(indicator))
        .route("/indikator/{key}/{file}", get(indicator_file))
        .route("/katalog", get(catalogue))
        .route("/suche", get(search))
        .route("/vergleich", get(compare))
        .route("/impressum", get(imprint))
        .route(
            "/static/style.css",
            get(|| async { asset("text/css; charset=utf-8", html::CSS) }),
        )
        .route(
            "/static/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", html::JS) }),
        )
        .nest("/api/v1", api::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(cache, caching))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(site)
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

/// The profile as PDF, typeset on demand off the async workers (about 50 ms), then served from
/// the response cache like every page.
async fn profile_pdf(State(site): State<Shared>, Path(key): Path<String>) -> Response {
    let Some(r) = site.region(key.trim()) else {
        return html(
            StatusCode::NOT_FOUND,
            pages::error(
                &site,
                "Gebiet nicht gefunden",
                &format!("Zum Schlüssel {key} gibt es kein Gebiet."),
            ),
        );
    };
    let r = site.successor.get(&r).copied().unwrap_or(r);
    let s = site.clone();
    match tokio::task::spawn_blocking(move || sozialmonitor_report::profile(&s, r)).await {
        Ok(Ok(pdf)) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "inline; filename=\"gemeindeprofil-{}.pdf\"",
                        site.regions[r].key
                    ),
                ),
            ],
            pdf,
        )
            .into_response(),
        Ok(Err(e)) => html(
            StatusCode::INTERNAL_SERVER_ERROR,
            pages::error(
                &site,
                "PDF nicht verfügbar",
                &format!("Das Profil konnte nicht gesetzt werden: {e}"),
            ),
        ),
        Err(_) => html(
            StatusCode::INTERNAL_SERVER_ERROR,
            pages::error(
                &site,
                "PDF nicht verfügbar",
                "Das Profil konnte nicht gesetzt werden.",
            ),
        ),
    }
}

async fn indicator(
    State(site): State<Shared>,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
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

/// Downloads of exactly what the indicator page shows: the table as CSV or XLSX, the map and the
/// time series as SVG.
async fn indicator_file(
    State(site): State<Shared>,
    Path((key, file)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(ind) = site.indicator(&key) else {
        return api::error(
            StatusCode::NOT_FOUND,
            "unknown_indicator",
            "no such indicator",
        );
    };
    let v = match pages::View::parse(&site, ind, &q) {
        Ok(v) => v,
        Err(m) => return api::error(StatusCode::BAD_REQUEST, "bad_request", &m),
    };
    let set = site::facts::map_regions(&site, ind, v.region, v.year);
    let name = format!("{}_{}", key, v.year);
    let attach = |ext: &str| format!("attachment; filename=\"{name}.{ext}\"");
    match file.as_str() {
        "daten.csv" => {
            let mut s = String::from("\u{feff}Schlüssel;Gebiet;Jahr;Wert;Einheit\r\n");
            for &r in &set {
                s.push_str(&format!(
                    "{};{};{};{};{}\r\n",
                    site.regions[r].key,
                    site.regions[r].name,
                    v.year,
                    ind.text(r, v.year),
                    ind.entry.unit
                ));
            }
            s.push_str(&format!(
                "\r\nQuelle: {}; Datenlizenz Deutschland – Namensnennung – Version 2.0; \".\" = gesperrt (Geheimhaltung)\r\n",
                ind.entry.source
            ));
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, attach("csv")),
                ],
                s,
            )
                .into_response()
        }
        "daten.xlsx" => match xlsx(&site, ind, &set, v.year) {
            Ok(bytes) => (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_string(),
                    ),
                    (header::CONTENT_DISPOSITION, attach("xlsx")),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => api::error(StatusCode::INTERNAL_SERVER_ERROR, "xlsx", &e.to_string()),
        },
        "karte.svg" => {
            let (svg, _) = pages::map_and_table(
                &site, ind, &set, v.region, v.year, &v.method, v.classes, None,
            );
            svg_response(svg, attach("svg"))
        }
        "zeitreihe.svg" => {
            let ls = site::facts::series_lines(&site, ind, v.region);
            let svg = lines(
                &ls,
                &format!("{}: Zeitreihe", ind.entry.short_name),
                &format!("Entwicklung von {}", site.regions[v.region].name),
                ind.decimals,
                640.0,
            );
            svg_response(svg, attach("svg"))
        }
        _ => api::error(StatusCode::NOT_FOUND, "not_found", "no such download"),
    }
}

fn svg_response(svg: String, disposition: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        svg,
    )
        .into_response()
}

fn xlsx(
    site: &Site,
    ind: &site::Indicator,
    set: &[usize],
    year: u16,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Daten")?;
    let bold = Format::new().set_bold();
    for (c, h) in ["Schlüssel", "Gebiet", "Jahr", "Wert", "Einheit"]
        .iter()
        .enumerate()
    {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let fmt = Format::new().set_num_format(if ind.decimals == 0 {
        "#,##0"
    } else {
        "#,##0.0"
    });
    for (i, &r) in set.iter().enumerate() {
        let row = i as u32 + 1;
        ws.write_string(row, 0, &site.regions[r].key)?;
        ws.write_string(row, 1, &site.regions[r].name)?;
        ws.write_number(row, 2, f64::from(year))?;
        match ind.num(r, year) {
            Some(n) => ws.write_number_with_format(row, 3, n, &fmt)?,
            None => ws.write_string(row, 3, ind.text(r, year))?,
        };
        ws.write_string(row, 4, &ind.entry.unit)?;
    }
    let n = set.len() as u32 + 2;
    ws.write_string(
        n,
        0,
        format!(
            "Quelle: {}; dl-de/by-2-0; \".\" = gesperrt (Geheimhaltung)",
            ind.entry.source
        ),
    )?;
    ws.set_column_width(1, 32)?;
    wb.save_to_buffer()
}

async fn catalogue(
    State(site): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let g = |k: &str| q.get(k).cloned().unwrap_or_default();
    html(
        StatusCode::OK,
        pages::catalogue(&site, &g("feld"), &g("gruppe"), &g("q")),
    )
}

async fn search(State(site): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    html(
        StatusCode::OK,
        pages::search(&site, q.get("q").map(String::as_str).unwrap_or("")),
    )
}

/// `/vergleich?r=14522&r=15082&i=anteil_65_plus`: repeated keys, so the raw query is parsed.
async fn compare(State(site): State<Shared>, RawQuery(raw): RawQuery) -> Response {
    let mut regions = Vec::new();
    let mut inds = Vec::new();
    for (k, v) in form_pairs(raw.as_deref().unwrap_or("")) {
        match k.as_str() {
            "r" => {
                // A key, or else the best match of a name or postcode.
                let found = site
                    .region(v.trim())
                    .or_else(|| site.search(&v, 1).first().copied());
                if let Some(r) = found.map(|r| site.successor.get(&r).copied().unwrap_or(r))
                    && regions.len() < 5
                    && !regions.contains(&r)
                {
                    regions.push(r);
                }
            }
            "i" => {
                if let Some(i) = site.indicator(&v) {
                    inds.push(i);
                }
            }
            _ => {}
        }
    }
    if regions.is_empty() && inds.is_empty() {
        let home = site.home;
        return Redirect::to(&format!(
            "/vergleich?r={}&r={}&i=anteil_65_plus&i=arbeitslose_je_1000&i=personen_bg_sgb2_je_1000",
            site.regions[home].key,
            site.up(home, sozialmonitor_core::RegionLevel::Land)
                .map(|l| site.regions[l].key.clone())
                .unwrap_or_default()
        ))
        .into_response();
    }
    html(StatusCode::OK, pages::compare(&site, &regions, &inds))
}

/// `application/x-www-form-urlencoded` pairs.
pub fn form_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(x) => {
                    out.push(x);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Rendered responses by URI. The site never changes while the server runs, so a page is rendered
/// once and then served from memory; the cache is emptied when it would exceed its budget.
pub struct ResponseCache {
    entries: RwLock<FxHashMap<String, Arc<Cached>>>,
    bytes: AtomicUsize,
    budget: usize,
    last_modified: String,
}

struct Cached {
    headers: HeaderMap,
    body: axum::body::Bytes,
}

impl ResponseCache {
    fn new(data_date: &str, budget: usize) -> ResponseCache {
        ResponseCache {
            entries: RwLock::new(FxHashMap::default()),
            bytes: AtomicUsize::new(0),
            budget,
            last_modified: http_date(data_date),
        }
    }
}

fn cached_response(c: &Cached, inm: Option<&HeaderValue>) -> Response {
    let etag = c.headers.get(header::ETAG);
    if inm.is_some() && inm == etag {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        copy_cache_headers(&c.headers, r.headers_mut());
        return r;
    }
    let mut r = Response::new(Body::from(c.body.clone()));
    *r.headers_mut() = c.headers.clone();
    r
}

/// ETag (a hash of the body) and Last-Modified (the data date) on every successful response;
/// a matching If-None-Match gets 304 without a body. Successful GET responses are cached.
async fn caching(State(cache): State<Arc<ResponseCache>>, req: Request, next: Next) -> Response {
    let inm = req.headers().get(header::IF_NONE_MATCH).cloned();
    let key = (req.method() == axum::http::Method::GET).then(|| req.uri().to_string());
    if let Some(k) = &key
        && let Some(hit) = cache.entries.read().ok().and_then(|m| m.get(k).cloned())
    {
        return cached_response(&hit, inm.as_ref());
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::OK {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 << 20).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes.iter() {
        h = (h ^ u64::from(*b)).wrapping_mul(0x100000001b3);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("\"{h:016x}\"")) {
        parts.headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&cache.last_modified) {
        parts.headers.insert(header::LAST_MODIFIED, v);
    }
    let entry = Arc::new(Cached {
        headers: parts.headers,
        body: bytes,
    });
    if let Some(k) = key
        && let Ok(mut m) = cache.entries.write()
    {
        let size = entry.body.len() + k.len();
        if cache.bytes.load(Ordering::Relaxed) + size > cache.budget {
            m.clear();
            cache.bytes.store(0, Ordering::Relaxed);
        }
        cache.bytes.fetch_add(size, Ordering::Relaxed);
        m.insert(k, entry.clone());
    }
    cached_response(&entry, inm.as_ref())
}

fn copy_cache_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for k in [header::ETAG, header::LAST_MODIFIED, header::CACHE_CONTROL] {
        if let Some(v) = from.get(&k) {
            to.insert(k, v.clone());
        }
    }
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

/// Serves the site until Ctrl-C, printing the address it listens at (port 0 picks a free one).
pub async fn serve(site: Site, addr: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!(
        "serving the dashboard at http://{}/ (Ctrl-C stops)",
        listener.local_addr()?
    );
    axum::serve(listener, router(site))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_have_the_right_weekday() {
        assert_eq!(http_date("2026-11-23"), "Mon, 23 Nov 2026 00:00:00 GMT");
        assert_eq!(http_date("2024-02-29"), "Thu, 29 Feb 2024 00:00:00 GMT");
        assert_eq!(http_date("1970-01-01"), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn form_pairs_decode_repeated_keys() {
        let p = form_pairs("r=14522&r=15082&i=anteil_65_plus&q=Frei+berg%C3%BC");
        assert_eq!(p[1], ("r".into(), "15082".into()));
        assert_eq!(p[3].1, "Frei bergü");
    }
}
