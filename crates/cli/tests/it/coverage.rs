//! The coverage of a district by its directory of social services, computed like every other
//! indicator and checked by hand for two municipalities against the published population.

use sozialmonitor_store::testing::Backend;

use crate::dashboard::fill_demo_db;
use crate::reports::{pdftotext, value};
use crate::{run, text};

/// Four real-looking entries (two counselling in Freiberg, one in Döbeln, a meeting place that
/// is not counselling) and an example, which never counts.
const DIRECTORY: &str = "name;gemeinde;breite;laenge;themen;zielgruppen;oeffentlich;beispiel\n\
Schuldnerberatung Freiberg;14522180;50,9177;13,3425;schuldnerberatung;alle;ja;nein\n\
Seniorenberatung Freiberg;14522180;50,9177;13,3425;seniorenberatung;senioren;ja;nein\n\
Seniorenberatung Döbeln;14522080;51,1194;13,1128;seniorenberatung;senioren;ja;nein\n\
Seniorentreff Döbeln;14522080;51,1194;13,1128;begegnung;senioren;ja;nein\n\
Beispiel: Suchtberatung;14522080;51,1194;13,1128;suchtberatung;alle;ja;ja\n";

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

pub fn coverage_indicators_are_computed_from_the_directory_and_agree_by_hand(backend: Backend) {
    let Some((scratch, db)) = crate::scratch(backend, "coverage_indicators") else {
        return;
    };
    fill_demo_db(&db);
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("wegweiser.csv");
    std::fs::write(&file, DIRECTORY).expect("write");
    let ok = |args: &[&str]| {
        let o = run(&db, args);
        let t = text(&o);
        assert!(o.status.success(), "{args:?}: {t:?}");
        t.0
    };
    ok(&[
        "services",
        "import",
        file.to_str().expect("utf-8"),
        "--kreis",
        "14522",
    ]);
    let out = ok(&["services", "coverage", "--kreis", "14522"]);
    // The newest population of the municipalities is the register's of 31.12.2022; by age,
    // the Landesamt's table of 31.12.2015.
    assert!(
        out.contains("4 entries")
            && out.contains("dated 31.12.2022")
            && out.contains("older people 31.12.2015"),
        "{out}"
    );
    assert!(out.contains("imported as batch"), "{out}");
    // By hand, from the published population (GV100AD of 30.11.2023: 31.12.2022):
    // Freiberg 40.485 inhabitants, 2 counselling offers → 10.000 · 2 / 40.485 = 0,494;
    // Döbeln 23.763, 1 (the example is not counted) → 10.000 / 23.763 = 0,421.
    let (freiberg, doebeln) = (
        value(&scratch, "bevoelkerung", "14522180", 2022),
        value(&scratch, "bevoelkerung", "14522080", 2022),
    );
    assert_eq!((freiberg, doebeln), (40_485.0, 23_763.0));
    let rate = |key: &str, region: &str, year: u16| value(&scratch, key, region, year);
    assert!(close(
        rate("beratungsangebote_je_10000", "14522180", 2022),
        10_000.0 * 2.0 / 40_485.0
    ));
    assert!(close(
        rate("beratungsangebote_je_10000", "14522080", 2022),
        10_000.0 / 23_763.0
    ));
    // The district: its three offers over its own population (inputs summed, not rates).
    let kreis = value(&scratch, "bevoelkerung", "14522", 2022);
    assert!(close(
        rate("beratungsangebote_je_10000", "14522", 2022),
        30_000.0 / kreis
    ));
    // For older people, against the population aged 65 and over of 2015: one offer each.
    for m in ["14522180", "14522080"] {
        let old = value(&scratch, "anteil_65_plus", m, 2015) / 100.0
            * value(&scratch, "bevoelkerung", m, 2015);
        let got = rate("beratungsangebote_senioren", m, 2015);
        assert!(
            (got - 10_000.0 / old).abs() < 1e-6 * got,
            "{m}: {got} vs {}",
            10_000.0 / old
        );
    }
    // Distances from the centre of each municipality's area: Freiberg's and Döbeln's offers
    // lie in their towns, a few km from the centre of their areas; Altmittweida has none, and
    // its nearest is Döbeln's or Freiberg's, 20 to 30 km away as the crow flies.
    let km = |m: &str| rate("entfernung_beratung_km", m, 2022);
    assert!(km("14522180") < 5.0, "{}", km("14522180"));
    assert!(km("14522080") < 5.0, "{}", km("14522080"));
    assert!((20.0..30.0).contains(&km("14522010")), "{}", km("14522010"));
    // The same directory again: nothing new.
    let out = ok(&["services", "coverage", "--kreis", "14522"]);
    assert!(out.contains("unchanged since batch"), "{out}");

    // The Seniorenwegweiser booklet of the district and of Döbeln, read back.
    let (all, doebeln) = (dir.path().join("a.pdf"), dir.path().join("d.pdf"));
    let path = |p: &std::path::Path| p.to_str().expect("utf-8").to_string();
    ok(&["report", "seniorenwegweiser", "-o", &path(&all)]);
    let text = pdftotext(&all);
    for name in [
        "Seniorenwegweiser Mittelsachsen",
        "Schuldnerberatung Freiberg",
        "Seniorenberatung Döbeln",
        "Seniorentreff Döbeln",
        "(Beispiel – kein realer Eintrag)",
        "Beratung im Alter",
    ] {
        assert!(text.contains(name), "{name}: {text}");
    }
    let again = dir.path().join("b.pdf");
    ok(&["report", "seniorenwegweiser", "-o", &path(&again)]);
    assert_eq!(
        std::fs::read(&all).expect("pdf"),
        std::fs::read(&again).expect("pdf")
    );
    ok(&[
        "report",
        "seniorenwegweiser",
        "--gemeinde",
        "14522080",
        "-o",
        &path(&doebeln),
    ]);
    let text = pdftotext(&doebeln);
    assert!(
        text.contains("Seniorenwegweiser Döbeln") && text.contains("Seniorenberatung Döbeln"),
        "{text}"
    );
    assert!(!text.contains("Freiberg"), "only Döbeln's: {text}");
    let o = run(
        &db,
        &[
            "report",
            "seniorenwegweiser",
            "--gemeinde",
            "15082005",
            "-o",
            &path(&again),
        ],
    );
    assert!(!o.status.success(), "a municipality of another district");
}
