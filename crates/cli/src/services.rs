//! `sozialmonitor services import`: entries of the directory of social services from a CSV or
//! XLSX table, checked whole against the district's municipalities and the entries held (see
//! `sozialmonitor_workspace::service_file`), then added in one transaction with an audit event
//! each; `sozialmonitor services coverage`: the directory's coverage as statistics.

use std::path::Path;

use anyhow::{Context, Result};
use sozialmonitor_store::{AuditEvent, Database, Service, Services};
use sozialmonitor_workspace::service_file;

/// Adds the entries of a table to district `kreis`'s directory; their number. Refused whole,
/// naming every bad cell.
pub fn import(store: &mut Database, file: &Path, kreis: &str) -> Result<usize> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.display().to_string();
    let known = service_file::known(store, kreis)?;
    let entries = service_file::read(&name, &bytes, &known)
        .map_err(|why| anyhow::anyhow!("{}", why.join("\n")))?;
    let (actor, now) = (crate::user::actor(), crate::user::now());
    let event = |s: &Service| {
        AuditEvent::new(
            now,
            &actor,
            "service.create",
            &format!("{kreis}/{}", s.municipality),
        )
        .values(None, Some(s.name.clone()))
    };
    Ok(store.add_services(&entries, &event)?.len())
}

/// Imports the coverage of district `kreis` by its directory and, when it brought new values,
/// recomputes the indicators; says what it did.
pub fn coverage(store: &mut Database, kreis: &str) -> Result<()> {
    use sozialmonitor_store::ImportOutcome;
    let by = sozialmonitor_store::Actor {
        name: crate::user::actor(),
        at: crate::user::now(),
    };
    let (c, outcome) = match sozialmonitor_workspace::coverage::import(store, kreis, Some(&by))? {
        Ok(done) => done,
        Err(why) => {
            println!("{kreis}: nothing to compute: {}", why.message());
            return Ok(());
        }
    };
    println!(
        "{kreis}: {} entries of the directory over {} municipalities; counts and distances dated {}, counts for older people {}",
        c.offers, c.municipalities, c.counts_at, c.older_at
    );
    match outcome {
        ImportOutcome::Imported(b) => {
            println!(
                "  imported as batch #{} ({} values new or changed, {} revised)",
                b.id, b.rows_stored, b.rows_revised
            );
            let run =
                crate::indicator::compute_and_cache(store, sozialmonitor_store::Territory::Today)?;
            println!("  {} indicators recomputed", run.computed.len());
        }
        ImportOutcome::AlreadyImported(b) => {
            println!("  unchanged since batch #{}", b.id);
        }
        ImportOutcome::Rejected(d) => {
            let said: Vec<String> = d.iter().map(|x| x.to_string()).collect();
            anyhow::bail!(
                "the coverage could not be imported:\n  {}",
                said.join("\n  ")
            );
        }
        ImportOutcome::Previewed(_) => {}
    }
    Ok(())
}
