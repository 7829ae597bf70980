//! The Datenkatalog in the browser: the list, an entry created or edited in a form and checked by the same
//! rules as a catalogue file (the entry is written as TOML and read by the importer, so a
//! formula error comes back with its position), saved as a new catalogue version (an import
//! batch, its old and new entry in the audit log), and the whole catalogue as a TOML file that
//! imports again unchanged.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use sozialmonitor_core::access::Permission;
use sozialmonitor_core::catalog::{IndicatorEntry, IndicatorStatus, weakened_confidentiality};
use sozialmonitor_core::{Diagnostic, Said, Severity};
use sozialmonitor_store::{Actor, ImportOptions, ImportOutcome, ImportSource, Store};
use sozialmonitor_viz::esc;

use crate::formula;
use crate::guard::Form;
use crate::pages::{csrf_field, internal, page, refusal};
use crate::{Signed, Workspace};

/// A catalogue file as the importer reads it.
#[derive(Serialize)]
struct CatalogueFile<'a> {
    indicator: &'a [IndicatorEntry],
}

/// The entries as a catalogue file.
pub fn to_toml(entries: &[IndicatorEntry]) -> anyhow::Result<String> {
    let body = toml::to_string(&CatalogueFile { indicator: entries })?;
    Ok(format!(
        "# Datenkatalog, aus dem Arbeitsbereich des Sozialmonitors heruntergeladen. Einlesen mit\n# `sozialmonitor import DATEI`; die Felder erklärt catalog/README.md.\n\n{body}"
    ))
}

/// Whether this account may change this entry: planners and admins every entry, a department
/// the entries it owns.
fn may_edit(me: &Signed, e: &IndicatorEntry) -> bool {
    me.account.role.may(Permission::EditCatalogue) && crate::delivery::delivers_for(me, e)
}

/// `GET /arbeitsbereich/katalog`: every entry, with a form for those this account may change.
pub async fn list(State(ws): State<Workspace>, Extension(me): Extension<Signed>) -> Response {
    let entries = match ws.db(|db| Ok(db.indicators()?)).await {
        Ok(e) => e,
        Err(e) => return internal(&e),
    };
    let rows: String = entries
        .iter()
        .map(|e| {
            let name = if may_edit(&me, e) {
                format!(
                    r#"<a href="/arbeitsbereich/katalog/{}">{}</a>"#,
                    esc(&e.key),
                    esc(&e.name)
                )
            } else {
                esc(&e.name)
            };
            format!(
                "<tr><td>{name}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.key),
                esc(&e.action_field),
                esc(&e.owner),
                e.status.label_de()
            )
        })
        .collect();
    let body = format!(
        r#"<h1>Datenkatalog</h1>
<p class="lead">Die Einträge, die Sie ändern dürfen, sind verlinkt. Jede Änderung ist eine neue Fassung des Katalogs und steht im Protokoll.</p>
{create}<p><a href="/arbeitsbereich/katalog.toml">Den ganzen Katalog als TOML-Datei herunterladen</a> (lässt sich mit <code>sozialmonitor import</code> unverändert wieder einlesen).</p>
<div class="table-wrap"><table><caption>{n} Einträge</caption>
<thead><tr><th scope="col">Indikator</th><th scope="col">Schlüssel</th><th scope="col">Handlungsfeld</th><th scope="col">Zuständig</th><th scope="col">Stand</th></tr></thead>
<tbody>{rows}</tbody></table></div>"#,
        n = entries.len(),
        create = if me.account.role.may(Permission::DesignCatalogue) {
            r#"<p><a href="/arbeitsbereich/katalog-neu">Neuen Eintrag anlegen</a> (ein Indikator oder eine Datenlücke).</p>"#
        } else {
            ""
        },
    );
    page("Datenkatalog", &body, Some(&me)).into_response()
}

/// `GET /arbeitsbereich/katalog.toml`.
pub async fn export(State(ws): State<Workspace>) -> Response {
    let text = ws
        .db(|db| Ok(db.indicators()?))
        .await
        .and_then(|e| to_toml(&e));
    match text {
        Ok(t) => (
            [
                (header::CONTENT_TYPE, "application/toml; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"indikatoren.toml\"",
                ),
            ],
            t,
        )
            .into_response(),
        Err(e) => internal(&e),
    }
}

