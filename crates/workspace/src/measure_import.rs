//! Measures with their aims read from a table, CSV or XLSX, with the columns of the workspace's
//! own export (`massnahmen.csv`): one row per aim, the rows of one measure under the same title.
//! So a planner fills in a spreadsheet, or carries last cycle's measures into the new one. The
//! computed and descriptive columns (`zyklus`, `massnahme_id`, `handlungsfeld`, `fortschritt`)
//! are ignored, and the `'` the CSV export puts before a cell a spreadsheet would run as a
//! formula is taken off again. The whole table is checked first, each refusal naming the file, the line and the
//! column; then the measures go into the cycle in one transaction.

use axum::Extension;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sozialmonitor_core::planning::STATUSES;
use sozialmonitor_store::Database;

use crate::guard::CsrfInBody;
use crate::pages::{csrf_field, internal, refusal};
use crate::plan_file::{AimIn, MeasureIn, Refusal, add_measures};
use crate::table_file::{Row, Rows, head, table, uploaded_table};
use crate::{Signed, Workspace};

/// The columns that describe a measure: equal on every row of one measure.
const MEASURE_COLUMNS: [&str; 11] = [
    "text",
    "stand",
    "verantwortlich",
    "partner",
    "von",
    "bis",
    "budget_euro",
    "zielgruppen",
    "gemeinden",
    "empfehlung",
    "oeffentlich",
];

/// The columns of an aim; all empty on the row of a measure without one.
const AIM_COLUMNS: [&str; 7] = [
    "indikator",
    "gebiet",
    "ausgangswert",
    "ausgangsjahr",
    "zielwert",
    "zieljahr",
    "richtung",
];

impl Row<'_> {
    fn required_number(&self, column: &str) -> Result<f64, String> {
        self.number(column)?
            .ok_or_else(|| self.wrong(column, "fehlt, obwohl ein Indikator angegeben ist"))
    }

    fn year(&self, column: &str) -> Result<u16, String> {
        let y = self.required_number(column)?;
        if y.fract() == 0.0 && (1900.0..=2100.0).contains(&y) {
            Ok(y as u16)
        } else {
            Err(self.wrong(column, &format!("{y} ist kein Jahr")))
        }
    }

    /// The aim on this row, if it names an indicator.
    fn aim(&self) -> Result<Option<AimIn>, String> {
        if self.text("indikator").is_empty() {
            if let Some(c) = AIM_COLUMNS.iter().find(|c| !self.text(c).is_empty()) {
                return Err(self.wrong(c, "ist ausgefüllt, aber kein Indikator angegeben"));
            }
            return Ok(None);
        }
        Ok(Some(AimIn {
            indikator: self.text("indikator"),
            gebiet: self.text("gebiet"),
            ausgangswert: self.required_number("ausgangswert")?,
            ausgangsjahr: self.year("ausgangsjahr")?,
            zielwert: self.required_number("zielwert")?,
            zieljahr: self.year("zieljahr")?,
            richtung: self.text("richtung"),
        }))
    }

    /// The measure this row describes, without aims.
    fn measure(&self) -> Result<MeasureIn, String> {
        let empfehlung = self.text("empfehlung");
        Ok(MeasureIn {
            titel: self.text("massnahme"),
            text: self.text("text"),
            empfehlung: (!empfehlung.is_empty()).then_some(empfehlung),
            verantwortlich: self.text("verantwortlich"),
            partner: self.text("partner"),
            von: self.text("von"),
            bis: self.text("bis"),
            budget: self.number("budget_euro")?,
            stand: status_code(&self.text("stand")),
            zielgruppen: self.text("zielgruppen"),
            gemeinden: self
                .text("gemeinden")
                .split([',', ' ', ';'])
                .filter(|g| !g.is_empty())
                .map(str::to_string)
                .collect(),
            notizen: String::new(),
            oeffentlich: self.yes_no("oeffentlich")?,
            quelle: format!("Tabelle {}", self.name),
            beispiel: false,
            ziel: Vec::new(),
        })
    }
}

/// A status as the export writes it (its German label, `läuft`) or as its code (`laufend`).
fn status_code(s: &str) -> String {
    STATUSES
        .into_iter()
        .find(|x| x.label_de() == s)
        .map_or(s.to_string(), |x| x.code().to_string())
}

