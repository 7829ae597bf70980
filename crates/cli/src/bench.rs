//! `sozialmonitor bench`: end-to-end import speed of a large GENESIS flat file, side by side in the
//! same run with the peers a planner would use instead (pandas and DuckDB, scripts in `bench/`).

use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, Result};
use sozialmonitor_import::Source;
use sozialmonitor_store::{Database, ImportOptions, ImportOutcome, ImportSource, Store};

/// The real file that is replicated: protection seekers by Kreis × status × sex × citizenship
/// (12531-0043), a wide ffcsv with four breakdown variables.
const SEED: &str = "genesis/ffcsv/12531-0043_175879554_flat.SN-ST-subset.csv.gz";

/// Writes `rows` data rows by replicating the seed file. Replica r shifts the year back by r % 100
/// and, from the 100th replica on, suffixes the measure code with the block number, so every row
/// stays a distinct cell and nothing is deduplicated away.
fn generate(seed: &Path, out: &Path, rows: usize) -> Result<usize> {
    let src = Source::read(seed).with_context(|| format!("reading {}", seed.display()))?;
    let text = String::from_utf8(src.bytes).context("seed is not UTF-8")?;
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.lines();
    let header = lines.next().context("empty seed")?;
    let cols: Vec<&str> = header.split(';').collect();
    let time = cols
        .iter()
        .position(|c| *c == "time")
        .context("no time column")?;
    let vcode = cols
        .iter()
        .position(|c| *c == "value_variable_code")
        .context("no value_variable_code column")?;
    let body: Vec<Vec<&str>> = lines.map(|l| l.split(';').collect()).collect();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    w.write_all("\u{feff}".as_bytes())?;
    writeln!(w, "{header}")?;
    let mut n = 0;
    let mut r = 0usize;
    while n < rows {
        let shift = (r % 100) as i32;
        let block = r / 100;
        for f in &body {
            if n >= rows {
                break;
            }
            for (i, c) in f.iter().enumerate() {
                if i > 0 {
                    w.write_all(b";")?;
                }
                if i == time {
                    let y: i32 = c[..4].parse().unwrap_or(2024);
                    write!(w, "{:04}{}", y - shift, &c[4..])?;
                } else if i == vcode && block > 0 {
                    write!(w, "{c}_R{block}")?;
                } else {
                    w.write_all(c.as_bytes())?;
                }
            }
            w.write_all(b"\n")?;
            n += 1;
        }
        r += 1;
    }
    w.flush()?;
    Ok(r)
}

