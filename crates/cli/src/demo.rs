//! `sozialmonitor demo`: builds the demo database from the real data shipped in `data/demo`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use sozialmonitor_core::Period;
use sozialmonitor_store::{ImportOptions, Location, Network, Planning, Services, Store};

/// Finds the demo data: the given folder, `data/demo` below the current directory, or the one in
/// the source tree this binary was built from.
pub fn data_dir(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(g) = given {
        return Ok(g.to_path_buf());
    }
    let cwd = PathBuf::from("data/demo");
    if cwd.is_dir() {
        return Ok(cwd);
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo");
    if built.is_dir() {
        return Ok(built);
    }
    anyhow::bail!(
        "no demo data found (looked in ./data/demo and {}); pass --data DIR",
        built.display()
    )
}

/// The demo files in import order: registers first (so regions get their official names and
/// validity), then boundaries, then statistics; each group sorted by path.
pub fn demo_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                // Folders that hold no statistics (see `NOT_STATISTICS`) are read by their own
                // commands, or not at all.
                if p.file_name().is_some_and(|n| {
                    !sozialmonitor_import::NOT_STATISTICS.contains(&n.to_string_lossy().as_ref())
                }) {
                    stack.push(p);
                }
                continue;
            }
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            let sidecar = [".dbf", ".shx", ".prj", ".cpg", ".txt", ".md", ".pdf"]
                .iter()
                .any(|s| name.ends_with(s))
                && !name.ends_with(".asc.gz");
            // GV100AD files end in .txt or .ASC; keep them even though other .txt are notes.
            let register = name.starts_with("gv100ad_");
            if !sidecar || register {
                files.push(p);
            }
        }
    }
    let rank = |p: &Path| {
        let s = p.to_string_lossy();
        if s.contains("registers") {
            0
        } else if s.contains("boundaries") {
            1
        } else {
            2
        }
    };
    files.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    Ok(files)
}

/// Builds (or completes) the demo database and prints what it holds.
pub fn run(db: &Location, data: Option<&Path>) -> Result<ExitCode> {
    let dir = data_dir(data)?;
    let mut files = demo_files(&dir)?;
    // The catalogue of the repository comes last, so `catalog check` finds its measures.
    let catalog = dir.join("../../catalog/indikatoren.toml");
    if catalog.is_file() {
        files.push(catalog);
    }
    println!(
        "building the demo database {} from {} files in {}",
        db,
        files.len(),
        dir.display()
    );
    let t = std::time::Instant::now();
    let mut store = crate::open(db)?;
    let ok = crate::import_files(&mut store, &files, None, ImportOptions::default(), false)?;
    if !ok {
        anyhow::bail!("some demo files could not be imported (see above)");
    }
    // The planning cycles the seed documents record, once.
    let plans = dir.join("planung/planungszyklen.toml");
    if plans.is_file() && store.cycles("14522")?.is_empty() {
        let n = sozialmonitor_workspace::plan_file::import(
            &mut store,
            &plans,
            "demo",
            crate::user::now(),
        )?;
        println!("  {n} planning cycles from {}", plans.display());
    }
    // The services directory: labelled examples (see wegweiser/SOURCE.txt), once.
    let services = dir.join("wegweiser/beispiele.csv");
    if services.is_file() && store.services("14522")?.is_empty() {
        let n = crate::services::import(&mut store, &services, "14522")?;
        println!(
            "  {n} example entries of the services directory from {}",
            services.display()
        );
    }
    // The directory's coverage as statistics: its entries are examples, which never count, so
    // this says there is nothing to compute rather than publish invented numbers.
    match sozialmonitor_workspace::coverage::compute(&store, "14522")? {
        Ok(c) => println!("  coverage of the services directory: {} entries", c.offers),
        Err(why) => println!("  coverage of the services directory: {}", why.message()),
    }
    // The deprivation index by the GISD method, as statistics of Saxony and Saxony-Anhalt; the
    // same inputs give the same batch, which is not imported twice.
    if dir.join("gisd").is_dir() {
        crate::gisd::import_and_say(&mut store, &dir)?;
    }
    // The network and participation the seed documents record, once per district.
    for (kreis, file) in [
        ("14522", "mittelsachsen.toml"),
        ("15082", "anhalt-bitterfeld.toml"),
    ] {
        let path = dir.join("netzwerk").join(file);
        if path.is_file() && store.actors(kreis)?.is_empty() {
            let n = crate::network::import(&mut store, &path, kreis)?;
            println!("  {n} network records from {}", path.display());
        }
    }
    let s = store.summary()?;
    println!("done in {:.1} s\n", t.elapsed().as_secs_f64());
    println!("The demo database holds:");
    println!("  {} imports", crate::de_int(s.imports));
    println!(
        "  {} values of {} measures ({} superseded values kept as history)",
        crate::de_int(s.observations),
        crate::de_int(s.measures),
        crate::de_int(s.revisions)
    );
    for (level, n) in &s.regions_by_level {
        let l = sozialmonitor_core::RegionLevel::from_code(level)
            .map(|l| l.label_de())
            .unwrap_or(level);
        println!("  {} regions: {l}", crate::de_int(*n));
    }
    println!(
        "  {} boundaries, {} catalogue entries, {} territorial changes",
        crate::de_int(s.boundaries),
        crate::de_int(s.indicators),
        crate::de_int(s.changes)
    );
    for (key, date) in [("14522", "2023-11-30"), ("15082", "2023-11-30")] {
        if let Some(r) = store.region(key)? {
            let at = Period::parse(date).ok();
            let n = store
                .children(key, at)?
                .into_iter()
                .filter(|c| c.level == sozialmonitor_core::RegionLevel::Gemeinde)
                .count();
            println!(
                "  {} {}: {} municipalities on {}",
                r.key,
                r.name,
                n,
                at.map(|p| p.german()).unwrap_or_default()
            );
        }
    }
    if crate::indicator::cache_is_fresh(&store, sozialmonitor_store::Territory::Today)? {
        println!("  indicator results cache: up to date");
    } else {
        let run =
            crate::indicator::compute_and_cache(&mut store, sozialmonitor_store::Territory::Today)?;
        println!(
            "  {} indicators computed for every region and year: {} values cached in {:.1} s (confidentiality: {} + {} input cells suppressed for the public)",
            run.computed.len(),
            crate::de_int(run.stored as i64),
            run.seconds.0 + run.seconds.1 + run.seconds.2 + run.seconds.3,
            crate::de_int(run.views.protection.primary as i64),
            crate::de_int(run.views.protection.secondary as i64)
        );
    }
    println!("\nTry (the binary is target/release/sozialmonitor):");
    println!("  sozialmonitor regions --show 14522 --at 30.11.2023");
    println!("  sozialmonitor query -m BEVSTD -r 14522 15082 -b total");
    println!("  sozialmonitor indicator anteil_65_plus -r 14522 --children -y 2015 --method jenks");
    println!(
        "  sozialmonitor export -m \"13211-01-03-5:Arbeitslose\" -r 14522 --children --public -o arbeitslose.csv"
    );
    println!("  sozialmonitor catalog gaps");
    Ok(ExitCode::SUCCESS)
}
