//! The tables of a database as plain rows, for moving everything between backends (`copy`),
//! backups into one SQLite file (`backup`, `restore`), publications and full exports that two
//! backends can be compared by. Both backends declare the same tables with the same columns; this
//! list is that contract.

use std::fmt::Write as _;

use crate::{Result, Store};

/// The type of a column as moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// 64-bit integer.
    Int,
    /// Double.
    Real,
    /// UTF-8 text.
    Text,
}

/// One table: its name, its columns in order, and the columns that order its rows.
#[derive(Debug)]
pub struct Table {
    /// Table name.
    pub name: &'static str,
    /// Columns and their types.
    pub columns: &'static [(&'static str, Ty)],
    /// Columns that order the rows completely (the primary key, or all identifying columns).
    pub order: &'static [&'static str],
    /// Whether `id` is generated (its counter must follow the copied ids).
    pub generated_id: bool,
}

impl Table {
    /// The column list, comma-separated.
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|(c, _)| *c == name)
    }
}

use Ty::{Int, Real, Text};

/// Every table that holds data, parents before children (the order they are loaded in).
pub static TABLES: &[Table] = &[
    Table {
        name: "import_batch",
        columns: &[
            ("id", Int),
            ("file_name", Text),
            ("sha256", Text),
            ("format", Text),
            ("rows_read", Int),
            ("rows_stored", Int),
            ("rows_revised", Int),
            ("rows_unchanged", Int),
            ("rows_skipped", Int),
            ("diagnostics", Text),
            ("imported_at", Text),
            ("duration_ms", Int),
            ("contents", Text),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "region",
        columns: &[
            ("id", Int),
            ("key", Text),
            ("name", Text),
            ("level", Text),
            ("parent", Text),
            ("verband", Text),
            ("valid_from", Text),
            ("valid_to", Text),
            ("area_km2", Real),
            ("population", Int),
            ("postcode", Text),
            ("kind", Text),
            ("in_register", Int),
            ("last_data", Int),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "region_snapshot",
        columns: &[
            ("key", Text),
            ("snapshot", Text),
            ("name", Text),
            ("level", Text),
            ("parent", Text),
            ("verband", Text),
            ("area_km2", Real),
            ("population", Int),
            ("postcode", Text),
            ("kind", Text),
            ("import_id", Int),
        ],
        order: &["key", "snapshot"],
        generated_id: false,
    },
    Table {
        name: "region_change",
        columns: &[
            ("from_key", Text),
            ("to_key", Text),
            ("last_seen", Text),
            ("first_gone", Text),
            ("share", Real),
            ("confirmed", Int),
        ],
        order: &["from_key", "to_key", "first_gone"],
        generated_id: false,
    },
    Table {
        name: "measure",
        columns: &[
            ("id", Int),
            ("code", Text),
            ("label", Text),
            ("unit", Text),
            ("statistic", Text),
            ("kind", Text),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "breakdown",
        columns: &[("id", Int), ("key", Text), ("label", Text), ("items", Text)],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "observation",
        columns: &[
            ("measure_id", Int),
            ("region_id", Int),
            ("period", Int),
            ("breakdown_id", Int),
            ("num", Real),
            ("sym", Int),
            ("fmt", Int),
            ("raw", Text),
            ("quality", Text),
            ("import_id", Int),
        ],
        order: &["measure_id", "region_id", "period", "breakdown_id"],
        generated_id: false,
    },
    Table {
        name: "observation_history",
        columns: &[
            ("measure_id", Int),
            ("region_id", Int),
            ("period", Int),
            ("breakdown_id", Int),
            ("num", Real),
            ("sym", Int),
            ("fmt", Int),
            ("raw", Text),
            ("quality", Text),
            ("import_id", Int),
            ("superseded_by", Int),
        ],
        order: &[
            "measure_id",
            "region_id",
            "period",
            "breakdown_id",
            "superseded_by",
            "import_id",
        ],
        generated_id: false,
    },
    Table {
        name: "boundary",
        columns: &[
            ("region_key", Text),
            ("name", Text),
            ("geojson", Text),
            ("import_id", Int),
        ],
        order: &["region_key"],
        generated_id: false,
    },
    Table {
        name: "indicator",
        columns: &[("key", Text), ("entry", Text), ("import_id", Int)],
        order: &["key"],
        generated_id: false,
    },
    Table {
        name: "indicator_value",
        columns: &[
            ("indicator", Text),
            ("region_id", Int),
            ("year", Int),
            ("num", Real),
            ("sym", Int),
            ("flags", Int),
        ],
        order: &["indicator", "region_id", "year"],
        generated_id: false,
    },
    Table {
        name: "indicator_cache",
        columns: &[
            ("id", Int),
            ("data_version", Int),
            ("territory", Text),
            ("first_year", Int),
            ("last_year", Int),
            ("rules", Int),
        ],
        order: &["id"],
        generated_id: false,
    },
    Table {
        name: "publication",
        columns: &[
            ("id", Int),
            ("data_version", Int),
            ("rules", Int),
            ("source_sha256", Text),
        ],
        order: &["id"],
        generated_id: false,
    },
    Table {
        name: "account",
        columns: &[
            ("id", Int),
            ("login", Text),
            ("name", Text),
            ("role", Text),
            ("department", Text),
            ("password_hash", Text),
            ("disabled", Int),
            ("must_change", Int),
            ("failed_logins", Int),
            ("locked_until", Int),
            ("created_at", Int),
            ("password_changed_at", Int),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "audit_event",
        columns: &[
            ("id", Int),
            ("at", Int),
            ("actor", Text),
            ("action", Text),
            ("object", Text),
            ("old_value", Text),
            ("new_value", Text),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "commentary",
        columns: &[
            ("id", Int),
            ("kreis", Text),
            ("chapter", Text),
            ("body", Text),
            ("author", Text),
            ("at", Int),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "report_file",
        columns: &[
            ("id", Int),
            ("kind", Text),
            ("region_key", Text),
            ("data_version", Int),
            ("created_at", Int),
            ("author", Text),
            ("bytes", Int),
            ("pdf_base64", Text),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "plan_cycle",
        columns: &[
            ("id", Int),
            ("kreis", Text),
            ("title", Text),
            ("first_year", Int),
            ("last_year", Int),
            ("note", Text),
            ("source", Text),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "plan_milestone",
        columns: &[
            ("id", Int),
            ("cycle_id", Int),
            ("kind", Text),
            ("title", Text),
            ("date_from", Text),
            ("date_to", Text),
            ("status", Text),
            ("responsible", Text),
            ("documents", Text),
            ("source", Text),
            ("example", Int),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "plan_decision",
        columns: &[
            ("id", Int),
            ("cycle_id", Int),
            ("question", Text),
            ("options", Text),
            ("decider", Text),
            ("due", Text),
            ("outcome", Text),
            ("decided_on", Text),
            ("source", Text),
            ("example", Int),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "plan_priority",
        columns: &[
            ("id", Int),
            ("cycle_id", Int),
            ("action_field", Text),
            ("kind", Text),
            ("title", Text),
            ("body", Text),
            ("source", Text),
            ("example", Int),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "plan_recommendation",
        columns: &[
            ("id", Int),
            ("cycle_id", Int),
            ("action_field", Text),
            ("title", Text),
            ("body", Text),
            ("indicators", Text),
            ("findings", Text),
            ("status", Text),
            ("decided_by", Text),
            ("decided_on", Text),
            ("reference", Text),
            ("outcome", Text),
            ("public", Int),
            ("source", Text),
            ("example", Int),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "plan_measure",
        columns: &[
            ("id", Int),
            ("cycle_id", Int),
            ("recommendation_id", Int),
            ("title", Text),
            ("body", Text),
            ("owner", Text),
            ("partners", Text),
            ("period_from", Text),
            ("period_to", Text),
            ("budget", Real),
            ("status", Text),
            ("target_groups", Text),
            ("municipalities", Text),
            ("notes", Text),
            ("public", Int),
            ("source", Text),
            ("example", Int),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "plan_aim",
        columns: &[
            ("id", Int),
            ("measure_id", Int),
            ("indicator", Text),
            ("region_key", Text),
            ("baseline", Real),
            ("baseline_year", Int),
            ("target", Real),
            ("target_year", Int),
            ("direction", Text),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "service",
        columns: &[
            ("id", Int),
            ("kreis", Text),
            ("name", Text),
            ("provider", Text),
            ("street", Text),
            ("postcode", Text),
            ("place", Text),
            ("municipality", Text),
            ("served", Text),
            ("lat", Real),
            ("lon", Real),
            ("topics", Text),
            ("target_groups", Text),
            ("opening_hours", Text),
            ("step_free", Int),
            ("hearing_loop", Int),
            ("easy_language", Int),
            ("languages", Text),
            ("phone", Text),
            ("email", Text),
            ("web", Text),
            ("checked_on", Text),
            ("public", Int),
            ("example", Int),
            ("source", Text),
        ],
        order: &["id"],
        generated_id: true,
    },
    // The network: contact persons move with it (they are the district's own records).
    Table {
        name: "actor",
        columns: &[
            ("id", Int),
            ("kreis", Text),
            ("name", Text),
            ("kind", Text),
            ("action_fields", Text),
            ("target_groups", Text),
            ("municipality", Text),
            ("web", Text),
            ("note", Text),
            ("source", Text),
            ("example", Int),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "contact_person",
        columns: &[
            ("id", Int),
            ("actor_id", Int),
            ("name", Text),
            ("function", Text),
            ("email", Text),
            ("phone", Text),
            ("consent_on", Text),
            ("consent_for", Text),
            ("note", Text),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "working_group",
        columns: &[
            ("id", Int),
            ("kreis", Text),
            ("name", Text),
            ("action_field", Text),
            ("purpose", Text),
            ("source", Text),
            ("example", Int),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "membership",
        columns: &[
            ("id", Int),
            ("group_id", Int),
            ("actor_id", Int),
            ("person_id", Int),
            ("role", Text),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "participation_event",
        columns: &[
            ("id", Int),
            ("kreis", Text),
            ("format", Text),
            ("title", Text),
            ("date_from", Text),
            ("date_to", Text),
            ("place", Text),
            ("municipality", Text),
            ("target_groups", Text),
            ("participants", Int),
            ("topics", Text),
            ("documents", Text),
            ("organiser", Text),
            ("public", Int),
            ("source", Text),
            ("example", Int),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "impulse",
        columns: &[
            ("id", Int),
            ("event_id", Int),
            ("title", Text),
            ("body", Text),
            ("action_field", Text),
            ("public", Int),
            ("source", Text),
            ("example", Int),
        ],
        order: &["id"],
        generated_id: true,
    },
    Table {
        name: "impulse_link",
        columns: &[
            ("id", Int),
            ("impulse_id", Int),
            ("target_kind", Text),
            ("target_id", Int),
        ],
        order: &["id"],
        generated_id: true,
    },
    // API keys move with their accounts, as the password hashes do: a script keeps working
    // after a move to PostgreSQL.
    Table {
        name: "api_token",
        columns: &[
            ("id", Int),
            ("account_id", Int),
            ("label", Text),
            ("token_hash", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("used_at", Int),
            ("revoked", Int),
        ],
        order: &["id"],
        generated_id: true,
    },
];

/// Tables that are not moved: `copy` and `restore` empty them (sessions are bound to the
/// database they were made in; after a restore everyone signs in again).
pub static NOT_MOVED: &[&str] = &["session"];

/// Every table, in load order, as [`Store::scan`] takes them.
pub fn all() -> Vec<&'static Table> {
    TABLES.iter().collect()
}

/// The table of this name.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

/// One field of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A double.
    Real(f64),
    /// Text.
    Text(String),
}

impl Field {
    /// The integer, if it is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Field::Int(i) => Some(*i),
            _ => None,
        }
    }
}

/// Receives the rows of a scan: the table, then one row of its columns.
pub type RowSink<'a> = dyn FnMut(&'static Table, &[Field]) -> Result<()> + 'a;

/// Whatever yields the rows of the tables: every database, and generators such as the
/// benchmark's Germany-sized database replicated from the demo.
pub trait RowSource {
    /// Every row of these tables, table by table in their key order, all read in one consistent
    /// snapshot (an import committed meanwhile is either wholly in it or not at all).
    fn scan(&self, tables: &[&'static Table], sink: &mut RowSink<'_>) -> Result<()>;
}

/// Rows per table moved by [`copy`].
pub type Counts = Vec<(&'static str, u64)>;

/// Replaces everything in `to` by the content of `from` (one consistent read, one transaction on
/// the target): values, history, batches, registers, boundaries, catalogue and results cache.
pub fn copy(from: &dyn RowSource, to: &mut dyn Store) -> Result<Counts> {
    to.replace_all(from)
}

/// A full export as text: every table, every row in key order, one line per row. Two databases
/// with equal exports hold the same data, whatever their backend.
pub fn export_text(store: &dyn RowSource) -> Result<String> {
    let mut out = String::new();
    let mut current = "";
    store.scan(&all(), &mut |t, row| {
        if t.name != current {
            current = t.name;
            let _ = writeln!(out, "## {}", t.name);
        }
        let line: Vec<String> = row
            .iter()
            .map(|f| match f {
                Field::Null => "NULL".to_string(),
                Field::Int(i) => i.to_string(),
                // `{:?}` is exact (shortest text that reads back to the same double).
                Field::Real(x) => format!("{x:?}"),
                Field::Text(s) => format!("{s:?}"),
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("|"));
        Ok(())
    })?;
    Ok(out)
}
