//! The social report from the browser: the chapters' commentary written in Markdown with a
//! preview beside the text and every version kept, and the report typeset in the background and
//! kept with the data version it was made from.

use std::sync::Mutex;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sozialmonitor_core::access::Permission;
use sozialmonitor_core::format::german_datetime;
use sozialmonitor_store::{AuditEvent, CommentaryVersion, Database, ReportInfo, Store, Writing};
use sozialmonitor_viz::esc;

use crate::guard::Form;
use crate::pages::{csrf_field, internal, page, refusal};
use crate::{Signed, Workspace};

/// Longest commentary of one chapter, in characters.
const MAX_COMMENTARY_CHARS: usize = 100_000;

/// The chapters that take commentary: slug and title, in order.
type Chapters = Vec<(String, String)>;

/// What the report page needs from the loaded site: the chapters that take commentary and the
/// district's current municipalities (key and name, by name) that have a profile.
#[derive(Debug, Clone, Default)]
struct Outline {
    chapters: Chapters,
    places: Vec<(String, String)>,
}

/// A report being made.
#[derive(Debug, Clone)]
struct Job {
    /// What is made, as the page says it ("Sozialbericht", "Gemeindeprofile").
    what: String,
    author: String,
    started: i64,
    /// `None` while running; the error of a failed run.
    failed: Option<String>,
}

/// Report jobs of this process (finished reports are in the database).
#[derive(Default)]
pub struct Jobs {
    running: Mutex<Vec<Job>>,
    /// The report's chapters, by the results version they were read from: reading them loads
    /// the whole public site, which is not done again for every page of the editor.
    chapters: Mutex<Option<(i64, Outline)>>,
}

/// Markdown as HTML for the preview: raw HTML in the text is shown as text, never run; links
/// only to the web, mail and anchors; images are left out (their description stays as text).
pub fn markdown_html(md: &str) -> String {
    use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd, html};
    let events = Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
        .filter(|e| {
            !matches!(
                e,
                Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image)
            )
        })
        .map(|e| match e {
            Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
            // An e-mail autolink (`<anna@example.de>`): the writer adds `mailto:` itself.
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) if link_type != LinkType::Email && !safe_url(&dest_url) => Event::Start(Tag::Link {
                link_type,
                dest_url: "#".into(),
                title,
                id,
            }),
            other => other,
        });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// Links in commentary: web addresses, mail and local anchors only (no `javascript:`).
fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ["https://", "http://", "mailto:", "#", "/"]
        .iter()
        .any(|p| lower.starts_with(p))
}

/// The chapters that take commentary, from the data (action fields with indicators).
async fn chapters(ws: &Workspace) -> anyhow::Result<Chapters> {
    Ok(outline(ws).await?.chapters)
}

/// The report's outline from the data, loaded once per results version.
async fn outline(ws: &Workspace) -> anyhow::Result<Outline> {
    let ws = ws.clone();
    tokio::task::spawn_blocking(move || {
        let kreis = &ws.inner.settings.kreis;
        let db = Database::open(&ws.inner.location)?;
        // Without data (a new database) the report has its summary and the data gaps only.
        let fixed = || Outline {
            chapters: vec![
                ("zusammenfassung".to_string(), "Zusammenfassung".to_string()),
                ("datenluecken".to_string(), "Datenlücken".to_string()),
            ],
            places: Vec::new(),
        };
        let Some((version, ..)) = db.cache_state()? else {
            return Ok(fixed());
        };
        let cache = &ws.inner.jobs.chapters;
        if let Ok(c) = cache.lock()
            && let Some((v, outline)) = c.as_ref()
            && *v == version
        {
            return Ok(outline.clone());
        }
        let site = sozialmonitor_site::Site::load(&db, kreis)?;
        let outline = match site.regions.iter().position(|r| &r.key == kreis) {
            Some(k) => Outline {
                chapters: sozialmonitor_report::commentary_chapters(&site, k),
                places: site
                    .municipalities(k)
                    .into_iter()
                    .map(|m| (site.regions[m].key.clone(), site.regions[m].name.clone()))
                    .collect(),
            },
            None => fixed(),
        };
        if let Ok(mut c) = cache.lock() {
            *c = Some((version, outline.clone()));
        }
        Ok(outline)
    })
    .await?
}

