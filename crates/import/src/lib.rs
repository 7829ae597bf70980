//! Importers for official German statistics as they are published: GENESIS flat CSV (current and
//! older), GENESIS table CSV, GENESIS cube, the GV100AD register, INKAR, boundaries (Shapefile,
//! GeoJSON), spreadsheets (XLSX/XLS) and a documented long CSV for hand-made data.
//!
//! Every importer turns one file into a [`Dataset`] plus diagnostics (file, line, column, reason,
//! hint). Importers never write anything; the store decides what to keep.
//!
//! Importers must not panic on any input: a panic inside [`load`] or [`read`] is caught and turned
//! into an error about the whole file, so nothing of that file is kept. Text from files is never
//! sliced by byte index (the lint below keeps it so), and sizes are capped before anything is
//! allocated for them ([`MAX_GUNZIPPED_BYTES`], [`sheet::MAX_SHEET_CELLS`]).

#![warn(clippy::string_slice, clippy::indexing_slicing)]

pub mod catalog;
mod common;
pub mod cube;
pub mod ffcsv;
pub mod geo;
pub mod gv100ad;
pub mod inkar;
pub mod longcsv;
pub mod oldflat;
pub mod ortsteile;
pub mod sheet;
mod sheet_check;
pub mod table;
pub mod text;

use std::path::Path;

use sha2::{Digest, Sha256};
use sozialmonitor_core::{Dataset, Diagnostic, Said};

/// The formats this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// GENESIS flat CSV (ffcsv), current.
    Ffcsv,
    /// Older GENESIS flat CSV (German header) and its transitional English variant.
    FlatOld,
    /// GENESIS table CSV (regionalstatistik.de table export).
    Table,
    /// GENESIS cube (Datenquader).
    Cube,
    /// GV100AD municipal register.
    Gv100ad,
    /// INKAR long CSV of indicator values.
    InkarLong,
    /// INKAR codebook.
    InkarCodebook,
    /// Long CSV for hand-made data.
    LongCsv,
    /// The Saxon municipal register of the Landesdirektion Sachsen with its Ortsteile.
    Ortsteile,
    /// The indicator catalogue (TOML).
    Catalog,
    /// ESRI Shapefile boundaries.
    Shapefile,
    /// GeoJSON boundaries.
    GeoJson,
    /// Excel spreadsheet (XLSX or XLS): the Destatis register extract or INKAR exports.
    Spreadsheet,
}

impl Format {
    /// All formats with their command-line names.
    pub const ALL: &'static [(Format, &'static str)] = &[
        (Format::Ffcsv, "ffcsv"),
        (Format::FlatOld, "flat-old"),
        (Format::Table, "table"),
        (Format::Cube, "cube"),
        (Format::Gv100ad, "gv100ad"),
        (Format::InkarLong, "inkar"),
        (Format::InkarCodebook, "inkar-codebook"),
        (Format::LongCsv, "long-csv"),
        (Format::Ortsteile, "ortsteile"),
        (Format::Catalog, "catalog"),
        (Format::Shapefile, "shapefile"),
        (Format::GeoJson, "geojson"),
        (Format::Spreadsheet, "spreadsheet"),
    ];

    /// Command-line name.
    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map(|(_, n)| *n)
            .unwrap_or("?")
    }

    /// Parses a command-line name.
    pub fn from_name(s: &str) -> Option<Self> {
        Format::ALL.iter().find(|(_, n)| *n == s).map(|(f, _)| *f)
    }
}

/// A file read into memory, with the facts an import batch records.
#[derive(Debug, Clone)]
pub struct Source {
    /// The name the user gave.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
}

impl Source {
    /// Reads a file; a gzip-compressed file (`.gz`) is decompressed, so the demo data can ship
    /// compressed. The SHA-256 is that of the content, so a file imports once however it is packed.
    pub fn read(path: &Path) -> std::io::Result<Self> {
        Ok(Source::from_bytes(
            path.display().to_string(),
            read_bytes(path)?,
        ))
    }

    /// Bytes received from elsewhere (an upload): gzip content is unpacked, to at most `limit`
    /// bytes, as [`Source::read`] unpacks a `.gz` file.
    pub fn unpacked(name: String, bytes: Vec<u8>, limit: u64) -> std::io::Result<Self> {
        let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
            gunzip(&bytes, limit.min(MAX_GUNZIPPED_BYTES))?
        } else {
            bytes
        };
        Ok(Source::from_bytes(name, bytes))
    }

    /// Wraps bytes already in memory.
    pub fn from_bytes(name: String, bytes: Vec<u8>) -> Self {
        let sha256 = sha256_hex(&bytes);
        Source {
            name,
            bytes,
            sha256,
        }
    }
}

