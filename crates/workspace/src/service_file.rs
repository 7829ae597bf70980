//! Entries of the directory of social services (Wegweiser) read from a table, CSV or XLSX, with
//! German column names ([`COLUMNS`]). The whole table is checked; every refusal names the file,
//! the line and the column, and nothing is saved while one remains. A spreadsheet's own
//! conversions are undone or refused: a postcode that lost its leading 0 gets it back, a date
//! cell is read as the date it shows, a telephone number typed as a number is refused (its
//! leading 0 is gone).

use std::collections::HashSet;

use sozialmonitor_core::services::{
    Position, TARGET_GROUPS, TOPICS, TargetGroup, Topic, is_email, is_web_address,
};
use sozialmonitor_import::sheet::Plain;
use sozialmonitor_store::Service;

use crate::table_file::{Row, Rows, head, table};

/// The columns a table may have; any other is refused (a misspelt `oeffentlich` would
/// otherwise make every entry internal without a word).
pub const COLUMNS: [&str; 23] = [
    "name",
    "traeger",
    "strasse",
    "plz",
    "ort",
    "gemeinde",
    "versorgt",
    "breite",
    "laenge",
    "themen",
    "zielgruppen",
    "oeffnungszeiten",
    "stufenlos",
    "hoerschleife",
    "leichte_sprache",
    "sprachen",
    "telefon",
    "email",
    "web",
    "geprueft_am",
    "oeffentlich",
    "beispiel",
    "quelle",
];

/// The most refusals reported at once: enough to fix a file in one pass, not a flood.
const MAX_REFUSALS: usize = 20;

/// What the entries are checked against.
#[derive(Debug, Default, Clone)]
pub struct Known {
    /// The district's key.
    pub kreis: String,
    /// The district's current municipalities (AGS).
    pub municipalities: HashSet<String>,
    /// The entries held already, by name and municipality: a table read twice adds nothing.
    pub held: HashSet<(String, String)>,
    /// The municipalities as the register names them: key, name, postcode (for an entry whose
    /// municipality is not given, looked up by its place or postcode).
    pub places: Vec<(String, String, Option<String>)>,
}

impl Known {
    /// The one municipality of the district that a place name (`Döbeln`, matching the register's
    /// `Döbeln, Stadt`) or a postcode names; `None` when none or several do.
    pub fn lookup(&self, place: &str, postcode: &str) -> Option<&str> {
        let short = |n: &str| n.split(',').next().unwrap_or(n).trim().to_lowercase();
        let (place, postcode) = (place.trim().to_lowercase(), postcode.trim());
        let by_place = self
            .places
            .iter()
            .filter(|(_, n, _)| !place.is_empty() && short(n) == place);
        let by_postcode = self
            .places
            .iter()
            .filter(|(.., c)| !postcode.is_empty() && c.as_deref() == Some(postcode));
        only(by_place).or_else(|| only(by_postcode))
    }
}

/// The key of the one municipality found, `None` for none or several.
fn only<'a>(
    mut found: impl Iterator<Item = &'a (String, String, Option<String>)>,
) -> Option<&'a str> {
    let first = found.next()?;
    found.next().is_none().then_some(first.0.as_str())
}

/// A list cell split at `,` or `;`.
fn items(s: &str) -> impl Iterator<Item = &str> {
    s.split([',', ';']).map(str::trim).filter(|x| !x.is_empty())
}

/// The ISO date of an Excel serial day number (days since 1899-12-30).
fn excel_date(serial: f64) -> Option<String> {
    if serial.fract() != 0.0 || !(1.0..=200_000.0).contains(&serial) {
        return None;
    }
    // 1970-01-01 is serial 25569.
    let days = serial as i64 - 25_569;
    Some(sozialmonitor_core::format::iso_date(days))
}

