//! The guard in front of every workspace route: the session from its cookie (valid, not idle,
//! not too old, account enabled), a password change first where an admin set the password,
//! the role's permission, and for every POST the origin and the form's CSRF token.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use sozialmonitor_core::access;
use sozialmonitor_store::{Account, Accounts, AuditEvent};

use crate::auth::{self, SESSION_COOKIE};
use crate::{Need, SecureCookies, Workspace, pages};

/// Largest form body (not an upload).
const MAX_FORM_BYTES: usize = 1 << 20;

/// The signed-in account of a request, as the guard found it.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The account.
    pub account: Account,
    /// The session's CSRF token, put into every form.
    pub csrf: String,
    /// The SHA-256 of the session token.
    pub token_hash: String,
}

/// The fields of a form posted as `application/x-www-form-urlencoded`, read by the guard (which
/// checked its CSRF token) and handed to the handler.
#[derive(Debug, Clone, Default)]
pub struct Form(pub Vec<(String, String)>);

impl Form {
    /// The first value of a field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Reads a query string (none: no fields).
    pub fn query(q: Option<&str>) -> Form {
        q.map(|q| Form::parse(q.as_bytes())).unwrap_or_default()
    }

    /// Reads a urlencoded body.
    pub fn parse(body: &[u8]) -> Form {
        Form(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
}

/// A multipart POST whose CSRF token the handler must check in the first field (the guard does
/// not read uploads).
#[derive(Debug, Clone)]
pub struct CsrfInBody(pub String);

/// Whether the request came over TLS (as the reverse proxy says) or the deployment says so.
pub fn secure(ws: &Workspace, headers: &HeaderMap) -> bool {
    ws.inner.settings.secure_cookies == SecureCookies::Always
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A POST from a page of another site is refused: browsers send `Origin` with every POST, and it
/// must name the host the request went to (SameSite=Strict cookies and the CSRF token already
/// stop such requests; this is the second lock). Where the browser says where the request came
/// from (`Sec-Fetch-Site`, sent by every current browser), it must be this very origin: that
/// also refuses another port or a neighbouring subdomain of the same site, which the host
/// comparison lets through.
pub fn foreign_origin(headers: &HeaderMap) -> bool {
    let fetch_site = headers
        .get("sec-fetch-site")
        .map(|v| v.to_str().unwrap_or("").to_ascii_lowercase());
    // `none`: the user's own action (typed address, bookmark), which a form post is not, but
    // harmless to accept.
    if fetch_site.is_some_and(|s| s != "same-origin" && s != "none") {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    // `Host` only: `X-Forwarded-Host` is whatever the client sent unless a proxy overwrites it.
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map_or("", |(_, h)| h);
    // A reverse proxy often passes the host without the port (nginx's `$host`), so hosts are
    // compared without ports: another port of the same host is the same site for the browser's
    // SameSite rule anyway.
    origin == "null" || !without_port(origin_host).eq_ignore_ascii_case(without_port(host))
}

/// The client of a request: the connection's peer, or where the peer is a trusted proxy, the
/// last address of `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends the
/// address it was called from, so everything left of that is the client's own word). Without a
/// known peer (a request not from the server's accept loop) it is the unspecified address.
pub fn client_address(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let Some(peer) = peer.map(|p| p.to_canonical()) else {
        return IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
    };
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(a) if trusted.contains(&a.to_canonical()) => continue,
            Ok(a) => return a.to_canonical(),
            // Not an address where a proxy would have written one: the chain cannot be read.
            Err(_) => return peer,
        }
    }
    peer
}

/// `example.de:8443` → `example.de`; `[::1]:8080` → `[::1]`.
fn without_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.is_empty() => {
            if h.starts_with('[') || !h.contains(':') {
                h
            } else {
                host
            }
        }
        _ => host,
    }
}

/// Where a signed-out visitor goes: the login form, returning to the page asked for.
fn to_login(req_path: &str, method: &Method) -> Response {
    if *method == Method::GET {
        let back = crate::pages::qv(req_path);
        Redirect::to(&format!("/arbeitsbereich/anmelden?weiter={back}")).into_response()
    } else {
        pages::refusal(
            StatusCode::UNAUTHORIZED,
            "Nicht angemeldet",
            "Ihre Sitzung ist abgelaufen oder Sie sind nicht angemeldet. Bitte melden Sie sich erneut an.",
        )
    }
}

