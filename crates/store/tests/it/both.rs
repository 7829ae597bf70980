//! Tests of moving, backing up and guarding a database: copies between backends, consistent
//! backups while imports run, concurrent imports of one file, and the schema version guard.

use std::sync::{Arc, Barrier};

use sozialmonitor_core::engine::Cell;
use sozialmonitor_store::testing::{Backend, Scratch};
use sozialmonitor_store::transfer::{self, RowSource};
use sozialmonitor_store::{
    Database, ImportOptions, ImportOutcome, ResultRow, Results, Store, StoreError, Territory,
};

use super::{demo, import, imported, new_db};

const FILES: [&str; 4] = [
    "registers/GV100AD_301121.ASC.gz",
    "registers/GV100AD_301123.txt.gz",
    "genesis/ffcsv/12411-01-01-4_1773175772751_de_flat.csv.gz",
    "genesis/older-flat/2216b3c10bf1__12411-01-01-4.txt.gz",
];

/// A database holding real files, a revision and a results cache.
fn filled(backend: Backend, test: &str) -> Option<super::TestDb> {
    let mut db = new_db(backend, test)?;
    for f in FILES {
        imported(import(&mut db.store, &demo(f), ImportOptions::default()));
    }
    let dir = tempfile::tempdir().expect("tmp");
    for (name, value) in [("a.csv", "1234,5"), ("b.csv", "1240,0p")] {
        let f = dir.path().join(name);
        std::fs::write(
            &f,
            format!("region;measure;period;value;unit\n14522;SGB2_BG;31.12.2023;{value};Anzahl\n"),
        )
        .expect("write");
        imported(import(&mut db.store, &f, ImportOptions::default()));
    }
    let version = db.store.data_version().expect("version");
    let rows = vec![
        ResultRow {
            indicator: "bev".into(),
            region: "14522".into(),
            year: 2022,
            cell: Cell::Num(300_639.0),
            incomplete: false,
            suppressed: false,
            equivalent: false,
        },
        ResultRow {
            indicator: "bev".into(),
            region: "14522275".into(),
            year: 2022,
            cell: Cell::Sym(sozialmonitor_core::Symbol::Secret),
            incomplete: true,
            suppressed: true,
            equivalent: false,
        },
    ];
    db.store
        .save_results(&Results {
            territory: Territory::Today,
            years: (2000, 2024),
            data_version: version,
            rows,
        })
        .expect("save");
    Some(db)
}

pub fn copy_moves_everything_there_and_back(backend: Backend) {
    let Some(source) = filled(backend, "copy_moves_everything") else {
        return;
    };
    let original = transfer::export_text(&source.store).expect("export");
    for table in [
        "observation",
        "region_snapshot",
        "region_change",
        "indicator_value",
    ] {
        assert!(
            original.contains(&format!("## {table}\n")),
            "the source holds {table}"
        );
    }
    // There on the other backend (or a second database of the same one when PostgreSQL is
    // skipped), and back into a new SQLite file.
    let other = match backend {
        Backend::Sqlite => Backend::Postgres,
        Backend::Postgres => Backend::Sqlite,
    };
    let there = Scratch::new(other, "copy_moves_everything")
        .or_else(|| Scratch::new(backend, "copy_moves_everything"))
        .expect("a target");
    let mut target = there.open().expect("open");
    let counts = transfer::copy(&source.store, &mut target).expect("copy");
    assert!(counts.iter().any(|(t, n)| *t == "observation" && *n > 1000));
    assert_eq!(original, transfer::export_text(&target).expect("export"));
    let back = Scratch::new(Backend::Sqlite, "copy_moves_everything").expect("sqlite");
    let mut back_db = back.open().expect("open");
    transfer::copy(&target, &mut back_db).expect("copy back");
    assert_eq!(original, transfer::export_text(&back_db).expect("export"));
    // The copy works as a database: reads, the cache, and new imports get new ids.
    assert_eq!(
        target.results("bev").expect("results"),
        source.store.results("bev").expect("results")
    );
    assert_eq!(
        target.cache_state().expect("state"),
        source.store.cache_state().expect("state")
    );
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("new.csv");
    std::fs::write(
        &f,
        "region;measure;period;value;unit\n14522;NEU;31.12.2023;7;Anzahl\n",
    )
    .expect("write");
    let b = imported(import(&mut target, &f, ImportOptions::default()));
    assert_eq!(
        b.id,
        FILES.len() as i64 + 3,
        "ids go on after the copied ones"
    );
}

