//! Passwords, tokens and cookies: argon2id hashes with OWASP's parameters, random tokens of 256
//! bits, sessions known to the database only by the SHA-256 of their token, and constant-time
//! comparison of secrets.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::http::HeaderMap;
use axum::http::header;
use sha2::{Digest, Sha256};

/// The session cookie.
pub const SESSION_COOKIE: &str = "sm_session";
/// The cookie that ties the login form to the browser that loaded it (login CSRF).
pub const LOGIN_COOKIE: &str = "sm_login";
/// Where the cookies are sent without TLS: the workspace only, never the public pages.
pub const COOKIE_PATH: &str = "/arbeitsbereich";

/// Argon2id with OWASP's first recommended setting: 19 MiB, 2 passes, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) for a password, with a random salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no random numbers: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?
        .to_string())
}

/// Whether `password` matches the stored hash (false for a hash that cannot be read).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| hasher().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A hash of a password nobody has, checked when a login name is unknown, so that an unknown
/// name takes as long as a wrong password (no account enumeration by timing).
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("kein Konto hat dieses Passwort").unwrap_or_default())
}

/// A random token of 256 bits, as 64 hex digits.
pub fn token() -> anyhow::Result<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no random numbers: {e}"))?;
    Ok(hex(&b))
}

/// A password for an account an admin creates or resets: 20 characters from an alphabet
/// without look-alikes (about 110 bits), shown once.
pub fn initial_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 20];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no random numbers: {e}"))?;
    // 256 is not a multiple of the alphabet's 56 letters; the bias (under 1 %) does not matter
    // for a password this long.
    Ok(b.iter()
        .map(|x| char::from(ALPHABET[usize::from(*x) % ALPHABET.len()]))
        .collect())
}

/// The SHA-256 of a session token, as stored.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of a cookie in the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The workspace's cookies as one request's connection calls for them.
///
/// Over TLS they carry the `__Host-` prefix, which the browser accepts only with `Secure`,
/// `Path=/` and no `Domain`: a page on a neighbouring subdomain can then neither set nor shadow
/// them (ASVS 3.4.4), and a cookie without the prefix is not read at all. Without TLS (a
/// workspace on the internal network, or a test) they keep their plain names and are limited to
/// the workspace's path. HttpOnly and SameSite=Strict always; no expiry, so they end with the
/// browser, and the server ends the session earlier (idle and absolute limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Jar {
    secure: bool,
}

impl Jar {
    /// The jar of a request over TLS (`secure`) or not.
    pub fn new(secure: bool) -> Jar {
        Jar { secure }
    }

    /// The name a cookie has in this jar.
    pub fn name(self, base: &str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_string()
        }
    }

    /// The value of a cookie in the request.
    pub fn get(self, headers: &HeaderMap, base: &str) -> Option<String> {
        cookie(headers, &self.name(base))
    }

    /// A `Set-Cookie` value.
    pub fn set(self, base: &str, value: &str) -> String {
        format!("{}={value}; {}", self.name(base), self.attributes())
    }

    /// A `Set-Cookie` value that removes the cookie.
    pub fn clear(self, base: &str) -> String {
        format!("{}=; Max-Age=0; {}", self.name(base), self.attributes())
    }

    fn attributes(self) -> String {
        if self.secure {
            "Path=/; HttpOnly; SameSite=Strict; Secure".to_string()
        } else {
            format!("Path={COOKIE_PATH}; HttpOnly; SameSite=Strict")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("Pferd Batterie Heftklammer").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("Pferd Batterie Heftklammer", &h));
        assert!(!verify_password("Pferd Batterie Heftklammer ", &h));
        assert!(!verify_password("x", "kein hash"));
        // A new salt each time.
        assert_ne!(
            h,
            hash_password("Pferd Batterie Heftklammer").expect("hash")
        );
    }

    #[test]
    fn tokens_are_long_random_and_stored_hashed() {
        let (a, b) = (token().expect("t"), token().expect("t"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(token_hash(&a), a);
        assert!(same_secret(&a, &a.clone()) && !same_secret(&a, &b) && !same_secret(&a, "x"));
        let p = initial_password().expect("p");
        assert_eq!(p.chars().count(), 20);
        assert!(sozialmonitor_core::access::check_password("anna", &p).is_ok());
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "xsm_session=no; sm_session=yes; other=1"
                .parse()
                .expect("h"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("yes"));
        assert_eq!(cookie(&h, "none"), None);
        let c = Jar::new(true).set(SESSION_COOKIE, "t");
        assert_eq!(
            c,
            "__Host-sm_session=t; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        let plain = Jar::new(false).set(SESSION_COOKIE, "t");
        assert_eq!(
            plain,
            "sm_session=t; Path=/arbeitsbereich; HttpOnly; SameSite=Strict"
        );
        // Over TLS the plain name is not read: a cookie set without the prefix (by a
        // neighbouring subdomain, say) cannot stand in for the session.
        assert_eq!(Jar::new(true).get(&h, SESSION_COOKIE), None);
        assert!(
            Jar::new(true)
                .clear(LOGIN_COOKIE)
                .starts_with("__Host-sm_login=; Max-Age=0;")
        );
    }
}
