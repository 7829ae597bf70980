//! Crash safety: an import killed with SIGKILL at any moment leaves a database that opens
//! (on SQLite passes `PRAGMA integrity_check`) and holds either the whole batch or none of it,
//! on both backends.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sozialmonitor_store::testing::{Backend, Scratch};
use sozialmonitor_store::{Location, Store};

use crate::{demo, run, text};

/// (observations, import batches), after checking that the database opens and, on SQLite, is
/// intact.
fn state(db: &Scratch) -> (i64, i64) {
    if let Location::Sqlite(file) = &db.at {
        let conn = rusqlite::Connection::open(file).expect("the database opens after a crash");
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity_check");
        assert_eq!(integrity, "ok");
    }
    let s = db
        .open()
        .expect("the database opens after a crash")
        .summary()
        .expect("summary");
    (s.observations, s.imports)
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

pub fn an_import_killed_at_any_moment_leaves_all_or_nothing(backend: Backend) {
    let Some(base) = Scratch::new(
        backend,
        "an_import_killed_at_any_moment_leaves_all_or_nothing",
    ) else {
        return;
    };
    let register = demo("registers/GV100AD_301123.txt.gz");
    let o = run(base.at.as_arg(), &["import", register.to_str().expect("p")]);
    assert!(o.status.success(), "{:?}", text(&o));
    let before = state(&base);

    // The whole batch, and how long a full import takes.
    let file = demo("genesis/table-csv/12411-02-03-5_00.csv.gz");
    let full = base.copy().expect("copy");
    let t = Instant::now();
    let o = run(full.at.as_arg(), &["import", file.to_str().expect("p")]);
    let took = t.elapsed();
    assert!(o.status.success(), "{:?}", text(&o));
    let after = state(&full);
    assert!(after.0 > before.0 + 10_000, "{after:?}");
    assert_eq!(after.1, before.1 + 1);
    drop(full);

    // Each crash starts from a copy of the base; a PostgreSQL copy takes longer, so fewer.
    let n = match backend {
        Backend::Sqlite => 50,
        Backend::Postgres => 20,
    };
    let (mut none, mut whole) = (0, 0);
    for (i, m) in moments(n).into_iter().enumerate() {
        let db = base.copy().expect("copy");
        let mut child = Command::new(env!("CARGO_BIN_EXE_sozialmonitor"))
            .arg("--db")
            .arg(db.at.as_arg())
            .args(["import", file.to_str().expect("p")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        // Anywhere from the start to a little past the end of a normal import.
        std::thread::sleep(Duration::from_secs_f64(took.as_secs_f64() * 1.3 * m));
        // `kill` is SIGKILL on Unix: no destructor, no rollback by the process itself. On
        // PostgreSQL the server rolls back the transaction of the lost connection.
        let _ = child.kill();
        let _ = child.wait();
        db.wait_idle().expect("the killed import's session ends");
        let s = state(&db);
        if s == before {
            none += 1;
        } else {
            assert_eq!(s, after, "crash {i} at {m:.2}: a partial batch");
            whole += 1;
        }
    }
    // The moments spread over the import, so both outcomes must occur.
    assert!(none > 0 && whole > 0, "none {none}, whole {whole}");
}
