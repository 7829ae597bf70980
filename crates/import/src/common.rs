//! Helpers shared by the importers: region variables, key normalisation, separator detection.

use std::borrow::Cow;

use sozialmonitor_core::{DecimalSeparator, KeyError, PeriodError, RegionKey, Said, ValueError};

/// Whether a GENESIS variable code denotes the region dimension (`DINSG`, `DLAND`, `REGBEZ`,
/// `KREISE`, `GEMEIN`, and the Zensus `GEO*` variables).
pub fn is_region_variable(code: &str) -> bool {
    let c = code.trim();
    matches!(
        c,
        "DINSG" | "DLAND" | "REGBEZ" | "KREISE" | "GEMEIN" | "GEMVB" | "GEMVBZ"
    ) || c.starts_with("GEO")
}

/// Turns a region code as GENESIS writes it (`DG`, `14`, `14522`, `14522180`, 12-digit ARS) into a
/// key. An empty code labelled "Insgesamt" is the total over all regions of the table: Germany.
pub fn region_key_from_code(code: &str, label: &str) -> Result<RegionKey, KeyError> {
    if code.trim().is_empty() && sozialmonitor_core::measure::is_total_label(label) {
        return RegionKey::parse(RegionKey::GERMANY);
    }
    RegionKey::parse(code.trim())
}

/// Decides the decimal separator from a sample of value cells: `,` unless only `.`-decimals occur.
pub fn decimal_separator<'a>(
    values: impl Iterator<Item = &'a str>,
) -> Result<DecimalSeparator, ()> {
    let (mut comma, mut point) = (false, false);
    for v in values.take(200_000) {
        let v = v.trim();
        let Some((a, b)) = v.split_once([',', '.']) else {
            continue;
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        if digits(a.trim_start_matches(['-', '+', '(']))
            && digits(b.trim_end_matches(['p', 'r', 's', ')']))
        {
            // The separator follows `a` directly.
            if v.as_bytes().get(a.len()) == Some(&b',') {
                comma = true;
            } else {
                point = true;
            }
        }
    }
    match (comma, point) {
        (true, true) => Err(()),
        (false, true) => Ok(DecimalSeparator::Point),
        _ => Ok(DecimalSeparator::Comma),
    }
}

/// The first `n` characters of `s` (all of it if it is shorter). Keys in fixed positions are
/// counted in characters: a byte index could fall inside a multi-byte character and panic.
pub fn prefix_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((end, _)) => s.get(..end).unwrap_or(s),
        None => s,
    }
}

/// Reusable splitter of `;` lines that keeps its buffer between rows.
#[derive(Default)]
pub struct LineSplitter<'a> {
    buf: Vec<Cow<'a, str>>,
}

impl<'a> LineSplitter<'a> {
    /// Splits a line; the result lives until the next call.
    pub fn split(&mut self, line: &'a str) -> &[Cow<'a, str>] {
        crate::text::split(line, &mut self.buf);
        &self.buf
    }
}

/// Counts the rows of one kind of harmless finding so it is reported once, with its first line,
/// instead of once per row.
#[derive(Default)]
pub struct Tally {
    count: usize,
    first: usize,
}

impl Tally {
    /// Notes one occurrence.
    pub fn note(&mut self, line: usize) {
        if self.count == 0 {
            self.first = line;
        }
        self.count += 1;
    }

    /// Adds one warning if anything was noted; `what` gets the count and the first line.
    pub fn report(
        &self,
        ds: &mut sozialmonitor_core::Dataset,
        file: &str,
        column: usize,
        what: impl FnOnce(usize, usize) -> Said,
    ) {
        if self.count > 0 {
            ds.diagnostics.push(sozialmonitor_core::Diagnostic::warning(
                file,
                self.first,
                column,
                what(self.count, self.first),
            ));
        }
    }
}

