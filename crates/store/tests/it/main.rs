//! Store tests on real files, one suite on both backends: every test runs on SQLite (a file in a
//! temporary folder, as users have it) and on PostgreSQL (a new database on the server that
//! `SOZIALMONITOR_TEST_PG` names; skipped, and saying so, without one).

use std::path::{Path, PathBuf};

use sozialmonitor_core::{Period, RegionLevel};
use sozialmonitor_import::Source;
use sozialmonitor_store::testing::{Backend, Scratch};
use sozialmonitor_store::{
    Database, ImportOptions, ImportOutcome, ImportSource, ObservationQuery, Store,
};

mod accounts;
mod both;
mod network;
mod planning;
mod services;
use both::*;

fn demo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/demo")
        .join(rel)
}

fn bad(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../import/tests/bad")
        .join(name)
}

struct TestDb {
    // Closed before the scratch database is removed.
    store: Database,
    scratch: Scratch,
}

/// A new database on `backend`; `None` when the PostgreSQL half is skipped.
fn new_db(backend: Backend, test: &str) -> Option<TestDb> {
    let scratch = Scratch::new(backend, test)?;
    let store = scratch.open().expect("open");
    Some(TestDb { store, scratch })
}

sozialmonitor_store::on_both_backends!(
    values_round_trip_exactly_as_published,
    identical_reimport_is_a_no_op,
    a_different_value_is_a_revision_with_history,
    a_bad_file_changes_nothing,
    skip_bad_rows_imports_the_good_ones_and_lists_the_bad,
    an_error_about_the_whole_file_rejects_it_even_when_bad_rows_are_skipped,
    register_snapshots_give_validity_and_successors_in_any_order,
    boundaries_report_what_matches_no_region,
    the_engine_sums_municipalities_to_the_published_kreis_value,
    search_matches_the_text_literally_and_alike,
    concurrent_imports_of_the_same_file_land_once,
    a_backup_taken_during_imports_is_consistent,
    copy_moves_everything_there_and_back,
    a_database_from_a_newer_program_is_refused,
    the_results_cache_round_trips,
    a_dry_run_counts_what_would_change_and_stores_nothing,
    undoing_an_import_restores_the_values_before_it_as_a_new_batch,
    undoing_an_import_that_only_added_quality_marks_keeps_the_values,
    each_results_agrees_with_results_per_indicator,
);

fn import(store: &mut dyn Store, path: &Path, opts: ImportOptions) -> ImportOutcome {
    let src = Source::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let ds = sozialmonitor_import::read(&src, None);
    store
        .import(
            &ImportSource {
                file_name: src.name.clone(),
                sha256: src.sha256.clone(),
            },
            &ds,
            opts,
        )
        .expect("store")
}

fn imported(o: ImportOutcome) -> sozialmonitor_store::ImportBatch {
    match o {
        ImportOutcome::Imported(b) => b,
        other => panic!("expected an import, got {other:?}"),
    }
}

/// Every table's content, so "unchanged" can be checked exactly.
fn dump(store: &Database) -> String {
    sozialmonitor_store::transfer::export_text(store).expect("export")
}

fn values_round_trip_exactly_as_published(backend: Backend) {
    let Some(mut db) = new_db(backend, "values_round_trip_exactly_as_published") else {
        return;
    };
    for rel in [
        "genesis/ffcsv/12211-Z-11_1773175349407_de_flat.csv.gz",
        "genesis/ffcsv/91111-0001_1773174964548_de_flat.csv.gz",
        "genesis/ffcsv/AI-N-01-2-5_1773175147935_de_flat.csv.gz",
    ] {
        let b = imported(import(&mut db.store, &demo(rel), ImportOptions::default()));
        // The published texts, read independently of the importer: the `value` column of every row.
        let text = String::from_utf8(Source::read(&demo(rel)).expect("read").bytes).expect("utf8");
        let mut lines = text.trim_start_matches('\u{feff}').lines();
        let header: Vec<&str> = lines.next().expect("header").split(';').collect();
        let vcol = header
            .iter()
            .position(|h| *h == "value")
            .expect("value column");
        let mcol = header
            .iter()
            .position(|h| *h == "value_variable_code")
            .expect("code column");
        let mut published: Vec<String> = lines
            .map(|l| l.split(';').nth(vcol).expect("value").to_string())
            .collect();
        let codes: std::collections::BTreeSet<String> = text
            .lines()
            .skip(1)
            .map(|l| l.split(';').nth(mcol).expect("code").to_string())
            .collect();
        let rows = db
            .store
            .query(&ObservationQuery {
                measures: codes.into_iter().collect(),
                ..Default::default()
            })
            .expect("query");
        let mut stored: Vec<String> = rows
            .iter()
            .filter(|r| r.import_id == b.id)
            .map(|r| r.value.render())
            .collect();
        published.sort();
        stored.sort();
        assert_eq!(
            published.len(),
            stored.len(),
            "{rel}: every row stored once"
        );
        assert_eq!(
            published, stored,
            "{rel}: what comes out is what was published"
        );
    }
}

