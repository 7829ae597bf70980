//! Router tests over a small site built in a temporary database: hostile query strings, the
//! response cache, security headers, downloads, PDFs and the server's connection limits.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::routing;
use serde_json::json;
use sozialmonitor_core::engine::Cell;
use sozialmonitor_core::{Dataset, IndicatorEntry, Period, Region, RegionKey};
use sozialmonitor_store::{Database, ImportOptions, ImportSource, ResultRow, Results, Store};
use tower::ServiceExt;

use crate::cache::ResponseCache;
use crate::{Config, Site, app};

/// Routes only the tests have, added before the layers like every route.
pub(crate) fn extra(r: Router<crate::Shared>) -> Router<crate::Shared> {
    r.route("/test/panic", routing::get(panics)).route(
        "/test/slow",
        routing::get(|| async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            "spät"
        }),
    )
}

async fn panics() -> &'static str {
    let detail = "geheimes Detail";
    if !detail.is_empty() {
        panic!("{detail}");
    }
    detail
}

fn entry(key: &str, name: &str, unit: &str) -> IndicatorEntry {
    serde_json::from_value(json!({
        "key": key, "name": name, "short_name": name, "unit": unit,
        "action_field": "Demografie", "polarity": "neutral", "status": "available",
        "source": "Testquelle", "definition": "Zum Testen."
    }))
    .expect("catalogue entry")
}

/// Sachsen, Mittelsachsen and three municipalities, one of them named like a spreadsheet
/// formula; two indicators, one with negative values and one suppressed cell. The 2020 shares
/// of 65+ of Mittelsachsen and Altmittweida are incomplete sums; so is Rochlitz's, which is
/// suppressed and so shows no mark.
fn site() -> Site {
    site_with(false)
}

/// [`site`], with square boundaries for the municipalities if `boundaries` (maps then have
/// areas, and every page is larger).
fn site_with(boundaries: bool) -> Site {
    site_from(boundaries, |_| {})
}

/// [`site_with`], with `extra` done to the store before the site is loaded.
fn site_from(boundaries: bool, extra: impl FnOnce(&mut Database)) -> Site {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Database::open(&sozialmonitor_store::Location::file(
        &dir.path().join("t.sqlite"),
    ))
    .expect("store");
    let mut d = Dataset::new("test");
    let date = Period::parse("2023-12-31").expect("date");
    for (key, name, parent) in [
        ("DG", "Deutschland", None),
        ("14", "Sachsen", Some("DG")),
        ("14522", "Mittelsachsen", Some("14")),
        ("14522010", "Altmittweida", Some("14522")),
        ("14522020", "=HYPERLINK(\"http://x\";\"y\")", Some("14522")),
        ("14522030", "Rochlitz, Stadt", Some("14522")),
    ] {
        let mut r = Region::new(RegionKey::parse(key).expect("key"), name);
        r.parent = parent.map(|p| RegionKey::parse(p).expect("parent"));
        r.valid_from = Some(date);
        d.regions.push(r);
    }
    if boundaries {
        for (i, key) in ["14522010", "14522020", "14522030"].into_iter().enumerate() {
            let x = 12.0 + i as f64 * 0.1;
            d.boundaries.push(sozialmonitor_core::Boundary {
                key: RegionKey::parse(key).expect("key"),
                name: None,
                polygons: vec![vec![vec![
                    [x, 50.0],
                    [x + 0.1, 50.0],
                    [x + 0.1, 50.1],
                    [x, 50.1],
                    [x, 50.0],
                ]]],
            });
        }
    }
    d.catalog.push(entry(
        "anteil_65_plus",
        "Anteil der Einwohner:innen ab 65 Jahren",
        "%",
    ));
    d.catalog.push(entry(
        "wanderungssaldo_je_1000",
        "Wanderungssaldo",
        "je 1.000 Einwohner:innen",
    ));
    let mut population = entry("bevoelkerung", "Bevölkerung", "Personen");
    population.breaks = vec![
        serde_json::from_value(json!({
            "key": "zensus_test", "title": "Zensus 2018", "year": 2018,
            "explanation": "Neue Grundlage der Fortschreibung."
        }))
        .expect("break"),
    ];
    d.catalog.push(population);
    // Published for the Kreis and the Land only, and not in the last year.
    d.catalog.push(entry(
        "arbeitslose_je_1000",
        "Arbeitslose je 1.000",
        "je 1.000 Einwohner:innen",
    ));
    let src = ImportSource {
        file_name: "test.csv".into(),
        sha256: "0".repeat(64),
    };
    store
        .import(&src, &d, ImportOptions::default())
        .expect("import");
    let mut rows = Vec::new();
    let mut row = |ind: &str, region: &str, year: u16, v: f64, suppressed: bool| {
        rows.push(ResultRow {
            indicator: ind.into(),
            region: region.into(),
            year,
            cell: Cell::Num(v),
            incomplete: false,
            suppressed,
            equivalent: false,
        });
    };
    for (i, (r, v)) in [
        ("14", 25.1),
        ("14522", 26.5),
        ("14522010", 23.2),
        ("14522020", 24.0),
        ("14522030", 27.9),
    ]
    .into_iter()
    .enumerate()
    {
        row("anteil_65_plus", r, 2015, v, false);
        row("anteil_65_plus", r, 2020, v + 1.0, i == 4);
        row("wanderungssaldo_je_1000", r, 2020, -3.5 + i as f64, false);
        row("bevoelkerung", r, 2015, 10_000.0 * (i + 1) as f64, false);
        row("bevoelkerung", r, 2020, 9_000.0 * (i + 1) as f64, false);
    }
    row("arbeitslose_je_1000", "14", 2015, 61.5, false);
    row("arbeitslose_je_1000", "14522", 2015, 58.3, false);
    for r in rows.iter_mut().filter(|r| {
        r.indicator == "anteil_65_plus"
            && r.year == 2020
            && ["14522", "14522010", "14522030"].contains(&r.region.as_str())
    }) {
        r.incomplete = true;
    }
    store
        .save_results(&Results {
            territory: Default::default(),
            years: (2015, 2020),
            data_version: 0,
            rows,
        })
        .expect("results");
    extra(&mut store);
    Site::load(&store, "14522").expect("site")
}

