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
    let form = q
        .as_deref()
        .map(|q| Form::parse(q.as_bytes()))
        .unwrap_or_default();
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
            regions.extend(db.children(&kreis, None)?);
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
