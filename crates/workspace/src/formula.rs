//! A catalogue entry's formula checked while it is typed: parsed, with the mistake said in
//! German and its place marked; its measures looked up; and its values previewed for the
//! district and its municipalities under the entry's confidentiality rule, with every cell the
//! public would not see marked. The same check runs on "Prüfen" without JavaScript.

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sozialmonitor_core::catalog::IndicatorEntry;
use sozialmonitor_core::engine::Cell;
use sozialmonitor_core::format::{german_number, unit_decimals};
use sozialmonitor_core::formula::{Expr, FormulaError, parse};
use sozialmonitor_core::indicators::{Preview, YEARS, preview};
use sozialmonitor_store::{Store, Territory};
use sozialmonitor_viz::esc;

use crate::Workspace;
use crate::guard::Form;

/// Municipalities shown in the preview's table (all of them are counted).
const SHOWN_MUNICIPALITIES: usize = 10;
/// Years shown in the preview.
const SHOWN_YEARS: usize = 3;
/// Longest formula checked (a catalogue formula is a line or two).
const MAX_FORMULA_CHARS: usize = 2_000;

/// The formula's error in German with the formula and its place marked.
pub fn error_html(formula: &str, e: &FormulaError) -> String {
    let before: String = formula.chars().take(e.pos).collect();
    let at: String = formula.chars().skip(e.pos).take(1).collect();
    let after: String = formula.chars().skip(e.pos + 1).collect();
    format!(
        r#"<p class="error">Die Formel ist an Stelle {pos} fehlerhaft: {why}.</p>
<p><code class="formula">{before}<mark>{at}</mark>{after}</code></p>"#,
        pos = e.pos + 1,
        why = esc(&e.problem.german()),
        before = esc(&before),
        // An error at the end marks the gap where something is missing.
        at = if at.is_empty() {
            "&nbsp;".to_string()
        } else {
            esc(&at)
        },
        after = esc(&after),
    )
}

/// What the check found, ready to show.
struct Found {
    preview: Preview,
    /// Key and name of the district and its municipalities, in the preview's order.
    names: Vec<(String, String)>,
    /// Measures the formula reads that have no value in the database.
    missing: Vec<String>,
}

/// What is read under the workspace's connection: the formula's measures as published, and
/// the district's regions.
struct Read {
    raw: sozialmonitor_core::frame::Frame,
    names: Vec<(String, String)>,
    missing: Vec<String>,
}

/// Reads the formula's measures and the district's current municipalities (the computation
/// follows without the connection, so other requests are not held up).
fn read(db: &sozialmonitor_store::Database, kreis: &str, expr: &Expr) -> anyhow::Result<Read> {
    let mut measures: Vec<String> = expr.refs().iter().map(|r| r.measure.clone()).collect();
    measures.sort();
    measures.dedup();
    let raw = db.frame(&measures, YEARS, Territory::AsPublished)?;
    let present: std::collections::BTreeSet<&str> =
        raw.series_keys().map(|(m, _)| m.as_str()).collect();
    let missing = measures
        .iter()
        .filter(|m| !present.contains(m.as_str()))
        .cloned()
        .collect();
    let mut names: Vec<(String, String)> = db
        .region(kreis)?
        .into_iter()
        .map(|r| (r.key, r.name))
        .collect();
    names.extend(
        crate::pages::municipalities_of(db, kreis)?
            .into_iter()
            .map(|r| (r.key, r.name)),
    );
    Ok(Read {
        raw,
        names,
        missing,
    })
}

/// Computes the preview from what was read.
fn find(read: Read, kreis: &str, entry: &IndicatorEntry, expr: &Expr) -> anyhow::Result<Found> {
    let keys: Vec<&str> = read.names.iter().map(|(k, _)| k.as_str()).collect();
    let preview =
        preview(read.raw, entry, expr, kreis, &keys, SHOWN_YEARS).map_err(anyhow::Error::msg)?;
    Ok(Found {
        preview,
        names: read.names,
        missing: read.missing,
    })
}

fn cell_html(cell: &sozialmonitor_core::indicators::PreviewCell, unit: &str) -> String {
    let value = match cell.cell {
        Cell::Num(x) => german_number(x, unit_decimals(unit)),
        Cell::Sym(s) => s.as_str().to_string(),
        Cell::Missing => "–".to_string(),
    };
    let star = if cell.incomplete { "*" } else { "" };
    if cell.withheld && cell.cell != Cell::Missing {
        format!(
            r#"{}{star} <span class="tag off">gesperrt</span>"#,
            esc(&value)
        )
    } else {
        format!("{}{star}", esc(&value))
    }
}

