//! Fuzzing of every parser with property tests (cargo-fuzz needs a nightly toolchain, and this
//! project builds on stable). Each target feeds a parser (a) arbitrary bytes and (b) real files
//! from `data/demo`, the catalogue and the test corpus, mutated: bit flips, inserted bytes and
//! tokens, deletions, truncation, duplicated, dropped and swapped lines, and overwritten 16- and
//! 32-bit numbers for the binary formats. The parser must return a dataset, never panic.
//!
//! The parsers are called directly, not through the `catch_unwind` in `sozialmonitor_import::read`,
//! so a panic fails the test. A target runs 64 cases by default, so `cargo test` stays fast;
//! `PROPTEST_CASES=20000` runs more (`fuzz/run.sh` runs every target for a set time). Each target
//! prints its case count; a failure prints the shrunk mutation list that panics.

use std::fmt::Debug;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use sozialmonitor_core::Dataset;
use sozialmonitor_import::{Format, catalog, cube, ffcsv, geo, gv100ad, inkar, longcsv};
use sozialmonitor_import::{oldflat, ortsteile, sheet, table, text};

/// Cases per target when `PROPTEST_CASES` is not set.
const DEFAULT_CASES: u32 = 64;

fn config() -> Config {
    // `Config::default` reads `PROPTEST_CASES` (and the other `PROPTEST_*` variables).
    let mut c = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = DEFAULT_CASES;
    }
    // Found panics become named regression tests; no files are written beside the sources.
    c.failure_persistence = None;
    c
}

