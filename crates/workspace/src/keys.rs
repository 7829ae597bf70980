//! API keys, each made by a signed-in account for its own scripts: listed with when they were
//! made, last used and expire, made with a label and a lifetime (shown once, stored as its
//! SHA-256), and revoked. A key acts with the account's role at the time of each request.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sozialmonitor_core::format::german_datetime;
use sozialmonitor_store::{ApiToken, ApiTokens, AuditEvent, NewApiToken, StoreError};
use sozialmonitor_viz::esc;

use crate::auth;
use crate::guard::Form;
use crate::pages::{csrf_field, internal, page, refusal};
use crate::{Signed, Workspace};

/// How a key begins, so that a leaked one is recognised (and a secret scanner can find it).
pub const KEY_PREFIX: &str = "smk_";
/// The longest a key may live: a year, then a new one is made.
const MAX_DAYS: i64 = 365;
/// The most keys an account may hold unrevoked.
const MAX_KEYS: usize = 10;

fn state_de(k: &ApiToken, now: i64) -> &'static str {
    if k.revoked {
        "widerrufen"
    } else if !k.valid_at(now) {
        "abgelaufen"
    } else {
        "gültig"
    }
}

fn listing(me: &Signed, keys: &[ApiToken], now: i64) -> String {
    if keys.is_empty() {
        return "<p>Sie haben noch keinen API-Schlüssel.</p>".into();
    }
    let rows: String = keys
        .iter()
        .map(|k| {
            let revoke = if k.valid_at(now) {
                format!(
                    r#"<form method="post" action="/arbeitsbereich/api-schluessel/{id}/widerrufen">{csrf}<button type="submit">Widerrufen<span class="visually-hidden">: {label}</span></button></form>"#,
                    id = k.id,
                    csrf = csrf_field(me),
                    label = esc(&k.label),
                )
            } else {
                String::new()
            };
            format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{revoke}</td></tr>",
                esc(&k.label),
                german_datetime(k.created_at),
                german_datetime(k.expires_at),
                if k.used_at == 0 {
                    "nie".to_string()
                } else {
                    german_datetime(k.used_at)
                },
                state_de(k, now),
            )
        })
        .collect();
    format!(
        r#"<table><caption>Ihre API-Schlüssel</caption><thead><tr><th scope="col">Bezeichnung</th><th scope="col">Erstellt</th><th scope="col">Gültig bis</th><th scope="col">Zuletzt benutzt</th><th scope="col">Stand</th><th scope="col"><span class="visually-hidden">Aktion</span></th></tr></thead><tbody>{rows}</tbody></table>"#
    )
}

fn body(me: &Signed, keys: &[ApiToken], now: i64, shown: Option<&str>) -> String {
    let fresh = shown.map_or(String::new(), |k| {
        format!(
            r#"<div class="ok" role="status"><p><strong>Ihr neuer API-Schlüssel</strong> – kopieren Sie ihn jetzt; er wird nicht wieder angezeigt:</p><p><code class="key">{}</code></p></div>"#,
            esc(k)
        )
    });
    format!(
        r#"<h1>API-Schlüssel</h1>{fresh}
<p class="lead">Mit einem API-Schlüssel lesen und schreiben Skripte die Planungsdaten über die JSON-Schnittstelle, mit den Rechten Ihrer Rolle ({role}). Jede Änderung steht unter Ihrem Namen im Protokoll. Die Schnittstelle ist in <a href="/arbeitsbereich/api/v1/openapi.json">openapi.json</a> beschrieben; der Schlüssel steht im Kopf <code>Authorization: Bearer …</code>.</p>
{list}
<h2>Neuer Schlüssel</h2>
<form class="stack" method="post" action="/arbeitsbereich/api-schluessel">{csrf}
<label for="k-label">Bezeichnung <span class="hint">wofür, z. B. „Import-Skript Jugendamt“</span><input id="k-label" name="bezeichnung" required maxlength="80"></label>
<label for="k-tage">Gültig für Tage <span class="hint">1 bis {MAX_DAYS}</span><input id="k-tage" name="tage" inputmode="numeric" value="90" required></label>
<p><button type="submit">Schlüssel erstellen</button></p></form>"#,
        role = esc(me.account.role.label_de()),
        list = listing(me, keys, now),
        csrf = csrf_field(me),
    )
}

