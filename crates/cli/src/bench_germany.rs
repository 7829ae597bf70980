//! `sozialmonitor bench germany --to DB`: a Germany-sized database on either backend, built by
//! replicating Saxony's real rows of the demo database under synthetic Land codes (as `bench
//! indicators` does in memory), then timed as a deployment runs it: load, `compute --all`, load
//! the dashboard; with sizes and memory.

use std::cell::RefCell;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use sozialmonitor_store::transfer::{self, Field, RowSink, RowSource, Table};
use sozialmonitor_store::{Database, Location, Store, Territory};
use std::collections::HashSet;

use crate::de_int;

/// The Land whose rows are replicated.
const SEED_LAND: &str = "14";
/// Region ids of copy `c` are the original's plus `c * ID_STRIDE` (the demo has ~30,000).
const ID_STRIDE: i64 = 1_000_000;

/// The demo database with Saxony's regions, registers, territorial changes, values and their
/// history replicated `copies - 1` more times as Länder 17, 18, …; boundaries, the catalogue and
/// the rest are copied once; the results cache is left to `compute --all`.
struct Replicated<'a> {
    source: &'a Database,
    copies: usize,
}

/// A key of Saxony under copy `c`'s Land code, or `None` for a key outside Saxony.
fn moved(key: &str, copy: usize) -> Option<String> {
    let rest = key.strip_prefix(SEED_LAND)?;
    Some(format!("{:02}{rest}", 16 + copy))
}

fn text(row: &[Field], i: Option<usize>) -> Option<&str> {
    match i.map(|i| &row[i]) {
        Some(Field::Text(s)) => Some(s),
        _ => None,
    }
}

/// `row` with the named key columns moved to copy `c` (columns outside Saxony stay).
fn move_keys(t: &Table, row: &[Field], cols: &[&str], copy: usize) -> Vec<Field> {
    let mut out = row.to_vec();
    for c in cols {
        if let Some(i) = t.column(c)
            && let Some(k) = text(row, Some(i)).and_then(|k| moved(k, copy))
        {
            out[i] = Field::Text(k);
        }
    }
    out
}

impl RowSource for Replicated<'_> {
    fn scan(
        &self,
        tables: &[&'static Table],
        sink: &mut RowSink<'_>,
    ) -> sozialmonitor_store::Result<()> {
        const SKIP: [&str; 3] = ["indicator_value", "indicator_cache", "publication"];
        let tables: Vec<&'static Table> = tables
            .iter()
            .copied()
            .filter(|t| !SKIP.contains(&t.name))
            .collect();
        // Region ids of Saxony, learnt from the region table, which comes before the values.
        let seed: RefCell<HashSet<i64>> = RefCell::default();
        self.source.scan(&tables, &mut |t, row| {
            sink(t, row)?;
            let int = |c: &str| t.column(c).and_then(|i| row[i].as_int());
            for copy in 1..self.copies {
                let shifted = |c: &str| -> Vec<Field> {
                    let mut out = row.to_vec();
                    if let (Some(i), Some(id)) = (t.column(c), int(c)) {
                        out[i] = Field::Int(id + copy as i64 * ID_STRIDE);
                    }
                    out
                };
                match t.name {
                    "region" => {
                        let Some(_) = text(row, t.column("key")).and_then(|k| moved(k, copy))
                        else {
                            break;
                        };
                        if copy == 1
                            && let Some(id) = int("id")
                        {
                            seed.borrow_mut().insert(id);
                        }
                        let mut out =
                            move_keys(t, &shifted("id"), &["key", "parent", "verband"], copy);
                        if let (Some(i), Some(name)) =
                            (t.column("name"), text(row, t.column("name")))
                        {
                            out[i] = Field::Text(format!("{name} ({})", 16 + copy));
                        }
                        sink(t, &out)?;
                    }
                    "region_snapshot" | "region_change" => {
                        let first = if t.name == "region_snapshot" {
                            "key"
                        } else {
                            "from_key"
                        };
                        if text(row, t.column(first))
                            .and_then(|k| moved(k, copy))
                            .is_none()
                        {
                            break;
                        }
                        let cols: &[&str] = if t.name == "region_snapshot" {
                            &["key", "parent", "verband"]
                        } else {
                            &["from_key", "to_key"]
                        };
                        sink(t, &move_keys(t, row, cols, copy))?;
                    }
                    "observation" | "observation_history" => {
                        if !int("region_id").is_some_and(|id| seed.borrow().contains(&id)) {
                            break;
                        }
                        sink(t, &shifted("region_id"))?;
                    }
                    _ => break,
                }
            }
            Ok(())
        })
    }
}

/// The peak resident memory of this process so far, in MB.
fn peak_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// Runs the benchmark into `to` (replacing its content).
pub fn run(demo_db: &Path, to: &str, copies: usize, data: Option<&Path>) -> Result<ExitCode> {
    anyhow::ensure!((1..=26).contains(&copies), "--copies: 1 to 26");
    if !demo_db.exists() {
        crate::demo::run(&Location::file(demo_db), data)?;
    }
    let source = crate::open_existing(&Location::file(demo_db))?;
    let at = Location::parse(to)?;
    let mut target = crate::open(&at)?;
    println!(
        "sozialmonitor bench germany: the demo database {} with Saxony replicated {copies}× under Land codes 14, 17–{}, into {}",
        demo_db.display(),
        16 + copies - 1,
        target.describe()
    );
    println!(
        "  machine: {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let t = Instant::now();
    let counts = transfer::copy(
        &Replicated {
            source: &source,
            copies,
        },
        &mut target,
    )
    .context("writing the replicated database")?;
    let rows: u64 = counts.iter().map(|(_, n)| n).sum();
    let secs = t.elapsed().as_secs_f64();
    let s = target.summary()?;
    let gemeinden = s
        .regions_by_level
        .iter()
        .find(|(l, _)| l == "gemeinde")
        .map_or(0, |(_, n)| *n);
    println!(
        "  load: {} rows in {secs:.1} s = {} rows/s; {} values, {} superseded, {} municipalities (alive or merged), size {} MB",
        de_int(rows as i64),
        de_int((rows as f64 / secs) as i64),
        de_int(s.observations),
        de_int(s.revisions),
        de_int(gemeinden),
        de_int((target.size_bytes()? / 1_000_000) as i64)
    );
    let t = Instant::now();
    let run = crate::indicator::compute_and_cache(&mut target, Territory::Today)?;
    println!(
        "  compute --all: {:.1} s (load {:.1}, confidentiality {:.1}, compute {:.1}, save {:.1}; {} values; {} input cells withheld), size now {} MB; peak memory so far {} MB",
        t.elapsed().as_secs_f64(),
        run.seconds.0,
        run.seconds.1,
        run.seconds.2,
        run.seconds.3,
        de_int(run.stored as i64),
        de_int((run.views.protection.primary + run.views.protection.secondary) as i64),
        de_int((target.size_bytes()? / 1_000_000) as i64),
        de_int(peak_mb() as i64)
    );
    drop(source);
    let t = Instant::now();
    let site = sozialmonitor_web::Site::load(&target, "14522")?;
    println!(
        "  dashboard loaded in {:.1} s: {} indicators, {} regions",
        t.elapsed().as_secs_f64(),
        site.indicators.len(),
        site.regions.len()
    );
    Ok(ExitCode::SUCCESS)
}
