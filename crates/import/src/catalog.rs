//! The indicator catalogue (Datenkatalog) as TOML files kept in the repository: one
//! `[[indicator]]` table per indicator. Read like any source, so the store versions it.

use std::collections::BTreeSet;

use serde::Deserialize;
use sozialmonitor_core::catalog::SeriesBreak;
use sozialmonitor_core::currency::Release;
use sozialmonitor_core::formula::FormulaError;
use sozialmonitor_core::{
    Dataset, Diagnostic, IndicatorEntry, IndicatorStatus, RegionLevel, Said, Severity,
};

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
            // The TOML parser says what is wrong in English only; the German sentence embeds it.
            let message = e.message();
            ds.diagnostics.push(
                Diagnostic::error(
                    file,
                    line,
                    col,
                    Said::both(
                        message,
                        format!("Die Katalogdatei lässt sich nicht lesen: {message}"),
                    ),
                )
                .with_hint(Said::both(
                    "see catalog/README.md for the fields of an [[indicator]]",
                    "Die Felder eines [[indicator]] sind in catalog/README.md beschrieben",
                )),
            );
            return ds;
        }
    };
    let mut seen = BTreeSet::new();
    for e in parsed.indicator {
        ds.rows_read += 1;
        // Position of the entry's key, for diagnostics.
        let line = key_line(text, &e.key);
        let findings = check_entry(file, line, &e, &mut seen);
        let keep = findings.iter().all(|d| d.severity == Severity::Warning);
        ds.diagnostics.extend(findings);
        if keep {
            ds.catalog.push(e);
        }
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

/// What is wrong with one indicator entry (whose key is at `line`), and what is worth a warning;
/// the entry is kept when nothing is an error. `seen` collects the keys so far.
fn check_entry(
    file: &str,
    line: usize,
    e: &IndicatorEntry,
    seen: &mut BTreeSet<String>,
) -> Vec<Diagnostic> {
    let error = |said| vec![Diagnostic::error(file, line, 0, said)];
    let key = &e.key;
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return error(Said::both(
            format!("indicator key `{key}` must be lowercase letters, digits and `_`"),
            format!(
                "Der Indikatorschlüssel „{key}“ darf nur Kleinbuchstaben a–z (ohne Umlaute), Ziffern und `_` enthalten"
            ),
        ));
    }
    if !seen.insert(key.clone()) {
        return error(Said::both(
            format!("indicator `{key}` is defined twice"),
            format!("Der Indikator „{key}“ ist doppelt definiert"),
        ));
    }
    let mut found = Vec::new();
    if e.status == IndicatorStatus::Available {
        if let Err(err) = sozialmonitor_core::formula::parse(&e.formula) {
            return vec![formula_error(file, line, e, &err)];
        }
    } else if e.how_to_collect.trim().is_empty() {
        found.push(Diagnostic::warning(
            file,
            line,
            0,
            Said::both(
                format!(
                    "indicator `{key}` is not available; say in how_to_collect how the data could be collected"
                ),
                format!(
                    "Der Indikator „{key}“ ist nicht verfügbar; in how_to_collect angeben, wie die Daten erhoben werden könnten"
                ),
            ),
        ));
    }
    if let Some((b, problem)) = e.breaks.iter().find_map(|b| Some((b, break_problem(b)?))) {
        found.extend(error(Said::both(
            format!(
                "indicator `{key}`: series break `{}`: {}",
                b.key,
                problem.english()
            ),
            format!(
                "Indikator „{key}“: Zeitreihenbruch „{}“: {}",
                b.key,
                problem.german()
            ),
        )));
    }
    found
}

/// An entry whose formula does not parse; the hint shows the formula with a caret under the
/// place, in each language.
fn formula_error(file: &str, line: usize, e: &IndicatorEntry, err: &FormulaError) -> Diagnostic {
    let (key, formula) = (&e.key, &e.formula);
    let german = err.problem.german();
    Diagnostic::error(
        file,
        line,
        0,
        Said::both(
            format!("indicator `{key}`: {err}"),
            format!(
                "Indikator „{key}“: Formelfehler an Position {}: {german}",
                err.pos
            ),
        ),
    )
    .with_hint(Said::both(
        err.show(formula),
        format!("{formula}\n{}^ {german}", " ".repeat(err.pos)),
    ))
}

/// Catalogue-wide data that the import hands to the indicator entries it concerns, so that a
/// stored entry carries it: series breaks and publications.
trait Attached: Clone {
    /// Its name in diagnostics (`series break`), in English and German.
    const WHAT: (&'static str, &'static str);
    /// Where to look when it concerns no indicator, in English and German.
    const SCOPE_HINT: (&'static str, &'static str);
    fn key(&self) -> &str;
    fn problem(&self) -> Option<Said>;
    /// Whether it concerns an entry that reads `measures`.
    fn concerns_entry(&self, e: &IndicatorEntry, measures: &[String]) -> bool;
    fn give(&self, e: &mut IndicatorEntry);
    /// Whether concerning no indicator of this file is worth a warning.
    fn needs_an_indicator(&self) -> bool {
        true
    }
}