fn field(label: &str, name: &str, value: &str, hint: &str) -> String {
    format!(
        r#"<label for="f-{name}">{label}{hint}<input id="f-{name}" name="{name}" value="{value}"></label>"#,
        hint = if hint.is_empty() {
            String::new()
        } else {
            format!(r#" <span class="hint">{}</span>"#, esc(hint))
        },
        value = esc(value),
    )
}

fn area(label: &str, name: &str, value: &str) -> String {
    format!(
        r#"<label for="f-{name}">{label}<textarea id="f-{name}" name="{name}" rows="3">{}</textarea></label>"#,
        esc(value)
    )
}

/// Whether the form edits an entry or creates one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Edit,
    New,
}

/// The region levels an entry can be shown at, as the catalogue names them.
const LEVELS: [(&str, &str); 4] = [
    ("land", "Land"),
    ("kreis", "Kreis"),
    ("gemeindeverband", "Gemeindeverband"),
    ("gemeinde", "Gemeinde"),
];

/// Levels, publication and confidentiality rule: the fields only the planning team changes.
fn design_fields(me: &Signed, e: &IndicatorEntry) -> String {
    if !me.account.role.may(Permission::DesignCatalogue) {
        return String::new();
    }
    let boxes: String = LEVELS
        .iter()
        .map(|(code, label)| {
            let checked = if e.spatial_levels.iter().any(|l| l == code) {
                " checked"
            } else {
                ""
            };
            format!(
                r#"<label class="check"><input type="checkbox" name="ebene_{code}" value="1"{checked}> {label}</label>"#
            )
        })
        .collect();
    let public = if e.public { " checked" } else { "" };
    let typology = if e.typology { " checked" } else { "" };
    format!(
        r#"<input type="hidden" name="gestaltung" value="1">
<fieldset><legend>Ebenen</legend>{boxes}</fieldset>
<label class="check"><input type="checkbox" name="public" value="1"{public}> im öffentlichen Sozialmonitor zeigen</label>
<label class="check"><input type="checkbox" name="typology" value="1"{typology}> Merkmal der Gemeindetypisierung</label>
{rule}"#,
        rule = field(
            "Geheimhaltung",
            "confidentiality",
            &e.confidentiality,
            "leer für die Regel min_count=3 (Fallzahlen 1 und 2 gesperrt); schwächere Regeln nur durch die Administration",
        ),
    )
}

/// What a form page shows besides the entry.
#[derive(Debug, Default)]
struct View<'a> {
    problems: &'a [Diagnostic],
    note: &'a str,
    status: StatusCode,
    /// The formula's check (HTML), shown below the field.
    check: &'a str,
    /// The version of the stored entry the form started from (editing only).
    stand: &'a str,
}

/// The version of a stored entry as a form carries it: a later save finds out whether someone
/// else saved the entry meanwhile.
fn stand_of(e: &IndicatorEntry) -> anyhow::Result<String> {
    let text = to_toml(std::slice::from_ref(e))?;
    Ok(sozialmonitor_import::sha256_hex(text.as_bytes()))
}

