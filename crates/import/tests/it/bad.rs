//! The bad-input corpus: every file gets its expected diagnostic, with file, line and reason.

use std::path::{Path, PathBuf};

use sozialmonitor_core::{Diagnostic, Severity};
use sozialmonitor_import::Source;

fn bad(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bad")
        .join(name)
}

fn errors(path: &Path) -> Vec<Diagnostic> {
    let src = Source::read(path).expect("readable");
    let ds = sozialmonitor_import::read(&src, None);
    ds.diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

fn expect(name: &str, line: usize, column: usize, message: &str) {
    let errs = errors(&bad(name));
    assert!(
        errs.iter().any(|d| d.line == line
            && (column == 0 || d.column == column)
            && d.message.english().contains(message)
            && d.file.ends_with(name)),
        "{name}: expected an error at {line}:{column} containing `{message}`, got {errs:#?}"
    );
}

#[test]
fn truncated_file() {
    expect("truncated.csv", 4, 0, "row has 9 fields, the header has 17");
}

#[test]
fn wrong_delimiter() {
    expect("wrong_delimiter.csv", 1, 0, "separated by `,`");
}

#[test]
fn unknown_region_key() {
    expect("unknown_key.csv", 3, 8, "unknown region key");
}

#[test]
fn conflicting_duplicate_rows() {
    let errs = errors(&bad("conflicting_duplicates.csv"));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].line, 5);
    let message = errs[0].message.english();
    assert!(
        message.contains("conflicting duplicate") && message.contains("in line 2"),
        "{message}"
    );
}

#[test]
fn binary_garbage() {
    expect("binary.bin", 1, 0, "binary data");
}

#[test]
fn empty_file() {
    expect("empty.csv", 0, 0, "empty");
}

#[test]
fn wrong_encoding_utf16() {
    expect("utf16.csv", 1, 1, "UTF-16");
}

#[test]
fn bad_number_and_bad_date() {
    expect(
        "bad_value.csv",
        2,
        14,
        "neither a number nor a statistical symbol",
    );
    expect("bad_date.csv", 2, 5, "not a valid calendar date");
    // Thousands separators are not how statistics are published; 1.234,5 is rejected, not guessed.
    expect(
        "long_thousands.csv",
        2,
        4,
        "neither a number nor a statistical symbol",
    );
}

#[test]
fn huge_line() {
    let dir = std::env::temp_dir().join(format!("sm-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let path = dir.join("huge.csv");
    let header = std::fs::read_to_string(bad("bad_value.csv"))
        .expect("read")
        .lines()
        .next()
        .expect("header")
        .to_string();
    let huge = format!("{header}\n{}\n", "x;".repeat(1 << 20));
    std::fs::write(&path, huge).expect("write");
    let errs = errors(&path);
    assert!(
        errs.iter()
            .any(|d| d.line == 2 && d.message.english().contains("more than the 1 MiB")),
        "{errs:#?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn catalogue_errors_name_the_indicator_and_line() {
    let errs = errors(&bad("bad_catalog.toml"));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].line, 11);
    let message = errs[0].message.english();
    assert!(
        message.contains("indicator `broken`") && message.contains("position 12"),
        "{message}"
    );
    // A misspelt field is an error, not silently ignored.
    expect("unknown_field_catalog.toml", 4, 1, "unknown field `formel`");
}

#[test]
fn series_break_errors_name_the_break_and_line() {
    expect(
        "bad_break_catalog.toml",
        11,
        0,
        "series break `too_early`: year 1900",
    );
    expect("bad_break_catalog.toml", 18, 0, "unknown level `landkreis`");
    let src = Source::read(&bad("bad_break_catalog.toml")).expect("readable");
    let ds = sozialmonitor_import::read(&src, None);
    assert!(
        ds.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Warning
                && d.line == 26
                && d.message
                    .english()
                    .contains("`nobody` concerns no indicator")),
        "{:#?}",
        ds.diagnostics
    );
    // The good indicator stays, without the rejected breaks, with the good release only.
    assert_eq!(ds.catalog.len(), 1);
    assert!(ds.catalog[0].breaks.is_empty());
    let releases: Vec<&str> = ds.catalog[0]
        .releases
        .iter()
        .map(|r| r.key.as_str())
        .collect();
    assert_eq!(releases, ["good"]);
}

#[test]
fn release_errors_name_the_release_and_line() {
    expect(
        "bad_break_catalog.toml",
        35,
        0,
        "release `no_publisher`: needs a title, a publisher and what to import",
    );
    expect(
        "bad_break_catalog.toml",
        43,
        0,
        "release `no_cycle`: every_years must be 1 to 10, and a release every few years needs an anchor_year",
    );
}

/// The planners' workspace shows the German wording of every finding: a malformed file is
/// explained in German, and nothing the importers say about the bad-input corpus reaches the
/// German pages in English (a library's own English text may only appear inside a German
/// sentence).
#[test]
fn every_finding_on_bad_input_is_said_in_german() {
    let truncated = errors(&bad("truncated.csv"));
    let short_row = truncated
        .iter()
        .find(|d| d.line == 4)
        .expect("the short row");
    assert_eq!(
        short_row.message.german(),
        "Die Zeile hat 9 Felder, die Kopfzeile 17"
    );
    let unknown = errors(&bad("unknown_key.csv"));
    assert!(
        unknown.iter().any(|d| d.line == 3
            && d.message
                .german()
                .starts_with("Unbekannter Regionalschlüssel: ")),
        "{unknown:#?}"
    );
    let mut seen = 0;
    for entry in std::fs::read_dir(bad("")).expect("tests/bad") {
        let path = entry.expect("entry").path();
        let ds = sozialmonitor_import::read(&Source::read(&path).expect("readable"), None);
        for d in &ds.diagnostics {
            let hint = d.hint.as_ref();
            for said in std::iter::once(&d.message).chain(hint) {
                let (english, german) = (said.english(), said.german());
                assert!(
                    !german.trim().is_empty() && german != english,
                    "{}: no German for `{english}`",
                    path.display()
                );
                seen += 1;
            }
        }
    }
    assert!(
        seen > 20,
        "the corpus should give many findings, gave {seen}"
    );
}