/// The most a gzip-compressed file may unpack to: 4 GiB. The import benchmark reads a 2.9 GB
/// file, the largest real input we know; a file that unpacks to more is refused before it can fill
/// the memory (a few megabytes of gzip can expand to many gigabytes).
pub const MAX_GUNZIPPED_BYTES: u64 = 4 << 30;

fn read_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    let bytes = std::fs::read(path)?;
    // Like the other I/O errors here, this one leaves naming the file to the caller (the CLI adds
    // "reading FILE").
    if bytes.starts_with(&[0x1f, 0x8b]) {
        gunzip(&bytes, MAX_GUNZIPPED_BYTES)
    } else {
        Ok(bytes)
    }
}

/// Decompresses gzip, refusing content larger than `limit` bytes.
fn gunzip(bytes: &[u8], limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut out = Vec::new();
    // One byte more than the limit tells a file of exactly `limit` bytes from a larger one.
    flate2::read::GzDecoder::new(bytes)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "the compressed file unpacks to more than {:.1} GiB; unpack it and check that it is the statistics file you meant",
                limit as f64 / f64::from(1u32 << 30)
            ),
        ));
    }
    Ok(out)
}

/// Folders of a data directory that hold no statistics to import: `original/` keeps a source
/// as published beside the file derived from it, `planung/` the planning cycles (read by
/// `planning import`), `wegweiser/` the services directory (read by `services import`),
/// `netzwerk/` the network (read by `network import`), `gisd/` the inputs of the deprivation
/// index (read by `analysis index`). The demo and the golden test skip the same ones.
pub const NOT_STATISTICS: [&str; 5] = ["original", "planung", "wegweiser", "netzwerk", "gisd"];

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads a file and parses it, hashing it on a second thread meanwhile (the hash is only needed
/// to recognise a file imported before, so it need not delay the parse). A panic while parsing
/// becomes an error diagnostic about the whole file (see [`read`]).
pub fn load(path: &Path, format: Option<Format>) -> std::io::Result<(Source, Dataset)> {
    let bytes = read_bytes(path)?;
    let name = path.display().to_string();
    let (sha256, ds) = std::thread::scope(|s| {
        let h = s.spawn(|| sha256_hex(&bytes));
        let ds = read_guarded(&name, &bytes, format);
        (h.join(), ds)
    });
    // Without its hash the batch could not be recognised again; an empty string as a stand-in
    // would make every later file "identical" to this one.
    let sha256 = sha256.map_err(|p| {
        std::io::Error::other(format!(
            "computing the SHA-256 failed: {}",
            panic_message(p.as_ref())
        ))
    })?;
    Ok((
        Source {
            name,
            bytes,
            sha256,
        },
        ds,
    ))
}

/// The text of a panic payload (`panic!` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Parses with every panic caught: an importer bug must cost the user this file, not the
/// program, and must not leave a partial dataset that the store could keep. The dataset returned
/// for a panic has no content and one error about the whole file (line 0), which the store never
/// imports, not even with `--skip-bad-rows`.
fn read_guarded(file: &str, bytes: &[u8], format: Option<Format>) -> Dataset {
    let mut ds = guarded(file, bytes, format, || read_named(file, bytes, format));
    warn_undeclared(file, &mut ds);
    ds
}

/// A measure whose kind neither the file nor the offices' unit vocabulary declares is stored as
/// a count, so that it is summed and protected, never published raw; the user is told which.
fn warn_undeclared(file: &str, ds: &mut Dataset) {
    let (english, german): (Vec<String>, Vec<String>) = ds
        .measures
        .iter()
        .filter(|m| ds.kind(m).is_none())
        .map(|m| {
            if m.unit.is_empty() {
                (
                    format!("`{}` (no unit)", m.code),
                    format!("„{}“ (ohne Einheit)", m.code),
                )
            } else {
                (
                    format!("`{}` (unit `{}`)", m.code, m.unit),
                    format!("„{}“ (Einheit „{}“)", m.code, m.unit),
                )
            }
        })
        .unzip();
    if english.is_empty() {
        return;
    }
    let n = english.len();
    ds.diagnostics.push(
        Diagnostic::warning(
            file,
            0,
            0,
            Said::both(
                format!(
                    "{n} measure(s) treated as counts and protected by the confidentiality rules, since no kind is declared: {}",
                    english.join(", ")
                ),
                format!(
                    "{} ohne angegebene Art als Anzahl behandelt und durch die Geheimhaltungsregeln geschützt: {}",
                    common::german_count(n, "Merkmal", "Merkmale"),
                    german.join(", ")
                ),
            ),
        )
        .with_hint(Said::both(
            "declare the kind in a column `kind` (art): anzahl, summe or quote; see docs/long-csv.md",
            "Die Art in einer Spalte `art` (kind) angeben: anzahl, summe oder quote; siehe docs/long-csv.md",
        )),
    );
}

fn guarded(
    file: &str,
    bytes: &[u8],
    format: Option<Format>,
    parse: impl FnOnce() -> Dataset,
) -> Dataset {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)) {
        Ok(ds) => ds,
        Err(payload) => {
            let name = format
                .or_else(|| {
                    std::panic::catch_unwind(|| detect(file, bytes))
                        .ok()
                        .flatten()
                })
                .map_or("unknown", Format::name);
            let mut ds = Dataset::new(name);
            let panic = panic_message(payload.as_ref());
            ds.diagnostics.push(
                Diagnostic::error(
                    file,
                    0,
                    0,
                    Said::both(
                        format!(
                            "internal error while reading this file: {panic}; nothing was imported from it"
                        ),
                        format!(
                            "Interner Fehler beim Lesen dieser Datei: {panic}; aus ihr wurde nichts importiert"
                        ),
                    ),
                )
                .with_hint(common::bug_hint()),
            );
            ds
        }
    }
}

