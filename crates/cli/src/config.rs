//! The configuration file (`sozialmonitor.toml`, or `--config FILE`): every setting of a
//! deployment in one place. A command-line flag wins over its environment variable, which wins
//! over the file, which wins over the default; `docs/operations.md` lists them all.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

/// The file read when `--config` is not given, if it exists in the working directory.
pub const DEFAULT_FILE: &str = "sozialmonitor.toml";

/// The settings of the file.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The database (`SOZIALMONITOR_DB`, `--db`).
    pub db: Option<String>,
    /// The server.
    #[serde(default)]
    pub serve: Serve,
}

/// `[serve]`: settings of `sozialmonitor serve`.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Serve {
    /// Address of the dashboard (`SOZIALMONITOR_ADDR`, `--addr`).
    pub addr: Option<String>,
    /// The district of the start page (`SOZIALMONITOR_KREIS`, `--kreis`).
    pub kreis: Option<String>,
    /// Log format: `text` or `json` (`SOZIALMONITOR_LOG_FORMAT`, `--log-format`).
    pub log_format: Option<String>,
    /// Log level: off, error, warn, info, debug (`SOZIALMONITOR_LOG`).
    pub log: Option<String>,
    /// Seconds between checks for new data (`SOZIALMONITOR_RELOAD_SECONDS`, `--reload-seconds`;
    /// 0: never).
    pub reload_seconds: Option<f64>,
    /// Response cache in MB (`SOZIALMONITOR_CACHE_MB`).
    pub cache_mb: Option<u64>,
    /// Seconds for a client to send its request head (`SOZIALMONITOR_HEADER_TIMEOUT`).
    pub header_timeout: Option<f64>,
    /// Seconds for a response (`SOZIALMONITOR_REQUEST_TIMEOUT`).
    pub request_timeout: Option<f64>,
    /// Open connections at most (`SOZIALMONITOR_MAX_CONNECTIONS`).
    pub max_connections: Option<u64>,
    /// PDF requests that may wait (`SOZIALMONITOR_PDF_QUEUE`).
    pub pdf_queue: Option<u64>,
    /// Address of the planners' workspace (`SOZIALMONITOR_WORKSPACE_ADDR`,
    /// `--workspace-addr`): `same` (under `/arbeitsbereich` on the dashboard's address, the
    /// default), an address of its own such as `10.0.0.5:8081`, or `off`.
    pub workspace_addr: Option<String>,
    /// Session cookies always `Secure` (`SOZIALMONITOR_SECURE_COOKIES`); by default they are
    /// when the proxy says the request came over TLS (`X-Forwarded-Proto: https`).
    pub secure_cookies: Option<bool>,
    /// Largest upload of one data delivery in MB (`SOZIALMONITOR_MAX_UPLOAD_MB`, default 512).
    pub max_upload_mb: Option<u64>,
    /// Reverse proxies whose `X-Forwarded-For` names the client
    /// (`SOZIALMONITOR_TRUSTED_PROXIES`, comma-separated; default the loopback addresses).
    pub trusted_proxies: Option<Vec<String>>,
}

impl Config {
    /// Reads `--config FILE` (which must exist), else `sozialmonitor.toml` if present, else the
    /// defaults. A bad file is an error naming the file, line and setting.
    pub fn load(given: Option<&Path>) -> Result<Config> {
        let path: PathBuf = match given {
            Some(p) => p.to_path_buf(),
            None if Path::new(DEFAULT_FILE).is_file() => PathBuf::from(DEFAULT_FILE),
            None => return Ok(Config::default()),
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the configuration {}", path.display()))?;
        Config::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses the text of a configuration file.
    pub fn parse(text: &str) -> Result<Config> {
        let c: Config = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(f) = &c.serve.log_format {
            anyhow::ensure!(
                matches!(f.as_str(), "text" | "json"),
                "serve.log_format = \"{f}\": text or json"
            );
        }
        Ok(c)
    }

    /// The server limits of the file as the `SOZIALMONITOR_*` variables the server reads, for
    /// those the environment does not set already.
    pub fn server_vars(&self) -> Vec<(&'static str, String)> {
        let s = &self.serve;
        let mut v = Vec::new();
        let mut put = |k: &'static str, val: Option<String>| {
            if let Some(val) = val
                && std::env::var_os(k).is_none()
            {
                v.push((k, val));
            }
        };
        put("SOZIALMONITOR_LOG", s.log.clone());
        put("SOZIALMONITOR_CACHE_MB", s.cache_mb.map(|x| x.to_string()));
        put(
            "SOZIALMONITOR_HEADER_TIMEOUT",
            s.header_timeout.map(|x| x.to_string()),
        );
        put(
            "SOZIALMONITOR_REQUEST_TIMEOUT",
            s.request_timeout.map(|x| x.to_string()),
        );
        put(
            "SOZIALMONITOR_MAX_CONNECTIONS",
            s.max_connections.map(|x| x.to_string()),
        );
        put(
            "SOZIALMONITOR_PDF_QUEUE",
            s.pdf_queue.map(|x| x.to_string()),
        );
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_file_is_read() {
        let c = Config::parse(
            r#"
db = "postgres://sm@localhost/sozialmonitor"
[serve]
addr = "127.0.0.1:8080"
kreis = "15082"
log_format = "json"
reload_seconds = 2.5
cache_mb = 64
"#,
        )
        .expect("parses");
        assert_eq!(
            c.db.as_deref(),
            Some("postgres://sm@localhost/sozialmonitor")
        );
        assert_eq!(c.serve.kreis.as_deref(), Some("15082"));
        assert_eq!(c.serve.reload_seconds, Some(2.5));
        assert_eq!(c.serve.cache_mb, Some(64));
    }

    #[test]
    fn the_documented_example_is_valid() {
        let c = Config::parse(include_str!("../../../deploy/sozialmonitor.toml.example"))
            .expect("deploy/sozialmonitor.toml.example parses");
        assert!(c.db.is_some() && c.serve.addr.is_some());
        let vars = c.server_vars();
        assert!(
            vars.iter().any(|(k, _)| *k == "SOZIALMONITOR_PDF_QUEUE")
                || std::env::var_os("SOZIALMONITOR_PDF_QUEUE").is_some()
        );
    }

    #[test]
    fn a_mistyped_setting_is_an_error_with_its_line() {
        let e = Config::parse("db = \"x.sqlite\"\n[serve]\nadress = \"1\"\n")
            .expect_err("unknown key")
            .to_string();
        assert!(e.contains("adress") && e.contains("line 3"), "{e}");
        let e = Config::parse("[serve]\nlog_format = \"xml\"\n")
            .expect_err("bad value")
            .to_string();
        assert!(e.contains("text or json"), "{e}");
    }
}
