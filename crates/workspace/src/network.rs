//! The network in the workspace: the district's actors (organisations), who works on which
//! action field and target group (a graph and the same as a table), working groups with their
//! members, and each actor's contact persons.
//!
//! Contact persons are personal data, in [`crate::contacts`]: only a role that may manage
//! contacts sees them on an actor's page.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sozialmonitor_core::access::Permission;
use sozialmonitor_core::format::count_de;
use sozialmonitor_core::network::{ACTOR_KINDS, ActorKind, Theme, themes};
use sozialmonitor_core::services::{TargetGroup, is_web_address};
use sozialmonitor_store::{AuditEvent, Database, Membership, Network, Organisation, WorkingGroup};
use sozialmonitor_viz::esc;
use sozialmonitor_viz::network::{ThemeNode, bipartite};

use crate::cycle::{Saved, answer, options, refused, unconfirmed, version_field, version_of};
use crate::guard::Form;
use crate::pages::{csrf_field, internal, page, refusal, target_group_boxes, target_groups_of};
use crate::{Signed, Workspace};

fn may_see_people(me: &Signed) -> bool {
    me.account.role.may(Permission::ManageContacts)
}

fn may_edit(me: &Signed) -> bool {
    me.account.role.may(Permission::EditPlanning)
}

/// The district's actor `id`, if it is one.
pub(crate) fn actor_in(
    db: &Database,
    kreis: &str,
    id: i64,
) -> anyhow::Result<Option<Organisation>> {
    Ok(db.actors(kreis)?.into_iter().find(|a| a.id == id))
}

fn not_here(what: &str) -> String {
    format!("{what} gibt es im Netzwerk des Kreises nicht (mehr).")
}

pub(crate) fn missing(what: &str) -> Response {
    refusal(StatusCode::NOT_FOUND, "Nicht gefunden", &not_here(what))
}

