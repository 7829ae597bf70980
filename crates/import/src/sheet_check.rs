//! Checks of spreadsheet files before calamine reads them, so that no file can make it allocate
//! more than the caps allow or loop forever.
//!
//! calamine trusts the structure it reads. For XLS it follows the sector chains of the compound
//! file without noticing a loop, reserves what a sheet's DIMENSIONS record claims and allocates the
//! whole rectangle between a sheet's outermost cells, all while opening the file; for XLSX it
//! reserves as many shared strings as the file announces. A request for terabytes aborts the
//! process, which no `catch_unwind` can turn into an error. So this module walks the same
//! structures the way calamine does (`calamine` 0.38: `cfb.rs`, `xls.rs`), with bounds, and refuses
//! a file before calamine sees it. Panics that remain inside calamine are caught by the caller.

use std::borrow::Cow;
use std::io::{Cursor, Read as _};

use sozialmonitor_core::Said;

/// The signature of an OLE compound file (XLS).
pub const OLE_SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Ends a sector chain.
const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
/// Sector numbers from here on are markers, not sectors.
const RESERVED_SECTORS: u32 = 0xFFFF_FFFA;
/// Marks a DIFAT sector in the FAT; calamine skips FAT entries from here on.
const DIFSECT: u32 = 0xFFFF_FFFC;
/// More sheets than this are not a statistics workbook; each costs calamine a pass over the
/// records from the sheet's start, so a file full of sheet entries would take quadratic time.
const MAX_SHEETS: usize = 1024;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([*s.first()?, *s.get(1)?]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    let mut a = [0u8; 4];
    a.copy_from_slice(s);
    Some(u32::from_le_bytes(a))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}

fn u32s(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
    b.chunks_exact(4)
        .filter_map(|c| c.try_into().ok().map(u32::from_le_bytes))
}

/// The sectors of a compound file: sector `n` follows the header, which takes one sector.
struct Sectors<'a> {
    data: &'a [u8],
    size: usize,
}

impl<'a> Sectors<'a> {
    fn count(&self) -> usize {
        self.data.len().saturating_sub(self.size) / self.size
    }

    fn get(&self, id: u32) -> Result<&'a [u8], Said> {
        let start = (id as usize)
            .checked_add(1)
            .and_then(|n| n.checked_mul(self.size));
        start
            .and_then(|s| self.data.get(s..s.checked_add(self.size)?))
            .ok_or_else(|| {
                Said::both(
                    format!("sector {id} lies beyond the end of the file"),
                    format!("Sektor {id} liegt hinter dem Ende der Datei"),
                )
            })
    }
}

/// Follows a sector chain like calamine's `get_chain`: up to `len` bytes, stopping at the end
/// marker. A chain longer than the file has sectors runs in a circle, where calamine would loop
/// until the memory is gone.
fn chain<'a>(
    start: u32,
    fat: &[u32],
    len: usize,
    max_steps: usize,
    sector: impl Fn(u32) -> Result<&'a [u8], Said>,
) -> Result<Vec<u8>, Said> {
    let mut out = Vec::new();
    let mut id = start;
    let mut steps = 0usize;
    while id != ENDOFCHAIN {
        steps += 1;
        if steps > max_steps {
            return Err(Said::both(
                "a sector chain of the compound file runs in a circle",
                "eine Sektorkette der Verbunddatei läuft im Kreis",
            ));
        }
        let s = sector(id)?;
        let take = s.len().min(len - out.len());
        out.extend_from_slice(s.get(..take).unwrap_or(s));
        if out.len() >= len {
            break;
        }
        id = *fat.get(id as usize).ok_or_else(|| {
            Said::both(
                format!("sector {id} has no entry in the allocation table"),
                format!("Sektor {id} hat keinen Eintrag in der Zuordnungstabelle"),
            )
        })?;
    }
    Ok(out)
}

/// A directory entry: a stream's name, first sector and length.
struct Entry {
    name: String,
    start: u32,
    len: usize,
}

