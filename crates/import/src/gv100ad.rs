//! The GV100AD municipal register (Gemeindeverzeichnis), fixed-width records: 10 Land, 20
//! Regierungsbezirk, 30 Region (Baden-Württemberg only), 40 Kreis, 50 Gemeindeverband, 60 Gemeinde.
//! Positions are characters, not bytes: the file is UTF-8 since Sorbian names were added.

use sozialmonitor_core::{
    Dataset, Diagnostic, Measure, Observation, Period, Region, RegionKey, Said, Value,
};

use crate::common::{SaidBoth, german_count, prefix_chars};

fn kind(satzart: &str, tk: &str) -> Option<&'static str> {
    Some(match (satzart, tk) {
        ("40", "41") => "Kreisfreie Stadt",
        ("40", "42") => "Stadtkreis",
        ("40", "43") => "Kreis",
        ("40", "44") => "Landkreis",
        ("40", "45") => "Regionalverband",
        ("50", "50") => "Verbandsfreie Gemeinde",
        ("50", "51") => "Amt",
        ("50", "52") => "Samtgemeinde",
        ("50", "53") => "Verbandsgemeinde",
        ("50", "54") => "Verwaltungsgemeinschaft",
        ("50", "55") => "Kirchspielslandgemeinde",
        ("50", "56") => "Verwaltungsverband",
        ("50", "57") => "Verwaltungsgemeinschaft (Trägermodell)",
        ("50", "58") => "Erfüllende Gemeinde",
        ("60", "60") => "Markt",
        ("60", "61") => "Kreisfreie Stadt",
        ("60", "62") => "Stadtkreis",
        ("60", "63") => "Stadt",
        ("60", "64") => "Kreisangehörige Gemeinde",
        ("60", "65") => "Gemeindefreies Gebiet, bewohnt",
        ("60", "66") => "Gemeindefreies Gebiet, unbewohnt",
        ("60", "67") => "Große Kreisstadt",
        _ => return None,
    })
}

