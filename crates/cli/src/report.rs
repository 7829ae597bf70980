//! `sozialmonitor report`: municipal profiles and the social report as PDF files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use sozialmonitor_core::RegionLevel;
use sozialmonitor_report::{Commentary, slug};
use sozialmonitor_store::Location;
use sozialmonitor_web::Site;

use crate::{indicator, open_existing};

/// Loads the public view of a database (computing the results cache if it is stale).
pub(crate) fn load_site(db: &Location, home: &str) -> Result<Site> {
    let mut store = open_existing(db)?;
    indicator::ensure_cache(&mut store, sozialmonitor_store::Territory::Today)?;
    Site::load(&store, home)
}

/// Writes a file through a temporary file beside it, so an interrupted run leaves no half PDF.
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = path.with_extension("pdf.part");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The region of a key, resolved to its successor if it was merged away.
fn region(site: &Site, key: &str) -> Result<usize> {
    let Some(r) = site.region(key.trim()) else {
        bail!("no region with key {key} in the database");
    };
    Ok(match site.successor.get(&r) {
        Some(&s) => {
            eprintln!(
                "note: {} ({}) was merged into {} ({}); writing the profile of {}",
                site.regions[r].name,
                site.regions[r].key,
                site.regions[s].name,
                site.regions[s].key,
                site.regions[s].name
            );
            s
        }
        None => r,
    })
}

/// `report profile AGS -o FILE`.
pub(crate) fn profile(db: &Location, key: &str, output: &Path) -> Result<ExitCode> {
    let site = load_site(db, key)?;
    let r = region(&site, key)?;
    let t = std::time::Instant::now();
    let pdf = sozialmonitor_report::profile(&site, r)?;
    write_file(output, &pdf)?;
    println!(
        "{}: profile of {} ({}), {} KB in {:.2} s",
        output.display(),
        site.regions[r].name,
        site.regions[r].key,
        pdf.len() / 1024,
        t.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// The Seniorenwegweiser of district `kreis` (or of one municipality of it) as a booklet.
pub(crate) fn senior_booklet(
    db: &Location,
    kreis: &str,
    gemeinde: Option<&str>,
    output: &Path,
) -> Result<ExitCode> {
    let site = load_site(db, kreis)?;
    let m = match gemeinde {
        Some(g) => {
            let r = region(&site, g)?;
            if !site.municipalities(site.home).contains(&r) {
                bail!("{g} is not a municipality of {kreis}");
            }
            Some(r)
        }
        None => None,
    };
    let pdf = sozialmonitor_report::senior_booklet(&site, m)?;
    write_file(output, &pdf)?;
    println!(
        "{}: Seniorenwegweiser of {}, {} KB",
        output.display(),
        site.regions[m.unwrap_or(site.home)].name,
        pdf.len() / 1024
    );
    Ok(ExitCode::SUCCESS)
}

/// The file name of a municipality's profile: `14522010-altmittweida.pdf`.
pub(crate) fn profile_file_name(site: &Site, r: usize) -> String {
    format!(
        "{}-{}.pdf",
        site.regions[r].key,
        slug(&site.regions[r].name)
    )
}

/// A region and its profile, or why it failed.
pub(crate) type Typeset = (usize, Result<Vec<u8>, String>);

/// Typesets the profiles of `regions` on all cores; returns them in the order of `regions`.
pub(crate) fn typeset_profiles(
    site: &Site,
    regions: &[usize],
    progress: Option<&indicatif::ProgressBar>,
) -> Vec<Typeset> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Typeset>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(regions.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&r) = regions.get(i) else { break };
                    let result = sozialmonitor_report::profile(site, r).map_err(|e| e.to_string());
                    if let Some(p) = progress {
                        p.set_message(site.regions[r].name.clone());
                        p.inc(1);
                    }
                    out.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, result));
                }
            });
        }
    });
    let mut v = out.into_inner().unwrap_or_else(|e| e.into_inner());
    v.sort_by_key(|(i, _)| *i);
    v.into_iter().map(|(i, res)| (regions[i], res)).collect()
}