/// `GET /arbeitsbereich/bericht`: the chapters with their commentary, the reports made, and
/// the button that makes a new one.
pub async fn overview(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let busy = if Form::query(q.as_deref()).get("beschaeftigt") == "1" {
        r#"<p class="note" role="status">Es wird gerade schon etwas erstellt; Ihr Auftrag ist nicht angenommen. Bitte starten Sie ihn, wenn das Laufende fertig ist.</p>"#
    } else {
        ""
    };
    let kreis = ws.inner.settings.kreis.clone();
    let Outline {
        chapters: list,
        places,
    } = match outline(&ws).await {
        Ok(c) => c,
        Err(e) => return internal(&e),
    };
    let k = kreis.clone();
    let stored = ws
        .db(move |db| {
            Ok((
                (db.commentary(&k)?, db.reports_of(SOCIAL_REPORT, &k)?),
                db.reports_of(PROFILE, &k)?,
            ))
        })
        .await;
    let ((current, reports), profiles) = match stored {
        Ok(x) => x,
        Err(e) => return internal(&e),
    };
    let rows: String = list
        .iter()
        .map(|(slug, title)| {
            let state = match current.iter().find(|c| &c.chapter == slug) {
                Some(c) if !c.body.trim().is_empty() => format!(
                    "{} Zeichen, zuletzt {} von {}",
                    c.body.chars().count(),
                    esc(&german_datetime(c.at)),
                    esc(&c.author)
                ),
                _ => "noch kein Text".to_string(),
            };
            format!(
                r#"<tr><td><a href="/arbeitsbereich/bericht/kapitel/{slug}">{title}</a></td><td>{state}</td></tr>"#,
                slug = esc(slug),
                title = esc(title),
            )
        })
        .collect();
    let jobs = jobs_html(&ws);
    let files: String = reports
        .iter()
        .map(|r| {
            format!(
                r#"<tr><td><a href="/arbeitsbereich/bericht/datei/{id}">Sozialbericht Nr. {id} (PDF, {kb} KB)</a></td><td>{when}</td><td>{who}</td><td class="num">{dv}</td></tr>"#,
                id = r.id,
                kb = r.bytes / 1024,
                when = esc(&german_datetime(r.created_at)),
                who = esc(&r.author),
                dv = r.data_version,
            )
        })
        .collect();
    let make = if me.account.role.may(Permission::WriteReports) {
        format!(
            r#"<form method="post" action="/arbeitsbereich/bericht/erstellen">{}<button type="submit">Sozialbericht jetzt erstellen</button></form>"#,
            csrf_field(&me)
        )
    } else {
        String::new()
    };
    let profiles = profiles_html(&me, &profiles, &places);
    let body = format!(
        r#"<h1>Sozialbericht</h1>
<p class="lead">Die Kommentare der Kapitel schreiben Sie hier; der Bericht wird mit den aktuellen Daten und den zuletzt gespeicherten Kommentaren gesetzt.</p>
<div class="table-wrap"><table><caption>Kapitel und ihre Kommentare</caption>
<thead><tr><th scope="col">Kapitel</th><th scope="col">Kommentar</th></tr></thead>
<tbody>{rows}</tbody></table></div>
<h2>Berichte</h2>
{busy}{make}
<ul class="plain">{jobs}</ul>
<div class="table-wrap"><table><caption>Erstellte Berichte, die neuesten zuerst</caption>
<thead><tr><th scope="col">Datei</th><th scope="col">Erstellt</th><th scope="col">Von</th><th scope="col" class="num">Datenstand (Import Nr.)</th></tr></thead>
<tbody>{files}</tbody></table></div>
{profiles}"#
    );
    page("Sozialbericht", &body, Some(&me)).into_response()
}

