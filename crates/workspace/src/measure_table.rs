//! Every measure of the district's cycles as a table, one row per aim (a measure without one
//! has one row), with the aim's state on the internal values: CSV for German spreadsheets and
//! XLSX with numbers as numbers.

use axum::extract::State;
use axum::response::Response;
use sozialmonitor_core::format::{german_number, unit_decimals};
use sozialmonitor_store::{Cycle, Database, PlanMeasure, Planning, Recommendation, Store};
use sozialmonitor_web::downloads::neutralise;

use crate::Workspace;
use crate::pages::{download, internal};
use crate::planning::{Judged, judge};

/// The columns, in German as the planners read them in their spreadsheet.
const COLUMNS: [&str; 22] = [
    "zyklus",
    "massnahme_id",
    "massnahme",
    "stand",
    "verantwortlich",
    "partner",
    "von",
    "bis",
    "budget_euro",
    "zielgruppen",
    "gemeinden",
    "empfehlung",
    "handlungsfeld",
    "oeffentlich",
    "indikator",
    "gebiet",
    "ausgangswert",
    "ausgangsjahr",
    "zielwert",
    "zieljahr",
    "richtung",
    "fortschritt",
];

/// One cell: text, or a number with the places it is shown with.
enum Cell {
    Text(String),
    Number(f64, usize),
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// As the CSV writes it: German numbers, text a spreadsheet would run as a formula defused.
    /// A number is shown with its places unless that rounds it: the table is read back by the
    /// measure import, which must get the very value.
    fn german(&self) -> String {
        match self {
            Cell::Text(t) => neutralise(t).into_owned(),
            Cell::Number(x, d) => {
                let shown = german_number(*x, *d);
                let exact = (0..=12).find(|p| {
                    let s = german_number(*x, *p).replace('.', "").replace(',', ".");
                    s.parse::<f64>() == Ok(*x)
                });
                match exact {
                    Some(p) if p > *d => german_number(*x, p),
                    _ => shown,
                }
            }
        }
    }
}

/// The cells of one measure's aim (or of a measure without aims, `None`).
fn row(c: &Cycle, m: &PlanMeasure, recs: &[Recommendation], j: Option<&Judged>) -> Vec<Cell> {
    let rec = m
        .recommendation_id
        .and_then(|id| recs.iter().find(|r| r.id == id));
    let year = |y: i64| Cell::Number(y as f64, 0);
    let mut row = vec![
        Cell::text(&c.title),
        Cell::Number(m.id as f64, 0),
        Cell::text(&m.title),
        Cell::text(m.status.label_de()),
        Cell::text(&m.owner),
        Cell::text(&m.partners),
        Cell::text(&m.period_from),
        Cell::text(&m.period_to),
        m.budget
            .map_or_else(|| Cell::text(""), |b| Cell::Number(b, 2)),
        Cell::text(&m.target_groups),
        Cell::text(m.municipalities.join(", ")),
        Cell::text(rec.map(|r| r.title.as_str()).unwrap_or_default()),
        Cell::text(rec.map(|r| r.action_field.as_str()).unwrap_or_default()),
        Cell::text(if m.public { "ja" } else { "nein" }),
    ];
    row.extend(match j {
        Some(j) => {
            let d = unit_decimals(&j.unit);
            vec![
                Cell::text(&j.aim.indicator),
                Cell::text(&j.aim.region_key),
                Cell::Number(j.aim.baseline, d),
                year(j.aim.baseline_year),
                Cell::Number(j.aim.target, d),
                year(j.aim.target_year),
                Cell::text(j.aim.direction.label_de()),
                Cell::text(
                    j.evaluation
                        .map(|e| e.progress.label_de())
                        .unwrap_or_default(),
                ),
            ]
        }
        None => (0..8).map(|_| Cell::text("")).collect(),
    });
    row
}

/// Every measure of the district's cycles, row by row.
fn rows(db: &Database, kreis: &str) -> anyhow::Result<Vec<Vec<Cell>>> {
    let entries = db.indicators()?;
    let mut rows = Vec::new();
    for c in db.cycles(kreis)? {
        let recs = db.recommendations(c.id)?;
        for m in db.plan_measures(c.id)? {
            let judged = judge(db, &entries, db.plan_aims(m.id)?)?;
            if judged.is_empty() {
                rows.push(row(&c, &m, &recs, None));
            }
            for j in &judged {
                rows.push(row(&c, &m, &recs, Some(j)));
            }
        }
    }
    Ok(rows)
}

fn csv(rows: &[Vec<Cell>]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(vec![0xEF, 0xBB, 0xBF]);
    w.write_record(COLUMNS)?;
    for r in rows {
        w.write_record(r.iter().map(Cell::german))?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

fn xlsx(rows: &[Vec<Cell>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Maßnahmen")?;
    let bold = Format::new().set_bold();
    for (c, h) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let formats = [
        Format::new().set_num_format("0"),
        Format::new().set_num_format("#,##0.0"),
        Format::new().set_num_format("#,##0.00"),
    ];
    // Text goes in as string cells, which a spreadsheet never evaluates: nothing to defuse.
    for (i, r) in rows.iter().enumerate() {
        for (c, cell) in r.iter().enumerate() {
            let (row, col) = (i as u32 + 1, c as u16);
            match cell {
                Cell::Text(t) if t.is_empty() => {}
                Cell::Text(t) => {
                    ws.write_string(row, col, t)?;
                }
                Cell::Number(x, d) => {
                    ws.write_number_with_format(row, col, *x, &formats[(*d).min(2)])?;
                }
            }
        }
    }
    ws.set_column_width(2, 36)?;
    wb.save_to_buffer()
}

async fn loaded(ws: &Workspace) -> anyhow::Result<Vec<Vec<Cell>>> {
    let kreis = ws.inner.settings.kreis.clone();
    ws.db(move |db| rows(db, &kreis)).await
}

/// `GET /arbeitsbereich/planung/massnahmen.csv`: UTF-8 with BOM, `;`, decimal commas.
pub async fn export_csv(State(ws): State<Workspace>) -> Response {
    match loaded(&ws).await.and_then(|r| csv(&r)) {
        Ok(bytes) => download(
            "text/csv; charset=utf-8",
            r#"attachment; filename="massnahmen.csv""#,
            bytes,
        ),
        Err(e) => internal(&e),
    }
}

/// `GET /arbeitsbereich/planung/massnahmen.xlsx`: the same as a workbook, numbers as numbers.
pub async fn export_xlsx(State(ws): State<Workspace>) -> Response {
    let made = loaded(&ws)
        .await
        .and_then(|r| xlsx(&r).map_err(anyhow::Error::from));
    match made {
        Ok(bytes) => download(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            r#"attachment; filename="massnahmen.xlsx""#,
            bytes,
        ),
        Err(e) => internal(&e),
    }
}
