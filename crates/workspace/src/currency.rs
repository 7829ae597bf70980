//! The data-currency view: per indicator and region level, the latest year held against the
//! latest year its publishers have released, and which publication to import to catch up
//! (the page behind `catalog currency`).

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use sozialmonitor_core::currency::{Line, Month, Overview};
use sozialmonitor_core::{RegionKey, RegionLevel};
use sozialmonitor_store::Store;
use sozialmonitor_store::currency::currency_overview;
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
    let choices = choices(&ws.inner.settings.kreis);
    // Only the district or its Land: any other key is ignored, not read.
    let region = choices.iter().find(|k| **k == form.get("gebiet")).cloned();
    let today = Month::from_unix(ws.now());
    let loaded = ws
        .db(move |db| {
            let key = region.as_deref().map(RegionKey::parse).transpose()?;
            let view = currency_overview(db, key.as_ref(), today)?;
            let mut names = Vec::new();
            for c in &choices {
                let name = db.region(c)?.map_or_else(|| c.clone(), |r| r.name);
                names.push((c.clone(), name));
            }
            Ok((view, names, region))
        })
        .await;
    let (view, names, region) = match loaded {
        Ok(x) => x,
        Err(e) => return internal(&e),
    };
    let body = render(&view, &names, region.as_deref(), only_behind);
    page("Aktualität der Daten", &body, Some(&me)).into_response()
}

/// The district's Land and the district: the regions a district's planners look at.
fn choices(kreis: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut key = RegionKey::parse(kreis).ok();
    while let Some(k) = key.filter(|k| k.level() != RegionLevel::Germany) {
        // Saxony's and Saxony-Anhalt's Regierungsbezirke are gone; the Land and the Kreis remain.
        if k.level() != RegionLevel::Regierungsbezirk {
            out.insert(0, k.as_str().to_string());
        }
        key = k.natural_parent();
    }
    out
}

/// The page's body: the filter form, a summary, the publications to import and the table.
fn render(
    view: &Overview,
    names: &[(String, String)],
    region: Option<&str>,
    only_behind: bool,
) -> String {
    let rows: String = view
        .lines
        .iter()
        .filter(|l| !only_behind || l.is_behind())
        .map(|l| row(view, l))
        .collect();
    let rows = if rows.is_empty() {
        r#"<tr><td colspan="6">Kein Indikator liegt zurück.</td></tr>"#.to_string()
    } else {
        rows
    };
    format!(
        r#"<h1>Aktualität der Daten</h1>
<p class="lead">Stand {month:02}/{year}: {n} Indikator-Ebenen, davon {current} aktuell, {behind} zurück und {unknown} ohne Veröffentlichungstermin im Datenkatalog.</p>
<form method="get" action="/arbeitsbereich/aktualitaet">
<label for="gebiet">Gebiet</label> <select id="gebiet" name="gebiet">{options}</select>
<input type="checkbox" id="nur" name="nur" value="zurueck"{checked}> <label for="nur">nur zurückliegende</label>
<button type="submit">Anzeigen</button>
</form>
{needed}
<div class="table-wrap" tabindex="0" role="region" aria-labelledby="aktualitaet-tabelle"><table><caption id="aktualitaet-tabelle">Neuestes Jahr je Indikator und Ebene</caption>
<thead><tr><th scope="col">Indikator</th><th scope="col">Ebene</th><th scope="col" class="num">vorhanden bis</th><th scope="col" class="num">veröffentlicht bis</th><th scope="col">Stand</th><th scope="col">nachladen</th></tr></thead>
<tbody>{rows}</tbody></table></div>
<p>Das veröffentlichte Jahr folgt aus dem Veröffentlichungsrhythmus und dem zeitlichen Abstand, die der Datenkatalog je Quelle nennt (<code>[[release]]</code>).</p>"#,
        month = view.today.month,
        year = view.today.year,
        n = view.lines.len(),
        current = view.current(),
        behind = view.behind(),
        unknown = view.unknown(),
        options = options(names, region),
        checked = if only_behind { " checked" } else { "" },
        needed = needed(view),
    )
}

/// The region choices, "alle Gebiete" first.
fn options(names: &[(String, String)], region: Option<&str>) -> String {
    std::iter::once((String::new(), "alle Gebiete".to_string()))
        .chain(names.iter().cloned())
        .map(|(k, n)| {
            let selected = if region.unwrap_or("") == k {
                " selected"
            } else {
                ""
            };
            format!(
                r#"<option value="{}"{selected}>{}</option>"#,
                esc(&k),
                esc(&n)
            )
        })
        .collect()
}

/// The publications to import, with where to get them.
fn needed(view: &Overview) -> String {
    if view.needed.is_empty() {
        return "<p>Alle Indikatoren mit bekanntem Veröffentlichungstermin sind aktuell.</p>"
            .into();
    }
    let items: String = view
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
    format!(
        "<h2>Nachzuladen</h2><p>Diese Veröffentlichungen bringen die zurückliegenden Indikatoren auf den neuesten Stand:</p><ul>{items}</ul>"
    )
}

/// One line of the table.
fn row(view: &Overview, l: &Line) -> String {
    let from: Vec<String> = l
        .from
        .iter()
        .map(|k| {
            view.needed
                .iter()
                .find(|r| &r.key == k)
                // The title up to its details in parentheses: the list above has them whole.
                .map_or_else(
                    || esc(k),
                    |r| {
                        esc(r
                            .title
                            .split_once(" (")
                            .map_or(r.title.as_str(), |(short, _)| short))
                    },
                )
        })
        .collect();
    let year =
        |y: Option<String>| y.unwrap_or_else(|| r#"<abbr title="kein Wert">–</abbr>"#.into());
    format!(
        r#"<tr><th scope="row">{}</th><td>{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td><td>{}</td></tr>"#,
        esc(&l.name),
        l.level.label_de(),
        year(l.held.map(|y| y.to_string())),
        year(l.released.map(|y| y.to_string())),
        esc(&l.words),
        from.join(", ")
    )
}
