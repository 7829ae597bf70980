//! Who may do what in the planners' workspace: roles, permissions, the password and login-name
//! rules, and the timing of sessions and login lockouts (OWASP ASVS level 2 as the measure).
//!
//! The policy is here, typed, so that the server, the CLI and the tests read one rule: a route
//! names the [`Permission`] it needs and [`Role::may`] decides.

use std::fmt;

/// A role of a workspace account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Manages accounts and reads the audit log; may do everything a planner may.
    Admin,
    /// The planning team: everything in the workspace.
    Planner,
    /// A department's statistician (Fachbereich): delivers data and edits only the catalogue
    /// entries and measures its department owns.
    Provider,
    /// Reads internal values and the working lists, changes nothing.
    Viewer,
}

/// What a route or an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Any signed-in account: the overview, its own password.
    SignedIn,
    /// Internal (unprotected) values, the import history, revisions and the report's
    /// commentary. (The data-gap list and the catalogue are for every signed-in account: the
    /// catalogue is public anyway.)
    ReadInternal,
    /// Upload files, preview and commit imports.
    DeliverData,
    /// Undo an import batch (a new batch restoring the values before it).
    UndoImport,
    /// Edit catalogue entries (a provider: only its department's).
    EditCatalogue,
    /// Create new catalogue entries and change an entry's levels, publication and
    /// confidentiality rule (the planning team, not a department).
    DesignCatalogue,
    /// Set a confidentiality rule weaker than the default (`none`, or `min_count` below 3):
    /// small counts of that indicator would be published, so only an admin may.
    WeakenConfidentiality,
    /// Write the report's commentary and start report jobs.
    WriteReports,
    /// Change the planning cycle: timeline, decisions, priorities, recommendations, measures
    /// and their aims (the planning team).
    EditPlanning,
    /// Read, enter, export and erase the network's contact persons: personal data, seen only
    /// by those who keep it (a read-only account sees the organisations, not the people).
    ManageContacts,
    /// Create, change and disable accounts; reset passwords.
    ManageAccounts,
    /// Read and export the audit log.
    ReadAudit,
}

/// Every role, in the order lists show them.
pub const ROLES: [Role; 4] = [Role::Admin, Role::Planner, Role::Provider, Role::Viewer];

/// Every permission.
pub const PERMISSIONS: [Permission; 12] = [
    Permission::SignedIn,
    Permission::ReadInternal,
    Permission::DeliverData,
    Permission::UndoImport,
    Permission::EditCatalogue,
    Permission::DesignCatalogue,
    Permission::WeakenConfidentiality,
    Permission::WriteReports,
    Permission::EditPlanning,
    Permission::ManageContacts,
    Permission::ManageAccounts,
    Permission::ReadAudit,
];