fn labels(groups: &[TargetGroup]) -> String {
    groups
        .iter()
        .map(|g| g.label_de())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The network graph and the same relation as a table.
fn graph(actors: &[Organisation]) -> String {
    let pairs: Vec<(Vec<String>, Vec<String>)> = actors
        .iter()
        .map(|a| {
            let groups = a.target_groups.iter().map(|g| g.label_de().to_string());
            (a.action_fields.clone(), groups.collect())
        })
        .collect();
    let t = themes(&pairs);
    if t.is_empty() {
        return "<p>Noch keinem Akteur sind Handlungsfelder oder Zielgruppen zugeordnet.</p>"
            .into();
    }
    let nodes: Vec<ThemeNode> = t
        .iter()
        .map(|(theme, who)| ThemeNode {
            label: match theme {
                Theme::Field(f) => f.clone(),
                Theme::Group(g) => format!("{g} (Zielgruppe)"),
            },
            group: matches!(theme, Theme::Group(_)),
            actors: who.clone(),
        })
        .collect();
    let names: Vec<String> = actors.iter().map(|a| a.name.clone()).collect();
    let svg = bipartite(
        &names,
        &nodes,
        "Netzwerk: wer woran arbeitet",
        "Akteure links, Handlungsfelder (Kreise) und Zielgruppen (Quadrate, gestrichelte Linien) rechts; dieselben Angaben stehen in der Tabelle darunter.",
        720.0,
    );
    let rows: String = nodes
        .iter()
        .map(|n| {
            let who: Vec<String> = n.actors.iter().map(|&i| esc(&names[i])).collect();
            format!(
                r#"<tr><th scope="row">{}</th><td>{}</td><td>{}</td></tr>"#,
                esc(&n.label),
                if n.group {
                    "Zielgruppe"
                } else {
                    "Handlungsfeld"
                },
                who.join(", ")
            )
        })
        .collect();
    format!(
        r#"<figure class="figure">{svg}</figure>
<table><caption>Wer woran arbeitet</caption><thead><tr><th scope="col">Handlungsfeld oder Zielgruppe</th><th scope="col">Art</th><th scope="col">Akteure</th></tr></thead><tbody>{rows}</tbody></table>"#
    )
}

fn actor_rows(actors: &[Organisation]) -> String {
    actors
        .iter()
        .map(|a| {
            format!(
                r#"<tr><th scope="row"><a href="/arbeitsbereich/netzwerk/akteur/{id}">{name}</a>{example}</th><td>{kind}</td><td>{fields}</td><td>{groups}</td><td>{source}</td></tr>"#,
                id = a.id,
                name = esc(&a.name),
                example = if a.example { r#" <span class="tag">Beispiel</span>"# } else { "" },
                kind = a.kind.label_de(),
                fields = esc(&a.action_fields.join(", ")),
                groups = labels(&a.target_groups),
                source = esc(&a.source),
            )
        })
        .collect()
}

fn group_html(g: &WorkingGroup, members: &[Membership], actors: &[Organisation]) -> String {
    let name_of = |id: i64| {
        actors
            .iter()
            .find(|a| a.id == id)
            .map_or(String::new(), |a| esc(&a.name))
    };
    let list: String = members
        .iter()
        .map(|m| {
            let role = if m.role.is_empty() {
                String::new()
            } else {
                format!(" ({})", esc(&m.role))
            };
            format!("<li>{}{role}</li>", name_of(m.actor_id))
        })
        .collect();
    format!(
        r#"<section class="card" aria-labelledby="ag-{id}"><h3 id="ag-{id}">{name}{example}</h3><p>Handlungsfeld: {field}</p><p>{purpose}</p><p>Mitglieder:</p><ul>{list}</ul><p class="hint">Quelle: {source}</p></section>"#,
        id = g.id,
        name = esc(&g.name),
        example = if g.example {
            r#" <span class="tag">Beispiel</span>"#
        } else {
            ""
        },
        field = esc(&g.action_field),
        purpose = esc(&g.purpose),
        list = if list.is_empty() {
            "<li>keine</li>".into()
        } else {
            list
        },
        source = esc(&g.source),
    )
}

/// The form for a new actor, or for editing `a`.
fn actor_form(me: &Signed, a: Option<&Organisation>) -> String {
    let (action, version, p) = match a {
        Some(a) => (
            format!("/arbeitsbereich/netzwerk/akteur/{}", a.id),
            version_field(a),
            format!("a{}", a.id),
        ),
        None => (
            "/arbeitsbereich/netzwerk/akteure".to_string(),
            String::new(),
            "a".to_string(),
        ),
    };
    let kinds = options(
        ACTOR_KINDS,
        a.map(|a| a.kind),
        ActorKind::code,
        ActorKind::label_de,
    );
    let v = |f: fn(&Organisation) -> String| a.map_or(String::new(), |a| esc(&f(a)));
    format!(
        r#"<form class="stack" method="post" action="{action}">{csrf}{version}
<label for="{p}-name">Name<input id="{p}-name" name="name" required value="{name}"></label>
<label for="{p}-art">Art<select id="{p}-art" name="art">{kinds}</select></label>
<label for="{p}-felder">Handlungsfelder <span class="hint">eines je Zeile</span><textarea id="{p}-felder" name="handlungsfelder" rows="3">{fields}</textarea></label>
<fieldset><legend>Zielgruppen</legend>{groups}</fieldset>
<label for="{p}-web">Web<input id="{p}-web" name="web" type="url" value="{web}"></label>
<label for="{p}-notiz">Was der Akteur im Netzwerk tut<textarea id="{p}-notiz" name="notiz" rows="2">{note}</textarea></label>
<p><button type="submit">Akteur speichern</button></p></form>"#,
        csrf = csrf_field(me),
        name = v(|a| a.name.clone()),
        fields = v(|a| a.action_fields.join("\n")),
        groups = target_group_boxes(
            "zielgruppe",
            &format!("{p}-zg"),
            a.map_or(&[], |a| &a.target_groups)
        ),
        web = v(|a| a.web.clone()),
        note = v(|a| a.note.clone()),
    )
}

fn forms(me: &Signed, actors: &[Organisation], groups: &[WorkingGroup]) -> String {
    let csrf = csrf_field(me);
    let actor_options: String = actors
        .iter()
        .map(|a| format!(r#"<option value="{}">{}</option>"#, a.id, esc(&a.name)))
        .collect();
    let group_options: String = groups
        .iter()
        .map(|g| format!(r#"<option value="{}">{}</option>"#, g.id, esc(&g.name)))
        .collect();
    let member_form = if groups.is_empty() || actors.is_empty() {
        String::new()
    } else {
        format!(
            r#"<h3>Mitglied aufnehmen</h3><form class="stack" method="post" action="/arbeitsbereich/netzwerk/mitglieder">{csrf}
<label for="m-gruppe">Arbeitsgruppe<select id="m-gruppe" name="gruppe">{group_options}</select></label>
<label for="m-akteur">Akteur<select id="m-akteur" name="akteur">{actor_options}</select></label>
<label for="m-rolle">Rolle <span class="hint">z. B. Leitung</span><input id="m-rolle" name="rolle"></label>
<p><button type="submit">Mitglied aufnehmen</button></p></form>"#
        )
    };
    format!(
        r#"<h2>Eintragen</h2>
<h3>Akteur</h3>{actor_form}
<h3>Arbeitsgruppe</h3><form class="stack" method="post" action="/arbeitsbereich/netzwerk/gruppen">{csrf}
<label for="g-name">Name<input id="g-name" name="name" required></label>
<label for="g-feld">Handlungsfeld<input id="g-feld" name="handlungsfeld"></label>
<label for="g-zweck">Zweck<textarea id="g-zweck" name="zweck" rows="2"></textarea></label>
<p><button type="submit">Arbeitsgruppe speichern</button></p></form>
{member_form}"#,
        actor_form = actor_form(me, None),
    )
}

/// `GET /arbeitsbereich/netzwerk`.
pub async fn overview(State(ws): State<Workspace>, Extension(me): Extension<Signed>) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let read = ws
        .db(move |db| {
            let actors = db.actors(&kreis)?;
            let mut groups = Vec::new();
            for g in db.groups(&kreis)? {
                let members = db.members(g.id)?;
                groups.push((g, members));
            }
            Ok((actors, groups))
        })
        .await;
    let (actors, groups) = match read {
        Ok(r) => r,
        Err(e) => return internal(&e),
    };
    let group_cards: String = groups
        .iter()
        .map(|(g, m)| group_html(g, m, &actors))
        .collect();
    let plain_groups: Vec<WorkingGroup> = groups.iter().map(|(g, _)| g.clone()).collect();
    let body = format!(
        r#"<h1>Netzwerk</h1><p class="lead">{n} und {g}. Die Beteiligungsformate und ihre Impulse stehen unter <a href="/arbeitsbereich/beteiligung">Beteiligung</a>.{people}</p>
<h2>Akteure</h2><table><caption>Akteure des Netzwerks</caption><thead><tr><th scope="col">Name</th><th scope="col">Art</th><th scope="col">Handlungsfelder</th><th scope="col">Zielgruppen</th><th scope="col">Quelle</th></tr></thead><tbody>{rows}</tbody></table>
<h2>Wer woran arbeitet</h2>{graph}
<h2>Arbeitsgruppen</h2>{cards}
{forms}"#,
        n = count_de(actors.len(), "Akteur", "Akteure"),
        g = count_de(groups.len(), "Arbeitsgruppe", "Arbeitsgruppen"),
        people = if may_see_people(&me) {
            " Kontaktpersonen stehen beim jeweiligen Akteur."
        } else {
            ""
        },
        rows = actor_rows(&actors),
        graph = graph(&actors),
        cards = if group_cards.is_empty() {
            "<p>Keine.</p>".into()
        } else {
            group_cards
        },
        forms = if may_edit(&me) {
            forms(&me, &actors, &plain_groups)
        } else {
            String::new()
        },
    );
    page("Netzwerk", &body, Some(&me)).into_response()
}

/// An actor from the form, or why not.
fn new_actor(form: &Form, kreis: &str, me: &Signed) -> Result<Organisation, String> {
    let text = |k: &str| form.get(k).trim().to_string();
    if text("name").is_empty() {
        return Err("Der Name fehlt.".into());
    }
    let kind = ActorKind::parse(form.get("art")).ok_or("Die Art ist unbekannt.")?;
    let web = text("web");
    if !(web.is_empty() || is_web_address(&web)) {
        return Err("Die Webadresse beginnt nicht mit https:// oder http://.".into());
    }
    let target_groups = target_groups_of(form)?;
    Ok(Organisation {
        id: 0,
        kreis: kreis.to_string(),
        name: text("name"),
        kind,
        action_fields: text("handlungsfelder")
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        target_groups,
        municipality: String::new(),
        web,
        note: text("notiz"),
        source: crate::cycle::source(me),
        example: false,
    })
}

/// The answer to a save in the network: `what` names the record looked for ("Diesen Akteur")
/// when it is not the district's.
pub(crate) fn answered(saved: anyhow::Result<Saved>, what: &str) -> Response {
    answer(saved, ("Nicht gefunden", &not_here(what)))
}

/// A store conflict becomes a refusal in German; anything else stays an error.
fn conflict(e: sozialmonitor_store::StoreError, why: &str) -> anyhow::Result<Saved> {
    match e {
        sozialmonitor_store::StoreError::Conflict(_) => Ok(Saved::Refused(why.into())),
        other => Err(other.into()),
    }
}

/// `POST /arbeitsbereich/netzwerk/akteure`.
pub async fn add_actor(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let a = match new_actor(&form, &kreis, &me) {
        Ok(a) => a,
        Err(why) => return refused(&why),
    };
    let ev = AuditEvent::new(ws.now(), &me.account.login, "network.actor.create", &kreis)
        .values(None, Some(a.name.clone()));
    answered(
        ws.db(move |db| match db.save_actor(&a, &ev) {
            Ok(id) => Ok(Saved::Done(format!("/arbeitsbereich/netzwerk/akteur/{id}"))),
            Err(e) => conflict(e, &format!("Einen Akteur „{}“ gibt es schon.", a.name)),
        })
        .await,
        "Diesen Akteur",
    )
}

/// `POST /arbeitsbereich/netzwerk/gruppen`.
pub async fn add_group(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let text = |k: &str| form.get(k).trim().to_string();
    if text("name").is_empty() {
        return refused("Der Name fehlt.");
    }
    let g = WorkingGroup {
        id: 0,
        kreis: kreis.clone(),
        name: text("name"),
        action_field: text("handlungsfeld"),
        purpose: text("zweck"),
        source: crate::cycle::source(&me),
        example: false,
    };
    let ev = AuditEvent::new(ws.now(), &me.account.login, "network.group.create", &kreis)
        .values(None, Some(g.name.clone()));
    answered(
        ws.db(move |db| {
            db.save_group(&g, &ev)?;
            Ok(Saved::Done("/arbeitsbereich/netzwerk".into()))
        })
        .await,
        "Diese Arbeitsgruppe",
    )
}

/// `POST /arbeitsbereich/netzwerk/mitglieder`.
pub async fn add_member(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let (Ok(group), Ok(actor)) = (
        form.get("gruppe").parse::<i64>(),
        form.get("akteur").parse(),
    ) else {
        return refused("Arbeitsgruppe und Akteur sind nötig.");
    };
    let role = form.get("rolle").trim().to_string();
    let (now, login) = (ws.now(), me.account.login.clone());
    answered(
        ws.db(move |db| {
            let ours = db.groups(&kreis)?.iter().any(|g| g.id == group);
            if !ours || actor_in(db, &kreis, actor)?.is_none() {
                return Ok(Saved::Missing);
            }
            let m = Membership {
                id: 0,
                group_id: group,
                actor_id: actor,
                person_id: None,
                role,
            };
            let ev = AuditEvent::new(
                now,
                &login,
                "network.member.create",
                &format!("group:{group}"),
            )
            .values(None, Some(format!("actor:{actor}")));
            db.add_member(&m, &ev)?;
            Ok(Saved::Done("/arbeitsbereich/netzwerk".into()))
        })
        .await,
        "Diese Arbeitsgruppe oder diesen Akteur",
    )
}

/// `GET /arbeitsbereich/netzwerk/akteur/{id}`.
pub async fn actor(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Path(id): Path<i64>,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let people = may_see_people(&me);
    let read = ws
        .db(move |db| {
            let Some(a) = actor_in(db, &kreis, id)? else {
                return Ok(None);
            };
            let persons = if people { db.persons(id)? } else { Vec::new() };
            let mut groups = Vec::new();
            for g in db.groups(&kreis)? {
                if let Some(m) = db.members(g.id)?.into_iter().find(|m| m.actor_id == id) {
                    groups.push((g, m.role));
                }
            }
            Ok(Some((a, persons, groups)))
        })
        .await;
    let (a, persons, groups) = match read {
        Ok(Some(r)) => r,
        Ok(None) => return missing("Diesen Akteur"),
        Err(e) => return internal(&e),
    };
    let group_list: String = groups
        .iter()
        .map(|(g, role)| {
            format!(
                "<li>{}{}</li>",
                esc(&g.name),
                if role.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", esc(role))
                }
            )
        })
        .collect();
    let web = if !is_web_address(&a.web) {
        String::new()
    } else {
        format!(
            r#"<dt>Web</dt><dd><a href="{w}">{w}</a></dd>"#,
            w = esc(&a.web)
        )
    };
    let delete = if may_edit(&me) {
        format!(
            r#"<h2>Akteur bearbeiten</h2><details><summary>Bearbeiten</summary>{form}</details><h2>Akteur löschen</h2><p class="hint">Löscht auch seine Kontaktpersonen und Mitgliedschaften.</p><form class="inline" method="post" action="/arbeitsbereich/netzwerk/akteur/{id}/loeschen">{csrf}<label><input type="checkbox" name="bestaetigt" value="1" required> bestätigen</label> <button type="submit" class="secondary">„{name}“ löschen</button></form>"#,
            id = a.id,
            csrf = csrf_field(&me),
            name = esc(&a.name),
            form = actor_form(&me, Some(&a)),
        )
    } else {
        String::new()
    };
    let body = format!(
        r#"<p><a href="/arbeitsbereich/netzwerk">Zurück zum Netzwerk</a></p><h1>{name}</h1>
<dl><dt>Art</dt><dd>{kind}</dd><dt>Handlungsfelder</dt><dd>{fields}</dd><dt>Zielgruppen</dt><dd>{groups}</dd>{web}<dt>Im Netzwerk</dt><dd>{note}</dd><dt>Quelle</dt><dd>{source}</dd></dl>
<h2>Arbeitsgruppen</h2><ul>{group_list}</ul>
{people}{delete}"#,
        name = esc(&a.name),
        kind = a.kind.label_de(),
        fields = esc(&a.action_fields.join(", ")),
        groups = labels(&a.target_groups),
        note = esc(&a.note),
        source = esc(&a.source),
        group_list = if group_list.is_empty() {
            "<li>keine</li>".into()
        } else {
            group_list
        },
        people = if may_see_people(&me) {
            crate::contacts::people_html(&me, &a, &persons)
        } else {
            String::new()
        },
    );
    page(&a.name, &body, Some(&me)).into_response()
}

/// `POST /arbeitsbereich/netzwerk/akteur/{id}/loeschen`.
pub async fn delete_actor(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<i64>,
) -> Response {
    if let Some(r) = unconfirmed(&form) {
        return r;
    }
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login) = (ws.now(), me.account.login.clone());
    let people = may_see_people(&me);
    answered(
        ws.db(move |db| {
            let Some(a) = actor_in(db, &kreis, id)? else {
                return Ok(Saved::Missing);
            };
            // Deleting an actor erases its contact persons: personal data, for those who keep it.
            if !people && !db.persons(id)?.is_empty() {
                return Ok(Saved::Refused(
                    "Der Akteur hat Kontaktpersonen; löschen darf ihn nur, wer Kontakte pflegt."
                        .into(),
                ));
            }
            let ev = AuditEvent::new(now, &login, "network.actor.delete", &format!("actor:{id}"))
                .values(Some(a.name), None);
            db.delete_actor(id, &ev)?;
            Ok(Saved::Done("/arbeitsbereich/netzwerk".into()))
        })
        .await,
        "Diesen Akteur",
    )
}

/// `POST /arbeitsbereich/netzwerk/akteur/{id}`: saves the edited actor over the version the form
/// was made from; its source and example mark stay.
pub async fn save_actor(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(id): Path<i64>,
) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    let (now, login) = (ws.now(), me.account.login.clone());
    answered(
        ws.db(move |db| {
            let Some(old) = actor_in(db, &kreis, id)? else {
                return Ok(Saved::Missing);
            };
            if form.get("fassung") != version_of(&old) {
                return Ok(Saved::changed("Der Akteur"));
            }
            let new = match new_actor(&form, &kreis, &me) {
                Ok(a) => Organisation {
                    id,
                    source: old.source.clone(),
                    example: old.example,
                    municipality: old.municipality.clone(),
                    ..a
                },
                Err(why) => return Ok(Saved::Refused(why)),
            };
            let ev = AuditEvent::new(now, &login, "network.actor.update", &format!("actor:{id}"))
                .values(Some(old.name), Some(new.name.clone()));
            match db.save_actor(&new, &ev) {
                Ok(_) => Ok(Saved::Done(format!("/arbeitsbereich/netzwerk/akteur/{id}"))),
                Err(e) => conflict(e, &format!("Einen Akteur „{}“ gibt es schon.", new.name)),
            }
        })
        .await,
        "Diesen Akteur",
    )
}
