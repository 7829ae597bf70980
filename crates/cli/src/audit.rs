//! `audit`: checks the public view for disclosures, independently of how it was suppressed.
//!
//! It loads the inputs the indicators read (and every other count in the store), protects them
//! as `compute --all` and `export --public` do, and then asks [`Frame::audit`] whether any
//! withheld cell follows from the published cells over all relations together (Gaussian
//! elimination), or from a contributor's own withheld 1. Exit code 1 when anything is disclosed.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use sozialmonitor_core::format::german_number;
use sozialmonitor_core::frame::AuditReport;
use sozialmonitor_core::indicators::{computable, frame_rules, input_measures};
use sozialmonitor_store::{SqliteStore, Store, Territory};

use crate::indicator::YEARS;

/// What one audit measured.
pub struct Outcome {
    /// The findings.
    pub report: AuditReport,
    /// Seconds: loading, suppressing, auditing.
    pub seconds: (f64, f64, f64),
}

/// Suppresses and audits every protected measure of the store.
pub fn run(store: &SqliteStore, territory: Territory) -> Result<Outcome> {
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
    let t0 = Instant::now();
    let mut frame = store.frame(&measures, YEARS, territory)?;
    frame.aggregate();
    let rules = frame_rules(&formulas, &frame).map_err(|e| anyhow::anyhow!("catalogue: {e}"))?;
    let t1 = Instant::now();
    let mut public = frame.clone();
    public.protect(&rules);
    let t2 = Instant::now();
    let report = frame.audit(&public, &rules);
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
        "aufgedeckt: {} kleine Fallzahlen veröffentlicht, {} gesperrte Zellen aus veröffentlichten berechenbar, {} für Beitragende einer gesperrten 1 berechenbar",
        n(r.unprotected_primary),
        n(r.determined.len()),
        n(r.singleton.len())
    );
    for d in r.determined.iter().chain(&r.singleton).take(20) {
        println!(
            "  {} {} {} {}",
            d.measure,
            if d.breakdown.is_empty() {
                "insgesamt"
            } else {
                &d.breakdown
            },
            d.region,
            d.year
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