impl Role {
    /// Whether this role has the permission (for a provider, object checks such as "its own
    /// department's entry" come on top).
    pub fn may(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Planner => !matches!(p, ManageAccounts | ReadAudit | WeakenConfidentiality),
            Role::Provider => matches!(p, SignedIn | DeliverData | EditCatalogue),
            Role::Viewer => matches!(p, SignedIn | ReadInternal),
        }
    }

    /// The code stored in the database and used on the command line.
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Provider => "provider",
            Role::Viewer => "viewer",
        }
    }

    /// Reads a code.
    pub fn parse(s: &str) -> Option<Role> {
        ROLES.into_iter().find(|r| r.code() == s.trim())
    }

    /// The German name shown in the workspace.
    pub fn label_de(self) -> &'static str {
        match self {
            Role::Admin => "Administration",
            Role::Planner => "Sozialplanung",
            Role::Provider => "Datenlieferung (Fachbereich)",
            Role::Viewer => "Lesezugriff",
        }
    }

    /// Whether accounts of this role belong to a department.
    pub fn needs_department(self) -> bool {
        self == Role::Provider
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Fewest characters of a password (ASVS 2.1.1).
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Most characters of a password (ASVS 2.1.2 asks that at least 64 be allowed).
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Passwords that are refused whatever their length: the commonest long ones in breach lists
/// and the ones this product's own texts suggest.
const COMMON_PASSWORDS: [&str; 12] = [
    "123456789012",
    "passwort1234",
    "password1234",
    "qwertzuiopü1",
    "qwertyuiop12",
    "sozialmonitor",
    "sozialplanung",
    "mittelsachsen",
    "anhalt-bitterfeld",
    "passwortpasswort",
    "passwordpassword",
    "111111111111",
];

/// Why a password is refused, in German for the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordProblem(pub String);

impl fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a new password: length in characters (not bytes), not the login, not a common one.
/// Every character is allowed and none is required (ASVS 2.1.9: no composition rules).
pub fn check_password(login: &str, password: &str) -> Result<(), PasswordProblem> {
    let n = password.chars().count();
    if n < PASSWORD_MIN_CHARS {
        return Err(PasswordProblem(format!(
            "Das Passwort ist zu kurz: mindestens {PASSWORD_MIN_CHARS} Zeichen (es hat {n})."
        )));
    }
    if n > PASSWORD_MAX_CHARS {
        return Err(PasswordProblem(format!(
            "Das Passwort ist zu lang: höchstens {PASSWORD_MAX_CHARS} Zeichen."
        )));
    }
    let lower = password.to_lowercase();
    if lower.contains(&login.to_lowercase()) && !login.is_empty() {
        return Err(PasswordProblem(
            "Das Passwort darf den Anmeldenamen nicht enthalten.".into(),
        ));
    }
    if COMMON_PASSWORDS.contains(&lower.as_str()) || one_character_repeated(password) {
        return Err(PasswordProblem(
            "Dieses Passwort ist zu leicht zu erraten. Bitte wählen Sie ein anderes.".into(),
        ));
    }
    Ok(())
}

/// Whether the text is one character over and over (`aaaaaaaaaaaa`).
fn one_character_repeated(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|first| chars.all(|c| c == first))
}

/// A validated login name: 2–64 characters of `a-z 0-9 . _ -`, stored in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Login(String);

impl Login {
    /// Reads a login name (case-insensitive: stored in lower case).
    pub fn parse(s: &str) -> Result<Login, String> {
        let s = s.trim().to_lowercase();
        let n = s.chars().count();
        if !(2..=64).contains(&n) {
            return Err("Der Anmeldename hat 2 bis 64 Zeichen.".into());
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        {
            return Err(
                "Der Anmeldename besteht aus Kleinbuchstaben a–z, Ziffern und . _ -".into(),
            );
        }
        Ok(Login(s))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A session ends after this many seconds without a request (ASVS 3.3.2: 30 minutes at level 2).
pub const SESSION_IDLE_SECONDS: i64 = 30 * 60;
/// A session ends this many seconds after the login, whatever the activity (ASVS 3.3.2: 12 hours).
pub const SESSION_MAX_SECONDS: i64 = 12 * 60 * 60;

/// Whether a session begun at `created` and last used at `seen` is still valid at `now`.
pub fn session_valid(created: i64, seen: i64, now: i64) -> bool {
    now >= created && now - seen <= SESSION_IDLE_SECONDS && now - created <= SESSION_MAX_SECONDS
}

/// Failed logins in a row that an account tolerates before it is locked for a while.
pub const LOGIN_FAILURES_FREE: i64 = 5;

/// How long an account is locked after `failures` failed logins in a row: nothing for the
/// first five, then one minute, doubling with every further failure up to an hour. The lock is
/// temporary so that an attacker cannot lock a planner out for good (ASVS 2.2.1).
pub fn lockout_seconds(failures: i64) -> i64 {
    if failures < LOGIN_FAILURES_FREE {
        return 0;
    }
    let doublings = (failures - LOGIN_FAILURES_FREE).min(6) as u32;
    (60_i64 << doublings).min(3600)
}

/// Failed sign-ins one client address may make within [`ADDRESS_WINDOW_SECONDS`] before its
/// sign-ins are refused for the rest of the window. Per account, [`lockout_seconds`] stops
/// guessing one password; this stops one address from trying a few passwords on every account
/// (ASVS 2.2.1, "password spraying"). Generous, so that a shared office address is not locked
/// out by its own typos.
pub const ADDRESS_FAILURES_FREE: u32 = 20;
/// The window of [`ADDRESS_FAILURES_FREE`], in seconds.
pub const ADDRESS_WINDOW_SECONDS: i64 = 15 * 60;
/// Addresses the throttle remembers at most; beyond it the oldest window is forgotten, so that
/// a flood of addresses cannot grow the memory without bound.
pub const ADDRESS_CAPACITY: usize = 10_000;

/// The part of a client address that one attacker controls as a whole: the IPv4 address, or the
/// /64 network of an IPv6 address (one household or server gets a whole /64).
pub fn address_key(addr: std::net::IpAddr) -> std::net::IpAddr {
    match addr {
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => std::net::IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                std::net::IpAddr::V6(s.into())
            }
        },
        v4 => v4,
    }
}

/// Failed sign-ins per client address in fixed windows (see [`ADDRESS_FAILURES_FREE`]).
#[derive(Debug, Default)]
pub struct AddressThrottle {
    /// Per address key: the start of its window and the failures in it.
    windows: std::collections::HashMap<std::net::IpAddr, (i64, u32)>,
}

impl AddressThrottle {
    /// Seconds until `addr` may try again, or `None` when it may sign in now.
    pub fn refused_for(&self, addr: std::net::IpAddr, now: i64) -> Option<i64> {
        let (start, failures) = *self.windows.get(&address_key(addr))?;
        let ends = start + ADDRESS_WINDOW_SECONDS;
        (failures >= ADDRESS_FAILURES_FREE && now < ends).then_some(ends - now)
    }

