//! The register of Saxon municipalities of the Landesdirektion Sachsen (`ID;SCHLNR;...;ORTSTEILE;...`):
//! its lists of Ortsteile become sub-municipal areas (`AGS:slug`) below their municipality, so
//! planners can address and later fill Ortsteile and social areas.

use sozialmonitor_core::{Dataset, Diagnostic, Period, Region, RegionKey, Said};

use crate::common::{LineSplitter, SaidBoth, header_and_rows, prefix_chars, row_width};

/// A stable local code for an Ortsteil name: lowercase ASCII letters and digits, `-` between words.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        let s: &str = match c {
            'ä' | 'Ä' => "ae",
            'ö' | 'Ö' => "oe",
            'ü' | 'Ü' => "ue",
            'ß' => "ss",
            c if c.is_ascii_alphanumeric() => {
                out.push(c.to_ascii_lowercase());
                continue;
            }
            _ => "-",
        };
        if s == "-" {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push_str(s);
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Whether a header line is this register's.
pub fn is_header(line: &str) -> bool {
    line.starts_with("ID;SCHLNR;NR_KRS;GEMEINDE;") && line.contains("ORTSTEILE")
}

/// Reads the register already decoded to text.
pub fn read(file: &str, text: &str) -> Dataset {
    let mut ds = Dataset::new("ortsteile");
    let mut sp = LineSplitter::default();
    let Some((header, lines)) = header_and_rows(file, text, &mut ds) else {
        return ds;
    };
    let h: Vec<String> = sp
        .split(header)
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    let col = |n: &str| h.iter().position(|c| c == n);
    let (Some(ck), Some(co), Some(cs)) = (col("SCHLNR"), col("ORTSTEILE"), col("BEARB_STAND"))
    else {
        ds.diagnostics.push(Diagnostic::error(
            file,
            1,
            0,
            Said::both(
                "header lacks SCHLNR, ORTSTEILE or BEARB_STAND",
                "Der Kopfzeile fehlt eine der Spalten SCHLNR, ORTSTEILE oder BEARB_STAND",
            ),
        ));
        return ds;
    };
    let mut rows = Vec::new();
    let mut latest: Option<Period> = None;
    for (line_no, line) in lines {
        ds.rows_read += 1;
        let f = sp.split(line);
        // A row may lack the last (empty) field, but not one of the three read here.
        let (Some(key_cell), Some(list), Some(stand)) = (f.get(ck), f.get(co), f.get(cs)) else {
            ds.diagnostics.push(Diagnostic::error(
                file,
                line_no,
                0,
                row_width(f.len(), h.len()),
            ));
            continue;
        };
        if f.len() < h.len().saturating_sub(1) {
            ds.diagnostics.push(Diagnostic::error(
                file,
                line_no,
                0,
                row_width(f.len(), h.len()),
            ));
            continue;
        }
        let key = match RegionKey::parse(key_cell) {
            Ok(k) => k,
            Err(e) => {
                ds.diagnostics
                    .push(Diagnostic::error(file, line_no, ck + 1, e.said()));
                continue;
            }
        };
        // The date of the last edit ("30.05.2023 16:07:09") dates the list.
        if let Ok(p) = Period::parse(prefix_chars(stand, 10)) {
            latest = latest.max(Some(p));
        }
        rows.push((line_no, key, list.to_string()));
    }
    let Some(snapshot) = latest else {
        ds.diagnostics.push(Diagnostic::error(
            file,
            0,
            cs + 1,
            Said::both(
                "no edit date (BEARB_STAND) found to date the register",
                "Kein Bearbeitungsdatum (BEARB_STAND) gefunden, nach dem sich das Verzeichnis datieren ließe",
            ),
        ));
        return ds;
    };
    for (line_no, ags, list) in rows {
        if ags.level() != sozialmonitor_core::RegionLevel::Gemeinde {
            continue;
        }
        let mut seen = std::collections::BTreeSet::new();
        for name in split_names(&list).into_iter().filter(|n| !n.is_empty()) {
            // The key uses the name before any parenthesis ("Altstadt (Domviertel, ...)" →
            // `altstadt`), unless that would repeat a key of the same municipality.
            let short = slug(name.split(" (").next().unwrap_or(name));
            let code = if seen.contains(&short) {
                slug(name)
            } else {
                short
            };
            if code.is_empty() || !seen.insert(code.clone()) {
                ds.diagnostics.push(Diagnostic::warning(
                    file,
                    line_no,
                    co + 1,
                    Said::both(
                        format!(
                            "Ortsteil `{name}` of {ags} repeats or has no usable name; listed once"
                        ),
                        format!(
                            "Der Ortsteil „{name}“ von {ags} kommt mehrfach vor oder hat keinen verwendbaren Namen; er wird nur einmal aufgeführt"
                        ),
                    ),
                ));
                continue;
            }
            let Ok(key) = RegionKey::parse(&format!("{ags}:{code}")) else {
                continue;
            };
            let mut r = Region::new(key, name);
            r.valid_from = Some(snapshot);
            r.kind = Some("Ortsteil".into());
            ds.regions.push(r);
        }
    }
    ds
}

/// Splits the list at commas outside parentheses: `Altstadt (Domviertel, Bahnhof), Zug`.
fn split_names(list: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in list.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth <= 0 => {
                // `i` comes from `char_indices` and `,` is one byte, so both are boundaries.
                out.push(list.get(start..i).unwrap_or("").trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(list.get(start..).unwrap_or("").trim());
    out
}

#[cfg(test)]
mod tests {
    use super::{slug, split_names};

    #[test]
    fn commas_inside_parentheses_do_not_split() {
        assert_eq!(
            split_names("Altstadt (Domviertel, Bahnhof), Zug"),
            vec!["Altstadt (Domviertel, Bahnhof)", "Zug"]
        );
    }

    #[test]
    fn slugs_are_stable_ascii() {
        assert_eq!(slug("Glösa-Draisdorf"), "gloesa-draisdorf");
        assert_eq!(
            slug("Kleinolbersdorf-Altenhain"),
            "kleinolbersdorf-altenhain"
        );
        assert_eq!(slug(" Straße am Markt "), "strasse-am-markt");
    }
}