fn form_page(me: &Signed, e: &IndicatorEntry, mode: Mode, v: View<'_>) -> Response {
    let View {
        problems: diagnostics,
        note,
        status,
        check,
        stand,
    } = v;
    let problems: String = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            format!(
                "<li>{}{}</li>",
                esc(d.message.german()),
                d.hint
                    .as_ref()
                    .map(|h| format!(" – {}", esc(h.german())))
                    .unwrap_or_default()
            )
        })
        .collect();
    let problems = if problems.is_empty() {
        String::new()
    } else {
        format!(
            r#"<div class="error" role="alert"><p>Der Eintrag hat Fehler und ist nicht gespeichert:</p><ul>{problems}</ul></div>"#
        )
    };
    let status_options: String = [
        IndicatorStatus::Available,
        IndicatorStatus::Planned,
        IndicatorStatus::Missing,
    ]
    .iter()
    .map(|s| {
        let code = match s {
            IndicatorStatus::Available => "available",
            IndicatorStatus::Planned => "planned",
            IndicatorStatus::Missing => "missing",
        };
        format!(
            r#"<option value="{code}"{}>{}</option>"#,
            if *s == e.status { " selected" } else { "" },
            s.label_de()
        )
    })
    .collect();
    let owner = if me.account.role == sozialmonitor_core::access::Role::Provider {
        format!(r#"<p><strong>Zuständig:</strong> {}</p>"#, esc(&e.owner))
    } else {
        field(
            "Zuständig",
            "owner",
            &e.owner,
            "Fachbereich, z. B. Gesundheitsamt",
        )
    };
    let (title, intro, action, f_key) = match mode {
        Mode::Edit => (
            e.name.clone(),
            format!("Schlüssel <code>{}</code>", esc(&e.key)),
            format!("/arbeitsbereich/katalog/{}", esc(&e.key)),
            format!(
                r#"<input type="hidden" name="stand" value="{}">"#,
                esc(stand)
            ),
        ),
        Mode::New => (
            "Neuer Katalogeintrag".to_string(),
            "Ein neuer Indikator oder eine Datenlücke; der Schlüssel lässt sich später nicht ändern.".to_string(),
            "/arbeitsbereich/katalog-neu".to_string(),
            field(
                "Schlüssel",
                "key",
                &e.key,
                "Kleinbuchstaben, Ziffern und _, z. B. anteil_alleinerziehende",
            ),
        ),
    };
    let body = format!(
        r#"<h1>{title_html}</h1>
<p><a href="/arbeitsbereich/katalog">Zurück zum Datenkatalog</a> · {intro}</p>
{note}{problems}
<form class="stack wide" method="post" action="{action}">{csrf}
{f_key}{f_name}{f_short}{f_def}
{f_formula}
{f_unit}{f_field}{f_groups}{owner}
<label for="f-status">Stand<select id="f-status" name="status">{status_options}</select></label>
{f_rhythm}{f_source}{f_collect}
{design}
<p><button type="submit" name="aktion" value="pruefen" class="secondary">Prüfen</button> <button type="submit" name="aktion" value="speichern">Speichern</button></p>
</form>"#,
        title_html = esc(&title),
        design = design_fields(me, e),
        csrf = csrf_field(me),
        f_name = field("Name", "name", &e.name, ""),
        f_short = field(
            "Kurzname",
            "short_name",
            &e.short_name,
            "für Tabellen und Grafiken"
        ),
        f_def = area("Definition", "definition", &e.definition),
        f_formula = if me.account.role == sozialmonitor_core::access::Role::Provider {
            format!(
                r#"<p><strong>Formel:</strong> <code>{}</code> <span class="hint">(ändert die Sozialplanung)</span></p>"#,
                esc(&e.formula)
            )
        } else {
            format!(
                r#"{}
<p id="formel-status" class="visually-hidden" role="status"></p>
<div id="formel-pruefung" class="formula-check" data-check="/arbeitsbereich/formel-pruefen">{check}</div>"#,
                field(
                    "Formel",
                    "formula",
                    &e.formula,
                    "Merkmale in Backticks, z. B. 100 * `A` / `B`; geprüft während der Eingabe und beim Prüfen",
                )
            )
        },
        f_unit = field("Einheit", "unit", &e.unit, ""),
        f_field = field("Handlungsfeld", "action_field", &e.action_field, ""),
        f_groups = field(
            "Zielgruppen",
            "target_groups",
            &e.target_groups.join(", "),
            "durch Komma getrennt"
        ),
        f_rhythm = field(
            "Aktualisierung",
            "update_rhythm",
            &e.update_rhythm,
            "z. B. jährlich"
        ),
        f_source = field("Quelle", "source", &e.source, ""),
        f_collect = area(
            "Wie die Daten zu erheben sind",
            "how_to_collect",
            &e.how_to_collect
        ),
    );
    (status, page(&title, &body, Some(me))).into_response()
}

