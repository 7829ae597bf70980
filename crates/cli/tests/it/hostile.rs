//! Hostile requests against the real server over HTTP on 127.0.0.1: junk query strings, an
//! oversized header, thousands of distinct URLs, a burst of PDFs, a client that stalls, and a
//! graceful stop on SIGTERM. Every loop is bounded in count and time.

use std::io::{Read, Write};
use std::net::TcpStream;

use std::process::Command;
use std::time::{Duration, Instant};

use sozialmonitor_store::testing::Backend;

use crate::dashboard::{Server, fill_demo_db, start_with};

/// Header timeout of the server under test, in seconds (the default is 10).
const HEADER_TIMEOUT: f64 = 1.0;

/// The server with tight limits: a small cache, a short header timeout, a short PDF queue.
fn start(db: &str) -> Server {
    let timeout = HEADER_TIMEOUT.to_string();
    start_with(
        db,
        &[
            ("SOZIALMONITOR_HEADER_TIMEOUT", timeout.as_str()),
            ("SOZIALMONITOR_CACHE_MB", "4"),
            ("SOZIALMONITOR_PDF_QUEUE", "2"),
            // One line per request would bury the test output; warnings and errors stay.
            ("SOZIALMONITOR_LOG", "warn"),
        ],
    )
}

struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }
}

fn connect(s: &Server, read_timeout: Duration) -> TcpStream {
    let c = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
    c.set_read_timeout(Some(read_timeout)).expect("timeout");
    c.set_write_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    c
}

/// Reads until the server closes the connection; a reset counts as closed. Panics if the
/// server keeps it open past the read timeout.
fn read_to_close(c: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 16 << 10];
    loop {
        match c.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return out,
            Err(e) => panic!("the server kept the connection open: {e}"),
        }
    }
}

/// One request with `Connection: close`; `target` is sent as raw bytes.
fn send(s: &Server, target: &[u8], extra: &str, read_timeout: Duration) -> Reply {
    let mut c = connect(s, read_timeout);
    let mut req = b"GET ".to_vec();
    req.extend_from_slice(target);
    req.extend_from_slice(
        format!(" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n").as_bytes(),
    );
    // The server may answer and close before it read a long request; that is fine.
    let _ = c.write_all(&req);
    let raw = read_to_close(&mut c);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = raw.get(split + 4..).unwrap_or_default().to_vec();
    Reply { status, head, body }
}

