//! The dashboard end to end: a real server process on a free port, real HTTP requests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use sozialmonitor_store::testing::Backend;

use crate::{demo, run, text};

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start(db: impl AsRef<std::ffi::OsStr>) -> Server {
    start_with(db, &[])
}

/// Starts `serve` on a free port with these environment variables (limits, log level) and
/// waits until it prints its address.
pub(crate) fn start_with(db: impl AsRef<std::ffi::OsStr>, env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sozialmonitor"))
        .arg("--db")
        .arg(db)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start server");
    let out = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(out).lines();
    let port = loop {
        let line = lines
            .next()
            .expect("server printed its address")
            .expect("line");
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            break rest
                .split('/')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("port");
        }
    };
    // Keep reading stdout, so that a later line cannot fail on a closed pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, port }
}

pub(crate) struct Reply {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn get(s: &Server, path: &str, extra: &[(&str, &str)]) -> Reply {
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    c.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    c.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v == "chunked")
    {
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            let nl = body[at..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("chunk")
                + at;
            let n = usize::from_str_radix(String::from_utf8_lossy(&body[at..nl]).trim(), 16)
                .expect("chunk size");
            if n == 0 {
                break;
            }
            out.extend_from_slice(&body[nl + 2..nl + 2 + n]);
            at = nl + 2 + n + 2;
        }
        body = out;
    }
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    }
}

/// Imports the small demo set into `db` (as `--db` takes it) and computes the cache.
pub(crate) fn fill_demo_db(db: impl AsRef<std::ffi::OsStr>) {
    let db = db.as_ref();
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog/indikatoren.toml");
    for f in [
        demo("registers/GV100AD_301123.txt.gz"),
        demo("genesis/table-csv/12411-01-01-5_00.csv.gz"),
        demo("genesis/table-csv/12411-02-03-5_00.csv.gz"),
        demo("genesis/table-csv/13211-01-03-5_00.csv.gz"),
        demo("boundaries/vg250_gem_simplified_sachsen_sachsen-anhalt_wgs84.geojson.gz"),
        demo("inkar/inkar2024/derived_inkar2024_SN_ST_long.csv.gz"),
        demo("inkar/inkar2024/derived_inkar2024_codebook_SN_ST.csv.gz"),
        catalog,
    ] {
        let o = run(db, &["import", f.to_str().expect("p")]);
        assert!(o.status.success(), "{:?}", text(&o));
    }
    let o = run(db, &["compute", "--all"]);
    assert!(o.status.success(), "{:?}", text(&o));
}

/// The typology on the real data: its method names the features chosen in the catalogue, with
/// the density logged (it is strongly skewed), the profile of `key` names its type, and that
/// type's page lists it; an unknown type is a 404.
fn typology_pages_agree(s: &Server, profile: &str, key: &str) {
    let r = get(s, "/analyse", &[]);
    assert_eq!(r.status, 200);
    for feature in [
        "Anteil 65+ (2015)",
        "Bevölkerungsdichte (2022, logarithmiert)",
    ] {
        assert!(r.body.contains(feature), "{feature}: {}", r.body);
    }
    assert!(
        r.body.contains("gewählt"),
        "the chosen number of types is marked"
    );
    assert!(r.body.contains(r#"href="/analyse/typ/1""#));
    let n: usize = profile
        .split("<h2>Gemeindetyp</h2><p>Typ ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the profile names its type: {profile}"));
    // A row of the list of members (the map links every typed municipality).
    let row = format!(r#"<tr><th scope="row"><a href="/gemeinde/{key}">"#);
    let page = get(s, &format!("/analyse/typ/{n}"), &[]);
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&row), "type {n} lists {key}");
    for other in (1..=7).filter(|m| *m != n) {
        let p = get(s, &format!("/analyse/typ/{other}"), &[]);
        assert!(
            p.status == 404 || !p.body.contains(&row),
            "{key} is of one type only"
        );
    }
    assert_eq!(get(s, "/analyse/typ/0", &[]).status, 404);
    assert_eq!(get(s, "/analyse/typ/abc", &[]).status, 404);
}

