//! The planners' workspace (Arbeitsbereich): accounts with roles, an audit log of every change,
//! the import history and data delivery with a preview, behind a login, under `/arbeitsbereich`.
//!
//! Every route is declared once in [`routes`] with the [`Permission`] it needs; the router is
//! built from that table and each route passes [`guard::guard`], which signs the request in,
//! checks the role, the CSRF token of every form and the origin of every POST. A route cannot
//! exist without its rule, and the authorization test walks the same table. The public
//! dashboard never reaches this crate's data: it is served from the results cache, and this
//! router is mounted only where `serve` puts it (the same address, or `--workspace-addr`).

#![warn(clippy::string_slice)]

mod api;
pub mod auth;
mod catalogue;
mod contacts;
pub mod coverage;
mod currency;
mod cycle;
mod delivery;
mod directory;
mod formula;
mod guard;
mod internal;
mod keys;
mod measure;
mod measure_import;
mod measure_table;
mod network;
pub mod network_file;
mod pages;
mod participation;
mod people;
pub mod plan_file;
mod planning;
mod recommendation;
mod service_edit;
pub mod service_file;
mod table_file;
pub(crate) mod writing;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{MethodRouter, get, post};
use sozialmonitor_core::access::Permission;
use sozialmonitor_store::{Database, Location};

pub use guard::Signed;

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone, signed in or not (the login form, the stylesheet).
    Anyone,
    /// A signed-in account whose role has this permission.
    Role(Permission),
    /// An API key (never a cookie) of an account whose role has this permission.
    Key(Permission),
}

/// One route of the workspace with its rule.
#[derive(Debug, Clone)]
pub struct Route {
    /// Method.
    pub method: Method,
    /// Path pattern as axum reads it.
    pub path: &'static str,
    /// A path that matches the pattern, for the authorization test.
    pub example: &'static str,
    /// What it needs.
    pub need: Need,
    /// A POST of files (`multipart/form-data`, the CSRF token its first field); other POSTs
    /// are forms (`application/x-www-form-urlencoded`), checked by the guard.
    pub upload: bool,
}

/// When the session cookie carries `Secure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecureCookies {
    /// When the request came over TLS as the proxy says (`X-Forwarded-Proto: https`).
    #[default]
    Auto,
    /// Always (a deployment behind TLS that does not send the header).
    Always,
}

/// Settings of the workspace.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Largest upload of one delivery, in bytes.
    pub max_upload_bytes: usize,
    /// When cookies are `Secure`.
    pub secure_cookies: SecureCookies,
    /// The district whose social report the workspace writes (the start page's).
    pub kreis: String,
    /// Reverse proxies whose `X-Forwarded-For` names the client (by default the loopback
    /// addresses: a proxy on the same host). The sign-in throttle counts per client address;
    /// from any other peer the header is ignored, since a client can send whatever it likes.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_upload_bytes: 512 << 20,
            secure_cookies: SecureCookies::Auto,
            kreis: "14522".into(),
            trusted_proxies: vec![
                std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::Ipv6Addr::LOCALHOST.into(),
            ],
        }
    }
}

/// The shared state of the workspace.
#[derive(Clone)]
pub struct Workspace {
    inner: Arc<Inner>,
}

struct Inner {
    /// One connection for the workspace's small reads and writes.
    db: Mutex<Database>,
    /// Where the database is: imports open a connection of their own, so that a long import
    /// does not hold up sign-ins.
    location: Location,
    settings: Settings,
    clock: Box<dyn Fn() -> i64 + Send + Sync>,
    /// Password hashing is slow on purpose and takes 19 MiB; at most two run at once, so that a
    /// flood of logins cannot exhaust memory or starve the dashboard.
    hashing: tokio::sync::Semaphore,
    /// Requests waiting for a hashing slot; beyond [`MAX_HASH_WAITING`] a sign-in gets 503.
    hash_waiting: std::sync::atomic::AtomicUsize,
    /// Accounts with a sign-in under way in this process: a second attempt for the same account
    /// meanwhile is refused, so that parallel guesses cannot outrun the lockout.
    signing_in: Mutex<std::collections::HashSet<String>>,
    /// Failed sign-ins per client address (password spraying across accounts), counted in this
    /// process: each process behind a proxy counts its own.
    addresses: Mutex<sozialmonitor_core::access::AddressThrottle>,
    deliveries: delivery::Pending,
    jobs: writing::Jobs,
    /// Held while a catalogue entry is checked against the stored one and saved, so that two
    /// saves of this process cannot interleave (a new key taken twice, an edit lost).
    catalogue: tokio::sync::Mutex<()>,
}

