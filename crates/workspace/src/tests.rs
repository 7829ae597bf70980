//! Tests of the workspace through its router: the authorization matrix over every route and
//! role, CSRF and origin refusals, escaping of hostile text, sessions (fixation, reuse after
//! sign-out, expiry), lockout, the admin's guards, and the delivery workflow on a real file.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use sozialmonitor_core::access::{Login, ROLES, Role};
use sozialmonitor_store::{
    Accounts, AuditEvent, AuditFilter, Database, Location, NewAccount, Writing,
};
use tower::ServiceExt;

use crate::{Need, Settings, Workspace, auth, router, routes};

const PASSWORD: &str = "Pferd Batterie Heftklammer";
const BOUNDARY: &str = "----smtest";

/// A workspace over a new SQLite file, with a clock the test moves.
struct Fixture {
    _dir: tempfile::TempDir,
    location: Location,
    clock: Arc<AtomicI64>,
    app: Router,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with(Settings::default())
    }

    fn with(settings: Settings) -> Fixture {
        let dir = tempfile::tempdir().expect("tmp");
        let location = Location::Sqlite(dir.path().join("ws.sqlite"));
        let clock = Arc::new(AtomicI64::new(1_796_310_300));
        let c = Arc::clone(&clock);
        let ws = Workspace::with_clock(
            location.clone(),
            settings,
            Box::new(move || c.load(Ordering::Relaxed)),
        )
        .expect("workspace");
        let hash = auth::hash_password(PASSWORD).expect("hash");
        let mut db = Database::open(&location).expect("db");
        for role in ROLES {
            let department = role.needs_department().then(|| "Jugendamt".to_string());
            db.add_account(
                &NewAccount {
                    login: Login::parse(role.code()).expect("login"),
                    name: format!("Test {}", role.label_de()),
                    role,
                    department,
                    password_hash: hash.clone(),
                    must_change: false,
                },
                0,
                &AuditEvent::new(0, "test", "account.create", role.code()),
            )
            .expect("account");
        }
        Fixture {
            _dir: dir,
            location,
            clock,
            app: router(ws),
        }
    }

    fn db(&self) -> Database {
        Database::open(&self.location).expect("db")
    }

    fn advance(&self, seconds: i64) {
        self.clock.fetch_add(seconds, Ordering::Relaxed);
    }

    /// An API key of the role's account made in the store directly, valid for a day.
    fn key(&self, role: Role) -> String {
        use sozialmonitor_store::{ApiTokens, NewApiToken};
        let key = format!("smk_{}", auth::token().expect("token"));
        let mut db = self.db();
        let (a, _) = db.account(role.code()).expect("read").expect("there");
        let now = self.clock.load(Ordering::Relaxed);
        let new = NewApiToken {
            account_id: a.id,
            label: "Test",
            token_hash: &auth::token_hash(&key),
            created_at: now,
            expires_at: now + 86_400,
        };
        db.add_api_token(
            &new,
            &AuditEvent::new(now, role.code(), "token.create", "Test"),
        )
        .expect("key");
        key
    }

    /// A request to the JSON API with a key (and a JSON body for a POST).
    async fn api(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: &str,
    ) -> (StatusCode, serde_json::Value) {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(k) = key {
            b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
        }
        let (status, _, text) = self
            .send(b.body(Body::from(body.to_string())).expect("req"))
            .await;
        let v = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        (status, v)
    }

    /// A session made in the store directly (the matrix needs many; the login flow is tested
    /// on its own): the cookie and the CSRF token.
    fn session(&self, role: Role) -> (String, String) {
        let token = auth::token().expect("token");
        let csrf = auth::token().expect("csrf");
        let mut db = self.db();
        let (a, _) = db.account(role.code()).expect("read").expect("there");
        let now = self.clock.load(Ordering::Relaxed);
        db.login_succeeded(
            a.id,
            &auth::token_hash(&token),
            &csrf,
            &AuditEvent::new(now, role.code(), "login", role.code()),
        )
        .expect("session");
        (format!("{}={token}", auth::SESSION_COOKIE), csrf)
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, header::HeaderMap, String) {
        let res = self.app.clone().oneshot(req).await.expect("response");
        let (parts, body) = res.into_parts();
        let bytes = to_bytes(body, 64 << 20).await.expect("body");
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// A GET whose body is kept as bytes (a download).
    async fn get_bytes(&self, path: &str, cookie: &str) -> (StatusCode, Vec<u8>) {
        let req = Request::get(path)
            .header(header::HOST, "localhost")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .expect("req");
        let res = self.app.clone().oneshot(req).await.expect("response");
        let status = res.status();
        let bytes = to_bytes(res.into_body(), 64 << 20).await.expect("body");
        (status, bytes.to_vec())
    }

    async fn get(
        &self,
        path: &str,
        cookie: Option<&str>,
    ) -> (StatusCode, header::HeaderMap, String) {
        let mut b = Request::get(path).header(header::HOST, "localhost");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).expect("req")).await
    }

    async fn post_form(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> (StatusCode, header::HeaderMap, String) {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut b = Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body)).expect("req")).await
    }

    async fn upload(
        &self,
        cookie: &str,
        csrf: &str,
        files: &[(&str, &[u8])],
    ) -> (StatusCode, header::HeaderMap, String) {
        self.upload_to("/arbeitsbereich/lieferung", cookie, csrf, files)
            .await
    }

    async fn upload_to(
        &self,
        path: &str,
        cookie: &str,
        csrf: &str,
        files: &[(&str, &[u8])],
    ) -> (StatusCode, header::HeaderMap, String) {
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n"
            )
            .as_bytes(),
        );
        for (name, bytes) in files {
            body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"dateien\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let req = Request::post(path)
            .header(header::HOST, "localhost")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header(header::COOKIE, cookie)
            .body(Body::from(body))
            .expect("req");
        self.send(req).await
    }

    /// Signs in through the form as a browser does; the session cookie.
    async fn login(&self, login: &str, password: &str) -> Result<String, StatusCode> {
        let (_, headers, html) = self.get("/arbeitsbereich/anmelden", None).await;
        let form_cookie = set_cookie(&headers, auth::LOGIN_COOKIE).expect("login cookie");
        let token = hidden(&html, "_login").expect("form token");
        let (status, headers, _) = self
            .post_form(
                "/arbeitsbereich/anmelden",
                Some(&format!("{}={form_cookie}", auth::LOGIN_COOKIE)),
                &[("_login", &token), ("login", login), ("password", password)],
            )
            .await;
        match set_cookie(&headers, auth::SESSION_COOKIE) {
            Some(t) if status == StatusCode::SEE_OTHER => {
                Ok(format!("{}={t}", auth::SESSION_COOKIE))
            }
            _ => Err(status),
        }
    }
}

fn set_cookie(h: &header::HeaderMap, name: &str) -> Option<String> {
    h.get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_string())
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!(r#"name="{name}" value=""#))?;
    let rest = html.get(at + name.len() + 15..)?;
    Some(rest.split('"').next()?.to_string())
}

