//! GENESIS table CSV, as regionalstatistik.de exports it: a multi-line title, several header rows
//! that name measures, breakdowns and units, data rows in wide layout, and a footer with notes and
//! the licence. Measure codes do not appear in this format, so a measure is identified by the table
//! code and its label (`12411-05-01-4:Durchschnittliche Jahresbevölkerung`).

use sozialmonitor_core::measure::is_total_label;

use crate::common::{Tally, empty_cells, german_count, row_width, unknown_region_key, value_at};
use sozialmonitor_core::{
    Breakdown, BreakdownItem, Dataset, DecimalSeparator, Diagnostic, Measure, Observation, Period,
    RegionKey, Said,
};

const UNITS: &[&str] = &[
    "Anzahl", "Prozent", "EUR", "Euro", "Jahre", "1000", "Tsd.", "Tsd. EUR", "1000 EUR", "ha",
    "qkm", "km²", "%", "Personen", "Tage", "Stunden", "Promille", "je 1000", "m²", "qm",
];
const FILLERS: &[&str] = &[
    "und zwar",
    "davon",
    "davon mit",
    "darunter",
    "dar.",
    "dar.:",
];

/// The most columns a table may have. Real exports have fewer than a hundred; the header analysis
/// compares every column with every other, so a line of a million empty fields would otherwise
/// take hours.
const MAX_COLUMNS: usize = 10_000;

fn is_period(s: &str) -> bool {
    Period::parse(s).is_ok()
}

fn is_region_code(s: &str) -> bool {
    let s = s.trim();
    s == "DG"
        || (matches!(s.len(), 2 | 3 | 5 | 7 | 8 | 9 | 10 | 11)
            && s.bytes().all(|b| b.is_ascii_digit()))
}

/// How regionalstatistik.de keys map to official keys. Besides the official keys it uses its own
/// scheme for Gemeindeverbände: 7 digits (Kreis + 2) or 8 digits (Kreis + 3, the Samtgemeinden),
/// and for their member municipalities 10 or 11 digits (Kreis + Verband + Gemeinde).
enum TableKey {
    Official(RegionKey),
    /// A Gemeindeverband in regionalstatistik's own numbering, which has no official equivalent.
    Verband,
}

fn table_key(code: &str, name: &str) -> Result<TableKey, sozialmonitor_core::KeyError> {
    let c = code.trim();
    let verband_name = [
        ", Samtgemeinde",
        ", Verbandsgem",
        ", Verwaltungsgem",
        ", Verwaltungsverband",
    ]
    .iter()
    .any(|m| name.contains(m));
    match c.len() {
        7 => Ok(TableKey::Verband),
        8 if verband_name => Ok(TableKey::Verband),
        10 | 11 if c.bytes().all(|b| b.is_ascii_digit()) => {
            // All ASCII digits, so byte positions are character positions.
            let (kreis, gemeinde) = (c.get(..5), c.get(c.len() - 3..));
            match kreis.zip(gemeinde) {
                Some((k, g)) => RegionKey::parse(&format!("{k}{g}")).map(TableKey::Official),
                None => RegionKey::parse(c).map(TableKey::Official),
            }
        }
        _ => RegionKey::parse(c).map(TableKey::Official),
    }
}

fn split(rec: &str) -> Vec<String> {
    let mut v = Vec::new();
    crate::text::split(rec, &mut v);
    v.into_iter().map(|c| c.trim().to_string()).collect()
}