async fn keys_of(ws: &Workspace, me: &Signed) -> anyhow::Result<Vec<ApiToken>> {
    let id = me.account.id;
    ws.db(move |db| Ok(db.api_tokens(id)?)).await
}

/// `GET /arbeitsbereich/api-schluessel`.
pub async fn list(State(ws): State<Workspace>, Extension(me): Extension<Signed>) -> Response {
    match keys_of(&ws, &me).await {
        Ok(keys) => page(
            "API-Schlüssel",
            &body(&me, &keys, ws.now(), None),
            Some(&me),
        )
        .into_response(),
        Err(e) => internal(&e),
    }
}

/// `POST /arbeitsbereich/api-schluessel`: a new key, shown once on the answer page.
pub async fn create(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let refused = |why: &str| refusal(StatusCode::UNPROCESSABLE_ENTITY, "Nicht erstellt", why);
    let label = form.get("bezeichnung").trim().to_string();
    if label.is_empty() || label.chars().count() > 80 {
        return refused("Die Bezeichnung fehlt oder ist länger als 80 Zeichen.");
    }
    let Some(days) = form
        .get("tage")
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (1..=MAX_DAYS).contains(d))
    else {
        return refused(&format!("Die Gültigkeit muss 1 bis {MAX_DAYS} Tage sein."));
    };
    let now = ws.now();
    let keys = match keys_of(&ws, &me).await {
        Ok(k) => k,
        Err(e) => return internal(&e),
    };
    if keys.iter().filter(|k| k.valid_at(now)).count() >= MAX_KEYS {
        return refused(&format!(
            "Sie haben schon {MAX_KEYS} gültige Schlüssel; widerrufen Sie zuerst einen."
        ));
    }
    let Ok(secret) = auth::token() else {
        return internal(&anyhow::anyhow!("no random numbers"));
    };
    let key = format!("{KEY_PREFIX}{secret}");
    let hash = auth::token_hash(&key);
    let (id, login) = (me.account.id, me.account.login.clone());
    let ev = AuditEvent::new(now, &login, "token.create", &login).values(
        None,
        Some(format!(
            "{label} (gültig bis {})",
            german_datetime(now + days * 86_400)
        )),
    );
    let saved = ws
        .db(move |db| {
            let new = NewApiToken {
                account_id: id,
                label: &label,
                token_hash: &hash,
                created_at: now,
                expires_at: now + days * 86_400,
            };
            Ok(db.add_api_token(&new, &ev)?)
        })
        .await;
    if let Err(e) = saved {
        return internal(&e);
    }
    match keys_of(&ws, &me).await {
        Ok(keys) => page(
            "API-Schlüssel",
            &body(&me, &keys, now, Some(&key)),
            Some(&me),
        )
        .into_response(),
        Err(e) => internal(&e),
    }
}

/// `POST /arbeitsbereich/api-schluessel/{id}/widerrufen`: only the account's own key.
pub async fn revoke(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Path(id): Path<i64>,
) -> Response {
    let (account, login, now) = (me.account.id, me.account.login.clone(), ws.now());
    let done = ws
        .db(move |db| {
            let label = db
                .api_tokens(account)?
                .into_iter()
                .find(|k| k.id == id)
                .map(|k| k.label);
            let ev = AuditEvent::new(now, &login, "token.revoke", &login).values(label, None);
            match db.revoke_api_token(id, account, &ev) {
                Ok(()) => Ok(true),
                Err(StoreError::Conflict(_)) => Ok(false),
                Err(e) => Err(e.into()),
            }
        })
        .await;
    match done {
        Ok(true) => Redirect::to("/arbeitsbereich/api-schluessel").into_response(),
        Ok(false) => refusal(
            StatusCode::NOT_FOUND,
            "Kein solcher Schlüssel",
            "Diesen gültigen Schlüssel gibt es unter Ihren nicht.",
        ),
        Err(e) => internal(&e),
    }
}
