//! `sozialmonitor analysis` on the real demo data: the typology of the municipalities of Saxony
//! and Saxony-Anhalt, the deprivation index, the unusual changes of a district, and the
//! projection's back-test (projected from 31.12.2015 and set against the Zensus 2022 and the
//! Fortschreibung of 31.12.2024). The figures are computed here, from the published tables, not
//! written down.

use std::process::Command;

use super::demo;

/// What `sozialmonitor analysis ARGS --data data/demo` prints, after checking it succeeded.
fn analysis(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sozialmonitor"))
        .arg("analysis")
        .args(args)
        .arg("--data")
        .arg(demo(""))
        .output()
        .expect("run sozialmonitor");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{stdout}");
    stdout
}

/// The number after "Fehler" (a German percentage like `+4,6 %`).
fn error_of(line: &str) -> f64 {
    let after = line.rsplit("Fehler").next().expect("error column").trim();
    let number = after.trim_end_matches('%').trim().replace(',', ".");
    number
        .parse()
        .unwrap_or_else(|_| panic!("not a percentage: {after}"))
}

#[test]
fn the_back_test_compares_every_kreis_and_size_class_with_what_was_published_later() {
    let stdout = analysis(&["backtest"]);

    // Every Kreis and kreisfreie Stadt of Saxony (13) and Saxony-Anhalt (14), each with its own
    // error; a projection from 2015 misses none of them by a fifth.
    let kreise: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("vorausberechnet"))
        .collect();
    assert_eq!(kreise.len(), 27, "{stdout}");
    for line in &kreise {
        let e = error_of(line);
        assert!(e.abs() < 20.0, "implausible error: {line}");
    }
    // Mittelsachsen is projected from its 2015 municipalities, compared with 2024.
    assert!(kreise.iter().any(|l| l.trim_start().starts_with("14522")));

    // Municipalities by size class, against the Zensus: the classes and the whole, with a mean
    // absolute error that is a real error (neither nought nor wild).
    for class in [
        "unter 2.000",
        "2.000 bis unter 5.000",
        "10.000 bis unter 50.000",
        "50.000 und mehr",
    ] {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(class)),
            "{class} missing"
        );
    }
    let all = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("alle "))
        .expect("all municipalities");
    let count: usize = all
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("count");
    // Kreise with a merger since 2015 are left out; most municipalities remain, and the size
    // classes hold each of them once.
    assert!(count > 300, "{all}");
    let classes: usize = stdout
        .lines()
        .take_while(|l| !l.trim_start().starts_with("alle "))
        .filter(|l| l.contains("mittlerer absoluter Fehler"))
        .map(|l| {
            l.split("mittlerer Fehler")
                .next()
                .and_then(|h| h.split_whitespace().last())
                .and_then(|n| n.parse::<usize>().ok())
                .expect("class count")
        })
        .sum();
    assert_eq!(classes, count, "{stdout}");
    let mape = error_of(all);
    assert!(mape > 0.5 && mape < 20.0, "{all}");
}

#[test]
fn the_typology_names_each_type_by_what_sets_it_apart() {
    let stdout = analysis(&["typology"]);
    assert!(stdout.contains("637 Gemeinden"), "{stdout}");
    // Every number of types from 2 to 8 is shown with its silhouette and gap; one is chosen.
    let candidates: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("k = "))
        .collect();
    assert_eq!(candidates.len(), 7, "{stdout}");
    assert_eq!(
        candidates.iter().filter(|l| l.contains("gewählt")).count(),
        1
    );
    // The one chosen has the best silhouette shown.
    let silhouette = |l: &str| -> f64 {
        let after = l
            .split("Silhouette")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .expect("silhouette");
        after.replace(',', ".").parse().expect("number")
    };
    let best = candidates
        .iter()
        .map(|l| silhouette(l))
        .fold(f64::MIN, f64::max);
    let chosen = candidates
        .iter()
        .find(|l| l.contains("gewählt"))
        .expect("chosen");
    assert_eq!(silhouette(chosen), best, "{stdout}");
    // The types hold every municipality once, each described in words.
    let types: Vec<&str> = stdout.lines().filter(|l| l.starts_with("Typ ")).collect();
    assert!((2..=8).contains(&types.len()), "{stdout}");
    let total: usize = types
        .iter()
        .map(|l| {
            l.split_whitespace()
                .nth(2)
                .and_then(|n| n.parse::<usize>().ok())
                .expect("size")
        })
        .sum();
    assert_eq!(total, 637);
    assert!(
        types
            .iter()
            .all(|l| l.contains("durchschnittlich") || l.contains("Durchschnitt")),
        "{stdout}"
    );
}