async fn entry_for(ws: &Workspace, me: &Signed, key: &str) -> Result<IndicatorEntry, Response> {
    let k = key.to_string();
    let found = ws
        .db(move |db| Ok(db.indicators()?.into_iter().find(|e| e.key == k)))
        .await;
    match found {
        Ok(Some(e)) if may_edit(me, &e) => Ok(e),
        Ok(Some(_)) => Err(refusal(
            StatusCode::FORBIDDEN,
            "Kein Zugriff",
            "Diesen Eintrag pflegt ein anderer Fachbereich.",
        )),
        Ok(None) => Err(refusal(
            StatusCode::NOT_FOUND,
            "Kein solcher Eintrag",
            "Diesen Eintrag hat der Datenkatalog nicht.",
        )),
        Err(e) => Err(internal(&e)),
    }
}

/// `GET /arbeitsbereich/katalog/{key}`.
pub async fn edit(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Path(key): Path<String>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let saved = Form::query(q.as_deref()).get("gespeichert") == "1";
    let note = if saved {
        r#"<p class="ok" role="status">Gespeichert: eine neue Fassung des Katalogs, im Protokoll mit altem und neuem Eintrag.</p>"#
    } else {
        ""
    };
    match entry_for(&ws, &me, &key).await {
        Ok(e) => {
            let stand = match stand_of(&e) {
                Ok(s) => s,
                Err(err) => return internal(&err),
            };
            form_page(
                &me,
                &e,
                Mode::Edit,
                View {
                    note,
                    stand: &stand,
                    ..View::default()
                },
            )
        }
        Err(r) => r,
    }
}

/// The entry with the form's fields.
fn changed(old: &IndicatorEntry, form: &Form, me: &Signed) -> IndicatorEntry {
    let mut e = old.clone();
    let text = |name: &str| form.get(name).replace("\r\n", "\n").trim().to_string();
    e.name = text("name");
    e.short_name = text("short_name");
    e.definition = text("definition");
    // A department's account changes descriptions, not formulas: a formula names the measures
    // the department may deliver, so widening it is the planning team's decision.
    if me.account.role != sozialmonitor_core::access::Role::Provider {
        e.formula = text("formula");
    }
    e.unit = text("unit");
    e.action_field = text("action_field");
    e.target_groups = text("target_groups")
        .split(',')
        .map(|g| g.trim().to_string())
        .filter(|g| !g.is_empty())
        .collect();
    if me.account.role != sozialmonitor_core::access::Role::Provider {
        e.owner = text("owner");
    }
    e.status = match form.get("status") {
        "planned" => IndicatorStatus::Planned,
        "missing" => IndicatorStatus::Missing,
        _ => IndicatorStatus::Available,
    };
    e.update_rhythm = text("update_rhythm");
    e.source = text("source");
    e.how_to_collect = text("how_to_collect");
    // Only when the form showed them: a form without them leaves them as they were.
    if me.account.role.may(Permission::DesignCatalogue) && form.get("gestaltung") == "1" {
        e.spatial_levels = LEVELS
            .iter()
            .filter(|(code, _)| form.get(&format!("ebene_{code}")) == "1")
            .map(|(code, _)| (*code).to_string())
            .collect();
        e.public = form.get("public") == "1";
        e.typology = form.get("typology") == "1";
        e.confidentiality = text("confidentiality");
    }
    e
}

