//! The layers every request passes, outermost first: request log, security headers, time
//! limit and panic page, panic guard, then query limits and the response cache.

use std::any::Any;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::cache::{ResponseCache, accepts_gzip};
use crate::query::{self, Params, QueryError};
use crate::{Shared, api, pages};

/// Largest body the cache reads from a handler; every page is far smaller, the largest PDF
/// about 200 KB.
const MAX_CACHED_BODY: usize = 16 << 20;

/// What the middlewares share.
#[derive(Clone)]
pub(crate) struct Layers {
    pub site: Shared,
    pub cache: Arc<ResponseCache>,
    pub request_timeout: Duration,
}

/// An error in the form the caller reads: JSON with a stable code under `/api/`, else a German
/// HTML page in the site's frame (as every 404 is).
pub(crate) fn error_response(
    site: &Shared,
    path: &str,
    status: StatusCode,
    code: &str,
    title_de: &str,
    message_de: &str,
    message_en: &str,
) -> Response {
    if path.starts_with("/api/") {
        return api::error(status, code, message_en);
    }
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        pages::error(site, title_de, message_de),
    )
        .into_response()
}

fn refused(site: &Shared, path: &str, e: &QueryError) -> Response {
    error_response(
        site,
        path,
        StatusCode::BAD_REQUEST,
        "bad_request",
        "Ungültige Anfrage",
        &e.message_de(),
        &e.message_en(),
    )
}

/// Checks the query string against the route's limits (400 beyond them), hands the decoded
/// parameters to the handler, serves a stored response or stores a new successful one.
pub(crate) async fn caching(State(l): State<Layers>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.len() > query::MAX_PATH_BYTES {
        return refused(&l.site, &path, &QueryError::PathTooLong);
    }
    let route = query::route(&path);
    let params = match Params::parse(req.uri().query(), route.params) {
        Ok(p) => p,
        Err(e) => return refused(&l.site, &path, &e),
    };
    let key = (route.cached && matches!(*req.method(), Method::GET | Method::HEAD))
        .then(|| params.key(&path));
    // HEAD is served from the cache but never fills it: its response may come without a body.
    let store = req.method() == Method::GET;
    req.extensions_mut().insert(params);
    let gzip = accepts_gzip(req.headers().get(header::ACCEPT_ENCODING));
    let inm = req.headers().get(header::IF_NONE_MATCH).cloned();
    let Some(key) = key else {
        return next.run(req).await;
    };
    if let Some(hit) = l.cache.get(&key) {
        return hit.respond(gzip, inm.as_ref());
    }
    let res = next.run(req).await;
    if !store || res.status() != StatusCode::OK {
        // Errors are not kept: a junk URL must not push a page out of the cache.
        return res;
    }
    let (parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_CACHED_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    l.cache
        .insert(&key, parts.headers, bytes)
        .respond(gzip, inm.as_ref())
}

/// Marks the 500 the panic guard makes, so that [`guard`] can give it the caller's form.
#[derive(Clone, Copy)]
pub(crate) struct Panicked;

/// The panic guard's response: a bare 500, the cause only in the log.
pub(crate) fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let what = err
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    tracing::error!(panic = %what, "a handler panicked");
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r.extensions_mut().insert(Panicked);
    r
}

/// The time limit of a request (503 after it, so that no request holds a worker for long)
/// and the error page of a panic.
pub(crate) async fn guard(State(l): State<Layers>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let res = match tokio::time::timeout(l.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            tracing::warn!(path = %short(&path), "request took too long");
            let mut r = error_response(
                &l.site,
                &path,
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "Zeitüberschreitung",
                "Die Antwort hat zu lange gedauert. Bitte versuchen Sie es gleich noch einmal.",
                "the response took too long; try again",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return r;
        }
    };
    if res.extensions().get::<Panicked>().is_some() {
        return error_response(
            &l.site,
            &path,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Interner Fehler",
            "Bei dieser Anfrage ist ein Fehler aufgetreten. Er wurde protokolliert.",
            "internal error",
        );
    }
    res
}

/// `Content-Security-Policy`: the site itself only. The pages have no inline script or style
/// (the JavaScript and the stylesheet are `/static/` files, the SVG figures use presentation
/// attributes, which CSP does not govern), so nothing more is allowed.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// Security headers on every response, whatever made it (page, asset, API, error, 304, panic).
/// A response without a Cache-Control of its own gets `no-store` if it is an error (an error
/// page is never worth keeping) and `no-cache` otherwise.
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let error = res.status().is_client_error() || res.status().is_server_error();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if error {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    res
}

/// One log line per request: method, path (not the query, which may hold what a person
/// searched for), status and duration.
pub(crate) async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = short(req.uri().path()).to_string();
    let res = next.run(req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let status = res.status().as_u16();
    tracing::info!(%method, %path, status, ms = format_args!("{ms:.2}"), "request");
    res
}

/// At most 200 characters of a path, cut at a character boundary.
fn short(path: &str) -> &str {
    match path.char_indices().nth(200) {
        Some((i, _)) => path.get(..i).unwrap_or(path),
        None => path,
    }
}
