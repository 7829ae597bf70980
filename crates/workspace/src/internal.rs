//! Internal values for the planning team: an indicator's values for the district and its
//! municipalities as computed, before confidentiality, with every cell the public does not see
//! marked. Only accounts that may read internal values reach it, and nothing here is cached.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use sozialmonitor_core::engine::Cell;
use sozialmonitor_core::format::{german_number, unit_decimals};
use sozialmonitor_store::Store;
use sozialmonitor_viz::esc;

use crate::guard::Form;
use crate::pages::{internal, page};
use crate::{Signed, Workspace};

fn cell_text(cell: &Cell, unit: &str) -> String {
    match cell {
        Cell::Num(x) => german_number(*x, unit_decimals(unit)),
        Cell::Sym(s) => s.as_str().to_string(),
        Cell::Missing => "–".to_string(),
    }
}

/// `GET /arbeitsbereich/werte?indikator=KEY&jahr=YYYY`.
pub async fn values(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    RawQuery(q): RawQuery,
) -> Response {
    let form = Form::query(q.as_deref());
    let wanted = form.get("indikator").to_string();
    let year: Option<u16> = form.get("jahr").parse().ok();
    let kreis = ws.inner.settings.kreis.clone();
    let loaded = ws
        .db(move |db| {
            let entries = db.indicators()?;
            let key = if entries.iter().any(|e| e.key == wanted) {
                wanted
            } else {
                entries.first().map(|e| e.key.clone()).unwrap_or_default()
            };
            let rows = db.results(&key)?.unwrap_or_default();
            let mut regions = db.region(&kreis)?.into_iter().collect::<Vec<_>>();
            // Today's regions: dissolved municipalities have no row of their own any more.
            regions.extend(
                db.children(&kreis, None)?
                    .into_iter()
                    .filter(|r| r.valid_to.is_none()),
            );
            Ok((entries, key, rows, regions))
        })
        .await;
    let (entries, key, rows, regions) = match loaded {
        Ok(x) => x,
        Err(e) => return internal(&e),
    };
    let Some(entry) = entries.iter().find(|e| e.key == key) else {
        let body = "<h1>Interne Werte</h1><p>Der Datenkatalog ist leer.</p>";
        return page("Interne Werte", body, Some(&me)).into_response();
    };
    let mut years: Vec<u16> = rows.iter().map(|r| r.year).collect();
    years.sort_unstable();
    years.dedup();
    let year = year
        .filter(|y| years.contains(y))
        .or_else(|| years.last().copied());
    let options: String = entries
        .iter()
        .map(|e| {
            format!(
                r#"<option value="{}"{}>{}</option>"#,
                esc(&e.key),
                if e.key == key { " selected" } else { "" },
                esc(&e.name)
            )
        })
        .collect();
    let year_options: String = years
        .iter()
        .rev()
        .map(|y| {
            format!(
                r#"<option{}>{y}</option>"#,
                if Some(*y) == year { " selected" } else { "" }
            )
        })
        .collect();
    let mut withheld = 0;
    let table_rows: String = regions
        .iter()
        .filter_map(|r| {
            let row = rows
                .iter()
                .find(|x| Some(x.year) == year && x.region == r.key)?;
            withheld += usize::from(row.suppressed);
            Some(format!(
                r#"<tr><th scope="row">{name} <span class="muted">{key}</span></th><td class="num">{value}{inc}</td><td>{public}</td></tr>"#,
                name = esc(&r.name),
                key = esc(&r.key),
                value = esc(&cell_text(&row.cell, &entry.unit)),
                inc = if row.incomplete { "*" } else { "" },
                public = if row.suppressed {
                    r#"<span class="tag off">gesperrt</span> öffentlich als „.“"#.to_string()
                } else if row.equivalent {
                    "veröffentlicht (Wert der amtlichen Entsprechung)".to_string()
                } else {
                    "veröffentlicht".to_string()
                },
            ))
        })
        .collect();
    let body = format!(
        r#"<h1>Interne Werte</h1>
<p class="note">Diese Werte sind vor der Geheimhaltung berechnet. Gesperrte Zellen dürfen nicht weitergegeben werden; öffentlich erscheinen sie als „.“.</p>
<form class="controls" method="get" action="/arbeitsbereich/werte">
<label for="indikator">Indikator<select id="indikator" name="indikator">{options}</select></label>
<label for="jahr">Jahr<select id="jahr" name="jahr">{year_options}</select></label>
<button type="submit">Anzeigen</button>
</form>
<div class="table-wrap"><table>
<caption>{name} ({unit}), {year}: {withheld} von {n} Zellen gesperrt</caption>
<thead><tr><th scope="col">Gebiet</th><th scope="col" class="num">Wert (intern)</th><th scope="col">Öffentlich</th></tr></thead>
<tbody>{table_rows}</tbody></table></div>
<p class="hint">„*“: Summe unvollständig, nicht alle Teilgebiete haben Werte.</p>"#,
        name = esc(&entry.name),
        unit = esc(&entry.unit),
        year = year.map_or_else(|| "–".to_string(), |y| y.to_string()),
        n = regions.len(),
    );
    page("Interne Werte", &body, Some(&me)).into_response()
}