/// Runs one target and prints how many cases it ran; a panic in `test` fails the target with the
/// shrunk input and the seed that reproduces it.
///
/// Without `FUZZ_SECONDS` a target runs one batch of `PROPTEST_CASES` (default 64) cases. With it,
/// batches follow each other, each from its own seed, until that many seconds have passed, which
/// is how `fuzz/run.sh` gives every target the same time. `FUZZ_SEED` repeats a run.
fn fuzz<S>(target: &str, strategy: S, test: impl Fn(S::Value))
where
    S: Strategy,
    S::Value: Debug,
{
    let budget = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(std::time::Duration::from_secs);
    let base: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
    // Targets get different streams from the same base seed.
    let salt = target.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let cases = AtomicUsize::new(0);
    let started = std::time::Instant::now();
    let mut batch = 0u64;
    loop {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&base.to_le_bytes());
        seed[8..16].copy_from_slice(&salt.to_le_bytes());
        seed[16..24].copy_from_slice(&batch.to_le_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
        let mut runner = TestRunner::new_with_rng(config(), rng);
        let result = runner.run(&strategy, |v| {
            cases.fetch_add(1, Ordering::Relaxed);
            test(v);
            Ok(())
        });
        if let Err(e) = result {
            panic!(
                "fuzz {target}: PANIC found after {} cases (shrinking included); repeat with FUZZ_SEED={base} (batch {batch})\n{e}",
                cases.load(Ordering::Relaxed)
            );
        }
        batch += 1;
        match budget {
            Some(b) if started.elapsed() < b => {}
            _ => break,
        }
    }
    println!(
        "fuzz {target}: {} cases, 0 panics ({:.0} s, seed {base})",
        cases.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------- seeds

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A repository file (relative to the repository root), gzip-decompressed if it ends in `.gz`.
fn file(rel: &str) -> Vec<u8> {
    let path = root().join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if rel.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out
    } else {
        bytes
    }
}

/// The first `head` and the last `tail` lines of a file, so that cases stay small but keep the
/// header and, for table exports, the footer.
fn lines_of(bytes: &[u8], head: usize, tail: usize) -> Vec<u8> {
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    if lines.len() <= head + tail {
        return bytes.to_vec();
    }
    let mut out: Vec<u8> = lines[..head].concat();
    out.extend(lines[lines.len() - tail..].concat());
    out
}

/// A seed file with the tokens it is made of (fields between separators), for splicing.
#[derive(Debug)]
struct Seed {
    bytes: Vec<u8>,
    tokens: Vec<Vec<u8>>,
}

fn seed(bytes: Vec<u8>) -> Seed {
    let mut tokens: Vec<Vec<u8>> = bytes
        .split(|b| matches!(b, b';' | b',' | b'\n' | b'"' | b'<' | b'>' | b' '))
        .filter(|t| !t.is_empty() && t.len() < 64)
        .map(<[u8]>::to_vec)
        .collect();
    tokens.sort();
    tokens.dedup();
    tokens.truncate(2000);
    Seed { bytes, tokens }
}

fn text_seeds(files: &[(&str, usize, usize)]) -> Vec<Seed> {
    files
        .iter()
        .map(|&(rel, head, tail)| seed(lines_of(&file(rel), head, tail)))
        .collect()
}

// ---------------------------------------------------------------- mutations

/// Byte strings that tend to matter to these parsers: separators, quotes, multi-byte and
/// invalid UTF-8, symbols, dates, keys, huge numbers, header names and markup.
const INTERESTING: &[&[u8]] = &[
    b";",
    b";;;;",
    b",",
    b"\n",
    b"\r\n",
    b"\r",
    b"\"",
    b"\t",
    b"\xc2\xa0",
    b"\xa0",
    b"\xc3\xa4",
    b"\xe2\x82\xac",
    b"\xf0\x9f\x92\xa9",
    b"\xff",
    b"\x00",
    b"0",
    b"-",
    b".",
    b"...",
    b"x",
    b"/",
    b"(",
    b")",
    b"1,5",
    b"1.5",
    b"-1",
    b"99999999999999999999",
    b"2024",
    b"31.12.2024",
    b"2024-12-31",
    b"2024-02-30",
    b"DG",
    b"14522",
    b"14522180",
    b"145220000000",
    b"Insgesamt",
    b"1_variable_code",
    b"2_variable_code",
    b"value_q",
    b"K;QEI;FACH-SCHL;FACH-SCHL;ZI-WERT;WERT;QUALITAET",
    b"D;",
    b"K;DQI",
    b"__",
    b"`",
    b"[",
    b"]",
    b"=",
    b"|",
    b"*",
    b"'",
    b"[[indicator]]",
    b"formula = '((((A))))'",
    b"{",
    b"}",
    b"[]",
    b"null",
    b"1e308",
    b"uniqueCount=\"99999999999\"",
    b"<c r=\"XFD1048576\"><v>1</v></c>",
    b"<row r=\"4294967295\">",
];

/// 16-bit values that mean something in BIFF records (CONTINUE, BOF, DIMENSIONS, EOF,
/// BoundSheet, MulRk, Formula) or are edge cases.
const INTERESTING_U16: &[u16] = &[
    0, 1, 2, 0x00FF, 0x0100, 0x7FFF, 0xFFFF, 0x003C, 0x0809, 0x0200, 0x000A, 0x0085, 0x00BD, 0x0006,
];
/// 32-bit values that are sector markers of compound files or edge cases of lengths.
const INTERESTING_U32: &[u32] = &[
    0,
    1,
    2,
    0xFF,
    0xFFFF,
    0x10000,
    0x7FFF_FFFF,
    0xFFFF_FFFA,
    0xFFFF_FFFC,
    0xFFFF_FFFD,
    0xFFFF_FFFE,
    0xFFFF_FFFF,
];

/// Units that nest a formula once more each time they are repeated.
const NESTING_UNITS: &[&str] = &["(", "-", "lag(", "A + ", "coalesce(", "A * "];

#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Insert(Index, Vec<u8>),
    Token(Index, Index),
    Delete(Index, usize),
    Truncate(Index),
    DuplicateLine(Index),
    DeleteLine(Index),
    SwapLines(Index, Index),
    SetU16(Index, u16),
    SetU32(Index, u32),
    /// Overwrites up to eight characters of one line with one character, keeping the line's
    /// length in characters, so fixed-width records stay aligned.
    FillChars(Index, Index, usize, char),
}

/// Characters that are one character but several bytes, blanks of all kinds, and separators.
const FILL_CHARS: &[char] = &[
    '\u{a0}', 'ä', '€', '\u{feff}', '𝔸', ' ', '\t', '0', '9', ';', ',', '"', '-', '.',
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let insert = prop_oneof![
        prop::sample::select(INTERESTING).prop_map(<[u8]>::to_vec),
        prop::collection::vec(any::<u8>(), 1..8),
    ];
    let u16s = prop_oneof![prop::sample::select(INTERESTING_U16), any::<u16>()];
    let u32s = prop_oneof![prop::sample::select(INTERESTING_U32), any::<u32>()];
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(a, b)| Mutation::Flip(a, b)),
        (any::<Index>(), insert).prop_map(|(a, b)| Mutation::Insert(a, b)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, t)| Mutation::Token(a, t)),
        (any::<Index>(), 1usize..64).prop_map(|(a, n)| Mutation::Delete(a, n)),
        any::<Index>().prop_map(Mutation::Truncate),
        any::<Index>().prop_map(Mutation::DuplicateLine),
        any::<Index>().prop_map(Mutation::DeleteLine),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<Index>(), u16s).prop_map(|(a, v)| Mutation::SetU16(a, v)),
        (any::<Index>(), u32s).prop_map(|(a, v)| Mutation::SetU32(a, v)),
        (
            any::<Index>(),
            any::<Index>(),
            1usize..8,
            prop::sample::select(FILL_CHARS)
        )
            .prop_map(|(l, c, n, ch)| Mutation::FillChars(l, c, n, ch)),
    ]
}

