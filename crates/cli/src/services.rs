//! `sozialmonitor services import`: entries of the directory of social services from a CSV or
//! XLSX table, checked whole against the district's municipalities and the entries held (see
//! `sozialmonitor_workspace::service_file`), then added in one transaction with an audit event
//! each.

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