/// The unusual changes of the population in Mittelsachsen's municipalities name the
/// incorporations and census corrections the register records: Bockelwitz joined Leisnig on
/// 1.1.2012, so Leisnig's population jumps from 2011 to 2012 far beyond its own history and
/// beyond the other municipalities that year.
pub fn unusual_changes_name_a_real_incorporation(backend: sozialmonitor_store::testing::Backend) {
    let Some((_scratch, db)) = crate::scratch(backend, "unusual_changes") else {
        return;
    };
    crate::dashboard::fill_demo_db(&db);
    let o = crate::run(
        &db,
        &[
            "analysis",
            "unusual",
            "-i",
            "bevoelkerung",
            "--kreis",
            "14522",
        ],
    );
    let (stdout, stderr) = crate::text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    eprintln!("{stdout}");
    assert!(
        stdout.starts_with("Auffällige Entwicklungen: Bevölkerung"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Trend des Kreises: -"),
        "Mittelsachsen shrinks: {stdout}"
    );
    let leisnig = stdout
        .lines()
        .find(|l| l.contains("Leisnig") && l.contains("2011–2012"))
        .expect("Leisnig's incorporation of Bockelwitz is flagged");
    assert!(leisnig.contains("auffällig gestiegen"), "{leisnig}");
    // A rate gets the sampling noise of its population; the command runs for it too.
    let o = crate::run(
        &db,
        &[
            "analysis",
            "unusual",
            "-i",
            "anteil_65_plus",
            "--kreis",
            "14522",
        ],
    );
    assert!(o.status.success(), "{:?}", crate::text(&o));
    let o = crate::run(&db, &["analysis", "unusual", "-i", "no_such_indicator"]);
    assert!(!o.status.success());
}

#[test]
fn the_deprivation_index_shows_its_method_and_ranks_every_gemeindeverband() {
    let stdout = analysis(&["index", "--kreis", "14522"]);
    let count: usize = stdout
        .split_whitespace()
        .skip_while(|w| *w != "(RKI):")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("number of Gemeindeverbände");
    assert!(
        count > 4000,
        "Germany has about 4,500 Gemeindeverbände: {count}"
    );
    // Three dimensions, each with the share of variance its factor explains and three inputs
    // whose printed loadings agree with it: the squared loadings sum to the eigenvalue, and
    // the share is the eigenvalue over the three indicators.
    let lines: Vec<&str> = stdout.lines().collect();
    let dimensions: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("Dimension "))
        .collect();
    assert_eq!(dimensions.len(), 3, "{stdout}");
    let german = |s: &str| -> f64 {
        s.trim()
            .replace(',', ".")
            .parse()
            .unwrap_or_else(|_| panic!("number: {s}"))
    };
    for &d in &dimensions {
        let explained = german(
            lines[d]
                .rsplit("Varianz")
                .next()
                .expect("share")
                .trim()
                .trim_end_matches('%'),
        );
        let loadings: Vec<f64> = lines[d + 1..]
            .iter()
            .filter(|l| l.contains("Gewicht"))
            .take(3)
            .map(|l| {
                german(
                    l.split("Ladung")
                        .nth(1)
                        .and_then(|r| r.split("Gewicht").next())
                        .expect("loading"),
                )
            })
            .collect();
        let from_loadings = loadings.iter().map(|l| l * l).sum::<f64>() / 3.0 * 100.0;
        assert!(
            (from_loadings - explained).abs() < 0.5,
            "{}: {from_loadings} vs {explained}",
            lines[d]
        );
    }
    assert_eq!(stdout.lines().filter(|l| l.contains("Gewicht")).count(), 9);
    // Every Gemeindeverband of Mittelsachsen with an index in 0..1 and a quintile in 1..5.
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("14522"))
        .collect();
    assert!(rows.len() > 40, "{stdout}");
    for row in rows {
        for part in row.split("(Quintil ").skip(1) {
            let q: u8 = part
                .trim_end_matches(')')
                .split(')')
                .next()
                .and_then(|q| q.parse().ok())
                .expect("quintile");
            assert!((1..=5).contains(&q), "{row}");
        }
    }
}

