//! `sozialmonitor bench reports`: municipal profiles per second for every municipality of Saxony,
//! side by side in the same run with the route many teams take: the dashboard's HTML profile
//! printed to PDF by headless Chromium (`chromium --headless --print-to-pdf`, one browser per
//! page, two at a time on the two cores), served by our own server from the same database.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use sozialmonitor_web::Site;

use crate::report::{load_site, profile_file_name, typeset_profiles};

/// The district whose 52 profiles the goal is stated for.
const MITTELSACHSEN: &str = "14522";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `sozialmonitor serve` on a free port; returns it with its base URL.
fn serve(db: &Path) -> Result<(Server, String)> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--db")
        .arg(db)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the dashboard server")?;
    let out = child.stdout.take().context("server stdout")?;
    let server = Server(child);
    for line in BufReader::new(out).lines() {
        let line = line?;
        if let Some(rest) = line.split("http://").nth(1) {
            let base = format!("http://{}", rest.trim().trim_end_matches('/'));
            return Ok((server, base));
        }
    }
    bail!("the server did not print its address")
}

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// Prints the profiles of `regions` with headless Chromium, `workers` at a time; returns the
/// seconds and the number of PDFs written.
fn chromium_route(
    browser: &Path,
    base: &str,
    site: &Site,
    regions: &[usize],
    out: &Path,
    workers: usize,
) -> Result<(f64, usize)> {
    std::fs::create_dir_all(out)?;
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for w in 0..workers {
            let (next, done) = (&next, &done);
            s.spawn(move || {
                let profile_dir = std::env::temp_dir().join(format!(
                    "sozialmonitor-bench-chromium-{}-{w}",
                    std::process::id()
                ));
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&r) = regions.get(i) else { break };
                    let file = out.join(profile_file_name(site, r));
                    let url = format!("{base}/gemeinde/{}", site.regions[r].key);
                    let status = Command::new(browser)
                        .args([
                            "--headless",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-quic",
                            "--no-first-run",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--no-pdf-header-footer",
                        ])
                        .arg(format!("--user-data-dir={}", profile_dir.display()))
                        .arg(format!("--print-to-pdf={}", file.display()))
                        .arg(&url)
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status();
                    if status.is_ok_and(|s| s.success()) && file.exists() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
                let _ = std::fs::remove_dir_all(&profile_dir);
            });
        }
    });
    Ok((t.elapsed().as_secs_f64(), done.into_inner()))
}

/// Our route: the profiles typeset on all cores, written to `out`.
fn our_route(site: &Site, regions: &[usize], out: &Path) -> Result<(f64, usize, usize)> {
    std::fs::create_dir_all(out)?;
    let t = Instant::now();
    let results = typeset_profiles(site, regions, None);
    let mut bytes = 0;
    let mut ok = 0;
    for (r, res) in results {
        if let Ok(pdf) = res {
            bytes += pdf.len();
            ok += 1;
            std::fs::write(out.join(profile_file_name(site, r)), pdf)?;
        }
    }
    Ok((t.elapsed().as_secs_f64(), ok, bytes))
}

/// `bench reports`.
pub fn run(db: &Path, dir: &Path, chromium_limit: usize, data: Option<&Path>) -> Result<ExitCode> {
    std::fs::create_dir_all(dir)?;
    if !db.exists() {
        crate::demo::run(&sozialmonitor_store::Location::file(db), data)?;
    }
    let site = load_site(&sozialmonitor_store::Location::file(db), "14")?;
    let land = site.region("14").context("Saxony is not in the database")?;
    let mut saxony: Vec<usize> = site
        .kreise(land)
        .into_iter()
        .flat_map(|k| site.municipalities(k))
        .collect();
    saxony.sort_by(|a, b| site.regions[*a].key.cmp(&site.regions[*b].key));
    let ms = site.region(MITTELSACHSEN).context("Mittelsachsen")?;
    let mittelsachsen = site.municipalities(ms);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    println!(
        "Municipal profiles as PDF, {} municipalities of Saxony ({} of Mittelsachsen), {cores} cores",
        saxony.len(),
        mittelsachsen.len()
    );

    // Ours, Mittelsachsen first (the stated goal; includes the first document's warm-up).
    let (ms_secs, ms_ok, _) = our_route(&site, &mittelsachsen, &dir.join("typst-mittelsachsen"))?;
    let (sx_secs, sx_ok, sx_bytes) = our_route(&site, &saxony, &dir.join("typst-sachsen"))?;
    println!(
        "sozialmonitor (Typst library): Mittelsachsen {ms_ok} in {ms_secs:.2} s; Saxony {sx_ok} in {sx_secs:.2} s = {:.1} profiles/s, {:.0} KB per profile",
        sx_ok as f64 / sx_secs,
        sx_bytes as f64 / sx_ok.max(1) as f64 / 1024.0
    );

    let Some(browser) = chromium() else {
        println!("chromium: not installed (apt-get install chromium); peer skipped");
        return Ok(ExitCode::SUCCESS);
    };
    let (_server, base) = serve(db)?;
    let sample: Vec<usize> = if chromium_limit == 0 || chromium_limit >= saxony.len() {
        saxony.clone()
    } else {
        saxony[..chromium_limit].to_vec()
    };
    let (c_ms_secs, c_ms_ok) = chromium_route(
        &browser,
        &base,
        &site,
        &mittelsachsen,
        &dir.join("chromium-mittelsachsen"),
        cores,
    )?;
    let (c_secs, c_ok) = chromium_route(
        &browser,
        &base,
        &site,
        &sample,
        &dir.join("chromium-sachsen"),
        cores,
    )?;
    let c_rate = c_ok as f64 / c_secs;
    println!(
        "chromium --headless --print-to-pdf (HTML profile page, {cores} at a time): Mittelsachsen {c_ms_ok} in {c_ms_secs:.2} s; Saxony {c_ok} in {c_secs:.2} s = {c_rate:.1} profiles/s"
    );
    println!(
        "sozialmonitor is {:.1}× faster on Saxony, {:.1}× on Mittelsachsen",
        (sx_ok as f64 / sx_secs) / c_rate,
        (ms_ok as f64 / ms_secs) / (c_ms_ok as f64 / c_ms_secs)
    );
    Ok(ExitCode::SUCCESS)
}
