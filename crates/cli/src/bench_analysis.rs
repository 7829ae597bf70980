//! `sozialmonitor bench analysis`: the typology (with its gap statistic and bootstrap) and the
//! deprivation index for about 11,000 regions, and the population projection of every
//! municipality of Saxony, each side by side in the same run with scikit-learn, pandas and NumPy
//! doing the same work in their idiom (`bench/analysis_peer.py`, `bench/projection_peer.py`).
//!
//! Inputs are real data from `data/demo`, replicated like `bench indicators` does: Saxony's
//! municipalities with four INKAR 2024 indicators 26 times (≈ Germany's number of
//! municipalities); the GISD inputs of Germany's 401 Kreise 28 times; for the projection the
//! population of every Saxon municipality by sex and age group (31.12.2015), its migration by
//! age group (2015), and its Kreis's single years of age, births and deaths.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use sozialmonitor_core::analysis::cluster::{Points, Typology, TypologyOptions};
use sozialmonitor_core::analysis::demography::Municipality;
use sozialmonitor_core::analysis::index::{Dimension, Panel, deprivation};
use sozialmonitor_core::analysis::projection::{
    AGES, FEMALE, MALE, Variant, five_year_groups, project_each,
};

/// Saxony's municipalities: the replicated Land.
const SAXONY: &str = "14";

/// The GISD indicators by dimension with their direction (+1: more means more deprivation).
const GISD: [(&str, [(&str, f64); 3]); 3] = [
    (
        "Bildung",
        [
            ("academic", -1.0),
            ("no_vocational", 1.0),
            ("school_no_degree", 1.0),
        ],
    ),
    (
        "Erwerb",
        [
            ("employment_rate", -1.0),
            ("unemployment", 1.0),
            ("gross_wage", -1.0),
        ],
    ),
    (
        "Einkommen",
        [
            ("income_tax", -1.0),
            ("household_income", -1.0),
            ("debtors", 1.0),
        ],
    ),
];

/// Base and last year of the projection.
const PROJECTION: (i32, i32) = (2015, 2040);

/// The GISD inputs of all Kreise (2015), from the core's fixture of the INKAR 2018 exports.
fn gisd_rows() -> Result<(Vec<String>, Vec<Vec<f64>>)> {
    let text = include_str!("../../core/tests/data/gisd/inputs-2015.csv");
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .context("empty GISD fixture")?
        .split(',')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split(',')
                .skip(1)
                .map(|c| c.parse::<f64>().context("GISD value"))
                .collect()
        })
        .collect::<Result<Vec<Vec<f64>>>>()?;
    Ok((header[1..].to_vec(), rows))
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> Result<T>) -> Result<(f64, T)> {
    let mut best: Option<(f64, T)> = None;
    for _ in 0..runs {
        let t = Instant::now();
        let value = f()?;
        let secs = t.elapsed().as_secs_f64();
        if best.as_ref().is_none_or(|b| secs < b.0) {
            best = Some((secs, value));
        }
    }
    best.context("no run")
}

fn write(dir: &Path, name: &str, text: &str) -> Result<()> {
    std::fs::write(dir.join(name), text)
        .with_context(|| format!("writing {}", dir.join(name).display()))
}