/// Checks an XLS file and returns the bytes to give calamine: the file itself, or a copy padded
/// with zeros to whole sectors (calamine reads a short last sector as short once and as padded
/// later, so its view and this check's could differ; padding gives both the same view).
pub fn xls(bytes: &[u8], max_cells: u64) -> Result<Cow<'_, [u8]>, Said> {
    let header = bytes.get(..512).ok_or_else(|| {
        Said::both(
            "the file is shorter than the 512-byte header of an XLS file",
            "die Datei ist kürzer als der 512 Byte lange Kopf einer XLS-Datei",
        )
    })?;
    if !header.starts_with(&OLE_SIGNATURE) {
        return Err(Said::both(
            "the file does not start with the signature of an XLS file",
            "die Datei beginnt nicht mit der Signatur einer XLS-Datei",
        ));
    }
    let size = match u16_at(header, 30) {
        Some(9) => 512,
        Some(12) => 4096,
        _ => {
            return Err(Said::both(
                "the compound file has an invalid sector size",
                "die Verbunddatei hat eine ungültige Sektorgröße",
            ));
        }
    };
    if u16_at(header, 32) != Some(6) {
        return Err(Said::both(
            "the compound file has an invalid mini sector size",
            "die Verbunddatei hat eine ungültige Mini-Sektorgröße",
        ));
    }
    if bytes.len() < size {
        return Err(Said::both(
            "the file is shorter than its header",
            "die Datei ist kürzer als ihr Kopf",
        ));
    }
    let rest = (bytes.len() - size) % size;
    let data: Cow<'_, [u8]> = if rest == 0 {
        Cow::Borrowed(bytes)
    } else {
        let mut v = bytes.to_vec();
        v.resize(bytes.len() + (size - rest), 0);
        Cow::Owned(v)
    };
    let stream = workbook_stream(&data, size)?;
    check_sheets(&stream, max_cells)?;
    Ok(data)
}

