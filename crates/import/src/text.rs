//! Decoding of text files as official statistics publish them (UTF-8 with or without BOM,
//! ISO-8859-1/Windows-1252, CRLF) and splitting of `;`-separated lines.

use sozialmonitor_core::{Diagnostic, Said};

/// The longest line we accept; longer ones are certainly not statistics and would exhaust memory.
pub const MAX_LINE: usize = 1 << 20;

/// The encoding a text file was decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (a BOM, if any, removed).
    Utf8,
    /// Windows-1252, the superset of ISO-8859-1 that German exports really use.
    Windows1252,
}

/// Decodes bytes to text, or explains why they are not a text file we can read (boxed: a
/// diagnostic in two languages is large, and the error is the rare path).
pub fn decode<'a>(
    file: &str,
    bytes: &'a [u8],
) -> Result<(std::borrow::Cow<'a, str>, Encoding), Box<Diagnostic>> {
    if bytes.is_empty() {
        return Err(Box::new(
            Diagnostic::error(
                file,
                0,
                0,
                Said::both("the file is empty", "Die Datei ist leer"),
            )
            .with_hint(Said::both(
                "export the table again; nothing was imported",
                "Die Tabelle erneut exportieren; es wurde nichts importiert",
            )),
        ));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Box::new(Diagnostic::error(
            file,
            1,
            1,
            Said::both("the file is UTF-16 encoded", "Die Datei ist in UTF-16 kodiert"),
        )
        .with_hint(Said::both(
            "save it as UTF-8 or ISO-8859-1 (\"CSV (Trennzeichen-getrennt)\" in Excel)",
            "Die Datei als UTF-8 oder ISO-8859-1 speichern (in Excel „CSV (Trennzeichen-getrennt)“)",
        ))));
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    if let Some(pos) = memchr::memchr(0, body) {
        let line = 1 + memchr::memchr_iter(b'\n', body.get(..pos).unwrap_or(body)).count();
        return Err(Box::new(Diagnostic::error(
            file,
            line,
            0,
            Said::both(
                "the file contains binary data (a NUL byte), not text",
                "Die Datei enthält Binärdaten (ein NUL-Byte), keinen Text",
            ),
        )
        .with_hint(Said::both(
            "is this a zipped or spreadsheet file? unpack it, or give the right --format",
            "Ist dies eine gepackte Datei oder eine Tabellendatei? Die Datei entpacken oder mit --format das richtige Format angeben",
        ))));
    }
    // simdutf8 validates many times faster than the standard library on large files.
    match simdutf8::basic::from_utf8(body) {
        Ok(s) => Ok((std::borrow::Cow::Borrowed(s), Encoding::Utf8)),
        Err(_) => {
            let (s, _, _) = encoding_rs::WINDOWS_1252.decode(body);
            let s = s.into_owned();
            // Many C0 control characters mean this is no Latin-1 text either.
            let ctrl = s
                .chars()
                .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
                .count();
            if ctrl * 100 > s.len().max(1) {
                return Err(Box::new(
                    Diagnostic::error(
                        file,
                        0,
                        0,
                        Said::both(
                            "the file is neither UTF-8 nor ISO-8859-1 text",
                            "Die Datei ist kein Text in UTF-8 oder ISO-8859-1",
                        ),
                    )
                    .with_hint(Said::both(
                        "check that you chose the right file",
                        "Prüfen, ob die richtige Datei gewählt wurde",
                    )),
                ));
            }
            Ok((std::borrow::Cow::Owned(s), Encoding::Windows1252))
        }
    }
}

/// Iterates lines with their 1-based numbers, removing `\r\n`/`\n`; empty lines are skipped.
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
    let mut n = 0;
    std::iter::from_fn(move || {
        loop {
            let end = ends.next()?;
            if start > bytes.len() {
                return None;
            }
            n += 1;
            // `\n` is ASCII, so both ends are char boundaries and `get` never fails here; it
            // only keeps a byte offset from ever slicing through a character.
            let l = text.get(start..end).unwrap_or("");
            start = end + 1;
            let l = l.strip_suffix('\r').unwrap_or(l);
            if !l.is_empty() {
                return Some((n, l));
            }
        }
    })
}

