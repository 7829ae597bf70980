//! The indicator catalogue (Datenkatalog) as TOML files kept in the repository: one
//! `[[indicator]]` table per indicator. Read like any source, so the store versions it.

use serde::Deserialize;
use sozialmonitor_core::catalog::SeriesBreak;
use sozialmonitor_core::currency::Release;
use sozialmonitor_core::{Dataset, Diagnostic, IndicatorEntry, IndicatorStatus, RegionLevel};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    indicator: Vec<IndicatorEntry>,
    #[serde(default)]
    series_break: Vec<SeriesBreak>,
    #[serde(default)]
    release: Vec<Release>,
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
        let line = key_line(text, &e.key);
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
        if let Some((b, problem)) = e.breaks.iter().find_map(|b| Some((b, break_problem(b)?))) {
            ds.diagnostics.push(Diagnostic::error(
                file,
                line,
                0,
                format!("indicator `{}`: series break `{}`: {problem}", e.key, b.key),
            ));
            continue;
        }
        ds.catalog.push(e);
    }
    // Each formula is read once for both kinds of catalogue-wide data.
    let measures: Vec<Vec<String>> = ds
        .catalog
        .iter()
        .map(|e| sozialmonitor_core::formula::measures(&e.formula))
        .collect();
    attach(file, text, parsed.series_break, &measures, &mut ds);
    for e in &mut ds.catalog {
        e.breaks.sort_by_key(|b| b.year);
    }
    attach(file, text, parsed.release, &measures, &mut ds);
    ds
}

/// Catalogue-wide data that the import hands to the indicator entries it concerns, so that a
/// stored entry carries it: series breaks and publications.
trait Attached: Clone {
    /// Its name in diagnostics (`series break`).
    const WHAT: &'static str;
    /// Where to look when it concerns no indicator.
    const SCOPE_HINT: &'static str;
    fn key(&self) -> &str;
    fn problem(&self) -> Option<String>;
    /// Whether it concerns an entry that reads `measures`.
    fn concerns_entry(&self, e: &IndicatorEntry, measures: &[String]) -> bool;
    fn give(&self, e: &mut IndicatorEntry);
    /// Whether concerning no indicator of this file is worth a warning.
    fn needs_an_indicator(&self) -> bool {
        true
    }
}

impl Attached for SeriesBreak {
    const WHAT: &'static str = "series break";
    const SCOPE_HINT: &'static str = "`measures` and `indicators`";
    fn key(&self) -> &str {
        &self.key
    }
    fn problem(&self) -> Option<String> {
        break_problem(self)
    }
    fn concerns_entry(&self, e: &IndicatorEntry, measures: &[String]) -> bool {
        self.concerns(&e.key, measures)
    }
    fn give(&self, e: &mut IndicatorEntry) {
        e.breaks.push(self.clone());
    }
}

impl Attached for Release {
    const WHAT: &'static str = "release";
    const SCOPE_HINT: &'static str = "`measures`";
    fn key(&self) -> &str {
        &self.key
    }
    fn problem(&self) -> Option<String> {
        release_problem(self)
    }
    fn concerns_entry(&self, e: &IndicatorEntry, measures: &[String]) -> bool {
        self.concerns(measures, e.inkar_code.is_some())
    }
    fn give(&self, e: &mut IndicatorEntry) {
        e.releases.push(self.clone());
    }
    /// The INKAR codebook's own entries come from another file and find their release there
    /// by its measures.
    fn needs_an_indicator(&self) -> bool {
        !self.measures.iter().any(|m| m.starts_with("INKAR_"))
    }
}

/// Checks each item (an error with its line where it is wrong or defined twice) and gives it to
/// the entries it concerns; `measures` holds what each entry's formula reads. An item that
/// concerns no indicator is a warning: its scope is probably misspelt.
fn attach<T: Attached>(
    file: &str,
    text: &str,
    items: Vec<T>,
    measures: &[Vec<String>],
    ds: &mut Dataset,
) {
    let mut seen = std::collections::BTreeSet::new();
    for item in items {
        let (what, key) = (T::WHAT, item.key());
        let line = key_line(text, key);
        let problem = item
            .problem()
            .map(|p| format!("{what} `{key}`: {p}"))
            .or_else(|| {
                (!seen.insert(key.to_string())).then(|| format!("{what} `{key}` is defined twice"))
            });
        if let Some(message) = problem {
            ds.diagnostics
                .push(Diagnostic::error(file, line, 0, message));
            continue;
        }
        let mut concerned = 0;
        for (e, m) in ds.catalog.iter_mut().zip(measures) {
            if item.concerns_entry(e, m) {
                item.give(e);
                concerned += 1;
            }
        }
        if concerned == 0 && item.needs_an_indicator() {
            ds.diagnostics.push(Diagnostic::warning(
                file,
                line,
                0,
                format!(
                    "{what} `{key}` concerns no indicator of this file (check {})",
                    T::SCOPE_HINT
                ),
            ));
        }
    }
}

/// What is wrong with a release, if anything.
fn release_problem(r: &Release) -> Option<String> {
    if [&r.title, &r.publisher, &r.import]
        .iter()
        .any(|t| t.trim().is_empty())
    {
        return Some("needs a title, a publisher and what to import".into());
    }
    if !(-12..=60).contains(&r.lag_months) {
        return Some(format!(
            "lag_months {} is not between -12 and 60",
            r.lag_months
        ));
    }
    if !(1..=10).contains(&r.every_years) || (r.every_years > 1 && r.anchor_year.is_none()) {
        return Some(
            "every_years must be 1 to 10, and a release every few years needs an anchor_year"
                .into(),
        );
    }
    if r.measures.is_empty() && !r.equivalents {
        return Some("names no measures".into());
    }
    unknown_level(&r.levels)
}

/// What is wrong with a series break, if anything.
fn break_problem(b: &SeriesBreak) -> Option<String> {
    if b.title.trim().is_empty() || b.explanation.trim().is_empty() {
        return Some("needs a title and an explanation".into());
    }
    if !(1950..=2100).contains(&b.year) {
        return Some(format!("year {} is not between 1950 and 2100", b.year));
    }
    if let Some(k) = b.formed.iter().find(|k| {
        sozialmonitor_core::RegionKey::parse(k).map(|k| k.level()) != Ok(RegionLevel::Kreis)
    }) {
        return Some(format!("`formed` names `{k}`, not a Kreis key"));
    }
    unknown_level(&b.levels)
}

/// The first of `levels` that names no region level, as a problem.
fn unknown_level(levels: &[String]) -> Option<String> {
    levels
        .iter()
        .find(|l| RegionLevel::from_code(l).is_none())
        .map(|l| format!("unknown level `{l}` (use land, kreis, gemeindeverband, gemeinde …)"))
}

/// The line (1-based) of the `key = '…'` line of an entry, 0 where it cannot be found.
fn key_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.starts_with("key")
                && (l.contains(&format!("'{key}'")) || l.contains(&format!("\"{key}\"")))
        })
        .map(|i| i + 1)
        .unwrap_or(0)
}