    /// Counts a failed sign-in from `addr`.
    pub fn failed(&mut self, addr: std::net::IpAddr, now: i64) {
        let key = address_key(addr);
        if !self.windows.contains_key(&key) && self.windows.len() >= ADDRESS_CAPACITY {
            self.windows
                .retain(|_, (start, _)| now < *start + ADDRESS_WINDOW_SECONDS);
            if self.windows.len() >= ADDRESS_CAPACITY
                && let Some(oldest) = self
                    .windows
                    .iter()
                    .min_by_key(|(k, (start, _))| (*start, **k))
                    .map(|(k, _)| *k)
            {
                self.windows.remove(&oldest);
            }
        }
        let w = self.windows.entry(key).or_insert((now, 0));
        if now >= w.0 + ADDRESS_WINDOW_SECONDS {
            *w = (now, 0);
        }
        w.1 = w.1.saturating_add(1);
    }

    /// Takes back one counted attempt of `addr` (a sign-in counted before its password check
    /// that then succeeded).
    pub fn forgive(&mut self, addr: std::net::IpAddr) {
        if let Some(w) = self.windows.get_mut(&address_key(addr)) {
            w.1 = w.1.saturating_sub(1);
        }
    }

    /// Addresses remembered (for tests of the bound).
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// Whether no address is remembered.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_as_designed() {
        use Permission::*;
        for p in PERMISSIONS {
            assert!(Role::Admin.may(p), "{p:?}");
        }
        assert!(Role::Planner.may(UndoImport) && !Role::Planner.may(ManageAccounts));
        assert!(Role::Provider.may(DeliverData) && !Role::Provider.may(ReadInternal));
        assert!(!Role::Provider.may(UndoImport) && !Role::Provider.may(WriteReports));
        assert!(Role::Viewer.may(ReadInternal) && !Role::Viewer.may(DeliverData));
        assert!(!Role::Viewer.may(EditCatalogue));
        assert!(Role::Planner.may(DesignCatalogue) && !Role::Provider.may(DesignCatalogue));
        assert!(!Role::Planner.may(WeakenConfidentiality));
        assert!(Role::Planner.may(EditPlanning) && !Role::Viewer.may(EditPlanning));
        assert!(!Role::Provider.may(EditPlanning));
        for r in ROLES {
            assert!(r.may(SignedIn));
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn passwords_are_counted_in_characters_and_common_ones_refused() {
        assert!(check_password("anna", "kurz").is_err());
        // Twelve characters but more bytes: allowed.
        assert!(check_password("anna", "äöüäöüäöüäöß").is_ok());
        assert!(check_password("anna", "anna-sommer-2026").is_err());
        assert!(check_password("anna", "Sozialmonitor").is_err());
        assert!(check_password("anna", "aaaaaaaaaaaaaaa").is_err());
        assert!(check_password("anna", &"x1".repeat(65)).is_err());
        assert!(check_password("anna", "Pferd Batterie Heftklammer").is_ok());
    }

    #[test]
    fn login_names_are_plain() {
        assert_eq!(
            Login::parse(" Anna.Sommer ").map(|l| l.0),
            Ok("anna.sommer".into())
        );
        assert!(Login::parse("a").is_err());
        assert!(Login::parse("anna sommer").is_err());
        assert!(Login::parse("<script>").is_err());
        assert!(Login::parse("änne").is_err());
    }

    #[test]
    fn sessions_expire_when_idle_and_after_twelve_hours() {
        assert!(session_valid(0, 0, SESSION_IDLE_SECONDS));
        assert!(!session_valid(0, 0, SESSION_IDLE_SECONDS + 1));
        assert!(session_valid(
            0,
            SESSION_MAX_SECONDS - 10,
            SESSION_MAX_SECONDS
        ));
        assert!(!session_valid(
            0,
            SESSION_MAX_SECONDS,
            SESSION_MAX_SECONDS + 1
        ));
        assert!(!session_valid(100, 100, 99));
    }

    #[test]
    fn lockouts_grow_and_stay_bounded() {
        assert_eq!(lockout_seconds(4), 0);
        assert_eq!(lockout_seconds(5), 60);
        assert_eq!(lockout_seconds(6), 120);
        assert_eq!(lockout_seconds(1000), 3600);
    }

    #[test]
    fn an_address_is_refused_after_its_free_failures_until_its_window_ends() {
        let a: std::net::IpAddr = "203.0.113.7".parse().expect("ip");
        let b: std::net::IpAddr = "203.0.113.8".parse().expect("ip");
        let mut t = AddressThrottle::default();
        for i in 0..ADDRESS_FAILURES_FREE {
            assert_eq!(t.refused_for(a, 1000), None, "failure {i}");
            t.failed(a, 1000 + i64::from(i));
        }
        assert_eq!(t.refused_for(a, 1100), Some(ADDRESS_WINDOW_SECONDS - 100));
        // Another address is not held up; the window ends on its own.
        assert_eq!(t.refused_for(b, 1100), None);
        assert_eq!(t.refused_for(a, 1000 + ADDRESS_WINDOW_SECONDS), None);
        t.failed(a, 1000 + ADDRESS_WINDOW_SECONDS);
        assert_eq!(t.refused_for(a, 1000 + ADDRESS_WINDOW_SECONDS), None);
    }

    #[test]
    fn an_ipv6_network_counts_as_one_address_and_memory_is_bounded() {
        let one: std::net::IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let same_net: std::net::IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let other_net: std::net::IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(address_key(one), address_key(same_net));
        assert_ne!(address_key(one), address_key(other_net));
        let mapped: std::net::IpAddr = "::ffff:192.0.2.1".parse().expect("ip");
        assert_eq!(
            address_key(mapped),
            "192.0.2.1".parse::<std::net::IpAddr>().expect("ip")
        );
        let mut t = AddressThrottle::default();
        for _ in 0..ADDRESS_FAILURES_FREE {
            t.failed(one, 0);
        }
        assert!(t.refused_for(same_net, 1).is_some());
        for i in 0..(ADDRESS_CAPACITY as u32 + 5) {
            t.failed(std::net::IpAddr::V4(std::net::Ipv4Addr::from(i)), 2);
        }
        assert_eq!(t.len(), ADDRESS_CAPACITY);
    }
}
