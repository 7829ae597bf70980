//! Signing in and out, changing one's password, the accounts an admin manages and the audit log.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sozialmonitor_core::access::{self, Login, ROLES, Role};
use sozialmonitor_core::format::{german_datetime, iso_datetime_utc};
use sozialmonitor_store::{
    Account, AccountChange, Accounts, AuditEvent, AuditFilter, NewAccount, StoreError,
};
use sozialmonitor_viz::esc;

use crate::auth::{self, LOGIN_COOKIE, SESSION_COOKIE};
use crate::guard::{Form, client_address, foreign_origin, secure};
use crate::pages::{csrf_field, internal, page, refusal};
use crate::{Signed, Workspace};

/// Where to go after signing in: a workspace page, never another site.
fn safe_target(weiter: &str) -> &str {
    let local = weiter.starts_with("/arbeitsbereich")
        && !weiter.contains("//")
        && !weiter.contains('\\')
        && !weiter.chars().any(char::is_control);
    if local { weiter } else { "/arbeitsbereich" }
}

fn query_field(q: Option<&str>, name: &str) -> String {
    Form::query(q).get(name).to_string()
}

fn with_cookies(mut res: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// The login form with a fresh form token in a cookie of its own (login CSRF).
fn login_page(status: StatusCode, weiter: &str, message: &str, secure: bool) -> Response {
    let Ok(form_token) = auth::token() else {
        return internal(&anyhow::anyhow!("no random numbers"));
    };
    let body = format!(
        r#"<h1>Anmelden</h1>
<p class="lead">Der Arbeitsbereich ist für die Sozialplanung und die liefernden Fachbereiche.</p>
{message}
<form class="stack" method="post" action="/arbeitsbereich/anmelden">
<input type="hidden" name="_login" value="{form_token}">
<input type="hidden" name="weiter" value="{weiter}">
<label for="login">Anmeldename<input id="login" name="login" autocomplete="username" required maxlength="64"></label>
<label for="password">Passwort<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="512"></label>
<p><button type="submit">Anmelden</button></p>
</form>
<p class="hint">Nach mehreren Fehlversuchen wird die Anmeldung für einige Minuten gesperrt. Ein vergessenes Passwort setzt die Administration zurück.</p>"#,
        weiter = esc(safe_target(weiter)),
    );
    let res = (status, page("Anmelden", &body, None)).into_response();
    with_cookies(
        res,
        &[auth::Jar::new(secure).set(LOGIN_COOKIE, &form_token)],
    )
}

/// `GET /arbeitsbereich/anmelden`.
pub async fn login_form(
    State(ws): State<Workspace>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let weiter = query_field(q.as_deref(), "weiter");
    let note = if query_field(q.as_deref(), "abgemeldet") == "1" {
        r#"<p class="ok" role="status">Sie sind abgemeldet.</p>"#
    } else {
        ""
    };
    login_page(StatusCode::OK, &weiter, note, secure(&ws, &headers))
}

const LOGIN_FAILED: &str = r#"<p class="error" role="alert">Anmeldename oder Passwort sind falsch, oder die Anmeldung ist vorübergehend gesperrt.</p>"#;

/// `POST /arbeitsbereich/anmelden`: checks the password (slowly, and as slowly for unknown
/// names), counts failures, locks for a while after five, starts a new session (ending the one
/// the browser had).
pub async fn login(
    State(ws): State<Workspace>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let secure = secure(&ws, &headers);
    let form = Form::parse(&body);
    let weiter = form.get("weiter").to_string();
    let jar = auth::Jar::new(secure);
    let cookie_token = jar.get(&headers, LOGIN_COOKIE).unwrap_or_default();
    if foreign_origin(&headers)
        || cookie_token.is_empty()
        || !auth::same_secret(&cookie_token, form.get("_login"))
    {
        return login_page(
            StatusCode::FORBIDDEN,
            &weiter,
            r#"<p class="error" role="alert">Das Anmeldeformular ist abgelaufen. Bitte versuchen Sie es noch einmal.</p>"#,
            secure,
        );
    }
    let now = ws.now();
    let peer = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let from = client_address(peer, &headers, &ws.inner.settings.trusted_proxies);
    if let Some(wait) = ws.address_refused_for(from, now) {
        tracing::warn!(address = %from, "sign-in refused: too many failures from this address");
        return throttled(wait);
    }
    // Counted now, before the slow password check, so that parallel attempts cannot all pass
    // the check above first; a successful sign-in takes it back.
    ws.address_failed(from, now);
    let failed = || login_page(StatusCode::UNAUTHORIZED, &weiter, LOGIN_FAILED, secure);
    // A name no account can have is refused before anything is looked up or logged as given.
    let Ok(name) = Login::parse(form.get("login")) else {
        let ev = AuditEvent::new(now, "?", "login.failed", "(ungültiger Anmeldename)");
        let _ = ws.db(move |db| Ok(db.record(&ev)?)).await;
        return failed();
    };
    let name = name.as_str().to_string();
    // One sign-in per account at a time in this process: parallel guesses cannot all read
    // the failure count before any of them has raised it.
    let Some(_under_way) = ws.begin_sign_in(&name) else {
        return failed();
    };
    let password = form.get("password").to_string();
    let lookup = name.clone();
    let found = match ws.db(move |db| Ok(db.account(&lookup)?)).await {
        Ok(f) => f,
        Err(e) => return internal(&e),
    };
    if let Some((account, _)) = &found
        && account.locked_until > now
    {
        // Locked: refused without checking the password, and not counted, so that the lock
        // does not grow while it lasts.
        let ev = AuditEvent::new(now, &account.login, "login.failed", &account.login)
            .values(None, Some("vorübergehend gesperrt".into()));
        let _ = ws.db(move |db| Ok(db.record(&ev)?)).await;
        return failed();
    }
    let hash = found
        .as_ref()
        .map_or_else(|| auth::dummy_hash().to_string(), |(_, h)| h.clone());
    let Some(_slot) = ws.hash_slot().await else {
        return busy();
    };
    let matches = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let Some((account, _)) = found else {
        let ev = AuditEvent::new(now, &name, "login.failed", &name)
            .values(None, Some("unbekannter Anmeldename".into()));
        let _ = ws.db(move |db| Ok(db.record(&ev)?)).await;
        return failed();
    };
    if !matches || account.disabled {
        let why = if account.disabled {
            "Konto gesperrt"
        } else {
            "falsches Passwort"
        };
        if let Err(e) = count_failure(&ws, &account, now, "login.failed", why).await {
            return internal(&e);
        }
        return failed();
    }
    ws.address_forgive(from);
    if let Some(old) = jar.get(&headers, SESSION_COOKIE) {
        let th = auth::token_hash(&old);
        let _ = ws.db(move |db| Ok(db.end_session(&th, None)?)).await;
    }
    start_session(&ws, &account, "login", safe_target(&weiter), secure).await
}

/// A failed password check of `account`: one more failure in a row, the lock it leads to, and
/// its audit event.
async fn count_failure(
    ws: &Workspace,
    account: &Account,
    now: i64,
    action: &str,
    why: &str,
) -> anyhow::Result<()> {
    let failures = account.failed_logins + 1;
    let lock = access::lockout_seconds(failures);
    let until = if lock > 0 {
        now + lock
    } else {
        account.locked_until
    };
    let ev = AuditEvent::new(now, &account.login, action, &account.login)
        .values(None, Some(why.to_string()));
    let id = account.id;
    ws.db(move |db| Ok(db.login_failed(id, failures, until, &ev)?))
        .await
}

/// Too many failed sign-ins from the client's address: refused, whatever the password, until
/// the address's window ends.
fn throttled(wait: i64) -> Response {
    let minutes = (wait + 59) / 60;
    let mut r = refusal(
        StatusCode::TOO_MANY_REQUESTS,
        "Zu viele Fehlversuche",
        &format!(
            "Von Ihrer Adresse gab es zu viele fehlgeschlagene Anmeldungen. Bitte versuchen Sie es in {minutes} {} noch einmal.",
            if minutes == 1 { "Minute" } else { "Minuten" }
        ),
    );
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// Too many sign-ins wait for the password check.
fn busy() -> Response {
    let mut r = refusal(
        StatusCode::SERVICE_UNAVAILABLE,
        "Bitte gleich noch einmal",
        "Gerade melden sich sehr viele an. Bitte versuchen Sie es in einigen Sekunden noch einmal.",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
}

/// A new session for `account` (a new token every time: a session cannot be fixed), and the
/// way on.
async fn start_session(
    ws: &Workspace,
    account: &Account,
    action: &str,
    to: &str,
    secure: bool,
) -> Response {
    let (Ok(token), Ok(csrf)) = (auth::token(), auth::token()) else {
        return internal(&anyhow::anyhow!("no random numbers"));
    };
    let th = auth::token_hash(&token);
    let ev = AuditEvent::new(ws.now(), &account.login, action, &account.login);
    let id = account.id;
    if let Err(e) = ws
        .db(move |db| Ok(db.login_succeeded(id, &th, &csrf, &ev)?))
        .await
    {
        return internal(&e);
    }
    let to = if account.must_change {
        "/arbeitsbereich/passwort"
    } else {
        to
    };
    with_cookies(
        Redirect::to(to).into_response(),
        &[
            auth::Jar::new(secure).set(SESSION_COOKIE, &token),
            auth::Jar::new(secure).clear(LOGIN_COOKIE),
        ],
    )
}

/// `POST /arbeitsbereich/abmelden`: the session ends on the server, the cookie is removed.
pub async fn logout(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    headers: HeaderMap,
) -> Response {
    let ev = AuditEvent::new(ws.now(), &me.account.login, "logout", &me.account.login);
    let th = me.token_hash.clone();
    if let Err(e) = ws.db(move |db| Ok(db.end_session(&th, Some(&ev))?)).await {
        return internal(&e);
    }
    with_cookies(
        Redirect::to("/arbeitsbereich/anmelden?abgemeldet=1").into_response(),
        &[auth::Jar::new(secure(&ws, &headers)).clear(SESSION_COOKIE)],
    )
}

fn password_page(me: &Signed, message: &str, status: StatusCode) -> Response {
    let must = if me.account.must_change {
        r#"<p class="note">Ihr Passwort wurde von der Administration gesetzt. Bitte wählen Sie ein eigenes, bevor Sie weiterarbeiten.</p>"#
    } else {
        ""
    };
    let body = format!(
        r#"<h1>Passwort ändern</h1>
{must}{message}
<form class="stack" method="post" action="/arbeitsbereich/passwort">{csrf}
<label for="current">Bisheriges Passwort<input id="current" name="current" type="password" autocomplete="current-password" required maxlength="512"></label>
<label for="new">Neues Passwort <span class="hint">mindestens {min} Zeichen; ein Satz aus mehreren Wörtern ist gut zu merken</span><input id="new" name="new" type="password" autocomplete="new-password" required minlength="{min}" maxlength="{max}"></label>
<label for="repeat">Neues Passwort wiederholen<input id="repeat" name="repeat" type="password" autocomplete="new-password" required maxlength="{max}"></label>
<p><button type="submit">Passwort ändern</button></p>
</form>"#,
        csrf = csrf_field(me),
        min = access::PASSWORD_MIN_CHARS,
        max = access::PASSWORD_MAX_CHARS,
    );
    (status, page("Passwort ändern", &body, Some(me))).into_response()
}

/// `GET /arbeitsbereich/passwort`.
pub async fn password_form(Extension(me): Extension<Signed>) -> Response {
    password_page(&me, "", StatusCode::OK)
}

/// `POST /arbeitsbereich/passwort`: the current password, then the new one by the rules; every
/// session of the account ends and this browser gets a new one.
pub async fn change_password(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    headers: HeaderMap,
) -> Response {
    let fail = |m: &str| {
        password_page(
            &me,
            &format!(r#"<p class="error" role="alert">{}</p>"#, esc(m)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let (current, new) = (form.get("current").to_string(), form.get("new").to_string());
    if new != form.get("repeat") {
        return fail("Die beiden neuen Passwörter stimmen nicht überein.");
    }
    if let Err(p) = access::check_password(&me.account.login, &new) {
        return fail(&p.0);
    }
    let login = me.account.login.clone();
    let Some(_under_way) = ws.begin_sign_in(&login) else {
        return busy();
    };
    let (account, stored) = match ws.db(move |db| Ok(db.account(&login)?)).await {
        Ok(Some(found)) => found,
        Ok(None) => return internal(&anyhow::anyhow!("the signed-in account is gone")),
        Err(e) => return internal(&e),
    };
    let now = ws.now();
    if account.locked_until > now {
        return fail(
            "Nach mehreren falschen Passwörtern ist das Ändern für einige Minuten gesperrt.",
        );
    }
    let Some(_slot) = ws.hash_slot().await else {
        return busy();
    };
    let checked = tokio::task::spawn_blocking(move || {
        auth::verify_password(&current, &stored)
            .then(|| auth::hash_password(&new))
            .transpose()
    })
    .await;
    let hash = match checked {
        Ok(Ok(Some(h))) => h,
        Ok(Ok(None)) => {
            // Counted like a failed sign-in: a taken-over session cannot guess the password
            // at the speed of the hash.
            if let Err(e) = count_failure(
                &ws,
                &account,
                now,
                "password.change_failed",
                "falsches Passwort",
            )
            .await
            {
                return internal(&e);
            }
            return fail("Das bisherige Passwort ist falsch.");
        }
        Ok(Err(e)) => return internal(&e),
        Err(e) => return internal(&e.into()),
    };
    let ev = AuditEvent::new(
        ws.now(),
        &me.account.login,
        "password.change",
        &me.account.login,
    );
    let id = me.account.id;
    let change = AccountChange::Password {
        hash,
        must_change: false,
    };
    if let Err(e) = ws
        .db(move |db| Ok(db.change_account(id, &change, &ev)?))
        .await
    {
        return internal(&e);
    }
    let mut account = me.account.clone();
    account.must_change = false;
    start_session(
        &ws,
        &account,
        "session.renew",
        "/arbeitsbereich",
        secure(&ws, &headers),
    )
    .await
}

fn role_options(selected: Role) -> String {
    ROLES
        .iter()
        .map(|r| {
            format!(
                r#"<option value="{}"{}>{}</option>"#,
                r.code(),
                if *r == selected { " selected" } else { "" },
                esc(r.label_de())
            )
        })
        .collect()
}

async fn accounts_page(ws: &Workspace, me: &Signed, message: &str, status: StatusCode) -> Response {
    let list = match ws.db(|db| Ok(db.accounts()?)).await {
        Ok(l) => l,
        Err(e) => return internal(&e),
    };
    let rows: String = list
        .iter()
        .map(|a| {
            let action = format!("/arbeitsbereich/konten/{}", crate::pages::qv(&a.login));
            let csrf = csrf_field(me);
            let state = if a.disabled {
                r#"<span class="tag off">gesperrt</span>"#.to_string()
            } else if a.must_change {
                r#"<span class="tag">Passwort zu ändern</span>"#.to_string()
            } else {
                r#"<span class="tag">aktiv</span>"#.to_string()
            };
            let toggle = if a.disabled {
                ("freigeben", "Freigeben")
            } else {
                ("sperren", "Sperren")
            };
            format!(
                r#"<tr><td>{login}</td><td>{name}</td><td>{role}</td><td>{dept}</td><td>{state}</td><td>{changed}</td>
<td><form class="inline" method="post" action="{action}">{csrf}<input type="hidden" name="aktion" value="rolle">
<label class="skip" for="r-{id}">Rolle von {login}</label><select id="r-{id}" name="rolle">{roles}</select>
<label class="skip" for="d-{id}">Fachbereich von {login}</label><input id="d-{id}" name="fachbereich" value="{dept}" size="12" placeholder="Fachbereich">
<button type="submit">Rolle setzen</button></form>
<form class="inline" method="post" action="{action}">{csrf}<input type="hidden" name="aktion" value="{tcode}"><button type="submit" class="secondary">{tlabel}</button></form>
<form class="inline" method="post" action="{action}">{csrf}<input type="hidden" name="aktion" value="passwort"><button type="submit" class="secondary">Passwort zurücksetzen</button></form></td></tr>"#,
                id = a.id,
                login = esc(&a.login),
                name = esc(&a.name),
                role = esc(a.role.label_de()),
                dept = esc(a.department.as_deref().unwrap_or("")),
                changed = esc(&german_datetime(a.password_changed_at)),
                roles = role_options(a.role),
                tcode = toggle.0,
                tlabel = toggle.1,
            )
        })
        .collect();
    let body = format!(
        r#"<h1>Konten</h1>
{message}
<div class="table-wrap"><table>
<caption>{n}</caption>
<thead><tr><th scope="col">Anmeldename</th><th scope="col">Name</th><th scope="col">Rolle</th><th scope="col">Fachbereich</th><th scope="col">Zustand</th><th scope="col">Passwort geändert</th><th scope="col">Ändern</th></tr></thead>
<tbody>{rows}</tbody></table></div>
<h2>Neues Konto</h2>
<form class="stack" method="post" action="/arbeitsbereich/konten">{csrf}
<label for="new-login">Anmeldename <span class="hint">Kleinbuchstaben, Ziffern, . _ -</span><input id="new-login" name="login" required maxlength="64"></label>
<label for="new-name">Name<input id="new-name" name="name" required maxlength="200"></label>
<label for="new-role">Rolle<select id="new-role" name="rolle">{roles}</select></label>
<label for="new-dept">Fachbereich <span class="hint">nur für Datenlieferung, z. B. Jugendamt</span><input id="new-dept" name="fachbereich" maxlength="200"></label>
<p><button type="submit">Konto anlegen</button></p>
</form>
<p class="hint">Ein neues Konto bekommt ein zufälliges Passwort, das nur einmal angezeigt wird und bei der ersten Anmeldung geändert werden muss.</p>"#,
        n = crate::delivery::count(list.len(), "Konto", "Konten"),
        csrf = csrf_field(me),
        roles = role_options(Role::Viewer),
    );
    (status, page("Konten", &body, Some(me))).into_response()
}

/// `GET /arbeitsbereich/konten`.
pub async fn accounts(State(ws): State<Workspace>, Extension(me): Extension<Signed>) -> Response {
    accounts_page(&ws, &me, "", StatusCode::OK).await
}

fn error_note(m: &str) -> String {
    format!(r#"<p class="error" role="alert">{}</p>"#, esc(m))
}

/// The role and department of a form, checked together.
fn role_and_department(form: &Form) -> Result<(Role, Option<String>), String> {
    let role = Role::parse(form.get("rolle")).ok_or("Unbekannte Rolle.")?;
    let dept = form.get("fachbereich").trim();
    if role.needs_department() && dept.is_empty() {
        return Err("Ein Konto zur Datenlieferung braucht einen Fachbereich.".into());
    }
    if dept.chars().count() > 200 {
        return Err("Der Fachbereich hat höchstens 200 Zeichen.".into());
    }
    Ok((role, (!dept.is_empty()).then(|| dept.to_string())))
}

fn describe(role: Role, dept: &Option<String>) -> String {
    match dept {
        Some(d) => format!("{} ({d})", role.code()),
        None => role.code().to_string(),
    }
}

/// `POST /arbeitsbereich/konten`: a new account with a random password shown once.
pub async fn create_account(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
) -> Response {
    let login = match Login::parse(form.get("login")) {
        Ok(l) => l,
        Err(m) => {
            return accounts_page(&ws, &me, &error_note(&m), StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    let name = form.get("name").trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return accounts_page(
            &ws,
            &me,
            &error_note("Der Name fehlt oder ist länger als 200 Zeichen."),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let (role, department) = match role_and_department(&form) {
        Ok(x) => x,
        Err(m) => {
            return accounts_page(&ws, &me, &error_note(&m), StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    let Ok(password) = auth::initial_password() else {
        return internal(&anyhow::anyhow!("no random numbers"));
    };
    let pw = password.clone();
    let hash = match tokio::task::spawn_blocking(move || auth::hash_password(&pw)).await {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return internal(&e),
        Err(e) => return internal(&e.into()),
    };
    let now = ws.now();
    let ev = AuditEvent::new(now, &me.account.login, "account.create", login.as_str())
        .values(None, Some(describe(role, &department)));
    let new = NewAccount {
        login: login.clone(),
        name,
        role,
        department,
        password_hash: hash,
        must_change: true,
    };
    match ws.db(move |db| Ok(db.add_account(&new, now, &ev)?)).await {
        Ok(_) => {
            let note = format!(
                r#"<div class="ok" role="status"><p>Das Konto <strong>{}</strong> ist angelegt. Sein erstes Passwort (nur jetzt sichtbar, bitte sicher weitergeben):</p><p><code>{}</code></p></div>"#,
                esc(login.as_str()),
                esc(&password)
            );
            accounts_page(&ws, &me, &note, StatusCode::OK).await
        }
        Err(e)
            if matches!(
                e.downcast_ref::<StoreError>(),
                Some(StoreError::Conflict(_))
            ) =>
        {
            accounts_page(
                &ws,
                &me,
                &error_note("Diesen Anmeldenamen gibt es schon."),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => internal(&e),
    }
}

/// Whether the change leaves at least one enabled admin who is not `login`.
fn another_admin(list: &[Account], login: &str) -> bool {
    list.iter()
        .any(|a| a.role == Role::Admin && !a.disabled && a.login != login)
}

/// `POST /arbeitsbereich/konten/{login}`: role, lock, unlock or password reset. The last
/// enabled admin can be neither demoted nor disabled, and no admin can lock themselves out.
pub async fn change_account(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Extension(form): Extension<Form>,
    Path(login): Path<String>,
) -> Response {
    let list = match ws.db(|db| Ok(db.accounts()?)).await {
        Ok(l) => l,
        Err(e) => return internal(&e),
    };
    let Some(target) = list.iter().find(|a| a.login == login).cloned() else {
        return refusal(
            StatusCode::NOT_FOUND,
            "Kein solches Konto",
            "Dieses Konto gibt es nicht.",
        );
    };
    let keeps_admin = target.role != Role::Admin || another_admin(&list, &target.login);
    let now = ws.now();
    let actor = me.account.login.clone();
    let mut shown_password = None;
    let (change, ev) = match form.get("aktion") {
        "rolle" => {
            let (role, dept) = match role_and_department(&form) {
                Ok(x) => x,
                Err(m) => {
                    return accounts_page(
                        &ws,
                        &me,
                        &error_note(&m),
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await;
                }
            };
            if role != Role::Admin && !keeps_admin {
                return accounts_page(
                    &ws,
                    &me,
                    &error_note("Das letzte aktive Administrationskonto behält seine Rolle."),
                    StatusCode::CONFLICT,
                )
                .await;
            }
            let ev = AuditEvent::new(now, &actor, "account.role", &target.login).values(
                Some(describe(target.role, &target.department)),
                Some(describe(role, &dept)),
            );
            (AccountChange::Role(role, dept), ev)
        }
        "sperren" => {
            if !keeps_admin || target.login == me.account.login {
                return accounts_page(&ws, &me, &error_note("Das eigene und das letzte aktive Administrationskonto können nicht gesperrt werden."), StatusCode::CONFLICT).await;
            }
            let ev = AuditEvent::new(now, &actor, "account.disable", &target.login)
                .values(Some("aktiv".into()), Some("gesperrt".into()));
            (AccountChange::Disabled(true), ev)
        }
        "freigeben" => {
            let ev = AuditEvent::new(now, &actor, "account.enable", &target.login)
                .values(Some("gesperrt".into()), Some("aktiv".into()));
            (AccountChange::Disabled(false), ev)
        }
        "passwort" => {
            let Ok(password) = auth::initial_password() else {
                return internal(&anyhow::anyhow!("no random numbers"));
            };
            let pw = password.clone();
            let hash = match tokio::task::spawn_blocking(move || auth::hash_password(&pw)).await {
                Ok(Ok(h)) => h,
                Ok(Err(e)) => return internal(&e),
                Err(e) => return internal(&e.into()),
            };
            shown_password = Some(password);
            let ev = AuditEvent::new(now, &actor, "account.password_reset", &target.login);
            (
                AccountChange::Password {
                    hash,
                    must_change: true,
                },
                ev,
            )
        }
        _ => {
            return accounts_page(
                &ws,
                &me,
                &error_note("Unbekannte Änderung."),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let id = target.id;
    if let Err(e) = ws
        .db(move |db| Ok(db.change_account(id, &change, &ev)?))
        .await
    {
        return internal(&e);
    }
    let note = match shown_password {
        Some(p) => format!(
            r#"<div class="ok" role="status"><p>Das Passwort von <strong>{}</strong> ist zurückgesetzt; alle Sitzungen des Kontos sind beendet. Neues Passwort (nur jetzt sichtbar, muss bei der Anmeldung geändert werden):</p><p><code>{}</code></p></div>"#,
            esc(&target.login),
            esc(&p)
        ),
        None => format!(
            r#"<p class="ok" role="status">Das Konto <strong>{}</strong> ist geändert; seine Sitzungen sind beendet.</p>"#,
            esc(&target.login)
        ),
    };
    // A changed own account ends this session too: the next page asks to sign in again.
    accounts_page(&ws, &me, &note, StatusCode::OK).await
}

fn audit_filter(q: Option<&str>, limit: usize) -> AuditFilter {
    let non_empty = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_string());
    AuditFilter {
        actor: non_empty(query_field(q, "wer")),
        action_prefix: non_empty(query_field(q, "aktion")),
        limit,
    }
}

/// Events on the audit page (the CSV file has all).
const SHOWN_EVENTS: usize = 200;
/// Characters of an old or new value shown on the audit page.
const SHOWN_CHARS: usize = 160;

/// `GET /arbeitsbereich/protokoll`: the newest 200 events, filtered by person and action.
pub async fn audit(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    RawQuery(q): RawQuery,
) -> Response {
    let filter = audit_filter(q.as_deref(), SHOWN_EVENTS);
    let f = filter.clone();
    let events = match ws.db(move |db| Ok(db.audit_events(&f)?)).await {
        Ok(e) => e,
        Err(e) => return internal(&e),
    };
    // Long values (a catalogue entry, a chapter's commentary) are cut on the page; the CSV
    // file has them whole.
    let cell = |v: &Option<String>| {
        v.as_deref().map_or(String::from("–"), |s| {
            let short: String = s.chars().take(SHOWN_CHARS).collect();
            let cut = if short.len() < s.len() { " …" } else { "" };
            format!("<pre>{}{cut}</pre>", esc(&short))
        })
    };
    let rows: String = events
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&german_datetime(e.at)),
                esc(&e.actor),
                esc(&e.action),
                esc(&e.object),
                cell(&e.old_value),
                cell(&e.new_value)
            )
        })
        .collect();
    let wer = filter.actor.clone().unwrap_or_default();
    let aktion = filter.action_prefix.clone().unwrap_or_default();
    let csv_link = format!(
        "/arbeitsbereich/protokoll.csv?wer={}&aktion={}",
        crate::pages::qv(&wer),
        crate::pages::qv(&aktion)
    );
    let body = format!(
        r#"<h1>Protokoll</h1>
<p class="lead">Jede Änderung im Arbeitsbereich und auf der Kommandozeile: wann, wer, was, alter und neuer Wert.</p>
<form class="controls" method="get" action="/arbeitsbereich/protokoll">
<label for="wer">Person (Anmeldename)<input id="wer" name="wer" value="{wer}"></label>
<label for="aktion">Aktion beginnt mit<input id="aktion" name="aktion" value="{aktion}" placeholder="z. B. account."></label>
<button type="submit">Filtern</button>
</form>
<p><a href="{csv}">Als CSV herunterladen (alle passenden Einträge, höchstens die neuesten 200.000)</a></p>
<div class="table-wrap"><table>
<caption>{n}, die neuesten zuerst{more}</caption>
<thead><tr><th scope="col">Zeit</th><th scope="col">Wer</th><th scope="col">Aktion</th><th scope="col">Objekt</th><th scope="col">Vorher</th><th scope="col">Nachher</th></tr></thead>
<tbody>{rows}</tbody></table></div>"#,
        wer = esc(&wer),
        aktion = esc(&aktion),
        csv = esc(&csv_link),
        n = crate::delivery::count(events.len(), "Eintrag", "Einträge"),
        more = if events.len() == SHOWN_EVENTS {
            " (höchstens 200; die CSV-Datei enthält alle)"
        } else {
            ""
        },
    );
    page("Protokoll", &body, Some(&me)).into_response()
}

/// `GET /arbeitsbereich/protokoll.csv`: every matching event, UTF-8 with BOM for spreadsheet
/// programs, semicolons as German spreadsheets expect, times in ISO 8601 UTC.
pub async fn audit_csv(State(ws): State<Workspace>, RawQuery(q): RawQuery) -> Response {
    // The newest 200,000 events: a file of some 30 MB, built in memory.
    let filter = audit_filter(q.as_deref(), 200_000);
    let events = match ws.db(move |db| Ok(db.audit_events(&filter)?)).await {
        Ok(e) => e,
        Err(e) => return internal(&e),
    };
    let write = || -> anyhow::Result<Vec<u8>> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(vec![0xEF, 0xBB, 0xBF]);
        w.write_record([
            "id", "zeit_utc", "wer", "aktion", "objekt", "vorher", "nachher",
        ])?;
        for e in &events {
            w.write_record([
                e.id.to_string(),
                iso_datetime_utc(e.at),
                csv_safe(&e.actor),
                csv_safe(&e.action),
                csv_safe(&e.object),
                csv_safe(e.old_value.as_deref().unwrap_or("")),
                csv_safe(e.new_value.as_deref().unwrap_or("")),
            ])?;
        }
        w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    };
    match write() {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"protokoll.csv\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => internal(&e),
    }
}

/// A text cell that a spreadsheet program will not run as a formula (OWASP: CSV injection).
fn csv_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}