fn chapter_page(
    me: &Signed,
    slug: &str,
    title: &str,
    text: &str,
    versions: &[CommentaryVersion],
    message: &str,
    status: StatusCode,
) -> Response {
    let editable = me.account.role.may(Permission::WriteReports);
    let editor = if editable {
        format!(
            r#"<form class="stack wide" method="post" action="/arbeitsbereich/bericht/kapitel/{slug}">{csrf}
<label for="text">Kommentar (Markdown: **fett**, *kursiv*, Listen mit „- “, Absätze durch eine Leerzeile)<textarea id="text" name="text" rows="18" maxlength="{max}">{text}</textarea></label>
<p><button type="submit" name="aktion" value="vorschau" class="secondary">Vorschau</button> <button type="submit" name="aktion" value="speichern">Speichern</button></p>
</form>"#,
            slug = esc(slug),
            csrf = csrf_field(me),
            max = MAX_COMMENTARY_CHARS,
            text = esc(text),
        )
    } else {
        String::new()
    };
    let history: String = versions
        .iter()
        .map(|v| {
            format!(
                "<li>{} von {}: {} Zeichen</li>",
                esc(&german_datetime(v.at)),
                esc(&v.author),
                v.body.chars().count()
            )
        })
        .collect();
    let body = format!(
        r#"<h1>{title}</h1>
<p><a href="/arbeitsbereich/bericht">Zurück zum Sozialbericht</a></p>
{message}
<div class="grid2">
<div>{editor}</div>
<section aria-labelledby="vorschau"><h2 id="vorschau">Vorschau</h2><div class="card">{preview}</div></section>
</div>
<h2>Gespeicherte Fassungen</h2>
<ul class="plain">{history}</ul>"#,
        title = esc(title),
        preview = markdown_html(text),
        history = if history.is_empty() {
            "<li>noch keine</li>".to_string()
        } else {
            history
        },
    );
    (status, page(title, &body, Some(me))).into_response()
}

async fn title_of(ws: &Workspace, slug: &str) -> Result<String, Response> {
    match chapters(ws).await {
        Ok(c) => c
            .into_iter()
            .find(|(s, _)| s == slug)
            .map(|(_, t)| t)
            .ok_or_else(|| {
                refusal(
                    StatusCode::NOT_FOUND,
                    "Kein solches Kapitel",
                    "Dieses Kapitel hat der Sozialbericht nicht.",
                )
            }),
        Err(e) => Err(internal(&e)),
    }
}

/// `GET /arbeitsbereich/bericht/kapitel/{slug}`: the chapter's commentary with its preview
/// and versions.
pub async fn chapter(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Path(slug): Path<String>,
) -> Response {
    let title = match title_of(&ws, &slug).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let (k, s) = (ws.inner.settings.kreis.clone(), slug.clone());
    let versions = match ws.db(move |db| Ok(db.commentary_versions(&k, &s)?)).await {
        Ok(v) => v,
        Err(e) => return internal(&e),
    };
    let text = versions.first().map(|v| v.body.clone()).unwrap_or_default();
    chapter_page(&me, &slug, &title, &text, &versions, "", StatusCode::OK)
}