pub fn the_results_cache_round_trips(backend: Backend) {
    let Some(db) = filled(backend, "results_cache") else {
        return;
    };
    let rows = db.store.results("bev").expect("results").expect("cached");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].cell, Cell::Num(300_639.0));
    assert!(rows[1].suppressed && rows[1].incomplete && !rows[1].equivalent);
    let (computed, now, territory) = db.store.cache_state().expect("state").expect("label");
    assert_eq!((computed, now, territory), (6, 6, Territory::Today));
    assert_eq!(db.store.results("none").expect("results"), Some(vec![]));
}

pub fn concurrent_imports_of_the_same_file_land_once(backend: Backend) {
    let Some(db) = new_db(backend, "concurrent_imports") else {
        return;
    };
    let file = demo("genesis/ffcsv/12411-01-01-4_1773175772751_de_flat.csv.gz");
    let barrier = Arc::new(Barrier::new(2));
    let outcomes: Vec<ImportOutcome> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (barrier, file, at) = (barrier.clone(), file.clone(), &db.scratch);
                s.spawn(move || {
                    let mut store = at.open().expect("open");
                    barrier.wait();
                    import(&mut store, &file, ImportOptions::default())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let landed = outcomes
        .iter()
        .filter(|o| matches!(o, ImportOutcome::Imported(_)))
        .count();
    let already = outcomes
        .iter()
        .filter(|o| matches!(o, ImportOutcome::AlreadyImported(_)))
        .count();
    assert_eq!((landed, already), (1, 1), "{outcomes:?}");
    assert_eq!(db.store.imports().expect("imports").len(), 1);
}

pub fn a_backup_taken_during_imports_is_consistent(backend: Backend) {
    let Some(db) = new_db(backend, "backup_during_imports") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    // A writer imports one file after another while backups are taken.
    let backups: Vec<std::path::PathBuf> = std::thread::scope(|s| {
        let at = &db.scratch;
        let writer = s.spawn(move || {
            let mut store = at.open().expect("open");
            for f in FILES {
                imported(import(&mut store, &demo(f), ImportOptions::default()));
            }
        });
        let store = at.open().expect("open");
        let mut taken = Vec::new();
        let mut i = 0;
        while !writer.is_finished() || i == 0 {
            let path = dir.path().join(format!("backup{i}.sqlite"));
            store.backup(&path).expect("backup");
            taken.push(path);
            i += 1;
        }
        writer.join().expect("writer");
        taken
    });
    assert!(!backups.is_empty());
    // What a database holds after the first k files, imported one after another undisturbed.
    let reference = Scratch::new(Backend::Sqlite, "backup_reference").expect("sqlite");
    let mut r = reference.open().expect("open");
    let mut states = vec![state(&r)];
    for f in FILES {
        imported(import(&mut r, &demo(f), ImportOptions::default()));
        states.push(state(&r));
    }
    for path in &backups {
        let b = Database::open(&sozialmonitor_store::Location::file(path)).expect("open backup");
        let k = b.imports().expect("imports").len();
        assert_eq!(
            state(&b),
            states[k],
            "{}: a snapshot after {k} whole imports",
            path.display()
        );
    }
}

/// Per batch, its values and superseded values; and the number of regions.
type State = (Vec<(i64, i64)>, Vec<(i64, i64)>, i64);

fn state(db: &Database) -> State {
    let mut current: std::collections::BTreeMap<i64, i64> = Default::default();
    let mut history: std::collections::BTreeMap<i64, i64> = Default::default();
    let mut regions = 0;
    let tables: Vec<&'static transfer::Table> = ["observation", "observation_history", "region"]
        .iter()
        .filter_map(|n| transfer::table(n))
        .collect();
    db.scan(&tables, &mut |t, row| {
        let id = |c: &str| t.column(c).and_then(|i| row[i].as_int()).unwrap_or(-1);
        match t.name {
            "observation" => *current.entry(id("import_id")).or_default() += 1,
            "observation_history" => *history.entry(id("superseded_by")).or_default() += 1,
            "region" => regions += 1,
            _ => {}
        }
        Ok(())
    })
    .expect("scan");
    (
        current.into_iter().collect(),
        history.into_iter().collect(),
        regions,
    )
}

pub fn a_database_from_a_newer_program_is_refused(backend: Backend) {
    let Some(db) = new_db(backend, "newer_refused") else {
        return;
    };
    let (version, known) = db.store.schema_version().expect("version");
    assert_eq!(version, known);
    drop(db.store);
    // What a newer program would leave: a higher schema version.
    match &db.scratch.at {
        sozialmonitor_store::Location::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).expect("open");
            c.pragma_update(None, "user_version", known + 1)
                .expect("set");
        }
        sozialmonitor_store::Location::Postgres(url) => {
            let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connect");
            c.execute(
                "UPDATE sozialmonitor_schema SET version = $1",
                &[&(known + 1)],
            )
            .expect("set");
        }
    }
    match db.scratch.open() {
        Err(StoreError::TooNew { found, known: k }) => assert_eq!((found, k), (known + 1, known)),
        Err(e) => panic!("expected TooNew, got {e}"),
        Ok(_) => panic!("a newer database was opened"),
    }
}