/// The measures of a table, in the order of their first row, each with the line that describes
/// it (`liste.csv, Zeile 2`); or why not, naming the place.
pub(crate) fn measures(name: &str, rows: &Rows) -> Result<Vec<(MeasureIn, String)>, String> {
    let head = head(
        name,
        rows,
        &["massnahme", "stand"],
        "die Spalten sind die des Exports massnahmen.csv",
    )?;
    // Each measure with the row that described it first.
    let mut out: Vec<(MeasureIn, usize, Vec<String>)> = Vec::new();
    for (line, cells) in &rows[1..] {
        let row = Row {
            name,
            line: *line,
            cells,
            head: &head,
        };
        if cells.iter().all(|c| c.text().is_empty()) {
            continue;
        }
        let title = row.text("massnahme");
        if title.is_empty() {
            return Err(row.wrong("massnahme", "der Titel der Maßnahme fehlt"));
        }
        let mut described: Vec<String> = MEASURE_COLUMNS.iter().map(|c| row.text(c)).collect();
        described.push(row.text("zyklus"));
        let aim = row.aim()?;
        // A measure is known by its cycle and title: an export of several cycles holds the
        // same title once per cycle, and those rows must not merge into one measure.
        let cycle = row.text("zyklus");
        match out
            .iter_mut()
            .find(|(m, _, seen)| m.titel == title && seen[MEASURE_COLUMNS.len()] == cycle)
        {
            Some((m, first, seen)) => {
                // A second row of a measure adds an aim; what it says of the measure must be
                // what the first row said, or one of them would be silently dropped.
                if let Some(i) = (0..MEASURE_COLUMNS.len()).find(|&i| seen[i] != described[i]) {
                    return Err(row.wrong(
                        MEASURE_COLUMNS[i],
                        &format!("weicht von Zeile {first} derselben Maßnahme ab"),
                    ));
                }
                m.ziel.extend(aim);
            }
            None => {
                let mut m = row.measure()?;
                m.ziel.extend(aim);
                out.push((m, *line, described));
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(m, line, _)| (m, format!("{name}, Zeile {line}")))
        .collect())
}

/// The form that reads a table of measures into cycle `cycle`.
pub fn form(me: &Signed, cycle: i64) -> String {
    format!(
        r#"<details><summary>Maßnahmen aus einer Tabelle einlesen</summary>
<form class="stack" method="post" enctype="multipart/form-data" action="/arbeitsbereich/planung/zyklus/{cycle}/massnahmen">{csrf}
<p class="hint" id="mi-hinweis">CSV oder Excel mit den Spalten des Exports oben (eine Zeile je Ziel; Zeilen derselben Maßnahme unter demselben Titel). So lassen sich auch die Maßnahmen eines früheren Zyklus übernehmen. Die Tabelle wird ganz geprüft, bevor etwas gespeichert wird.</p>
<label for="mi-datei">Tabelle (CSV, XLSX)<input id="mi-datei" type="file" name="dateien" accept=".csv,.xlsx,.xls,text/csv" required aria-describedby="mi-hinweis"></label>
<p><button type="submit">Maßnahmen einlesen</button></p></form></details>"#,
        csrf = csrf_field(me),
    )
}

/// `POST /arbeitsbereich/planung/zyklus/{id}/massnahmen`: reads the uploaded table into the
/// cycle.
pub async fn upload(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    csrf: Option<Extension<CsrfInBody>>,
    Path(cycle): Path<i64>,
    mut mp: Multipart,
) -> Response {
    let refused = |status, why: &str| refusal(status, "Nicht eingelesen", why);
    let (name, bytes) = match uploaded_table(&ws, csrf.map(|e| e.0), &mut mp).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    // Read outside the workspace's one connection: a large sheet must not hold up sign-ins.
    let read = tokio::task::spawn_blocking(move || {
        table(&name, &bytes).and_then(|rows| measures(&name, &rows))
    })
    .await;
    let ms = match read {
        Ok(Ok(ms)) => ms,
        Ok(Err(why)) => return refused(StatusCode::UNPROCESSABLE_ENTITY, &why),
        Err(e) => return internal(&e.into()),
    };
    let kreis = ws.inner.settings.kreis.clone();
    let (now, actor) = (ws.now(), me.account.login.clone());
    let done = ws
        .db(move |db: &mut Database| Ok(add_measures(db, (&kreis, cycle), ms, (&actor, now))))
        .await;
    match done {
        Ok(Ok(n)) => Redirect::to(&format!(
            "/arbeitsbereich/planung?zyklus={cycle}&eingelesen={n}#massnahmen"
        ))
        .into_response(),
        Ok(Err(Refusal::Input(why) | Refusal::Exists(why))) => {
            refused(StatusCode::UNPROCESSABLE_ENTITY, &why)
        }
        Ok(Err(Refusal::NoCycle)) => refused(
            StatusCode::NOT_FOUND,
            "Diesen Planungszyklus gibt es nicht.",
        ),
        Ok(Err(Refusal::Failed(e))) | Err(e) => internal(&e),
    }
}
