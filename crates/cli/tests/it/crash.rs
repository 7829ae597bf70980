//! Crash safety: an import killed with SIGKILL at any moment leaves a database that opens,
//! passes `PRAGMA integrity_check`, and holds either the whole batch or none of it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{demo, run, text};

/// (observations, import batches, integrity check result)
fn state(db: &Path) -> (i64, i64, String) {
    let conn = rusqlite::Connection::open(db).expect("the database opens after a crash");
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    (
        count("SELECT count(*) FROM observation"),
        count("SELECT count(*) FROM import_batch"),
        integrity,
    )
}

/// A reproducible sequence of moments in `[0, 1)` (xorshift; no randomness crate needed).
fn moments(n: usize) -> Vec<f64> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

#[test]
fn an_import_killed_at_any_moment_leaves_all_or_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let base = dir.path().join("base.sqlite");
    let register = demo("registers/GV100AD_301123.txt.gz");
    let o = run(&base, &["import", register.to_str().expect("p")]);
    assert!(o.status.success(), "{:?}", text(&o));
    let before = state(&base);
    assert_eq!(before.2, "ok");

    // The whole batch, and how long a full import takes.
    let file = demo("genesis/table-csv/12411-02-03-5_00.csv.gz");
    let full = dir.path().join("full.sqlite");
    std::fs::copy(&base, &full).expect("copy");
    let t = Instant::now();
    let o = run(&full, &["import", file.to_str().expect("p")]);
    let took = t.elapsed();
    assert!(o.status.success(), "{:?}", text(&o));
    let after = state(&full);
    assert!(after.0 > before.0 + 10_000, "{after:?}");
    assert_eq!(after.1, before.1 + 1);

    let (mut none, mut whole) = (0, 0);
    for (i, m) in moments(50).into_iter().enumerate() {
        let db = dir.path().join(format!("crash{i}.sqlite"));
        std::fs::copy(&base, &db).expect("copy");
        let mut child = Command::new(env!("CARGO_BIN_EXE_sozialmonitor"))
            .arg("--db")
            .arg(&db)
            .args(["import", file.to_str().expect("p")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        // Anywhere from the start to a little past the end of a normal import.
        std::thread::sleep(Duration::from_secs_f64(took.as_secs_f64() * 1.3 * m));
        // `kill` is SIGKILL on Unix: no destructor, no rollback by the process itself.
        let _ = child.kill();
        let _ = child.wait();
        let s = state(&db);
        assert_eq!(s.2, "ok", "crash {i} at {m:.2}: integrity");
        if (s.0, s.1) == (before.0, before.1) {
            none += 1;
        } else {
            assert_eq!(
                (s.0, s.1),
                (after.0, after.1),
                "crash {i} at {m:.2}: a partial batch"
            );
            whole += 1;
        }
    }
    // The moments spread over the import, so both outcomes must occur.
    assert!(none > 0 && whole > 0, "none {none}, whole {whole}");
}