/// Sign-ins that may wait for a hashing slot at once.
const MAX_HASH_WAITING: usize = 16;

impl Workspace {
    /// The workspace over the database at `location` (opened once more for imports).
    pub fn new(location: Location, settings: Settings) -> anyhow::Result<Workspace> {
        Workspace::with_clock(location, settings, Box::new(unix_now))
    }

    /// With a clock of its own (tests move time on to see sessions expire).
    pub fn with_clock(
        location: Location,
        settings: Settings,
        clock: Box<dyn Fn() -> i64 + Send + Sync>,
    ) -> anyhow::Result<Workspace> {
        let db = Database::open(&location)?;
        Ok(Workspace {
            inner: Arc::new(Inner {
                db: Mutex::new(db),
                location,
                settings,
                clock,
                hashing: tokio::sync::Semaphore::new(2),
                hash_waiting: std::sync::atomic::AtomicUsize::new(0),
                signing_in: Mutex::new(std::collections::HashSet::new()),
                addresses: Mutex::new(Default::default()),
                deliveries: delivery::Pending::default(),
                jobs: writing::Jobs::default(),
                catalogue: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Unix seconds now.
    pub fn now(&self) -> i64 {
        (self.inner.clock)()
    }

    /// Runs `f` on the workspace's connection on a blocking thread.
    pub(crate) async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Database) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut db = inner
                .db
                .lock()
                .map_err(|_| anyhow::anyhow!("the workspace connection was poisoned"))?;
            f(&mut db)
        })
        .await?
    }
}

/// A hashing slot, or `None` when too many wait already.
pub(crate) struct HashSlot<'a> {
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl Workspace {
    /// Waits for one of the two hashing slots; `None` when [`MAX_HASH_WAITING`] requests wait
    /// already (the caller answers 503).
    pub(crate) async fn hash_slot(&self) -> Option<HashSlot<'_>> {
        use std::sync::atomic::Ordering;
        let waiting = &self.inner.hash_waiting;
        if waiting.fetch_add(1, Ordering::AcqRel) >= MAX_HASH_WAITING {
            waiting.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        let permit = self.inner.hashing.acquire().await.ok();
        waiting.fetch_sub(1, Ordering::AcqRel);
        permit.map(|p| HashSlot { _permit: p })
    }

    /// Seconds until sign-ins from `addr` are taken again, or `None` when they are now.
    pub(crate) fn address_refused_for(&self, addr: std::net::IpAddr, now: i64) -> Option<i64> {
        self.inner.addresses.lock().ok()?.refused_for(addr, now)
    }

    /// Counts a sign-in attempt from `addr` as failed until [`Workspace::address_forgive`].
    pub(crate) fn address_failed(&self, addr: std::net::IpAddr, now: i64) {
        if let Ok(mut t) = self.inner.addresses.lock() {
            t.failed(addr, now);
        }
    }

    /// Takes back the attempt counted for a sign-in from `addr` that succeeded.
    pub(crate) fn address_forgive(&self, addr: std::net::IpAddr) {
        if let Ok(mut t) = self.inner.addresses.lock() {
            t.forgive(addr);
        }
    }

    /// Marks a sign-in of `login` as under way; `None` when one is already.
    pub(crate) fn begin_sign_in(&self, login: &str) -> Option<SigningIn<'_>> {
        let mut set = self.inner.signing_in.lock().ok()?;
        set.insert(login.to_string()).then(|| SigningIn {
            ws: self,
            login: login.to_string(),
        })
    }
}