/// Checks every line against [`MAX_LINE`].
pub fn check_line_lengths(file: &str, text: &str) -> Result<(), Box<Diagnostic>> {
    let mut start = 0;
    for (n, end) in memchr::memchr_iter(b'\n', text.as_bytes())
        .chain(std::iter::once(text.len()))
        .enumerate()
    {
        let len = end - start;
        start = end + 1;
        if len > MAX_LINE {
            return Err(Box::new(Diagnostic::error(
                file,
                n + 1,
                0,
                Said::both(
                    format!(
                        "line is {len} bytes long, more than the 1 MiB a statistics row can have"
                    ),
                    format!(
                        "Die Zeile ist {len} Bytes lang, mehr als die 1 MiB, die eine Zeile einer Statistik haben kann"
                    ),
                ),
            )
            .with_hint(Said::both(
                "the file is probably not a statistics export, or its line breaks were lost",
                "Die Datei ist vermutlich kein Statistikexport, oder ihre Zeilenumbrüche sind verloren gegangen",
            ))));
        }
    }
    Ok(())
}

/// Splits a `;`-separated line into fields; double quotes protect separators, `""` is a quote.
pub fn split<'a>(line: &'a str, out: &mut Vec<std::borrow::Cow<'a, str>>) {
    split_sep(line, b';', out)
}

/// Splits a line at an ASCII separator; double quotes protect separators, `""` is a quote.
pub fn split_sep<'a>(line: &'a str, sep: u8, out: &mut Vec<std::borrow::Cow<'a, str>>) {
    out.clear();
    let bytes = line.as_bytes();
    if memchr::memchr(b'"', bytes).is_none() {
        // Fields are short, so a plain scan beats a vectorised search per field.
        let mut start = 0;
        for (i, &c) in bytes.iter().enumerate() {
            if c == sep {
                // The separator is ASCII, so these are char boundaries and `get` cannot fail.
                out.push(std::borrow::Cow::Borrowed(line.get(start..i).unwrap_or("")));
                start = i + 1;
            }
        }
        out.push(std::borrow::Cow::Borrowed(line.get(start..).unwrap_or("")));
        return;
    }
    let sep = sep as char;
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                out.push(std::borrow::Cow::Owned(std::mem::take(&mut field)))
            }
            c => field.push(c),
        }
    }
    out.push(std::borrow::Cow::Owned(field));
}

/// Splits text into logical CSV records, joining physical lines inside quotes (table exports put
/// multi-line footnotes in quotes). Returns (first line number, record text).
pub fn records(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    let mut open = false;
    for (i, l) in text.split('\n').enumerate() {
        let l = l.strip_suffix('\r').unwrap_or(l);
        if !open {
            start = i + 1;
            cur.clear();
        } else {
            cur.push('\n');
        }
        cur.push_str(l);
        let quotes = l.bytes().filter(|&b| b == b'"').count();
        if quotes % 2 == 1 {
            open = !open;
        }
        if !open && !cur.is_empty() {
            out.push((start, std::mem::take(&mut cur)));
        }
    }
    if open && !cur.is_empty() {
        out.push((start, cur));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_is_decoded() {
        let (s, e) = decode("f", b"Gr\xf6\xdfe;Stra\xdfe").expect("latin-1");
        assert_eq!(s, "Größe;Straße");
        assert_eq!(e, Encoding::Windows1252);
    }

    #[test]
    fn lines_are_numbered_and_trimmed() {
        let v: Vec<_> = lines("a\r\n\nb\nc").collect();
        assert_eq!(v, vec![(1, "a"), (3, "b"), (4, "c")]);
        assert_eq!(lines("").count(), 0);
    }

    #[test]
    fn quotes_protect_separators() {
        let mut v = Vec::new();
        split(r#"a;"b;c";"d""e""#, &mut v);
        assert_eq!(v, vec!["a", "b;c", "d\"e"]);
    }

    #[test]
    fn binary_and_utf16_are_rejected() {
        assert!(decode("f", b"\x50\x4b\x03\x04\x00\x00").is_err());
        assert!(decode("f", b"\xff\xfea\x00").is_err());
        assert!(decode("f", b"").is_err());
    }
}
