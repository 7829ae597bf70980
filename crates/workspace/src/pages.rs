//! The workspace's page frame (its own navigation, the signed-in account, the sign-out button),
//! its stylesheet and script, the overview and the refusal pages.

use axum::Extension;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use sozialmonitor_core::access::Permission;
use sozialmonitor_core::services::{TARGET_GROUPS, TargetGroup};
use sozialmonitor_viz::esc;

use crate::{Signed, Workspace};

/// The public stylesheet and what the workspace adds (forms, status labels, the preview).
pub fn stylesheet() -> String {
    format!(
        "{}{}",
        sozialmonitor_web::html::CSS,
        r#"
header.site.ws{background:#1d3b2a}
.ws-user{display:flex;gap:.75rem;align-items:center;flex-wrap:wrap}
.ws-user form{margin:0}
.ws-user button{background:#fff;color:#1d3b2a;border-color:#fff}
form.stack{display:grid;gap:.75rem;max-width:32rem;margin:1rem 0}
form.stack label{display:flex;flex-direction:column;font-weight:600;gap:.2rem}
form.inline{display:inline-flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.15rem 0}
.hint{font-weight:400;color:var(--muted);font-size:.9rem}
.ok{background:#e8f5e9;border-left:4px solid #1b5e20;padding:.5rem 1rem;margin:1rem 0}
.error{background:#fdecea;border-left:4px solid #8e1b10;padding:.5rem 1rem;margin:1rem 0}
.tag{display:inline-block;border:1px solid var(--line);border-radius:3px;padding:0 .35rem;font-size:.9rem}
.tag.off{background:#fdecea;border-color:#8e1b10}
td pre,dd pre{white-space:pre-wrap;margin:0;font-size:.9rem;overflow-wrap:anywhere}
mark.bad{background:#ffd7d2;color:#111;padding:0 .1rem}
progress{width:100%;max-width:32rem}
form.stack.wide{max-width:none}
form.stack label.check{flex-direction:row;align-items:center;font-weight:400;gap:.4rem}
form.stack fieldset{border:1px solid var(--line);border-radius:3px;padding:.5rem .75rem;display:flex;flex-wrap:wrap;gap:.5rem 1.25rem}
form.stack legend{font-weight:600;padding:0 .25rem}
textarea{font:inherit;font-weight:400;width:100%;padding:.4rem;border:1px solid #555;border-radius:3px}
button.secondary{background:#fff;color:var(--accent)}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.formula-check{border-left:4px solid var(--line);padding:0 0 0 .75rem}
.formula-check:empty{display:none}
.formula-check mark{background:#ffd7d2;color:#111;padding:0 .1rem;outline:1px solid #8e1b10}
"#
    )
}

/// Script: the upload form shows its progress (without JavaScript the browser's own display
/// serves), and a catalogue formula is checked while it is typed (without it, "Prüfen").
pub const JS: &str = include_str!("workspace.js");

/// `GET /arbeitsbereich/static/workspace.css`.
pub async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        stylesheet(),
    )
        .into_response()
}

/// `GET /arbeitsbereich/static/workspace.js`.
pub async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        JS,
    )
        .into_response()
}

/// The current municipalities of a district, through Gemeindeverbände where the register puts
/// them in between, by name.
pub fn municipalities_of(
    db: &sozialmonitor_store::Database,
    kreis: &str,
) -> anyhow::Result<Vec<sozialmonitor_store::RegionInfo>> {
    use sozialmonitor_core::RegionLevel;
    use sozialmonitor_store::Store;
    let mut out = Vec::new();
    for r in db.children(kreis, None)? {
        if r.valid_to.is_some() {
            continue;
        }
        match r.level {
            RegionLevel::Gemeinde => out.push(r),
            RegionLevel::Gemeindeverband => out.extend(
                db.children(&r.key, None)?
                    .into_iter()
                    .filter(|g| g.valid_to.is_none() && g.level == RegionLevel::Gemeinde),
            ),
            _ => {}
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.key.cmp(&b.key)));
    out.dedup_by(|a, b| a.key == b.key);
    Ok(out)
}

/// How a closed list's item is written: its code and its German label.
pub(crate) type Coded<T> = (fn(T) -> &'static str, fn(T) -> &'static str);

/// A checkbox per item of a closed list, those `chosen` ticked; `prefix` makes the ids unique on
/// a page.
pub(crate) fn boxes<T: Copy + PartialEq>(
    name: &str,
    prefix: &str,
    all: &[T],
    chosen: &[T],
    (code, label): Coded<T>,
) -> String {
    all.iter()
        .map(|x| {
            format!(
                r#"<label class="check"><input type="checkbox" name="{name}" value="{c}" id="{prefix}-{c}"{on}> {l}</label>"#,
                c = code(*x),
                l = label(*x),
                on = if chosen.contains(x) { " checked" } else { "" },
            )
        })
        .collect()
}

/// A checkbox per target group.
pub(crate) fn target_group_boxes(name: &str, prefix: &str, chosen: &[TargetGroup]) -> String {
    boxes(
        name,
        prefix,
        &TARGET_GROUPS,
        chosen,
        (TargetGroup::code, TargetGroup::label_de),
    )
}

/// The target groups a form ticked (`zielgruppe`), or why not.
pub(crate) fn target_groups_of(form: &crate::guard::Form) -> Result<Vec<TargetGroup>, String> {
    form.0
        .iter()
        .filter(|(k, _)| k == "zielgruppe")
        .map(|(_, v)| TargetGroup::parse(v).ok_or_else(|| "Eine Zielgruppe ist unbekannt.".into()))
        .collect()
}

/// A file to download: its type, its `Content-Disposition` and its bytes.
pub(crate) fn download(
    content_type: &'static str,
    disposition: &'static str,
    bytes: Vec<u8>,
) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// Percent-encodes a query value.
pub fn qv(s: &str) -> String {
    sozialmonitor_web::html::qv(s)
}

/// The hidden CSRF field of a form.
pub fn csrf_field(s: &Signed) -> String {
    format!(
        r#"<input type="hidden" name="_csrf" value="{}">"#,
        esc(&s.csrf)
    )
}

/// A whole workspace page for a signed-in account (`None`: the login form).
pub fn page(title: &str, body: &str, who: Option<&Signed>) -> Html<String> {
    let nav = who.map_or(String::new(), |s| {
        let role = s.account.role;
        let mut items = vec![
            ("/arbeitsbereich", "Übersicht"),
            ("/arbeitsbereich/katalog", "Katalog"),
            ("/arbeitsbereich/datenluecken", "Datenlücken"),
            ("/arbeitsbereich/aktualitaet", "Aktualität"),
        ];
        if role.may(Permission::DeliverData) {
            items.push(("/arbeitsbereich/lieferung", "Daten liefern"));
            items.push(("/arbeitsbereich/lieferungen", "Fällige Lieferungen"));
        }
        if role.may(Permission::ReadInternal) {
            items.push(("/arbeitsbereich/werte", "Interne Werte"));
            items.push(("/arbeitsbereich/importe", "Importe"));
        }
        if role.may(Permission::ReadInternal) {
            items.push(("/arbeitsbereich/bericht", "Sozialbericht"));
            items.push(("/arbeitsbereich/planung", "Planung"));
            items.push(("/arbeitsbereich/wegweiser", "Wegweiser"));
            items.push(("/arbeitsbereich/netzwerk", "Netzwerk"));
            items.push(("/arbeitsbereich/beteiligung", "Beteiligung"));
        }
        if role.may(Permission::ManageAccounts) {
            items.push(("/arbeitsbereich/konten", "Konten"));
        }
        if role.may(Permission::ReadAudit) {
            items.push(("/arbeitsbereich/protokoll", "Protokoll"));
        }
        let links: String = items
            .iter()
            .map(|(href, label)| format!(r#"<li><a href="{href}">{label}</a></li>"#))
            .collect();
        format!(
            r#"<nav aria-label="Arbeitsbereich"><ul>{links}</ul></nav>
<div class="ws-user"><span>{name} ({role})</span><a href="/arbeitsbereich/passwort">Passwort ändern</a><a href="/arbeitsbereich/api-schluessel">API-Schlüssel</a>
<form method="post" action="/arbeitsbereich/abmelden">{csrf}<button type="submit">Abmelden</button></form></div>"#,
            name = esc(&s.account.name),
            role = esc(role.label_de()),
            csrf = csrf_field(s),
        )
    });
    Html(format!(
        r##"<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{t} – Arbeitsbereich – Sozialmonitor</title>
<link rel="stylesheet" href="/arbeitsbereich/static/workspace.css">
</head>
<body>
<a class="skip" href="#inhalt">Zum Inhalt springen</a>
<header class="site ws">
<a class="brand" href="/arbeitsbereich">Sozialmonitor · Arbeitsbereich</a>
{nav}
</header>
<main id="inhalt" tabindex="-1">
{body}
</main>
<footer class="site"><div><p>Interner Arbeitsbereich der Sozialplanung. Werte hier können vertraulich sein und sind nicht zur Veröffentlichung bestimmt.</p></div></footer>
<script src="/arbeitsbereich/static/workspace.js" defer></script>
</body>
</html>
"##,
        t = esc(title),
    ))
}

/// A refusal page with its status.
pub fn refusal(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        r#"<h1>{}</h1><p>{}</p><p><a href="/arbeitsbereich">Zur Übersicht</a> · <a href="/arbeitsbereich/anmelden">Anmelden</a></p>"#,
        esc(title),
        esc(message)
    );
    (status, page(title, &body, None)).into_response()
}

/// The page of an internal error (the cause goes to the log only).
pub fn internal(e: &anyhow::Error) -> Response {
    tracing::error!(error = format!("{e:#}"), "workspace request failed");
    refusal(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Interner Fehler",
        "Bei dieser Anfrage ist ein Fehler aufgetreten. Er wurde protokolliert.",
    )
}

/// Unknown workspace paths.
pub async fn not_found() -> Response {
    refusal(
        StatusCode::NOT_FOUND,
        "Seite nicht gefunden",
        "Diese Seite gibt es im Arbeitsbereich nicht.",
    )
}

/// `GET /arbeitsbereich`: what this account can do here.
pub async fn overview(State(ws): State<Workspace>, Extension(me): Extension<Signed>) -> Response {
    let role = me.account.role;
    let imports = ws
        .db(|db| Ok(sozialmonitor_store::Store::imports(db)?.len()))
        .await;
    let imports = match imports {
        Ok(n) => n,
        Err(e) => return internal(&e),
    };
    let mut tasks = vec![
        r#"<li><a href="/arbeitsbereich/datenluecken">Datenlücken</a>: welche Daten fehlen, wer zuständig ist und wie sie zu erheben sind.</li>"#.to_string(),
        r#"<li><a href="/arbeitsbereich/aktualitaet">Aktualität</a>: bis zu welchem Jahr die Daten reichen, was veröffentlicht ist und was nachzuladen ist.</li>"#.to_string(),
    ];
    if role.may(Permission::DeliverData) {
        tasks.push(r#"<li><a href="/arbeitsbereich/lieferung">Daten liefern</a>: Dateien hochladen, prüfen und übernehmen.</li>"#.to_string());
    }
    if role.may(Permission::ReadInternal) {
        tasks.push(
            r#"<li><a href="/arbeitsbereich/werte">Interne Werte</a>: die Werte vor der Geheimhaltung, gesperrte Zellen markiert.</li>"#.into(),
        );
        tasks.push(format!(
            r#"<li><a href="/arbeitsbereich/importe">Importe</a>: {imports} Lieferungen mit ihren Meldungen.</li>"#
        ));
    }
    if role.may(Permission::ReadInternal) {
        tasks.push(
            r#"<li><a href="/arbeitsbereich/bericht">Sozialbericht</a>: Kommentare der Kapitel schreiben, den Bericht erstellen.</li>"#.into(),
        );
    }
    if role.may(Permission::ManageAccounts) {
        tasks.push(
            r#"<li><a href="/arbeitsbereich/konten">Konten</a>: Zugänge anlegen, Rollen vergeben, sperren.</li>"#.into(),
        );
    }
    if role.may(Permission::ReadAudit) {
        tasks.push(
            r#"<li><a href="/arbeitsbereich/protokoll">Protokoll</a>: jede Änderung mit Zeit, Person, altem und neuem Wert.</li>"#.into(),
        );
    }
    let dept = me
        .account
        .department
        .as_deref()
        .map(|d| format!(" für {}", esc(d)))
        .unwrap_or_default();
    let body = format!(
        r#"<h1>Arbeitsbereich</h1>
<p class="lead">Angemeldet als {name}, Rolle {role}{dept}.</p>
<ul class="plain">{tasks}</ul>
<p><a href="/">Zum öffentlichen Sozialmonitor</a></p>"#,
        name = esc(&me.account.name),
        role = esc(role.label_de()),
        tasks = tasks.join("\n"),
    );
    page("Übersicht", &body, Some(&me)).into_response()
}

/// `GET /arbeitsbereich/datenluecken`: the data gaps as a working list: per action field and
/// target group what is needed, available, planned and missing, then every gap with its owner
/// and the plan to close it.
pub async fn gaps(State(ws): State<Workspace>, Extension(me): Extension<Signed>) -> Response {
    use sozialmonitor_core::catalog::{IndicatorStatus, gap_groups};
    let entries = match ws
        .db(|db| Ok(sozialmonitor_store::Store::indicators(db)?))
        .await
    {
        Ok(e) => e,
        Err(e) => return internal(&e),
    };
    let table = |title: &str, by_group: bool| {
        let rows: String = gap_groups(&entries, by_group)
            .iter()
            .map(|g| {
                format!(
                    r#"<tr><th scope="row">{}</th><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td></tr>"#,
                    esc(&g.name),
                    g.needed(),
                    g.available,
                    g.planned,
                    g.missing,
                    g.coverage().label_de()
                )
            })
            .collect();
        format!(
            r#"<div class="table-wrap"><table><caption>Nach {title}</caption>
<thead><tr><th scope="col">{title}</th><th scope="col" class="num">benötigt</th><th scope="col" class="num">verfügbar</th><th scope="col" class="num">geplant</th><th scope="col" class="num">fehlt</th><th scope="col">Bewertung</th></tr></thead>
<tbody>{rows}</tbody></table></div>"#
        )
    };
    let open: Vec<_> = entries
        .iter()
        .filter(|e| e.status != IndicatorStatus::Available)
        .collect();
    let list: String = open
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.name),
                esc(&e.action_field),
                esc(&e.target_groups.join(", ")),
                e.status.label_de(),
                esc(&e.owner),
                esc(&e.how_to_collect)
            )
        })
        .collect();
    let body = format!(
        r#"<h1>Datenlücken</h1>
<p class="lead">Welche Daten der Datenkatalog braucht, welche vorliegen und welche noch fehlen: {n} von {all} Indikatoren haben noch keine Daten.</p>
{fields}
{groups}
<h2>Offene Lücken und wie sie sich schließen lassen</h2>
<div class="table-wrap"><table><caption>{n} Indikatoren ohne Daten</caption>
<thead><tr><th scope="col">Indikator</th><th scope="col">Handlungsfeld</th><th scope="col">Zielgruppen</th><th scope="col">Stand</th><th scope="col">Zuständig</th><th scope="col">Wie die Daten zu erheben sind</th></tr></thead>
<tbody>{list}</tbody></table></div>"#,
        n = open.len(),
        all = entries.len(),
        fields = table("Handlungsfeld", false),
        groups = table("Zielgruppe", true),
    );
    page("Datenlücken", &body, Some(&me)).into_response()
}