/// Reads a GV100AD file already decoded to text.
pub fn read(file: &str, text: &str) -> Dataset {
    let mut ds = Dataset::new("gv100ad");
    let mut skipped_30 = 0usize;
    for (line_no, line) in crate::text::lines(text) {
        ds.rows_read += 1;
        let c: Vec<char> = line.chars().collect();
        let get = |a: usize, b: usize| -> String {
            c.get(a..b.min(c.len()))
                .map(|s| s.iter().collect::<String>())
                .unwrap_or_default()
        };
        if c.len() < 72 {
            ds.diagnostics.push(
                Diagnostic::error(
                    file,
                    line_no,
                    c.len() + 1,
                    Said::both(
                        format!(
                            "record is {} characters long; a GV100AD record has at least 72",
                            c.len()
                        ),
                        format!(
                            "Der Datensatz ist {} Zeichen lang; ein Datensatz des Gemeindeverzeichnisses GV100AD hat mindestens 72",
                            c.len()
                        ),
                    ),
                )
                .with_hint(Said::both(
                    "is this a GV100AD file, and is it complete?",
                    "Ist dies das Gemeindeverzeichnis GV100AD, und ist es vollständig?",
                )),
            );
            continue;
        }
        let satzart = get(0, 2);
        // The Gebietsstand is `yyyymmdd`; positions count characters like every field here.
        let date = match Period::parse(&format!("{}-{}-{}", get(2, 6), get(6, 8), get(8, 10))) {
            Ok(p) => p,
            Err(e) => {
                ds.diagnostics.push(Diagnostic::error(
                    file,
                    line_no,
                    3,
                    Said::both(
                        format!("Gebietsstand: {e}"),
                        format!("Gebietsstand: {}", e.german()),
                    ),
                ));
                continue;
            }
        };
        let key_text = match satzart.as_str() {
            "10" => get(10, 12),
            "20" => get(10, 13),
            "30" => {
                skipped_30 += 1;
                continue;
            }
            "40" => get(10, 15),
            "50" => format!("{}{}", get(10, 15), get(18, 22)),
            "60" => get(10, 18),
            other => {
                ds.diagnostics.push(
                    Diagnostic::error(
                        file,
                        line_no,
                        1,
                        Said::both(
                            format!("unknown record type (Satzart) `{other}`"),
                            format!("Unbekannte Satzart „{other}“"),
                        ),
                    )
                    .with_hint(Said::both(
                        "GV100AD has record types 10, 20, 30, 40, 50 and 60",
                        "Das GV100AD kennt die Satzarten 10, 20, 30, 40, 50 und 60",
                    )),
                );
                continue;
            }
        };
        // Keys in this fixed-width format are zero-padded digits; a blank (or a non-breaking
        // space from an editor) would otherwise be trimmed away and shorten the key to another
        // level's.
        if !key_text.chars().all(|c| c.is_ascii_digit()) {
            ds.diagnostics.push(
                Diagnostic::error(
                    file,
                    line_no,
                    11,
                    Said::both(
                        format!(
                            "Regionalschlüssel `{key_text}` contains other characters than digits"
                        ),
                        format!(
                            "Der Regionalschlüssel „{key_text}“ enthält andere Zeichen als Ziffern"
                        ),
                    ),
                )
                .with_hint(Said::both(
                    "GV100AD keys are zero-padded digits in fixed positions; was the file edited?",
                    "Die Schlüssel im GV100AD sind mit Nullen aufgefüllte Ziffern an festen Positionen; wurde die Datei bearbeitet?",
                )),
            );
            continue;
        }
        let key = match RegionKey::parse(&key_text) {
            Ok(k) => k,
            Err(e) => {
                ds.diagnostics
                    .push(Diagnostic::error(file, line_no, 11, e.said()));
                continue;
            }
        };
        let name = get(22, 72).trim().to_string();
        let tk = get(122, 124).trim().to_string();
        let mut r = Region::new(key.clone(), name.clone());
        r.valid_from = Some(date);
        r.kind = kind(&satzart, &tk).map(str::to_string);
        if satzart == "60" {
            let gv = get(18, 22);
            // The Verband key is the Kreis part of the validated key and the Verband number; the
            // raw key text may hold surrounding blanks (even non-breaking spaces, which are more
            // than one byte), so it is not cut by position.
            r.verband = RegionKey::parse(&format!("{}{}", prefix_chars(key.as_str(), 5), gv)).ok();
            let num = |a, b| -> Option<i64> { get(a, b).trim().parse().ok() };
            let area_ha = num(128, 139);
            let pop = num(139, 150);
            r.area_km2 = area_ha.map(|h| h as f64 / 100.0);
            r.population = pop;
            let plz = get(165, 170).trim().to_string();
            r.postcode = (!plz.is_empty()).then_some(plz);
            // Population and area refer to 31.12. of the year before the Gebietsstand.
            let ref_date = Period::Date(date.year() - 1, 12, 31);
            let rix = ds.intern_region(key.clone(), Some(&name));
            for (n, code, label, unit) in [
                (
                    pop,
                    "GV100_BEV",
                    "Bevölkerung (Gemeindeverzeichnis)",
                    "Anzahl",
                ),
                (area_ha, "GV100_FL", "Fläche (Gemeindeverzeichnis)", "ha"),
            ] {
                let Some(n) = n else { continue };
                let measure = ds.intern_measure(Measure {
                    code: code.into(),
                    label: label.into(),
                    unit: unit.into(),
                    statistic: "GV100AD".into(),
                });
                ds.observations.push(Observation {
                    measure,
                    region: rix,
                    period: ref_date,
                    breakdown: 0,
                    value: Value::number(n as f64, 0),
                    quality: 0,
                    line: line_no as u32,
                });
            }
        }
        ds.regions.push(r);
    }
    if skipped_30 > 0 {
        ds.diagnostics.push(Diagnostic::warning(
            file,
            0,
            0,
            Said::both(
                format!("{skipped_30} records of type 30 (Region, Baden-Württemberg) are not a level of the hierarchy here and were not stored; their Kreise are kept"),
                format!(
                    "Nicht gespeichert: {} der Satzart 30 (Region, Baden-Württemberg), die hier keine Ebene der Gebietsgliederung ist; die Kreise darin bleiben erhalten",
                    german_count(skipped_30, "Datensatz", "Datensätze")
                ),
            ),
        ));
    }
    ds.finish(file);
    ds
}