/// The index published as statistics: every member of a Verwaltungsgemeinschaft has its
/// Gemeindeverband's value as `analysis index` prints it, the Kreis has the mean of its
/// Gemeindeverbände weighted by their population in INKAR's reference table (read here on its
/// own), both reach the indicator cache, and the same inputs are not imported twice.
#[test]
fn the_deprivation_index_is_published_per_municipality_and_kreis() {
    use calamine::{Data, DataType, Reader, open_workbook_auto};
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("gisd.sqlite");
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sozialmonitor"))
            .arg("--db")
            .arg(&db)
            .args([
                "analysis", "index", "--kreis", "14522", "--import", "--data",
            ])
            .arg(demo(""))
            .args(extra)
            .output()
            .expect("run sozialmonitor");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let stdout = run(&[]);
    assert!(
        stdout.contains("deprivation index (GISD method) imported"),
        "{stdout}"
    );
    // Burgstädt's Verwaltungsgemeinschaft (14522902): Burgstädt, Mühlau and Taura.
    let printed: f64 = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("14522902"))
        .and_then(|l| l.split("2017: ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .map(|n| n.replace(',', ".").parse().expect("number"))
        .expect("the Verwaltungsgemeinschaft in 2017");
    let sql = rusqlite::Connection::open(&db).expect("open");
    let stored = |key: &str| -> f64 {
        sql.query_row(
            "SELECT o.num FROM observation o JOIN measure m ON m.id = o.measure_id
             JOIN region r ON r.id = o.region_id
             WHERE m.code = 'GISD_INDEX' AND r.key = ?1 AND o.period = 2017",
            [key],
            |row| row.get(0),
        )
        .unwrap_or_else(|e| panic!("{key}: {e}"))
    };
    for member in ["14522060", "14522380", "14522550"] {
        assert_eq!(stored(member), printed, "{member}");
    }
    // The Kreis: Σ population · index / Σ population over its Gemeindeverbände.
    let mut book = open_workbook_auto(demo("gisd/Referenz_Gebietsstand_2017.xlsx")).expect("xlsx");
    let sheet = book.worksheet_range("Gemeindeverbände").expect("sheet");
    let (mut weighted, mut people) = (0.0, 0.0);
    for row in sheet.rows() {
        let key = match &row[0] {
            Data::Float(f) => format!("{:08}", *f as i64),
            Data::Int(i) => format!("{i:08}"),
            _ => continue,
        };
        if !key.starts_with("14522") {
            continue;
        }
        let population = row[3].as_f64().expect("bev17");
        let index: f64 = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&key))
            .and_then(|l| l.split("2017: ").nth(1))
            .and_then(|r| r.split_whitespace().next())
            .map(|n| n.replace(',', ".").parse().expect("number"))
            .unwrap_or_else(|| panic!("{key} printed"));
        weighted += population * index;
        people += population;
    }
    let kreis = stored("14522");
    // The printed indices have three decimals, as the stored ones.
    assert!(
        (kreis - weighted / people).abs() < 0.001,
        "{kreis} vs {}",
        weighted / people
    );
    let cached: f64 = sql
        .query_row(
            "SELECT v.num FROM indicator_value v JOIN region r ON r.id = v.region_id
             WHERE v.indicator = 'deprivationsindex' AND r.key = '14522' AND v.year = 2017",
            [],
            |row| row.get(0),
        )
        .expect("cached");
    assert_eq!(cached, kreis);
    assert!(run(&[]).contains("already imported, unchanged"));
}