/// `POST /arbeitsbereich/bericht/kapitel/{slug}`: preview the text, or save it as a new version.
pub async fn save_chapter(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(slug): Path<String>,
) -> Response {
    let title = match title_of(&ws, &slug).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    // Line breaks as the browser sends them (CRLF) are kept as LF.
    let text = form.get("text").replace("\r\n", "\n");
    let (k, s) = (ws.inner.settings.kreis.clone(), slug.clone());
    let versions = match ws.db(move |db| Ok(db.commentary_versions(&k, &s)?)).await {
        Ok(v) => v,
        Err(e) => return internal(&e),
    };
    if text.chars().count() > MAX_COMMENTARY_CHARS {
        let m = format!(
            r#"<p class="error" role="alert">Der Text ist länger als {MAX_COMMENTARY_CHARS} Zeichen.</p>"#
        );
        return chapter_page(
            &me,
            &slug,
            &title,
            &text,
            &versions,
            &m,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    if form.get("aktion") != "speichern" {
        let m = r#"<p class="note" role="status">Vorschau – noch nicht gespeichert.</p>"#;
        return chapter_page(&me, &slug, &title, &text, &versions, m, StatusCode::OK);
    }
    let now = ws.now();
    let kreis = ws.inner.settings.kreis.clone();
    let old = versions.first().map(|v| v.body.clone());
    let v = CommentaryVersion {
        id: 0,
        kreis: kreis.clone(),
        chapter: slug.clone(),
        body: text,
        author: me.account.login.clone(),
        at: now,
    };
    let ev = AuditEvent::new(
        now,
        &me.account.login,
        "commentary.save",
        &format!("{kreis}/{slug}"),
    )
    .values(old, Some(v.body.clone()));
    if let Err(e) = ws.db(move |db| Ok(db.save_commentary(&v, &ev)?)).await {
        return internal(&e);
    }
    Redirect::to(&format!("/arbeitsbereich/bericht/kapitel/{slug}")).into_response()
}

/// `POST /arbeitsbereich/bericht/erstellen`: typesets the social report in the background with
/// the newest commentary; it is kept with its data version.
pub async fn make_report(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
) -> Response {
    let author = me.account.login.clone();
    start_job(
        &ws,
        "/arbeitsbereich/bericht",
        "Sozialbericht",
        &me.account.login,
        move |ws, started| typeset_report(ws, &author, started),
    )
}

/// `POST /arbeitsbereich/bericht/profile` (`gemeinde`: a municipality's key, or `alle`):
/// typesets the municipal profiles of the district in the background; they are kept with their
/// data version.
pub async fn make_profiles(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let author = me.account.login.clone();
    let which = match form.get("gemeinde") {
        "" | "alle" => None,
        key => Some(key.to_string()),
    };
    let what = if which.is_some() {
        "Gemeindeprofil"
    } else {
        "Gemeindeprofile"
    };
    start_job(
        &ws,
        "/arbeitsbereich/bericht",
        what,
        &me.account.login,
        move |ws, started| typeset_profiles(ws, &author, started, which.as_deref()),
    )
}

/// Starts `work` on a blocking thread as the one job of this process and goes back to the
/// report page, which shows the job until it is done. While one runs, another is not started:
/// the page says so, and the planner starts it again afterwards.
pub(crate) fn start_job(
    ws: &Workspace,
    back: &str,
    what: &str,
    author: &str,
    work: impl FnOnce(&Workspace, i64) -> anyhow::Result<()> + Send + 'static,
) -> Response {
    let started = ws.now();
    let index = match ws.inner.jobs.running.lock() {
        Ok(mut j) => {
            // Failed runs are shown once; a second run while one is under way waits for it.
            j.retain(|job| job.failed.is_none());
            if !j.is_empty() {
                return Redirect::to(&format!("{back}?beschaeftigt=1")).into_response();
            }
            j.push(Job {
                what: what.to_string(),
                author: author.to_string(),
                started,
                failed: None,
            });
            j.len() - 1
        }
        Err(_) => return internal(&anyhow::anyhow!("the job list was poisoned")),
    };
    let ws2 = ws.clone();
    let what = what.to_string();
    tokio::task::spawn_blocking(move || {
        // A panic in typesetting ends the job as failed, not as "running" for ever.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&ws2, started)))
            .unwrap_or_else(|_| Err(anyhow::anyhow!("das Setzen ist abgebrochen")));
        if let Ok(mut j) = ws2.inner.jobs.running.lock() {
            match result {
                Ok(()) => {
                    if index < j.len() {
                        j.remove(index);
                    }
                }
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), what, "a report job failed");
                    if let Some(job) = j.get_mut(index) {
                        job.failed = Some(format!("{e:#}"));
                    }
                }
            }
        }
    });
    Redirect::to(back).into_response()
}

/// What a report job reads before it typesets: its own connection, the data version the
/// results were computed from, and the public site with the district's index in it.
struct Loaded {
    kreis: String,
    db: Database,
    data_version: i64,
    site: sozialmonitor_site::Site,
    k: usize,
}

fn load_district(ws: &Workspace) -> anyhow::Result<Loaded> {
    let kreis = ws.inner.settings.kreis.clone();
    let db = Database::open(&ws.inner.location)?;
    let data_version = db.cache_state()?.map_or(0, |s| s.0);
    let site = sozialmonitor_site::Site::load(&db, &kreis)?;
    let k = site
        .regions
        .iter()
        .position(|r| r.key == kreis)
        .ok_or_else(|| anyhow::anyhow!("der Kreis {kreis} ist nicht in den Daten"))?;
    Ok(Loaded {
        kreis,
        db,
        data_version,
        site,
        k,
    })
}