/// The guard of one route (see the module documentation).
pub async fn guard(
    State((ws, need, upload)): State<(Workspace, Need, bool)>,
    mut req: Request,
    next: Next,
) -> Response {
    let permission = match need {
        Need::Anyone => return next.run(req).await,
        Need::Key(p) => return crate::api::key_guard(ws, p, req, next).await,
        Need::Role(p) => p,
    };
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let jar = auth::Jar::new(secure(&ws, req.headers()));
    let Some(token) = jar.get(req.headers(), SESSION_COOKIE) else {
        return to_login(&path, &method);
    };
    let token_hash = auth::token_hash(&token);
    let now = ws.now();
    let th = token_hash.clone();
    let found = ws.db(move |db| Ok(db.session(&th)?)).await;
    let session = match found {
        Ok(Some(s)) => s,
        Ok(None) => return to_login(&path, &method),
        Err(e) => return pages::internal(&e),
    };
    if !access::session_valid(session.created_at, session.seen_at, now) || session.account.disabled
    {
        let th = token_hash.clone();
        let login = session.account.login.clone();
        let _ = ws
            .db(move |db| {
                let ev = AuditEvent::new(now, &login, "session.expired", &login);
                Ok(db.end_session(&th, Some(&ev))?)
            })
            .await;
        return to_login(&path, &method);
    }
    let account = session.account.clone();
    let password_pages = ["/arbeitsbereich/passwort", "/arbeitsbereich/abmelden"];
    if account.must_change && !password_pages.contains(&path.as_str()) {
        return if method == Method::GET {
            Redirect::to("/arbeitsbereich/passwort").into_response()
        } else {
            pages::refusal(
                StatusCode::FORBIDDEN,
                "Passwort ändern",
                "Bitte ändern Sie zuerst Ihr Passwort.",
            )
        };
    }
    if !account.role.may(permission) {
        tracing::warn!(login = %account.login, %path, "refused: role lacks the permission");
        return pages::refusal(
            StatusCode::FORBIDDEN,
            "Kein Zugriff",
            "Ihre Rolle erlaubt diese Seite nicht. Wenden Sie sich an die Administration, wenn Sie den Zugriff brauchen.",
        );
    }
    if method == Method::POST {
        if foreign_origin(req.headers()) {
            return pages::refusal(
                StatusCode::FORBIDDEN,
                "Anfrage abgelehnt",
                "Das Formular kam nicht von dieser Seite.",
            );
        }
        match check_form(req, &session.csrf, upload).await {
            Ok(r) => req = r,
            Err(refused) => return refused,
        }
    }
    // The idle clock is moved at most once a minute, and a failure to move it (the database
    // busy with a long import) does not fail the request: the session is valid either way.
    if now - session.seen_at >= 60 {
        let th = token_hash.clone();
        if let Err(e) = ws.db(move |db| Ok(db.touch_session(&th, now)?)).await {
            tracing::warn!(
                error = format!("{e:#}"),
                "noting the session's activity failed"
            );
        }
    }
    req.extensions_mut().insert(Signed {
        account,
        csrf: session.csrf,
        token_hash,
    });
    next.run(req).await
}

/// Reads a posted form and checks its `_csrf` field; the multipart body of an upload route is
/// left to the handler with the token it must find first. Any other body is refused.
async fn check_form(req: Request, csrf: &str, upload: bool) -> Result<Request, Response> {
    let refused = || {
        pages::refusal(
            StatusCode::FORBIDDEN,
            "Anfrage abgelehnt",
            "Das Formular ist abgelaufen oder unvollständig. Bitte laden Sie die Seite neu und senden Sie es noch einmal.",
        )
    };
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if upload {
        if !kind.starts_with("multipart/form-data") {
            return Err(refused());
        }
        let mut req = req;
        req.extensions_mut().insert(CsrfInBody(csrf.to_string()));
        return Ok(req);
    }
    if !kind.starts_with("application/x-www-form-urlencoded") {
        return Err(refused());
    }
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return Err(pages::refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Formular zu groß",
            "Das Formular ist größer als erlaubt.",
        ));
    };
    let form = Form::parse(&bytes);
    if !auth::same_secret(form.get("_csrf"), csrf) {
        return Err(refused());
    }
    parts.extensions.insert(form);
    Ok(Request::from_parts(parts, Body::empty()))
}

/// Nothing from the workspace is kept by a browser or a proxy: it holds internal values.
pub async fn no_store(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_compared_by_host_without_port() {
        let h = |origin: &str, host: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ORIGIN, origin.parse().expect("origin"));
            m.insert(header::HOST, host.parse().expect("host"));
            foreign_origin(&m)
        };
        assert!(!h("https://127.0.0.1:8443", "127.0.0.1"));
        assert!(!h("http://localhost:8080", "localhost:8080"));
        assert!(!h("https://[::1]:8443", "[::1]"));
        assert!(h("https://evil.example", "127.0.0.1"));
        assert!(h("https://127.0.0.1.evil.example", "127.0.0.1"));
        assert!(h("null", "127.0.0.1"));
    }

    #[test]
    fn the_client_is_read_from_the_trusted_proxys_header_only() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        let trusted = [ip("127.0.0.1"), ip("::1")];
        let mut m = HeaderMap::new();
        m.insert(
            "x-forwarded-for",
            "10.9.9.9, 198.51.100.4, 127.0.0.1".parse().expect("h"),
        );
        // From the proxy: the last hop that is not a proxy; whatever the client put before it
        // is not believed.
        assert_eq!(
            client_address(Some(ip("127.0.0.1")), &m, &trusted),
            ip("198.51.100.4")
        );
        assert_eq!(
            client_address(Some(ip("::ffff:127.0.0.1")), &m, &trusted),
            ip("198.51.100.4")
        );
        // From anyone else the header is the client's own claim.
        assert_eq!(
            client_address(Some(ip("203.0.113.5")), &m, &trusted),
            ip("203.0.113.5")
        );
        m.insert(
            "x-forwarded-for",
            "kein, 198.51.100.4 x".parse().expect("h"),
        );
        assert_eq!(
            client_address(Some(ip("127.0.0.1")), &m, &trusted),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_address(None, &HeaderMap::new(), &trusted),
            ip("0.0.0.0")
        );
    }

    #[test]
    fn the_browsers_own_word_on_the_requests_origin_is_heeded() {
        let h = |site: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ORIGIN, "https://a.example".parse().expect("origin"));
            m.insert(header::HOST, "a.example".parse().expect("host"));
            m.insert("sec-fetch-site", site.parse().expect("site"));
            foreign_origin(&m)
        };
        assert!(!h("same-origin"));
        assert!(h("same-site"));
        assert!(h("cross-site"));
        assert!(h("Cross-Site"));
    }
}