fn config() -> Config {
    Config {
        pdf_workers: 1,
        ..Config::default()
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn get_with(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = Request::builder().uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

async fn get(app: &Router, uri: &str) -> Reply {
    get_with(app, uri, &[]).await
}

fn new_app() -> (Router, Arc<ResponseCache>) {
    app(site(), &config())
}

/// Regression: `%a` before a multi-byte character panicked the connection task.
#[tokio::test]
async fn percent_a_before_utf8_gives_a_page_not_a_panic() {
    let (app, _) = new_app();
    // Percent-encoded, and raw where the URI parser lets it through (hyper uses the same one).
    for uri in [
        "/vergleich?r=%a%C3%BC",
        "/vergleich?r=%a\u{fc}&i=%",
        "/suche?q=%a\u{fc}",
    ] {
        let Ok(req) = Request::builder().uri(uri).body(Body::empty()) else {
            continue;
        };
        let res = app.clone().oneshot(req).await.expect("infallible");
        // A page, the redirect to the default comparison (nothing matched), or a refusal.
        assert!(
            matches!(
                res.status(),
                StatusCode::OK | StatusCode::SEE_OTHER | StatusCode::BAD_REQUEST
            ),
            "{uri}: {}",
            res.status()
        );
    }
}

/// Three municipalities and no feature marked in the catalogue: the analyses page says why
/// there are no types instead of inventing them, no profile names a type, no type page exists.
#[tokio::test]
async fn without_features_there_is_no_typology_and_the_page_says_why() {
    let (app, _) = new_app();
    let r = get(&app, "/analyse").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text().contains("Eine Typisierung der Gemeinden ist derzeit nicht möglich: Der Katalog nennt weniger als zwei Merkmale"),
        "{}",
        r.text()
    );
    assert!(
        r.text().contains(r#"<a href="/analyse">Analysen</a>"#),
        "in the navigation"
    );
    assert!(
        !get(&app, "/gemeinde/14522010")
            .await
            .text()
            .contains("Gemeindetyp")
    );
    assert_eq!(
        get(&app, "/analyse/typ/1").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_compare_page_shows_the_key_figures_for_regions_without_indicators() {
    let (app, _) = new_app();
    let r = get(&app, "/vergleich?r=14522").await;
    assert_eq!(r.status, StatusCode::OK);
    let text = r.text();
    assert!(text.contains("<caption>Vergleich</caption>"), "{text}");
    assert!(text.contains(r#"<input name="r" value="14522""#), "{text}");
}

#[tokio::test]
async fn eight_thousand_regions_are_refused_quickly() {
    let (app, cache) = new_app();
    let uri = format!("/vergleich?{}", "r=a&".repeat(8000));
    let t = Instant::now();
    let r = get(&app, &uri).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("zu lang"), "{}", r.text());
    assert!(
        r.text().contains("<html lang=\"de\">"),
        "the site's error page"
    );
    // Within the length limit, the count limit: six regions are one too many.
    let r = get(&app, &format!("/vergleich?{}", "r=a&".repeat(6))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("höchstens 5-mal"), "{}", r.text());
    let r = get(&app, &format!("/vergleich?{}i=x", "r=a&".repeat(5))).await;
    assert_eq!(r.status, StatusCode::OK);
    // A refusal is cheap: no search ran for 8,000 names. (Generous bound: a debug build.)
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(cache.len(), 1, "only the valid comparison is kept");
}

#[tokio::test]
async fn too_many_manual_breaks_or_classes_are_refused() {
    let (app, _) = new_app();
    let breaks = (0..3000)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(";");
    let r = get(
        &app,
        &format!("/indikator/anteil_65_plus?methode=manual:{breaks}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.len() < 20_000, "a short error page, not 1 MB");
    let twenty_one = (0..21)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("%3B");
    let r = get(
        &app,
        &format!("/indikator/anteil_65_plus?methode=manual%3A{twenty_one}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text().contains("höchstens 20 Klassengrenzen"),
        "{}",
        r.text()
    );
    let r = get(&app, "/indikator/anteil_65_plus?methode=manual%3A24%3B26").await;
    assert_eq!(r.status, StatusCode::OK);
    for k in ["8", "1", "1000", "drei"] {
        let r = get(&app, &format!("/indikator/anteil_65_plus?klassen={k}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "klassen={k}");
    }
    let r = get(&app, "/indikator/anteil_65_plus/daten.csv?klassen=99").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn api_refusals_are_json() {
    let (app, _) = new_app();
    let r = get(&app, &format!("/api/v1/regions?q={}", "a".repeat(3000))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(v["error"]["code"], "bad_request");
    let r = get(&app, "/api/v1/values?indicator=a&indicator=b").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("indicator given more than 1 times"));
    let r = get(&app, &format!("/{}", "x".repeat(600))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_parameters_do_not_grow_the_cache() {
    let (app, cache) = new_app();
    for uri in [
        "/",
        "/impressum",
        "/katalog",
        "/gemeinde/14522010",
        "/indikator/anteil_65_plus?gebiet=14522",
        "/api/v1/indicators",
        "/static/style.css",
    ] {
        let first = get(&app, uri).await;
        assert_eq!(first.status, StatusCode::OK, "{uri}");
        let n = cache.len();
        for i in 0..50 {
            let sep = if uri.contains('?') { '&' } else { '?' };
            let r = get(&app, &format!("{uri}{sep}utm_source={i}&x{i}=1")).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}");
            assert_eq!(
                r.body, first.body,
                "{uri}: unknown parameters change nothing"
            );
        }
        // The same parameters in another order and with empty ones are the same request.
        assert_eq!(cache.len(), n, "{uri}");
    }
    let a = get(
        &app,
        "/indikator/anteil_65_plus?klassen=4&gebiet=14522&jahr=",
    )
    .await;
    let b = get(&app, "/indikator/anteil_65_plus?gebiet=14522&klassen=4").await;
    assert_eq!(a.body, b.body);
    assert_eq!(cache.len(), 8);
}

/// Each parameter a handler reads is in `query::route`: with it, the answer differs.
#[tokio::test]
async fn every_parameter_the_handlers_read_reaches_them() {
    let (app, _) = new_app();
    for (without, with) in [
        ("/katalog", "/katalog?q=wanderung"),
        ("/katalog", "/katalog?feld=Demografie"),
        ("/katalog", "/katalog?gruppe=Kinder"),
        ("/suche", "/suche?q=Altm"),
        (
            "/vergleich?r=14522&i=anteil_65_plus",
            "/vergleich?r=14522&r=14&i=anteil_65_plus&i=wanderungssaldo_je_1000",
        ),
        (
            "/indikator/anteil_65_plus",
            "/indikator/anteil_65_plus?gebiet=14522010&jahr=2015&methode=equal&klassen=3",
        ),
        (
            "/indikator/anteil_65_plus/daten.csv",
            "/indikator/anteil_65_plus/daten.csv?jahr=2015",
        ),
        (
            "/api/v1/regions?q=Mittelsachsen",
            "/api/v1/regions?parent=14522",
        ),
        (
            "/api/v1/values?indicator=anteil_65_plus",
            "/api/v1/values?indicator=anteil_65_plus&region=14&children=true&year=2015",
        ),
    ] {
        let a = get(&app, without).await;
        let b = get(&app, with).await;
        assert_eq!(a.status, StatusCode::OK, "{without}");
        assert_eq!(b.status, StatusCode::OK, "{with}");
        assert_ne!(a.body, b.body, "{with} is read");
    }
}

#[tokio::test]
async fn a_gzip_hit_serves_the_stored_bytes() {
    let (app, cache) = new_app();
    let gz = [("accept-encoding", "gzip, deflate, br")];
    let first = get_with(&app, "/katalog", &gz).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(first.headers[header::VARY], "accept-encoding");
    let stored = cache.get("/katalog").expect("stored");
    assert_eq!(
        Some(&first.body),
        stored.gzip(),
        "the stored compressed bytes"
    );
    let again = get_with(&app, "/katalog?utm=1", &gz).await;
    assert_eq!(again.body, first.body);
    // The very bytes stored at insertion, not a new compression of the page.
    assert!(
        std::ptr::eq(again.body.as_ptr(), stored.gzip().expect("gzip").as_ptr()),
        "served from the cache"
    );
    // The compressed bytes are the page.
    let mut back = String::new();
    flate2::read::GzDecoder::new(&first.body[..])
        .read_to_string(&mut back)
        .expect("gunzip");
    let plain = get(&app, "/katalog").await;
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(back.as_bytes(), &plain.body[..]);
    assert_eq!(cache.len(), 1);
    // ETag per representation, 304 on a match, and Last-Modified on both.
    let tag = first.headers[header::ETAG]
        .to_str()
        .expect("etag")
        .to_string();
    let plain_tag = plain.headers[header::ETAG]
        .to_str()
        .expect("etag")
        .to_string();
    assert_ne!(tag, plain_tag);
    assert!(plain.headers.get(header::LAST_MODIFIED).is_some());
    let r = get_with(
        &app,
        "/katalog",
        &[("accept-encoding", "gzip"), ("if-none-match", &tag)],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());
    assert_eq!(r.headers[header::ETAG], tag.as_str());
    let r = get_with(&app, "/katalog", &[("if-none-match", &plain_tag)]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    // PDFs and XLSX are not compressed again; CSV is text and is.
    let csv = get_with(&app, "/indikator/anteil_65_plus/daten.csv", &gz).await;
    assert_eq!(csv.headers[header::CONTENT_ENCODING], "gzip");
    let x = get_with(&app, "/indikator/anteil_65_plus/daten.xlsx", &gz).await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.headers.get(header::CONTENT_ENCODING).is_none());
}

#[tokio::test]
async fn security_headers_on_a_page_an_asset_a_404_an_api_response_and_a_304() {
    let (app, _) = new_app();
    let page = get(&app, "/gemeinde/14522010").await;
    let etag = page.headers[header::ETAG]
        .to_str()
        .expect("etag")
        .to_string();
    for (uri, status) in [
        ("/gemeinde/14522010", StatusCode::OK),
        ("/static/style.css", StatusCode::OK),
        ("/static/app.js", StatusCode::OK),
        ("/gibt/es/nicht", StatusCode::NOT_FOUND),
        ("/gemeinde/99999999", StatusCode::NOT_FOUND),
        ("/api/v1/indicators", StatusCode::OK),
        ("/api/v1/gibt_es_nicht", StatusCode::NOT_FOUND),
        (
            "/vergleich?r=1&r=2&r=3&r=4&r=5&r=6",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let r = get(&app, uri).await;
        assert_eq!(r.status, status, "{uri}");
        let h = &r.headers;
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], crate::CSP, "{uri}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{uri}");
        assert_eq!(
            h[header::REFERRER_POLICY],
            "strict-origin-when-cross-origin",
            "{uri}"
        );
        let cc = h[header::CACHE_CONTROL].to_str().expect("cache-control");
        match status {
            StatusCode::OK if uri.starts_with("/static/") => {
                assert!(cc.contains("max-age"), "{uri}")
            }
            StatusCode::OK => assert_eq!(cc, "no-cache", "{uri}: revalidate after an import"),
            _ => assert_eq!(cc, "no-store", "{uri}"),
        }
    }
    let r = get_with(&app, "/gemeinde/14522010", &[("if-none-match", &etag)]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers[header::CONTENT_SECURITY_POLICY], crate::CSP);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-cache");
    // The pages need nothing the policy forbids: no inline script, no inline style.
    for uri in [
        "/",
        "/gemeinde/14522010",
        "/indikator/anteil_65_plus",
        "/vergleich?r=14",
    ] {
        let body = get(&app, uri).await.text();
        assert!(!body.contains("style="), "{uri}");
        assert!(!body.contains("<style"), "{uri}");
        assert!(!body.contains("<script>"), "{uri}");
        assert!(!body.contains("javascript:"), "{uri}");
    }
}

#[tokio::test]
async fn a_panic_becomes_a_plain_500() {
    let (app, _) = new_app();
    let r = get(&app, "/test/panic").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.text().contains("Interner Fehler"));
    assert!(!r.text().contains("geheimes Detail"), "no detail");
    assert_eq!(r.headers[header::CONTENT_SECURITY_POLICY], crate::CSP);
    // The server goes on.
    assert_eq!(get(&app, "/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn two_thousand_distinct_queries_stay_within_the_budget() {
    let budget = 256 << 10;
    let (app, cache) = app(
        site(),
        &Config {
            cache_budget: budget,
            ..config()
        },
    );
    for i in 0..2000 {
        let uri = match i % 4 {
            0 => format!("/suche?q=zz{i}"),
            1 => format!("/katalog?q=zz{i}"),
            2 => format!("/api/v1/regions?q=zz{i}"),
            _ => format!("/vergleich?r=zz{i}&i=anteil_65_plus"),
        };
        assert_eq!(get(&app, &uri).await.status, StatusCode::OK, "{uri}");
        assert!(cache.bytes() <= budget, "{} bytes after {i}", cache.bytes());
    }
    assert!(cache.len() > 10, "the cache still works: {}", cache.len());
    assert!(cache.len() < 2000);
}

#[tokio::test]
async fn csv_download_quotes_every_field_and_defuses_formulas() {
    let (app, _) = new_app();
    let r = get(
        &app,
        "/indikator/wanderungssaldo_je_1000/daten.csv?gebiet=14522&jahr=2020",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let text = r.text();
    let text = text.strip_prefix('\u{feff}').expect("BOM for Excel");
    let mut lines = text.split("\r\n");
    assert_eq!(
        lines.next(),
        Some(r#""Schlüssel";"Gebiet";"Jahr";"Wert";"Einheit";"Hinweis""#)
    );
    assert!(
        text.contains(r#""14522010";"Altmittweida";"2020";"-1,5";"je 1.000 Einwohner:innen""#),
        "{text}"
    );
    // The formula-like name gets a quote mark; its quotes are doubled.
    assert!(
        text.contains(r#""14522020";"'=HYPERLINK(""http://x"";""y"")";"2020";"-0,5";"#),
        "{text}"
    );
    // A negative number is data and is left alone.
    assert!(!text.contains("'-"), "{text}");
    assert!(text.contains("\r\n\r\n\"Quelle: Testquelle;"), "{text}");
    // The suppressed cell is a dot.
    let r = get(
        &app,
        "/indikator/anteil_65_plus/daten.csv?gebiet=14522&jahr=2020",
    )
    .await;
    assert!(
        r.text()
            .contains(r#""14522030";"Rochlitz, Stadt";"2020";".";"%""#)
    );
}

/// The `*` of an incomplete sum as every page shows it.
const MARK: &str = r#"<span class="sym" title="unvollständig: nicht alle Teilgebiete haben Werte">*<span class="skip"> (unvollständig)</span></span>"#;

/// The part of a page from `start` to the end of the element it opens (`end`).
fn section<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let (_, after) = page
        .split_once(start)
        .unwrap_or_else(|| panic!("{start} in the page"));
    let rest = page
        .get(page.len() - after.len() - start.len()..)
        .unwrap_or_default();
    match rest.split_once(end) {
        Some((inside, _)) => rest.get(..inside.len() + end.len()).unwrap_or(rest),
        None => rest,
    }
}

#[tokio::test]
async fn incomplete_sums_are_marked_on_the_pages() {
    let (app, _) = new_app();
    let page = get(&app, "/gemeinde/14522010").await.text();
    // Key figures: Altmittweida and Mittelsachsen marked, Sachsen (complete) not.
    let row = section(
        &page,
        "<tr><th scope=\"row\"><a href=\"/indikator/anteil_65_plus",
        "</tr>",
    );
    assert!(
        row.contains(&format!(r#"<td class="num">24,2{MARK}</td>"#)),
        "{row}"
    );
    assert!(
        row.contains(&format!(r#"<td class="num">27,5{MARK}</td>"#)),
        "{row}"
    );
    assert!(row.contains(r#"<td class="num">26,1</td>"#), "{row}");
    assert!(
        row.contains("↑ gestiegen (Summe 2020 unvollständig)"),
        "{row}"
    );
    assert!(
        page.contains("von 23,2 % auf 24,2 % (Summe unvollständig) gestiegen"),
        "the sentence says it"
    );
    // The mark is explained where `.` is: the footer and the symbols of the imprint.
    assert!(page.contains("Ein „*“ hinter einer Zahl: Summe unvollständig"));
    let imprint = get(&app, "/impressum").await.text();
    assert!(
        imprint.contains("<dt>*</dt><dd>Summe unvollständig"),
        "{imprint}"
    );

    let page = get(&app, "/indikator/anteil_65_plus?gebiet=14522&jahr=2020")
        .await
        .text();
    let (with_areas, _) = crate::app(site_with(true), &config());
    let map = get(
        &with_areas,
        "/indikator/anteil_65_plus/karte.svg?gebiet=14522&jahr=2020",
    )
    .await
    .text();
    assert!(
        map.contains("<title>Altmittweida: 24,2 %*</title>"),
        "{map}"
    );
    assert!(map.contains("<title>Rochlitz, Stadt: .</title>"), "{map}");
    assert!(
        page.contains(&format!(
            "<strong>Mittelsachsen, 2020:</strong> 27,5{MARK} %"
        )),
        "the headline"
    );
    let table = section(&page, "<h2>Tabelle</h2>", "</table>");
    assert!(table.contains(&format!("24,2{MARK}")), "{table}");
    assert!(
        table.contains(r#"<td class="num">25,0</td>"#),
        "a complete value has no mark: {table}"
    );
    let map = section(&page, "<svg", "</svg>");
    assert!(
        map.contains(">* Summe unvollständig</text>"),
        "the legend: {map}"
    );
    assert!(
        page.contains("Altmittweida: 24,2*</title>"),
        "the ranking bar"
    );
    assert!(
        page.contains("<dt>Unvollständige Summen</dt>"),
        "the metadata"
    );
    let series = section(&page, "<summary>Tabelle zur Zeitreihe", "</table>");
    assert!(series.contains(&format!("27,5{MARK}")), "{series}");
    assert!(
        page.contains("Mittelsachsen, 2020: 27,5 (unvollständig)</title>"),
        "the line chart point"
    );
}

#[tokio::test]
async fn a_series_break_is_marked_in_tables_charts_sentences_downloads_and_the_api() {
    let (app, _) = new_app();
    let page = get(&app, "/gemeinde/14522").await.text();
    let row = section(
        &page,
        "<tr><th scope=\"row\"><a href=\"/indikator/bevoelkerung",
        "</tr>",
    );
    assert!(
        row.contains(r#"title="Zeitreihenbruch 2018: Zensus 2018">|"#) && row.contains("18.000"),
        "the first value after the break is marked: {row}"
    );
    assert!(
        row.contains("↓ gesunken (Zeitreihenbruch: Zensus 2018)"),
        "{row}"
    );
    assert!(
        page.contains(
            "– über einen Zeitreihenbruch hinweg (Zensus 2018), nur eingeschränkt vergleichbar."
        ),
        "the sentence says it"
    );
    let page = get(&app, "/indikator/bevoelkerung?gebiet=14522")
        .await
        .text();
    let chart = section(&page, "<h2>Zeitreihe</h2>", "</svg>");
    assert!(
        chart.contains("<title>Zeitreihenbruch 2018: Zensus 2018</title>"),
        "{chart}"
    );
    let series = section(&page, "<summary>Tabelle zur Zeitreihe", "</details>");
    assert!(
        series.contains("| Zeitreihenbruch 2018 (Zensus 2018): Neue Grundlage der Fortschreibung."),
        "{series}"
    );
    assert!(page.contains("<dt>Zeitreihenbrüche</dt><dd><ul class=\"plain\"><li><strong>Zensus 2018 (alle Gebiete)</strong>"));
    let csv = get(
        &app,
        "/indikator/bevoelkerung/daten.csv?gebiet=14522&jahr=2020",
    )
    .await
    .text();
    assert!(
        csv.contains("erster Wert nach Zeitreihenbruch: Zensus 2018"),
        "{csv}"
    );
    let api: serde_json::Value = serde_json::from_str(
        &get(&app, "/api/v1/values?indicator=bevoelkerung&region=14522")
            .await
            .text(),
    )
    .expect("json");
    let marks: Vec<(u64, &str)> = api["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|v| Some((v["year"].as_u64()?, v["break"].as_str()?)))
        .collect();
    assert_eq!(marks, [(2020, "zensus_test")]);
    let ind: serde_json::Value =
        serde_json::from_str(&get(&app, "/api/v1/indicators/bevoelkerung").await.text())
            .expect("json");
    assert_eq!(ind["breaks"][0]["year"], 2018, "{ind}");
}

/// Regression: the time series table showed a suppressed value as `–` (no value).
#[tokio::test]
async fn the_time_series_table_shows_a_suppressed_value_as_a_dot() {
    let (app, _) = new_app();
    let page = get(&app, "/indikator/anteil_65_plus?gebiet=14522030")
        .await
        .text();
    let series = section(&page, "<summary>Tabelle zur Zeitreihe", "</table>");
    let row = section(series, "<tr><th scope=\"row\">2020</th>", "</tr>");
    assert!(
        row.starts_with(
            r#"<tr><th scope="row">2020</th><td class="num"><span class="sym" title="gesperrt"#
        ),
        "{row}"
    );
    assert!(!row.contains('–'), "{row}");
    let rochlitz = section(row, "<td", "</td>");
    assert!(
        !rochlitz.contains("unvollständig"),
        "a suppressed value carries no mark: {rochlitz}"
    );
}

#[tokio::test]
async fn the_api_and_the_csv_carry_the_incomplete_flag() {
    let (app, _) = new_app();
    let r = get(
        &app,
        "/api/v1/values?indicator=anteil_65_plus&region=14522&children=true&year=2020",
    )
    .await;
    assert!(r.text().contains(r#""incomplete":true"#), "{}", r.text());
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    let flag = |key: &str| {
        v["values"]
            .as_array()
            .expect("values")
            .iter()
            .find(|x| x["region"] == key)
            .map(|x| x["incomplete"].clone())
    };
    assert_eq!(flag("14522"), Some(json!(true)));
    assert_eq!(flag("14522010"), Some(json!(true)));
    assert_eq!(flag("14522020"), Some(json!(false)));
    assert_eq!(flag("14522030"), Some(json!(false)), "suppressed: no flag");

    let text = get(
        &app,
        "/indikator/anteil_65_plus/daten.csv?gebiet=14522&jahr=2020",
    )
    .await
    .text();
    assert!(
        text.contains(r#""14522010";"Altmittweida";"2020";"24,2";"%";"unvollständig""#),
        "the number stays a number, the note has its column: {text}"
    );
    assert!(
        text.contains(r#""14522030";"Rochlitz, Stadt";"2020";".";"%";"""#),
        "{text}"
    );
    assert!(
        text.contains(r#"Hinweis ""unvollständig"" = Summe"#),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_parallel_pdfs_get_200_or_503_and_one_cache_entry() {
    let (app, cache) = app(
        site(),
        &Config {
            pdf_workers: 1,
            pdf_queue: 2,
            ..Config::default()
        },
    );
    let mut jobs = Vec::new();
    for i in 0..16 {
        let app = app.clone();
        jobs.push(tokio::spawn(async move {
            get(&app, &format!("/gemeinde/14522010/profil.pdf?n={i}")).await
        }));
    }
    let mut ok = 0;
    for j in jobs {
        let r = tokio::time::timeout(Duration::from_secs(120), j)
            .await
            .expect("answered in time")
            .expect("task");
        match r.status {
            StatusCode::OK => {
                ok += 1;
                assert!(r.body.starts_with(b"%PDF-"));
                assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(r.headers[header::RETRY_AFTER], "5");
            }
            s => panic!("unexpected {s}"),
        }
    }
    assert!(ok >= 1);
    assert_eq!(cache.len(), 1, "one PDF, cached by region");
    // Any query string, and now a cache hit.
    let r = get(&app, "/gemeinde/14522010/profil.pdf?anders=1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(cache.len(), 1);
    assert!(r.headers.get(header::CONTENT_ENCODING).is_none());
}

/// A server on 127.0.0.1 with its own runtime, stopped (gracefully) when dropped.
struct Live {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: std::sync::mpsc::Receiver<()>,
}

impl Live {
    fn start(config: Config) -> Live {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (tx, done) = std::sync::mpsc::channel();
        let site = site();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let l = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = crate::router_with(site, &config);
                crate::server::run(l, app, &config, async {
                    let _ = stopped.await;
                })
                .await;
            });
            let _ = tx.send(());
        });
        Live {
            addr,
            stop: Some(stop),
            done,
        }
    }

    fn connect(&self) -> TcpStream {
        let c = TcpStream::connect(self.addr).expect("connect");
        c.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        c
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        // Graceful shutdown ends within the grace period.
        let _ = self.done.recv_timeout(Duration::from_secs(15));
    }
}

/// Reads until the server closes the connection (or the read times out, which fails).
fn read_until_closed(c: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match c.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return out,
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
    }
}

#[test]
fn a_slow_client_is_cut_off_after_the_header_timeout() {
    let s = Live::start(Config {
        header_timeout: Duration::from_millis(300),
        ..config()
    });
    let mut c = s.connect();
    c.write_all(b"GET / HTTP/1.1\r\nHost: loc")
        .expect("half a header");
    let t = Instant::now();
    read_until_closed(&mut c);
    let took = t.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(took >= Duration::from_millis(200), "{took:?}");
    // A client that sends nothing at all is cut off too.
    let mut idle = s.connect();
    read_until_closed(&mut idle);
}

/// The regression over real HTTP: raw UTF-8 after `%a` in the request line.
#[test]
fn percent_a_before_raw_utf8_over_http_is_answered() {
    let s = Live::start(config());
    for target in [
        &b"/vergleich?r=%a\xc3\xbc"[..],
        b"/suche?q=%\xc3\xbc%a",
        b"/vergleich?r=\xff%",
    ] {
        let mut c = s.connect();
        let mut req = b"GET ".to_vec();
        req.extend_from_slice(target);
        req.extend_from_slice(b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        c.write_all(&req).expect("request");
        let reply = read_until_closed(&mut c);
        let head = String::from_utf8_lossy(&reply);
        let status = head.split_whitespace().nth(1).unwrap_or("");
        assert!(
            ["200", "303", "400"].contains(&status),
            "{}: {head:.80}",
            String::from_utf8_lossy(target)
        );
    }
    // Still serving.
    let mut c = s.connect();
    c.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("request");
    assert!(String::from_utf8_lossy(&read_until_closed(&mut c)).starts_with("HTTP/1.1 200"));
}

#[test]
fn a_64_kb_header_is_refused() {
    let s = Live::start(config());
    let mut c = s.connect();
    let mut req = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Gross: ".to_vec();
    req.extend(std::iter::repeat_n(b'a', 64 << 10));
    req.extend_from_slice(b"\r\n\r\n");
    let t = Instant::now();
    // The server may close before it read everything; then writing fails, which is fine.
    let _ = c.write_all(&req);
    let reply = read_until_closed(&mut c);
    assert!(t.elapsed() < Duration::from_secs(5));
    let head = String::from_utf8_lossy(&reply);
    assert!(
        reply.is_empty() || head.starts_with("HTTP/1.1 431"),
        "{head}"
    );
}

#[test]
fn connections_beyond_the_limit_wait_for_a_free_slot() {
    let s = Live::start(Config {
        max_connections: 1,
        header_timeout: Duration::from_millis(600),
        ..config()
    });
    // The first connection takes the only slot and says nothing.
    let mut first = s.connect();
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    let mut second = s.connect();
    second
        .write_all(b"GET /impressum HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("request");
    let reply = read_until_closed(&mut second);
    // Answered only once the silent one was cut off.
    assert!(
        t.elapsed() >= Duration::from_millis(350),
        "{:?}",
        t.elapsed()
    );
    assert!(String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 200"));
    read_until_closed(&mut first);
}

/// A HEAD request has no body; storing its response would serve empty pages to GET.
#[tokio::test]
async fn head_does_not_store_an_empty_page() {
    let (app, _) = new_app();
    let req = Request::builder()
        .method("HEAD")
        .uri("/impressum")
        .body(Body::empty())
        .expect("request");
    let res = app.clone().oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::OK);
    let r = get(&app, "/impressum").await;
    assert!(
        r.text().contains("Impressum"),
        "GET after HEAD has the page"
    );
    let req = Request::builder()
        .method("HEAD")
        .uri("/impressum")
        .body(Body::empty())
        .expect("request");
    let res = app.clone().oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::OK, "HEAD from the cache");
}

#[test]
fn shutdown_closes_idle_connections_and_ends_the_server() {
    let mut s = Live::start(config());
    let mut c = s.connect();
    // Keep-alive: the connection stays open after the response.
    c.write_all(b"GET /impressum HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("request");
    let mut buf = [0u8; 64];
    let n = c.read(&mut buf).expect("response");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let t = Instant::now();
    if let Some(stop) = s.stop.take() {
        let _ = stop.send(());
    }
    s.done
        .recv_timeout(Duration::from_secs(5))
        .expect("the server ended");
    assert!(t.elapsed() < Duration::from_secs(5));
    read_until_closed(&mut c);
}

#[tokio::test]
async fn a_slow_response_gets_503_after_the_time_limit() {
    let (app, _) = app(
        site(),
        &Config {
            request_timeout: Duration::from_millis(100),
            ..config()
        },
    );
    let t = Instant::now();
    let r = get(&app, "/test/slow").await;
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers[header::RETRY_AFTER], "5");
    assert!(r.text().contains("Zeitüberschreitung"));
}

/// Fuzzing of query strings: arbitrary parameter names and values (valid URI characters,
/// stray `%`, percent-encoded arbitrary bytes, repeated keys) on every route with parameters
/// never panic and never give a 500; a refusal is a 400.
mod fuzz {
    use proptest::prelude::*;

    use super::*;

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9_.~+-]{0,12}",
            Just("%".to_string()),
            any::<u8>().prop_map(|b| format!("%{b:02X}")),
            Just("%a".to_string()),
            Just("r".to_string()),
            Just("i".to_string()),
            Just("methode".to_string()),
            Just("manual:".to_string()),
            Just("klassen".to_string()),
            Just("jahr".to_string()),
            Just("gebiet".to_string()),
            Just("=".to_string()),
            Just("&".to_string()),
            Just(";".to_string()),
        ]
    }

    fn query() -> impl Strategy<Value = String> {
        proptest::collection::vec(piece(), 0..40).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn arbitrary_query_strings_never_panic_or_fail(q in query(), route in 0usize..7) {
            let path = [
                "/vergleich",
                "/indikator/anteil_65_plus",
                "/indikator/anteil_65_plus/daten.csv",
                "/suche",
                "/katalog",
                "/api/v1/values",
                "/api/v1/regions",
            ][route];
            let uri = format!("{path}?{q}");
            // What no HTTP client can send (an invalid URI) never reaches the router.
            prop_assume!(uri.parse::<axum::http::Uri>().is_ok());
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
            let (app, _) = new_app();
            let reply = rt.block_on(get(&app, &uri));
            prop_assert!(reply.status != StatusCode::INTERNAL_SERVER_ERROR, "{uri}: {}", reply.text());
            prop_assert!(
                reply.status.is_success() || reply.status.is_client_error() || reply.status.is_redirection(),
                "{uri}: {}", reply.status
            );
        }
    }
}

/// A key figure that only the Kreis and the Land have is compared in their latest year, not
/// shown as a row of „–“ in a year nobody has.
#[tokio::test]
async fn a_key_figure_without_municipal_values_compares_kreis_and_land() {
    let (app, _) = new_app();
    let page = get(&app, "/gemeinde/14522010").await.text();
    let row = section(
        &page,
        "/indikator/arbeitslose_je_1000?gebiet=14522010",
        "</tr>",
    );
    assert!(
        row.contains("<td>2015") && row.contains("58,3") && row.contains("61,5"),
        "{row}"
    );
}

#[tokio::test]
async fn the_planning_page_shows_what_is_published_and_never_a_withheld_baseline() {
    use sozialmonitor_core::planning::{Direction, Status};
    use sozialmonitor_store::{
        AuditEvent, Cycle, MeasureAim, PlanMeasure, Planning, Recommendation,
    };
    let site = site_from(false, |db| {
        let ev = AuditEvent::new(1, "test", "plan.test", "14522");
        let cycle = db
            .save_cycle(
                &Cycle {
                    id: 0,
                    kreis: "14522".into(),
                    title: "Zyklus 2024–2026".into(),
                    first_year: 2024,
                    last_year: 2026,
                    note: String::new(),
                    source: String::new(),
                },
                &ev,
            )
            .expect("cycle");
        let rec = |title: &str, public: bool| Recommendation {
            id: 0,
            cycle_id: cycle,
            action_field: "Senior:innen".into(),
            title: title.into(),
            body: String::new(),
            indicators: vec!["anteil_65_plus".into()],
            findings: String::new(),
            status: Status::Running,
            decided_by: "Kreistag".into(),
            decided_on: "2026-09-24".into(),
            reference: String::new(),
            outcome: "angenommen".into(),
            public,
            source: String::new(),
            example: false,
        };
        let public_rec = db
            .save_recommendation(&rec("Öffentliche Empfehlung", true), &ev)
            .expect("rec");
        db.save_recommendation(&rec("Interne Empfehlung", false), &ev)
            .expect("rec");
        let measure = |title: &str, public: bool, places: &[&str]| PlanMeasure {
            id: 0,
            cycle_id: cycle,
            recommendation_id: None,
            title: title.into(),
            body: String::new(),
            owner: "Sozialplanung".into(),
            partners: String::new(),
            period_from: "2024".into(),
            period_to: "2026".into(),
            budget: None,
            status: Status::Running,
            target_groups: String::new(),
            municipalities: places.iter().map(|p| p.to_string()).collect(),
            notes: String::new(),
            public,
            source: String::new(),
            example: false,
        };
        let aim = |region: &str, baseline: f64, year: i64| MeasureAim {
            id: 0,
            measure_id: 0,
            indicator: "anteil_65_plus".into(),
            region_key: region.into(),
            baseline,
            baseline_year: year,
            target: 30.0,
            target_year: 2025,
            direction: Direction::Increase,
        };
        // District-wide: 26,5 in 2015 up to 30 by 2025; 27,5 in 2020 is short of the 28,25
        // the straight path expects.
        db.save_plan_measure(
            &measure("Kreisweite Maßnahme", true, &[]),
            &[aim("14522", 26.5, 2015)],
            &ev,
        )
        .expect("measure");
        // Rochlitz's 2020 value (28,9) is withheld: its numbers must not appear.
        let rochlitz = PlanMeasure {
            recommendation_id: Some(public_rec),
            ..measure("Maßnahme in Rochlitz", true, &["14522030"])
        };
        db.save_plan_measure(&rochlitz, &[aim("14522030", 28.9, 2020)], &ev)
            .expect("measure");
        // Compared with the rest of the district from 2015 on, its baseline the public value.
        let baseline = db
            .results("anteil_65_plus")
            .expect("results")
            .unwrap_or_default()
            .into_iter()
            .find(|r| r.region == "14522010" && r.year == 2015 && !r.suppressed)
            .and_then(|r| match r.cell {
                sozialmonitor_core::engine::Cell::Num(x) => Some(x),
                _ => None,
            })
            .expect("Altmittweida's share in 2015");
        db.save_plan_measure(
            &measure("Maßnahme in Altmittweida", true, &["14522010"]),
            &[aim("14522010", baseline, 2015)],
            &ev,
        )
        .expect("measure");
        db.save_plan_measure(&measure("Interne Maßnahme", false, &[]), &[], &ev)
            .expect("measure");
    });
    let (app, _) = crate::app(site, &config());
    let r = get(&app, "/planung").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(
        html.contains("Öffentliche Empfehlung")
            && html.contains("Kreistag am 24.09.2026: angenommen"),
        "{html}"
    );
    assert!(
        !html.contains("Interne Empfehlung") && !html.contains("Interne Maßnahme"),
        "{html}"
    );
    assert!(html.contains("im Rückstand"), "{html}");
    assert!(
        html.contains("Ausgangswert 26,5 (2015), Ziel 30,0 bis 2025"),
        "{html}"
    );
    assert!(
        html.contains("der Ausgangswert ist nicht veröffentlicht"),
        "{html}"
    );
    let rochlitz = html
        .split("<li id=\"massnahme-")
        .find(|part| part.contains("Maßnahme in Rochlitz"))
        .expect("the Rochlitz measure");
    assert!(
        !rochlitz.contains("28,9") && !rochlitz.contains("<svg"),
        "a withheld value leaked: {rochlitz}"
    );
    // The profile of Rochlitz lists both published measures; Altmittweida the district-wide one.
    let html = get(&app, "/gemeinde/14522030").await.text();
    assert!(
        html.contains("Maßnahme in Rochlitz") && html.contains("Kreisweite Maßnahme"),
        "{html}"
    );
    let html = get(&app, "/gemeinde/14522010").await.text();
    assert!(
        !html.contains("Maßnahme in Rochlitz") && html.contains("Kreisweite Maßnahme"),
        "{html}"
    );
    planning_pages_per_field_and_measure(&app).await;
}

/// The pages per action field and per measure of the site built above.
async fn planning_pages_per_field_and_measure(app: &Router) {
    let overview = get(app, "/planung").await.text();
    assert!(
        overview.contains("<caption>Maßnahmen nach Handlungsfeld, mit ihren Gemeinden</caption>")
            && overview
                .contains(r#"<a href="/planung/handlungsfeld/senior-innen">Senior:innen</a>"#),
        "{overview}"
    );
    // Ids in the order saved: 1 district-wide, 2 Rochlitz, 3 Altmittweida, 4 internal.
    let field = get(app, "/planung/handlungsfeld/senior-innen").await;
    assert_eq!(field.status, StatusCode::OK);
    let html = field.text();
    assert!(
        html.contains("Öffentliche Empfehlung")
            && html.contains(r#"<a href="/planung/massnahme/2">Maßnahme in Rochlitz</a>"#)
            && !html.contains("Interne Empfehlung")
            && !html.contains("Kreisweite Maßnahme"),
        "{html}"
    );
    let page = get(app, "/planung/massnahme/2").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains(r#"<a href="/gemeinde/14522030">Rochlitz, Stadt</a>"#)
            && html.contains("der Ausgangswert ist nicht veröffentlicht"),
        "{html}"
    );
    // Rochlitz's withheld 2020 value is neither shown nor compared.
    assert!(
        !html.contains("28,9") && !html.contains("<svg") && !html.contains("übrigen Gemeinden"),
        "{html}"
    );
    let html = get(app, "/planung/massnahme/1").await.text();
    assert!(
        html.contains("Ausgangswert 26,5 (2015), Ziel 30,0 bis 2025") && html.contains("<svg"),
        "{html}"
    );
    let html = get(app, "/planung/massnahme/3").await.text();
    assert!(
        html.contains("Anteil der Einwohner:innen ab 65 Jahren 2015–")
            && html.contains("in der Gemeinde der Maßnahme")
            && html.contains("kein Nachweis einer Wirkung"),
        "{html}"
    );
    // The same through the API: published records only, a withheld baseline as null.
    let api: serde_json::Value =
        serde_json::from_slice(&get(app, "/api/v1/planning").await.body).expect("json");
    let measures = api["measures"].as_array().expect("measures");
    let titles: Vec<&str> = measures
        .iter()
        .filter_map(|m| m["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        [
            "Kreisweite Maßnahme",
            "Maßnahme in Rochlitz",
            "Maßnahme in Altmittweida"
        ]
    );
    assert_eq!(api["recommendations"].as_array().map(Vec::len), Some(1));
    assert_eq!(measures[0]["aims"][0]["progress"], "rueckstand");
    assert_eq!(measures[0]["aims"][0]["baseline"]["value"], 26.5);
    assert!(
        measures[1]["aims"][0]["baseline"].is_null() && measures[1]["aims"][0]["latest"].is_null()
    );
    assert_eq!(measures[1]["action_field"], "Senior:innen");
    assert!(!api.to_string().contains("28.9"), "{api}");
    let one = get(app, "/api/v1/planning/measures/3").await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(
        get(app, "/api/v1/planning/measures/4").await.status,
        StatusCode::NOT_FOUND
    );
    for missing in [
        "/planung/massnahme/4",
        "/planung/massnahme/99",
        "/planung/massnahme/x",
        "/planung/handlungsfeld/bildung",
    ] {
        assert_eq!(
            get(app, missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}

/// An entry of the services directory for the test site.
fn service(
    name: &str,
    municipality: &str,
    topics: &str,
    groups: &str,
    public: bool,
) -> sozialmonitor_store::Service {
    use sozialmonitor_core::services::{Position, TargetGroup, Topic};
    sozialmonitor_store::Service {
        id: 0,
        kreis: "14522".into(),
        name: name.into(),
        provider: "Träger <b>".into(),
        street: String::new(),
        postcode: String::new(),
        place: "Ort".into(),
        municipality: municipality.into(),
        served: vec![],
        position: Position::new(50.05, 12.05),
        topics: topics.split(',').filter_map(Topic::parse).collect(),
        target_groups: groups.split(',').filter_map(TargetGroup::parse).collect(),
        opening_hours: String::new(),
        step_free: Some(true),
        hearing_loop: Some(false),
        easy_language: None,
        languages: "Arabisch".into(),
        phone: String::new(),
        email: String::new(),
        web: "javascript:alert(1)".into(),
        checked_on: "2026-03-01".into(),
        public,
        example: true,
        source: String::new(),
    }
}

#[tokio::test]
async fn the_directory_is_searched_by_municipality_topic_group_and_words() {
    use sozialmonitor_store::{AuditEvent, Services};
    let site = site_from(true, |db| {
        let entries = [
            service(
                "Schuldnerberatung A",
                "14522010",
                "schuldnerberatung",
                "alle",
                true,
            ),
            sozialmonitor_store::Service {
                step_free: None,
                position: None,
                languages: String::new(),
                checked_on: "2024-01-15".into(),
                ..service("Seniorentreff B", "14522030", "begegnung", "senioren", true)
            },
            service("Intern C", "14522010", "schuldnerberatung", "alle", false),
        ];
        db.add_services(&entries, &|s| {
            AuditEvent::new(1, "t", "service.create", &s.name)
        })
        .expect("services");
    });
    let (app, _) = app(site, &config());
    let count = |html: &str| {
        html.split("<h2 id=\"treffer\">")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .expect("a count")
    };
    let page = get(&app, "/wegweiser").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert_eq!(count(&html), 2, "the internal entry is not public");
    assert!(html.contains("<title>Wegweiser soziale Angebote: 2 Angebote – Sozialmonitor</title>"));
    assert!(html.contains("keine Hörschleife") && html.contains("stufenlos erreichbar"));
    // An entry not checked for over a year says so.
    assert!(
        html.contains("15.01.2024 <strong class=\"stale\">vor über einem Jahr"),
        "{html}"
    );
    assert!(!html.contains("Intern C"));
    assert!(html.contains("Beispiel – kein realer Eintrag"));
    assert!(html.contains("Träger &lt;b&gt;"), "escaped");
    assert!(!html.contains("javascript:alert"), "only http(s) links");
    // Two points on the map, each a link to its entry in the list; the one without coordinates
    // at the centre of its municipality, and said to be so.
    assert_eq!(html.matches("class=\"point\"").count(), 2);
    assert!(
        html.contains("Seniorentreff B (ungefähre Lage: Mitte der Gemeinde)"),
        "{html}"
    );
    assert!(html.contains("<dt>Lage</dt><dd>ungefähr: keine Koordinaten erfasst"));
    assert!(html.contains("href=\"#dienst-"));
    for (query, n) in [
        ("gemeinde=14522010", 1),
        ("gemeinde=14522020", 0),
        ("thema=begegnung", 1),
        ("zielgruppe=senioren", 2),
        ("q=seniorentreff%20ort", 1),
        ("q=unbekannt", 0),
        ("thema=gibt-es-nicht", 2),
        ("stufenlos=1", 1),
        ("leicht=1", 0),
        ("sprache=arabisch", 1),
        ("sprache=klingonisch", 2),
    ] {
        let html = get(&app, &format!("/wegweiser?{query}")).await.text();
        assert_eq!(count(&html), n, "{query}");
    }
    // The Seniorenwegweiser: for older people and for everyone, without the group filter.
    let html = get(&app, "/seniorenwegweiser?thema=begegnung").await.text();
    assert!(html.contains("<h1>Seniorenwegweiser</h1>"));
    assert!(!html.contains("name=\"zielgruppe\""));
    assert_eq!(count(&html), 1);
    // The profile of a municipality points to its entries.
    let html = get(&app, "/gemeinde/14522030").await.text();
    assert!(html.contains(r#"<h2>Soziale Angebote</h2><p>Der <a href="/wegweiser?gemeinde=14522030">Wegweiser</a> nennt 1 Angebot für "#), "{html}");
    // The booklet: linked from the page with its municipality, typeset as PDF, the same bytes
    // again from the cache.
    let html = get(&app, "/seniorenwegweiser?gemeinde=14522030")
        .await
        .text();
    assert!(html.contains(r#"href="/seniorenwegweiser.pdf?gemeinde=14522030">Seniorenwegweiser als Broschüre (PDF)</a> für "#), "{html}");
    for uri in [
        "/seniorenwegweiser.pdf",
        "/seniorenwegweiser.pdf?gemeinde=14522030",
    ] {
        let r = get(&app, uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
        assert!(r.body.starts_with(b"%PDF"));
        assert_eq!(get(&app, uri).await.body, r.body, "{uri}");
    }
}

#[tokio::test]
async fn published_events_lead_to_published_recommendations_and_back() {
    use sozialmonitor_core::network::EventFormat;
    use sozialmonitor_core::planning::Status;
    use sozialmonitor_store::{
        AuditEvent, Cycle, Impulse, Network, ParticipationEvent, PlanMeasure, Planning,
        Recommendation,
    };
    let ids = std::cell::Cell::new((0, 0, 0));
    let site = site_from(false, |db| {
        let ev = AuditEvent::new(1, "test", "plan.test", "14522");
        let cycle = Cycle {
            id: 0,
            kreis: "14522".into(),
            title: "Zyklus".into(),
            first_year: 2024,
            last_year: 2026,
            note: String::new(),
            source: String::new(),
        };
        let cycle = db.save_cycle(&cycle, &ev).expect("cycle");
        let rec = |title: &str, public: bool| Recommendation {
            id: 0,
            cycle_id: cycle,
            action_field: "Senior:innen".into(),
            title: title.into(),
            body: String::new(),
            indicators: Vec::new(),
            findings: String::new(),
            status: Status::Planned,
            decided_by: "Kreistag".into(),
            decided_on: String::new(),
            reference: String::new(),
            outcome: String::new(),
            public,
            source: String::new(),
            example: false,
        };
        let public_rec = db
            .save_recommendation(&rec("Seniorenpolitische Strategie", true), &ev)
            .expect("rec");
        let internal_rec = db
            .save_recommendation(&rec("Interne Empfehlung", false), &ev)
            .expect("rec");
        let measure = PlanMeasure {
            id: 0,
            cycle_id: cycle,
            recommendation_id: Some(public_rec),
            title: "Seniorenwegweiser".into(),
            body: String::new(),
            owner: String::new(),
            partners: String::new(),
            period_from: String::new(),
            period_to: String::new(),
            budget: None,
            status: Status::Planned,
            target_groups: String::new(),
            municipalities: Vec::new(),
            notes: String::new(),
            public: true,
            source: String::new(),
            example: false,
        };
        let measure = db.save_plan_measure(&measure, &[], &ev).expect("measure");
        let event = |title: &str, from: &str, public: bool| ParticipationEvent {
            id: 0,
            kreis: "14522".into(),
            format: EventFormat::Forum,
            title: title.into(),
            date_from: from.into(),
            date_to: String::new(),
            place: "Döbeln".into(),
            municipality: String::new(),
            target_groups: Vec::new(),
            participants: Some(40),
            topics: "Wohnen <im Alter>".into(),
            documents: String::new(),
            organiser: String::new(),
            public,
            source: "Protokoll".into(),
            example: false,
        };
        let past = db
            .save_event(&event("Seniorenforum 2025", "2025-05", true), &ev)
            .expect("event");
        db.save_event(&event("Seniorenforum 2999", "2999-01-01", true), &ev)
            .expect("event");
        let internal = db
            .save_event(&event("Interne Sitzung", "2025-06", false), &ev)
            .expect("event");
        let impulse = |title: &str, public: bool| Impulse {
            id: 0,
            event_id: past,
            title: title.into(),
            body: String::new(),
            action_field: "Senior:innen".into(),
            public,
            source: String::new(),
            example: false,
            recommendations: vec![public_rec, internal_rec],
            measures: vec![measure],
        };
        db.save_impulse(&impulse("Mobilität zählt", true), &ev)
            .expect("impulse");
        db.save_impulse(&impulse("Noch nicht freigegeben", false), &ev)
            .expect("impulse");
        ids.set((past, internal, measure));
    });
    let (past, internal, measure) = ids.get();
    let (app, _) = app(site, &config());
    let html = get(&app, "/beteiligung").await.text();
    let (coming, gone) = html.split_once("<h2>Vergangene").expect("two lists");
    assert!(coming.contains("Seniorenforum 2999") && !coming.contains("Seniorenforum 2025"));
    assert!(gone.contains("Seniorenforum 2025") && gone.contains("1 Impuls"));
    assert!(!html.contains("Interne Sitzung"));
    assert!(html.contains("Wohnen &lt;im Alter&gt;"));
    let page = get(&app, &format!("/beteiligung/{past}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Mobilität zählt") && !html.contains("Noch nicht freigegeben"));
    assert!(html.contains("Empfehlung <a href=\"/planung#empfehlung-"));
    assert!(html.contains(&format!(
        "Maßnahme <a href=\"/planung/massnahme/{measure}\""
    )));
    assert!(
        !html.contains("Interne Empfehlung"),
        "an internal record is not linked"
    );
    assert!(html.contains("<dt>Teilnehmende</dt><dd>40</dd>"));
    for missing in [
        format!("/beteiligung/{internal}"),
        "/beteiligung/x".to_string(),
    ] {
        assert_eq!(
            get(&app, &missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
    // And back: the recommendation and the measure name the impulse they came from.
    let html = get(&app, "/planung").await.text();
    assert!(html.contains(&format!(
        "Aus der Beteiligung: „Mobilität zählt“ (<a href=\"/beteiligung/{past}#impuls-"
    )));
    let html = get(&app, &format!("/planung/massnahme/{measure}"))
        .await
        .text();
    assert!(html.contains("Aus der Beteiligung: „Mobilität zählt“"));
}