impl Row<'_> {
    /// A list of closed-vocabulary items, each read by `read`, refused by name.
    fn coded<T: PartialEq + Copy>(
        &self,
        column: &str,
        read: impl Fn(&str) -> Option<T>,
        known: impl Iterator<Item = &'static str>,
    ) -> Result<Vec<T>, String> {
        let mut out = Vec::new();
        for x in items(&self.text(column)) {
            let Some(t) = read(x) else {
                let known: Vec<&str> = known.collect();
                return Err(self.wrong(
                    column,
                    &format!("„{x}“ ist nicht bekannt (bekannt: {})", known.join(", ")),
                ));
            };
            if !out.contains(&t) {
                out.push(t);
            }
        }
        Ok(out)
    }

    fn position(&self) -> Result<Option<Position>, String> {
        match (self.number("breite")?, self.number("laenge")?) {
            (None, None) => Ok(None),
            (Some(lat), Some(lon)) => Position::new(lat, lon).map(Some).ok_or_else(|| {
                self.wrong(
                    "breite",
                    &format!(
                        "{lat}, {lon} liegt nicht in Deutschland (Breite und Länge vertauscht?)"
                    ),
                )
            }),
            _ => Err(self.wrong("laenge", "Breite und Länge gibt es nur zusammen")),
        }
    }

    /// Yes, no or not known (an empty cell).
    fn known(&self, column: &str) -> Result<Option<bool>, String> {
        if self.text(column).trim().is_empty() {
            Ok(None)
        } else {
            self.yes_no(column).map(Some)
        }
    }

    fn date(&self, column: &str) -> Result<String, String> {
        if let Some(Plain::Number(x)) = self.cell(column) {
            return excel_date(*x)
                .ok_or_else(|| self.wrong(column, &format!("{x} ist kein Datum")));
        }
        let d = self.text(column);
        let ok = d.is_empty() || (d.len() == 10 && sozialmonitor_core::planning::is_plan_date(&d));
        if ok {
            Ok(d)
        } else {
            Err(self.wrong(column, &format!("„{d}“ ist kein Datum wie 2026-04-22")))
        }
    }

    fn postcode(&self) -> Result<String, String> {
        let p = match self.cell("plz") {
            // A spreadsheet drops the leading 0 of 09599.
            Some(Plain::Number(x)) if x.fract() == 0.0 && (0.0..100_000.0).contains(x) => {
                format!("{:05}", *x as u32)
            }
            _ => self.text("plz"),
        };
        if p.is_empty() || (p.len() == 5 && p.bytes().all(|b| b.is_ascii_digit())) {
            Ok(p)
        } else {
            Err(self.wrong("plz", &format!("„{p}“ ist keine fünfstellige Postleitzahl")))
        }
    }

    fn phone(&self) -> Result<String, String> {
        if let Some(Plain::Number(_)) = self.cell("telefon") {
            return Err(self.wrong(
                "telefon",
                "die Nummer ist als Zahl gespeichert und hat ihre führende 0 verloren; bitte als Text eintragen",
            ));
        }
        Ok(self.text("telefon"))
    }

    fn contact(&self) -> Result<(String, String), String> {
        let email = self.text("email");
        if !(email.is_empty() || is_email(&email)) {
            return Err(self.wrong("email", &format!("„{email}“ ist keine E-Mail-Adresse")));
        }
        let web = self.text("web");
        if !(web.is_empty() || is_web_address(&web)) {
            return Err(self.wrong("web", &format!("„{web}“ beginnt nicht mit https://")));
        }
        Ok((email, web))
    }

    fn places(&self, known: &Known) -> Result<(String, Vec<String>), String> {
        let mut municipality = self.text("gemeinde");
        if municipality.is_empty() {
            // Looked up in the register by the address, where it names one municipality.
            let (place, postcode) = (self.text("ort"), self.postcode()?);
            let Some(found) = known.lookup(&place, &postcode) else {
                return Err(self.wrong(
                    "gemeinde",
                    &format!(
                        "leer, und weder Ort „{place}“ noch PLZ „{postcode}“ nennen genau eine Gemeinde des Kreises {}: bitte den Gemeindeschlüssel angeben",
                        known.kreis
                    ),
                ));
            };
            municipality = found.to_string();
        }
        if !known.municipalities.contains(&municipality) {
            return Err(self.wrong(
                "gemeinde",
                &format!(
                    "„{municipality}“ ist keine Gemeinde des Kreises {} (achtstelliger Schlüssel)",
                    known.kreis
                ),
            ));
        }
        let served: Vec<String> = items(&self.text("versorgt")).map(str::to_string).collect();
        if let Some(g) = served
            .iter()
            .find(|g| **g != known.kreis && !known.municipalities.contains(*g))
        {
            return Err(self.wrong(
                "versorgt",
                &format!(
                    "„{g}“ ist weder der Kreis {} noch eine seiner Gemeinden",
                    known.kreis
                ),
            ));
        }
        Ok((municipality, served))
    }

    /// The entry on this row.
    fn service(&self, known: &Known) -> Result<Service, String> {
        let name = self.text("name");
        if name.is_empty() {
            return Err(self.wrong("name", "der Name fehlt"));
        }
        let (municipality, served) = self.places(known)?;
        if known.held.contains(&(name.clone(), municipality.clone())) {
            return Err(self.wrong(
                "name",
                "diesen Eintrag gibt es in dieser Gemeinde schon (im Arbeitsbereich ändern)",
            ));
        }
        let topics = self.coded("themen", Topic::read, TOPICS.iter().map(|t| t.code()))?;
        if topics.is_empty() {
            return Err(self.wrong("themen", "mindestens ein Thema ist nötig"));
        }
        let mut target_groups = self.coded(
            "zielgruppen",
            TargetGroup::read,
            TARGET_GROUPS.iter().map(|t| t.code()),
        )?;
        if target_groups.is_empty() {
            target_groups.push(TargetGroup::Everyone);
        }
        let (email, web) = self.contact()?;
        Ok(Service {
            id: 0,
            kreis: known.kreis.clone(),
            name,
            provider: self.text("traeger"),
            street: self.text("strasse"),
            postcode: self.postcode()?,
            place: self.text("ort"),
            municipality,
            served,
            position: self.position()?,
            topics,
            target_groups,
            opening_hours: self.text("oeffnungszeiten"),
            step_free: self.known("stufenlos")?,
            hearing_loop: self.known("hoerschleife")?,
            easy_language: self.known("leichte_sprache")?,
            languages: self.text("sprachen"),
            phone: self.phone()?,
            email,
            web,
            checked_on: self.date("geprueft_am")?,
            public: self.yes_no("oeffentlich")?,
            example: self.yes_no("beispiel")?,
            source: self.text("quelle"),
        })
    }
}