/// A sign-in under way; dropping it ends the mark.
pub(crate) struct SigningIn<'a> {
    ws: &'a Workspace,
    login: String,
}

impl Drop for SigningIn<'_> {
    fn drop(&mut self) {
        if let Ok(mut set) = self.ws.inner.signing_in.lock() {
            set.remove(&self.login);
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Every route of the workspace with its rule and its handler. The router and the
/// authorization test are both made from this table.
fn table() -> Vec<(Route, MethodRouter<Workspace>)> {
    use Permission::*;
    let r = |method: Method, path, example, need| Route {
        method,
        path,
        example,
        need,
        upload: false,
    };
    vec![
        (
            r(
                Method::GET,
                "/arbeitsbereich/static/workspace.css",
                "/arbeitsbereich/static/workspace.css",
                Need::Anyone,
            ),
            get(pages::css),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/static/workspace.js",
                "/arbeitsbereich/static/workspace.js",
                Need::Anyone,
            ),
            get(pages::js),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/anmelden",
                "/arbeitsbereich/anmelden",
                Need::Anyone,
            ),
            get(people::login_form),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/anmelden",
                "/arbeitsbereich/anmelden",
                Need::Anyone,
            ),
            // A login form is a few hundred bytes.
            post(people::login).layer(axum::extract::DefaultBodyLimit::max(16 << 10)),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/abmelden",
                "/arbeitsbereich/abmelden",
                Need::Role(SignedIn),
            ),
            post(people::logout),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich",
                "/arbeitsbereich",
                Need::Role(SignedIn),
            ),
            get(pages::overview),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/passwort",
                "/arbeitsbereich/passwort",
                Need::Role(SignedIn),
            ),
            get(people::password_form),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/passwort",
                "/arbeitsbereich/passwort",
                Need::Role(SignedIn),
            ),
            post(people::change_password),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/konten",
                "/arbeitsbereich/konten",
                Need::Role(ManageAccounts),
            ),
            get(people::accounts),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/konten",
                "/arbeitsbereich/konten",
                Need::Role(ManageAccounts),
            ),
            post(people::create_account),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/konten/{login}",
                "/arbeitsbereich/konten/anna",
                Need::Role(ManageAccounts),
            ),
            post(people::change_account),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/protokoll",
                "/arbeitsbereich/protokoll",
                Need::Role(ReadAudit),
            ),
            get(people::audit),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/protokoll.csv",
                "/arbeitsbereich/protokoll.csv",
                Need::Role(ReadAudit),
            ),
            get(people::audit_csv),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/importe",
                "/arbeitsbereich/importe",
                Need::Role(ReadInternal),
            ),
            get(delivery::history),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/lieferung",
                "/arbeitsbereich/lieferung",
                Need::Role(DeliverData),
            ),
            get(delivery::form),
        ),
        (
            Route {
                upload: true,
                ..r(
                    Method::POST,
                    "/arbeitsbereich/lieferung",
                    "/arbeitsbereich/lieferung",
                    Need::Role(DeliverData),
                )
            },
            // The handler counts the bytes against `Settings::max_upload_bytes` itself.
            post(delivery::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/lieferung/{id}",
                "/arbeitsbereich/lieferung/x",
                Need::Role(DeliverData),
            ),
            get(delivery::preview),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/lieferung/{id}",
                "/arbeitsbereich/lieferung/x",
                Need::Role(DeliverData),
            ),
            post(delivery::decide),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/importe/{id}/zuruecknehmen",
                "/arbeitsbereich/importe/1/zuruecknehmen",
                Need::Role(UndoImport),
            ),
            post(delivery::undo),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/lieferungen",
                "/arbeitsbereich/lieferungen",
                Need::Role(DeliverData),
            ),
            get(delivery::due),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/vorlage",
                "/arbeitsbereich/vorlage",
                Need::Role(DeliverData),
            ),
            get(delivery::template),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/katalog",
                "/arbeitsbereich/katalog",
                Need::Role(SignedIn),
            ),
            get(catalogue::list),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/katalog.toml",
                "/arbeitsbereich/katalog.toml",
                Need::Role(SignedIn),
            ),
            get(catalogue::export),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/katalog-neu",
                "/arbeitsbereich/katalog-neu",
                Need::Role(DesignCatalogue),
            ),
            get(catalogue::new_form),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/katalog-neu",
                "/arbeitsbereich/katalog-neu",
                Need::Role(DesignCatalogue),
            ),
            post(catalogue::create),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/formel-pruefen",
                "/arbeitsbereich/formel-pruefen?formula=1",
                Need::Role(DesignCatalogue),
            ),
            get(formula::check),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/katalog/{key}",
                "/arbeitsbereich/katalog/anteil_65_plus",
                Need::Role(EditCatalogue),
            ),
            get(catalogue::edit),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/katalog/{key}",
                "/arbeitsbereich/katalog/anteil_65_plus",
                Need::Role(EditCatalogue),
            ),
            post(catalogue::save),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/revisionen",
                "/arbeitsbereich/revisionen",
                Need::Role(ReadInternal),
            ),
            get(internal::revisions),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/werte",
                "/arbeitsbereich/werte",
                Need::Role(ReadInternal),
            ),
            get(internal::values),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/datenluecken",
                "/arbeitsbereich/datenluecken",
                Need::Role(SignedIn),
            ),
            get(pages::gaps),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/aktualitaet",
                "/arbeitsbereich/aktualitaet",
                Need::Role(SignedIn),
            ),
            get(currency::page_of),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/bericht",
                "/arbeitsbereich/bericht",
                Need::Role(ReadInternal),
            ),
            get(writing::overview),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/bericht/kapitel/{slug}",
                "/arbeitsbereich/bericht/kapitel/wohnen",
                Need::Role(ReadInternal),
            ),
            get(writing::chapter),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/bericht/kapitel/{slug}",
                "/arbeitsbereich/bericht/kapitel/wohnen",
                Need::Role(WriteReports),
            ),
            post(writing::save_chapter),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/bericht/erstellen",
                "/arbeitsbereich/bericht/erstellen",
                Need::Role(WriteReports),
            ),
            post(writing::make_report),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/bericht/profile",
                "/arbeitsbereich/bericht/profile",
                Need::Role(WriteReports),
            ),
            post(writing::make_profiles),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/planung",
                "/arbeitsbereich/planung",
                Need::Role(ReadInternal),
            ),
            get(planning::overview),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/planung/empfehlung",
                "/arbeitsbereich/planung/empfehlung",
                Need::Role(EditPlanning),
            ),
            post(planning::add_recommendation),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/planung/empfehlung/{id}/beschluss",
                "/arbeitsbereich/planung/empfehlung/1/beschluss",
                Need::Role(EditPlanning),
            ),
            post(planning::decide),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/planung/empfehlung/{id}",
                "/arbeitsbereich/planung/empfehlung/1",
                Need::Role(EditPlanning),
            ),
            post(recommendation::save),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/planung/dokument",
                "/arbeitsbereich/planung/dokument",
                Need::Role(EditPlanning),
            ),
            post(planning::make_document),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/planung/massnahme",
                "/arbeitsbereich/planung/massnahme",
                Need::Role(EditPlanning),
            ),
            post(planning::add_measure),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/planung/zyklus",
                "/arbeitsbereich/planung/zyklus",
                Need::Role(EditPlanning),
            ),
            post(cycle::add_cycle),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/planung/zeitplan",
                "/arbeitsbereich/planung/zeitplan",
                Need::Role(EditPlanning),
            ),
            post(cycle::add_milestone),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/planung/entscheidung",
                "/arbeitsbereich/planung/entscheidung",
                Need::Role(EditPlanning),
            ),
            post(cycle::add_decision),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/planung/entscheidung/{id}",
                "/arbeitsbereich/planung/entscheidung/1",
                Need::Role(EditPlanning),
            ),
            post(cycle::record_outcome),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/planung/schwerpunkt",
                "/arbeitsbereich/planung/schwerpunkt",
                Need::Role(EditPlanning),
            ),
            post(cycle::add_priority),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/planung/loeschen",
                "/arbeitsbereich/planung/loeschen",
                Need::Role(EditPlanning),
            ),
            post(cycle::delete),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/planung/massnahme/{id}",
                "/arbeitsbereich/planung/massnahme/1",
                Need::Role(ReadInternal),
            ),
            get(measure::show),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/planung/massnahme/{id}",
                "/arbeitsbereich/planung/massnahme/1",
                Need::Role(EditPlanning),
            ),
            post(measure::save),
        ),
        (
            Route {
                upload: true,
                ..r(
                    Method::POST,
                    "/arbeitsbereich/planung/zyklus/{id}/massnahmen",
                    "/arbeitsbereich/planung/zyklus/1/massnahmen",
                    Need::Role(EditPlanning),
                )
            },
            // The handler counts the bytes against `Settings::max_upload_bytes` itself.
            post(measure_import::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/planung/massnahmen.csv",
                "/arbeitsbereich/planung/massnahmen.csv",
                Need::Role(ReadInternal),
            ),
            get(measure_table::export_csv),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/planung/massnahmen.xlsx",
                "/arbeitsbereich/planung/massnahmen.xlsx",
                Need::Role(ReadInternal),
            ),
            get(measure_table::export_xlsx),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/wegweiser",
                "/arbeitsbereich/wegweiser",
                Need::Role(ReadInternal),
            ),
            get(directory::overview),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/wegweiser.csv",
                "/arbeitsbereich/wegweiser.csv",
                Need::Role(ReadInternal),
            ),
            get(directory::export_csv),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/wegweiser.xlsx",
                "/arbeitsbereich/wegweiser.xlsx",
                Need::Role(ReadInternal),
            ),
            get(directory::export_xlsx),
        ),
        (
            Route {
                upload: true,
                ..r(
                    Method::POST,
                    "/arbeitsbereich/wegweiser",
                    "/arbeitsbereich/wegweiser",
                    Need::Role(EditPlanning),
                )
            },
            // The handler counts the bytes against its own limit.
            post(directory::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/wegweiser/{id}",
                "/arbeitsbereich/wegweiser/1",
                Need::Role(ReadInternal),
            ),
            get(service_edit::show),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/wegweiser/{id}",
                "/arbeitsbereich/wegweiser/1",
                Need::Role(EditPlanning),
            ),
            post(service_edit::save),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/wegweiser/{id}/geprueft",
                "/arbeitsbereich/wegweiser/1/geprueft",
                Need::Role(EditPlanning),
            ),
            post(directory::checked),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/wegweiser/{id}/loeschen",
                "/arbeitsbereich/wegweiser/1/loeschen",
                Need::Role(EditPlanning),
            ),
            post(directory::delete),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/netzwerk",
                "/arbeitsbereich/netzwerk",
                Need::Role(ReadInternal),
            ),
            get(network::overview),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/netzwerk/akteure",
                "/arbeitsbereich/netzwerk/akteure",
                Need::Role(EditPlanning),
            ),
            post(network::add_actor),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/netzwerk/akteur/{id}",
                "/arbeitsbereich/netzwerk/akteur/1",
                Need::Role(ReadInternal),
            ),
            get(network::actor),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/netzwerk/akteur/{id}",
                "/arbeitsbereich/netzwerk/akteur/1",
                Need::Role(EditPlanning),
            ),
            post(network::save_actor),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/netzwerk/akteur/{id}/loeschen",
                "/arbeitsbereich/netzwerk/akteur/1/loeschen",
                Need::Role(EditPlanning),
            ),
            post(network::delete_actor),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/netzwerk/akteur/{id}/personen",
                "/arbeitsbereich/netzwerk/akteur/1/personen",
                Need::Role(ManageContacts),
            ),
            post(contacts::add_person),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/netzwerk/person/{id}/auskunft",
                "/arbeitsbereich/netzwerk/person/1/auskunft",
                Need::Role(ManageContacts),
            ),
            get(contacts::export_person),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/netzwerk/person/{id}/loeschen",
                "/arbeitsbereich/netzwerk/person/1/loeschen",
                Need::Role(ManageContacts),
            ),
            post(contacts::erase_person),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/netzwerk/gruppen",
                "/arbeitsbereich/netzwerk/gruppen",
                Need::Role(EditPlanning),
            ),
            post(network::add_group),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/netzwerk/mitglieder",
                "/arbeitsbereich/netzwerk/mitglieder",
                Need::Role(EditPlanning),
            ),
            post(network::add_member),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/beteiligung",
                "/arbeitsbereich/beteiligung",
                Need::Role(ReadInternal),
            ),
            get(participation::overview),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/beteiligung",
                "/arbeitsbereich/beteiligung",
                Need::Role(EditPlanning),
            ),
            post(participation::add_event),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/beteiligung/{id}",
                "/arbeitsbereich/beteiligung/1",
                Need::Role(ReadInternal),
            ),
            get(participation::event),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/beteiligung/{id}",
                "/arbeitsbereich/beteiligung/1",
                Need::Role(EditPlanning),
            ),
            post(participation::save_event),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/beteiligung/{id}/impulse",
                "/arbeitsbereich/beteiligung/1/impulse",
                Need::Role(EditPlanning),
            ),
            post(participation::add_impulse),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/beteiligung/{id}/loeschen",
                "/arbeitsbereich/beteiligung/1/loeschen",
                Need::Role(EditPlanning),
            ),
            post(participation::delete_event),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/beteiligung/impuls/{id}/loeschen",
                "/arbeitsbereich/beteiligung/impuls/1/loeschen",
                Need::Role(EditPlanning),
            ),
            post(participation::delete_impulse),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/api-schluessel",
                "/arbeitsbereich/api-schluessel",
                Need::Role(SignedIn),
            ),
            get(keys::list),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/api-schluessel",
                "/arbeitsbereich/api-schluessel",
                Need::Role(SignedIn),
            ),
            post(keys::create),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/api-schluessel/{id}/widerrufen",
                "/arbeitsbereich/api-schluessel/1/widerrufen",
                Need::Role(SignedIn),
            ),
            post(keys::revoke),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/api/v1/openapi.json",
                "/arbeitsbereich/api/v1/openapi.json",
                Need::Anyone,
            ),
            get(api::openapi),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/api/v1/planung",
                "/arbeitsbereich/api/v1/planung",
                Need::Key(ReadInternal),
            ),
            get(api::planning),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/api/v1/planung",
                "/arbeitsbereich/api/v1/planung",
                Need::Key(EditPlanning),
            ),
            post(api::post_cycles),
        ),
        (
            r(
                Method::POST,
                "/arbeitsbereich/api/v1/planung/zyklen/{id}/massnahmen",
                "/arbeitsbereich/api/v1/planung/zyklen/1/massnahmen",
                Need::Key(EditPlanning),
            ),
            post(api::post_measures),
        ),
        (
            r(
                Method::GET,
                "/arbeitsbereich/bericht/datei/{id}",
                "/arbeitsbereich/bericht/datei/1",
                Need::Role(ReadInternal),
            ),
            get(writing::download),
        ),
    ]
}

/// The routes and their rules (for tests and documentation).
pub fn routes() -> Vec<Route> {
    table().into_iter().map(|(r, _)| r).collect()
}

/// The workspace's router: every route behind its guard, the rest 404, nothing cached.
pub fn router(ws: Workspace) -> Router {
    let mut router: Router<Workspace> = Router::new();
    for (route, handler) in table() {
        let guarded = handler.route_layer(from_fn_with_state(
            (ws.clone(), route.need, route.upload),
            guard::guard,
        ));
        router = router.route(route.path, guarded);
    }
    router
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(guard::no_store))
        .with_state(ws)
}

#[cfg(test)]
mod tests;