/// `report profiles --kreis K -o DIR`: one profile per current municipality of the district.
pub(crate) fn profiles(db: &Location, kreis: &str, dir: &Path) -> Result<ExitCode> {
    let site = load_site(db, kreis)?;
    let k = region(&site, kreis)?;
    let munis = match site.regions[k].level {
        RegionLevel::Kreis => site.municipalities(k),
        RegionLevel::Land => site
            .kreise(k)
            .into_iter()
            .flat_map(|x| site.municipalities(x))
            .collect(),
        _ => bail!(
            "{} ({}) is not a Kreis or a Land",
            site.regions[k].name,
            site.regions[k].key
        ),
    };
    if munis.is_empty() {
        bail!(
            "{} has no municipalities in the database",
            site.regions[k].name
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let bar = indicatif::ProgressBar::new(munis.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let t = std::time::Instant::now();
    let results = typeset_profiles(&site, &munis, Some(&bar));
    bar.finish_and_clear();
    let secs = t.elapsed().as_secs_f64();
    let mut failed = 0;
    let mut bytes = 0;
    for (r, res) in &results {
        match res {
            Ok(pdf) => {
                bytes += pdf.len();
                write_file(&dir.join(profile_file_name(&site, *r)), pdf)?;
            }
            Err(e) => {
                failed += 1;
                eprintln!(
                    "error: {} ({}): {e}",
                    site.regions[*r].name, site.regions[*r].key
                );
            }
        }
    }
    println!(
        "{}: {} profiles of {} in {secs:.2} s ({:.1} per second), {} MB",
        dir.display(),
        results.len() - failed,
        site.regions[k].name,
        results.len() as f64 / secs,
        bytes / (1 << 20)
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `report sozialbericht --kreis K -o FILE [--kommentare DIR]`.
/// `report planungsdokument`: the planning document of the district's newest cycle.
pub(crate) fn planning(db: &Location, kreis: &str, output: &Path) -> Result<ExitCode> {
    let site = load_site(db, kreis)?;
    let k = region(&site, kreis)?;
    let store = open_existing(db)?;
    let Some(cycle) = sozialmonitor_web::site::planning::PlanningCycle::newest(&store, kreis)?
    else {
        bail!("{kreis} has no planning cycle (sozialmonitor planning import FILE)");
    };
    let t = std::time::Instant::now();
    let pdf = sozialmonitor_report::planning_document(&site, k, &cycle)?;
    write_file(output, &pdf)?;
    println!(
        "{}: planning document of {} ({}), {} KB in {:.2} s",
        output.display(),
        site.regions[k].name,
        cycle.cycle.title,
        pdf.len() / 1024,
        t.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn social(
    db: &Location,
    kreis: &str,
    output: &Path,
    commentary_dir: &Path,
) -> Result<ExitCode> {
    let site = load_site(db, kreis)?;
    let k = region(&site, kreis)?;
    if site.regions[k].level != RegionLevel::Kreis {
        bail!(
            "{} ({}) is not a Kreis; the social report is written for a district",
            site.regions[k].name,
            site.regions[k].key
        );
    }
    let commentary = Commentary::from_dir(commentary_dir)?;
    let t = std::time::Instant::now();
    let report = sozialmonitor_report::social_report(&site, k, &commentary)?;
    write_file(output, &report.pdf)?;
    println!(
        "{}: social report of {}, {} KB in {:.2} s",
        output.display(),
        site.regions[k].name,
        report.pdf.len() / 1024,
        t.elapsed().as_secs_f64()
    );
    println!(
        "commentary files (in {}, .md or .typ) the chapters take: {}",
        commentary_dir.display(),
        report.chapters.join(", ")
    );
    for p in &report.unused {
        eprintln!(
            "warning: {} matches no chapter and was not typeset",
            p.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a catalogue's commentary lives: `kommentare/` beside it.
pub(crate) fn default_commentary_dir() -> PathBuf {
    PathBuf::from("catalog/kommentare")
}
