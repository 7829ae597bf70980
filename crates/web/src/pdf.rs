//! `/gemeinde/KEY/profil.pdf` and `/seniorenwegweiser.pdf`: typeset on demand, at most one at a time per core,
//! with a bounded queue, and kept in the response cache by region.
//!
//! Typesetting takes about 50 ms of a core. Unbounded, a burst of PDF requests would take
//! every core from the pages; so a semaphore lets one profile per core be typeset, a bounded
//! number wait, and any further request is answered at once with 503 and `Retry-After`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::cache::{ResponseCache, accepts_gzip};
use crate::{Shared, html, pages};

/// Seconds a client is asked to wait when the queue is full.
const RETRY_AFTER: &str = "5";

/// Admission to typesetting: `workers` at once, `queue` more waiting, the rest refused.
pub struct PdfQueue {
    permits: Arc<Semaphore>,
    admitted: AtomicUsize,
    limit: usize,
}

/// A place in the queue or at a worker, given back when dropped.
pub struct Ticket {
    queue: Arc<PdfQueue>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.queue.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

impl PdfQueue {
    /// A queue with `workers` typesetting at once (at least one) and `queue` waiting.
    pub fn new(workers: usize, queue: usize) -> Arc<PdfQueue> {
        let workers = workers.max(1);
        Arc::new(PdfQueue {
            permits: Arc::new(Semaphore::new(workers)),
            admitted: AtomicUsize::new(0),
            limit: workers + queue,
        })
    }

    /// A ticket, unless as many requests as workers and queue places are admitted already.
    pub fn admit(self: &Arc<Self>) -> Option<Ticket> {
        self.admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .ok()
            .map(|_| Ticket {
                queue: Arc::clone(self),
            })
    }

    /// Waits for a worker.
    pub async fn worker(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.permits).acquire_owned().await.ok()
    }

    /// Requests admitted (typesetting or waiting).
    pub fn admitted(&self) -> usize {
        self.admitted.load(Ordering::Acquire)
    }
}

/// What the PDF handler needs.
#[derive(Clone)]
pub(crate) struct Pdfs {
    pub site: Shared,
    pub cache: Arc<ResponseCache>,
    pub queue: Arc<PdfQueue>,
}

fn not_available(site: &Shared, status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        pages::error(site, "PDF nicht verfügbar", message),
    )
        .into_response()
}

/// The profile as PDF. The cache key is the region's own key, so every spelling of the
/// address (a merged municipality's old key, any query string) shares one typeset PDF.
pub(crate) async fn profile_pdf(
    State(p): State<Pdfs>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let site = &p.site;
    let Some(r) = site.region(key.trim()) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            pages::error(
                site,
                "Gebiet nicht gefunden",
                &format!("Zum Schlüssel {key} gibt es kein Gebiet."),
            ),
        )
            .into_response();
    };
    let r = site.successor.get(&r).copied().unwrap_or(r);
    let key = html::qv(&site.regions[r].key);
    typeset_cached(
        &p,
        format!("/gemeinde/{key}/profil.pdf"),
        format!("gemeindeprofil-{key}.pdf"),
        &headers,
        move |s| sozialmonitor_report::profile(s, r),
    )
    .await
}

/// `/seniorenwegweiser.pdf?gemeinde=AGS`: the Seniorenwegweiser as a booklet, of the district
/// or of one of its municipalities (an unknown one is the district's).
pub(crate) async fn senior_booklet(
    State(p): State<Pdfs>,
    q: crate::query::Params,
    headers: HeaderMap,
) -> Response {
    let site = &p.site;
    let filter =
        sozialmonitor_site::directory::Filter::read(site, |k| q.get(k).unwrap_or("").to_string());
    let m = filter.municipality.as_deref().and_then(|k| site.region(k));
    let key = m.map_or(String::new(), |m| html::qv(&site.regions[m].key));
    let (cache_key, file) = if key.is_empty() {
        (
            "/seniorenwegweiser.pdf".to_string(),
            "seniorenwegweiser.pdf".to_string(),
        )
    } else {
        (
            format!("/seniorenwegweiser.pdf?gemeinde={key}"),
            format!("seniorenwegweiser-{key}.pdf"),
        )
    };
    typeset_cached(&p, cache_key, file, &headers, move |s| {
        sozialmonitor_report::senior_booklet(s, m)
    })
    .await
}

/// A PDF from the cache, or typeset by `make` behind the queue and then cached under
/// `cache_key`; `file` names it for the browser.
async fn typeset_cached(
    p: &Pdfs,
    cache_key: String,
    file: String,
    headers: &HeaderMap,
    make: impl FnOnce(&sozialmonitor_site::Site) -> Result<Vec<u8>, sozialmonitor_report::ReportError>
    + Send
    + 'static,
) -> Response {
    let site = &p.site;
    let gzip = accepts_gzip(headers.get(header::ACCEPT_ENCODING));
    let inm = headers.get(header::IF_NONE_MATCH);
    if let Some(hit) = p.cache.get(&cache_key) {
        return hit.respond(gzip, inm);
    }
    let busy = || {
        let mut r = not_available(
            site,
            StatusCode::SERVICE_UNAVAILABLE,
            "Gerade werden viele PDF-Dateien gesetzt. Bitte versuchen Sie es in einigen Sekunden noch einmal.",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER));
        r
    };
    let Some(ticket) = p.queue.admit() else {
        return busy();
    };
    let Some(permit) = p.queue.worker().await else {
        return busy();
    };
    // The request ahead of this one may have typeset the same PDF while this one waited.
    if let Some(hit) = p.cache.get(&cache_key) {
        return hit.respond(gzip, inm);
    }
    let s = site.clone();
    // Ticket and permit go with the job: a client that hangs up does not stop the typesetting,
    // so its core stays counted until the job ends.
    let job = tokio::task::spawn_blocking(move || {
        let _held = (ticket, permit);
        make(&s)
    });
    let failed = |what: &str| {
        tracing::error!(pdf = %cache_key, error = %what, "typesetting failed");
        not_available(
            site,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Die PDF-Datei konnte nicht gesetzt werden.",
        )
    };
    match job.await {
        Ok(Ok(pdf)) => {
            let mut h = HeaderMap::new();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{file}\"")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            p.cache.insert(&cache_key, h, pdf.into()).respond(gzip, inm)
        }
        Ok(Err(e)) => failed(&e.to_string()),
        Err(e) => failed(&e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_queue_admits_workers_plus_queue_and_refuses_the_rest() {
        let q = PdfQueue::new(1, 2);
        let a = q.admit().expect("worker");
        let b = q.admit().expect("queue 1");
        let c = q.admit().expect("queue 2");
        assert!(q.admit().is_none(), "beyond the queue");
        let permit = q.worker().await.expect("the one worker");
        // The second waits while the first typesets.
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), q.worker()).await;
        assert!(waiting.is_err());
        drop((a, permit));
        assert!(q.worker().await.is_some());
        assert_eq!(q.admitted(), 2);
        let d = q.admit().expect("a place is free again");
        drop((b, c, d));
        assert_eq!(q.admitted(), 0);
    }
}