fn get(s: &Server, target: &str) -> Reply {
    send(s, target.as_bytes(), "", Duration::from_secs(30))
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

pub fn hostile_requests_leave_the_server_up(backend: Backend) {
    let Some((_scratch, db)) = crate::scratch(backend, "hostile_requests_leave_the_server_up")
    else {
        return;
    };
    fill_demo_db(&db);
    let mut s = start(&db);
    assert_eq!(get(&s, "/").status, 200);

    // `%a` before a UTF-8 character panicked the connection task of the old decoder.
    for target in [
        &b"/vergleich?r=%a\xc3\xbc"[..],
        b"/vergleich?r=%a%C3%BC&i=%",
        b"/suche?q=%\xc3\xbc%a",
    ] {
        let r = send(&s, target, "", Duration::from_secs(30));
        assert!(
            [200, 303, 400].contains(&r.status),
            "{}: {}",
            String::from_utf8_lossy(target),
            r.head
        );
    }

    // 8,000 regions: over the header limit (431) or the query limit (400), at once.
    let t = Instant::now();
    let r = get(&s, &format!("/vergleich?{}", "r=a&".repeat(8000)));
    assert!([400, 431].contains(&r.status), "{}", r.head);
    let r = get(&s, &format!("/vergleich?{}", "r=a&".repeat(1000)));
    assert_eq!(r.status, 400, "{}", r.head);
    assert!(String::from_utf8_lossy(&r.body).contains("zu lang"));
    let r = get(&s, &format!("/vergleich?{}", "r=a&".repeat(6)));
    assert_eq!(r.status, 400, "six regions: {}", r.head);
    // 3,000 manual breaks, and 21.
    let breaks = vec!["1"; 3000].join(";");
    let r = get(
        &s,
        &format!("/indikator/anteil_65_plus?methode=manual:{breaks}"),
    );
    assert_eq!(r.status, 400, "{}", r.head);
    assert!(
        r.body.len() < 50_000,
        "a short refusal: {} bytes",
        r.body.len()
    );
    let breaks = (1..=21)
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(";");
    let r = get(
        &s,
        &format!("/indikator/anteil_65_plus?methode=manual:{breaks}"),
    );
    assert_eq!(r.status, 400, "{}", r.head);
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());

    // Encoded junk: every answer is a client error or a page, never a crash.
    for target in [
        "/%ff%fe%00",
        "/indikator/%00",
        "/vergleich?%%%=%%%",
        "/suche?q=%E0%80%80%ED%A0%80",
        "/gemeinde/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/gemeinde/%2e%2e%2f/profil.pdf",
        "/api/v1/values?indicator=%ff&year=-1",
        "/api/v1/regions?parent=%00",
        "/katalog?feld=%0d%0aSet-Cookie:%20x=1",
        "/indikator/anteil_65_plus?jahr=99999&klassen=-1",
        "/indikator/anteil_65_plus/..%2f..%2fCargo.toml",
        "/static/style.css?%",
    ] {
        let r = get(&s, target);
        assert!(r.status > 0 && r.status < 500, "{target}: {}", r.head);
        assert!(r.header("set-cookie").is_none(), "{target}");
    }
    let r = get(&s, &format!("/{}", "a".repeat(4000)));
    assert!([400, 404, 414].contains(&r.status), "{}", r.head);

    // A 64 KB header is refused (431) or the connection closed, and nothing hangs.
    let t = Instant::now();
    let big = format!("X-Gross: {}\r\n", "a".repeat(64 << 10));
    let r = send(&s, b"/", &big, Duration::from_secs(10));
    assert!(r.status == 431 || r.status == 0, "{}", r.head);
    assert!(t.elapsed() < Duration::from_secs(10));

    // A client that sends half a header and stalls is cut off after the header timeout.
    let mut slow = connect(&s, Duration::from_secs(10));
    slow.write_all(b"GET /katalog HTTP/1.1\r\nHost: loc")
        .expect("half a header");
    let t = Instant::now();
    read_to_close(&mut slow);
    let took = t.elapsed().as_secs_f64();
    assert!(
        took < HEADER_TIMEOUT + 4.0,
        "closed after {took:.1} s, timeout {HEADER_TIMEOUT} s"
    );

    // 2,000 distinct query strings on four connections at a time: every one answered, the
    // server's memory grows by no more than the 4 MB cache and allocator slack (the bytes
    // the cache counts are checked exactly in the web crate's tests).
    let before = rss_kb(s.child.id());
    std::thread::scope(|scope| {
        for t in 0..4 {
            let s = &s;
            scope.spawn(move || {
                let start = Instant::now();
                for i in 0..500 {
                    let n = t * 500 + i;
                    let target = match n % 3 {
                        0 => format!("/katalog?q=zz{n}"),
                        1 => format!("/api/v1/regions?q=zz{n}"),
                        _ => format!("/impressum?junk{n}={n}"),
                    };
                    assert_eq!(get(s, &target).status, 200, "{target}");
                    assert!(start.elapsed() < Duration::from_secs(300), "too slow");
                }
            });
        }
    });
    if let (Some(before), Some(after)) = (before, rss_kb(s.child.id())) {
        let grown_mb = after.saturating_sub(before) / 1024;
        assert!(grown_mb < 64, "resident memory grew by {grown_mb} MB");
    }

    // 16 PDFs of different municipalities at once: each is typeset (200) or refused with
    // Retry-After (503) beyond one per core and two waiting; none hangs.
    let values: serde_json::Value =
        serde_json::from_slice(&get(&s, "/api/v1/values?indicator=anteil_65_plus&year=2015").body)
            .expect("json");
    let mut keys: Vec<String> = values["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|v| v["region"].as_str())
        .filter(|k| k.len() == 8)
        .map(str::to_string)
        .collect();
    keys.dedup();
    keys.truncate(16);
    assert_eq!(keys.len(), 16, "{keys:?}");
    let statuses: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
        let jobs: Vec<_> = keys
            .iter()
            .map(|k| {
                let s = &s;
                scope.spawn(move || {
                    let r = send(
                        s,
                        format!("/gemeinde/{k}/profil.pdf").as_bytes(),
                        "",
                        Duration::from_secs(120),
                    );
                    if r.status == 200 {
                        assert!(r.body.starts_with(b"%PDF-"), "{k}");
                    }
                    (r.status, r.header("retry-after").map(str::to_string))
                })
            })
            .collect();
        jobs.into_iter()
            .map(|j| j.join().expect("PDF request"))
            .collect()
    });
    assert!(statuses.iter().any(|(s, _)| *s == 200), "{statuses:?}");
    for (status, retry) in &statuses {
        assert!([200, 503].contains(status), "{statuses:?}");
        if *status == 503 {
            assert!(retry.is_some(), "503 without Retry-After");
        }
    }

    // Still serving, with the security headers.
    let r = get(&s, "/gemeinde/14522010");
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-security-policy")
            .is_some_and(|v| v.contains("default-src 'self'"))
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"));

    // SIGTERM stops it gracefully (the test started this process and knows its id).
    if Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .is_ok_and(|st| st.success())
    {
        let t = Instant::now();
        loop {
            if let Some(code) = s.child.try_wait().expect("wait") {
                assert!(code.success(), "{code:?}");
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "no exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