fn identical_reimport_is_a_no_op(backend: Backend) {
    let Some(mut db) = new_db(backend, "identical_reimport_is_a_no_op") else {
        return;
    };
    let f = demo("genesis/ffcsv/12411-01-01-4_1773175772751_de_flat.csv.gz");
    let first = imported(import(&mut db.store, &f, ImportOptions::default()));
    assert_eq!(first.rows_stored, 1467);
    let before = dump(&db.store);
    match import(&mut db.store, &f, ImportOptions::default()) {
        ImportOutcome::AlreadyImported(b) => assert_eq!(b.id, first.id),
        other => panic!("expected no-op, got {other:?}"),
    }
    assert_eq!(before, dump(&db.store));
}

fn a_different_value_is_a_revision_with_history(backend: Backend) {
    let Some(mut db) = new_db(backend, "a_different_value_is_a_revision_with_history") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    std::fs::write(&a, "region;measure;period;value;unit\n14522;SGB2_BG;31.12.2023;1234,5;Anzahl\n14522180;SGB2_BG;31.12.2023;.;Anzahl\n").expect("w");
    std::fs::write(&b, "region;measure;period;value;unit\n14522;SGB2_BG;31.12.2023;1240,0p;Anzahl\n14522180;SGB2_BG;31.12.2023;.;Anzahl\n").expect("w");
    let first = imported(import(&mut db.store, &a, ImportOptions::default()));
    let second = imported(import(&mut db.store, &b, ImportOptions::default()));
    assert_eq!(
        (
            second.rows_stored,
            second.rows_revised,
            second.rows_unchanged
        ),
        (1, 1, 1)
    );
    let q = ObservationQuery {
        measures: vec!["SGB2_BG".into()],
        regions: vec!["14522".into()],
        history: true,
        ..Default::default()
    };
    let rows = db.store.query(&q).expect("query");
    let texts: Vec<(String, i64, Option<i64>)> = rows
        .iter()
        .map(|r| (r.value.render(), r.import_id, r.superseded_by))
        .collect();
    assert_eq!(
        texts,
        vec![
            ("1234,5".to_string(), first.id, Some(second.id)),
            ("1240,0p".to_string(), second.id, None)
        ]
    );
    // The same number in an English export (decimal point) or without quality marks is no revision.
    let c = dir.path().join("c.csv");
    std::fs::write(
        &c,
        "region;measure;period;value;unit;quality\n14522;SGB2_BG;31.12.2023;1240.0p;Anzahl;\n",
    )
    .expect("w");
    let third = imported(import(&mut db.store, &c, ImportOptions::default()));
    assert_eq!(
        (third.rows_stored, third.rows_revised, third.rows_unchanged),
        (0, 0, 1)
    );
    // The secret value stays a symbol, never 0.
    let q = ObservationQuery {
        measures: vec!["SGB2_BG".into()],
        regions: vec!["14522180".into()],
        ..Default::default()
    };
    let r = &db.store.query(&q).expect("query")[0];
    assert_eq!((r.value.number, r.value.render().as_str()), (None, "."));
}

