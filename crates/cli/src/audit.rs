//! `audit`: checks the public view for disclosures, independently of how it was suppressed.
//!
//! It loads the inputs the indicators read (and every other count in the store) as published,
//! derives today's territory from the same read, protects both together as `compute --all` and
//! `export --public` do, and then asks [`Views::audit`] whether any withheld cell follows from
//! the published cells of both territories over all relations together (Gaussian elimination),
//! from a contributor's own withheld 1, or lies in too narrow a feasible interval (in each
//! relation alone; with `--intervals` over all relations together, by linear programmes). Exit
//! code 1 when anything is disclosed.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use sozialmonitor_core::audit::Depth;
use sozialmonitor_core::format::german_number;
use sozialmonitor_core::frame::{AuditReport, Disclosure};
use sozialmonitor_core::indicators::{Views, computable, frame_rules, input_measures};
use sozialmonitor_store::{Database, Store, Territory};

use crate::indicator::YEARS;

/// What one audit measured.
pub struct Outcome {
    /// The findings.
    pub report: AuditReport,
    /// Seconds: loading, suppressing, auditing.
    pub seconds: (f64, f64, f64),
}

/// Suppresses and audits every protected measure of the store, on both territories together;
/// with `intervals`, also every small count's feasible interval over all relations together.
/// `only` (when not empty) restricts the audit to those measures.
pub fn run(store: &Database, intervals: bool, only: &[String]) -> Result<Outcome> {
    let entries = store.indicators()?;
    let formulas = computable(&entries);
    let mut measures = input_measures(&formulas);
    measures.extend(
        store
            .measures()?
            .into_iter()
            .filter(|m| m.kind.additive())
            .map(|m| m.code),
    );
    measures.sort();
    measures.dedup();
    if !only.is_empty() {
        if let Some(unknown) = only.iter().find(|m| measures.binary_search(m).is_err()) {
            anyhow::bail!("{unknown}: no protected measure of that code in the database");
        }
        measures = only.to_vec();
    }
    let t0 = Instant::now();
    let raw = store.frame(&measures, YEARS, Territory::AsPublished)?;
    let t1 = Instant::now();
    let views = Views::protect(raw, |f| frame_rules(&formulas, f))
        .map_err(|e| anyhow::anyhow!("catalogue: {e}"))?;
    let t2 = Instant::now();
    let report = views.audit(if intervals {
        Depth::Intervals
    } else {
        Depth::Linear
    });
    let t3 = Instant::now();
    Ok(Outcome {
        report,
        seconds: (
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            (t3 - t2).as_secs_f64(),
        ),
    })
}

/// Audits the views a run of `compute` protected (what the cache then holds).
pub fn of_views(views: &Views, seconds: f64) -> Outcome {
    let t = Instant::now();
    let report = views.audit(Depth::Linear);
    Outcome {
        report,
        seconds: (0.0, seconds, t.elapsed().as_secs_f64()),
    }
}

fn line(d: &Disclosure) -> String {
    format!(
        "  {} {} {} {} ({})",
        d.measure,
        if d.breakdown.is_empty() {
            "insgesamt"
        } else {
            &d.breakdown
        },
        d.region,
        d.year,
        if d.view == 0 {
            "Gebietsstand der jeweiligen Zeit"
        } else {
            "Gebietsstand heute"
        }
    )
}

/// Prints the audit; exit code 1 if anything is disclosed.
pub fn print(o: &Outcome) -> ExitCode {
    let r = &o.report;
    let n = |x: usize| german_number(x as f64, 0);
    println!(
        "Geheimhaltungsprüfung: {} geschützte Zellen in {} Summenbeziehungen",
        n(r.cells),
        n(r.relations)
    );
    println!(
        "gesperrt: {} primär (kleine Fallzahlen), {} sekundär",
        n(r.primary),
        n(r.secondary)
    );
    println!(
        "aufgedeckt: {} kleine Fallzahlen veröffentlicht, {} gesperrte Zellen aus veröffentlichten berechenbar, {} für Beitragende einer gesperrten 1 berechenbar, {} kleine Fallzahlen in zu engen Grenzen eingrenzbar, {} Komponenten nicht prüfbar",
        n(r.unprotected_primary),
        n(r.determined.len()),
        n(r.singleton.len()),
        n(r.narrow.len()),
        n(r.unchecked)
    );
    for d in r
        .determined
        .iter()
        .chain(&r.singleton)
        .chain(&r.narrow)
        .take(20)
    {
        println!("{}", line(d));
    }
    println!(
        "{} lineare Programme für die Spannweiten kleiner Fallzahlen",
        n(r.programmes)
    );
    if r.relaxed > 0 {
        println!(
            "{} Komponenten ohne ihre widersprüchlichen Beziehungen über Zellen geprüft, die auch die Quelle nicht nennt (mindestens eine davon ist falsch)",
            n(r.relaxed)
        );
    }
    println!(
        "Laden {:.2} s, Sperren {:.2} s, Prüfen {:.2} s",
        o.seconds.0, o.seconds.1, o.seconds.2
    );
    if r.is_clean() {
        println!("Ergebnis: keine gesperrte Zelle ist berechenbar.");
        ExitCode::SUCCESS
    } else {
        println!("Ergebnis: AUFDECKUNG – nicht veröffentlichen.");
        ExitCode::from(1)
    }
}