/// The workspace's own checks of an entry beyond the catalogue file's: the confidentiality
/// rule must parse, and only an admin may weaken it (small counts would be published).
fn rule_problems(me: &Signed, old: Option<&IndicatorEntry>, e: &IndicatorEntry) -> Vec<Diagnostic> {
    use sozialmonitor_core::confidential::Rule;
    let here = format!("Katalogeintrag {}", e.key);
    match Rule::parse(&e.confidentiality) {
        Err(_) => vec![
            Diagnostic::error(
                &here,
                0,
                0,
                Said::german_only(format!(
                    "Geheimhaltung: „{}“ ist keine Regel; erwartet wird min_count=N (eine ganze Zahl ab 1) oder none",
                    e.confidentiality
                )),
            )
            .with_hint(Said::german_only("z. B. min_count=3 oder min_count=5")),
        ],
        Ok(_)
            if !me.account.role.may(Permission::WeakenConfidentiality)
                && !weakened_confidentiality(
                    std::slice::from_ref(e),
                    old.map_or(&[][..], std::slice::from_ref),
                )
                .is_empty() =>
        {
            vec![Diagnostic::error(
                &here,
                0,
                0,
                Said::german_only(
                    "Eine schwächere Geheimhaltung als min_count=3 darf nur die Administration festlegen.",
                ),
            )]
        }
        Ok(_) => Vec::new(),
    }
}

/// `POST /arbeitsbereich/katalog/{key}`: check the entry by the catalogue's rules, or save it as
/// a new catalogue version.
pub async fn save(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(key): Path<String>,
) -> Response {
    // One catalogue change at a time in this process: the check against the stored entry and
    // the import that replaces it are one step for everyone else ("Prüfen" changes nothing
    // and does not wait).
    let _one = if form.get("aktion") == "speichern" {
        Some(ws.inner.catalogue.lock().await)
    } else {
        None
    };
    let old = match entry_for(&ws, &me, &key).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let entry = changed(&old, &form, &me);
    let now = match stand_of(&old) {
        Ok(s) => s,
        Err(e) => return internal(&e),
    };
    let from = form.get("stand");
    // Someone saved the entry since this form was loaded: saving would silently undo their
    // change. (A form without the field, from a script, is taken as it is.)
    if !from.is_empty() && from != now && form.get("aktion") == "speichern" {
        let d = Diagnostic::error(
            &format!("Katalogeintrag {key}"),
            0,
            0,
            Said::german_only(
                "Der Eintrag wurde gespeichert, seit Sie dieses Formular geöffnet haben; Ihre Eingaben sind nicht gespeichert.",
            ),
        )
        .with_hint(Said::german_only(
            "Vergleichen Sie mit der gespeicherten Fassung (Katalog in neuem Fenster öffnen) und speichern Sie dann erneut.",
        ));
        let view = View {
            problems: &[d],
            status: StatusCode::CONFLICT,
            stand: &now,
            ..View::default()
        };
        return form_page(&me, &entry, Mode::Edit, view);
    }
    check_and_store(&ws, &me, &form, Some(&old), entry, Mode::Edit).await
}

/// `GET /arbeitsbereich/katalog-neu`: the form for a new entry.
pub async fn new_form(Extension(me): Extension<Signed>) -> Response {
    let mut e = IndicatorEntry::new("", "", "");
    e.name = String::new();
    e.short_name = String::new();
    e.status = IndicatorStatus::Missing;
    form_page(&me, &e, Mode::New, View::default())
}

/// `POST /arbeitsbereich/katalog-neu`: check a new entry, or save it as a new catalogue version.
pub async fn create(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let _one = if form.get("aktion") == "speichern" {
        Some(ws.inner.catalogue.lock().await)
    } else {
        None
    };
    let key = form.get("key").trim().to_string();
    // `new` makes a public entry; the form's checkbox decides.
    let entry = changed(&IndicatorEntry::new(&key, "", ""), &form, &me);
    let k = key.clone();
    let taken = ws
        .db(move |db| Ok(db.indicators()?.iter().any(|e| e.key == k)))
        .await;
    match taken {
        Ok(false) => check_and_store(&ws, &me, &form, None, entry, Mode::New).await,
        Ok(true) => {
            let d = Diagnostic::error(
                "Katalogeintrag",
                0,
                0,
                Said::german_only(format!(
                    "Den Schlüssel „{key}“ hat schon ein anderer Eintrag."
                )),
            )
            .with_hint(Said::german_only(
                "Einen anderen Schlüssel wählen, oder den vorhandenen Eintrag bearbeiten.",
            ));
            let view = View {
                problems: &[d],
                status: StatusCode::CONFLICT,
                ..View::default()
            };
            form_page(&me, &entry, Mode::New, view)
        }
        Err(e) => internal(&e),
    }
}