/// The entries of a table, or every refusal (the first [`MAX_REFUSALS`] and how many more).
pub(crate) fn services(
    name: &str,
    rows: &Rows,
    known: &Known,
) -> Result<Vec<Service>, Vec<String>> {
    let head = head(
        name,
        rows,
        &["name", "gemeinde", "themen"],
        "siehe die Spalten des Exports wegweiser.csv",
    )
    .map_err(|e| vec![e])?;
    if let Some(h) = head
        .iter()
        .find(|h| !h.is_empty() && !COLUMNS.contains(&h.as_str()))
    {
        return Err(vec![format!(
            "{name}, Zeile 1: die Spalte „{h}“ ist unbekannt (bekannt: {})",
            COLUMNS.join(", ")
        )]);
    }
    let mut out: Vec<Service> = Vec::new();
    let mut refusals = Vec::new();
    for (line, cells) in rows.iter().skip(1) {
        if cells.iter().all(|c| c.text().is_empty()) {
            continue;
        }
        let row = Row {
            name,
            line: *line,
            cells,
            head: &head,
        };
        let twice = |s: &Service| {
            out.iter()
                .any(|o| o.name == s.name && o.municipality == s.municipality)
        };
        match row.service(known) {
            Ok(s) if twice(&s) => refusals.push(row.wrong(
                "name",
                "steht mit derselben Gemeinde zweimal in der Tabelle",
            )),
            Ok(s) => out.push(s),
            Err(why) => refusals.push(why),
        }
    }
    if out.is_empty() && refusals.is_empty() {
        refusals.push(format!("{name}: kein Eintrag darin"));
    }
    if refusals.is_empty() {
        return Ok(out);
    }
    if refusals.len() > MAX_REFUSALS {
        let more = refusals.len() - MAX_REFUSALS;
        refusals.truncate(MAX_REFUSALS);
        refusals.push(format!("… und {more} weitere"));
    }
    Err(refusals)
}

