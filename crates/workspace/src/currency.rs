//! The data-currency view: per indicator and region level, the latest year held against the
//! latest year its publishers have released, and which publication to import to catch up
//! (the page behind `catalog currency`).

use std::collections::BTreeMap;

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use sozialmonitor_core::currency::{Month, Overview, overview};
use sozialmonitor_core::{RegionKey, RegionLevel};
use sozialmonitor_store::Store;
use sozialmonitor_viz::esc;

use crate::guard::Form;
use crate::pages::{internal, page};
use crate::{Signed, Workspace};

/// `GET /arbeitsbereich/aktualitaet?gebiet=KEY&nur=zurueck`.
pub async fn page_of(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    RawQuery(q): RawQuery,
) -> Response {
    let form = Form::query(q.as_deref());
    let only_behind = form.get("nur") == "zurueck";
    let kreis = ws.inner.settings.kreis.clone();
    // The district, its Land, or every region: the choices a district's planners need.
    let mut choices: Vec<String> = Vec::new();
    let mut key = RegionKey::parse(&kreis).ok();
    while let Some(k) = key.filter(|k| k.level() != RegionLevel::Germany) {
        // Saxony's and Saxony-Anhalt's Regierungsbezirke are gone; the Land and the Kreis remain.
        if k.level() != RegionLevel::Regierungsbezirk {
            choices.insert(0, k.as_str().to_string());
        }
        key = k.natural_parent();
    }
    let wanted = form.get("gebiet").to_string();
    let region = choices.iter().find(|k| **k == wanted).cloned();
    let today = Month::from_unix(ws.now());
    let loaded = ws
        .db(move |db| {
            let key = region.as_deref().map(RegionKey::parse).transpose()?;
            let entries = db.indicators()?;
            let mut held = BTreeMap::new();
            for e in &entries {
                held.insert(e.key.clone(), db.latest_years(&e.key, key.as_ref())?);
            }
            let mut names = Vec::new();
            for c in &choices {
                let name = db.region(c)?.map_or_else(|| c.clone(), |r| r.name);
                names.push((c.clone(), name));
            }
            Ok((
                overview(&entries, &held, key.as_ref(), today),
                names,
                region,
            ))
        })
        .await;
    let (view, names, region) = match loaded {
        Ok(x) => x,
        Err(e) => return internal(&e),
    };
    let body = render(&view, &names, region.as_deref(), only_behind);
    page("Aktualität der Daten", &body, Some(&me)).into_response()
}

/// The page's body: the filter form, a summary, the publications to import and the table.
fn render(
    view: &Overview,
    names: &[(String, String)],
    region: Option<&str>,
    only_behind: bool,
) -> String {
    let options: String = std::iter::once((String::new(), "alle Gebiete".to_string()))
        .chain(names.iter().cloned())
        .map(|(k, n)| {
            format!(
                r#"<option value="{}"{}>{}</option>"#,
                esc(&k),
                if region.unwrap_or("") == k {
                    " selected"
                } else {
                    ""
                },
                esc(&n)
            )
        })
        .collect();
    let needed: String = view
        .needed
        .iter()
        .map(|r| {
            format!(
                "<li><strong>{}</strong> ({}): {}</li>",
                esc(&r.title),
                esc(&r.publisher),
                esc(&r.import)
            )
        })
        .collect();
    let needed = if needed.is_empty() {
        "<p>Alle Indikatoren mit bekanntem Veröffentlichungstermin sind aktuell.</p>".to_string()
    } else {
        format!(
            r#"<h2>Nachzuladen</h2><p>Diese Veröffentlichungen bringen die zurückliegenden Indikatoren auf den neuesten Stand:</p><ul>{needed}</ul>"#
        )
    };
    let rows: String = view
        .lines
        .iter()
        .filter(|l| !only_behind || l.is_behind())
        .map(|l| {
            let from: Vec<String> = l
                .from
                .iter()
                .map(|k| {
                    view.needed
                        .iter()
                        .find(|r| &r.key == k)
                        .map_or_else(|| esc(k), |r| esc(&r.title))
                })
                .collect();
            let class = match l.behind {
                Some(0) => "ok",
                Some(_) => "late",
                None => "unknown",
            };
            format!(
                r#"<tr class="{class}"><th scope="row">{}</th><td>{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td><td>{}</td></tr>"#,
                esc(&l.name),
                l.level.label_de(),
                l.held.map_or_else(|| "–".into(), |y| y.to_string()),
                l.released.map_or_else(|| "–".into(), |y| y.to_string()),
                esc(&l.words),
                from.join(", ")
            )
        })
        .collect();
    format!(
        r#"<h1>Aktualität der Daten</h1>
<p class="lead">Stand {month:02}/{year}: {n} Indikator-Ebenen, davon {current} aktuell, {behind} zurück und {unknown} ohne Veröffentlichungstermin im Datenkatalog.</p>
<form method="get" action="/arbeitsbereich/aktualitaet" class="filter">
<label for="gebiet">Gebiet</label> <select id="gebiet" name="gebiet">{options}</select>
<input type="checkbox" id="nur" name="nur" value="zurueck"{checked}> <label for="nur">nur zurückliegende</label>
<button type="submit">Anzeigen</button>
</form>
{needed}
<div class="table-wrap"><table><caption>Neuestes Jahr je Indikator und Ebene</caption>
<thead><tr><th scope="col">Indikator</th><th scope="col">Ebene</th><th scope="col" class="num">vorhanden bis</th><th scope="col" class="num">veröffentlicht bis</th><th scope="col">Stand</th><th scope="col">nachladen</th></tr></thead>
<tbody>{rows}</tbody></table></div>
<p>Das veröffentlichte Jahr folgt aus dem Veröffentlichungsrhythmus und dem zeitlichen Abstand, die der Datenkatalog je Quelle nennt (<code>[[release]]</code>).</p>"#,
        month = view.today.month,
        year = view.today.year,
        n = view.lines.len(),
        current = view.current(),
        behind = view.behind(),
        unknown = view.unknown(),
        checked = if only_behind { " checked" } else { "" },
    )
}