/// Runs the benchmark; `copies` replicates Saxony's municipalities for the typology.
pub fn run(dir: &Path, copies: usize, peers: bool, data: Option<&Path>) -> Result<ExitCode> {
    std::fs::create_dir_all(dir)?;
    let data = crate::demo::data_dir(data)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("sozialmonitor bench analysis ({cores} cores; every figure is the best of 3 runs)");

    // Typology.
    let municipalities = crate::analysis::typology_inputs(&data, &[SAXONY])?;
    let rows: Vec<Vec<f64>> = (0..copies)
        .flat_map(|_| municipalities.iter().map(|m| m.values.clone()))
        .collect();
    let options = TypologyOptions::default();
    let mut csv = String::from("id,v1,v2,v3,v4\n");
    for (i, row) in rows.iter().enumerate() {
        let _ = writeln!(
            csv,
            "{i},{}",
            row.iter()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>()
                .join(",")
        );
    }
    write(dir, "typology.csv", &csv)?;
    write(
        dir,
        "typology.json",
        &format!(
            r#"{{"k_min":{},"k_max":{},"restarts":{},"max_iter":{},"silhouette_sample":{},"gap_references":{},"bootstrap":{},"seed":{}}}"#,
            options.k_min,
            options.k_max,
            options.restarts,
            options.max_iter,
            options.silhouette_sample,
            options.gap_references,
            options.bootstrap,
            options.seed
        ),
    )?;
    let (typology_secs, typology) = best_of(3, || {
        let points = Points::standardised(&rows, 4)?;
        Ok(Typology::compute(&points, options)?)
    })?;
    let mean_stability = typology.stability.iter().sum::<f64>() / typology.stability.len() as f64;
    println!(
        "  typology: {} municipalities (Saxony's {} with 4 INKAR 2024 indicators, {copies}×), k = {}..{} with {} restarts, silhouette on {}, gap with {} references, Ward, {} bootstrap resamples: {typology_secs:.3} s; k = {} (gap rule: {:?}), Ward agreement ARI {:.3}, mean stability {mean_stability:.4}",
        rows.len(),
        municipalities.len(),
        options.k_min,
        options.k_max,
        options.restarts,
        options.silhouette_sample,
        options.gap_references,
        options.bootstrap,
        typology.k,
        typology.gap_k,
        typology.agreement
    );

    // Deprivation index.
    let (names, kreise) = gisd_rows()?;
    let index_copies = 11_000usize.div_ceil(kreise.len());
    let regions = kreise.len() * index_copies;
    let values: Vec<Vec<Vec<Option<f64>>>> = (0..names.len())
        .map(|c| {
            (0..index_copies)
                .flat_map(|_| kreise.iter().map(move |k| vec![Some(k[c])]))
                .collect()
        })
        .collect();
    let panel = Panel {
        years: vec![2015],
        regions,
        values,
    };
    let dimensions: Vec<Dimension> = GISD
        .iter()
        .map(|(name, indicators)| Dimension {
            name: (*name).to_owned(),
            indicators: indicators
                .iter()
                .map(|(n, _)| names.iter().position(|x| x == n).unwrap_or(0))
                .collect(),
            directions: indicators.iter().map(|(_, d)| *d).collect(),
        })
        .collect();
    let mut csv = format!("id,year,{}\n", names.join(","));
    for r in 0..regions {
        let cells: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(c, _)| format!("{:?}", kreise[r % kreise.len()][c]))
            .collect();
        let _ = writeln!(csv, "{r},2015,{}", cells.join(","));
    }
    write(dir, "index.csv", &csv)?;
    let directions: Vec<String> = GISD
        .iter()
        .flat_map(|(_, i)| i.iter().map(|(n, d)| format!("\"{n}\":{d}")))
        .collect();
    let dims: Vec<String> = ["education", "employment", "income"]
        .iter()
        .zip(&GISD)
        .map(|(d, (_, i))| {
            format!(
                "\"{d}\":[{}]",
                i.iter()
                    .map(|(n, _)| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })
        .collect();
    write(
        dir,
        "index.json",
        &format!(
            "{{\"directions\":{{{}}},\"dimensions\":{{{}}}}}",
            directions.join(","),
            dims.join(",")
        ),
    )?;
    let (index_secs, index) = best_of(3, || Ok(deprivation(&panel, &dimensions)?))?;
    let index_sum: f64 = index.normalised.iter().flatten().sum();
    println!(
        "  deprivation index (GISD method): {regions} regions (Germany's {} Kreise with the INKAR 2018 GISD inputs of 2015, {index_copies}×), 9 indicators in 3 dimensions: {index_secs:.4} s; explained variance {}; sum of the 0–1 index {index_sum:.6}",
        kreise.len(),
        index
            .factors
            .iter()
            .map(|f| format!("{:.3}", f.explained))
            .collect::<Vec<_>>()
            .join(" / ")
    );

    // Projection.
    let inputs = crate::analysis::projection_inputs(&data, PROJECTION.0 as u16, &[SAXONY])?;
    let mut base_csv = String::from("id,sex,age,population\n");
    let mut assumptions_csv = String::from("id,sex,age,survival,fertility,migration\n");
    for Municipality {
        key,
        base,
        assumptions: a,
    } in &inputs
    {
        for sex in [MALE, FEMALE] {
            for age in 0..AGES {
                let _ = writeln!(base_csv, "{key},{sex},{age},{:?}", base.by_sex[sex][age]);
                let fertility = if sex == FEMALE { a.fertility[age] } else { 0.0 };
                let _ = writeln!(
                    assumptions_csv,
                    "{key},{sex},{age},{:?},{fertility:?},{:?}",
                    a.survival[sex][age], a.migration[sex][age]
                );
            }
        }
    }
    write(dir, "projection-base.csv", &base_csv)?;
    write(dir, "projection-assumptions.csv", &assumptions_csv)?;
    write(
        dir,
        "projection.json",
        &format!(
            r#"{{"base_year":{},"last_year":{},"boys":{:?},"variants":["low","main","high"]}}"#,
            PROJECTION.0,
            PROJECTION.1,
            inputs.first().map_or(0.514, |m| m.assumptions.boys)
        ),
    )?;
    // Of every year the five-year groups by sex are kept, as tables and charts show them.
    let (projection_secs, results) = best_of(3, || {
        Ok(sozialmonitor_core::parallel::on_every_core(
            &inputs,
            |Municipality {
                 base,
                 assumptions: a,
                 ..
             }| {
                Variant::ALL.map(|v| {
                    let mut groups = Vec::with_capacity((PROJECTION.1 - PROJECTION.0) as usize);
                    project_each(base, PROJECTION.0, PROJECTION.1, a, v, |y| {
                        groups.push(five_year_groups(&y.population))
                    });
                    groups
                })
            },
        ))
    })?;
    let sum_last = |v: usize, from_group: usize| -> f64 {
        results
            .iter()
            .filter_map(|r| r[v].last())
            .map(|g| {
                g.iter()
                    .map(|sex| sex[from_group..].iter().sum::<f64>())
                    .sum::<f64>()
            })
            .sum()
    };
    let last = |v: usize| sum_last(v, 0);
    let aged80 = sum_last(1, 16);
    let base_total: f64 = inputs.iter().map(|m| m.base.total()).sum();
    println!(
        "  projection: {} Saxon municipalities, by sex and single year of age, {}–{}, 3 variants: {projection_secs:.4} s; {:.0} people in {} → {:.0} / {:.0} / {:.0} in {} (low / main / high migration), {aged80:.0} aged 80+",
        inputs.len(),
        PROJECTION.0,
        PROJECTION.1,
        base_total,
        PROJECTION.0,
        last(0),
        last(1),
        last(2),
        PROJECTION.1
    );

    if peers {
        let scripts = Path::new("bench");
        match crate::bench::python(&scripts.join("analysis_peer.py"), &[dir]) {
            Some(out) => {
                let field = |n: &str| crate::bench::field(&out, n);
                if let Some(t) = field("typology_seconds=") {
                    println!(
                        "  scikit-learn typology: {t:.3} s (k = {:?}, mean stability {:?}); sozialmonitor is {:.1}× as fast",
                        field("k="),
                        field("mean_stability="),
                        t / typology_secs
                    );
                }
                if let Some(t) = field("index_seconds=") {
                    println!(
                        "  pandas/NumPy index: {t:.4} s (sum of the 0–1 index {:?}); sozialmonitor is {:.1}× as fast",
                        field("index_sum="),
                        t / index_secs
                    );
                }
            }
            None => println!(
                "  scikit-learn / pandas: not measured (pip install -r bench/requirements.txt)"
            ),
        }
        match crate::bench::python(&scripts.join("projection_peer.py"), &[dir]) {
            Some(out) => {
                let field = |n: &str| crate::bench::field(&out, n);
                if let Some(t) = field("seconds=") {
                    println!(
                        "  NumPy projection: {t:.4} s ({:?} / {:?} / {:?} people at the end); sozialmonitor is {:.1}× as fast",
                        field("total_last_low="),
                        field("total_last_main="),
                        field("total_last_high="),
                        t / projection_secs
                    );
                }
            }
            None => {
                println!("  NumPy projection: not measured (pip install -r bench/requirements.txt)")
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
