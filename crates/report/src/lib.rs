//! Reports as PDF: the municipal profile and the social report of a district, typeset with
//! Typst used as a library. They are built from the dashboard's public view ([`Site`]): the same
//! public values (suppressed cells stay `.`), the same generated sentences and the same SVG
//! charts and maps, so a PDF cannot show what the dashboard does not.
//!
//! Every report is reproducible: its bytes depend only on the database (the date printed and
//! stored is the date of the data), the templates and the bundled fonts.

use std::path::PathBuf;

use serde_json::{Value, json};
use sozialmonitor_core::format::german_date;
use sozialmonitor_site::Site;

mod booklet;
pub mod markdown;
mod planning;
mod profile;
mod social;
pub mod typeset;

pub use booklet::senior_booklet;
pub use planning::planning_document;
pub use profile::profile;
pub use social::{Commentary, SocialReport, commentary_chapters, social_report};
/// Chapter slugs are the core's, re-exported for the workspace and the CLI.
pub use sozialmonitor_core::format::slug;
pub use typeset::TypesetError;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Typesetting failed (a template or a planner's commentary has an error).
    #[error(transparent)]
    Typeset(#[from] TypesetError),
    /// A commentary file could not be read.
    #[error("{path}: {reason}")]
    Commentary {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// The figures of a document: SVG files under `/fig/N.svg` with their alternative text.
#[derive(Default)]
pub(crate) struct Figures {
    files: Vec<(String, Vec<u8>)>,
}

impl Figures {
    /// Adds an SVG and returns what the templates' `fig` takes: its path and alternative text.
    pub(crate) fn add(&mut self, svg: String, alt: &str) -> Value {
        let path = format!("/fig/{}.svg", self.files.len() + 1);
        self.files.push((path.clone(), svg.into_bytes()));
        json!({ "path": path, "alt": alt })
    }
}

/// The symbols legend under the tables (`*` is ours, after a number, the rest as published).
pub(crate) const SYMBOLS: &str = ". gesperrt (kleine Fallzahl oder rückrechenbar) oder geheim, - genau null, ... Angabe fällt später an, / nicht sicher genug, x nicht sinnvoll, – kein Wert vorhanden, * Summe unvollständig (nicht alle Teilgebiete haben Werte).";

/// The fields every template's `report` style reads: document metadata, header and footer.
pub(crate) fn base_data(
    site: &Site,
    title: &str,
    description: &str,
    header_left: &str,
    header_right: &str,
) -> Value {
    // The date of the data, never the clock. A database without imports has no date; the
    // epoch stands in, so the document still gets a fixed date.
    let date = if site.data_date.len() == 10 {
        site.data_date.clone()
    } else {
        "1970-01-01".to_string()
    };
    json!({
        "title": title,
        "description": description,
        "author": "Sozialmonitor",
        "keywords": ["Sozialplanung", "Sozialmonitoring", "Indikatoren"],
        "date": date,
        "date_de": german_date(&date),
        "header_left": header_left,
        "header_right": header_right,
        "symbols": SYMBOLS,
    })
}

/// The attribution the licence dl-de/by-2-0 asks for, with the statistics used.
pub(crate) fn attribution<'a>(sources: impl Iterator<Item = &'a str>) -> String {
    let mut list: Vec<&str> = sources
        .map(|s| s.trim().trim_end_matches('.'))
        .filter(|s| !s.is_empty())
        .collect();
    list.sort_unstable();
    list.dedup();
    let mut s = String::from(
        "Statistische Ämter des Bundes und der Länder (Regionaldatenbank Deutschland), Bundesagentur für Arbeit, BBSR (INKAR); Gebietsgrenzen © GeoBasis-DE / BKG. Datenlizenz Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0). Berechnung: Sozialmonitor.",
    );
    if !list.is_empty() {
        s.push_str(" Verwendete Statistiken: ");
        s.push_str(&list.join("; "));
        s.push('.');
    }
    s
}

/// Typesets a template with its data, figures and extra sources (commentary) into a PDF.
pub(crate) fn typeset(
    ident: &str,
    template: &str,
    data: Value,
    figures: Figures,
    sources: Vec<(String, String, Option<PathBuf>)>,
) -> Result<Vec<u8>, ReportError> {
    let mut doc = typeset::Document::new(ident, template);
    doc.source("/common.typ", include_str!("../templates/common.typ"), None);
    for (path, text, origin) in sources {
        doc.source(&path, &text, origin);
    }
    // serde_json writes object keys in a fixed order, so the same data gives the same bytes.
    doc.file(
        "/data.json",
        serde_json::to_vec(&data).expect("JSON values serialize"),
    );
    for (path, bytes) in figures.files {
        doc.file(&path, bytes);
    }
    Ok(doc.pdf()?)
}