/// Reads the workbook stream the way calamine does, refusing what would make it loop or panic.
fn workbook_stream(data: &[u8], size: usize) -> Result<Vec<u8>, Said> {
    let header = data.get(..512).unwrap_or(data);
    let field = |at: usize| u32_at(header, at).unwrap_or(0);
    let sectors = Sectors { data, size };
    let n = sectors.count();

    // The DIFAT: 109 entries in the header, then a chain of DIFAT sectors whose last entry links
    // to the next one.
    let mut difat: Vec<u32> = u32s(header.get(76..512).unwrap_or(&[])).collect();
    let mut id = field(68);
    let mut steps = 0usize;
    while id < RESERVED_SECTORS {
        steps += 1;
        if steps > n + 1 {
            return Err(Said::both(
                "the DIFAT chain of the compound file runs in a circle",
                "die DIFAT-Kette der Verbunddatei läuft im Kreis",
            ));
        }
        difat.extend(u32s(sectors.get(id)?));
        id = difat.pop().ok_or_else(|| {
            Said::both(
                "the DIFAT of the compound file is empty",
                "die DIFAT der Verbunddatei ist leer",
            )
        })?;
    }
    let fat_sectors: Vec<u32> = difat.into_iter().filter(|&id| id < DIFSECT).collect();
    if fat_sectors.len() > n {
        return Err(Said::both(
            "the compound file lists more FAT sectors than it has sectors",
            "die Verbunddatei nennt mehr FAT-Sektoren, als sie Sektoren hat",
        ));
    }
    let mut fat = Vec::with_capacity(fat_sectors.len() * (size / 4));
    for id in fat_sectors {
        fat.extend(u32s(sectors.get(id)?));
    }

    let dir = chain(field(48), &fat, usize::MAX, n, |id| sectors.get(id))?;
    let entries: Vec<Entry> = dir
        .chunks_exact(128)
        .map(|e| {
            let mut name = encoding_rs::UTF_16LE
                .decode(e.get(..64).unwrap_or(&[]))
                .0
                .into_owned();
            if let Some(end) = name.bytes().position(|b| b == 0) {
                name.truncate(end);
            }
            let len = if size == 512 {
                u32_at(e, 120).map(|l| l as usize)
            } else {
                u64_at(e, 120).map(|l| usize::try_from(l).unwrap_or(usize::MAX))
            };
            Entry {
                name,
                start: u32_at(e, 116).unwrap_or(ENDOFCHAIN),
                len: len.unwrap_or(0),
            }
        })
        .collect();
    let version = u16_at(header, 26).unwrap_or(0);
    let Some(root) = entries.first() else {
        return Err(Said::both(
            "the compound file has no root directory",
            "die Verbunddatei hat kein Stammverzeichnis",
        ));
    };
    if version != 3 && root.start == ENDOFCHAIN {
        return Err(Said::both(
            "the compound file has an empty root directory",
            "die Verbunddatei hat ein leeres Stammverzeichnis",
        ));
    }

    // Streams shorter than 4096 bytes live in the mini stream, in 64-byte mini sectors.
    let mini_fat_len = field(64) as usize;
    let (mini_fat, mini_stream) = if mini_fat_len > 0 {
        let stream = chain(root.start, &fat, root.len, n, |id| sectors.get(id))?;
        let table = chain(
            field(60),
            &fat,
            mini_fat_len.saturating_mul(size),
            n,
            |id| sectors.get(id),
        )?;
        (u32s(&table).collect::<Vec<u32>>(), stream)
    } else {
        (Vec::new(), Vec::new())
    };
    let mini_sector = |id: u32| -> Result<&[u8], Said> {
        let start = (id as usize).checked_mul(64);
        start
            .and_then(|s| mini_stream.get(s..s.checked_add(64)?))
            .ok_or_else(|| {
                Said::both(
                    format!("mini sector {id} lies beyond the mini stream"),
                    format!("Mini-Sektor {id} liegt hinter dem Ende des Mini-Streams"),
                )
            })
    };
    let stream = |name: &str| -> Result<Vec<u8>, Said> {
        let e = entries
            .iter()
            .find(|e| e.name.as_bytes().eq_ignore_ascii_case(name.as_bytes()))
            .ok_or_else(|| {
                Said::both(
                    format!("the file has no {name} stream"),
                    format!("die Datei hat keinen Stream {name}"),
                )
            })?;
        if e.len < 4096 {
            chain(
                e.start,
                &mini_fat,
                e.len,
                mini_stream.len() / 64 + 1,
                mini_sector,
            )
        } else {
            chain(e.start, &fat, e.len, n, |id| sectors.get(id))
        }
    };
    stream("Workbook").or_else(|_| stream("Book"))
}

/// BIFF records as calamine's `RecordIter` yields them: CONTINUE records (0x003C) right after a
/// record belong to it. `None` after the first malformed record, where calamine stops with an
/// error.
struct Records<'a> {
    s: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.s;
        let typ = u16_at(s, 0)?;
        let len = u16_at(s, 2)? as usize;
        let (Some(data), Some(mut rest)) = (s.get(4..4 + len), s.get(4 + len..)) else {
            self.s = &[];
            return None;
        };
        while rest.len() > 4 && u16_at(rest, 0) == Some(0x003C) {
            let l = u16_at(rest, 2).unwrap_or(0) as usize;
            match rest.get(4 + l..) {
                Some(r) => rest = r,
                None => {
                    self.s = &[];
                    return None;
                }
            }
        }
        self.s = rest;
        Some((typ, data))
    }
}

/// The smallest rectangle holding some cells, as calamine's `Range::from_sparse` allocates it.
#[derive(Default)]
struct Span {
    bounds: Option<(u32, u32, u32, u32)>,
}

impl Span {
    fn add(&mut self, (r, c): (u32, u32)) {
        self.bounds = Some(match self.bounds {
            None => (r, r, c, c),
            Some((r0, r1, c0, c1)) => (r0.min(r), r1.max(r), c0.min(c), c1.max(c)),
        });
    }