/// The dashboard's one pass over every indicator gives what `results` gives per indicator,
/// every key once (an indicator without values as an empty list), and nothing before a cache.
pub fn each_results_agrees_with_results_per_indicator(backend: Backend) {
    let Some(mut db) = new_db(backend, "each_results_agrees") else {
        return;
    };
    let keys: Vec<String> = ["bev", "alo", "leer"].map(String::from).to_vec();
    let mut seen = Vec::new();
    let cached = db
        .store
        .each_results(&keys, &mut |k, _| {
            seen.push(k.to_string());
            Ok(())
        })
        .expect("each");
    assert!(!cached && seen.is_empty(), "nothing is cached yet");
    imported(import(
        &mut db.store,
        &demo(FILES[1]),
        ImportOptions::default(),
    ));
    let row = |indicator: &str, region: &str, year, cell| ResultRow {
        indicator: indicator.into(),
        region: region.into(),
        year,
        cell,
        incomplete: false,
        suppressed: region.len() == 8,
        equivalent: false,
    };
    // Out of order on purpose: the store hands them back by region key and year.
    let rows = vec![
        row(
            "bev",
            "14522275",
            2022,
            Cell::Sym(sozialmonitor_core::Symbol::Secret),
        ),
        row("bev", "14522", 2023, Cell::Num(297_000.0)),
        row("bev", "14522", 2022, Cell::Num(300_639.0)),
        row("alo", "14", 2024, Cell::Num(6.1)),
        row("alo", "14522", 2024, Cell::Missing),
        row("andere", "14", 2024, Cell::Num(1.0)),
    ];
    let version = db.store.data_version().expect("version");
    db.store
        .save_results(&Results {
            territory: Territory::Today,
            years: (2000, 2024),
            data_version: version,
            rows,
        })
        .expect("save");
    let mut got = std::collections::BTreeMap::new();
    let cached = db
        .store
        .each_results(&keys, &mut |k, rows| {
            assert!(got.insert(k.to_string(), rows).is_none(), "{k} twice");
            Ok(())
        })
        .expect("each");
    assert!(cached);
    assert_eq!(got.len(), 3, "{got:?}");
    for k in &keys {
        assert_eq!(
            Some(&got[k]),
            db.store.results(k).expect("results").as_ref(),
            "{k}"
        );
    }
    assert_eq!(got["bev"].len(), 3);
    assert_eq!(got["bev"][0].region, "14522");
    assert_eq!(got["bev"][0].year, 2022);
    assert!(got["leer"].is_empty());
}