fn a_bad_file_changes_nothing(backend: Backend) {
    let Some(mut db) = new_db(backend, "a_bad_file_changes_nothing") else {
        return;
    };
    imported(import(
        &mut db.store,
        &demo("genesis/ffcsv/12411-01-01-4_1773175772751_de_flat.csv.gz"),
        ImportOptions::default(),
    ));
    let before = dump(&db.store);
    for name in [
        "truncated.csv",
        "wrong_delimiter.csv",
        "unknown_key.csv",
        "conflicting_duplicates.csv",
        "binary.bin",
        "empty.csv",
        "utf16.csv",
        "bad_value.csv",
        "bad_date.csv",
    ] {
        match import(&mut db.store, &bad(name), ImportOptions::default()) {
            ImportOutcome::Rejected(d) => assert!(!d.is_empty(), "{name}"),
            other => panic!("{name}: expected rejection, got {other:?}"),
        }
        assert_eq!(before, dump(&db.store), "{name} changed the database");
    }
    // Reopening the file shows the same.
    drop(db.store);
    let again = db.scratch.open().expect("reopen");
    assert_eq!(before, dump(&again));
}

fn skip_bad_rows_imports_the_good_ones_and_lists_the_bad(backend: Backend) {
    let Some(mut db) = new_db(
        backend,
        "skip_bad_rows_imports_the_good_ones_and_lists_the_bad",
    ) else {
        return;
    };
    let b = imported(import(
        &mut db.store,
        &bad("conflicting_duplicates.csv"),
        ImportOptions {
            skip_bad_rows: true,
            ..ImportOptions::default()
        },
    ));
    assert_eq!(b.rows_read, 4);
    assert_eq!(b.rows_stored, 3);
    assert_eq!(b.rows_skipped, 1);
    assert!(
        b.diagnostics
            .iter()
            .any(|d| d.line == 5 && d.message.english().contains("conflicting duplicate"))
    );
    let history = db.store.imports().expect("imports");
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].diagnostics.len(),
        b.diagnostics.len(),
        "diagnostics are kept with the batch"
    );
}

