//! PDF reports end to end: the commands a planner types, the files they get, read back with
//! poppler's `pdftotext` and `pdfinfo` (Debian's poppler-utils, installed by `.ci/run`).

use std::path::Path;
use std::process::Command;

use sozialmonitor_store::testing::Backend;

use crate::dashboard::fill_demo_db;
use crate::{run, text};

fn poppler(tool: &str, pdf: &Path, extra: &[&str]) -> String {
    let o = Command::new(tool)
        .args(extra)
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils) is needed to read the PDFs: {e}"));
    assert!(
        o.status.success(),
        "{tool} {}: {:?}",
        pdf.display(),
        text(&o)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub(crate) fn pdftotext(pdf: &Path) -> String {
    poppler("pdftotext", pdf, &["-layout"])
}

fn pdfinfo(pdf: &Path) -> String {
    let o = Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .expect("pdfinfo (poppler-utils)");
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn pages(info: &str) -> usize {
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in {info}"))
}

fn ok(db: &str, args: &[&str]) -> (String, String) {
    let o = run(db, args);
    let t = text(&o);
    assert!(o.status.success(), "{args:?}: {t:?}");
    t
}

pub fn profiles_and_the_social_report_as_pdf(backend: Backend) {
    let Some((_scratch, db)) = crate::scratch(backend, "profiles_and_the_social_report_as_pdf")
    else {
        return;
    };
    fill_demo_db(&db);
    let dir = tempfile::tempdir().expect("tmp");
    let p = |name: &str| dir.path().join(name);
    let s = |path: &Path| path.to_str().expect("utf-8 path").to_string();

    // A municipal profile: name, key figures in German format beside Kreis and Land, the
    // metadata a screen reader needs, and the same bytes every time.
    ok(
        &db,
        &["report", "profile", "14522010", "-o", &s(&p("a.pdf"))],
    );
    ok(
        &db,
        &["report", "profile", "14522010", "-o", &s(&p("b.pdf"))],
    );
    let a = std::fs::read(p("a.pdf")).expect("a.pdf");
    assert!(a.starts_with(b"%PDF-"));
    assert_eq!(
        a,
        std::fs::read(p("b.pdf")).expect("b.pdf"),
        "same data, same bytes"
    );
    let t = pdftotext(&p("a.pdf"));
    assert!(t.contains("Gemeindeprofil"), "{t}");
    assert!(t.contains("Altmittweida"), "{t}");
    // Share of 65+ on 31.12.2015: Altmittweida 23,2, Mittelsachsen 26,5, Sachsen 25,1.
    // The key figures' row (name and unit); the type's sentence and method line name the
    // feature too.
    let row = t
        .lines()
        .find(|l| l.contains("Anteil 65+ (%)"))
        .unwrap_or_else(|| panic!("no 65+ row in\n{t}"));
    for v in ["23,2", "26,5", "25,1"] {
        assert!(row.contains(v), "{v} missing in {row:?}");
    }
    assert!(t.contains("dl-de/by-2-0"), "licence attribution");
    assert!(t.contains("Lage im Kreis"), "location map");
    let info = pdfinfo(&p("a.pdf"));
    assert!((2..=4).contains(&pages(&info)), "{info}");
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(
        info.contains("Title:           Gemeindeprofil Altmittweida"),
        "{info}"
    );
    assert!(
        a.windows(b"/Lang".len()).any(|w| w == b"/Lang"),
        "document language"
    );

    // A suppressed value stays suppressed: Rathen's share of under-18s in 2015 is hidden
    // (internally 14,08 %), so the profile shows "." and never the number.
    ok(
        &db,
        &["report", "profile", "14628310", "-o", &s(&p("rathen.pdf"))],
    );
    let t = pdftotext(&p("rathen.pdf"));
    assert!(t.contains("Rathen"), "{t}");
    let row = t
        .lines()
        .find(|l| l.contains("Anteil unter 18"))
        .unwrap_or_else(|| panic!("no under-18 row in\n{t}"));
    assert!(row.contains(" . "), "suppressed cell shown as '.': {row:?}");
    assert!(!t.contains("14,1"), "the suppressed value leaks:\n{t}");

    // All municipalities of the district, on both cores, byte-identical to the single run.
    let (out, _) = ok(
        &db,
        &[
            "report",
            "profiles",
            "--kreis",
            "14522",
            "-o",
            &s(&p("profile")),
        ],
    );
    let files: Vec<_> = std::fs::read_dir(p("profile"))
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert!(files.len() >= 50, "{out}: {files:?}");
    assert!(
        out.contains(&format!("{} profiles of Mittelsachsen", files.len())),
        "{out}"
    );
    assert_eq!(
        std::fs::read(p("profile").join("14522010-altmittweida.pdf")).expect("profile"),
        a
    );

    // The social report with a planner's Markdown commentary; a misnamed file is reported, not
    // silently dropped.
    let notes = p("kommentare");
    std::fs::create_dir_all(&notes).expect("dir");
    std::fs::write(
        notes.join("demografie-und-sozialstruktur.md"),
        "## Einordnung\n\nDie **Alterung** setzt sich fort; Kosten von 5 $ je #Fall bleiben Text.\n",
    )
    .expect("write");
    std::fs::write(notes.join("demografie.md"), "Kein Kapitel heißt so.\n").expect("write");
    let (out, err) = ok(
        &db,
        &[
            "report",
            "sozialbericht",
            "--kreis",
            "14522",
            "-o",
            &s(&p("bericht.pdf")),
            "--kommentare",
            &s(&notes),
        ],
    );
    assert!(out.contains("demografie-und-sozialstruktur"), "{out}");
    assert!(err.contains("demografie.md matches no chapter"), "{err}");
    let t = pdftotext(&p("bericht.pdf"));
    for part in [
        "Sozialbericht",
        "Inhalt",
        "Zusammenfassung",
        "Demografie und Sozialstruktur",
        "Datenlücken",
        "Anhang: Definitionen und Quellen",
        "Die Alterung setzt sich fort; Kosten von 5 $ je #Fall bleiben Text.",
        "Einordnung durch die Sozialplanung",
    ] {
        assert!(t.contains(part), "{part} missing");
    }
    let info = pdfinfo(&p("bericht.pdf"));
    assert!(pages(&info) >= 8, "{info}");
    assert!(info.contains("Tagged:          yes"), "{info}");

    // A Typst error in a commentary names the file and line; no PDF is written.
    std::fs::write(
        notes.join("zusammenfassung.typ"),
        "Gut.\n\n#nicht_definiert\n",
    )
    .expect("w");
    let o = run(
        &db,
        &[
            "report",
            "sozialbericht",
            "--kreis",
            "14522",
            "-o",
            &s(&p("kaputt.pdf")),
            "--kommentare",
            &s(&notes),
        ],
    );
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(err.contains("zusammenfassung.typ:3:"), "{err}");
    assert!(!p("kaputt.pdf").exists());
}

/// The newest public value of an indicator for a region, from the results cache.
pub(crate) fn value(
    scratch: &sozialmonitor_store::testing::Scratch,
    key: &str,
    region: &str,
    year: u16,
) -> f64 {
    use sozialmonitor_store::Store;
    let db = scratch.open().expect("open");
    db.results(key)
        .expect("results")
        .expect("cached")
        .into_iter()
        .find(|r| r.region == region && r.year == year && !r.suppressed)
        .and_then(|r| match r.cell {
            sozialmonitor_core::engine::Cell::Num(x) => Some(x),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no public {key} for {region} in {year}"))
}

/// The planning cycles of the demo are imported once; measures with aims on the real
/// population series of Mittelsachsen are evaluated (reached, behind, no new data) in the
/// planning document, which is read back with pdftotext.
pub fn planning_cycles_and_the_planning_document(backend: Backend) {
    let Some((scratch, db)) = crate::scratch(backend, "planning_cycles_and_the_planning_document")
    else {
        return;
    };
    fill_demo_db(&db);
    let file = crate::demo("planung/planungszyklen.toml");
    let (out, _) = ok(&db, &["planning", "import", file.to_str().expect("utf-8")]);
    assert!(out.contains("2 planning cycle(s)"), "{out}");
    let o = run(&db, &["planning", "import", file.to_str().expect("utf-8")]);
    assert!(!o.status.success(), "imported twice");
    assert!(
        text(&o).1.contains("ist schon gespeichert"),
        "{:?}",
        text(&o)
    );
    // The population of Mittelsachsen, as published: 2011 and 2022 (GV100AD 2023).
    let (b2008, b2011, b2022) = (
        value(&scratch, "bevoelkerung", "14522", 2008),
        value(&scratch, "bevoelkerung", "14522", 2011),
        value(&scratch, "bevoelkerung", "14522", 2022),
    );
    assert!(b2022 < b2011, "the district shrinks: {b2011} → {b2022}");
    let dir = tempfile::tempdir().expect("tmp");
    let plan = dir.path().join("plan.toml");
    // Three aims on the same real series: a fall the district has already made, a fall far
    // beyond it, and one whose baseline is the newest year.
    std::fs::write(
        &plan,
        format!(
            r#"[[zyklus]]
kreis = "14522"
titel = "Testzyklus 2027–2031"
von = 2027
bis = 2031
[[zyklus.empfehlung]]
handlungsfeld = "Demografie und Sozialstruktur"
titel = "Bevölkerungsentwicklung begleiten"
indikatoren = ["bevoelkerung"]
stand = "laufend"
beschlossen_von = "Kreistag"
beschlossen_am = "2027-03-01"
ergebnis = "angenommen"
oeffentlich = true
[[zyklus.massnahme]]
titel = "Erreicht"
stand = "laufend"
gemeinden = ["14522010"]
oeffentlich = true
[[zyklus.massnahme.ziel]]
indikator = "bevoelkerung"
gebiet = "14522"
ausgangswert = {b2011}
ausgangsjahr = 2011
zielwert = {reached}
zieljahr = 2030
richtung = "sinken"
[[zyklus.massnahme]]
titel = "Seit 2008"
stand = "laufend"
gemeinden = ["14522010"]
oeffentlich = true
[[zyklus.massnahme.ziel]]
indikator = "bevoelkerung"
gebiet = "14522"
ausgangswert = {b2008}
ausgangsjahr = 2008
zielwert = {reached}
zieljahr = 2030
richtung = "sinken"
[[zyklus.massnahme]]
titel = "Im Rückstand"
stand = "laufend"
[[zyklus.massnahme.ziel]]
indikator = "bevoelkerung"
gebiet = "14522"
ausgangswert = {b2011}
ausgangsjahr = 2011
zielwert = {far}
zieljahr = 2023
richtung = "sinken"
[[zyklus.massnahme]]
titel = "Ohne neue Daten"
stand = "geplant"
[[zyklus.massnahme.ziel]]
indikator = "bevoelkerung"
gebiet = "14522"
ausgangswert = {b2022}
ausgangsjahr = 2022
zielwert = {later}
zieljahr = 2030
richtung = "sinken"
"#,
            reached = (b2022 + 1000.0).round(),
            far = (b2022 / 2.0).round(),
            later = (b2022 - 5000.0).round(),
        ),
    )
    .expect("write");
    ok(&db, &["planning", "import", plan.to_str().expect("utf-8")]);
    let pdf = dir.path().join("plan.pdf");
    let (out, _) = ok(
        &db,
        &[
            "report",
            "planungsdokument",
            "--kreis",
            "14522",
            "-o",
            pdf.to_str().expect("utf-8"),
        ],
    );
    assert!(out.contains("Testzyklus 2027–2031"), "{out}");
    let t = pdftotext(&pdf);
    for part in [
        "Planungsdokument",
        "Mittelsachsen",
        "Testzyklus 2027–2031",
        "Bevölkerungsentwicklung begleiten",
        "Kreistag am 01.03.2027: angenommen",
        "Ziel erreicht",
        "im Rückstand",
        "keine neuen Daten",
        "Datenlücken",
        "Beschlüsse",
    ] {
        assert!(t.contains(part), "{part} missing in:\n{t}");
    }
    let info = pdfinfo(&pdf);
    assert!(info.contains("Tagged:          yes"), "{info}");
    // The social report, which is public, has the published measures' effect and no other.
    let report = dir.path().join("bericht.pdf");
    ok(
        &db,
        &[
            "report",
            "sozialbericht",
            "--kreis",
            "14522",
            "-o",
            report.to_str().expect("utf-8"),
        ],
    );
    let t = pdftotext(&report);
    for part in [
        "Maßnahmen und Zielerreichung",
        "Seniorenwegweiser",
        "Erreicht",
        "Ziel erreicht",
        // The comparison of the measure's municipality with the rest, by relative change.
        "Vergleich mit dem übrigen Kreis",
        "Prozentpunkte",
    ] {
        assert!(
            t.contains(part),
            "{part} missing in the social report:\n{}",
            t.split("Zielerreichung").last().unwrap_or("")
        );
    }
    // The comparison from 2008 crosses the census of 2011 and says so; the one from 2011 none
    // (hyphenation and line breaks of the PDF text undone).
    let chapter = t
        .rsplit("Maßnahmen und Zielerreichung")
        .next()
        .unwrap_or("");
    let flat = chapter
        .replace("-\n", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("2008–2022: in der Gemeinde der Maßnahme")
            && flat.contains(
                "über einen Zeitreihenbruch hinweg (Zensus 2011), nur eingeschränkt vergleichbar"
            ),
        "{flat}"
    );
    assert_eq!(flat.matches("Zeitreihenbruch").count(), 1, "{flat}");
    for internal in ["Im Rückstand", "Ohne neue Daten"] {
        assert!(!t.contains(internal), "{internal} is not published");
    }
}