    fn cells(&self) -> u64 {
        self.bounds.map_or(0, |(r0, r1, c0, c1)| {
            (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1)
        })
    }
}

/// The row and column at the start of a cell record.
fn position(data: &[u8]) -> Option<(u32, u32)> {
    Some((u32::from(u16_at(data, 0)?), u32::from(u16_at(data, 2)?)))
}

/// The cells calamine would reserve for a DIMENSIONS record, `None` where its arithmetic would
/// overflow (a panic, or in a release build a wrapped, enormous reservation).
fn dimension_cells(r: &[u8]) -> Result<Option<u64>, ()> {
    let (rf, rl, mut cf, cl) = match r.len() {
        10 => (
            u32::from(u16_at(r, 0).ok_or(())?),
            u32::from(u16_at(r, 2).ok_or(())?),
            u32::from(u16_at(r, 4).ok_or(())?),
            u32::from(u16_at(r, 6).ok_or(())?),
        ),
        14 | 16 => (
            u32_at(r, 0).ok_or(())?,
            u32_at(r, 4).ok_or(())?,
            u32::from(u16_at(r, 8).ok_or(())?),
            u32::from(u16_at(r, 10).ok_or(())?),
        ),
        // calamine stops reading the file here with an error.
        _ => return Err(()),
    };
    if 0xFF < cf || cl < cf {
        cf = 0;
    }
    let (start, end) = if 1 <= rl && 1 <= cl {
        ((rf, cf), (rl - 1, cl - 1))
    } else {
        ((rf, cf), (rf, cf))
    };
    let rows = end.0.checked_sub(start.0).and_then(|d| d.checked_add(1));
    let cols = end.1.checked_sub(start.1).and_then(|d| d.checked_add(1));
    Ok(rows.zip(cols).map(|(r, c)| u64::from(r) * u64::from(c)))
}