/// Reads a table CSV file already decoded to text.
pub fn read(file: &str, text: &str) -> Dataset {
    let mut ds = Dataset::new("genesis-table");
    // Physical lines: quoted notes in the title and footer are not always balanced in real exports,
    // and header and data rows never span lines.
    let recs: Vec<(usize, String)> = crate::text::lines(text)
        .map(|(n, l)| (n, l.to_string()))
        .collect();
    let Some((_, first)) = recs.first() else {
        ds.diagnostics.push(Diagnostic::error(
            file,
            1,
            0,
            Said::both("the file is empty", "Die Datei ist leer"),
        ));
        return ds;
    };
    let table = first
        .trim_start_matches("GENESIS-Tabelle:")
        .trim()
        .trim_end_matches(';')
        .to_string();
    let mut titles: Vec<(usize, Vec<String>)> = Vec::new();
    let mut headers: Vec<(usize, Vec<String>)> = Vec::new();
    let mut data: Vec<(usize, Vec<String>)> = Vec::new();
    for (line, rec) in recs.iter().skip(1) {
        if rec.starts_with("__________") {
            break; // footer: notes, licence, "Stand:"
        }
        let f = split(rec);
        let first = f.first().map(String::as_str).unwrap_or("");
        if first.is_empty() {
            if f.iter().any(|c| !c.is_empty()) && data.is_empty() {
                headers.push((*line, f));
            } else if f.iter().any(|c| !c.is_empty()) {
                ds.diagnostics.push(
                    Diagnostic::error(
                        file,
                        *line,
                        1,
                        Said::both(
                            "row without a key in the data block",
                            "Zeile ohne Schlüssel im Datenblock",
                        ),
                    )
                    .with_hint(Said::both(
                        "a data row starts with a period or a region key",
                        "Eine Datenzeile beginnt mit einem Zeitbezug oder einem Regionalschlüssel",
                    )),
                );
            }
        } else if (is_period(first) || is_region_code(first)) && !headers.is_empty() {
            data.push((*line, f));
        } else if headers.is_empty() {
            titles.push((*line, f));
        } else {
            ds.diagnostics.push(unexpected_row(file, *line, first));
        }
    }
    if headers.is_empty() || data.is_empty() {
        ds.diagnostics.push(
            Diagnostic::error(
                file,
                0,
                0,
                Said::both(
                    "no header rows or no data rows found",
                    "Keine Kopfzeilen oder keine Datenzeilen gefunden",
                ),
            )
            .with_hint(Said::both(
                "is this a complete GENESIS table export?",
                "Ist dies ein vollständiger GENESIS-Tabellenexport?",
            )),
        );
        return ds;
    }
    let width = headers.iter().map(|(_, h)| h.len()).max().unwrap_or(0);
    let nkeys = headers
        .iter()
        .map(|(_, h)| h.iter().take_while(|c| c.is_empty()).count())
        .min()
        .unwrap_or(0);
    if width > MAX_COLUMNS {
        ds.diagnostics.push(
            Diagnostic::error(
                file,
                headers.first().map_or(0, |h| h.0),
                0,
                Said::both(
                    format!(
                        "the header has {width} columns; a table may have at most {MAX_COLUMNS}"
                    ),
                    format!(
                        "Die Kopfzeile hat {width} Spalten; eine Tabelle darf höchstens {MAX_COLUMNS} haben"
                    ),
                ),
            )
            .with_hint(Said::both(
                "is this a GENESIS table export? split the table when exporting it",
                "Ist dies ein GENESIS-Tabellenexport? Die Tabelle beim Export aufteilen",
            )),
        );
        return ds;
    }
    if nkeys == 0 || nkeys >= width {
        ds.diagnostics.push(Diagnostic::error(
            file,
            headers.first().map_or(0, |h| h.0),
            1,
            Said::both(
                "cannot tell key columns from value columns in the header",
                "In der Kopfzeile lassen sich Schlüsselspalten und Wertspalten nicht unterscheiden",
            ),
        ));
        return ds;
    }
    // The unit row is the last header row when all its cells are units.
    let mut levels: Vec<Vec<String>> = headers
        .iter()
        .map(|(_, h)| {
            (nkeys..width)
                .map(|c| h.get(c).cloned().unwrap_or_default())
                .collect()
        })
        .collect();
    let mut units: Vec<String> = vec![String::new(); width - nkeys];
    if let Some(last) = levels.last()
        && last
            .iter()
            .all(|c| c.is_empty() || UNITS.contains(&c.as_str()))
        && last.iter().any(|c| !c.is_empty())
    {
        units = levels.pop().unwrap_or_default();
    }
    // A title line "Label (Unit)" names the measure when the header rows hold only breakdowns.
    let title_text: Vec<String> = titles
        .iter()
        .map(|(_, t)| {
            t.iter()
                .filter(|c| !c.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    // The last title line that is not a period (a period line may close the title block).
    let title_measure = title_text
        .iter()
        .rev()
        .find(|t| Period::parse(t.strip_prefix("Jahr: ").unwrap_or(t).trim()).is_err())
        .and_then(|t| {
            let (label, unit) = t.trim().rsplit_once(" (")?;
            let unit = unit.strip_suffix(')')?;
            UNITS
                .contains(&unit)
                .then(|| (label.to_string(), unit.to_string()))
        });
    let title_period = title_text
        .iter()
        .find_map(|t| Period::parse(t.strip_prefix("Jahr: ").unwrap_or(t).trim()).ok());
    // Period levels: a header row whose cells are periods.
    let period_level = levels.iter().position(|l| {
        l.iter().filter(|c| !c.is_empty()).all(|c| is_period(c)) && l.iter().any(|c| !c.is_empty())
    });
    let col_periods: Vec<Option<Period>> = match period_level {
        Some(p) => levels
            .get(p)
            .map(|l| l.iter().map(|c| Period::parse(c).ok()).collect())
            .unwrap_or_default(),
        None => vec![None; width - nkeys],
    };
    if let Some(p) = period_level {
        levels.remove(p);
    }
    // Carry labels right where a spanning cell was left empty only in deeper levels? GENESIS repeats
    // labels per column, so an empty cell means "nothing at this level".
    let ncols = width - nkeys;
    let mut col_measure: Vec<(String, String)> = Vec::with_capacity(ncols);
    let mut col_items: Vec<Vec<BreakdownItem>> = Vec::with_capacity(ncols);
    let measure_from_title = title_measure.is_some() && units.iter().all(|u| u.is_empty());
    for c in 0..ncols {
        let mut path: Vec<(usize, String)> = levels
            .iter()
            .enumerate()
            .map(|(li, l)| (li, l.get(c).cloned().unwrap_or_default()))
            .filter(|(_, s)| !s.is_empty())
            .collect();
        path.retain(|(_, s)| !FILLERS.contains(&s.to_lowercase().as_str()));
        let (mlabel, unit) = if measure_from_title {
            let (l, u) = title_measure.clone().unwrap_or_default();
            (l, u)
        } else if path.is_empty() {
            (
                title_measure
                    .clone()
                    .map(|t| t.0)
                    .unwrap_or_else(|| table.clone()),
                units.get(c).cloned().unwrap_or_default(),
            )
        } else {
            let (_, l) = path.remove(0);
            (l, units.get(c).cloned().unwrap_or_default())
        };
        // The columns of one measure share its label; a level constant across them with deeper
        // levels below names the variable of the next level (e.g. "Geschlecht").
        let group: Vec<usize> = (0..ncols)
            .filter(|&o| {
                measure_from_title
                    || levels
                        .first()
                        .map(|l0| l0.get(o) == l0.get(c))
                        .unwrap_or(true)
            })
            .collect();
        let mut items = Vec::new();
        let mut var: Option<String> = None;
        let depth = path.len();
        for (i, (li, label)) in path.iter().enumerate() {
            // Columns that leave this level empty (e.g. the total column) do not count.
            let level = levels.get(*li).map(Vec::as_slice).unwrap_or(&[]);
            let filled: Vec<usize> = group
                .iter()
                .copied()
                .filter(|&o| level.get(o).is_some_and(|s| !s.is_empty()))
                .collect();
            let constant = filled.iter().all(|&o| level.get(o) == Some(label));
            if constant && i + 1 < depth && filled.len() > 1 {
                var = Some(label.clone());
                continue;
            }
            let variable = var.take().unwrap_or_else(|| format!("Spalte{}", li + 1));
            if is_total_label(label) {
                continue;
            }
            items.push(BreakdownItem {
                variable,
                value: label.clone(),
                label: label.clone(),
            });
        }
        col_measure.push((mlabel, unit));
        col_items.push(items);
    }
    let measures: Vec<u32> = col_measure
        .iter()
        .map(|(l, u)| {
            ds.intern_measure(Measure {
                code: format!("{table}:{l}"),
                label: l.clone(),
                unit: u.clone(),
                statistic: table.clone(),
            })
        })
        .collect();
    let mut current_period: Option<Period> = None;
    let mut empty = Tally::default();
    let mut verbands = Tally::default();
    let mut no_period_reported = false;
    for (line, f) in data {
        // A line holding only a period opens a block of rows for that period.
        if let Some(first) = f.first()
            && is_period(first)
            && f.iter().skip(1).all(String::is_empty)
        {
            current_period = Period::parse(first).ok();
            continue;
        }
        ds.rows_read += 1;
        if f.len() < width {
            ds.diagnostics.push(
                Diagnostic::error(file, line, f.len() + 1, row_width(f.len(), width)).with_hint(
                    Said::both(
                        "the file may be truncated",
                        "Die Datei ist möglicherweise abgeschnitten",
                    ),
                ),
            );
            continue;
        }
        // Key columns: an optional period, the region key, its name, then row breakdown labels.
        let keys = f.get(..nkeys).unwrap_or(&[]);
        let mut k = 0;
        let mut row_period = None;
        if let Some(first) = keys.first()
            && is_period(first)
            && !is_region_code(first)
        {
            row_period = Period::parse(first).ok();
            k = 1;
        }
        let Some(code) = keys.get(k) else {
            ds.diagnostics.push(Diagnostic::error(
                file,
                line,
                k + 1,
                Said::both(
                    "row has no region key",
                    "Die Zeile hat keinen Regionalschlüssel",
                ),
            ));
            continue;
        };
        let name = keys.get(k + 1).map(|s| s.trim().to_string());
        let key = match table_key(code, name.as_deref().unwrap_or("")) {
            Ok(TableKey::Official(key)) => key,
            Ok(TableKey::Verband) => {
                verbands.note(line);
                continue;
            }
            Err(e) => {
                ds.diagnostics
                    .push(Diagnostic::error(file, line, k + 1, unknown_region_key(&e)));
                continue;
            }
        };
        let region = ds.intern_region(key, name.as_deref());
        let row_items: Vec<BreakdownItem> = keys
            .iter()
            .enumerate()
            .skip(k + 2)
            .filter(|(_, l)| !l.is_empty() && !is_total_label(l))
            .map(|(i, l)| BreakdownItem {
                variable: format!("Zeile{}", i + 1),
                value: l.clone(),
                label: l.clone(),
            })
            .collect();
        for c in 0..ncols {
            let cell = f.get(nkeys + c).map_or("", String::as_str);
            if cell.is_empty() {
                empty.note(line);
                continue;
            }
            let Some(period) = col_periods
                .get(c)
                .copied()
                .flatten()
                .or(row_period)
                .or(current_period)
                .or(title_period)
            else {
                if !no_period_reported {
                    no_period_reported = true;
                    ds.diagnostics.push(Diagnostic::error(
                        file,
                        line,
                        nkeys + c + 1,
                        Said::both(
                            "no period for this value (none in the row, the block, the header or the title)",
                            "Kein Zeitbezug für diesen Wert (keiner in der Zeile, im Block, in der Kopfzeile oder im Titel)",
                        ),
                    ));
                }
                continue;
            };
            let Some(value) = value_at(
                &mut ds,
                file,
                line,
                nkeys + c + 1,
                cell,
                DecimalSeparator::Comma,
            ) else {
                continue;
            };
            let (Some(&measure), Some(col_items)) = (measures.get(c), col_items.get(c)) else {
                continue;
            };
            let mut items = col_items.clone();
            items.extend(row_items.iter().cloned());
            let breakdown = ds.intern_breakdown(Breakdown::new(items));
            ds.observations.push(Observation {
                measure,
                region,
                period,
                breakdown,
                value,
                quality: 0,
                line: line as u32,
            });
        }
    }
    resolve_verband_moves(file, &mut ds);
    verbands.report(&mut ds, file, 1, |n, first| {
        Said::both(
            format!("{n} rows (first in line {first}) are Gemeindeverbände in regionalstatistik's own numbering, which has no official key; they were not imported (their member municipalities were)"),
            format!(
                "Nicht importiert: {} (zuerst in Zeile {first}) mit Gemeindeverbänden in der eigenen Nummerierung von regionalstatistik.de, die keinen amtlichen Schlüssel hat (ihre Mitgliedsgemeinden wurden importiert)",
                german_count(n, "Zeile", "Zeilen")
            ),
        )
    });
    empty.report(&mut ds, file, 0, empty_cells);
    ds.finish(file);
    ds
}

/// A row in the data block that starts with neither a period nor a region key.
fn unexpected_row(file: &str, line: usize, first: &str) -> Diagnostic {
    Diagnostic::error(
        file,
        line,
        1,
        Said::both(
            format!("unexpected row starting with `{first}` in the data block"),
            format!("Unerwartete Zeile im Datenblock; sie beginnt mit „{first}“"),
        ),
    )
    .with_hint(Said::both(
        "data rows start with a period (2015, 31.12.2015) or a region key (DG, 14, 14522, 14522180)",
        "Datenzeilen beginnen mit einem Zeitbezug (2015, 31.12.2015) oder einem Regionalschlüssel (DG, 14, 14522, 14522180)",
    ))
}

/// A municipality that changed its Gemeindeverband is listed under each Verband's key, with `-`
/// for the years it did not belong to it. Such a `-` is a placeholder of the listing, not a
/// published zero, so where the same cell has a value under the other key, the value is kept.
fn resolve_verband_moves(file: &str, ds: &mut Dataset) {
    let key = |o: &Observation| (o.measure, o.region, o.period, o.breakdown);
    ds.observations
        .sort_by(|a, b| key(a).cmp(&key(b)).then(a.line.cmp(&b.line)));
    let mut out: Vec<Observation> = Vec::with_capacity(ds.observations.len());
    let mut dropped = 0usize;
    let mut first_line = 0u32;
    for o in ds.observations.drain(..) {
        if let Some(prev) = out.last_mut()
            && key(prev) == key(&o)
            && prev.line != o.line
        {
            {
                // `-` or another symbol against a number: the symbol is the placeholder.
                let prev_nil = prev.value.symbol.is_some();
                let this_nil = o.value.symbol.is_some()
                    && (prev.value.number.is_some() || o.value.symbol == prev.value.symbol);
                if prev_nil && !this_nil {
                    if dropped == 0 {
                        first_line = prev.line;
                    }
                    dropped += 1;
                    *prev = o;
                    continue;
                } else if this_nil {
                    if dropped == 0 {
                        first_line = o.line;
                    }
                    dropped += 1;
                    continue;
                }
            }
        }
        out.push(o);
    }
    ds.observations = out;
    if dropped > 0 {
        ds.diagnostics.push(Diagnostic::warning(
            file,
            first_line as usize,
            0,
            Said::both(
                format!(
                    "{dropped} `-`/symbol cells of municipalities listed under two Gemeindeverbände (first in line {first_line}) are placeholders for the years outside the membership; the values published under the other Verband were kept"
                ),
                format!(
                    "{} mit „-“ oder einem anderen statistischen Zeichen bei Gemeinden, die unter zwei Gemeindeverbänden aufgeführt sind (zuerst in Zeile {first_line}), {} Platzhalter für die Jahre außerhalb der Mitgliedschaft; die unter dem anderen Verband veröffentlichten Werte wurden übernommen",
                    german_count(dropped, "Zelle", "Zellen"),
                    if dropped == 1 { "ist" } else { "sind" }
                ),
            ),
        ));
    }
}