/// Byte ranges of the lines of `b`, each with its `\n`.
fn line_ranges(b: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < b.len() {
        out.push(start..b.len());
    }
    out
}

fn apply(seed: &Seed, ms: &[Mutation]) -> Vec<u8> {
    let mut b = seed.bytes.clone();
    for m in ms {
        match m {
            Mutation::Flip(at, bit) => {
                if !b.is_empty() {
                    let i = at.index(b.len());
                    b[i] ^= 1 << bit;
                }
            }
            Mutation::Insert(at, x) => {
                let i = at.index(b.len() + 1);
                b.splice(i..i, x.iter().copied());
            }
            Mutation::Token(at, t) => {
                if !seed.tokens.is_empty() {
                    let i = at.index(b.len() + 1);
                    let tok = &seed.tokens[t.index(seed.tokens.len())];
                    b.splice(i..i, tok.iter().copied());
                }
            }
            Mutation::Delete(at, n) => {
                if !b.is_empty() {
                    let i = at.index(b.len());
                    let j = (i + n).min(b.len());
                    b.drain(i..j);
                }
            }
            Mutation::Truncate(at) => {
                let i = at.index(b.len() + 1);
                b.truncate(i);
            }
            Mutation::DuplicateLine(at) => {
                let lines = line_ranges(&b);
                if !lines.is_empty() {
                    let r = lines[at.index(lines.len())].clone();
                    let copy = b[r.clone()].to_vec();
                    b.splice(r.end..r.end, copy);
                }
            }
            Mutation::DeleteLine(at) => {
                let lines = line_ranges(&b);
                if !lines.is_empty() {
                    let r = lines[at.index(lines.len())].clone();
                    b.drain(r);
                }
            }
            Mutation::SwapLines(x, y) => {
                let lines = line_ranges(&b);
                if lines.len() > 1 {
                    let (mut p, mut q) = (
                        lines[x.index(lines.len())].clone(),
                        lines[y.index(lines.len())].clone(),
                    );
                    if p.start > q.start {
                        std::mem::swap(&mut p, &mut q);
                    }
                    if p.end <= q.start {
                        let mut out = b[..p.start].to_vec();
                        out.extend_from_slice(&b[q.clone()]);
                        out.extend_from_slice(&b[p.end..q.start]);
                        out.extend_from_slice(&b[p.clone()]);
                        out.extend_from_slice(&b[q.end..]);
                        b = out;
                    }
                }
            }
            Mutation::SetU16(at, v) => {
                if b.len() >= 2 {
                    let i = at.index(b.len() - 1);
                    b[i..i + 2].copy_from_slice(&v.to_le_bytes());
                }
            }
            Mutation::FillChars(line, col, n, ch) => {
                let lines = line_ranges(&b);
                if !lines.is_empty() {
                    let r = lines[line.index(lines.len())].clone();
                    // Lossy: a line of invalid UTF-8 becomes valid text with replacement marks.
                    let text = String::from_utf8_lossy(&b[r.clone()]).into_owned();
                    let mut chars: Vec<char> = text.chars().collect();
                    if !chars.is_empty() {
                        let start = col.index(chars.len());
                        for c in chars.iter_mut().skip(start).take(*n) {
                            if *c != '\n' {
                                *c = *ch;
                            }
                        }
                    }
                    let new: String = chars.into_iter().collect();
                    b.splice(r, new.into_bytes());
                }
            }
            Mutation::SetU32(at, v) => {
                if b.len() >= 4 {
                    // Aligned, like the fields of compound files and shapefiles.
                    let i = at.index(b.len() - 3) & !3;
                    b[i..i + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
        }
    }
    b
}

/// A seed and the mutations to apply to it.
fn mutated(n_seeds: usize) -> impl Strategy<Value = (usize, Vec<Mutation>)> {
    (0..n_seeds, prop::collection::vec(mutation(), 1..8))
}

fn arbitrary_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        // Text made of the characters that structure these formats, so that more cases get past
        // decoding and into the parsers.
        "[0-9A-Za-z;,.\"\\-_\n\r \u{a0}äöüß€()\\[\\]=|*`']{0,1500}".prop_map(String::into_bytes),
    ]
}

// ---------------------------------------------------------------- what every result must satisfy

/// Indices in the dataset point at its tables, and every value renders (both are what the store
/// and the golden summaries rely on).
fn check(ds: &Dataset) {
    for o in &ds.observations {
        assert!((o.measure as usize) < ds.measures.len(), "measure index");
        assert!((o.region as usize) < ds.region_keys.len(), "region index");
        assert!(
            (o.breakdown as usize) < ds.breakdowns.len(),
            "breakdown index"
        );
        assert!((o.quality as usize) < ds.qualities.len(), "quality index");
        let _ = o.value.render();
    }
    assert_eq!(ds.region_keys.len(), ds.region_names.len());
}

/// Decodes bytes as `sozialmonitor_import::read` does and runs a text parser on them.
fn run_text(parse: fn(&str, &str) -> Dataset, bytes: &[u8]) {
    let name = "fuzz-input.csv";
    let Ok((t, _)) = text::decode(name, bytes) else {
        return;
    };
    if text::check_line_lengths(name, &t).is_err() {
        return;
    }
    check(&parse(name, &t));
}

fn text_target(target: &str, parse: fn(&str, &str) -> Dataset, files: &[(&str, usize, usize)]) {
    let seeds = text_seeds(files);
    fuzz(
        &format!("{target} (mutated files)"),
        mutated(seeds.len()),
        |(s, ms)| run_text(parse, &apply(&seeds[s], &ms)),
    );
}

// ---------------------------------------------------------------- text formats

const FFCSV: &[(&str, usize, usize)] = &[
    (
        "data/demo/genesis/ffcsv/2000S-2003_1773175178787_de_flat.csv.gz",
        80,
        0,
    ),
    (
        "data/demo/genesis/ffcsv/23111-0001_1773174926539_de_flat.csv.gz",
        60,
        0,
    ),
    (
        "data/demo/genesis/ffcsv/12411-01-01-4_1773175790049_en_flat.csv.gz",
        60,
        0,
    ),
    (
        "data/demo/genesis/ffcsv/12531-0043_175879554_flat.SN-ST-subset.csv.gz",
        60,
        0,
    ),
    ("crates/import/tests/bad/conflicting_duplicates.csv", 20, 0),
];

#[test]
fn ffcsv_arbitrary_bytes() {
    fuzz("ffcsv (arbitrary bytes)", arbitrary_bytes(), |b| {
        run_text(ffcsv::read, &b)
    });
    // Behind a real header, so the rows are parsed rather than the header refused.
    let header = lines_of(&file(FFCSV[0].0), 1, 0);
    fuzz("ffcsv (header + arbitrary rows)", arbitrary_bytes(), |b| {
        run_text(ffcsv::read, &[&header[..], &b[..]].concat())
    });
}

#[test]
fn ffcsv_mutated_files() {
    text_target("ffcsv", ffcsv::read, FFCSV);
}

const OLDFLAT: &[(&str, usize, usize)] = &[
    ("data/demo/genesis/older-flat/11111-0001_flat.csv.gz", 60, 0),
    (
        "data/demo/genesis/older-flat/5305e717fa39__11111-02-01-4.txt.gz",
        60,
        0,
    ),
    (
        "data/demo/genesis/older-flat/33ced8dd1b0d__11111-02-01-4_1744312684828_de_flat.csv.gz",
        60,
        0,
    ),
];

#[test]
fn oldflat_arbitrary_bytes() {
    fuzz("old flat (arbitrary bytes)", arbitrary_bytes(), |b| {
        run_text(oldflat::read, &b)
    });
    let header = lines_of(&file(OLDFLAT[0].0), 1, 0);
    fuzz(
        "old flat (header + arbitrary rows)",
        arbitrary_bytes(),
        |b| run_text(oldflat::read, &[&header[..], &b[..]].concat()),
    );
}

#[test]
fn oldflat_mutated_files() {
    text_target("old flat", oldflat::read, OLDFLAT);
}

const TABLE: &[(&str, usize, usize)] = &[
    (
        "data/demo/genesis/table-csv/12411-08-01-4_00.csv.gz",
        50,
        12,
    ),
    (
        "data/demo/genesis/table-csv/13211-02-04-4_00.csv.gz",
        50,
        12,
    ),
    (
        "data/demo/genesis/table-csv/12411-01-01-5_00.csv.gz",
        40,
        12,
    ),
    (
        "data/demo/genesis/table-csv/22411-02-03-4_00.csv.gz",
        40,
        12,
    ),
];

#[test]
fn table_arbitrary_bytes() {
    fuzz("table (arbitrary bytes)", arbitrary_bytes(), |b| {
        run_text(table::read, &b)
    });
}

#[test]
fn table_mutated_files() {
    text_target("table", table::read, TABLE);
}

const CUBE: &[(&str, usize, usize)] = &[
    ("data/demo/genesis/cube/22922KJ1141.txt.gz", 120, 0),
    ("data/demo/genesis/cube/12411BJ001.txt.gz", 120, 0),
];

#[test]
fn cube_arbitrary_bytes() {
    fuzz("cube (arbitrary bytes)", arbitrary_bytes(), |b| {
        run_text(cube::read, &b)
    });
}

#[test]
fn cube_mutated_files() {
    text_target("cube", cube::read, CUBE);
}

const GV100AD: &[(&str, usize, usize)] = &[
    ("data/demo/registers/GV100AD_301123.txt.gz", 120, 0),
    ("data/demo/registers/GV100AD_301121.ASC.gz", 120, 0),
];

#[test]
fn gv100ad_arbitrary_bytes() {
    fuzz("GV100AD (arbitrary bytes)", arbitrary_bytes(), |b| {
        run_text(gv100ad::read, &b)
    });
}

#[test]
fn gv100ad_mutated_files() {
    text_target("GV100AD", gv100ad::read, GV100AD);
}

const INKAR: &[(&str, usize, usize)] = &[(
    "data/demo/inkar/inkar2024/derived_inkar2024_SN_ST_long.csv.gz",
    100,
    0,
)];
const INKAR_CODEBOOK: &[(&str, usize, usize)] = &[(
    "data/demo/inkar/inkar2024/derived_inkar2024_codebook_SN_ST.csv.gz",
    60,
    0,
)];

#[test]
fn inkar_arbitrary_bytes() {
    fuzz("INKAR values (arbitrary bytes)", arbitrary_bytes(), |b| {
        run_text(inkar::read_values, &b)
    });
    fuzz("INKAR codebook (arbitrary bytes)", arbitrary_bytes(), |b| {
        run_text(inkar::read_codebook, &b)
    });
}

#[test]
fn inkar_mutated_files() {
    text_target("INKAR values", inkar::read_values, INKAR);
    text_target("INKAR codebook", inkar::read_codebook, INKAR_CODEBOOK);
}

/// The example of `docs/long-csv.md` (its ```csv block), the test corpus' long CSV, and one with
/// every optional column.
fn long_csv_seeds() -> Vec<Seed> {
    let doc = String::from_utf8(file("docs/long-csv.md")).expect("UTF-8");
    let example: String = doc
        .split("```csv\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .unwrap_or("")
        .to_string();
    vec![
        seed(example.into_bytes()),
        seed(file("crates/import/tests/bad/long_thousands.csv")),
        seed(
            "Schlüssel;Merkmal;Stichtag;Wert;Ausprägung;Einheit;Bezeichnung;Qualität\n\
             14522;SEU;31.12.2024;12,5;GES=GESW|NAT=NATA;%;Anteil;p\n\
             14522180;SEU;2024;-;;Anzahl;Fälle;\n\
             DG;SEU;2023;(3,4);GES=GESM;%;Anteil;e\n"
                .as_bytes()
                .to_vec(),
        ),
    ]
}

#[test]
fn longcsv_arbitrary_bytes() {
    fuzz("long CSV (arbitrary bytes)", arbitrary_bytes(), |b| {
        run_text(longcsv::read, &b)
    });
    fuzz(
        "long CSV (header + arbitrary rows)",
        arbitrary_bytes(),
        |b| {
            run_text(
                longcsv::read,
                &[
                    &b"region;measure;period;value;breakdown;unit;label;quality\n"[..],
                    &b[..],
                ]
                .concat(),
            )
        },
    );
}

#[test]
fn longcsv_mutated_files() {
    let seeds = long_csv_seeds();
    fuzz(
        "long CSV (mutated files)",
        mutated(seeds.len()),
        |(s, ms)| run_text(longcsv::read, &apply(&seeds[s], &ms)),
    );
}

const ORTSTEILE: &[(&str, usize, usize)] = &[(
    "data/demo/registers/gemeindeverzeichnis-sachsen-ortsteile.csv.gz",
    40,
    0,
)];

#[test]
fn ortsteile_arbitrary_bytes() {
    let header = lines_of(&file(ORTSTEILE[0].0), 1, 0);
    fuzz(
        "Ortsteile (header + arbitrary rows)",
        arbitrary_bytes(),
        |b| run_text(ortsteile::read, &[&header[..], &b[..]].concat()),
    );
}

#[test]
fn ortsteile_mutated_files() {
    text_target("Ortsteile", ortsteile::read, ORTSTEILE);
}

#[test]
fn catalog_arbitrary_bytes() {
    fuzz("catalogue (arbitrary bytes)", arbitrary_bytes(), |b| {
        run_text(catalog::read, &b)
    });
}

#[test]
fn catalog_mutated_files() {
    text_target(
        "catalogue",
        catalog::read,
        &[
            ("catalog/indikatoren.toml", 160, 0),
            ("crates/import/tests/bad/bad_catalog.toml", 100, 0),
        ],
    );
}

// ---------------------------------------------------------------- formulas

fn catalogue_formulas() -> Vec<Seed> {
    String::from_utf8(file("catalog/indikatoren.toml"))
        .expect("UTF-8")
        .lines()
        .filter_map(|l| l.strip_prefix("formula = "))
        .map(|f| seed(f.trim_matches(['\'', '"']).as_bytes().to_vec()))
        .collect()
}

fn run_formula(src: &str) {
    if let Ok(e) = sozialmonitor_core::formula::parse(src) {
        // What callers do with a parsed formula recurses over it; that must not overflow either.
        let _ = e.to_string();
        let _ = e.refs();
    }
}

#[test]
fn formula_arbitrary_text() {
    fuzz("formula (arbitrary text)", any::<String>(), |s| {
        run_formula(&s)
    });
    fuzz(
        "formula (formula characters)",
        "[A-Za-z0-9_ `()\\[\\],=|*+/.\\-äß]{0,300}",
        |s| run_formula(&s),
    );
}

#[test]
fn formula_mutated_catalogue_formulas() {
    let seeds = catalogue_formulas();
    assert!(seeds.len() > 40, "catalogue formulas: {}", seeds.len());
    fuzz(
        "formula (mutated catalogue formulas)",
        mutated(seeds.len()),
        |(s, ms)| run_formula(&String::from_utf8_lossy(&apply(&seeds[s], &ms))),
    );
}

/// One way to nest a formula once more.
#[derive(Debug, Clone, Copy)]
enum Wrap {
    Paren,
    Neg,
    Lag,
    AddLeft,
    MulRight,
    Coalesce,
    Select,
}

#[test]
fn formula_deep_nesting() {
    // A leaf wrapped up to 200 times in any mix of the ways the grammar nests (built by folding
    // a list, as a recursive strategy of that depth would overflow the generator's own stack).
    let wraps = prop::collection::vec(
        prop::sample::select(
            &[
                Wrap::Paren,
                Wrap::Neg,
                Wrap::Lag,
                Wrap::AddLeft,
                Wrap::MulRight,
                Wrap::Coalesce,
                Wrap::Select,
            ][..],
        ),
        0..200,
    );
    fuzz("formula (deep nesting)", wraps, |ws| {
        let f = ws.iter().fold("A".to_string(), |e, w| match w {
            Wrap::Paren => format!("({e})"),
            Wrap::Neg => format!("-{e}"),
            Wrap::Lag => format!("lag({e}, 1)"),
            Wrap::AddLeft => format!("B + {e}"),
            Wrap::MulRight => format!("{e} * 2"),
            Wrap::Coalesce => format!("coalesce(C, {e})"),
            Wrap::Select => format!("{e} / M[V=a|b]"),
        });
        run_formula(&f)
    });
    fuzz(
        "formula (long runs)",
        (prop::sample::select(NESTING_UNITS), 0usize..200_000),
        |(unit, n)| run_formula(&unit.repeat(n)),
    );
}

// ---------------------------------------------------------------- spreadsheets

/// Whether a spreadsheet diagnostic says calamine itself panicked (caught in `sheet::read`).
fn caught_in_calamine(ds: &Dataset) -> bool {
    ds.diagnostics.iter().any(|d| {
        d.message
            .english()
            .contains("the spreadsheet reader failed")
    })
}

fn run_sheet(bytes: &[u8], caught: &AtomicUsize) {
    let ds = sheet::read("fuzz-input.xlsx", bytes);
    if caught_in_calamine(&ds) {
        caught.fetch_add(1, Ordering::Relaxed);
    }
    check(&ds);
}

#[test]
fn xls_arbitrary_bytes() {
    let caught = AtomicUsize::new(0);
    // Behind the compound-file signature, so the bytes reach the structure checks.
    fuzz(
        "XLS (signature + arbitrary bytes)",
        arbitrary_bytes(),
        |b| {
            let mut f = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
            f.extend(b);
            run_sheet(&f, &caught)
        },
    );
    fuzz("spreadsheet (arbitrary bytes)", arbitrary_bytes(), |b| {
        run_sheet(&b, &caught)
    });
    println!(
        "  XLS: {} damaged files were caught inside calamine",
        caught.load(Ordering::Relaxed)
    );
}

#[test]
fn xls_mutated_files() {
    let seeds: Vec<Seed> = [
        "data/demo/inkar/xls-2018/E_Schuldnerquote.xls",
        "data/demo/inkar/xls-2018/A_Bruttoverdienst.xls",
    ]
    .iter()
    .map(|f| Seed {
        bytes: file(f),
        tokens: Vec::new(),
    })
    .collect();
    let caught = AtomicUsize::new(0);
    fuzz("XLS (mutated files)", mutated(seeds.len()), |(s, ms)| {
        run_sheet(&apply(&seeds[s], &ms), &caught)
    });
    println!(
        "  XLS: {} damaged files were caught inside calamine",
        caught.load(Ordering::Relaxed)
    );
}

/// The parts of the real register extract, with its 16,000-row sheet cut to its first rows so
/// that a case takes milliseconds.
fn xlsx_parts() -> Vec<(String, Vec<u8>)> {
    let bytes = file("data/demo/registers/AuszugGV2QAktuell.xlsx");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut parts = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("entry");
        let name = f.name().expect("name").to_string();
        let mut content = Vec::new();
        f.read_to_end(&mut content).expect("unzip");
        if name == "xl/worksheets/sheet2.xml" {
            content = cut_rows(&content, 30);
        }
        parts.push((name, content));
    }
    parts
}

/// The sheet XML with only its first `keep` rows.
fn cut_rows(xml: &[u8], keep: usize) -> Vec<u8> {
    let ends: Vec<usize> = memchr::memmem::find_iter(xml, b"</row>").collect();
    let tail = memchr::memmem::find(xml, b"</sheetData>");
    match (ends.get(keep), tail) {
        (Some(&cut), Some(tail)) => [&xml[..cut + b"</row>".len()], &xml[tail..]].concat(),
        _ => xml.to_vec(),
    }
}

fn zip_parts(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, content) in parts {
        w.start_file(name.as_str(), opts).expect("zip entry");
        w.write_all(content).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

#[test]
fn xlsx_mutated_files() {
    let parts = xlsx_parts();
    // The cut sheet must still read as the register extract, or the mutations test nothing.
    let ds = sheet::read("cut.xlsx", &zip_parts(&parts));
    assert!(
        !ds.has_errors() && ds.regions.len() > 10,
        "{:?}",
        ds.diagnostics
    );
    let seeds: Vec<Seed> = parts.iter().map(|(_, c)| seed(c.clone())).collect();
    let caught = AtomicUsize::new(0);
    // Mutations of one part's XML, zipped again; the sheet and the shared strings most often.
    let part = prop_oneof![
        3 => Just(parts.iter().position(|(n, _)| n == "xl/worksheets/sheet2.xml").unwrap_or(0)),
        1 => Just(parts.iter().position(|(n, _)| n == "xl/sharedStrings.xml").unwrap_or(0)),
        2 => 0..parts.len(),
    ];
    fuzz(
        "XLSX (mutated parts)",
        (part, prop::collection::vec(mutation(), 1..8)),
        |(p, ms)| {
            let mut v = parts.clone();
            v[p].1 = apply(&seeds[p], &ms);
            run_sheet(&zip_parts(&v), &caught)
        },
    );
    // Mutations of the zip file itself.
    let whole = [seed(zip_parts(&parts))];
    fuzz("XLSX (mutated zip)", mutated(1), |(_, ms)| {
        run_sheet(&apply(&whole[0], &ms), &caught)
    });
    println!(
        "  XLSX: {} damaged files were caught inside calamine",
        caught.load(Ordering::Relaxed)
    );
}

// ---------------------------------------------------------------- boundaries

#[test]
fn geojson_arbitrary_bytes() {
    fuzz("GeoJSON (arbitrary bytes)", arbitrary_bytes(), |b| {
        check(&geo::read_geojson("fuzz.geojson", &b))
    });
}

#[test]
fn geojson_mutated_files() {
    // The real file cut to its first two features.
    let full: serde_json::Value = serde_json::from_slice(&file(
        "data/demo/boundaries/vg250_gem_simplified_sachsen_sachsen-anhalt_wgs84.geojson.gz",
    ))
    .expect("JSON");
    let mut small = full.clone();
    if let Some(f) = small
        .get_mut("features")
        .and_then(serde_json::Value::as_array_mut)
    {
        f.truncate(2);
    }
    let seeds = [seed(serde_json::to_vec_pretty(&small).expect("serialise"))];
    fuzz("GeoJSON (mutated files)", mutated(1), |(_, ms)| {
        check(&geo::read_geojson("fuzz.geojson", &apply(&seeds[0], &ms)))
    });
}

/// The four files of a shapefile layer.
const SHAPEFILE: [&str; 4] = ["shp", "shx", "dbf", "prj"];

#[test]
fn shapefile_mutated_files() {
    let seeds: Vec<Seed> = SHAPEFILE
        .iter()
        .map(|ext| Seed {
            bytes: file(&format!("data/demo/boundaries/VG2500_LAN.{ext}")),
            tokens: Vec::new(),
        })
        .collect();
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("VG2500_LAN.shp");
    fuzz(
        "Shapefile (mutated files)",
        mutated(SHAPEFILE.len()),
        |(s, ms)| {
            for (i, ext) in SHAPEFILE.iter().enumerate() {
                let bytes = if i == s {
                    apply(&seeds[i], &ms)
                } else {
                    seeds[i].bytes.clone()
                };
                std::fs::write(path.with_extension(ext), bytes).expect("write");
            }
            check(&geo::read_shapefile(&path));
        },
    );
}

#[test]
fn shapefile_arbitrary_bytes() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("VG2500_LAN.shp");
    let rest: Vec<Vec<u8>> = SHAPEFILE
        .iter()
        .map(|ext| file(&format!("data/demo/boundaries/VG2500_LAN.{ext}")))
        .collect();
    fuzz(
        "Shapefile (arbitrary bytes as one of its files)",
        (0..SHAPEFILE.len(), arbitrary_bytes()),
        |(s, b)| {
            for (i, ext) in SHAPEFILE.iter().enumerate() {
                let bytes = if i == s { b.clone() } else { rest[i].clone() };
                std::fs::write(path.with_extension(ext), bytes).expect("write");
            }
            check(&geo::read_shapefile(&path));
        },
    );
}

// ---------------------------------------------------------------- the whole read path

/// File names that steer format detection.
const NAMES: &[&str] = &[
    "x.csv",
    "x.txt",
    "x.csv.gz",
    "x.toml",
    "x.json",
    "x.geojson",
    "x.xlsx",
    "x.xls",
];

#[test]
fn detect_and_read_arbitrary_bytes() {
    fuzz(
        "detect + read (arbitrary bytes)",
        (prop::sample::select(NAMES), arbitrary_bytes()),
        |(name, b)| check(&sozialmonitor_import::read_unguarded(name, &b, None)),
    );
}

#[test]
fn detect_and_read_mutated_files() {
    let mut files: Vec<(&str, usize, usize)> = Vec::new();
    for set in [
        FFCSV,
        OLDFLAT,
        TABLE,
        CUBE,
        GV100AD,
        INKAR,
        INKAR_CODEBOOK,
        ORTSTEILE,
    ] {
        files.extend_from_slice(set);
    }
    let seeds = text_seeds(&files);
    fuzz(
        "detect + read (mutated files)",
        (prop::sample::select(NAMES), mutated(seeds.len())),
        |(name, (s, ms))| {
            check(&sozialmonitor_import::read_unguarded(
                name,
                &apply(&seeds[s], &ms),
                None,
            ))
        },
    );
    // Every format forced onto every seed: a file given with the wrong `--format`.
    let formats: Vec<Format> = Format::ALL
        .iter()
        .map(|(f, _)| *f)
        .filter(|f| *f != Format::Shapefile)
        .collect();
    fuzz(
        "read with a forced format (mutated files)",
        (prop::sample::select(formats), mutated(seeds.len())),
        |(format, (s, ms))| {
            check(&sozialmonitor_import::read_unguarded(
                "x.csv",
                &apply(&seeds[s], &ms),
                Some(format),
            ))
        },
    );
}
