//! Operations end to end: `copy`, `backup`, `restore` and `migrate` on both backends, and two
//! `serve` processes on one database that both serve an import within seconds.

use std::time::{Duration, Instant};

use sozialmonitor_store::testing::{Backend, Scratch};
use sozialmonitor_store::{Database, Location, transfer};

use crate::dashboard::{get, start_with};
use crate::{demo, run, scratch, text};

/// Registers, a statistic and an older export of it.
const FILES: [&str; 4] = [
    "registers/GV100AD_301121.ASC.gz",
    "registers/GV100AD_301123.txt.gz",
    "genesis/ffcsv/12411-01-01-4_1773175772751_de_flat.csv.gz",
    "genesis/older-flat/2216b3c10bf1__12411-01-01-4.txt.gz",
];

fn catalog() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog/indikatoren.toml")
}

fn export(db: &str) -> String {
    let store = Database::open(&Location::parse(db).expect("location")).expect("open");
    transfer::export_text(&store).expect("export")
}

fn ok(db: &str, args: &[&str]) -> String {
    let o = run(db, args);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{args:?}: {out}{err}");
    out
}

pub fn copy_backup_and_restore_move_everything(backend: Backend) {
    let Some((_s, db)) = scratch(backend, "copy_backup_restore") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    for f in FILES {
        ok(&db, &["import", demo(f).to_str().expect("p")]);
    }
    // A delivery and its correction: a revision, with the old value kept as history.
    for (name, value) in [("a.csv", "1234,5"), ("b.csv", "1240,0p")] {
        let f = dir.path().join(name);
        std::fs::write(
            &f,
            format!("region;measure;period;value;unit\n14522;SGB2_BG;31.12.2023;{value};Anzahl\n"),
        )
        .expect("write");
        ok(&db, &["import", f.to_str().expect("p")]);
    }
    ok(&db, &["import", catalog().to_str().expect("p")]);
    ok(&db, &["compute", "--all"]);
    let original = export(&db);
    assert!(
        original.contains("## indicator_value\n") && original.contains("## observation_history\n")
    );
    let out = ok(&db, &["migrate"]);
    assert!(
        out.contains("schema version") && out.contains("up to date"),
        "{out}"
    );

    // A backup is a SQLite file holding exactly the database; it is never overwritten.
    let file = dir.path().join("sicherung.sqlite");
    let f = file.to_str().expect("p");
    let out = ok(&db, &["backup", f]);
    assert!(out.contains("Sicherung"), "{out}");
    assert_eq!(export(f), original);
    let again = run(&db, &["backup", f]);
    assert!(!again.status.success() && text(&again).1.contains("exists"));

    // Copy to the other backend (or another database of the same when PostgreSQL is skipped).
    let other = match backend {
        Backend::Sqlite => Backend::Postgres,
        Backend::Postgres => Backend::Sqlite,
    };
    let target = Scratch::new(other, "copy_target")
        .or_else(|| Scratch::new(backend, "copy_target"))
        .expect("target");
    let to = target.at.as_arg();
    let out = ok(&db, &["copy", "--from", &db, "--to", &to]);
    assert!(out.contains("observation:"), "{out}");
    assert_eq!(
        export(&to),
        original,
        "a full export of both sides is equal"
    );
    // A target holding data is not overwritten without --replace, and stays as it was.
    let extra = dir.path().join("extra.csv");
    std::fs::write(
        &extra,
        "region;measure;period;value;unit\n14522;EXTRA;2023;1;Anzahl\n",
    )
    .expect("write");
    ok(&to, &["import", extra.to_str().expect("p")]);
    let changed = export(&to);
    let refused = run(&db, &["copy", "--from", &db, "--to", &to]);
    assert!(!refused.status.success() && text(&refused).1.contains("--replace"));
    assert_eq!(export(&to), changed);
    ok(&db, &["copy", "--from", &db, "--to", &to, "--replace"]);
    assert_eq!(export(&to), original);

    // Restore into a new database of the same backend.
    let fresh = Scratch::new(backend, "restore_target").expect("target");
    let r = fresh.at.as_arg();
    ok(&r, &["restore", f]);
    assert_eq!(export(&r), original);
    let refused = run(&r, &["restore", f]);
    assert!(!refused.status.success() && text(&refused).1.contains("--replace"));
    ok(&r, &["restore", f, "--replace"]);
    assert_eq!(export(&r), original);
    // The restored database works: the dashboard's numbers come from it unchanged.
    assert_eq!(
        ok(&r, &["indicator", "bevoelkerung", "-r", "14522"]),
        ok(&db, &["indicator", "bevoelkerung", "-r", "14522"])
    );
}

/// The data version a server reports on /metrics.
fn served_version(s: &crate::dashboard::Server) -> i64 {
    let m = get(s, "/metrics", &[]);
    assert_eq!(m.status, 200);
    m.body
        .lines()
        .find_map(|l| l.strip_prefix("sozialmonitor_data_version "))
        .and_then(|v| v.trim().parse().ok())
        .expect("data version on /metrics")
}

pub fn two_servers_serve_an_import_within_seconds(backend: Backend) {
    let Some((_s, db)) = scratch(backend, "two_servers") else {
        return;
    };
    // The register alone gives the population of 2022.
    ok(&db, &["import", demo(FILES[1]).to_str().expect("p")]);
    ok(&db, &["import", catalog().to_str().expect("p")]);
    ok(&db, &["compute", "--all"]);
    let env = [
        ("SOZIALMONITOR_RELOAD_SECONDS", "0.3"),
        ("SOZIALMONITOR_LOG", "warn"),
    ];
    let (a, b) = (start_with(&db, &env), start_with(&db, &env));
    for s in [&a, &b] {
        assert_eq!(get(s, "/healthz", &[]).status, 200);
        assert_eq!(get(s, "/readyz", &[]).status, 200);
    }
    let page = "/indikator/bevoelkerung?gebiet=14522";
    let before = get(&a, page, &[]).body;
    assert_eq!(
        before,
        get(&b, page, &[]).body,
        "two processes, the same page"
    );
    let v0 = served_version(&a);
    assert!(
        before.contains("2022") && !before.contains("2024"),
        "{before}"
    );
    // An import of the population up to 2024 (no compute: the servers notice the stale cache
    // and compute it).
    ok(&db, &["import", demo(FILES[2]).to_str().expect("p")]);
    let t = Instant::now();
    while (served_version(&a) == v0 || served_version(&b) == v0)
        && t.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let waited = t.elapsed();
    assert!(
        served_version(&a) > v0 && served_version(&b) > v0,
        "both reloaded"
    );
    eprintln!(
        "both servers served the import after {:.1} s",
        waited.as_secs_f64()
    );
    let (after_a, after_b) = (get(&a, page, &[]).body, get(&b, page, &[]).body);
    assert_eq!(after_a, after_b, "the same new page from both");
    assert!(
        after_a.contains("2024"),
        "the page shows the new data: {after_a}"
    );
    let metrics = get(&a, "/metrics", &[]).body;
    assert!(
        metrics.contains("sozialmonitor_http_requests_total{route=\"/indikator/{key}\",status=\"200\"}")
            && metrics.contains("sozialmonitor_http_request_duration_seconds_bucket{route=\"/indikator/{key}\",le=\"+Inf\"}")
            && metrics.contains("sozialmonitor_reloads_total 1"),
        "{metrics}"
    );
}