/// Detects the format from the file name and the first bytes.
pub fn detect(name: &str, bytes: &[u8]) -> Option<Format> {
    let lower = name.to_lowercase();
    let lower = lower.strip_suffix(".gz").unwrap_or(&lower);
    if lower.ends_with(".toml") {
        return Some(Format::Catalog);
    }
    if lower.ends_with(".shp") {
        return Some(Format::Shapefile);
    }
    if lower.ends_with(".geojson") || lower.ends_with(".json") {
        return Some(Format::GeoJson);
    }
    if bytes.starts_with(b"PK\x03\x04") && lower.ends_with(".xlsx")
        || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
    {
        return Some(Format::Spreadsheet);
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let head = body.get(..4096).unwrap_or(body);
    let head = String::from_utf8_lossy(head);
    let first = head.lines().next().unwrap_or("").trim_end_matches('\r');
    if first.starts_with("statistics_code;") {
        // Current ffcsv has a `value` column; the transitional variant has `CODE__Label__Unit` columns.
        return Some(if first.contains("__") {
            Format::FlatOld
        } else {
            Format::Ffcsv
        });
    }
    if first.starts_with("Statistik_Code;") {
        return Some(Format::FlatOld);
    }
    if first.starts_with("GENESIS-Tabelle:") {
        return Some(Format::Table);
    }
    if first.starts_with("K;DQ;")
        || (first.starts_with('*') && head.lines().nth(1).is_some_and(|l| l.starts_with("K;DQ")))
    {
        return Some(Format::Cube);
    }
    if first.starts_with("tabelle,kuerzel,raumbezug") {
        return Some(Format::InkarLong);
    }
    if first.starts_with("kuerzel,bereich,") {
        return Some(Format::InkarCodebook);
    }
    if first.len() >= 22
        && first.starts_with("10")
        && first
            .as_bytes()
            .get(2..10)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    {
        return Some(Format::Gv100ad);
    }
    if ortsteile::is_header(first) {
        return Some(Format::Ortsteile);
    }
    if longcsv::is_header(first) {
        return Some(Format::LongCsv);
    }
    None
}

/// Reads a file in the given format, or the detected one. A panic while parsing becomes an
/// error diagnostic about the whole file and an otherwise empty dataset.
pub fn read(source: &Source, format: Option<Format>) -> Dataset {
    read_guarded(&source.name, &source.bytes, format)
}

/// Reads a file like [`read`] but lets a panic through. For tests and fuzzing only, so that a
/// panic fails them instead of becoming a diagnostic.
#[doc(hidden)]
pub fn read_unguarded(file: &str, bytes: &[u8], format: Option<Format>) -> Dataset {
    read_named(file, bytes, format)
}

fn read_named(file: &str, bytes: &[u8], format: Option<Format>) -> Dataset {
    let Some(format) = format.or_else(|| detect(file, bytes)) else {
        let mut ds = Dataset::new("unknown");
        let d = match text::decode(file, bytes) {
            Err(d) => *d,
            Ok((t, _)) if comma_separated(&t) => comma_separated_file(file),
            Ok(_) => unknown_format(file),
        };
        ds.diagnostics.push(d);
        return ds;
    };
    match format {
        Format::Shapefile if file.ends_with(".gz") => {
            let mut ds = Dataset::new("shapefile");
            ds.diagnostics.push(
                Diagnostic::error(
                    file,
                    0,
                    0,
                    Said::both(
                        "a shapefile cannot be read compressed",
                        "Ein Shapefile lässt sich nicht komprimiert lesen",
                    ),
                )
                .with_hint(Said::both(
                    "unpack it beside its .dbf, .shx and .prj",
                    "Die Datei entpacken und neben die zugehörigen Dateien .dbf, .shx und .prj legen",
                )),
            );
            return ds;
        }
        Format::Shapefile => return geo::read_shapefile(Path::new(file)),
        Format::GeoJson => return geo::read_geojson(file, bytes),
        Format::Spreadsheet => return sheet::read(file, bytes),
        _ => {}
    }
    let text = match text::decode(file, bytes)
        .and_then(|(t, _)| text::check_line_lengths(file, &t).map(|()| t))
    {
        Ok(t) => t,
        Err(d) => {
            let mut ds = Dataset::new(format.name());
            ds.diagnostics.push(*d);
            return ds;
        }
    };
    match format {
        Format::Ffcsv => ffcsv::read(file, &text),
        Format::FlatOld => oldflat::read(file, &text),
        Format::Table => table::read(file, &text),
        Format::Cube => cube::read(file, &text),
        Format::Gv100ad => gv100ad::read(file, &text),
        Format::InkarLong => inkar::read_values(file, &text),
        Format::InkarCodebook => inkar::read_codebook(file, &text),
        Format::LongCsv => longcsv::read(file, &text),
        Format::Ortsteile => ortsteile::read(file, &text),
        Format::Catalog => catalog::read(file, &text),
        Format::Shapefile | Format::GeoJson | Format::Spreadsheet => unreachable!("handled above"),
    }
}

/// Whether a text starts like a GENESIS export or a long CSV with `,` where `;` belongs.
fn comma_separated(text: &str) -> bool {
    ["statistics_code,", "Statistik_Code,", "region,measure,"]
        .iter()
        .any(|h| text.trim_start_matches('\u{feff}').starts_with(h))
}

fn comma_separated_file(file: &str) -> Diagnostic {
    Diagnostic::error(
        file,
        1,
        0,
        Said::both(
            "fields are separated by `,`; GENESIS exports and the long CSV format use `;`",
            "Die Felder sind durch `,` getrennt; GENESIS-Exporte und das Lang-CSV-Format verwenden `;`",
        ),
    )
    .with_hint(Said::both(
        "export the table again as GENESIS flat file, or save the CSV with `;` as separator",
        "Die Tabelle erneut im GENESIS-Flatfile-Format exportieren oder die CSV-Datei mit `;` als Trennzeichen speichern",
    ))
}

fn unknown_format(file: &str) -> Diagnostic {
    Diagnostic::error(
        file,
        1,
        0,
        Said::both("unknown file format", "Unbekanntes Dateiformat"),
    )
    .with_hint(Said::both(
        "supported: GENESIS ffcsv, older flat CSV, table CSV, cube; GV100AD; INKAR; long CSV; Shapefile; GeoJSON; XLSX/XLS. Use --format to choose one",
        "Unterstützt: GENESIS-ffcsv, ältere Flatfile-CSV, Tabellen-CSV, Würfel (Datenquader); GV100AD; INKAR; Lang-CSV; Shapefile; GeoJSON; XLSX/XLS. Mit --format ein Format wählen",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_while_parsing_is_an_error_about_the_whole_file() {
        let ds = guarded("x.csv", b"statistics_code;", None, || {
            let mut half = Dataset::new("ffcsv");
            half.rows_read = 3;
            panic!("byte index 5 is not a char boundary")
        });
        assert_eq!(ds.format, "ffcsv", "the format comes from detection");
        assert!(ds.observations.is_empty() && ds.regions.is_empty() && ds.rows_read == 0);
        assert!(ds.has_errors());
        let d = ds.diagnostics.first().expect("one diagnostic");
        assert_eq!((d.file.as_str(), d.line), ("x.csv", 0));
        let message = d.message.english();
        assert!(message.contains("not a char boundary"), "{message}");
    }

    #[test]
    fn gzip_content_beyond_the_limit_is_refused() {
        use std::io::Write as _;
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&vec![b'x'; 1 << 20]).expect("compress");
        let gz = z.finish().expect("compress");
        assert_eq!(gunzip(&gz, 1 << 20).expect("at the limit").len(), 1 << 20);
        let err = gunzip(&gz, (1 << 20) - 1).expect_err("over the limit");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("unpacks to more than"), "{err}");
    }
}
