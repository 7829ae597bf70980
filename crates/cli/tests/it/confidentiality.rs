//! Confidentiality against every sum a reader can form: the audit on a database of real
//! statistics, and an independent check of the public export in the way an attacker reads it
//! (a Kreis total minus all its published Gemeinden).

use std::collections::BTreeMap;
use std::path::Path;

use sozialmonitor_store::testing::Backend;

use crate::dashboard::{fill_demo_db, get, start};
use crate::{run, scratch, text};

const POPULATION: &str = "12411-01-01-5:Bevölkerungsstand";

/// (key, breakdown, period) → (value, withheld) from a CSV export.
type Cells = BTreeMap<(String, String, String), (Option<f64>, bool)>;

fn export(db: &str, out: &Path, public: bool) -> Cells {
    let mut args = vec!["export", "-m", POPULATION, "-o", out.to_str().expect("p")];
    if public {
        args.push("--public");
    }
    let o = run(db, &args);
    assert!(o.status.success(), "{:?}", text(&o));
    let mut reader = csv::Reader::from_path(out).expect("csv");
    let names: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let at = |name: &str| {
        names
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (k, b, p, v, s) = (
        at("region_key"),
        at("breakdown"),
        at("period"),
        at("value"),
        at("symbol"),
    );
    let mut cells = Cells::new();
    for row in reader.records() {
        let f = row.expect("row");
        let get = |i: usize| f.get(i).unwrap_or_default().to_string();
        cells.insert(
            (get(k), get(b), get(p)),
            (get(v).parse().ok(), get(s) == "."),
        );
    }
    cells
}

pub fn no_withheld_cell_can_be_worked_out_from_the_public_view(backend: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let Some((_scratch, db)) = scratch(
        backend,
        "no_withheld_cell_can_be_worked_out_from_the_public_view",
    ) else {
        return;
    };
    fill_demo_db(&db);

    // The audit of both territories together: Gaussian elimination over all relations, the
    // singletons and every small count's interval over all relations together (linear
    // programmes) find nothing.
    let o = run(&db, &["audit", "--intervals"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.contains("0 kleine Fallzahlen veröffentlicht, 0 gesperrte Zellen aus veröffentlichten berechenbar, 0 für Beitragende")
            && out.contains("0 kleine Fallzahlen in zu engen Grenzen eingrenzbar, 0 Komponenten nicht prüfbar")
            && out.contains("keine gesperrte Zelle ist berechenbar"),
        "{out}"
    );
    let secondary: usize = out
        .lines()
        .find_map(|l| l.strip_prefix("gesperrt: "))
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.replace('.', "").parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(secondary > 100, "{out}");

    // The attacker's check, independent of the solver: a Kreis total that is published, whose
    // Gemeinden add up to it, with exactly one of them withheld, gives that one away.
    let internal = export(&db, &dir.path().join("int.csv"), false);
    let public = export(&db, &dir.path().join("pub.csv"), true);
    // (Kreis, breakdown, period) → (Σ Gemeinden, Gemeinden, withheld)
    let mut kreise: BTreeMap<(String, String, String), (f64, usize, usize)> = BTreeMap::new();
    for ((key, bd, per), (value, _)) in &internal {
        if key.len() != 8 {
            continue;
        }
        let Some(kreis) = key.get(..5) else { continue };
        // `.` withheld; `-` (nothing, e.g. after a merger) is published and counts as 0.
        let withheld = public
            .get(&(key.clone(), bd.clone(), per.clone()))
            .is_none_or(|(_, hidden)| *hidden);
        let e = kreise
            .entry((kreis.to_string(), bd.clone(), per.clone()))
            .or_default();
        e.0 += value.unwrap_or(0.0);
        e.1 += 1;
        e.2 += usize::from(withheld);
    }
    let mut checked = 0;
    for ((kreis, bd, per), (sum, n, withheld)) in &kreise {
        let k = (kreis.clone(), bd.clone(), per.clone());
        let (Some((Some(total), _)), Some((Some(_), false))) = (internal.get(&k), public.get(&k))
        else {
            continue;
        };
        if (total - sum).abs() > 0.5 || *n < 2 {
            continue;
        }
        checked += 1;
        assert!(
            *withheld != 1,
            "{kreis} {bd} {per}: the only withheld Gemeinde of a published Kreis total"
        );
    }
    assert!(checked > 1000, "only {checked} Kreis totals checked");

    // The public-only database (a SQLite file from either backend): the public side of the
    // results and nothing else.
    let public_db = dir.path().join("public.sqlite");
    let o = run(&db, &["publish", "--to", public_db.to_str().expect("p")]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("gesperrt, ohne Zahl"), "{out}");
    let conn = rusqlite::Connection::open(&public_db).expect("open");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(count("SELECT count(*) FROM observation"), 0);
    assert_eq!(count("SELECT count(*) FROM observation_history"), 0);
    assert_eq!(count("SELECT count(*) FROM measure"), 0);
    assert!(count("SELECT count(*) FROM indicator_value WHERE flags & 2 <> 0") > 100);
    assert_eq!(
        count("SELECT count(*) FROM indicator_value WHERE flags & 2 <> 0 AND num IS NOT NULL"),
        0,
        "a withheld number reached the publication"
    );
    assert!(count("SELECT count(*) FROM indicator_value WHERE num IS NOT NULL") > 10_000);
    drop(conn);
    // Publishing again onto the same file is refused; the file stays as it is.
    let o = run(&db, &["publish", "--to", public_db.to_str().expect("p")]);
    assert!(!o.status.success());
    // The dashboard serves from it without recomputing anything.
    let server = start(&public_db);
    let page = get(&server, "/gemeinde/14522010", &[]);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Altmittweida"), "{}", page.body);
    let page = get(&server, "/indikator/anteil_65_plus", &[]);
    assert_eq!(page.status, 200);
}

/// A department's count without a declared kind is protected, and the import says so by name;
/// with `art = quote` it is a rate and published as it is.
pub fn an_undeclared_count_is_protected_and_named_at_import(backend: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let Some((_scratch, db)) = scratch(
        backend,
        "an_undeclared_count_is_protected_and_named_at_import",
    ) else {
        return;
    };
    let register = crate::demo("registers/GV100AD_301123.txt.gz");
    assert!(
        run(&db, &["import", register.to_str().expect("p")])
            .status
            .success()
    );
    let csv = dir.path().join("jugendamt.csv");
    std::fs::write(
        &csv,
        "region;measure;period;value;unit;art\n\
         14522010;HZE_FAELLE;2024;2;Kinder;\n\
         14522020;HZE_FAELLE;2024;40;Kinder;\n\
         14522010;HZE_QUOTE;2024;1,5;;quote\n",
    )
    .expect("write");
    let o = run(&db, &["import", csv.to_str().expect("p")]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    let all = format!("{out}{err}");
    assert!(
        all.contains("treated as counts and protected")
            && all.contains("`HZE_FAELLE` (unit `Kinder`)"),
        "{all}"
    );
    assert!(!all.contains("`HZE_QUOTE`"), "{all}");
    let out_csv = dir.path().join("pub.csv");
    let o = run(
        &db,
        &[
            "export",
            "-m",
            "HZE_FAELLE",
            "HZE_QUOTE",
            "--public",
            "-o",
            out_csv.to_str().expect("p"),
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let c = std::fs::read_to_string(&out_csv).expect("csv");
    let line = |key: &str, m: &str| {
        c.lines()
            .find(|l| l.starts_with(key) && l.contains(m))
            .unwrap_or_else(|| panic!("{key} {m}: {c}"))
            .to_string()
    };
    assert!(line("14522010", "HZE_FAELLE").contains(",.,"), "{c}");
    assert!(line("14522010", "HZE_QUOTE").contains(",1.5,"), "{c}");
}