fn found_html(entry: &IndicatorEntry, expr: &Expr, f: &Found) -> String {
    let reads: std::collections::BTreeSet<String> = expr
        .refs()
        .iter()
        .map(|r| format!("<code>{}</code>", esc(&r.measure)))
        .collect();
    let reads: Vec<String> = reads.into_iter().collect();
    let mut out = format!(
        r#"<p class="ok">Die Formel ist in Ordnung. Sie liest {}.</p>"#,
        if reads.is_empty() {
            "keine Merkmale".to_string()
        } else {
            reads.join(", ")
        }
    );
    if !f.missing.is_empty() {
        let list: Vec<String> = f
            .missing
            .iter()
            .map(|m| format!("<code>{}</code>", esc(m)))
            .collect();
        out.push_str(&format!(
            r#"<p class="note">Ohne Werte in der Datenbank: {} – noch nicht geliefert oder falsch geschrieben.</p>"#,
            list.join(", ")
        ));
    }
    let p = &f.preview;
    let Some(newest) = p.years.last() else {
        out.push_str(r#"<p class="note">Für den Kreis und seine Gemeinden ergibt die Formel noch keine Werte.</p>"#);
        return out;
    };
    let municipalities = p.rows.len().saturating_sub(1);
    out.push_str(&format!(
        r#"<p>Vorschau {newest}: Werte für {} von {} Gebieten (Kreis und Gemeinden); {} Zellen der Vorschau wären nach der Regel dieses Eintrags öffentlich gesperrt (im Kreis gerechnet; die Veröffentlichung rechnet über alle Gebiete und kann mehr sperren).</p>"#,
        p.with_value(),
        p.rows.len(),
        p.withheld(),
    ));
    let head: String = p
        .years
        .iter()
        .map(|y| format!(r#"<th scope="col" class="num">{y}</th>"#))
        .collect();
    let name_of = |key: &str| {
        f.names
            .iter()
            .find(|(k, _)| k == key)
            .map_or(key.to_string(), |(_, n)| n.clone())
    };
    let rows: String = p
        .rows
        .iter()
        .take(SHOWN_MUNICIPALITIES + 1)
        .map(|(key, cells)| {
            let tds: String = cells
                .iter()
                .map(|c| format!(r#"<td class="num">{}</td>"#, cell_html(c, &entry.unit)))
                .collect();
            format!(
                r#"<tr><th scope="row">{}</th>{tds}</tr>"#,
                esc(&name_of(key))
            )
        })
        .collect();
    let more = municipalities.saturating_sub(SHOWN_MUNICIPALITIES);
    let more = if more > 0 {
        format!(
            r#"<p class="hint">… und {more} weitere Gemeinden (unter „Interne Werte“ nach dem Speichern).</p>"#
        )
    } else {
        String::new()
    };
    out.push_str(&format!(
        r#"<div class="table-wrap"><table><caption>Vorschau der Werte ({unit}), vor der Geheimhaltung berechnet</caption>
<thead><tr><th scope="col">Gebiet</th>{head}</tr></thead><tbody>{rows}</tbody></table></div>{more}"#,
        unit = esc(if entry.unit.is_empty() {
            "ohne Einheit"
        } else {
            &entry.unit
        }),
    ));
    out
}

/// The check of `entry`'s formula as HTML for the form's live region (without the region
/// itself). An entry without a formula has nothing to check.
pub async fn check_html(ws: &Workspace, entry: IndicatorEntry) -> String {
    let formula = entry.formula.trim().to_string();
    if formula.is_empty() {
        return r#"<p class="hint">Ohne Formel ist der Eintrag eine Datenlücke: er beschreibt, was fehlt.</p>"#.to_string();
    }
    if formula.chars().count() > MAX_FORMULA_CHARS {
        return format!(
            r#"<p class="error">Die Formel ist länger als {MAX_FORMULA_CHARS} Zeichen.</p>"#
        );
    }
    let expr = match parse(&formula) {
        Ok(x) => x,
        Err(e) => return error_html(&formula, &e),
    };
    let kreis = ws.inner.settings.kreis.clone();
    let (k2, x2) = (kreis.clone(), expr.clone());
    let (e2, x3) = (entry.clone(), expr.clone());
    let found = match ws.db(move |db| read(db, &k2, &x2)).await {
        Ok(r) => tokio::task::spawn_blocking(move || find(r, &kreis, &e2, &x3))
            .await
            .map_err(anyhow::Error::from)
            .and_then(|f| f),
        Err(e) => Err(e),
    };
    match found {
        Ok(found) => found_html(&entry, &expr, &found),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "a formula preview failed");
            r#"<p class="error">Die Vorschau ließ sich nicht berechnen.</p>"#.to_string()
        }
    }
}

/// `GET /arbeitsbereich/formel-pruefen?formula=…&unit=…&confidentiality=…&public=1`: the check
/// as an HTML fragment, which the form's script puts into its live region while the formula is
/// typed.
pub async fn check(State(ws): State<Workspace>, RawQuery(q): RawQuery) -> Response {
    let form = Form::query(q.as_deref());
    let mut entry = IndicatorEntry::new(
        "vorschau",
        form.get("formula").trim(),
        form.get("unit").trim(),
    );
    entry.confidentiality = form.get("confidentiality").trim().to_string();
    entry.public = form.get("public") == "1";
    // A rule that does not parse is the form's own error; the preview then protects by the
    // default rule rather than failing.
    if sozialmonitor_core::confidential::Rule::parse(&entry.confidentiality).is_err() {
        entry.confidentiality = String::new();
    }
    let html = check_html(&ws, entry).await;
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}