impl Attached for SeriesBreak {
    const WHAT: (&'static str, &'static str) = ("series break", "Zeitreihenbruch");
    const SCOPE_HINT: (&'static str, &'static str) =
        ("`measures` and `indicators`", "`measures` und `indicators`");
    fn key(&self) -> &str {
        &self.key
    }
    fn problem(&self) -> Option<Said> {
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
    const WHAT: (&'static str, &'static str) = ("release", "Veröffentlichung");
    const SCOPE_HINT: (&'static str, &'static str) = ("`measures`", "`measures`");
    fn key(&self) -> &str {
        &self.key
    }
    fn problem(&self) -> Option<Said> {
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
    let mut seen = BTreeSet::new();
    let (what, what_de) = T::WHAT;
    for item in items {
        let key = item.key();
        let line = key_line(text, key);
        let (en, de) = (format!("`{key}`"), format!("„{key}“"));
        let problem = item
            .problem()
            .map(|p| {
                Said::both(
                    format!("{what} {en}: {}", p.english()),
                    format!("{what_de} {de}: {}", p.german()),
                )
            })
            .or_else(|| {
                (!seen.insert(key.to_string())).then(|| {
                    Said::both(
                        format!("{what} {en} is defined twice"),
                        format!("{what_de} {de} ist doppelt definiert"),
                    )
                })
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
            let (scope, scope_de) = T::SCOPE_HINT;
            ds.diagnostics.push(Diagnostic::warning(
                file,
                line,
                0,
                Said::both(
                    format!("{what} {en} concerns no indicator of this file (check {scope})"),
                    format!(
                        "{what_de} {de} betrifft keinen Indikator dieser Datei ({scope_de} prüfen)"
                    ),
                ),
            ));
        }
    }
}

/// What is wrong with a release, if anything. Problems are said as clauses after the release's
/// name and a colon.
fn release_problem(r: &Release) -> Option<Said> {
    if [&r.title, &r.publisher, &r.import]
        .iter()
        .any(|t| t.trim().is_empty())
    {
        return Some(Said::both(
            "needs a title, a publisher and what to import",
            "braucht einen Titel, einen Herausgeber und die Angabe, was zu importieren ist",
        ));
    }
    if !(-12..=60).contains(&r.lag_months) {
        let lag = r.lag_months;
        return Some(Said::both(
            format!("lag_months {lag} is not between -12 and 60"),
            format!("lag_months {lag} liegt nicht zwischen -12 und 60"),
        ));
    }
    if !(1..=10).contains(&r.every_years) || (r.every_years > 1 && r.anchor_year.is_none()) {
        return Some(Said::both(
            "every_years must be 1 to 10, and a release every few years needs an anchor_year",
            "every_years muss zwischen 1 und 10 liegen, und eine Veröffentlichung alle paar Jahre braucht ein anchor_year",
        ));
    }
    if r.measures.is_empty() && !r.equivalents {
        return Some(Said::both("names no measures", "nennt keine Merkmale"));
    }
    unknown_level(&r.levels)
}

/// What is wrong with a series break, if anything, said as a clause like a release's problem.
fn break_problem(b: &SeriesBreak) -> Option<Said> {
    if b.title.trim().is_empty() || b.explanation.trim().is_empty() {
        return Some(Said::both(
            "needs a title and an explanation",
            "braucht einen Titel und eine Erläuterung",
        ));
    }
    if !(1950..=2100).contains(&b.year) {
        let year = b.year;
        return Some(Said::both(
            format!("year {year} is not between 1950 and 2100"),
            format!("das Jahr {year} liegt nicht zwischen 1950 und 2100"),
        ));
    }
    if let Some(k) = b.formed.iter().find(|k| {
        sozialmonitor_core::RegionKey::parse(k).map(|k| k.level()) != Ok(RegionLevel::Kreis)
    }) {
        return Some(Said::both(
            format!("`formed` names `{k}`, not a Kreis key"),
            format!("`formed` nennt „{k}“, keinen Kreisschlüssel"),
        ));
    }
    unknown_level(&b.levels)
}

/// The first of `levels` that names no region level, as a problem.
fn unknown_level(levels: &[String]) -> Option<Said> {
    levels
        .iter()
        .find(|l| RegionLevel::from_code(l).is_none())
        .map(|l| {
            Said::both(
                format!("unknown level `{l}` (use land, kreis, gemeindeverband, gemeinde …)"),
                format!(
                    "unbekannte Ebene „{l}“ (land, kreis, gemeindeverband, gemeinde … verwenden)"
                ),
            )
        })
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
