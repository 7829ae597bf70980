//! The indicator catalogue (Datenkatalog) as TOML files kept in the repository: one
//! `[[indicator]]` table per indicator. Read like any source, so the store versions it.

use serde::Deserialize;
use sozialmonitor_core::{Dataset, Diagnostic, IndicatorEntry, IndicatorStatus};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    indicator: Vec<IndicatorEntry>,
}

/// Line (1-based) and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    // The parser's offsets should lie on character boundaries; if one does not, count up to the
    // start of the character it points into rather than slice through it.
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = text.get(..end).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// Reads a catalogue file already decoded to text.
pub fn read(file: &str, text: &str) -> Dataset {
    let mut ds = Dataset::new("catalog");
    let parsed: File = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
            ds.diagnostics.push(
                Diagnostic::error(file, line, col, e.message().to_string())
                    .with_hint("see catalog/README.md for the fields of an [[indicator]]"),
            );
            return ds;
        }
    };
    let mut seen = std::collections::BTreeSet::new();
    for e in parsed.indicator {
        ds.rows_read += 1;
        // Position of the entry's key, for diagnostics.
        let line = text
            .lines()
            .position(|l| {
                let l = l.trim_start();
                l.starts_with("key")
                    && (l.contains(&format!("'{}'", e.key))
                        || l.contains(&format!("\"{}\"", e.key)))
            })
            .map(|i| i + 1)
            .unwrap_or(0);
        if e.key.is_empty()
            || !e
                .key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            ds.diagnostics.push(Diagnostic::error(
                file,
                line,
                0,
                format!(
                    "indicator key `{}` must be lowercase letters, digits and `_`",
                    e.key
                ),
            ));
            continue;
        }
        if !seen.insert(e.key.clone()) {
            ds.diagnostics.push(Diagnostic::error(
                file,
                line,
                0,
                format!("indicator `{}` is defined twice", e.key),
            ));
            continue;
        }
        if e.status == IndicatorStatus::Available {
            if let Err(err) = sozialmonitor_core::formula::parse(&e.formula) {
                ds.diagnostics.push(
                    Diagnostic::error(file, line, 0, format!("indicator `{}`: {err}", e.key))
                        .with_hint(err.show(&e.formula)),
                );
                continue;
            }
        } else if e.how_to_collect.trim().is_empty() {
            ds.diagnostics.push(Diagnostic::warning(file, line, 0, format!("indicator `{}` is not available; say in how_to_collect how the data could be collected", e.key)));
        }
        ds.catalog.push(e);
    }
    ds
}