/// Checks `entry` by the catalogue's rules and the workspace's, then (on "Speichern") stores it
/// as a new catalogue version with `old` and the new entry in the audit log.
async fn check_and_store(
    ws: &Workspace,
    me: &Signed,
    form: &Form,
    old: Option<&IndicatorEntry>,
    entry: IndicatorEntry,
    mode: Mode,
) -> Response {
    let key = entry.key.clone();
    let stand = form.get("stand");
    let text = match to_toml(std::slice::from_ref(&entry)) {
        Ok(t) => t,
        Err(e) => return internal(&e),
    };
    // The formula first, said in German with its place marked; the catalogue's other rules
    // follow once it reads.
    let f = entry.formula.trim();
    if !f.is_empty()
        && let Err(err) = sozialmonitor_core::formula::parse(f)
    {
        let d = Diagnostic::error(
            &format!("Katalogeintrag {key}"),
            0,
            0,
            Said::german_only(format!(
                "Formel: {} (an Stelle {})",
                err.problem.german(),
                err.pos + 1
            )),
        );
        let check = formula::error_html(f, &err);
        let view = View {
            problems: &[d],
            status: StatusCode::UNPROCESSABLE_ENTITY,
            check: &check,
            stand,
            ..View::default()
        };
        return form_page(me, &entry, mode, view);
    }
    let name = format!("Arbeitsbereich: Katalogeintrag {key}");
    let mut ds = sozialmonitor_import::catalog::read(&name, &text);
    ds.diagnostics.extend(rule_problems(me, old, &entry));
    if ds.has_errors() {
        let view = View {
            problems: &ds.diagnostics,
            status: StatusCode::UNPROCESSABLE_ENTITY,
            stand,
            ..View::default()
        };
        return form_page(me, &entry, mode, view);
    }
    if form.get("aktion") != "speichern" {
        let note = r#"<p class="ok" role="status">Der Eintrag ist in Ordnung (noch nicht gespeichert).</p>"#;
        let check = if me.account.role.may(Permission::DesignCatalogue) {
            formula::check_html(ws, entry.clone()).await
        } else {
            String::new()
        };
        let view = View {
            note,
            check: &check,
            stand,
            ..View::default()
        };
        return form_page(me, &entry, mode, view);
    }
    if old == Some(&entry) {
        let note = r#"<p class="note" role="status">Nichts geändert.</p>"#;
        let view = View {
            note,
            stand,
            ..View::default()
        };
        return form_page(me, &entry, mode, view);
    }
    let by = Actor {
        name: me.account.login.clone(),
        at: ws.now(),
    };
    // Each change its own version, even one back to an earlier text: the mark names the
    // moment and the person, not only the content.
    let sha =
        sozialmonitor_import::sha256_hex(format!("{text}\n{}\n{}", by.name, by.at).as_bytes());
    let location = ws.inner.location.clone();
    let done = tokio::task::spawn_blocking(move || -> anyhow::Result<ImportOutcome> {
        let mut db = sozialmonitor_store::Database::open(&location)?;
        Ok(db.import_by(
            &ImportSource {
                file_name: name,
                sha256: sha,
            },
            &ds,
            ImportOptions::default(),
            Some(&by),
        )?)
    })
    .await;
    match done {
        Ok(Ok(ImportOutcome::Imported(_))) => {
            Redirect::to(&format!("/arbeitsbereich/katalog/{key}?gespeichert=1")).into_response()
        }
        Ok(Ok(ImportOutcome::Rejected(d))) => {
            let view = View {
                problems: &d,
                status: StatusCode::UNPROCESSABLE_ENTITY,
                stand,
                ..View::default()
            };
            form_page(me, &entry, mode, view)
        }
        Ok(Ok(_)) => form_page(
            me,
            &entry,
            mode,
            View {
                stand,
                ..View::default()
            },
        ),
        Ok(Err(e)) => internal(&e),
        Err(e) => internal(&e.into()),
    }
}
