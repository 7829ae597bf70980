//! Entries of the directory of social services (Wegweiser) read from a table, CSV or XLSX, with
//! German column names (`name`, `traeger`, `strasse`, `plz`, `ort`, `gemeinde`, `versorgt`,
//! `breite`, `laenge`, `themen`, `zielgruppen`, `oeffnungszeiten`, `stufenlos`,
//! `hoerschleife`, `leichte_sprache`, `sprachen`, `telefon`, `email`, `web`, `geprueft_am`,
//! `oeffentlich`, `beispiel`, `quelle`). The whole table is checked; every refusal names the
//! file, the line and the column, and nothing is saved while one remains.

use sozialmonitor_core::services::{Position, TARGET_GROUPS, TOPICS, TargetGroup, Topic};
use sozialmonitor_store::Service;

use crate::table_file::{Row, Rows, head};

/// The most refusals reported at once: enough to fix a file in one pass, not a flood.
const MAX_REFUSALS: usize = 20;

/// A topic or target group as written: its code or its German label, any case.
fn coded<T: Copy>(
    s: &str,
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Option<T> {
    let s = s.trim().to_lowercase();
    all.iter()
        .copied()
        .find(|t| code(*t) == s || label(*t).to_lowercase() == s)
}

/// A list cell split at `,` or `;`.
fn items(s: &str) -> impl Iterator<Item = &str> {
    s.split([',', ';']).map(str::trim).filter(|x| !x.is_empty())
}

/// An 8-digit municipality key of district `kreis`.
fn in_district(kreis: &str, key: &str) -> bool {
    key.len() == 8 && key.starts_with(kreis) && key.bytes().all(|b| b.is_ascii_digit())
}

impl Row<'_> {
    fn topics(&self) -> Result<Vec<Topic>, String> {
        let mut out = Vec::new();
        for t in items(&self.text("themen")) {
            let topic = coded(t, &TOPICS, Topic::code, Topic::label_de).ok_or_else(|| {
                let known: Vec<&str> = TOPICS.iter().map(|t| t.code()).collect();
                self.wrong(
                    "themen",
                    &format!("„{t}“ ist kein Thema ({})", known.join(", ")),
                )
            })?;
            if !out.contains(&topic) {
                out.push(topic);
            }
        }
        if out.is_empty() {
            return Err(self.wrong("themen", "mindestens ein Thema ist nötig"));
        }
        Ok(out)
    }

    fn groups(&self) -> Result<Vec<TargetGroup>, String> {
        let mut out = Vec::new();
        for g in items(&self.text("zielgruppen")) {
            let group = coded(g, &TARGET_GROUPS, TargetGroup::code, TargetGroup::label_de)
                .ok_or_else(|| {
                    let known: Vec<&str> = TARGET_GROUPS.iter().map(|t| t.code()).collect();
                    self.wrong(
                        "zielgruppen",
                        &format!("„{g}“ ist keine Zielgruppe ({})", known.join(", ")),
                    )
                })?;
            if !out.contains(&group) {
                out.push(group);
            }
        }
        Ok(if out.is_empty() {
            vec![TargetGroup::Everyone]
        } else {
            out
        })
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

    fn date(&self, column: &str) -> Result<String, String> {
        let d = self.text(column);
        let ok = d.is_empty() || (d.len() == 10 && sozialmonitor_core::planning::is_plan_date(&d));
        if ok {
            Ok(d)
        } else {
            Err(self.wrong(column, &format!("„{d}“ ist kein Datum wie 2026-04-22")))
        }
    }

    /// The entry on this row of district `kreis`.
    fn service(&self, kreis: &str) -> Result<Service, String> {
        let name = self.text("name");
        if name.is_empty() {
            return Err(self.wrong("name", "der Name fehlt"));
        }
        let municipality = self.text("gemeinde");
        if !in_district(kreis, &municipality) {
            return Err(self.wrong(
                "gemeinde",
                &format!("„{municipality}“ ist keine Gemeinde des Kreises {kreis} (achtstelliger Schlüssel)"),
            ));
        }
        let served: Vec<String> = items(&self.text("versorgt")).map(str::to_string).collect();
        if let Some(g) = served
            .iter()
            .find(|g| *g != kreis && !in_district(kreis, g))
        {
            return Err(self.wrong(
                "versorgt",
                &format!("„{g}“ ist weder der Kreis {kreis} noch eine seiner Gemeinden"),
            ));
        }
        Ok(Service {
            id: 0,
            kreis: kreis.to_string(),
            name,
            provider: self.text("traeger"),
            street: self.text("strasse"),
            postcode: self.text("plz"),
            place: self.text("ort"),
            municipality,
            served,
            position: self.position()?,
            topics: self.topics()?,
            target_groups: self.groups()?,
            opening_hours: self.text("oeffnungszeiten"),
            step_free: self.yes_no("stufenlos")?,
            hearing_loop: self.yes_no("hoerschleife")?,
            easy_language: self.yes_no("leichte_sprache")?,
            languages: self.text("sprachen"),
            phone: self.text("telefon"),
            email: self.text("email"),
            web: self.text("web"),
            checked_on: self.date("geprueft_am")?,
            public: self.yes_no("oeffentlich")?,
            example: self.yes_no("beispiel")?,
            source: self.text("quelle"),
        })
    }
}

/// The entries of a table for district `kreis`, or every refusal (up to [`MAX_REFUSALS`]).
pub(crate) fn services(name: &str, rows: &Rows, kreis: &str) -> Result<Vec<Service>, Vec<String>> {
    let head = head(
        name,
        rows,
        &["name", "gemeinde", "themen"],
        "siehe die Vorlage im Handbuch",
    )
    .map_err(|e| vec![e])?;
    let mut out = Vec::new();
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
        match row.service(kreis) {
            Ok(s) => out.push(s),
            Err(why) if refusals.len() < MAX_REFUSALS => refusals.push(why),
            Err(_) => {}
        }
    }
    if out.is_empty() && refusals.is_empty() {
        refusals.push(format!("{name}: kein Eintrag darin"));
    }
    if refusals.is_empty() {
        Ok(out)
    } else {
        Err(refusals)
    }
}

