//! Helpers shared by the importers: region variables, key normalisation, separator detection.

use std::borrow::Cow;

use sozialmonitor_core::{DecimalSeparator, KeyError, RegionKey};

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
        what: impl FnOnce(usize, usize) -> String,
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
                e.to_string(),
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
                "the file has no header line",
            ));
            None
        }
    }
}