/// Typesets the profiles of the district's current municipalities (or of one) from the public
/// results, as the dashboard offers them, and keeps them together with their data version.
fn typeset_profiles(
    ws: &Workspace,
    author: &str,
    started: i64,
    which: Option<&str>,
) -> anyhow::Result<()> {
    let Loaded {
        kreis,
        mut db,
        data_version,
        site,
        k,
    } = load_district(ws)?;
    let chosen: Vec<usize> = site
        .municipalities(k)
        .into_iter()
        .filter(|&m| which.is_none_or(|w| site.regions[m].key == w))
        .collect();
    if chosen.is_empty() {
        anyhow::bail!(match which {
            Some(w) => format!("die Gemeinde {w} gehört nicht zum Kreis {kreis}"),
            None => format!("zum Kreis {kreis} sind keine Gemeinden in den Daten"),
        });
    }
    let mut files = Vec::with_capacity(chosen.len());
    let mut bytes = 0;
    for m in chosen {
        let pdf = sozialmonitor_report::profile(&site, m)?;
        bytes += pdf.len();
        let info = ReportInfo {
            id: 0,
            kind: PROFILE.into(),
            region_key: site.regions[m].key.clone(),
            data_version,
            created_at: started,
            author: author.to_string(),
            bytes: pdf.len() as i64,
        };
        files.push((info, pdf));
    }
    let ev = AuditEvent::new(ws.now(), author, "report.create", &kreis).values(
        None,
        Some(format!(
            "gemeindeprofil n={} data_version={data_version} bytes={bytes}",
            files.len()
        )),
    );
    db.save_reports(&files, &ev)?;
    Ok(())
}