/// Reads a file's bytes (CSV or XLSX) into the entries of district `kreis`, or every refusal.
pub fn read(name: &str, bytes: &[u8], kreis: &str) -> Result<Vec<Service>, Vec<String>> {
    let rows = crate::table_file::table(name, bytes).map_err(|e| vec![e])?;
    services(name, &rows, kreis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table_file::table;

    #[test]
    fn entries_are_read_and_every_bad_cell_is_named() {
        let good = "name;traeger;ort;gemeinde;breite;laenge;themen;zielgruppen;stufenlos;oeffentlich;beispiel;geprueft_am\n\
                    Beratung;Träger;Freiberg;14522180;50,9177;13,3425;schuldnerberatung, Suchtberatung;Senior:innen;ja;ja;ja;2026-03-01\n";
        let rows = table("w.csv", good.as_bytes()).expect("rows");
        let s = services("w.csv", &rows, "14522").expect("read");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].topics, vec![Topic::Debt, Topic::Addiction]);
        assert_eq!(s[0].target_groups, vec![TargetGroup::Older]);
        assert!(s[0].step_free && s[0].public && s[0].example);
        assert_eq!(s[0].position.map(|p| p.lat()), Some(50.9177));
        let bad = "name;gemeinde;breite;laenge;themen;geprueft_am\n\
                   A;15082005;;;sozialberatung;\n\
                   B;14522180;13,3;50,9;sozialberatung;\n\
                   C;14522180;;;kegeln;\n\
                   D;14522180;;;sozialberatung;01.03.2026\n";
        let rows = table("w.csv", bad.as_bytes()).expect("rows");
        let e = services("w.csv", &rows, "14522").expect_err("refused");
        assert_eq!(e.len(), 4, "{e:?}");
        assert!(
            e[0].starts_with("w.csv, Zeile 2, Spalte „gemeinde“"),
            "{e:?}"
        );
        assert!(
            e[1].contains("Zeile 3, Spalte „breite“") && e[1].contains("vertauscht"),
            "{e:?}"
        );
        assert!(e[2].contains("„kegeln“ ist kein Thema"), "{e:?}");
        assert!(e[3].contains("Zeile 5, Spalte „geprueft_am“"), "{e:?}");
    }
}
