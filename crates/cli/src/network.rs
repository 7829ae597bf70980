//! `sozialmonitor network import`: actors, working groups, participation events and their
//! impulses from a TOML file (see `sozialmonitor_workspace::network_file`), checked whole and
//! saved in one transaction with an audit event per record.

use std::path::Path;

use anyhow::Result;
use sozialmonitor_store::Database;

/// Adds the network of a file to district `kreis`; the number of records.
pub fn import(store: &mut Database, file: &Path, kreis: &str) -> Result<usize> {
    sozialmonitor_workspace::network_file::import(
        store,
        file,
        kreis,
        (&crate::user::actor(), crate::user::now()),
    )
}