/// Walks the globals for the sheets and each sheet's cell records as calamine does when it opens
/// the file, and refuses sheets that would take more than `max_cells` cells.
fn check_sheets(stream: &[u8], max_cells: u64) -> Result<(), Said> {
    let mut sheets = Vec::new();
    for (typ, data) in (Records { s: stream }) {
        match typ {
            // BoundSheet8: where the sheet's records start.
            0x0085 => sheets.extend(u32_at(data, 0).map(|p| p as usize)),
            0x000A => break,
            _ => {}
        }
    }
    if sheets.len() > MAX_SHEETS {
        let n = sheets.len();
        return Err(Said::both(
            format!("the workbook has {n} sheets; at most {MAX_SHEETS} are read"),
            format!(
                "die Arbeitsmappe hat {n} Tabellenblätter; höchstens {MAX_SHEETS} werden gelesen"
            ),
        ));
    }
    let mut total = 0u64;
    for (n, pos) in sheets.into_iter().enumerate() {
        // A start past the end makes calamine panic, which the caller catches.
        let Some(records) = stream.get(pos..) else {
            continue;
        };
        let mut cells = Span::default();
        let mut formulas = Span::default();
        let mut formula_at = (0u32, 0u32);
        let (mut seen_bof, mut depth) = (false, 0usize);
        for (typ, data) in (Records { s: records }) {
            // Embedded charts are substreams of their own, skipped like calamine skips them.
            if depth > 0 {
                match typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            match typ {
                0x0809 if seen_bof => depth += 1,
                0x0809 => seen_bof = true,
                0x0200 => match dimension_cells(data) {
                    Ok(Some(c)) if c <= max_cells => {}
                    Ok(Some(c)) => return Err(too_many_declared(n + 1, c, max_cells)),
                    Ok(None) => {
                        return Err(Said::both(
                            format!("sheet {} has an inconsistent DIMENSIONS record", n + 1),
                            format!(
                                "Tabellenblatt {} hat einen widersprüchlichen DIMENSIONS-Eintrag",
                                n + 1
                            ),
                        ));
                    }
                    Err(()) => break,
                },
                // Number, label, rich string, bool/error, RK, shared-string label.
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD => {
                    if let Some(p) = position(data) {
                        cells.add(p);
                    }
                }
                // The string value of the formula before it.
                0x0207 => cells.add(formula_at),
                // MulRk: one row, a run of columns.
                0x00BD if data.len() >= 6 => {
                    let row = u16_at(data, 0).map(u32::from);
                    let first = u16_at(data, 2).map(u32::from);
                    let last = u16_at(data, data.len() - 2).map(u32::from);
                    if let (Some(r), Some(a), Some(b)) = (row, first, last)
                        && a <= b
                    {
                        cells.add((r, a));
                        cells.add((r, b));
                    }
                }
                0x0006 if data.len() >= 20 => {
                    formula_at = position(data).unwrap_or((0, 0));
                    cells.add(formula_at);
                    formulas.add(formula_at);
                }
                // A short formula record stops calamine with an error; nothing later is read.
                0x0006 => break,
                0x000A => break,
                _ => {}
            }
        }
        let (c, f) = (cells.cells(), formulas.cells());
        if c > max_cells || f > max_cells {
            let (sheet, span) = (n + 1, c.max(f));
            return Err(Said::both(
                format!(
                    "the cells of sheet {sheet} span {span} cells, more than the {max_cells} a sheet may have"
                ),
                format!(
                    "die Zellen von Tabellenblatt {sheet} erstrecken sich über {span} Zellen, mehr als die {max_cells}, die ein Tabellenblatt haben darf"
                ),
            ));
        }
        total = total.saturating_add(c).saturating_add(f);
        if total > max_cells {
            return Err(Said::both(
                format!("the sheets of the workbook span more than {max_cells} cells together"),
                format!(
                    "die Tabellenblätter der Arbeitsmappe erstrecken sich zusammen über mehr als {max_cells} Zellen"
                ),
            ));
        }
    }
    Ok(())
}

/// A sheet whose DIMENSIONS record declares more cells than a sheet may have.
fn too_many_declared(sheet: usize, cells: u64, max_cells: u64) -> Said {
    Said::both(
        format!("sheet {sheet} declares {cells} cells, more than the {max_cells} a sheet may have"),
        format!(
            "Tabellenblatt {sheet} gibt {cells} Zellen an, mehr als die {max_cells}, die ein Tabellenblatt haben darf"
        ),
    )
}

/// A zip error of an XLSX file; the zip library says it in English only.
fn not_intact(e: zip::result::ZipError) -> Said {
    Said::both(
        format!("the file is not an intact XLSX (zip) file: {e}"),
        format!("die Datei ist keine unbeschädigte XLSX-Datei (ZIP): {e}"),
    )
}

/// An error unpacking the shared strings, said in English only by the library.
fn shared_strings(e: impl std::fmt::Display) -> Said {
    Said::both(
        format!("cannot unpack the shared strings: {e}"),
        format!("die gemeinsam genutzten Zeichenketten lassen sich nicht entpacken: {e}"),
    )
}

/// Checks an XLSX file: the total size its parts unpack to, and the number of shared strings it
/// announces (calamine reserves that many before reading one).
pub fn xlsx(bytes: &[u8], max_unpacked: u64, max_strings: u64) -> Result<(), Said> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_intact)?;
    let mut total = 0u64;
    let mut shared = Vec::new();
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(not_intact)?;
        total = total.saturating_add(f.size());
        // By the raw name, so that no decoding question can hide the part.
        if f.name_raw()
            .to_ascii_lowercase()
            .ends_with(b"sharedstrings.xml")
        {
            shared.push((i, f.size()));
        }
    }
    if total > max_unpacked {
        let (mib, max) = (total >> 20, max_unpacked >> 20);
        return Err(Said::both(
            format!("the spreadsheet unpacks to {mib} MiB, more than the {max} MiB allowed"),
            format!(
                "die Tabellendatei ist entpackt {mib} MiB groß, mehr als die erlaubten {max} MiB"
            ),
        ));
    }
    for (i, size) in shared {
        let mut text = Vec::new();
        zip.by_index(i)
            .map_err(shared_strings)?
            .take(size.saturating_add(1))
            .read_to_end(&mut text)
            .map_err(shared_strings)?;
        // Every string takes well over four bytes of XML, so a count beyond a quarter of the
        // part's size is not the file's own; calamine would reserve it all the same.
        let limit = (text.len() as u64 / 4).min(max_strings);
        if let Some(n) = announced_counts(&text).find(|&n| n > limit) {
            let bytes = text.len();
            return Err(Said::both(
                format!(
                    "the spreadsheet announces {n} shared strings, more than its {bytes} bytes can hold"
                ),
                format!(
                    "die Tabellendatei kündigt {n} gemeinsam genutzte Zeichenketten an, mehr als ihre {bytes} Bytes fassen können"
                ),
            ));
        }
    }
    Ok(())
}

