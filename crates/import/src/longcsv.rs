//! The documented long CSV format for data that departments deliver by hand: one value per row,
//! `;`-separated, decimal comma, columns `region;measure;period;value` and optionally `breakdown`,
//! `unit`, `label` (measure label), `quality`. German column names are accepted too. See
//! `docs/long-csv.md`.

use sozialmonitor_core::{
    Breakdown, Dataset, Diagnostic, Measure, MeasureKind, Observation, Period, RegionKey, Said,
};

use crate::common::{
    LineSplitter, SaidBoth, decimal_separator, header_and_rows, mixed_decimals, row_width,
    unknown_region_key, value_at,
};

/// Column names this format accepts (English first, German aliases after).
const ALIASES: &[(&str, &[&str])] = &[
    (
        "region",
        &[
            "region",
            "region_key",
            "schluessel",
            "schlüssel",
            "ags",
            "regionalschluessel",
        ],
    ),
    ("measure", &["measure", "merkmal", "kennzahl"]),
    ("period", &["period", "zeit", "stichtag", "jahr"]),
    ("value", &["value", "wert"]),
    ("breakdown", &["breakdown", "auspraegung", "ausprägung"]),
    ("unit", &["unit", "einheit"]),
    ("kind", &["kind", "art"]),
    ("label", &["label", "bezeichnung"]),
    ("quality", &["quality", "qualitaet", "qualität"]),
];

/// Whether a header line looks like this format.
pub fn is_header(line: &str) -> bool {
    let cols: Vec<String> = line.split(';').map(|s| s.trim().to_lowercase()).collect();
    ["region", "measure", "period", "value"].iter().all(|want| {
        ALIASES
            .iter()
            .find(|(n, _)| n == want)
            .is_some_and(|(_, al)| cols.iter().any(|c| al.contains(&c.as_str())))
    })
}

/// Reads a long CSV file already decoded to text.
pub fn read(file: &str, text: &str) -> Dataset {
    let mut ds = Dataset::new("long-csv");
    let mut sp = LineSplitter::default();
    let Some((header, lines)) = header_and_rows(file, text, &mut ds) else {
        return ds;
    };
    let h: Vec<String> = sp
        .split(header)
        .iter()
        .map(|s| s.trim().to_lowercase())
        .collect();
    let col = |name: &str| {
        let al = ALIASES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| *a)
            .unwrap_or(&[]);
        h.iter().position(|c| al.contains(&c.as_str()))
    };
    let (Some(cr), Some(cm), Some(cp), Some(cv)) =
        (col("region"), col("measure"), col("period"), col("value"))
    else {
        ds.diagnostics.push(
            Diagnostic::error(
                file,
                1,
                0,
                Said::both(
                    "header lacks one of the columns region, measure, period, value",
                    "Der Kopfzeile fehlt eine der Spalten region, measure, period, value",
                ),
            )
            .with_hint(Said::both(
                "see docs/long-csv.md: region;measure;period;value[;breakdown;unit;label;quality]",
                "Siehe docs/long-csv.md: region;measure;period;value[;breakdown;unit;label;quality]",
            )),
        );
        return ds;
    };
    let (cb, cu, cl, cq) = (col("breakdown"), col("unit"), col("label"), col("quality"));
    let ck = col("kind");
    let sep = match decimal_separator(
        text.lines()
            .skip(1)
            .map(|l| l.split(';').nth(cv).unwrap_or("")),
    ) {
        Ok(s) => s,
        Err(()) => {
            ds.diagnostics
                .push(Diagnostic::error(file, 0, cv + 1, mixed_decimals()));
            return ds;
        }
    };
    for (line_no, line) in lines {
        ds.rows_read += 1;
        let f = sp.split(line);
        if f.len() != h.len() {
            ds.diagnostics.push(
                Diagnostic::error(file, line_no, 0, row_width(f.len(), h.len())).with_hint(
                    Said::both(
                        "fields are separated by `;`",
                        "Die Felder werden durch `;` getrennt",
                    ),
                ),
            );
            continue;
        }
        // The row has as many fields as the header (checked above), so every column is there;
        // `get` keeps a mistake an empty cell instead of a panic.
        let cell = |c: usize| f.get(c).map_or("", |s| &**s);
        let key = match RegionKey::parse(cell(cr)) {
            Ok(k) => k,
            Err(e) => {
                ds.diagnostics.push(Diagnostic::error(
                    file,
                    line_no,
                    cr + 1,
                    unknown_region_key(&e),
                ));
                continue;
            }
        };
        let period = match Period::parse(cell(cp)) {
            Ok(p) => p,
            Err(e) => {
                ds.diagnostics
                    .push(Diagnostic::error(file, line_no, cp + 1, e.said()));
                continue;
            }
        };
        let Some(value) = value_at(&mut ds, file, line_no, cv + 1, cell(cv), sep) else {
            continue;
        };
        let code = cell(cm).trim();
        if code.is_empty() {
            ds.diagnostics.push(Diagnostic::error(
                file,
                line_no,
                cm + 1,
                Said::both("empty measure", "Das Merkmal ist leer"),
            ));
            continue;
        }
        let breakdown = match cb.map(|c| cell(c).trim()).map(Breakdown::parse_key) {
            None => Breakdown::total(),
            Some(Some(b)) => b,
            Some(None) => {
                ds.diagnostics.push(Diagnostic::error(
                    file,
                    line_no,
                    cb.unwrap_or(0) + 1,
                    Said::both(
                        "breakdown must look like `GES=GESW|NAT=NATA`",
                        "Die Aufgliederung muss die Form `GES=GESW|NAT=NATA` haben",
                    ),
                ));
                continue;
            }
        };
        let get = |c: Option<usize>| c.map(|c| cell(c).trim().to_string()).unwrap_or_default();
        // The kind declares whether the numbers add up and are confidential counts.
        let declared = get(ck);
        let kind = if declared.is_empty() {
            None
        } else if let Some(k) = MeasureKind::parse(&declared) {
            Some(k)
        } else {
            ds.diagnostics.push(
                Diagnostic::error(
                    file,
                    line_no,
                    ck.unwrap_or(0) + 1,
                    Said::both(
                        format!("unknown kind `{declared}`"),
                        format!("Unbekannte Art „{declared}“"),
                    ),
                )
                .with_hint(Said::both(
                    "kind (art) is `anzahl` (a count), `summe` (an amount) or `quote` (a rate, share or average)",
                    "Die Art (kind) ist `anzahl` (eine Anzahl), `summe` (ein Betrag) oder `quote` (eine Quote, ein Anteil oder ein Durchschnitt)",
                )),
            );
            continue;
        };
        if let Some(k) = kind {
            ds.kinds.insert(code.to_string(), k);
        }
        let label = get(cl);
        let m = ds.intern_measure(Measure {
            code: code.to_string(),
            label: if label.is_empty() {
                code.to_string()
            } else {
                label
            },
            unit: get(cu),
            statistic: "manuell".into(),
        });
        let region = ds.intern_region(key, None);
        let b = ds.intern_breakdown(breakdown);
        let quality = ds.intern_quality(&get(cq));
        ds.observations.push(Observation {
            measure: m,
            region,
            period,
            breakdown: b,
            value,
            quality,
            line: line_no as u32,
        });
    }
    ds.finish(file);
    ds
}