/// Reads a file's bytes (CSV or XLSX) into entries checked against `known`, or every refusal.
pub fn read(name: &str, bytes: &[u8], known: &Known) -> Result<Vec<Service>, Vec<String>> {
    let rows = table(name, bytes).map_err(|e| vec![e])?;
    services(name, &rows, known)
}

/// What entries of district `kreis` are checked against, from the database.
pub fn known(db: &sozialmonitor_store::Database, kreis: &str) -> anyhow::Result<Known> {
    use sozialmonitor_store::Services;
    let regions = crate::pages::municipalities_of(db, kreis)?;
    Ok(Known {
        kreis: kreis.to_string(),
        municipalities: regions.iter().map(|r| r.key.clone()).collect(),
        places: regions
            .into_iter()
            .map(|r| (r.key, r.name, r.postcode))
            .collect(),
        held: db
            .services(kreis)?
            .into_iter()
            .map(|s| (s.name, s.municipality))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Known {
        Known {
            kreis: "14522".into(),
            municipalities: ["14522180", "14522080"].map(String::from).into(),
            held: [("Schon da".to_string(), "14522180".to_string())].into(),
            places: vec![
                (
                    "14522180".into(),
                    "Freiberg, Stadt, Universitätsstadt".into(),
                    Some("09599".into()),
                ),
                (
                    "14522080".into(),
                    "Döbeln, Stadt".into(),
                    Some("04720".into()),
                ),
            ],
        }
    }

    #[test]
    fn entries_are_read_and_every_bad_cell_is_named() {
        let good = "name;traeger;ort;plz;gemeinde;breite;laenge;themen;zielgruppen;stufenlos;hoerschleife;oeffentlich;beispiel;geprueft_am\n\
                    Beratung;Träger;Freiberg;09599;14522180;50,9177;13,3425;schuldnerberatung, Suchtberatung;Senior:innen;ja;;ja;ja;2026-03-01\n";
        let s = read("w.csv", good.as_bytes(), &known()).expect("read");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].topics, vec![Topic::Debt, Topic::Addiction]);
        assert_eq!(s[0].target_groups, vec![TargetGroup::Older]);
        assert_eq!((s[0].step_free, s[0].hearing_loop), (Some(true), None));
        assert!(s[0].public && s[0].example);
        assert_eq!(s[0].postcode, "09599");
        assert_eq!(s[0].position.map(|p| p.lat()), Some(50.9177));
        let bad = "name;gemeinde;breite;laenge;themen;geprueft_am;web;email\n\
                   A;15082005;;;sozialberatung;;;\n\
                   B;14522180;13,3;50,9;sozialberatung;;;\n\
                   C;14522180;;;kegeln;;;\n\
                   D;14522180;;;sozialberatung;01.03.2026;;\n\
                   E;14522999;;;sozialberatung;;;\n\
                   F;14522180;;;sozialberatung;;javascript:alert(1);\n\
                   G;14522180;;;sozialberatung;;;a b@c\n\
                   Schon da;14522180;;;sozialberatung;;;\n\
                   H;14522080;;;sozialberatung;;;\n\
                   H;14522080;;;sozialberatung;;;\n";
        let e = read("w.csv", bad.as_bytes(), &known()).expect_err("refused");
        assert_eq!(e.len(), 9, "{e:?}");
        assert!(
            e[0].starts_with("w.csv, Zeile 2, Spalte „gemeinde“"),
            "{e:?}"
        );
        assert!(
            e[1].contains("Zeile 3, Spalte „breite“") && e[1].contains("vertauscht"),
            "{e:?}"
        );
        assert!(e[2].contains("„kegeln“ ist nicht bekannt"), "{e:?}");
        assert!(e[3].contains("Zeile 5, Spalte „geprueft_am“"), "{e:?}");
        assert!(e[4].contains("„14522999“ ist keine Gemeinde"), "{e:?}");
        assert!(e[5].contains("Spalte „web“"), "{e:?}");
        assert!(e[6].contains("Spalte „email“"), "{e:?}");
        assert!(e[7].contains("gibt es in dieser Gemeinde schon"), "{e:?}");
        assert!(
            e[8].contains("Zeile 11") && e[8].contains("zweimal"),
            "{e:?}"
        );
        // An unknown column is refused before any row.
        let e = read(
            "w.csv",
            "name;gemeinde;themen;oefentlich\n".as_bytes(),
            &known(),
        )
        .expect_err("refused");
        assert!(e[0].contains("„oefentlich“ ist unbekannt"), "{e:?}");
    }

    #[test]
    fn a_spreadsheets_own_conversions_are_undone_or_refused() {
        assert_eq!(excel_date(46082.0).as_deref(), Some("2026-03-01"));
        assert_eq!(excel_date(1.5), None);
        let row = |cells: Vec<Plain>, head: &[&str]| -> Result<Service, String> {
            let head: Vec<String> = head.iter().map(|h| h.to_string()).collect();
            Row {
                name: "w.xlsx",
                line: 2,
                cells: &cells,
                head: &head,
            }
            .service(&known())
        };
        let head = ["name", "gemeinde", "themen", "plz", "geprueft_am"];
        let t = |s: &str| Plain::Text(s.into());
        let s = row(
            vec![
                t("A"),
                t("14522180"),
                t("sozialberatung"),
                Plain::Number(9599.0),
                Plain::Number(46082.0),
            ],
            &head,
        )
        .expect("read");
        assert_eq!(
            (s.postcode.as_str(), s.checked_on.as_str()),
            ("09599", "2026-03-01")
        );
        let e = row(
            vec![
                t("A"),
                t("14522180"),
                t("sozialberatung"),
                Plain::Number(3731123.0),
            ],
            &["name", "gemeinde", "themen", "telefon"],
        )
        .expect_err("refused");
        assert!(e.contains("führende 0"), "{e}");
    }

    #[test]
    fn a_missing_municipality_is_looked_up_by_place_or_postcode_when_unique() {
        let k = known();
        let table = "name;ort;plz;gemeinde;themen\n\
                     A;Döbeln;;;sozialberatung\n\
                     B;Freiberg OT Zug;09599;;sozialberatung\n\
                     C;Nirgendwo;01234;;sozialberatung\n";
        let why = read("t.csv", table.as_bytes(), &k).expect_err("C names no municipality");
        assert_eq!(why.len(), 1, "{why:?}");
        assert!(
            why[0].contains("t.csv, Zeile 4, Spalte „gemeinde“"),
            "{why:?}"
        );
        let ok = "name;ort;plz;gemeinde;themen\nA;Döbeln;;;sozialberatung\nB;Freiberg OT Zug;09599;;sozialberatung\n";
        let got = read("t.csv", ok.as_bytes(), &k).expect("both found");
        assert_eq!(got[0].municipality, "14522080");
        assert_eq!(got[1].municipality, "14522180");
    }
}