/// Every number written as `uniqueCount="…"` in the XML, wherever it stands: erring towards
/// checking too much is safe, since a real file has one such attribute, on `<sst>`. A number too
/// long for `u64` counts as `u64::MAX`.
fn announced_counts(xml: &[u8]) -> impl Iterator<Item = u64> + '_ {
    memchr::memmem::find_iter(xml, b"uniqueCount").filter_map(move |at| {
        let after = xml.get(at + b"uniqueCount".len()..)?;
        let digits: Vec<u8> = after
            .iter()
            .copied()
            .skip_while(|b| b.is_ascii_whitespace() || matches!(b, b'=' | b'"' | b'\'' | b'+'))
            .take_while(u8::is_ascii_digit)
            .skip_while(|&b| b == b'0')
            .take(21)
            .collect();
        if digits.is_empty() {
            return None;
        }
        Some(
            std::str::from_utf8(&digits)
                .ok()
                .and_then(|d| d.parse().ok())
                .unwrap_or(u64::MAX),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announced_counts_are_found_and_huge_ones_saturate() {
        let xml = br#"<sst xmlns="x" count="3" uniqueCount="2"><si/></sst> uniqueCount = '000123' uniqueCount="99999999999999999999999""#;
        let v: Vec<u64> = announced_counts(xml).collect();
        assert_eq!(v, vec![2, 123, u64::MAX]);
    }

    #[test]
    fn dimensions_that_would_overflow_are_flagged() {
        // BIFF8: first row 5, last row + 1 = 3 (before the first), columns 0..2.
        let mut r = Vec::new();
        r.extend(5u32.to_le_bytes());
        r.extend(3u32.to_le_bytes());
        r.extend(0u16.to_le_bytes());
        r.extend(2u16.to_le_bytes());
        r.extend(0u16.to_le_bytes());
        assert_eq!(dimension_cells(&r), Ok(None));
        let mut ok = Vec::new();
        ok.extend(0u32.to_le_bytes());
        ok.extend(10u32.to_le_bytes());
        ok.extend(0u16.to_le_bytes());
        ok.extend(4u16.to_le_bytes());
        ok.extend(0u16.to_le_bytes());
        assert_eq!(dimension_cells(&ok), Ok(Some(40)));
    }

    #[test]
    fn records_join_continue_records_and_stop_at_a_short_one() {
        let mut s = Vec::new();
        s.extend([0x03, 0x02, 2, 0, 1, 2]); // a record of 2 bytes
        s.extend([0x3C, 0x00, 1, 0, 9]); // its CONTINUE
        s.extend([0x0A, 0x00, 0, 0]); // EOF
        s.extend([0x03, 0x02, 9, 0, 1]); // longer than what is left
        let v: Vec<(u16, Vec<u8>)> = Records { s: &s }.map(|(t, d)| (t, d.to_vec())).collect();
        assert_eq!(v, vec![(0x0203, vec![1, 2]), (0x000A, vec![])]);
    }
}