/// Runs a peer's Python script and returns what it printed, or says on stdout why it could not.
pub(crate) fn python(script: &Path, args: &[&Path]) -> Option<String> {
    let out = match Command::new("python3").arg(script).args(args).output() {
        Ok(o) => o,
        Err(e) => {
            println!("  {}: cannot run python3 ({e})", script.display());
            return None;
        }
    };
    if !out.status.success() {
        println!(
            "  {}: failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A `name=number` line of a peer's output.
pub(crate) fn field(out: &str, name: &str) -> Option<f64> {
    out.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|x| x.trim().parse().ok())
}

fn peer(script: &Path, csv: &Path, db: &Path) -> Result<Option<f64>> {
    Ok(python(script, &[csv, db]).and_then(|s| field(&s, "seconds=")))
}

/// Stores the parsed benchmark file into `store` as one import (closing it after, so that the
/// time includes what closing writes) and checks that every row landed; returns the rows stored.
fn store_all(
    mut store: Database,
    csv: &Path,
    sha256: &str,
    ds: &sozialmonitor_core::Dataset,
    rows: usize,
) -> Result<i64> {
    let outcome = store.import(
        &ImportSource {
            file_name: csv.display().to_string(),
            sha256: sha256.to_string(),
        },
        ds,
        ImportOptions::default(),
    )?;
    let at = store.describe();
    drop(store);
    let stored = match outcome {
        ImportOutcome::Imported(b) => b.rows_stored,
        _ => 0,
    };
    anyhow::ensure!(
        stored as usize == rows,
        "{at} stored {stored} of {rows} rows"
    );
    Ok(stored)
}

/// CPU time (user + system) of this process so far, in seconds, from `/proc/self/stat` (Linux;
/// `None` elsewhere). The kernel reports it in USER_HZ ticks, 100 per second on every Linux
/// architecture we build for.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name in parentheses may hold spaces; the fields after it are plain.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

/// "12.5 s CPU = 1.9 cores" for a phase of `wall` seconds that used `cpu` seconds of CPU.
fn cores(cpu: Option<f64>, wall: f64) -> String {
    cpu.map_or_else(String::new, |c| {
        format!(", {c:.1} s CPU = {:.2} cores", c / wall.max(1e-9))
    })
}

/// Runs the benchmark.
pub fn run(
    rows: usize,
    dir: &Path,
    peers: bool,
    data: Option<&Path>,
    pg: Option<&str>,
) -> Result<ExitCode> {
    std::fs::create_dir_all(dir)?;
    let data = crate::demo::data_dir(data)?;
    let csv = dir.join("bench_ffcsv.csv");
    println!(
        "sozialmonitor bench: end-to-end import of a GENESIS flat file (ffcsv) into a fresh SQLite file"
    );
    let t = Instant::now();
    let replicas = generate(&data.join(SEED), &csv, rows)?;
    let size = std::fs::metadata(&csv)?.len();
    println!(
        "  input: {} rows ({:.0} MB), made by replicating the real file {} {} times (years shifted, measure codes suffixed per block of 100 so every cell is distinct); generated in {:.1} s",
        crate::de_int(rows as i64),
        size as f64 / 1e6,
        SEED,
        replicas,
        t.elapsed().as_secs_f64()
    );
    println!(
        "  machine: {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    let db = dir.join("bench_sozialmonitor.sqlite");
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let t = Instant::now();
    let cpu0 = cpu_seconds();
    let (src, ds) = sozialmonitor_import::load(&csv, None)?;
    let t_parse = t.elapsed();
    let cpu1 = cpu_seconds();
    anyhow::ensure!(
        !ds.has_errors(),
        "benchmark file has errors: {}",
        ds.diagnostics[0]
    );
    let stored = store_all(
        Database::open(&sozialmonitor_store::Location::file(&db))?,
        &csv,
        &src.sha256,
        &ds,
        rows,
    )?;
    let ours = t.elapsed().as_secs_f64();
    let cpu2 = cpu_seconds();
    let diff = |a: Option<f64>, b: Option<f64>| Some(b? - a?);
    println!(
        "  sozialmonitor (SQLite): {:.2} s = {} rows/s (read+hash+parse+validate {:.2} s{}; store {:.2} s{}; {} rows stored)",
        ours,
        crate::de_int((rows as f64 / ours) as i64),
        t_parse.as_secs_f64(),
        cores(diff(cpu0, cpu1), t_parse.as_secs_f64()),
        ours - t_parse.as_secs_f64(),
        cores(diff(cpu1, cpu2), ours - t_parse.as_secs_f64()),
        crate::de_int(stored)
    );
    if let Some(server) = pg {
        // A fresh database on the server, dropped afterwards; the file parsed above is stored
        // again, so the figure is the parse above plus this store.
        let scratch = sozialmonitor_store::testing::Scratch::on_server(server, "sm_bench")
            .context("creating a benchmark database on the PostgreSQL server")?;
        let store = Database::open(&scratch.at)?;
        let t = Instant::now();
        let cpu3 = cpu_seconds();
        store_all(store, &csv, &src.sha256, &ds, rows)?;
        let t_store = t.elapsed().as_secs_f64();
        let total = t_parse.as_secs_f64() + t_store;
        println!(
            "  sozialmonitor (PostgreSQL {}): {:.2} s = {} rows/s (read+hash+parse+validate {:.2} s as above, store by binary COPY {:.2} s{} in the client; the server's CPU is not counted)",
            scratch.at,
            total,
            crate::de_int((rows as f64 / total) as i64),
            t_parse.as_secs_f64(),
            t_store,
            cores(diff(cpu3, cpu_seconds()), t_store)
        );
    }
    if peers {
        let scripts = Path::new("bench");
        for (name, script) in [
            ("pandas (read_csv + to_sql into SQLite)", "pandas_import.py"),
            ("DuckDB (read_csv into a table)", "duckdb_import.py"),
        ] {
            let pdb = dir.join(format!("bench_{}.db", script.trim_end_matches(".py")));
            let _ = std::fs::remove_file(&pdb);
            match peer(&scripts.join(script), &csv, &pdb)? {
                Some(s) => println!(
                    "  {name}: {s:.2} s = {} rows/s; sozialmonitor is {:.1}× as fast",
                    crate::de_int((rows as f64 / s) as i64),
                    s / ours
                ),
                None => println!("  {name}: not measured (pip install pandas duckdb)"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
