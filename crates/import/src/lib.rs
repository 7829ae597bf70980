//! Importers for official German statistics as they are published: GENESIS flat CSV (current and
//! older), GENESIS table CSV, GENESIS cube, the GV100AD register, INKAR, boundaries (Shapefile,
//! GeoJSON), spreadsheets (XLSX/XLS) and a documented long CSV for hand-made data.
//!
//! Every importer turns one file into a [`Dataset`] plus diagnostics (file, line, column, reason,
//! hint). Importers never write anything; the store decides what to keep.

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
pub mod table;
pub mod text;

use std::path::Path;

use sha2::{Digest, Sha256};
use sozialmonitor_core::{Dataset, Diagnostic};

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

fn read_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    let bytes = std::fs::read(path)?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out)?;
        Ok(out)
    } else {
        Ok(bytes)
    }
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads a file and parses it, hashing it on a second thread meanwhile (the hash is only needed
/// to recognise a file imported before, so it need not delay the parse).
pub fn load(path: &Path, format: Option<Format>) -> std::io::Result<(Source, Dataset)> {
    let bytes = read_bytes(path)?;
    let name = path.display().to_string();
    let (sha256, ds) = std::thread::scope(|s| {
        let h = s.spawn(|| sha256_hex(&bytes));
        let ds = read_named(&name, &bytes, format);
        (h.join().unwrap_or_default(), ds)
    });
    Ok((
        Source {
            name,
            bytes,
            sha256,
        },
        ds,
    ))
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
    let head = &body[..body.len().min(4096)];
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
        && first.as_bytes()[2..10].iter().all(u8::is_ascii_digit)
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

/// Reads a file in the given format, or the detected one.
pub fn read(source: &Source, format: Option<Format>) -> Dataset {
    read_named(&source.name, &source.bytes, format)
}

fn read_named(file: &str, bytes: &[u8], format: Option<Format>) -> Dataset {
    let Some(format) = format.or_else(|| detect(file, bytes)) else {
        let mut ds = Dataset::new("unknown");
        let d = match text::decode(file, bytes) {
            Err(d) => d,
            Ok((t, _)) if ["statistics_code,", "Statistik_Code,", "region,measure,"].iter().any(|h| t.trim_start_matches('\u{feff}').starts_with(h)) => {
                Diagnostic::error(file, 1, 0, "fields are separated by `,`; GENESIS exports and the long CSV format use `;`")
                    .with_hint("export the table again as GENESIS flat file, or save the CSV with `;` as separator")
            }
            Ok(_) => Diagnostic::error(file, 1, 0, "unknown file format").with_hint(
                "supported: GENESIS ffcsv, older flat CSV, table CSV, cube; GV100AD; INKAR; long CSV; Shapefile; GeoJSON; XLSX/XLS. Use --format to choose one",
            ),
        };
        ds.diagnostics.push(d);
        return ds;
    };
    match format {
        Format::Shapefile if file.ends_with(".gz") => {
            let mut ds = Dataset::new("shapefile");
            ds.diagnostics.push(
                Diagnostic::error(file, 0, 0, "a shapefile cannot be read compressed")
                    .with_hint("unpack it beside its .dbf, .shx and .prj"),
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
            ds.diagnostics.push(d);
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