fn an_error_about_the_whole_file_rejects_it_even_when_bad_rows_are_skipped(backend: Backend) {
    // A real file with good rows, plus an error on line 0 (a failed importer, an unreadable
    // file, a file-wide inconsistency): there are no "good rows" of such a file to keep, so even
    // `skip_bad_rows` rejects it and the database stays exactly as it was. Without the line-0
    // rule the good rows would land and the file's hash would count it as done.
    let Some(mut db) = new_db(backend, "whole_file_error") else {
        return;
    };
    let path = demo("genesis/ffcsv/12411-01-01-4_1773175772751_de_flat.csv.gz");
    let src = Source::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut ds = sozialmonitor_import::read(&src, None);
    assert!(!ds.observations.is_empty() && !ds.has_errors());
    ds.diagnostics
        .push(sozialmonitor_core::diag::Diagnostic::error(
            &src.name,
            0,
            0,
            sozialmonitor_core::Said::both(
                "the importer failed: internal error",
                "der Import ist gescheitert: interner Fehler",
            ),
        ));
    let before = dump(&db.store);
    let outcome = db
        .store
        .import(
            &ImportSource {
                file_name: src.name.clone(),
                sha256: src.sha256.clone(),
            },
            &ds,
            ImportOptions {
                skip_bad_rows: true,
                ..ImportOptions::default()
            },
        )
        .expect("store");
    match outcome {
        ImportOutcome::Rejected(d) => assert!(d.iter().any(|d| d.line == 0)),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(before, dump(&db.store), "nothing may change");
    assert!(db.store.imports().expect("imports").is_empty());
}

fn register_facts(store: &Database) {
    let gem = |date: &str| {
        store
            .children("14522", Some(Period::parse(date).expect("date")))
            .expect("children")
            .into_iter()
            .filter(|r| r.level == RegionLevel::Gemeinde)
            .count()
    };
    assert_eq!(gem("30.11.2023"), 52, "Mittelsachsen on 30.11.2023");
    assert_eq!(gem("30.11.2021"), 53, "Mittelsachsen on 30.11.2021");
    let ostrau = store.region("14522450").expect("q").expect("Ostrau");
    assert_eq!(ostrau.valid_to.as_deref(), Some("2021-11-30"));
    let ch = store.changes("14522275").expect("changes");
    let from: Vec<&str> = ch.iter().map(|c| c.from_key.as_str()).collect();
    assert_eq!(
        from,
        vec!["14522450", "14522620"],
        "Jahnatal was formed from Ostrau and Zschaitz-Ottewig"
    );
    assert!(ch.iter().all(|c| c.confirmed && c.to_key == "14522275"));
    // A 12-digit ARS addresses the municipality too.
    assert_eq!(
        store.region("145220275275").expect("q").map(|r| r.name),
        Some("Jahnatal".into())
    );
}

fn register_snapshots_give_validity_and_successors_in_any_order(backend: Backend) {
    let Some(mut db) = new_db(backend, "register_snapshots") else {
        return;
    };
    imported(import(
        &mut db.store,
        &demo("registers/GV100AD_301121.ASC.gz"),
        ImportOptions::default(),
    ));
    imported(import(
        &mut db.store,
        &demo("registers/GV100AD_301123.txt.gz"),
        ImportOptions::default(),
    ));
    register_facts(&db.store);
    let Some(mut db2) = new_db(backend, "register_snapshots") else {
        return;
    };
    imported(import(
        &mut db2.store,
        &demo("registers/GV100AD_301123.txt.gz"),
        ImportOptions::default(),
    ));
    imported(import(
        &mut db2.store,
        &demo("registers/GV100AD_301121.ASC.gz"),
        ImportOptions::default(),
    ));
    register_facts(&db2.store);
}

fn boundaries_report_what_matches_no_region(backend: Backend) {
    let Some(mut db) = new_db(backend, "boundaries_report_what_matches_no_region") else {
        return;
    };
    let b = imported(import(
        &mut db.store,
        &demo("boundaries/vg250_gem_simplified_sachsen_sachsen-anhalt_wgs84.geojson.gz"),
        ImportOptions::default(),
    ));
    assert!(
        b.diagnostics.iter().any(|d| d
            .message
            .english()
            .starts_with("637 boundaries match no region")),
        "{:?}",
        b.diagnostics
    );
    imported(import(
        &mut db.store,
        &demo("registers/GV100AD_301123.txt.gz"),
        ImportOptions::default(),
    ));
    assert_eq!(db.store.boundaries().expect("b").len(), 637);
}

fn the_engine_sums_municipalities_to_the_published_kreis_value(backend: Backend) {
    use sozialmonitor_core::engine::{Cell, Engine, Inputs};
    use sozialmonitor_core::formula::parse;
    let Some(mut db) = new_db(backend, "the_engine_sums") else {
        return;
    };
    for f in [
        "registers/GV100AD_301121.ASC.gz",
        "registers/GV100AD_301123.txt.gz",
        "genesis/older-flat/2216b3c10bf1__12411-01-01-4.txt.gz",
    ] {
        imported(import(&mut db.store, &demo(f), ImportOptions::default()));
    }
    let engine = Engine::new(&db.store);
    let gv = parse("GV100_BEV").expect("formula");
    let d2022 = Period::parse("31.12.2022").expect("date");
    let d2020 = Period::parse("31.12.2020").expect("date");
    for kreis in ["14522", "15082"] {
        let key = sozialmonitor_core::RegionKey::parse(kreis).expect("key");
        // GV100AD has municipalities only; the Kreis value is their sum ...
        let sum = engine.eval(&gv, &key, d2022);
        // ... and equals what the statistical office publishes for the Kreis.
        let published = engine.eval(&parse("BEVSTD").expect("formula"), &key, d2022);
        assert!(!sum.incomplete, "{kreis}");
        assert_eq!(
            sum.cell, published.cell,
            "{kreis}: sum of municipalities vs published Kreis value"
        );
        assert!(
            matches!(engine.eval(&gv, &key, d2020), o if !o.incomplete && matches!(o.cell, Cell::Num(_)))
        );
    }
    let ms = sozialmonitor_core::RegionKey::parse("14522").expect("key");
    let parts = |p| {
        db.store
            .parts(&ms, p)
            .into_iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
    };
    let (old, new) = (parts(d2020), parts(d2022));
    assert_eq!((old.len(), new.len()), (53, 52));
    assert!(
        old.contains(&"14522450".to_string()) && !old.contains(&"14522275".to_string()),
        "Ostrau before the merger"
    );
    assert!(
        new.contains(&"14522275".to_string()) && !new.contains(&"14522450".to_string()),
        "Jahnatal after it"
    );
}

fn search_matches_the_text_literally_and_alike(backend: Backend) {
    let Some(mut db) = new_db(backend, "search_literal") else {
        return;
    };
    imported(import(
        &mut db.store,
        &demo("registers/GV100AD_301123.txt.gz"),
        ImportOptions::default(),
    ));
    let names = |q: &str| -> Vec<String> {
        db.store
            .search_regions(q, 5)
            .unwrap_or_else(|e| panic!("{q:?}: {e}"))
            .into_iter()
            .map(|r| r.key)
            .collect()
    };
    // A name in any case (Freiberg am Neckar and Freiberg in Saxony, ordered by name, then key).
    assert_eq!(names("freiberg")[..2], ["08118078", "14522180"]);
    assert_eq!(names("FREIBERG"), names("Freiberg"));
    // Wildcards and the escape character are plain characters.
    for q in ["%", "_", "\\", "abc\\", "50%_"] {
        assert!(names(q).is_empty(), "{q:?} matched {:?}", names(q));
    }
    // A Land by its key; more than five matches are cut at the limit.
    assert_eq!(names("14").first().map(String::as_str), Some("14"));
    assert_eq!(names("145").len(), 5);
}

fn a_dry_run_counts_what_would_change_and_stores_nothing(backend: Backend) {
    let Some(mut db) = new_db(backend, "a_dry_run_counts") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    std::fs::write(&a, "region;measure;period;value;unit\n14522;SGB2_BG;31.12.2023;1234,5;Anzahl\n14522180;SGB2_BG;31.12.2023;.;Anzahl\n").expect("w");
    std::fs::write(&b, "region;measure;period;value;unit\n14522;SGB2_BG;31.12.2023;1240,0;Anzahl\n14522180;SGB2_BG;31.12.2023;.;Anzahl\n14522190;SGB2_BG;31.12.2023;17;Anzahl\n").expect("w");
    imported(import(&mut db.store, &a, ImportOptions::default()));
    let before = sozialmonitor_store::transfer::export_text(&db.store).expect("export");
    let dry = ImportOptions {
        dry_run: true,
        ..ImportOptions::default()
    };
    let ImportOutcome::Previewed(p) = import(&mut db.store, &b, dry) else {
        panic!("a dry run previews");
    };
    // One new value, one revision (new and changed both count as stored), one unchanged.
    assert_eq!(
        (p.rows_read, p.rows_stored, p.rows_revised, p.rows_unchanged),
        (3, 2, 1, 1)
    );
    assert_eq!(
        sozialmonitor_store::transfer::export_text(&db.store).expect("export"),
        before,
        "a dry run must leave the database exactly as it was"
    );
    // The real import afterwards finds the same and is not taken for a duplicate.
    let real = imported(import(&mut db.store, &b, ImportOptions::default()));
    assert_eq!((real.rows_stored, real.rows_revised), (2, 1));
    // The id the preview showed is the one the import gets, on both backends.
    assert_eq!(real.id, p.id);
}

fn undoing_an_import_restores_the_values_before_it_as_a_new_batch(backend: Backend) {
    use sozialmonitor_store::{Actor, Undo};
    let Some(mut db) = new_db(backend, "undoing_an_import") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    std::fs::write(&a, "region;measure;period;value;unit\n14522;SGB2_BG;31.12.2023;1234,5;Anzahl\n14522180;SGB2_BG;31.12.2023;.;Anzahl\n").expect("w");
    std::fs::write(&b, "region;measure;period;value;unit\n14522;SGB2_BG;31.12.2023;1240,0;Anzahl\n14522180;SGB2_BG;31.12.2023;.;Anzahl\n14522190;SGB2_BG;31.12.2023;17;Anzahl\n").expect("w");
    let first = imported(import(&mut db.store, &a, ImportOptions::default()));
    let current = |store: &Database| -> Vec<(String, String)> {
        let q = ObservationQuery {
            measures: vec!["SGB2_BG".into()],
            ..Default::default()
        };
        let mut v: Vec<(String, String)> = store
            .query(&q)
            .expect("query")
            .into_iter()
            .map(|r| (r.region_key, r.value.render()))
            .collect();
        v.sort();
        v
    };
    let before = current(&db.store);
    let second = imported(import(&mut db.store, &b, ImportOptions::default()));
    assert_ne!(current(&db.store), before);
    let by = Actor {
        name: "anna".into(),
        at: 100,
    };
    let undone = db
        .store
        .undo_import(second.id, &by, "2026-12-03T16:00:00Z")
        .expect("undo");
    assert_eq!((undone.restored, undone.removed), (1, 1));
    assert!(undone.batch > second.id);
    // The values are those before the undone import again.
    assert_eq!(current(&db.store), before);
    // Nothing is lost: the undone value and the one before it are in the history.
    let q = ObservationQuery {
        measures: vec!["SGB2_BG".into()],
        regions: vec!["14522".into()],
        history: true,
        ..Default::default()
    };
    let history: Vec<(String, i64, Option<i64>)> = db
        .store
        .query(&q)
        .expect("history")
        .into_iter()
        .map(|r| (r.value.render(), r.import_id, r.superseded_by))
        .collect();
    assert_eq!(
        history,
        [
            ("1234,5".to_string(), first.id, Some(second.id)),
            ("1240,0".to_string(), second.id, Some(undone.batch)),
            ("1234,5".to_string(), undone.batch, None),
        ]
    );
    let batches = db.store.imports().expect("imports");
    let u = batches.last().expect("the undo batch");
    assert_eq!(
        (u.format.as_str(), u.rows_stored, u.rows_revised),
        ("undo", 1, 2)
    );
    assert!(u.file_name.contains(&format!("Import Nr. {}", second.id)));
    // Once undone, there is nothing left to undo; an unknown batch is an error too.
    assert!(
        db.store
            .undo_import(second.id, &by, "2026-12-03T16:00:01Z")
            .is_err()
    );
    assert!(
        db.store
            .undo_import(999, &by, "2026-12-03T16:00:01Z")
            .is_err()
    );
    assert_eq!(db.store.data_version().expect("version"), undone.batch);
    // The undone file can be imported again (it is no duplicate of an undone batch).
    let again = imported(import(&mut db.store, &b, ImportOptions::default()));
    assert_eq!((again.rows_revised, again.rows_stored), (1, 2));
}

fn undoing_an_import_that_only_added_quality_marks_keeps_the_values(backend: Backend) {
    use sozialmonitor_store::{Actor, Undo};
    let Some(mut db) = new_db(backend, "undo_quality_marks") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    std::fs::write(
        &a,
        "region;measure;period;value;unit\n14522;SGB2_BG;31.12.2023;17;Anzahl\n",
    )
    .expect("w");
    std::fs::write(&b, "region;measure;period;value;unit;quality\n14522;SGB2_BG;31.12.2023;17;Anzahl;e\n14522180;SGB2_BG;31.12.2023;3;Anzahl;\n").expect("w");
    let first = imported(import(&mut db.store, &a, ImportOptions::default()));
    let second = imported(import(&mut db.store, &b, ImportOptions::default()));
    let by = Actor {
        name: "anna".into(),
        at: 1,
    };
    let undone = db
        .store
        .undo_import(second.id, &by, "2026-12-03T16:00:00Z")
        .expect("undo");
    // The cell the second file only completed with a quality mark keeps its value (it came from
    // the first file); the cell the second file added is gone.
    assert_eq!((undone.restored, undone.removed), (0, 1));
    let q = ObservationQuery {
        measures: vec!["SGB2_BG".into()],
        ..Default::default()
    };
    let rows = db.store.query(&q).expect("query");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].region_key.as_str(),
            rows[0].value.render(),
            rows[0].import_id
        ),
        ("14522", "17".to_string(), first.id)
    );
}