fn location(h: &header::HeaderMap) -> String {
    h.get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_admits_exactly_the_roles_its_rule_names() {
    let f = Fixture::new();
    let mut checked = 0;
    for route in routes() {
        let mut who: Vec<Option<Role>> = vec![None];
        who.extend(ROLES.map(Some));
        for role in who {
            let session = role.map(|r| f.session(r));
            let cookie = session.as_ref().map(|s| s.0.as_str());
            let csrf = session.as_ref().map_or("", |s| s.1.as_str());
            let (status, headers, _) = if route.method == axum::http::Method::GET {
                f.get(route.example, cookie).await
            } else if route.upload {
                match cookie {
                    Some(c) => {
                        f.upload_to(route.example, c, csrf, &[("leer.csv", b"x")])
                            .await
                    }
                    None => f.post_form(route.example, None, &[]).await,
                }
            } else {
                f.post_form(route.example, cookie, &[("_csrf", csrf)]).await
            };
            let allowed = match route.need {
                Need::Anyone => true,
                Need::Role(p) => role.is_some_and(|r| r.may(p)),
                // A cookie never opens an API route, only a key does (tested on its own).
                Need::Key(_) => false,
            };
            let to_login = location(&headers).starts_with("/arbeitsbereich/anmelden?weiter=");
            let refused = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
                || (status == StatusCode::SEE_OTHER && to_login);
            let what = format!("{} {} as {role:?}: {status}", route.method, route.example);
            if route.need == Need::Anyone {
                // The login form answers everyone; its own checks are tested below.
                continue;
            }
            assert_eq!(!refused, allowed, "{what}");
            if !allowed {
                // Signed out: to the login form (GET) or 401; signed in without the right: 403.
                match (role, route.method.as_str(), route.need) {
                    (_, _, Need::Key(_)) => {
                        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}")
                    }
                    (None, "GET", _) => assert!(to_login, "{what}"),
                    (None, _, _) => assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}"),
                    (Some(_), _, _) => assert_eq!(status, StatusCode::FORBIDDEN, "{what}"),
                }
            }
            checked += 1;
        }
    }
    // Every guarded route × 5 (anonymous and four roles).
    let guarded = routes().iter().filter(|r| r.need != Need::Anyone).count();
    assert!(guarded >= 14);
    assert_eq!(checked, guarded * 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_is_refused_without_its_csrf_token_or_from_another_origin() {
    let f = Fixture::new();
    for route in routes() {
        if route.method != axum::http::Method::POST {
            continue;
        }
        let (cookie, csrf) = f.session(Role::Admin);
        if let Need::Key(_) = route.need {
            // Not a form: the API takes no cookie at all, whatever the token.
            let (status, ..) = f
                .post_form(route.example, Some(&cookie), &[("_csrf", &csrf)])
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{}", route.example);
            continue;
        }
        let (status, ..) = if route.upload {
            f.upload_to(route.example, &cookie, "falsch", &[("a.csv", b"x")])
                .await
        } else {
            f.post_form(route.example, Some(&cookie), &[("_csrf", "falsch")])
                .await
        };
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{} without token",
            route.example
        );
        if route.need == Need::Anyone {
            continue;
        }
        let req = Request::post(route.example)
            .header(header::HOST, "localhost")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &cookie)
            .body(Body::from(format!("_csrf={csrf}")))
            .expect("req");
        let (status, ..) = f.send(req).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{} from another origin",
            route.example
        );
    }
    // The login form without the cookie that its token belongs to.
    let (_, _, html) = f.get("/arbeitsbereich/anmelden", None).await;
    let token = hidden(&html, "_login").expect("token");
    let (status, ..) = f
        .post_form(
            "/arbeitsbereich/anmelden",
            None,
            &[
                ("_login", &token),
                ("login", "admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_is_new_at_login_and_dead_after_logout_and_when_idle() {
    let f = Fixture::new();
    // A session id planted before the login is not taken over.
    let (_, headers, html) = f.get("/arbeitsbereich/anmelden", None).await;
    let form_cookie = set_cookie(&headers, auth::LOGIN_COOKIE).expect("cookie");
    let token = hidden(&html, "_login").expect("token");
    let planted = format!(
        "{}=planted; {}={form_cookie}",
        auth::SESSION_COOKIE,
        auth::LOGIN_COOKIE
    );
    let (status, headers, _) = f
        .post_form(
            "/arbeitsbereich/anmelden",
            Some(&planted),
            &[
                ("_login", &token),
                ("login", "planner"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = set_cookie(&headers, auth::SESSION_COOKIE).expect("new session");
    assert_ne!(session, "planted");
    let set: Vec<&str> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        set.iter().any(|c| c.starts_with("sm_session=")
            && c.contains("HttpOnly")
            && c.contains("SameSite=Strict")
            && c.contains("Path=/arbeitsbereich")),
        "{set:?}"
    );
    let cookie = format!("{}={session}", auth::SESSION_COOKIE);
    let (status, _, html) = f.get("/arbeitsbereich", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = hidden(&html, "_csrf").expect("csrf");
    let (status, ..) = f
        .post_form(
            "/arbeitsbereich/abmelden",
            Some(&cookie),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // The old cookie is worth nothing now.
    let (status, headers, _) = f.get("/arbeitsbereich", Some(&cookie)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location(&headers).starts_with("/arbeitsbereich/anmelden"));
    // Idle for more than 30 minutes: signed out.
    let cookie = f.login("viewer", PASSWORD).await.expect("login");
    f.advance(29 * 60);
    assert_eq!(
        f.get("/arbeitsbereich", Some(&cookie)).await.0,
        StatusCode::OK
    );
    f.advance(31 * 60);
    assert_eq!(
        f.get("/arbeitsbereich", Some(&cookie)).await.0,
        StatusCode::SEE_OTHER
    );
    // Secure behind TLS.
    let req = Request::get("/arbeitsbereich/anmelden")
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .expect("req");
    let (_, headers, _) = f.send(req).await;
    let c = headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(c.ends_with("; Secure"), "{c}");
    // Nothing from the workspace is cached.
    let (_, headers, _) = f.get("/arbeitsbereich/anmelden", None).await;
    assert_eq!(
        headers.get(header::CACHE_CONTROL).map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_passwords_lock_the_account_for_a_while() {
    let f = Fixture::new();
    assert_eq!(
        f.login("nobody", PASSWORD).await,
        Err(StatusCode::UNAUTHORIZED)
    );
    for _ in 0..5 {
        assert_eq!(
            f.login("planner", "falsch falsch falsch").await,
            Err(StatusCode::UNAUTHORIZED)
        );
    }
    // Locked: even the right password is refused, with the same message.
    assert_eq!(
        f.login("planner", PASSWORD).await,
        Err(StatusCode::UNAUTHORIZED)
    );
    f.advance(61);
    assert!(f.login("planner", PASSWORD).await.is_ok());
    let events = f
        .db()
        .audit_events(&AuditFilter {
            action_prefix: Some("login.failed".into()),
            ..AuditFilter::default()
        })
        .expect("audit");
    assert_eq!(
        events.len(),
        7,
        "one event per failed attempt, unknown names included"
    );
}

/// A sign-in as a browser at `peer` sends it (through a proxy when `forwarded_for` is given);
/// the status.
async fn login_from(
    f: &Fixture,
    peer: &str,
    forwarded_for: Option<&str>,
    login: &str,
    password: &str,
) -> (StatusCode, header::HeaderMap) {
    let (_, headers, html) = f.get("/arbeitsbereich/anmelden", None).await;
    let form_cookie = set_cookie(&headers, auth::LOGIN_COOKIE).expect("login cookie");
    let token = hidden(&html, "_login").expect("form token");
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("_login", token.as_str()),
            ("login", login),
            ("password", password),
        ])
        .finish();
    let mut b = Request::post("/arbeitsbereich/anmelden")
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(
            header::COOKIE,
            format!("{}={form_cookie}", auth::LOGIN_COOKIE),
        );
    if let Some(x) = forwarded_for {
        b = b.header("x-forwarded-for", x);
    }
    let mut req = b.body(Body::from(body)).expect("req");
    let peer: std::net::SocketAddr = peer.parse().expect("peer");
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    let (status, headers, _) = f.send(req).await;
    (status, headers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_that_tries_every_account_is_refused_for_a_while() {
    let f = Fixture::new();
    let sprayer = "198.51.100.1:50000";
    // Four wrong passwords per account (under each account's own lockout) and four unknown
    // names: twenty failures from one address.
    for role in ROLES {
        for _ in 0..4 {
            let (status, _) = login_from(&f, sprayer, None, role.code(), "falsch falsch").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
    }
    for i in 0..4 {
        let (status, _) =
            login_from(&f, sprayer, None, &format!("niemand{i}"), "falsch falsch").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password is refused from there, and the answer says for how long.
    let (status, headers) = login_from(&f, sprayer, None, "planner", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("900")
    );
    // Through the proxy on this host the forwarded address counts; a client elsewhere that
    // claims to be forwarded is taken at its own address.
    let (status, _) = login_from(
        &f,
        "127.0.0.1:40000",
        Some("198.51.100.1"),
        "planner",
        PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _) = login_from(
        &f,
        "203.0.113.9:40000",
        Some("198.51.100.1"),
        "planner",
        PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "another address signs in");
    f.advance(15 * 60);
    let (status, _) = login_from(&f, sprayer, None, "viewer", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the window is over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_cookies_are_host_prefixed_and_posts_must_be_same_origin() {
    let f = Fixture::new();
    let tls = |b: axum::http::request::Builder| {
        b.header(header::HOST, "localhost")
            .header("x-forwarded-proto", "https")
    };
    let req = tls(Request::get("/arbeitsbereich/anmelden"))
        .body(Body::empty())
        .expect("req");
    let (_, headers, html) = f.send(req).await;
    let raw: Vec<String> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    assert!(
        raw.iter().any(|c| c.starts_with("__Host-sm_login=")
            && c.contains("; Path=/;")
            && c.ends_with("; Secure")),
        "{raw:?}"
    );
    let form_cookie = set_cookie(&headers, "__Host-sm_login").expect("cookie");
    let token = hidden(&html, "_login").expect("token");
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("_login", token.as_str()),
            ("login", "planner"),
            ("password", PASSWORD),
        ])
        .finish();
    let req = tls(Request::post("/arbeitsbereich/anmelden"))
        .header(header::ORIGIN, "https://localhost")
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("__Host-sm_login={form_cookie}"))
        .body(Body::from(body))
        .expect("req");
    let (status, headers, _) = f.send(req).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = set_cookie(&headers, "__Host-sm_session").expect("prefixed session");
    assert!(set_cookie(&headers, auth::SESSION_COOKIE).is_none());
    let page = |cookie: String| {
        tls(Request::get("/arbeitsbereich"))
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .expect("req")
    };
    let (status, ..) = f.send(page(format!("__Host-sm_session={session}"))).await;
    assert_eq!(status, StatusCode::OK);
    // The same token under the plain name (as a neighbouring subdomain could set it) is not a
    // session over TLS.
    let (status, headers, _) = f.send(page(format!("sm_session={session}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location(&headers).starts_with("/arbeitsbereich/anmelden"));
    // A form with the right token from a neighbouring site of the same host is refused.
    let (_, _, html) = f.send(page(format!("__Host-sm_session={session}"))).await;
    let csrf = hidden(&html, "_csrf").expect("csrf");
    let req = tls(Request::post("/arbeitsbereich/abmelden"))
        .header(header::ORIGIN, "https://localhost")
        .header("sec-fetch-site", "same-site")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("__Host-sm_session={session}"))
        .body(Body::from(format!("_csrf={csrf}")))
        .expect("req");
    let (status, ..) = f.send(req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_manage_accounts_with_every_change_logged_and_text_escaped() {
    let f = Fixture::new();
    let (cookie, csrf) = f.session(Role::Admin);
    let xss = "<script>alert(1)</script>";
    let (status, _, html) = f
        .post_form(
            "/arbeitsbereich/konten",
            Some(&cookie),
            &[
                ("_csrf", &csrf),
                ("login", "berta"),
                ("name", xss),
                ("rolle", "provider"),
                ("fachbereich", "Sozialamt"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(!html.contains(xss) && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let initial = html
        .split("<code>")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .expect("initial password shown once")
        .to_string();
    // A provider needs a department.
    let (status, ..) = f
        .post_form(
            "/arbeitsbereich/konten",
            Some(&cookie),
            &[
                ("_csrf", &csrf),
                ("login", "carl"),
                ("name", "Carl"),
                ("rolle", "provider"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The first login must change the password before anything else.
    let berta = f.login("berta", &initial).await.expect("login");
    let (status, headers, _) = f.get("/arbeitsbereich", Some(&berta)).await;
    assert_eq!(
        (status, location(&headers).as_str()),
        (StatusCode::SEE_OTHER, "/arbeitsbereich/passwort")
    );
    // The admin disables her: her session ends at once.
    let (status, ..) = f
        .post_form(
            "/arbeitsbereich/konten/berta",
            Some(&cookie),
            &[("_csrf", &csrf), ("aktion", "sperren")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        f.get("/arbeitsbereich/passwort", Some(&berta)).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        f.login("berta", &initial).await,
        Err(StatusCode::UNAUTHORIZED)
    );
    // The only admin can neither lock nor demote itself.
    let (status, ..) = f
        .post_form(
            "/arbeitsbereich/konten/admin",
            Some(&cookie),
            &[("_csrf", &csrf), ("aktion", "sperren")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, ..) = f
        .post_form(
            "/arbeitsbereich/konten/admin",
            Some(&cookie),
            &[("_csrf", &csrf), ("aktion", "rolle"), ("rolle", "viewer")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Audit log: page and CSV, escaped and formula-safe.
    let (status, _, html) = f
        .get("/arbeitsbereich/protokoll?aktion=account.", Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("account.disable") && html.contains("account.create"));
    assert!(!html.contains("login.failed"));
    let (status, headers, csv) = f
        .get("/arbeitsbereich/protokoll.csv?wer=admin", Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    assert!(
        csv.contains("account.create;berta;;provider (Sozialamt)"),
        "{csv}"
    );
    let (_, _, html) = f
        .get(
            &format!("/arbeitsbereich/protokoll?wer={}", crate::pages::qv(xss)),
            Some(&cookie),
        )
        .await;
    assert!(!html.contains(xss));
}

/// The real long CSV of the Bundesagentur (734 rows), and the same with one bad value.
fn ba_file() -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/demo/ba/arbeitslose-kreise-sachsen-sachsen-anhalt-2012-2025.csv"),
    )
    .expect("demo file")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_previewed_with_its_errors_then_committed_once() {
    use sozialmonitor_store::AccountChange;
    let f = Fixture::new();
    import_catalogue(&f);
    // The youth office may not deliver the Jobcenter's unemployment figures.
    let (youth, youth_csrf) = f.session(Role::Provider);
    let (_, headers, _) = f
        .upload(&youth, &youth_csrf, &[("ba.csv", &ba_file())])
        .await;
    let (_, _, html) = f.get(&location(&headers), Some(&youth)).await;
    assert!(
        html.contains("gehört zu keinem Katalogeintrag Ihres Fachbereichs"),
        "{html}"
    );
    assert!(!html.contains(r#"value="uebernehmen""#), "{html}");
    // Not even a hand-made commit imports it.
    let before_forced = sozialmonitor_store::transfer::export_text(&f.db()).expect("export");
    let (status, _, html) = f
        .post_form(
            &location(&headers),
            Some(&youth),
            &[
                ("_csrf", &youth_csrf),
                ("entscheidung", "uebernehmen"),
                ("auslassen", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("nicht übernommen"), "{html}");
    assert_eq!(
        sozialmonitor_store::transfer::export_text(&f.db()).expect("export"),
        before_forced
    );
    let mut db = f.db();
    let (p, _) = db.account("provider").expect("r").expect("there");
    db.change_account(
        p.id,
        &AccountChange::Role(Role::Provider, Some("Jobcenter".into())),
        &AuditEvent::new(0, "test", "account.role", "provider"),
    )
    .expect("department");
    let (cookie, csrf) = f.session(Role::Provider);
    let good = ba_file();
    let text = String::from_utf8(good.clone()).expect("utf-8");
    let bad: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 2 {
                l.replacen(";6258;", ";62x8<b>;", 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(bad.contains("62x8"), "the third line is the one with 6258");
    let (other, other_csrf) = f.session(Role::Planner);
    let before = sozialmonitor_store::transfer::export_text(&f.db()).expect("export");
    let (status, headers, _) = f
        .upload(&cookie, &csrf, &[("ba.csv", bad.as_bytes())])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let preview = location(&headers);
    let (status, _, html) = f.get(&preview, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    // The error with its line and column, the line's text beside it, escaped, the field marked.
    assert!(
        html.contains("<td class=\"num\">3</td><td class=\"num\">4</td>"),
        "{html}"
    );
    assert!(
        html.contains("<mark class=\"bad\">62x8&lt;b&gt;</mark>"),
        "{html}"
    );
    // Said in German, as the planners read it (the command line says it in English).
    assert!(
        html.contains("„62x8&lt;b&gt;“ ist weder eine Zahl noch ein statistisches Zeichen"),
        "{html}"
    );
    // A data provider sees which rows are bad, not what is stored: "unchanged" would tell
    // a stored (perhaps withheld) value to whoever uploads a guess.
    assert!(
        html.contains("<dt>Fehlerhafte Zeilen</dt><dd>1</dd>"),
        "{html}"
    );
    assert!(
        !html.contains("Neue Werte") && !html.contains("Unveränderte"),
        "{html}"
    );
    // The preview changed nothing.
    assert_eq!(
        sozialmonitor_store::transfer::export_text(&f.db()).expect("export"),
        before
    );
    // Another account cannot see or decide this delivery.
    assert_eq!(f.get(&preview, Some(&other)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        f.post_form(
            &preview,
            Some(&other),
            &[("_csrf", &other_csrf), ("entscheidung", "uebernehmen")]
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    // Committing a file with bad rows needs the explicit choice to leave them out.
    let (status, _, html) = f
        .post_form(
            &preview,
            Some(&cookie),
            &[("_csrf", &csrf), ("entscheidung", "uebernehmen")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("fehlerhaften Zeilen auszulassen"), "{html}");
    assert_eq!(
        sozialmonitor_store::transfer::export_text(&f.db()).expect("export"),
        before
    );
    // Discard it, upload the real file, commit.
    let (status, ..) = f
        .post_form(
            &preview,
            Some(&cookie),
            &[("_csrf", &csrf), ("entscheidung", "verwerfen")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        sozialmonitor_store::transfer::export_text(&f.db()).expect("export"),
        before
    );
    // A planner sees what the file would change.
    let (_, headers, _) = f.upload(&other, &other_csrf, &[("ba.csv", &good)]).await;
    let (_, _, html) = f.get(&location(&headers), Some(&other)).await;
    assert!(html.contains("<dt>Neue Werte</dt><dd>734</dd>"), "{html}");
    let (_, headers, _) = f
        .upload(&cookie, &csrf, &[("ba.csv.gz", &gzip(&good))])
        .await;
    let preview = location(&headers);
    let (_, _, html) = f.get(&preview, Some(&cookie)).await;
    assert!(
        html.contains("<dt>Zeilen gelesen</dt><dd>734</dd>"),
        "{html}"
    );
    let (status, headers, _) = f
        .post_form(
            &preview,
            Some(&cookie),
            &[("_csrf", &csrf), ("entscheidung", "uebernehmen")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Batch 1 is the catalogue.
    assert_eq!(location(&headers), "/arbeitsbereich/importe?uebernommen=2");
    // A second decision on the same delivery finds nothing.
    assert_eq!(
        f.post_form(
            &preview,
            Some(&cookie),
            &[("_csrf", &csrf), ("entscheidung", "uebernehmen")]
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let db = f.db();
    let batches = sozialmonitor_store::Store::imports(&db).expect("imports");
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[1].rows_read, 734);
    let events = db
        .audit_events(&AuditFilter {
            action_prefix: Some("import.".into()),
            ..AuditFilter::default()
        })
        .expect("audit");
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].actor.as_str(), events[0].object.as_str()),
        ("provider", "ba.csv.gz")
    );
    assert_eq!(
        events[0].new_value.as_deref(),
        Some("batch=2 stored=734 revised=0 unchanged=0 skipped=0")
    );
    // The planner sees it in the history, and undoes it (after confirming).
    let (status, _, html) = f.get("/arbeitsbereich/importe", Some(&other)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("ba.csv.gz") && html.contains("/arbeitsbereich/importe/2/zuruecknehmen"));
    let undo = "/arbeitsbereich/importe/2/zuruecknehmen";
    let (status, ..) = f
        .post_form(undo, Some(&other), &[("_csrf", &other_csrf)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, headers, _) = f
        .post_form(
            undo,
            Some(&other),
            &[("_csrf", &other_csrf), ("bestaetigt", "1")],
        )
        .await;
    assert_eq!(
        (status, location(&headers).as_str()),
        (
            StatusCode::SEE_OTHER,
            "/arbeitsbereich/importe?zurueckgenommen=3"
        )
    );
    let q = sozialmonitor_store::ObservationQuery {
        measures: vec!["BA-ALO:Arbeitslose".into()],
        ..Default::default()
    };
    assert!(
        sozialmonitor_store::Store::query(&f.db(), &q)
            .expect("query")
            .is_empty()
    );
    let (status, ..) = f
        .post_form(
            undo,
            Some(&other),
            &[("_csrf", &other_csrf), ("bestaetigt", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Every value the Kreis had, with the file it came from and the batch that replaced it.
    let (status, _, html) = f
        .get(
            "/arbeitsbereich/revisionen?merkmal=BA-ALO%3AArbeitslose&gebiet=14522",
            Some(&other),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Nr. 2 ba.csv.gz") && html.contains("ersetzt durch Nr. 3"),
        "{html}"
    );
    let undone = f
        .db()
        .audit_events(&AuditFilter {
            action_prefix: Some("import.undo".into()),
            ..AuditFilter::default()
        })
        .expect("audit");
    assert_eq!(undone.len(), 1);
    assert_eq!(undone[0].actor, "planner");
}

fn gzip(b: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(b).expect("gzip");
    z.finish().expect("gzip")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_beyond_the_limit_are_refused_and_larger_than_two_megabytes_pass() {
    let f = Fixture::with(Settings {
        max_upload_bytes: 3 << 20,
        ..Settings::default()
    });
    let (cookie, csrf) = f.session(Role::Planner);
    // 2.5 MB: beyond axum's default body limit, within ours.
    let mut big = ba_file();
    while big.len() < (5 << 20) / 2 {
        big.extend_from_slice(&ba_file()[..]);
    }
    let (status, _, html) = f.upload(&cookie, &csrf, &[("gross.csv", &big)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let mut huge = big.clone();
    huge.extend_from_slice(&big);
    let (status, _, html) = f.upload(&cookie, &csrf, &[("zu-gross.csv", &huge)]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(html.contains("größer als 3 MB"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_for_one_account_are_refused_unchecked() {
    let f = Arc::new(Fixture::new());
    let attempts: Vec<_> = (0..24)
        .map(|_| {
            let f = Arc::clone(&f);
            tokio::spawn(async move { f.login("planner", PASSWORD).await })
        })
        .collect();
    let mut ok = 0;
    for a in attempts {
        if a.await.expect("join").is_ok() {
            ok += 1;
        }
    }
    // One password check per account at a time: the others were turned away, not checked.
    assert!(
        (1..24).contains(&ok),
        "{ok} of 24 parallel sign-ins were checked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_current_passwords_count_and_a_lock_does_not_grow_while_it_lasts() {
    let f = Fixture::new();
    let cookie = f.login("viewer", PASSWORD).await.expect("login");
    let (_, _, html) = f.get("/arbeitsbereich/passwort", Some(&cookie)).await;
    let csrf = hidden(&html, "_csrf").expect("csrf");
    for _ in 0..5 {
        let (status, ..) = f
            .post_form(
                "/arbeitsbereich/passwort",
                Some(&cookie),
                &[
                    ("_csrf", &csrf),
                    ("current", "geraten geraten"),
                    ("new", "Ein ganz neues Passwort"),
                    ("repeat", "Ein ganz neues Passwort"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (a, _) = f.db().account("viewer").expect("r").expect("there");
    assert_eq!(a.failed_logins, 5);
    let until = a.locked_until;
    assert!(until > f.clock.load(Ordering::Relaxed));
    // Locked: more attempts neither count nor extend the lock.
    for _ in 0..3 {
        assert!(f.login("viewer", "falsch falsch falsch").await.is_err());
    }
    let (a, _) = f.db().account("viewer").expect("r").expect("there");
    assert_eq!((a.failed_logins, a.locked_until), (5, until));
    let failed = f
        .db()
        .audit_events(&AuditFilter {
            action_prefix: Some("password.change_failed".into()),
            ..AuditFilter::default()
        })
        .expect("audit");
    assert_eq!(failed.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commentary_is_previewed_escaped_saved_in_versions_and_logged() {
    let f = Fixture::new();
    let (cookie, csrf) = f.session(Role::Planner);
    let (status, _, html) = f.get("/arbeitsbereich/bericht", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("/arbeitsbereich/bericht/kapitel/zusammenfassung"),
        "{html}"
    );
    let text = "Die Lage ist **stabil**.\n\n<script>alert(1)</script>\n\nEin [Link](javascript:alert(1)) und [einer](https://www.statistik.sachsen.de/).";
    let path = "/arbeitsbereich/bericht/kapitel/zusammenfassung";
    let (status, _, html) = f
        .post_form(
            path,
            Some(&cookie),
            &[("_csrf", &csrf), ("text", text), ("aktion", "vorschau")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The preview renders Markdown, shows HTML as text and drops script links.
    assert!(html.contains("<strong>stabil</strong>"), "{html}");
    assert!(
        !html.contains("<script>alert") && !html.contains("href=\"javascript:"),
        "{html}"
    );
    assert!(
        html.contains(r##"<a href="#">Link</a>"##)
            && html.contains(r#"<a href="https://www.statistik.sachsen.de/">einer</a>"#),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;"), "{html}");
    let md = crate::writing::markdown_html("<anna@example.de> ![Bild](https://example.de/x.png)");
    assert!(
        md.contains(r#"href="mailto:anna@example.de""#) && !md.contains("<img"),
        "{md}"
    );
    // Not saved by a preview.
    assert!(f.db().commentary("14522").expect("c").is_empty());
    for body in ["Erste Fassung", "Zweite Fassung"] {
        let (status, ..) = f
            .post_form(
                path,
                Some(&cookie),
                &[("_csrf", &csrf), ("text", body), ("aktion", "speichern")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    let (_, _, html) = f.get(path, Some(&cookie)).await;
    assert!(
        html.contains(">Zweite Fassung</textarea>") && html.contains("<p>Zweite Fassung</p>"),
        "{html}"
    );
    assert_eq!(
        f.db()
            .commentary_versions("14522", "zusammenfassung")
            .expect("v")
            .len(),
        2
    );
    let events = f
        .db()
        .audit_events(&AuditFilter {
            action_prefix: Some("commentary.".into()),
            ..AuditFilter::default()
        })
        .expect("audit");
    assert_eq!(events.len(), 2);
    assert_eq!(
        (
            events[0].old_value.as_deref(),
            events[0].new_value.as_deref()
        ),
        (Some("Erste Fassung"), Some("Zweite Fassung"))
    );
    // A viewer reads, but has no editor; a chapter the report has not is 404.
    let (viewer, _) = f.session(Role::Viewer);
    let (status, _, html) = f.get(path, Some(&viewer)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<textarea"), "{html}");
    assert_eq!(
        f.get(
            "/arbeitsbereich/bericht/kapitel/gibt-es-nicht",
            Some(&cookie)
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_gaps_are_listed_with_owner_and_plan() {
    let f = Fixture::new();
    import_catalogue(&f);
    let entries = sozialmonitor_store::Store::indicators(&f.db()).expect("entries");
    let gap = entries
        .iter()
        .find(|e| e.status != sozialmonitor_core::IndicatorStatus::Available)
        .expect("the catalogue names data gaps");
    let (cookie, _) = f.session(Role::Provider);
    let (status, _, html) = f.get("/arbeitsbereich/datenluecken", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&sozialmonitor_viz::esc(&gap.name)), "{html}");
    assert!(
        html.contains(&sozialmonitor_viz::esc(&gap.how_to_collect)),
        "{html}"
    );
    assert!(html.contains("teilweise verfügbar"), "{html}");
}

/// Imports a file into the fixture's database.
fn import_file(f: &Fixture, path: &std::path::Path) {
    let src = sozialmonitor_import::Source::read(path).expect("file");
    let ds = sozialmonitor_import::read(&src, None);
    sozialmonitor_store::Store::import(
        &mut f.db(),
        &sozialmonitor_store::ImportSource {
            file_name: src.name.clone(),
            sha256: src.sha256.clone(),
        },
        &ds,
        sozialmonitor_store::ImportOptions::default(),
    )
    .expect("import");
}

/// Imports the repository's catalogue into the fixture's database.
fn import_catalogue(f: &Fixture) {
    import_file(
        f,
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog/indikatoren.toml"),
    );
}

/// Imports a real file of the demo data into the fixture's database.
fn import_demo(f: &Fixture, rel: &str) {
    import_file(
        f,
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/demo")
            .join(rel),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_values_mark_what_the_public_does_not_see() {
    use sozialmonitor_core::engine::Cell;
    use sozialmonitor_store::{ResultRow, Results, Store, Territory};
    let f = Fixture::new();
    import_demo(&f, "registers/GV100AD_301123.txt.gz");
    import_catalogue(&f);
    let mut db = f.db();
    let key = db.indicators().expect("entries")[0].key.clone();
    let row = |region: &str, cell, suppressed| ResultRow {
        indicator: key.clone(),
        region: region.into(),
        year: 2023,
        cell,
        incomplete: false,
        suppressed,
        equivalent: false,
    };
    let version = db.data_version().expect("version");
    db.save_results(&Results {
        territory: Territory::Today,
        years: (2000, 2024),
        data_version: version,
        rows: vec![
            row("14522", Cell::Num(296_431.0), false),
            row("14522010", Cell::Num(7.0), true),
        ],
    })
    .expect("results");
    let path = format!("/arbeitsbereich/werte?indikator={key}&jahr=2023");
    let (viewer, _) = f.session(Role::Viewer);
    let (status, _, html) = f.get(&path, Some(&viewer)).await;
    assert_eq!(status, StatusCode::OK);
    // The internal number is there for the team, marked as withheld from the public.
    assert!(html.contains("Altmittweida"), "{html}");
    let row = html
        .split("<tr>")
        .find(|r| r.contains("14522010"))
        .expect("the municipality's row");
    assert!(
        (row.contains(">7</td>") || row.contains(">7,0</td>")) && row.contains("gesperrt"),
        "{row}"
    );
    assert!(html.contains("1 von"), "{html}");
    // A data provider may not read internal values.
    let (provider, _) = f.session(Role::Provider);
    assert_eq!(f.get(&path, Some(&provider)).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_downloads_the_template_of_its_own_entries_only() {
    use sozialmonitor_store::{AccountChange, Store};
    let f = Fixture::new();
    import_demo(&f, "registers/GV100AD_301123.txt.gz");
    import_catalogue(&f);
    let mut db = f.db();
    let entries = db.indicators().expect("entries");
    let own = entries
        .iter()
        .find(|e| e.owner == "Gesundheitsamt")
        .expect("an entry of the health office");
    let other = entries
        .iter()
        .find(|e| e.owner == "Sozialamt")
        .expect("an entry of the social office");
    let (provider, _) = db.account("provider").expect("r").expect("there");
    db.change_account(
        provider.id,
        &AccountChange::Role(Role::Provider, Some("Gesundheitsamt".into())),
        &AuditEvent::new(0, "test", "account.role", "provider"),
    )
    .expect("department");
    let (cookie, _) = f.session(Role::Provider);
    let (_, _, html) = f.get("/arbeitsbereich/lieferung", Some(&cookie)).await;
    assert!(html.contains(&format!(r#"value="{}""#, own.key)), "{html}");
    assert!(
        !html.contains(&format!(r#"value="{}""#, other.key)),
        "{html}"
    );
    let (status, headers, csv) = f
        .get(
            &format!("/arbeitsbereich/vorlage?indikator={}", own.key),
            Some(&cookie),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "region;measure;period;value;breakdown;unit;kind;label"
    );
    // The district and its 52 municipalities of 2023, for each measure of the formula that no
    // official statistic in the store supplies (the register's population is not asked for).
    let asked: std::collections::BTreeSet<&str> = lines[1..]
        .iter()
        .filter_map(|l| l.split(';').nth(1))
        .collect();
    assert!(
        asked.contains("BTT001") && !asked.contains("GV100_BEV"),
        "{asked:?}"
    );
    assert_eq!(lines.len() - 1, 53 * asked.len(), "{csv}");
    assert!(lines[1].starts_with("14522;BTT001;2025;;"), "{}", lines[1]);
    let (status, ..) = f
        .get(
            &format!("/arbeitsbereich/vorlage?indikator={}", other.key),
            Some(&cookie),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The department's deliveries: never delivered yet, its own only.
    let (status, _, html) = f.get("/arbeitsbereich/lieferungen", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let row = html
        .split("<tr>")
        .find(|r| r.contains("<code>BTT001</code>"))
        .expect("the hospital beds row");
    assert!(
        row.contains("Gesundheitsamt")
            && row.contains("noch nie geliefert")
            && row.contains(">2025<"),
        "{row}"
    );
    assert!(!html.contains("<td>Sozialamt</td>"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalogue_is_edited_by_its_rules_versioned_and_exported_unchanged() {
    use sozialmonitor_store::Store;
    let f = Fixture::new();
    import_catalogue(&f);
    let before = f.db().indicators().expect("entries");
    let (cookie, csrf) = f.session(Role::Planner);
    // Export and read back by the importer: the same entries.
    let (status, _, toml) = f.get("/arbeitsbereich/katalog.toml", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let again = sozialmonitor_import::catalog::read("export.toml", &toml);
    assert!(!again.has_errors(), "{:?}", again.diagnostics.first());
    assert_eq!(again.catalog, before);
    let entry = before
        .iter()
        .find(|e| e.key == "anteil_65_plus")
        .expect("entry");
    let path = "/arbeitsbereich/katalog/anteil_65_plus";
    // The form carries the version of the entry it was opened with.
    let (_, _, form_html) = f.get(path, Some(&cookie)).await;
    let stand = hidden(&form_html, "stand").expect("the form's version");
    let mut fields: Vec<(&str, String)> = vec![
        ("_csrf", csrf.clone()),
        ("stand", stand.clone()),
        ("name", entry.name.clone()),
        ("short_name", entry.short_name.clone()),
        ("definition", "Neue Definition <b>mit</b> Zeichen.".into()),
        ("formula", "100 * (".into()),
        ("unit", entry.unit.clone()),
        ("action_field", entry.action_field.clone()),
        ("target_groups", entry.target_groups.join(", ")),
        ("owner", entry.owner.clone()),
        ("status", "available".into()),
        ("update_rhythm", entry.update_rhythm.clone()),
        ("source", entry.source.clone()),
        ("how_to_collect", entry.how_to_collect.clone()),
        ("aktion", "speichern".into()),
    ];
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = f.post_form(path, Some(&cookie), &refs).await;
    // A broken formula is refused with the importer's message; nothing is stored.
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("nicht gespeichert") && html.contains("Neue Definition &lt;b&gt;"),
        "{html}"
    );
    assert_eq!(f.db().indicators().expect("entries"), before);
    fields[5].1 = entry.formula.clone();
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, headers, _) = f.post_form(path, Some(&cookie), &refs).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location(&headers).ends_with("?gespeichert=1"));
    // A second form opened before that save does not silently undo it.
    let saved = f.db().indicators().expect("entries");
    fields[4].1 = "Eine ältere Fassung.".into();
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = f.post_form(path, Some(&cookie), &refs).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(
        html.contains("seit Sie dieses Formular geöffnet haben"),
        "{html}"
    );
    assert_eq!(f.db().indicators().expect("entries"), saved);
    let fresh = hidden(&html, "stand").expect("the stored version");
    assert_ne!(
        fresh, stand,
        "the refused form now carries the stored version"
    );
    let after = f.db().indicators().expect("entries");
    let changed = after
        .iter()
        .find(|e| e.key == "anteil_65_plus")
        .expect("entry");
    assert_eq!(changed.definition, "Neue Definition <b>mit</b> Zeichen.");
    // A form without the levels, publication and rule fields leaves them as they were.
    assert_eq!(
        (
            &changed.spatial_levels,
            changed.public,
            &changed.confidentiality
        ),
        (&entry.spatial_levels, entry.public, &entry.confidentiality)
    );
    assert_eq!(after.len(), before.len());
    // A new catalogue version, its old and new entry in the audit log.
    let events = f
        .db()
        .audit_events(&AuditFilter {
            action_prefix: Some("catalog.change".into()),
            ..AuditFilter::default()
        })
        .expect("audit");
    assert_eq!(events.len(), 1);
    assert!(
        events[0]
            .old_value
            .as_deref()
            .unwrap_or("")
            .contains(&entry.definition)
    );
    assert!(
        events[0]
            .new_value
            .as_deref()
            .unwrap_or("")
            .contains("Neue Definition")
    );
    assert_eq!(f.db().imports().expect("batches").len(), 2);
    // A department edits its own entries only, and their descriptions, not their formulas.
    let (provider, _) = f.session(Role::Provider);
    assert_eq!(f.get(path, Some(&provider)).await.0, StatusCode::FORBIDDEN);
    let mut db = f.db();
    let (p, _) = db.account("provider").expect("r").expect("there");
    db.change_account(
        p.id,
        &sozialmonitor_store::AccountChange::Role(Role::Provider, Some("Gesundheitsamt".into())),
        &AuditEvent::new(0, "test", "account.role", "provider"),
    )
    .expect("department");
    let own = after
        .iter()
        .find(|e| e.key == "krankenhausbetten_je_10000")
        .expect("entry");
    let (provider, provider_csrf) = f.session(Role::Provider);
    let own_path = "/arbeitsbereich/katalog/krankenhausbetten_je_10000";
    fields[0].1 = provider_csrf;
    // Without the form's version, as a script would post it.
    fields[1].1 = String::new();
    fields[2].1 = own.name.clone();
    fields[4].1 = "Vom Gesundheitsamt beschrieben.".into();
    fields[5].1 = "`ANDERES_MERKMAL`".into();
    fields[9].1 = "Sozialamt".into();
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = f.post_form(own_path, Some(&provider), &refs).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let saved = f.db().indicators().expect("entries");
    let saved = saved.iter().find(|e| e.key == own.key).expect("entry");
    assert_eq!(saved.definition, "Vom Gesundheitsamt beschrieben.");
    assert_eq!(
        (saved.formula.as_str(), saved.owner.as_str()),
        (own.formula.as_str(), "Gesundheitsamt")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_currency_page_says_how_far_behind_the_district_is_and_what_to_import() {
    use sozialmonitor_core::engine::Cell;
    use sozialmonitor_store::{ResultRow, Results, Store, Territory};
    let f = Fixture::new();
    import_demo(&f, "registers/GV100AD_301123.txt.gz");
    import_catalogue(&f);
    let mut db = f.db();
    let row = |region: &str, year| ResultRow {
        indicator: "bevoelkerung".into(),
        region: region.into(),
        year,
        cell: Cell::Num(1.0),
        incomplete: false,
        suppressed: false,
        equivalent: false,
    };
    let version = db.data_version().expect("version");
    // Mittelsachsen up to 2015, Anhalt-Bitterfeld up to 2025 (the clock says December 2026).
    db.save_results(&Results {
        territory: Territory::Today,
        years: (2000, 2025),
        data_version: version,
        rows: vec![row("14522", 2015), row("15082", 2025)],
    })
    .expect("results");
    drop(db);
    let line = |html: &str| -> String {
        html.split("<tr")
            .find(|r| r.contains(">Bevölkerung</th>") && r.contains("<td>Kreis</td>"))
            .expect("the population's Kreis line")
            .to_string()
    };
    let (viewer, _) = f.session(Role::Viewer);
    // Over every region the latest Kreis year is 2025: current.
    let (status, _, html) = f.get("/arbeitsbereich/aktualitaet", Some(&viewer)).await;
    assert_eq!(status, StatusCode::OK);
    let all = line(&html);
    assert!(
        all.contains(">2025</td>") && all.contains("aktuell"),
        "{all}"
    );
    // For Mittelsachsen: ten years behind, and the table to import is named.
    let path = "/arbeitsbereich/aktualitaet?gebiet=14522&nur=zurueck";
    let (_, _, html) = f.get(path, Some(&viewer)).await;
    let ms = line(&html);
    assert!(
        ms.contains(">2015</td>") && ms.contains("10 Jahre zurück"),
        "{ms}"
    );
    assert!(
        ms.contains("Fortschreibung des Bevölkerungsstandes"),
        "{ms}"
    );
    assert!(html.contains("<h2>Nachzuladen</h2>"), "{html}");
    assert!(html.contains("12411-01-01-5"), "{html}");
    assert!(
        html.contains(r#"<option value="14522" selected>Mittelsachsen"#),
        "{html}"
    );
    // With "only behind" no current line is listed.
    assert!(!html.contains(">aktuell</td>"), "{html}");
    // A region outside the district's choices is ignored, not read: every region is shown.
    let (_, _, html) = f
        .get("/arbeitsbereich/aktualitaet?gebiet=15082", Some(&viewer))
        .await;
    assert!(
        html.contains(r#"<option value="" selected>alle Gebiete"#),
        "{html}"
    );
    assert!(!html.contains("<option value=\"15082\""), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_entry_is_checked_stored_and_a_weaker_rule_needs_an_admin() {
    use sozialmonitor_store::Store;
    let f = Fixture::new();
    import_catalogue(&f);
    let count = || f.db().indicators().expect("entries").len();
    let before = count();
    let (cookie, csrf) = f.session(Role::Planner);
    let form = |csrf: &str, key: &str, rule: &str, action: &str| -> Vec<(String, String)> {
        [
            ("_csrf", csrf),
            ("key", key),
            ("name", "Anteil der Alleinerziehenden an den Familien"),
            ("short_name", "Alleinerziehende"),
            (
                "definition",
                "Familien mit einem Elternteil je 100 Familien mit Kindern.",
            ),
            ("formula", "100 * `ALLEINERZ_FAM` / `FAM_KINDER`"),
            ("unit", "%"),
            ("action_field", "Soziale Lage"),
            ("target_groups", "Kinder und Jugendliche, Familien"),
            ("owner", "Sozialplanung"),
            ("status", "missing"),
            ("update_rhythm", "jährlich"),
            ("source", "Jugendamt"),
            ("how_to_collect", "Auswertung der Unterhaltsvorschussakten."),
            ("gestaltung", "1"),
            ("ebene_kreis", "1"),
            ("ebene_gemeinde", "1"),
            ("public", "1"),
            ("confidentiality", rule),
            ("aktion", action),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let post = |path: &'static str, cookie: String, fields: Vec<(String, String)>| {
        let f = &f;
        async move {
            let refs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            f.post_form(path, Some(&cookie), &refs).await
        }
    };
    let new = "/arbeitsbereich/katalog-neu";
    let (status, _, html) = f.get(new, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"name="key""#) && html.contains("Geheimhaltung"),
        "{html}"
    );
    // A planner may not weaken the rule: small counts would be published.
    let key = "anteil_alleinerziehende";
    let (status, _, html) = post(new, cookie.clone(), form(&csrf, key, "none", "speichern")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("nur die Administration"), "{html}");
    // A rule that does not parse, and a key the catalogue refuses, come back with the reason.
    let (status, _, html) = post(
        new,
        cookie.clone(),
        form(&csrf, key, "dominanz", "speichern"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("Geheimhaltung: „dominanz“ ist keine Regel"),
        "{html}"
    );
    let (status, _, html) = post(
        new,
        cookie.clone(),
        form(&csrf, "Anteil-Ä", "", "speichern"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains(
            "„Anteil-Ä“ darf nur Kleinbuchstaben a–z (ohne Umlaute), Ziffern und `_` enthalten"
        ),
        "{html}"
    );
    // "Prüfen" stores nothing.
    let (status, _, html) = post(
        new,
        cookie.clone(),
        form(&csrf, key, "min_count=5", "pruefen"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("in Ordnung"), "{html}");
    assert_eq!(count(), before);
    // Saved: a new entry with its levels, publication and rule, a new catalogue version.
    let (status, headers, html) = post(
        new,
        cookie.clone(),
        form(&csrf, key, "min_count=5", "speichern"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert!(
        location(&headers)
            .ends_with("/arbeitsbereich/katalog/anteil_alleinerziehende?gespeichert=1")
    );
    assert_eq!(count(), before + 1);
    let entries = f.db().indicators().expect("entries");
    let e = entries
        .iter()
        .find(|e| e.key == key)
        .expect("the new entry");
    assert_eq!(e.spatial_levels, ["kreis", "gemeinde"]);
    assert_eq!(
        (e.public, e.confidentiality.as_str()),
        (true, "min_count=5")
    );
    assert_eq!(e.status, sozialmonitor_core::IndicatorStatus::Missing);
    assert_eq!(e.target_groups, ["Kinder und Jugendliche", "Familien"]);
    // The same key again is refused.
    let (status, _, html) = post(new, cookie.clone(), form(&csrf, key, "", "speichern")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert_eq!(count(), before + 1);
    // An admin may publish without the rule (e.g. a rate, not a count); off the public site too.
    let (admin, admin_csrf) = f.session(Role::Admin);
    let mut fields = form(&admin_csrf, key, "none", "speichern");
    fields.retain(|(k, _)| k != "key" && k != "public");
    let (status, _, html) = post(
        "/arbeitsbereich/katalog/anteil_alleinerziehende",
        admin,
        fields,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let entries = f.db().indicators().expect("entries");
    let e = entries.iter().find(|e| e.key == key).expect("entry");
    assert_eq!((e.public, e.confidentiality.as_str()), (false, "none"));
    // A department creates no entries.
    let (provider, _) = f.session(Role::Provider);
    assert_eq!(f.get(new, Some(&provider)).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalogue_file_that_weakens_a_rule_is_refused_to_a_planner() {
    use sozialmonitor_store::Store;
    let f = Fixture::new();
    import_catalogue(&f);
    let mut entries = f.db().indicators().expect("entries");
    let e = entries
        .iter_mut()
        .find(|e| e.key == "anteil_65_plus")
        .expect("entry");
    assert!(e.confidentiality.is_empty() || e.confidentiality == "min_count=3");
    e.confidentiality = "none".into();
    let file = crate::catalogue::to_toml(std::slice::from_ref(e)).expect("toml");
    let (planner, planner_csrf) = f.session(Role::Planner);
    let before = sozialmonitor_store::transfer::export_text(&f.db()).expect("export");
    let (status, headers, _) = f
        .upload(
            &planner,
            &planner_csrf,
            &[("katalog.toml", file.as_bytes())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = f.get(&location(&headers), Some(&planner)).await;
    assert!(
        html.contains("schwächere Geheimhaltung als min_count=3 für: anteil_65_plus"),
        "{html}"
    );
    assert!(!html.contains(r#"value="uebernehmen""#), "{html}");
    assert_eq!(
        sozialmonitor_store::transfer::export_text(&f.db()).expect("export"),
        before
    );
    // An admin may: the preview offers to commit it.
    let (admin, admin_csrf) = f.session(Role::Admin);
    let (_, headers, _) = f
        .upload(&admin, &admin_csrf, &[("katalog.toml", file.as_bytes())])
        .await;
    let (_, _, html) = f.get(&location(&headers), Some(&admin)).await;
    assert!(html.contains(r#"value="uebernehmen""#), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_formula_is_checked_in_german_while_typed_and_its_values_previewed() {
    let f = Fixture::new();
    import_demo(&f, "registers/GV100AD_301123.txt.gz");
    import_catalogue(&f);
    let (cookie, csrf) = f.session(Role::Planner);
    let check = |q: &str| {
        let path = format!("/arbeitsbereich/formel-pruefen?{q}");
        let cookie = cookie.clone();
        let f = &f;
        async move { f.get(&path, Some(&cookie)).await }
    };
    // A formula that ends too early: said in German, the place marked.
    let (status, _, html) = check("formula=100+*+&unit=%25").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("an Stelle 6 fehlerhaft: die Formel endet zu früh"),
        "{html}"
    );
    assert!(html.contains("<mark>&nbsp;</mark>"), "{html}");
    // A good one: its measure, and the district's and its municipalities' values.
    let (_, _, html) = check("formula=%60GV100_BEV%60+%2F+1000&unit=Tsd.&public=1").await;
    assert!(
        html.contains("Die Formel ist in Ordnung. Sie liest <code>GV100_BEV</code>"),
        "{html}"
    );
    assert!(
        html.contains("Mittelsachsen") && html.contains("Altmittweida"),
        "{html}"
    );
    assert!(html.contains("… und 42 weitere Gemeinden"), "{html}");
    let kreis_row = html
        .split("<tr>")
        .find(|r| r.contains(">Mittelsachsen<"))
        .expect("the district's row");
    assert!(kreis_row.contains(">300,6</td>"), "{kreis_row}");
    assert!(!html.contains("gesperrt</span>"), "{html}");
    // The same values for an entry the public does not see: every one withheld.
    let (_, _, html) = check("formula=%60GV100_BEV%60+%2F+1000&unit=Tsd.").await;
    assert!(html.contains("gesperrt</span>"), "{html}");
    // A measure the database does not hold.
    let (_, _, html) = check("formula=%60GIBT_ES_NICHT%60").await;
    assert!(
        html.contains("Ohne Werte in der Datenbank: <code>GIBT_ES_NICHT</code>")
            && html.contains("noch keine Werte"),
        "{html}"
    );
    // Without script, "Prüfen" shows the same check in the form, and a broken formula is
    // refused in German before anything is stored.
    let fields = |formula: &'static str, aktion: &'static str| {
        vec![
            ("_csrf", csrf.as_str()),
            ("key", "bev_tsd"),
            ("name", "Bevölkerung in Tausend"),
            ("formula", formula),
            ("unit", "Tsd."),
            ("status", "available"),
            ("aktion", aktion),
        ]
    };
    let new = "/arbeitsbereich/katalog-neu";
    let (status, _, html) = f
        .post_form(
            new,
            Some(&cookie),
            &fields("(`GV100_BEV` / 1000", "speichern"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Formel: hier fehlt „)“ (an Stelle 20)") && !html.contains("formula error"),
        "{html}"
    );
    let (status, _, html) = f
        .post_form(new, Some(&cookie), &fields("`GV100_BEV` / 1000", "pruefen"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"id="formel-pruefung""#) && html.contains("Vorschau "),
        "{html}"
    );
    // A department neither sees the formula field nor reaches the check.
    let (provider, _) = f.session(Role::Provider);
    let (status, ..) = f
        .get("/arbeitsbereich/formel-pruefen?formula=1", Some(&provider))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recommendation_is_decided_and_a_measure_evaluated_against_the_data() {
    use sozialmonitor_core::engine::Cell;
    use sozialmonitor_core::planning::{MilestoneKind, Status};
    use sozialmonitor_store::{Cycle, Milestone, Planning, ResultRow, Results, Store, Territory};
    let f = Fixture::new();
    import_demo(&f, "registers/GV100AD_301123.txt.gz");
    import_catalogue(&f);
    let mut db = f.db();
    let ev = AuditEvent::new(1, "test", "plan.cycle.create", "14522");
    let cycle = db
        .save_cycle(
            &Cycle {
                id: 0,
                kreis: "14522".into(),
                title: "Zyklus <Test>".into(),
                first_year: 2024,
                last_year: 2026,
                note: "Notiz".into(),
                source: "Test".into(),
            },
            &ev,
        )
        .expect("cycle");
    db.save_milestone(
        &Milestone {
            id: 0,
            cycle_id: cycle,
            kind: MilestoneKind::Event,
            title: "DIALOG Mittelsachsen Sozial".into(),
            date_from: "2025-04".into(),
            date_to: String::new(),
            status: Status::Done,
            responsible: "Sozialplanung".into(),
            documents: String::new(),
            source: "Rückblick 2025".into(),
            example: false,
        },
        &ev,
    )
    .expect("milestone");
    // The share of people 65+ in the district, as the results cache holds it (internal).
    let results = |years: &[(u16, f64)]| Results {
        territory: Territory::Today,
        years: (2000, 2025),
        data_version: 1,
        rows: years
            .iter()
            .map(|(y, v)| ResultRow {
                indicator: "anteil_65_plus".into(),
                region: "14522".into(),
                year: *y,
                cell: Cell::Num(*v),
                incomplete: false,
                suppressed: false,
                equivalent: false,
            })
            .collect(),
    };
    db.save_results(&results(&[(2021, 30.1), (2022, 30.5)]))
        .expect("results");
    let (viewer, _) = f.session(Role::Viewer);
    let (status, _, html) = f.get("/arbeitsbereich/planung", Some(&viewer)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Zyklus &lt;Test&gt;") && html.contains("April 2025"),
        "{html}"
    );
    assert!(
        !html.contains("Empfehlung hinzufügen"),
        "a viewer changes nothing"
    );
    let (cookie, csrf) = f.session(Role::Planner);
    let cycle_s = cycle.to_string();
    let (status, headers, _) = f
        .post_form(
            "/arbeitsbereich/planung/empfehlung",
            Some(&cookie),
            &[
                ("_csrf", &csrf),
                ("zyklus", &cycle_s),
                ("titel", "Seniorenpolitische Strategie <script>x</script>"),
                ("handlungsfeld", "Senior:innen"),
                ("indikator", "anteil_65_plus"),
                ("gremium", "Kreistag"),
                ("oeffentlich", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location(&headers).contains("gespeichert=1"));
    let rec = db.recommendations(cycle).expect("list");
    assert_eq!(rec.len(), 1);
    let rec_id = rec[0].id.to_string();
    let (status, ..) = f
        .post_form(
            &format!("/arbeitsbereich/planung/empfehlung/{rec_id}/beschluss"),
            Some(&cookie),
            &[
                ("_csrf", &csrf),
                ("gremium", "Kreistag Mittelsachsen"),
                ("datum", "2026-09-24"),
                ("nummer", "BV 12/2026"),
                ("ergebnis", "angenommen"),
                ("stand", "laufend"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Edited afterwards: an unknown indicator and a stale form are refused; the decision stays.
    let edit_url = format!("/arbeitsbereich/planung/empfehlung/{rec_id}");
    let edit = |indicator: &'static str, version: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            (
                "titel",
                "Seniorenpolitische Strategie <script>x</script> (überarbeitet)".to_string(),
            ),
            ("handlungsfeld", "Senior:innen".to_string()),
            ("befunde", "nur intern".to_string()),
            ("indikator", indicator.to_string()),
            ("fassung", version.to_string()),
        ]
    };
    for (fields, expected) in [
        (edit("gibt_es_nicht", ""), StatusCode::UNPROCESSABLE_ENTITY),
        (edit("anteil_65_plus", "0000"), StatusCode::CONFLICT),
        (edit("anteil_65_plus", ""), StatusCode::SEE_OTHER),
    ] {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, ..) = f.post_form(&edit_url, Some(&cookie), &refs).await;
        assert_eq!(status, expected);
    }
    let edited = &db.recommendations(cycle).expect("list")[0];
    assert_eq!(
        (
            edited.title.as_str(),
            edited.public,
            edited.outcome.as_str()
        ),
        (
            "Seniorenpolitische Strategie <script>x</script> (überarbeitet)",
            false,
            "angenommen"
        )
    );
    assert_eq!(edited.indicators, ["anteil_65_plus"]);
    // A measure with an aim: its baseline is the newest value, 30,5 in 2022.
    let measure = |target: &'static str, year: &'static str, dir: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("zyklus", cycle_s.clone()),
            ("titel", "Seniorenwegweiser".to_string()),
            ("empfehlung", rec_id.clone()),
            ("indikator", "anteil_65_plus".to_string()),
            ("zielwert", target.to_string()),
            ("zieljahr", year.to_string()),
            ("richtung", dir.to_string()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let cookie = cookie.clone();
        let f = &f;
        async move {
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            f.post_form("/arbeitsbereich/planung/massnahme", Some(&cookie), &refs)
                .await
        }
    };
    // A target on the wrong side of the baseline is refused with the reason.
    let (status, _, html) = post(measure("35", "2030", "sinken")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("nicht in der angegebenen Richtung"), "{html}");
    let (status, ..) = post(measure("28,5", "2026", "sinken")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let m = db.plan_measures(cycle).expect("measures");
    let aims = db.plan_aims(m[0].id).expect("aims");
    assert_eq!((aims[0].baseline, aims[0].baseline_year), (30.5, 2022));
    assert_eq!(m[0].recommendation_id, Some(rec[0].id));
    let page = || async { f.get("/arbeitsbereich/planung", Some(&cookie)).await.2 };
    let html = page().await;
    assert!(
        html.contains("Kreistag Mittelsachsen am 24.09.2026 (BV 12/2026): angenommen"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;") && !html.contains("<script>x"),
        "escaped: {html}"
    );
    assert!(html.contains("keine neuen Daten"), "{html}");
    // New data: 2024 at 29,0 is ahead of the straight path (30,5 → 28,5 over four years).
    db.save_results(&results(&[(2021, 30.1), (2022, 30.5), (2024, 29.0)]))
        .expect("results");
    let html = page().await;
    assert!(html.contains("progress-auf_kurs"), "{html}");
    assert!(
        html.contains("<svg") && html.contains("erwarteter Pfad"),
        "{html}"
    );
    // Moving away.
    db.save_results(&results(&[(2022, 30.5), (2024, 31.0)]))
        .expect("results");
    assert!(page().await.contains("entfernt sich vom Ziel"));
    // Each change is in the audit log.
    let events = f
        .db()
        .audit_events(&AuditFilter {
            action_prefix: Some("plan.".into()),
            ..AuditFilter::default()
        })
        .expect("audit");
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"plan.recommendation.decide") && actions.contains(&"plan.measure.create"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_measure_is_edited_compared_with_the_rest_of_the_district_and_exported() {
    use sozialmonitor_core::engine::Cell;
    use sozialmonitor_core::planning::{Direction, Status};
    use sozialmonitor_store::{
        Cycle, MeasureAim, PlanMeasure, Planning, ResultRow, Results, Store, Territory,
    };
    let f = Fixture::new();
    import_demo(&f, "registers/GV100AD_301123.txt.gz");
    import_catalogue(&f);
    let mut db = f.db();
    let ev = AuditEvent::new(1, "test", "plan.cycle.create", "14522");
    let cycle = db
        .save_cycle(
            &Cycle {
                id: 0,
                kreis: "14522".into(),
                title: "Zyklus".into(),
                first_year: 2024,
                last_year: 2026,
                note: String::new(),
                source: String::new(),
            },
            &ev,
        )
        .expect("cycle");
    let aim = MeasureAim {
        id: 0,
        measure_id: 0,
        indicator: "anteil_65_plus".into(),
        region_key: "14522010".into(),
        baseline: 30.0,
        baseline_year: 2020,
        target: 28.0,
        target_year: 2030,
        direction: Direction::Decrease,
    };
    let id = db
        .save_plan_measure(
            &PlanMeasure {
                id: 0,
                cycle_id: cycle,
                recommendation_id: None,
                title: "Begegnungsort".into(),
                body: String::new(),
                owner: String::new(),
                partners: String::new(),
                period_from: String::new(),
                period_to: String::new(),
                budget: None,
                status: Status::Planned,
                target_groups: String::new(),
                municipalities: Vec::new(),
                notes: String::new(),
                public: false,
                source: "Test".into(),
                example: false,
            },
            &[aim],
            &ev,
        )
        .expect("measure");
    // Internal values of three municipalities: Altmittweida +2 from 2020 to 2024, the two
    // others +1 and 0.
    let row = |region: &str, year: u16, v: f64| ResultRow {
        indicator: "anteil_65_plus".into(),
        region: region.into(),
        year,
        cell: Cell::Num(v),
        incomplete: false,
        suppressed: false,
        equivalent: false,
    };
    db.save_results(&Results {
        territory: Territory::Today,
        years: (2000, 2025),
        data_version: 1,
        rows: vec![
            row("14522010", 2020, 30.0),
            row("14522010", 2024, 32.0),
            row("14522020", 2020, 25.0),
            row("14522020", 2024, 26.0),
            row("14522050", 2020, 27.0),
            row("14522050", 2024, 27.0),
        ],
    })
    .expect("results");
    let url = format!("/arbeitsbereich/planung/massnahme/{id}");
    let (viewer, _) = f.session(Role::Viewer);
    let (status, _, html) = f.get(&url, Some(&viewer)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Begegnungsort") && !html.contains("Maßnahme speichern"),
        "a viewer reads and changes nothing: {html}"
    );
    let (cookie, csrf) = f.session(Role::Planner);
    let edit = |extra: &[(&'static str, &'static str)]| {
        let mut fields = vec![
            ("_csrf", csrf.as_str()),
            ("titel", "Begegnungsort <b>"),
            ("stand", "laufend"),
            ("verantwortlich", "Sozialamt"),
            ("von", "2025"),
            ("bis", "2027"),
            ("notizen", "intern"),
        ];
        fields.extend_from_slice(extra);
        fields
    };
    // A municipality of another district, a budget that is no amount: refused, nothing saved.
    for bad in [
        [("gemeinde", "15082005"), ("budget", "")],
        [("gemeinde", "14522010"), ("budget", "viel")],
    ] {
        let (status, ..) = f.post_form(&url, Some(&cookie), &edit(&bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        db.plan_measures(cycle).expect("list")[0].status,
        Status::Planned
    );
    let fields = edit(&[
        ("budget", "12.500"),
        ("gemeinde", "14522010"),
        ("oeffentlich", "1"),
    ]);
    let (status, headers, _) = f.post_form(&url, Some(&cookie), &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("{url}?gespeichert=1"));
    let m = &db.plan_measures(cycle).expect("list")[0];
    assert_eq!(
        (m.status, m.budget, m.municipalities.clone(), m.public),
        (
            Status::Running,
            Some(12_500.0),
            vec!["14522010".to_string()],
            true
        )
    );
    // The aim is kept as it was.
    assert_eq!(db.plan_aims(id).expect("aims")[0].baseline, 30.0);
    // A form loaded before that save would undo it: refused.
    let mut stale = fields.clone();
    stale.push(("fassung", "0000"));
    let (status, ..) = f.post_form(&url, Some(&cookie), &stale).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, _, html) = f.get(&format!("{url}?gespeichert=1"), Some(&cookie)).await;
    assert!(html.contains("Begegnungsort &lt;b&gt;"), "{html}");
    assert!(
        html.contains("in der Gemeinde der Maßnahme +2,0, in den 2 übrigen Gemeinden des Kreises im Mittel +0,5 (Unterschied +1,5)"),
        "{html}"
    );
    // The CSV for spreadsheets: BOM, `;`, German numbers, the state of the aim.
    let (status, _, csv) = f
        .get("/arbeitsbereich/planung/massnahmen.csv", Some(&viewer))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.starts_with('\u{feff}'), "{csv}");
    let line = csv.lines().nth(1).expect("a row");
    for cell in [
        "Begegnungsort <b>",
        "läuft",
        "12.500,00",
        "14522010",
        "30,0",
        "28,0",
        "sinken",
    ] {
        assert!(line.contains(cell), "{cell} missing in {line}");
    }
    // The same as a workbook, numbers as numbers.
    let (status, bytes) = f
        .get_bytes("/arbeitsbereich/planung/massnahmen.xlsx", &viewer)
        .await;
    assert_eq!(status, StatusCode::OK);
    {
        use calamine::{Data, Reader};
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
        let sheet = book.worksheet_range("Maßnahmen").expect("sheet");
        assert_eq!(
            sheet.get((1, 2)),
            Some(&Data::String("Begegnungsort <b>".into()))
        );
        assert_eq!(sheet.get((1, 8)), Some(&Data::Float(12_500.0)));
        assert_eq!(sheet.get((1, 16)), Some(&Data::Float(30.0)));
    }
    // Unknown measure; each change in the audit log with before and after.
    assert_eq!(
        f.get("/arbeitsbereich/planung/massnahme/999", Some(&cookie))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let events = f
        .db()
        .audit_events(&AuditFilter {
            action_prefix: Some("plan.measure.update".into()),
            ..AuditFilter::default()
        })
        .expect("audit");
    assert_eq!(events.len(), 1);
    assert!(
        events[0]
            .old_value
            .as_deref()
            .is_some_and(|v| v.contains("geplant"))
            && events[0]
                .new_value
                .as_deref()
                .is_some_and(|v| v.contains("laufend")),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_cycle_with_its_timeline_decisions_and_priorities_is_kept_from_the_browser() {
    use sozialmonitor_store::Planning;
    let f = Fixture::new();
    import_catalogue(&f);
    let (cookie, csrf) = f.session(Role::Planner);
    let post = |url: String, fields: Vec<(&'static str, String)>| {
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        let f = &f;
        async move {
            let mut all = vec![("_csrf", csrf.as_str())];
            all.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
            f.post_form(&url, Some(&cookie), &all).await
        }
    };
    let at = |path: &str| format!("/arbeitsbereich/planung/{path}");
    let owned = |fields: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        fields.iter().map(|(k, v)| (*k, v.to_string())).collect()
    };
    let (_, _, html) = f.get("/arbeitsbereich/planung", Some(&cookie)).await;
    assert!(html.contains("Neuen Planungszyklus anlegen"), "{html}");
    // A cycle needs years in order.
    let cycle = |von: &str| {
        owned(&[
            ("titel", "Sozialplanung 2027–2031"),
            ("von", von),
            ("bis", "2031"),
        ])
    };
    let (status, ..) = post(at("zyklus"), cycle("2032")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, headers, _) = post(at("zyklus"), cycle("2027")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cycles = f.db().cycles("14522").expect("cycles");
    assert_eq!(cycles.len(), 1);
    let id = cycles[0].id.to_string();
    assert!(location(&headers).contains(&format!("zyklus={id}")));
    // The same title twice is refused.
    let (status, ..) = post(at("zyklus"), cycle("2027")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let id = id.as_str();
    let milestone = |von: &str| {
        owned(&[
            ("zyklus", id),
            ("art", "veranstaltung"),
            ("titel", "Seniorenforum <Nord>"),
            ("von", von),
            ("stand", "geplant"),
        ])
    };
    let (status, _, html) = post(at("zeitplan"), milestone("April 2027")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("„April 2027“ ist kein Datum"), "{html}");
    let (status, ..) = post(at("zeitplan"), milestone("2027-04")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, ..) = post(
        at("entscheidung"),
        owned(&[
            ("zyklus", id),
            ("frage", "Welches Thema zuerst?"),
            ("optionen", "Pflege\nWohnen"),
            ("entscheidet", "Kreistag"),
            ("bis", "2027-09"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, ..) = post(
        at("schwerpunkt"),
        owned(&[
            ("zyklus", id),
            ("handlungsfeld", "Senior:innen"),
            ("art", "schwerpunkt"),
            ("titel", "Teilhabe im Alter"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = f.get("/arbeitsbereich/planung", Some(&cookie)).await;
    assert!(
        html.contains("Seniorenforum &lt;Nord&gt;") && html.contains("April 2027"),
        "{html}"
    );
    assert!(
        html.contains("Welches Thema zuerst?") && html.contains("Ergebnis eintragen"),
        "{html}"
    );
    assert!(
        html.contains("<strong>Handlungsschwerpunkt:</strong> Teilhabe im Alter"),
        "{html}"
    );
    // The outcome of the decision.
    let decision = f.db().decisions(cycles[0].id).expect("decisions")[0].id;
    let outcome = owned(&[("ergebnis", "Pflege zuerst"), ("datum", "2027-09-24")]);
    let (status, ..) = post(at(&format!("entscheidung/{decision}")), outcome).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = f.get("/arbeitsbereich/planung", Some(&cookie)).await;
    assert!(html.contains("Pflege zuerst (24.09.2027)"), "{html}");
    // Decided once: a second outcome is refused, the first kept.
    let again = owned(&[("ergebnis", "Wohnen zuerst"), ("datum", "2027-10-01")]);
    let (status, ..) = post(at(&format!("entscheidung/{decision}")), again).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(!html.contains("Ergebnis eintragen"), "decided: {html}");
    // Deleted after confirming; the audit log keeps the title.
    let milestone = f.db().milestones(cycles[0].id).expect("timeline")[0]
        .id
        .to_string();
    let delete = |confirmed: &str, id: &str| {
        owned(&[("art", "zeitplan"), ("id", id), ("bestaetigt", confirmed)])
    };
    let (status, ..) = post(at("loeschen"), delete("", &milestone)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(f.db().milestones(cycles[0].id).expect("timeline").len(), 1);
    let (status, ..) = post(at("loeschen"), delete("1", &milestone)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        f.db()
            .milestones(cycles[0].id)
            .expect("timeline")
            .is_empty()
    );
    let (status, ..) = post(at("loeschen"), delete("1", &milestone)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A viewer reads the cycle and changes nothing.
    let (viewer, viewer_csrf) = f.session(Role::Viewer);
    let (_, _, html) = f.get("/arbeitsbereich/planung", Some(&viewer)).await;
    assert!(html.contains("Teilhabe im Alter") && !html.contains("Zeitplan: Schritt"));
    let (status, ..) = f
        .post_form(
            "/arbeitsbereich/planung/zeitplan",
            Some(&viewer),
            &[("_csrf", &viewer_csrf), ("zyklus", id)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let events = f
        .db()
        .audit_events(&AuditFilter {
            action_prefix: Some("plan.".into()),
            ..AuditFilter::default()
        })
        .expect("audit");
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "plan.cycle.create",
        "plan.milestone.create",
        "plan.milestone.delete",
        "plan.decision.create",
        "plan.decision.decide",
        "plan.priority.create",
    ] {
        assert!(actions.contains(&a), "{a} missing in {actions:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_routes_open_to_a_valid_key_of_a_role_that_may() {
    let f = Fixture::new();
    let keyed: Vec<crate::Route> = routes()
        .into_iter()
        .filter(|r| matches!(r.need, Need::Key(_)))
        .collect();
    assert!(keyed.len() >= 3);
    for role in ROLES {
        let key = f.key(role);
        for route in &keyed {
            let Need::Key(p) = route.need else {
                continue;
            };
            let (status, body) = f
                .api(route.method.as_str(), route.example, Some(&key), "{}")
                .await;
            let what = format!(
                "{} {} as {role:?}: {status} {body}",
                route.method, route.example
            );
            let refused = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
            assert_eq!(!refused, role.may(p), "{what}");
            if refused {
                assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
                assert_eq!(body["error"], "forbidden", "{what}");
            }
        }
    }
    // Without a key, with a wrong one, an expired one, a revoked one, a cookie: 401.
    let route = "/arbeitsbereich/api/v1/planung";
    let key = f.key(Role::Planner);
    let (status, body) = f.api("GET", route, None, "").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("no_key"))
    );
    let wrong = format!("smk_{}", auth::token().expect("token"));
    assert_eq!(
        f.api("GET", route, Some(&wrong), "").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(f.api("GET", route, Some(&key), "").await.0, StatusCode::OK);
    f.advance(86_400);
    assert_eq!(
        f.api("GET", route, Some(&key), "").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_made_in_the_workspace_writes_planning_records_through_the_api() {
    use sozialmonitor_store::{Accounts, AuditFilter, Planning};
    let f = Fixture::new();
    import_demo(&f, "registers/GV100AD_301123.txt.gz");
    import_catalogue(&f);
    let (cookie, csrf) = f.session(Role::Planner);
    // Made on the page, shown once, listed without the key afterwards.
    let (status, _, html) = f
        .post_form(
            "/arbeitsbereich/api-schluessel",
            Some(&cookie),
            &[
                ("_csrf", &csrf),
                ("bezeichnung", "Skript <Jugendamt>"),
                ("tage", "30"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let key: String = html
        .split("smk_")
        .nth(1)
        .map(|rest| {
            let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            format!("smk_{hex}")
        })
        .expect("the key is shown");
    assert_eq!(key.len(), 4 + 64);
    assert!(html.contains("Skript &lt;Jugendamt&gt;"), "escaped label");
    let (_, _, list) = f.get("/arbeitsbereich/api-schluessel", Some(&cookie)).await;
    assert!(!list.contains(&key) && list.contains("gültig"), "{list}");
    // Too long a life is refused.
    let (status, ..) = f
        .post_form(
            "/arbeitsbereich/api-schluessel",
            Some(&cookie),
            &[("_csrf", &csrf), ("bezeichnung", "x"), ("tage", "366")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A cycle with a recommendation and a measure whose aim names it, as JSON.
    let file = serde_json::json!({"zyklus": [{
        "kreis": "14522", "titel": "Sozialplanung 2027–2031", "von": 2027, "bis": 2031,
        "empfehlung": [{"handlungsfeld": "Senior:innen", "titel": "Beratung im Alter",
                        "stand": "geplant", "beispiel": true}],
        "massnahme": [{"titel": "Beratungsnetz", "stand": "geplant", "empfehlung": "Beratung im Alter",
                       "gemeinden": ["14522010"], "budget": 12500.0, "beispiel": true,
                       "ziel": [{"indikator": "anteil_65_plus", "gebiet": "14522", "ausgangswert": 30.0,
                                 "ausgangsjahr": 2022, "zielwert": 29.0, "zieljahr": 2030,
                                 "richtung": "sinken"}]}]
    }]});
    let route = "/arbeitsbereich/api/v1/planung";
    let (status, body) = f.api("POST", route, Some(&key), &file.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let cycle = body["zyklen"][0].as_i64().expect("id");
    // The same again: the cycle is held.
    let (status, body) = f.api("POST", route, Some(&key), &file.to_string()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::CONFLICT, Some("exists"))
    );
    // Another district's cycle, a field the file does not know: refused, named.
    let other = r#"{"zyklus": [{"kreis": "15082", "titel": "Fremd", "von": 2027, "bis": 2031}]}"#;
    let (status, body) = f.api("POST", route, Some(&key), other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("nur der Kreis 14522"),
        "{body}"
    );
    let (status, body) = f
        .api("POST", route, Some(&key), r#"{"zyklus": [{"kreis": "14522", "titel": "T", "von": 2027, "bis": 2031, "farbe": "rot"}]}"#)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["message"].as_str().unwrap_or("").contains("farbe"),
        "{body}"
    );

    // Two cycles of one title in one request, or a measure title twice in a cycle: refused.
    let twice = r#"{"zyklus": [{"kreis": "14522", "titel": "Z", "von": 2027, "bis": 2031}, {"kreis": "14522", "titel": "Z", "von": 2027, "bis": 2031}]}"#;
    let (status, body) = f.api("POST", route, Some(&key), twice).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("steht zweimal darin"),
        "{body}"
    );
    let twice = r#"{"zyklus": [{"kreis": "14522", "titel": "Z", "von": 2027, "bis": 2031, "massnahme": [{"titel": "M", "stand": "geplant"}, {"titel": "M", "stand": "geplant"}]}]}"#;
    let (status, body) = f.api("POST", route, Some(&key), twice).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("die Maßnahme \"M\" steht zweimal"),
        "{body}"
    );
    // Measures into the stored cycle: all or none.
    let more = format!("/arbeitsbereich/api/v1/planung/zyklen/{cycle}/massnahmen");
    let two = serde_json::json!({"massnahme": [
        {"titel": "Zweite", "stand": "laufend", "empfehlung": "Beratung im Alter"},
        {"titel": "Dritte", "stand": "laufend", "gemeinden": ["15082005"]}
    ]});
    let (status, body) = f.api("POST", &more, Some(&key), &two.to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"].as_str().unwrap_or("").contains("15082005"),
        "{body}"
    );
    let db = f.db();
    assert_eq!(
        db.plan_measures(cycle).expect("measures").len(),
        1,
        "none of the two saved"
    );
    let one = serde_json::json!({"massnahme": [
        {"titel": "Zweite", "stand": "laufend", "empfehlung": "Beratung im Alter"}
    ]});
    let (status, body) = f.api("POST", &more, Some(&key), &one.to_string()).await;
    assert_eq!(
        (status, body["massnahmen"].as_i64()),
        (StatusCode::CREATED, Some(1)),
        "{body}"
    );
    let (status, _) = f
        .api(
            "POST",
            "/arbeitsbereich/api/v1/planung/zyklen/99999/massnahmen",
            Some(&key),
            &one.to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Read back whole, with the internal details and the measure linked to its recommendation
    // (the scheme's name is read in any case, as HTTP says).
    let (status, all) = f.api("GET", route, Some(&key), "").await;
    assert_eq!(status, StatusCode::OK);
    let req = Request::get(route)
        .header(header::HOST, "localhost")
        .header(header::AUTHORIZATION, format!("bearer {key}"))
        .body(Body::empty())
        .expect("req");
    assert_eq!(f.send(req).await.0, StatusCode::OK);
    assert_eq!(status, StatusCode::OK);
    let c = all["zyklus"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == cycle))
        .expect("the cycle");
    let rec_id = &c["empfehlung"][0]["id"];
    assert_eq!(c["massnahme"].as_array().map(Vec::len), Some(2));
    assert!(
        c["massnahme"]
            .as_array()
            .expect("measures")
            .iter()
            .all(|m| &m["empfehlung_id"] == rec_id)
    );
    assert_eq!(c["massnahme"][0]["ziel"][0]["richtung"], "sinken");
    assert_eq!(c["massnahme"][0]["budget"], 12500.0);

    // Every change under the planner's login, one event per record.
    let events = db
        .audit_events(&AuditFilter {
            action_prefix: Some("plan.".into()),
            ..AuditFilter::default()
        })
        .expect("audit");
    assert_eq!(events.len(), 4, "{events:?}");
    assert!(events.iter().all(|e| e.actor == "planner"));
    // Each names what it created.
    assert!(
        events
            .iter()
            .any(|e| e.action == "plan.measure.create" && e.new_value.as_deref() == Some("Zweite"))
    );

    // Revoked on the page: refused from then on; a second revocation is a 404.
    let id = {
        use sozialmonitor_store::ApiTokens;
        let (a, _) = db.account("planner").expect("read").expect("there");
        db.api_tokens(a.id).expect("keys")[0].id
    };
    let revoke = format!("/arbeitsbereich/api-schluessel/{id}/widerrufen");
    let (status, ..) = f
        .post_form(&revoke, Some(&cookie), &[("_csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        f.api("GET", route, Some(&key), "").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, ..) = f
        .post_form(&revoke, Some(&cookie), &[("_csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Another account cannot revoke it either (nor see it).
    let (cookie2, csrf2) = f.session(Role::Admin);
    let (status, ..) = f
        .post_form(&revoke, Some(&cookie2), &[("_csrf", &csrf2)])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The OpenAPI document is valid JSON naming the routes.
    let (status, doc) = f
        .api("GET", "/arbeitsbereich/api/v1/openapi.json", None, "")
        .await;
    assert_eq!(status, StatusCode::OK);
    for r in routes().iter().filter(|r| matches!(r.need, Need::Key(_))) {
        assert!(
            doc["paths"][r.path].is_object(),
            "{} in the document",
            r.path
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measures_are_read_from_the_export_table_into_another_cycle() {
    use sozialmonitor_core::planning::Status;
    use sozialmonitor_store::{Planning, Recommendation};
    let f = Fixture::new();
    import_demo(&f, "registers/GV100AD_301123.txt.gz");
    import_catalogue(&f);
    let key = f.key(Role::Planner);
    let file = serde_json::json!({"zyklus": [
        {"kreis": "14522", "titel": "Alt", "von": 2022, "bis": 2026,
         "empfehlung": [{"handlungsfeld": "Senior:innen", "titel": "Beratung im Alter", "stand": "geplant"}],
         "massnahme": [
            {"titel": "Beratungsnetz; „Mitte“", "stand": "laufend", "empfehlung": "Beratung im Alter",
             "gemeinden": ["14522010", "14522020"], "budget": 12500.5, "verantwortlich": "=Sozialamt",
             "oeffentlich": true,
             "ziel": [{"indikator": "anteil_65_plus", "gebiet": "14522", "ausgangswert": 30.1, "ausgangsjahr": 2021, "zielwert": 29.5, "zieljahr": 2030, "richtung": "sinken"},
                      {"indikator": "anteil_75_plus", "gebiet": "14522010", "ausgangswert": 14.05, "ausgangsjahr": 2021, "zielwert": 13.0, "zieljahr": 2030, "richtung": "sinken"}]},
            {"titel": "Ohne Ziel", "stand": "geplant"}]},
        {"kreis": "14522", "titel": "Neu", "von": 2027, "bis": 2031}
    ]});
    let (status, body) = f
        .api(
            "POST",
            "/arbeitsbereich/api/v1/planung",
            Some(&key),
            &file.to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let new = body["zyklen"][1].as_i64().expect("id");
    let mut db = f.db();
    // The new cycle has its own recommendation of the same title: the measure links to it.
    db.save_recommendation(
        &Recommendation {
            id: 0,
            cycle_id: new,
            action_field: "Senior:innen".into(),
            title: "Beratung im Alter".into(),
            body: String::new(),
            indicators: vec![],
            findings: String::new(),
            status: Status::Planned,
            decided_by: String::new(),
            decided_on: String::new(),
            reference: String::new(),
            outcome: String::new(),
            public: false,
            source: String::new(),
            example: false,
        },
        &AuditEvent::new(1, "test", "plan.recommendation.create", "x"),
    )
    .expect("rec");
    let (cookie, csrf) = f.session(Role::Planner);
    let (status, csv) = f
        .get_bytes("/arbeitsbereich/planung/massnahmen.csv", &cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, xlsx) = f
        .get_bytes("/arbeitsbereich/planung/massnahmen.xlsx", &cookie)
        .await;
    let into = format!("/arbeitsbereich/planung/zyklus/{new}/massnahmen");
    let (status, headers, html) = f
        .upload_to(&into, &cookie, &csrf, &[("massnahmen.csv", &csv)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert!(location(&headers).contains("eingelesen=2"));
    let old = db.cycles("14522").expect("cycles")[0].id;
    let strip = |ms: Vec<sozialmonitor_store::PlanMeasure>| {
        ms.into_iter()
            .map(|m| {
                (
                    m.title,
                    m.status,
                    m.municipalities,
                    m.budget,
                    m.owner,
                    m.public,
                )
            })
            .collect::<Vec<_>>()
    };
    let (was, now) = (
        db.plan_measures(old).expect("old"),
        db.plan_measures(new).expect("new"),
    );
    assert_eq!(
        strip(now.clone()),
        strip(was.clone()),
        "the CSV carries every field it shows"
    );
    let new_rec = db.recommendations(new).expect("recs")[0].id;
    assert_eq!(now[0].recommendation_id, Some(new_rec));
    let aims = |id| {
        db.plan_aims(id)
            .expect("aims")
            .into_iter()
            .map(|a| {
                (
                    a.indicator,
                    a.region_key,
                    a.baseline,
                    a.baseline_year,
                    a.target,
                    a.direction,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(aims(now[0].id), aims(was[0].id));
    assert_eq!(aims(now[0].id).len(), 2);
    // Again: the titles are held in that cycle, nothing is added.
    let (status, _, html) = f
        .upload_to(&into, &cookie, &csrf, &[("massnahmen.csv", &csv)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("gibt es im Zyklus schon"), "{html}");
    // Now the export holds both cycles' measures under the same titles: into one cycle, that
    // is refused as a title twice.
    let (_, both) = f
        .get_bytes("/arbeitsbereich/planung/massnahmen.csv", &cookie)
        .await;
    let (status, _, html) = f
        .upload_to(&into, &cookie, &csrf, &[("beide.csv", &both)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("steht zweimal darin"), "{html}");
    // The XLSX export (taken before, of the first cycle only) reads the same way, numbers as
    // numbers; its recommendation must be in the cycle it goes into.
    let third = db
        .save_cycle(
            &sozialmonitor_store::Cycle {
                id: 0,
                kreis: "14522".into(),
                title: "Dritter".into(),
                first_year: 2032,
                last_year: 2036,
                note: String::new(),
                source: String::new(),
            },
            &AuditEvent::new(1, "test", "plan.cycle.create", "x"),
        )
        .expect("cycle");
    let into3 = format!("/arbeitsbereich/planung/zyklus/{third}/massnahmen");
    let (status, _, html) = f
        .upload_to(&into3, &cookie, &csrf, &[("m.xlsx", &xlsx)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("keine Empfehlung"), "{html}");
    let mut rec = db.recommendations(new).expect("recs")[0].clone();
    (rec.id, rec.cycle_id) = (0, third);
    db.save_recommendation(
        &rec,
        &AuditEvent::new(1, "test", "plan.recommendation.create", "x"),
    )
    .expect("rec");
    let (status, _, html) = f
        .upload_to(&into3, &cookie, &csrf, &[("m.xlsx", &xlsx)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(strip(db.plan_measures(third).expect("third")), strip(was));
    // A bad row: the file, the line and the column are named, nothing is saved.
    let bad = "massnahme;stand;indikator;gebiet;ausgangswert;ausgangsjahr;zielwert;zieljahr;richtung\n\
               Gut;geplant;;;;;;;\n\
               Schlecht;geplant;anteil_65_plus;14522;viel;2021;29;2030;sinken\n";
    let fourth = db
        .save_cycle(
            &sozialmonitor_store::Cycle {
                id: 0,
                kreis: "14522".into(),
                title: "Vierter".into(),
                first_year: 2037,
                last_year: 2041,
                note: String::new(),
                source: String::new(),
            },
            &AuditEvent::new(1, "test", "plan.cycle.create", "x"),
        )
        .expect("cycle");
    let into4 = format!("/arbeitsbereich/planung/zyklus/{fourth}/massnahmen");
    let (status, _, html) = f
        .upload_to(&into4, &cookie, &csrf, &[("liste.csv", bad.as_bytes())])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("liste.csv, Zeile 3, Spalte „ausgangswert“: „viel“ ist keine Zahl"),
        "{html}"
    );
    assert!(db.plan_measures(fourth).expect("none").is_empty());
    // A second row of a measure that says something else of it is refused.
    let differing = "massnahme;stand;indikator\nA;geplant;\nA;laufend;\n";
    let (status, _, html) = f
        .upload_to(
            &into4,
            &cookie,
            &csrf,
            &[("liste.csv", differing.as_bytes())],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Zeile 3, Spalte „stand“: weicht von Zeile 2"),
        "{html}"
    );
    // A viewer cannot read a table in.
    let (vc, vcsrf) = f.session(Role::Viewer);
    let (status, ..) = f
        .upload_to(&into4, &vc, &vcsrf, &[("liste.csv", bad.as_bytes())])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_flags_old_entries_reads_tables_and_exports_what_it_reads() {
    use sozialmonitor_store::Services;
    let f = Fixture::new();
    import_demo(&f, "registers/GV100AD_301123.txt.gz");
    let (cookie, csrf) = f.session(Role::Planner);
    // The fixture's clock is in December 2026: checked in March 2026 is fine, 2025-01 is due.
    let table = "name;ort;gemeinde;breite;laenge;themen;zielgruppen;stufenlos;geprueft_am;oeffentlich;sprachen\n\
                 Neu geprüft;Freiberg;14522180;50,915;13,3337;schuldnerberatung;alle;ja;2026-03-01;ja;\n\
                 Lange her;Döbeln;14522080;;;suchtberatung, seniorenberatung;senioren;nein;2025-01-15;nein;=Englisch\n";
    let (status, _, html) = f
        .upload_to(
            "/arbeitsbereich/wegweiser",
            &cookie,
            &csrf,
            &[("w.csv", table.as_bytes())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let (_, _, html) = f.get("/arbeitsbereich/wegweiser", Some(&cookie)).await;
    let due = html
        .split("<h2>Zu prüfen</h2>")
        .nth(1)
        .and_then(|r| r.split("<h2>").next())
        .expect("the due list");
    assert!(
        due.contains("Lange her") && !due.contains("Neu geprüft"),
        "{due}"
    );
    assert!(due.contains("1 Eintrag seit über einem Jahr oder noch nie geprüft"));
    // A bad table: every bad cell named, nothing added.
    let bad = "name;gemeinde;themen\nA;15082005;sozialberatung\nB;14522180;kegeln\n";
    let (status, _, html) = f
        .upload_to(
            "/arbeitsbereich/wegweiser",
            &cookie,
            &csrf,
            &[("b.csv", bad.as_bytes())],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("b.csv, Zeile 2, Spalte „gemeinde“"), "{html}");
    assert!(html.contains("b.csv, Zeile 3, Spalte „themen“"), "{html}");
    assert_eq!(f.db().services("14522").expect("list").len(), 2);
    // The export reads back as the same entries.
    let (status, csv) = f.get_bytes("/arbeitsbereich/wegweiser.csv", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    // Read against a directory that does not hold them yet (else each is "already there").
    let mut known = crate::service_file::known(&f.db(), "14522").expect("known");
    known.held.clear();
    let again = crate::service_file::read("wegweiser.csv", &csv, &known).expect("reads back");
    let stored = f.db().services("14522").expect("list");
    let no_ids: Vec<_> = stored
        .into_iter()
        .map(|s| sozialmonitor_store::Service { id: 0, ..s })
        .collect();
    assert_eq!(again, no_ids);
    // So does the workbook, every cell text (the postcode keeps its 0).
    let (status, xlsx) = f.get_bytes("/arbeitsbereich/wegweiser.xlsx", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    let again = crate::service_file::read("wegweiser.xlsx", &xlsx, &known).expect("reads back");
    assert_eq!(again, no_ids);
    // Deleting needs the confirmation; a viewer may not.
    let id = f.db().services("14522").expect("list")[1].id;
    let path = format!("/arbeitsbereich/wegweiser/{id}/loeschen");
    let (status, ..) = f.post_form(&path, Some(&cookie), &[("_csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (vc, vcsrf) = f.session(Role::Viewer);
    let (status, ..) = f
        .post_form(&path, Some(&vc), &[("_csrf", &vcsrf), ("bestaetigt", "1")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, ..) = f
        .post_form(
            &path,
            Some(&cookie),
            &[("_csrf", &csrf), ("bestaetigt", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(f.db().services("14522").expect("list").len(), 1);
}

#[tokio::test]
async fn a_contact_person_is_seen_exported_and_erased_only_by_those_who_keep_contacts() {
    use sozialmonitor_store::Network;
    let f = Fixture::new();
    let (cookie, csrf) = f.session(Role::Planner);
    let (status, headers, html) = f
        .post_form(
            "/arbeitsbereich/netzwerk/akteure",
            Some(&cookie),
            &[
                ("_csrf", &csrf),
                ("name", "Beratungsstelle <Nord>"),
                ("art", "beratung"),
                ("handlungsfelder", "Senior:innen\nSoziale Lage"),
                ("zielgruppe", "senioren"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let actor_page = location(&headers);
    let actor_id = f.db().actors("14522").expect("actors")[0].id;
    assert_eq!(
        actor_page,
        format!("/arbeitsbereich/netzwerk/akteur/{actor_id}")
    );
    // The same name again is refused.
    let (status, ..) = f
        .post_form(
            "/arbeitsbereich/netzwerk/akteure",
            Some(&cookie),
            &[
                ("_csrf", &csrf),
                ("name", "Beratungsstelle <Nord>"),
                ("art", "beratung"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // An edit needs the version its form was made from.
    let (_, _, html) = f.get(&actor_page, Some(&cookie)).await;
    assert!(
        html.contains("<h1>Beratungsstelle &lt;Nord&gt;</h1>"),
        "escaped"
    );
    let version = html
        .split(r#"name="fassung" value=""#)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the version")
        .to_string();
    let edit = [
        ("_csrf", csrf.as_str()),
        ("name", "Beratungsstelle Nord"),
        ("art", "beratung"),
        ("handlungsfelder", "Senior:innen\nSoziale Lage"),
        ("zielgruppe", "senioren"),
    ];
    let (status, ..) = f.post_form(&actor_page, Some(&cookie), &edit).await;
    assert_eq!(status, StatusCode::CONFLICT, "no version");
    let mut with_version = edit.to_vec();
    with_version.push(("fassung", &version));
    let (status, ..) = f.post_form(&actor_page, Some(&cookie), &with_version).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        f.db().actors("14522").expect("actors")[0].name,
        "Beratungsstelle Nord"
    );
    // No person without consent.
    let persons = format!("{actor_page}/personen");
    let person = [
        ("_csrf", csrf.as_str()),
        ("name", "Erika Beispielfrau"),
        ("email", "erika@example.org"),
        ("telefon", "03731 799-4711"),
        ("einwilligung_zweck", "Einladungen zu den Seniorenforen"),
    ];
    let (status, _, html) = f.post_form(&persons, Some(&cookie), &person).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Ohne Einwilligung"), "{html}");
    let mut with_consent = person.to_vec();
    with_consent.push(("einwilligung_am", "2026-11-02"));
    let (status, ..) = f.post_form(&persons, Some(&cookie), &with_consent).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // A working group with the actor; the network page draws it and lists it.
    let (status, ..) = f
        .post_form(
            "/arbeitsbereich/netzwerk/gruppen",
            Some(&cookie),
            &[("_csrf", &csrf), ("name", "AG Seniorenwegweiser")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let group_id = f.db().groups("14522").expect("groups")[0].id;
    let (status, ..) = f
        .post_form(
            "/arbeitsbereich/netzwerk/mitglieder",
            Some(&cookie),
            &[
                ("_csrf", &csrf),
                ("gruppe", &group_id.to_string()),
                ("akteur", &actor_id.to_string()),
                ("rolle", "Leitung"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = f.get("/arbeitsbereich/netzwerk", Some(&cookie)).await;
    assert!(html.contains("Beratungsstelle Nord (Leitung)"), "{html}");
    assert!(
        html.contains(r#"role="img""#) && html.contains("<caption>Wer woran arbeitet</caption>")
    );
    assert!(html.contains("<th scope=\"row\">Soziale Lage</th>"));
    // The planner sees the person; a viewer sees the actor but not the person, and may not
    // export or erase.
    let (_, _, html) = f.get(&actor_page, Some(&cookie)).await;
    assert!(html.contains("Erika Beispielfrau") && html.contains("02.11.2026"));
    let pid = f.db().persons(actor_id).expect("persons")[0].id;
    let (vc, vcsrf) = f.session(Role::Viewer);
    let (status, _, html) = f.get(&actor_page, Some(&vc)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Beratungsstelle") && !html.contains("Beispielfrau"));
    let export = format!("/arbeitsbereich/netzwerk/person/{pid}/auskunft");
    let erase = format!("/arbeitsbereich/netzwerk/person/{pid}/loeschen");
    assert_eq!(f.get(&export, Some(&vc)).await.0, StatusCode::FORBIDDEN);
    let (status, ..) = f
        .post_form(&erase, Some(&vc), &[("_csrf", &vcsrf), ("bestaetigt", "1")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The export holds everything stored about the person.
    let (status, bytes) = f.get_bytes(&export, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(doc["person"]["name"], "Erika Beispielfrau");
    assert_eq!(doc["person"]["telefon"], "03731 799-4711");
    assert_eq!(doc["person"]["einwilligung_am"], "2026-11-02");
    assert_eq!(doc["akteur"]["name"], "Beratungsstelle Nord");
    assert_eq!(doc["protokoll"][0]["was"], "network.person.export");
    assert_eq!(doc["protokoll"][1]["was"], "network.person.create");
    // Make the person a member, then erase: no trace is left in any table, the audit log
    // names the person by number only.
    {
        let mut db = f.db();
        let m = sozialmonitor_store::Membership {
            id: 0,
            group_id,
            actor_id,
            person_id: Some(pid),
            role: "Vertretung".into(),
        };
        db.add_member(
            &m,
            &AuditEvent::new(0, "planner", "network.member.create", "group"),
        )
        .expect("member");
    }
    let (status, ..) = f
        .post_form(
            &erase,
            Some(&cookie),
            &[("_csrf", &csrf), ("bestaetigt", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let everything = sozialmonitor_store::transfer::export_text(&f.db()).expect("export");
    for trace in [
        "Beispielfrau",
        "erika@example.org",
        "799-4711",
        "Seniorenforen",
    ] {
        assert!(!everything.contains(trace), "{trace} is still stored");
    }
    assert!(everything.contains(&format!("\"person:{pid}\"")));
    assert_eq!(f.get(&export, Some(&cookie)).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_event_leads_through_its_impulses_to_recommendations_and_measures() {
    use sozialmonitor_store::{Network, Planning};
    let f = Fixture::new();
    import_demo(&f, "registers/GV100AD_301123.txt.gz");
    let plans = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/demo/planung/planungszyklen.toml");
    crate::plan_file::import(&mut f.db(), &plans, "test", 0).expect("plans");
    let net = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/demo/netzwerk/mittelsachsen.toml");
    let n = crate::network_file::import(&mut f.db(), &net, "14522", ("test", 0)).expect("network");
    assert_eq!(n, 13);
    // Twice: refused whole, naming the actors held.
    let again =
        crate::network_file::import(&mut f.db(), &net, "14522", ("test", 0)).expect_err("twice");
    assert!(format!("{again:#}").contains("Hochschule Mittweida“ ist schon erfasst"));
    let (cookie, csrf) = f.session(Role::Planner);
    // Coming and past: the fixture's clock is in December 2026, the seeds' events are past.
    let (_, _, html) = f.get("/arbeitsbereich/beteiligung", Some(&cookie)).await;
    let coming = html.split("<h2>Vergangene").next().expect("coming");
    assert!(!coming.contains("DIALOG"), "{coming}");
    assert!(html.contains("DIALOG Mittelsachsen Sozial"));
    // A new event ahead, with an impulse that led to the demo's recommendation.
    let (status, headers, html) = f
        .post_form(
            "/arbeitsbereich/beteiligung",
            Some(&cookie),
            &[
                ("_csrf", &csrf),
                ("titel", "Seniorenforum Döbeln"),
                ("art", "forum"),
                ("von", "2027-03-10"),
                ("zielgruppe", "senioren"),
                ("teilnehmende", "40"),
                ("oeffentlich", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let event_page = location(&headers);
    let (_, _, html) = f.get("/arbeitsbereich/beteiligung", Some(&cookie)).await;
    let coming = html.split("<h2>Vergangene").next().expect("coming");
    assert!(coming.contains("Seniorenforum Döbeln"));
    let rec = f
        .db()
        .cycles("14522")
        .expect("cycles")
        .iter()
        .flat_map(|c| f.db().recommendations(c.id).expect("recs"))
        .find(|r| r.title == "Seniorenpolitische Strategie beschließen")
        .expect("the demo's recommendation");
    let impulses = format!("{event_page}/impulse");
    // A recommendation of no cycle of the district is refused.
    let (status, ..) = f
        .post_form(
            &impulses,
            Some(&cookie),
            &[
                ("_csrf", &csrf),
                ("titel", "Mobilität"),
                ("empfehlung", "999999"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, ..) = f
        .post_form(
            &impulses,
            Some(&cookie),
            &[
                ("_csrf", &csrf),
                ("titel", "Mobilität im ländlichen Raum"),
                ("empfehlung", &rec.id.to_string()),
                ("oeffentlich", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = f.get(&event_page, Some(&cookie)).await;
    assert!(html.contains("Mobilität im ländlichen Raum"));
    assert!(html.contains("Empfehlung: <a href=\"/arbeitsbereich/planung?zyklus="));
    assert!(html.contains("Teilnehmende</dt><dd>40"));
    let event_id: i64 = event_page
        .rsplit('/')
        .next()
        .expect("id")
        .parse()
        .expect("id");
    assert_eq!(
        f.db().impulses(event_id).expect("impulses")[0].recommendations,
        [rec.id]
    );
    // And back: the cycle's page names the impulses the recommendation and the measure came
    // from, each linked to its event.
    let (_, _, planning) = f
        .get(
            &format!("/arbeitsbereich/planung?zyklus={}", rec.cycle_id),
            Some(&cookie),
        )
        .await;
    assert!(planning.contains("<em>Aus der Beteiligung:</em> „Die Lebenslagen älterer Menschen als Grundlage der seniorenpolitischen Strategie“"), "{planning}");
    assert!(
        planning.contains("„Mobilität im ländlichen Raum“ (<a href=\"/arbeitsbereich/beteiligung/")
    );
    // The event is edited over its version: a new date, the rest kept.
    let version = html
        .split(r#"name="fassung" value=""#)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the version")
        .to_string();
    let (status, ..) = f
        .post_form(
            &event_page,
            Some(&cookie),
            &[
                ("_csrf", &csrf),
                ("fassung", &version),
                ("titel", "Seniorenforum Döbeln"),
                ("art", "forum"),
                ("von", "2027-03-17"),
                ("zielgruppe", "senioren"),
                ("teilnehmende", "45"),
                ("oeffentlich", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let edited = f.db().events("14522").expect("events");
    let e = edited.iter().find(|e| e.id == event_id).expect("the event");
    assert_eq!(
        (e.date_from.as_str(), e.participants),
        ("2027-03-17", Some(45))
    );
    assert_eq!(
        f.db().impulses(event_id).expect("impulses").len(),
        1,
        "its impulses stay"
    );
    // A viewer reads but may not add.
    let (vc, vcsrf) = f.session(Role::Viewer);
    let (status, _, html) = f.get(&event_page, Some(&vc)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Impuls eintragen"));
    let (status, ..) = f
        .post_form(&impulses, Some(&vc), &[("_csrf", &vcsrf), ("titel", "x")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Deleting the event takes its impulses.
    let (status, ..) = f
        .post_form(
            &format!("{event_page}/loeschen"),
            Some(&cookie),
            &[("_csrf", &csrf), ("bestaetigt", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(f.db().impulses(event_id).expect("impulses").is_empty());
}

#[tokio::test]
async fn an_entry_is_edited_by_the_table_rules_and_marked_checked() {
    use sozialmonitor_store::Services;
    let f = Fixture::new();
    import_demo(&f, "registers/GV100AD_301123.txt.gz");
    let (cookie, csrf) = f.session(Role::Planner);
    let table = "name;ort;gemeinde;themen;zielgruppen;geprueft_am;oeffentlich\n\
                 Suchtberatung Döbeln;Döbeln;14522080;suchtberatung;alle;2025-01-15;ja\n";
    let (status, ..) = f
        .upload_to(
            "/arbeitsbereich/wegweiser",
            &cookie,
            &csrf,
            &[("w.csv", table.as_bytes())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = f.db().services("14522").expect("list")[0].id;
    let path = format!("/arbeitsbereich/wegweiser/{id}");
    let (status, _, html) = f.get(&path, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let version = html
        .split(r#"name="fassung" value=""#)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the version")
        .to_string();
    let fields = |email: &str| {
        vec![
            ("_csrf", csrf.clone()),
            ("fassung", version.clone()),
            ("name", "Sucht- und Drogenberatung Döbeln".to_string()),
            ("ort", "Döbeln".to_string()),
            ("gemeinde", "14522080".to_string()),
            ("themen", "suchtberatung".to_string()),
            ("themen", "sozialberatung".to_string()),
            ("zielgruppen", "alle".to_string()),
            ("telefon", "03431 12345".to_string()),
            ("email", email.to_string()),
            ("stufenlos", "ja".to_string()),
            ("oeffentlich", "ja".to_string()),
            ("heute_geprueft", "1".to_string()),
        ]
    };
    let fr = &f;
    let post = |v: Vec<(&'static str, String)>| {
        let (path, cookie) = (path.clone(), cookie.clone());
        async move {
            let pairs: Vec<(&str, &str)> = v.iter().map(|(k, x)| (*k, x.as_str())).collect();
            fr.post_form(&path, Some(&cookie), &pairs).await
        }
    };
    // A bad e-mail is refused by the table's own rule, naming the field.
    let (status, _, html) = post(fields("keine-adresse")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Feld „email“"), "{html}");
    let (status, _, html) = post(fields("sucht@example.org")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let s = &f.db().services("14522").expect("list")[0];
    assert_eq!(s.name, "Sucht- und Drogenberatung Döbeln");
    assert_eq!(s.topics.len(), 2);
    assert_eq!((s.step_free, s.hearing_loop), (Some(true), None));
    assert_eq!(s.phone, "03431 12345");
    // The fixture's clock is in December 2026: checked today, no longer due.
    assert!(s.checked_on.starts_with("2026-12"), "{}", s.checked_on);
    // The same form again was made from the old version: refused, not overwritten.
    let (status, ..) = post(fields("andere@example.org")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // "Heute geprüft" alone; a viewer may read the entry but not change it.
    let (vc, vcsrf) = f.session(Role::Viewer);
    let (status, _, html) = f.get(&path, Some(&vc)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Eintrag speichern"));
    let checked = format!("{path}/geprueft");
    let (status, ..) = f.post_form(&checked, Some(&vc), &[("_csrf", &vcsrf)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, ..) = f
        .post_form(&checked, Some(&cookie), &[("_csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let log = f
        .db()
        .audit_events(&sozialmonitor_store::AuditFilter::default())
        .expect("audit");
    assert!(log.iter().any(|e| e.action == "service.update"));
    assert!(log.iter().any(|e| e.action == "service.check"));
}