/// The municipal profiles: the form that makes them, and the newest of each municipality.
fn profiles_html(me: &Signed, kept: &[ReportInfo], places: &[(String, String)]) -> String {
    let make = if me.account.role.may(Permission::WriteReports) {
        let options: String = places
            .iter()
            .map(|(key, name)| format!(r#"<option value="{}">{}</option>"#, esc(key), esc(name)))
            .collect();
        format!(
            r#"<form class="inline" method="post" action="/arbeitsbereich/bericht/profile">{}
<label for="gemeinde">Gemeinde</label><select id="gemeinde" name="gemeinde"><option value="alle">alle Gemeinden des Kreises</option>{options}</select>
<button type="submit">Gemeindeprofile erstellen</button></form>"#,
            csrf_field(me)
        )
    } else {
        String::new()
    };
    let mut seen = std::collections::HashSet::new();
    let mut newest: Vec<&ReportInfo> = kept
        .iter()
        .filter(|r| seen.insert(r.region_key.as_str()))
        .collect();
    let name_of = |key: &str| {
        places
            .iter()
            .find(|(k, _)| k == key)
            .map_or(key.to_string(), |(_, n)| n.clone())
    };
    newest.sort_by_cached_key(|r| (name_of(&r.region_key), r.region_key.clone()));
    let rows: String = newest
        .iter()
        .map(|r| {
            format!(
                r#"<tr><th scope="row">{name}</th><td><a href="/arbeitsbereich/bericht/datei/{id}">Gemeindeprofil Nr. {id} (PDF, {kb} KB)</a></td><td>{when}</td><td>{who}</td><td class="num">{dv}</td></tr>"#,
                name = esc(&name_of(&r.region_key)),
                id = r.id,
                kb = (r.bytes + 1023) / 1024,
                when = esc(&german_datetime(r.created_at)),
                who = esc(&r.author),
                dv = r.data_version,
            )
        })
        .collect();
    format!(
        r#"<h2>Gemeindeprofile</h2>
<p>Die Profile zeigen, was der öffentliche Sozialmonitor zeigt (gesperrte Werte als „.“), und werden mit ihrem Datenstand aufbewahrt. {n} von {m} Gemeinden haben ein Profil; frühere Fassungen bleiben gespeichert ({older}).</p>
{make}
<div class="table-wrap"><table><caption>Das neueste Profil jeder Gemeinde</caption>
<thead><tr><th scope="col">Gemeinde</th><th scope="col">Datei</th><th scope="col">Erstellt</th><th scope="col">Von</th><th scope="col" class="num">Datenstand (Import Nr.)</th></tr></thead>
<tbody>{rows}</tbody></table></div>"#,
        n = newest
            .iter()
            .filter(|r| places.iter().any(|(k, _)| *k == r.region_key))
            .count(),
        m = places.len(),
        older = kept.len() - newest.len(),
    )
}

/// The jobs of this process as list items: running, or failed with the reason.
pub(crate) fn jobs_html(ws: &Workspace) -> String {
    ws.inner
        .jobs
        .running
        .lock()
        .map(|j| {
            j.iter()
                .map(|job| match &job.failed {
                    None => format!(
                        "<li>{} wird erstellt (begonnen {} von {}) – bitte die Seite gleich neu laden</li>",
                        esc(&job.what),
                        esc(&german_datetime(job.started)),
                        esc(&job.author)
                    ),
                    Some(e) => format!(
                        "<li>{} fehlgeschlagen (begonnen {}): {}</li>",
                        esc(&job.what),
                        esc(&german_datetime(job.started)),
                        esc(e)
                    ),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Typesets the planning document of the district's newest cycle and keeps it with its data
/// version.
pub(crate) fn typeset_planning(ws: &Workspace, author: &str, started: i64) -> anyhow::Result<()> {
    let Loaded {
        kreis,
        mut db,
        data_version,
        site,
        k,
    } = load_district(ws)?;
    let cycle = sozialmonitor_site::planning::PlanningCycle::newest(&db, &kreis)?
        .ok_or_else(|| anyhow::anyhow!("der Kreis {kreis} hat noch keinen Planungszyklus"))?;
    let pdf = sozialmonitor_report::planning_document(&site, k, &cycle)?;
    let info = ReportInfo {
        id: 0,
        kind: PLANNING_DOCUMENT.into(),
        region_key: kreis.clone(),
        data_version,
        created_at: started,
        author: author.to_string(),
        bytes: pdf.len() as i64,
    };
    let ev = AuditEvent::new(ws.now(), author, "report.create", &kreis).values(
        None,
        Some(format!(
            "planungsdokument data_version={data_version} bytes={}",
            pdf.len()
        )),
    );
    db.save_report(&info, &pdf, &ev)?;
    Ok(())
}

/// The kind of the social report among the kept reports.
const SOCIAL_REPORT: &str = "sozialbericht";
/// The kind of a municipal profile among the kept reports.
const PROFILE: &str = "gemeindeprofil";
/// The kind of a planning document among the kept reports.
pub(crate) const PLANNING_DOCUMENT: &str = "planungsdokument";

fn typeset_report(ws: &Workspace, author: &str, started: i64) -> anyhow::Result<()> {
    let Loaded {
        kreis,
        mut db,
        data_version,
        site,
        k,
    } = load_district(ws)?;
    let texts: Vec<(String, String)> = db
        .commentary(&kreis)?
        .into_iter()
        .map(|c| (c.chapter, c.body))
        .collect();
    let commentary = sozialmonitor_report::Commentary::from_markdown(&texts);
    let report = sozialmonitor_report::social_report(&site, k, &commentary)?;
    let info = ReportInfo {
        id: 0,
        kind: SOCIAL_REPORT.into(),
        region_key: kreis.clone(),
        data_version,
        created_at: started,
        author: author.to_string(),
        bytes: report.pdf.len() as i64,
    };
    let ev = AuditEvent::new(ws.now(), author, "report.create", &kreis).values(
        None,
        Some(format!(
            "sozialbericht data_version={data_version} bytes={}",
            report.pdf.len()
        )),
    );
    db.save_report(&info, &report.pdf, &ev)?;
    Ok(())
}

/// `GET /arbeitsbereich/bericht/datei/{id}`: a report made here.
pub async fn download(State(ws): State<Workspace>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return refusal(
            StatusCode::NOT_FOUND,
            "Kein solcher Bericht",
            "Diesen Bericht gibt es nicht.",
        );
    };
    match ws.db(move |db| Ok(db.report(id)?)).await {
        Ok(Some((info, pdf))) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}-{}-{}.pdf\"",
                        match info.kind.as_str() {
                            PROFILE => PROFILE,
                            PLANNING_DOCUMENT => PLANNING_DOCUMENT,
                            _ => SOCIAL_REPORT,
                        },
                        info.region_key,
                        info.id
                    ),
                ),
            ],
            pdf,
        )
            .into_response(),
        Ok(None) => refusal(
            StatusCode::NOT_FOUND,
            "Kein solcher Bericht",
            "Diesen Bericht gibt es nicht.",
        ),
        Err(e) => internal(&e),
    }
}