/// Parses a value cell; a bad one becomes an error diagnostic at its position and `None`.
pub fn value_at(
    ds: &mut sozialmonitor_core::Dataset,
    file: &str,
    line: usize,
    column: usize,
    cell: &str,
    sep: DecimalSeparator,
) -> Option<sozialmonitor_core::Value> {
    match sozialmonitor_core::Value::parse(cell, sep) {
        Ok(v) => Some(v),
        Err(e) => {
            ds.diagnostics.push(sozialmonitor_core::Diagnostic::error(
                file,
                line,
                column,
                e.said(),
            ));
            None
        }
    }
}

/// The header line and the numbered data lines of a text file; a file without any line gets an
/// error diagnostic and `None`.
pub fn header_and_rows<'a>(
    file: &str,
    text: &'a str,
    ds: &mut sozialmonitor_core::Dataset,
) -> Option<(&'a str, impl Iterator<Item = (usize, &'a str)> + 'a)> {
    let mut lines = crate::text::lines(text);
    match lines.next() {
        Some((_, h)) => Some((h, lines)),
        None => {
            ds.diagnostics.push(sozialmonitor_core::Diagnostic::error(
                file,
                1,
                0,
                no_header_line(),
            ));
            None
        }
    }
}

/// A core error said in both languages: its own English text and its German one, begun as a
/// sentence (the core says it as a clause, `leerer Wert`, so that it can follow a colon too).
pub trait SaidBoth: std::fmt::Display {
    /// The German wording.
    fn german_text(&self) -> String;

    /// Both wordings, for a diagnostic that says nothing but this error.
    fn said(&self) -> Said {
        Said::both(self.to_string(), sentence(&self.german_text()))
    }
}

impl SaidBoth for KeyError {
    fn german_text(&self) -> String {
        self.german()
    }
}

impl SaidBoth for PeriodError {
    fn german_text(&self) -> String {
        self.german()
    }
}

impl SaidBoth for ValueError {
    fn german_text(&self) -> String {
        self.german()
    }
}

/// `s` with its first letter in upper case: the workspace shows each message as a sentence.
pub fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `n` with the German noun in singular or plural (`1 Zeile`, `3 Zeilen`): the German pages
/// are read by planners, who should not meet "1 Zeilen".
pub fn german_count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A library's error (calamine, zip, …), which has no German wording: both languages show it as
/// it is, embedded in a sentence of their own.
pub fn verbatim(e: impl std::fmt::Display) -> Said {
    let text = e.to_string();
    Said::both(text.clone(), text)
}

/// A region key that cannot be read.
pub fn unknown_region_key(e: &KeyError) -> Said {
    Said::both(
        format!("unknown region key: {e}"),
        format!("Unbekannter Regionalschlüssel: {}", e.german()),
    )
}

/// A row whose field count differs from the header's.
pub fn row_width(fields: usize, header: usize) -> Said {
    Said::both(
        format!("row has {fields} fields, the header has {header}"),
        format!(
            "Die Zeile hat {}, die Kopfzeile {header}",
            german_count(fields, "Feld", "Felder")
        ),
    )
}

/// Value cells that use both decimal separators.
pub fn mixed_decimals() -> Said {
    Said::both(
        "values use both decimal commas and decimal points",
        "Die Werte verwenden sowohl Dezimalkomma als auch Dezimalpunkt",
    )
}

/// A text file without any line.
pub fn no_header_line() -> Said {
    Said::both(
        "the file has no header line",
        "Die Datei hat keine Kopfzeile",
    )
}

/// Empty value cells, counted with the first line that has one.
pub fn empty_cells(n: usize, first: usize) -> Said {
    Said::both(
        format!("{n} empty value cells (first in line {first}) hold no value"),
        format!(
            "{} (zuerst in Zeile {first}) {} keinen Wert",
            german_count(n, "leere Wertzelle", "leere Wertzellen"),
            if n == 1 { "enthält" } else { "enthalten" }
        ),
    )
}

/// The hint for a panic inside an importer.
pub fn bug_hint() -> Said {
    Said::both(
        "this is a bug in sozialmonitor; please report it with the file",
        "Dies ist ein Programmfehler in Sozialmonitor; bitte zusammen mit der Datei melden",
    )
}