/// Every page type answers in German with the landmarks, the numbers in German format and the
/// public values only; the API and the downloads agree with the pages.
pub fn dashboard_pages_api_and_downloads(backend: Backend) {
    let Some((_scratch, db)) = crate::scratch(backend, "dashboard_pages_api_and_downloads") else {
        return;
    };
    fill_demo_db(&db);
    let s = start(&db);

    let r = get(&s, "/", &[]);
    assert_eq!(r.status, 200);
    assert!(r.body.contains(r#"<html lang="de">"#));
    assert!(r.body.contains("Mittelsachsen auf einen Blick"));
    for landmark in ["<main", "<nav", "<header", "<footer", r##"href="#inhalt""##] {
        assert!(r.body.contains(landmark), "{landmark}");
    }

    // SGB II recipients per 1,000: without the raw counts here (table 22811), INKAR's value for
    // 2022 (45.93 in the INKAR 2024 file) is the latest and says so.
    assert!(
        r.body
            .contains("SGB II je 1.000</a> (2022)<div class=\"value\">45,9"),
        "key figure from INKAR: {}",
        r.body
    );
    assert!(r.body.contains("Quelle: INKAR 2024, BBSR Bonn"));
    let r = get(
        &s,
        "/api/v1/values?indicator=personen_bg_sgb2_je_1000&region=14522",
        &[],
    );
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    let at = |year: u64| {
        v["values"]
            .as_array()
            .expect("values")
            .iter()
            .find(|x| x["year"] == year)
            .cloned()
            .expect("year present")
    };
    assert_eq!(at(2022)["value"], serde_json::json!(45.93));
    assert_eq!(at(2022)["source"], "INKAR 2024, BBSR Bonn");
    let r = get(
        &s,
        "/api/v1/values?indicator=anteil_65_plus&region=14522",
        &[],
    );
    assert!(
        r.body.contains(r#""source":null"#) && !r.body.contains("INKAR"),
        "our own computation: {}",
        r.body
    );

    // The Kreis row of the municipal age table: 26,5 % aged 65+ on 31.12.2015, Sachsen 25,1.
    let r = get(&s, "/indikator/anteil_65_plus?gebiet=14522&jahr=2015", &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("26,5"), "Kreis value");
    assert!(r.body.contains("25,1"), "Land value");
    assert!(r.body.contains(r#"role="img""#), "labelled map");
    assert!(r.body.contains("<caption>"), "data table");
    assert!(
        r.body.contains("Rochlitz, Stadt"),
        "municipalities on the map"
    );

    let r = get(&s, "/gemeinde/14522010", &[]);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<h1>Altmittweida</h1>"));
    assert!(r.body.contains("Kennzahlen im Vergleich"));
    assert!(r.body.contains("Altersstruktur"));
    typology_pages_agree(&s, &r.body, "14522010");
    // A Kreis has a profile too.
    let r = get(&s, "/gemeinde/14522", &[]);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<h1>Mittelsachsen</h1>"));
    // Its municipalities by type, each type linked.
    assert!(
        r.body.contains("<h2>Gemeindetypen</h2>")
            && r.body
                .contains(r#"<li><a href="/analyse/typ/1">Typ 1</a>: "#),
        "{}",
        r.body
    );
    assert!(r.body.contains("Gemeinden</h2>"));

    let r = get(&s, "/suche?q=09648", &[]);
    assert!(r.body.contains("Altmittweida"), "postcode search");
    let r = get(&s, "/katalog?feld=Arbeit%20und%20Besch%C3%A4ftigung", &[]);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Datenlücken"));
    let r = get(&s, "/vergleich?r=14522&r=14&i=anteil_65_plus", &[]);
    assert!(r.body.contains("26,5") && r.body.contains("25,1"));
    // Regions may be named instead of keyed.
    let r = get(
        &s,
        "/vergleich?r=Mittelsachsen&r=Altmittweida&i=anteil_65_plus",
        &[],
    );
    assert!(
        r.body.contains("26,5") && r.body.contains("23,2"),
        "{}",
        r.body
    );
    assert_eq!(get(&s, "/gemeinde/99999999", &[]).status, 404);
    let r = get(&s, "/indikator/anteil_65_plus?jahr=zwei", &[]);
    assert_eq!(r.status, 400);

    // Confidentiality: the public values of the unemployed by group have suppressed cells, and
    // every one of them is a symbol without a number, in the API and in the CSV download.
    let r = get(
        &s,
        "/api/v1/values?indicator=anteil_arbeitslose_schwerbehindert&region=14522&children=true",
        &[],
    );
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    let values = v["values"].as_array().expect("values");
    let suppressed: Vec<&serde_json::Value> = values
        .iter()
        .filter(|x| x["suppressed"] == serde_json::json!(true))
        .collect();
    assert!(!suppressed.is_empty(), "some small counts are suppressed");
    for x in &suppressed {
        assert!(x["value"].is_null(), "{x}");
        assert_eq!(x["symbol"], ".");
    }
    let x = suppressed[0];
    let csv = get(
        &s,
        &format!(
            "/indikator/anteil_arbeitslose_schwerbehindert/daten.csv?gebiet={}&jahr={}",
            x["region"].as_str().expect("r"),
            x["year"]
        ),
        &[],
    );
    assert_eq!(csv.status, 200);
    let line = csv
        .body
        .lines()
        .find(|l| l.starts_with(&format!("\"{}\"", x["region"].as_str().expect("r"))))
        .expect("row of the suppressed region");
    assert_eq!(line.split(';').nth(3), Some("\".\""), "{line}");

    // Errors are JSON with a stable code; caching and compression headers are there.
    let r = get(&s, "/api/v1/values?indicator=gibt_es_nicht", &[]);
    assert_eq!(r.status, 404);
    assert!(r.body.contains(r#""code":"unknown_indicator""#));
    let r = get(&s, "/api/v1/openapi.json", &[]);
    let etag = r.header("etag").expect("etag").to_string();
    assert!(r.header("last-modified").is_some());
    let again = get(&s, "/api/v1/openapi.json", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    let gz = get(&s, "/katalog", &[("Accept-Encoding", "gzip")]);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let x = get(
        &s,
        "/indikator/anteil_65_plus/daten.xlsx?gebiet=14522&jahr=2015",
        &[],
    );
    assert_eq!(x.status, 200);
    assert!(
        x.header("content-type")
            .unwrap_or("")
            .contains("spreadsheetml")
    );
    let svg = get(
        &s,
        "/indikator/anteil_65_plus/karte.svg?gebiet=14522&jahr=2015",
        &[],
    );
    assert!(svg.body.starts_with("<svg"));

    // The profile page offers its PDF, and the PDF is served.
    let page = get(&s, "/gemeinde/14522010", &[]);
    assert!(
        page.body
            .contains(r#"href="/gemeinde/14522010/profil.pdf""#)
    );
    let pdf = get(&s, "/gemeinde/14522010/profil.pdf", &[]);
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(
        pdf.body.starts_with("%PDF-"),
        "{}",
        &pdf.body[..40.min(pdf.body.len())]
    );
    assert_eq!(get(&s, "/gemeinde/99999999/profil.pdf", &[]).status, 404);
}