/// `GET /arbeitsbereich/revisionen?merkmal=CODE&gebiet=KEY`: every value a region ever had for a
/// measure, with the import (file) that brought it and the one that replaced it.
pub async fn revisions(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    RawQuery(q): RawQuery,
) -> Response {
    use std::collections::BTreeMap;
    let form = Form::query(q.as_deref());
    let measure = form.get("merkmal").trim().to_string();
    let region = form.get("gebiet").trim().to_string();
    let (m, r) = (measure.clone(), region.clone());
    let loaded = ws
        .db(move |db| {
            let measures = db.measures()?;
            let rows = if m.is_empty() || r.is_empty() {
                Vec::new()
            } else {
                db.query(&sozialmonitor_store::ObservationQuery {
                    measures: vec![m],
                    regions: vec![r],
                    history: true,
                    limit: Some(5_000),
                    ..Default::default()
                })?
            };
            let files: BTreeMap<i64, String> = db
                .imports()?
                .into_iter()
                .map(|b| (b.id, b.file_name))
                .collect();
            Ok((measures, rows, files))
        })
        .await;
    let (measures, rows, files) = match loaded {
        Ok(x) => x,
        Err(e) => return internal(&e),
    };
    let options: String = measures
        .iter()
        .map(|x| {
            format!(
                r#"<option value="{}"{}>{} ({})</option>"#,
                esc(&x.code),
                if x.code == measure { " selected" } else { "" },
                esc(&x.label),
                esc(&x.code)
            )
        })
        .collect();
    let source = |id: i64| {
        format!(
            "Nr. {id} {}",
            files.get(&id).map(|f| esc(f)).unwrap_or_default()
        )
    };
    let body_rows: String = rows
        .iter()
        .map(|r| {
            format!(
                r#"<tr><td>{period}</td><td>{breakdown}</td><td class="num">{value}</td><td>{from}</td><td>{until}</td></tr>"#,
                period = esc(&r.period.german()),
                breakdown = esc(if r.breakdown_label.is_empty() { "insgesamt" } else { &r.breakdown_label }),
                value = esc(&r.value.render()),
                from = source(r.import_id),
                until = r
                    .superseded_by
                    .map_or_else(|| "gilt".to_string(), |b| format!("ersetzt durch {}", source(b))),
            )
        })
        .collect();
    let table = if measure.is_empty() || region.is_empty() {
        String::new()
    } else if rows.is_empty() {
        r#"<p>Für dieses Merkmal und Gebiet gibt es keine Werte.</p>"#.to_string()
    } else {
        format!(
            r#"<div class="table-wrap"><table><caption>{n} Werte von {name} ({key}), ältere Fassungen zuerst</caption>
<thead><tr><th scope="col">Zeit</th><th scope="col">Gliederung</th><th scope="col" class="num">Wert</th><th scope="col">Quelle (Import)</th><th scope="col">Stand</th></tr></thead>
<tbody>{body_rows}</tbody></table></div>"#,
            n = rows.len(),
            name = esc(&rows[0].region_name),
            key = esc(&rows[0].region_key),
        )
    };
    let body = format!(
        r#"<h1>Revisionen eines Werts</h1>
<p class="lead">Jeder Wert, den ein Gebiet für ein Merkmal je hatte, mit der Datei, aus der er kam, und der, die ihn ersetzt hat.</p>
<form class="controls" method="get" action="/arbeitsbereich/revisionen">
<label for="merkmal">Merkmal<select id="merkmal" name="merkmal">{options}</select></label>
<label for="gebiet">Gebiet (Schlüssel)<input id="gebiet" name="gebiet" value="{region}" placeholder="z. B. 14522" size="12"></label>
<button type="submit">Anzeigen</button>
</form>
{table}"#,
        region = esc(&region),
    );
    page("Revisionen", &body, Some(&me)).into_response()
}
