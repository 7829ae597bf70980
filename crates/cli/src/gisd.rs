//! The deprivation index by the GISD method as statistics, so that the dashboard shows it like
//! any other indicator (map, series, profiles, downloads): per municipality its
//! Gemeindeverband's value (as the GISD's municipal release gives it), per Kreis the mean of its
//! Gemeindeverbände weighted by their population of 31.12.2017. Its catalogue entries come with
//! it and name the inputs, their weights and the variance each dimension's factor explains.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use calamine::{Data, DataType, Reader, open_workbook_auto};
use sozialmonitor_core::format::german_number;
use sozialmonitor_core::{
    Dataset, IndicatorEntry, Measure, MeasureKind, Observation, Period, Polarity, RegionKey, Value,
};
use sozialmonitor_store::{Database, ImportOptions, ImportOutcome, ImportSource, Store};

use crate::analysis::{GISD_INPUTS, GisdRun, gisd};

/// The statistic code of the batch and the prefix of its measures.
const STATISTIC: &str = "gisd";

/// The score (0 to 1 within each year, 1 = most deprived), not additive.
const SCORE: &str = "GISD_INDEX";

/// The quintile within each year (1 = least deprived fifth), not additive.
const QUINTILE: &str = "GISD_QUINTIL";

/// The reference table of INKAR 2018 that names each municipality's Gemeindeverband and Kreis
/// and its population on 31.12.2017.
const REFERENCE: &str = "gisd/Referenz_Gebietsstand_2017.xlsx";

/// One municipality of the reference table.
struct Member {
    municipality: String,
    verband: String,
    kreis: String,
    population: f64,
    /// Its row in the sheet (1-based), for the observations' provenance.
    line: u32,
}

/// A key as the sheet holds it (a number, so without its leading zero) as 8 digits.
fn key8(cell: &Data) -> Option<String> {
    let n = match cell {
        Data::Int(n) => *n,
        Data::Float(f) if f.fract() == 0.0 => *f as i64,
        Data::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (0..100_000_000).contains(&n).then(|| format!("{n:08}"))
}

/// The municipalities of `lands` with their Gemeindeverband, Kreis and population.
fn members(data: &Path, lands: &[&str]) -> Result<Vec<Member>> {
    let path = data.join(REFERENCE);
    let mut book =
        open_workbook_auto(&path).with_context(|| format!("reading {}", path.display()))?;
    let sheet = book
        .worksheet_range("Gemeinden-GVB")
        .with_context(|| format!("{}: no sheet Gemeinden-GVB", path.display()))?;
    let mut out = Vec::new();
    for (i, row) in sheet.rows().enumerate() {
        // The first rows are the column codes and their German names.
        let (Some(m), Some(v), Some(k)) = (
            row.first().and_then(key8),
            row.get(4).and_then(key8),
            row.get(6).and_then(key8),
        ) else {
            continue;
        };
        if !lands.iter().any(|l| m.starts_with(l)) {
            continue;
        }
        let Some(population) = row.get(3).and_then(|c| c.as_f64()) else {
            bail!(
                "{}:{}: no population in column bev17",
                path.display(),
                i + 1
            );
        };
        out.push(Member {
            municipality: m,
            verband: v,
            kreis: k.get(..5).unwrap_or_default().to_owned(),
            population,
            line: i as u32 + 1,
        });
    }
    if out.is_empty() {
        bail!("{}: no municipality of {lands:?}", path.display());
    }
    Ok(out)
}

/// The method in words for the definition: every dimension with its explained variance and its
/// inputs with their weights.
fn method_words(run: &GisdRun) -> String {
    let dims: Vec<String> = ["Bildung", "Erwerb", "Einkommen"]
        .iter()
        .enumerate()
        .map(|(d, name)| {
            let f = &run.index.factors[d];
            let inputs: Vec<String> = GISD_INPUTS
                .iter()
                .filter(|g| g.3 == *name)
                .enumerate()
                .map(|(i, g)| {
                    // The factor follows the data; a loading against the direction the input
                    // was chosen for is said, not hidden.
                    let against = if f.loadings[i] * g.2 < 0.0 {
                        ", in den Daten gegen die erwartete Richtung"
                    } else {
                        ""
                    };
                    format!(
                        "{} (Gewicht {}{against})",
                        g.1,
                        german_number(f.weights[i], 3)
                    )
                })
                .collect();
            format!(
                "{name}: {} – erklärte Varianz {} %",
                inputs.join(", "),
                german_number(f.explained * 100.0, 1)
            )
        })
        .collect();
    format!(
        "Deprivationsindex nach der Methode des German Index of Socioeconomic Deprivation (GISD, Robert Koch-Institut), berechnet vom Sozialmonitor für {} Gemeindeverbände Deutschlands aus den INKAR-Indikatoren: Lücken aus der eigenen Reihe, sonst mit dem Mittel des Jahres geschlossen; je Dimension die Gewichte aus einer Faktorenanalyse (erster Faktor über alle Jahre); die drei Dimensionen gleich gewichtet addiert und je Jahr auf 0 bis 1 skaliert (1 = am stärksten benachteiligt). {}. Eine Gemeinde hat den Wert ihres Gemeindeverbands, ein Kreis das nach der Einwohnerzahl vom 31.12.2017 gewichtete Mittel seiner Gemeindeverbände. Das Gebiet ist das vom 31.12.2017. Weil jedes Jahr zwischen seinem niedrigsten und höchsten Wert skaliert wird, verschiebt ein einzelner Extremwert alle anderen (2017 etwa); über die Jahre vergleicht das Quintil verlässlicher als der Indexwert.",
        run.regions.len(),
        dims.join("; ")
    )
}

/// The catalogue entries of the two measures.
fn entries(run: &GisdRun) -> Vec<IndicatorEntry> {
    let source = "Eigene Berechnung nach der Methode des GISD (Robert Koch-Institut) aus INKAR 2018, BBSR Bonn".to_owned();
    let years = format!(
        "{}–{}",
        run.years.first().copied().unwrap_or(0),
        run.years.last().copied().unwrap_or(0)
    );
    let common = |key: &str, formula: &str, unit: &str| IndicatorEntry {
        action_field: "Soziale Lage".into(),
        target_groups: vec!["Gesamtbevölkerung".into()],
        polarity: Polarity::HigherIsWorse,
        source: source.clone(),
        update_rhythm: format!("mit jeder INKAR-Ausgabe (vorliegend {years})"),
        owner: "Sozialplanung".into(),
        // Indices of areas, no counts of people: nothing to withhold.
        confidentiality: "none".into(),
        ..IndicatorEntry::new(key, formula, unit)
    };
    vec![
        IndicatorEntry {
            name: "Deprivationsindex (Methode des GISD)".into(),
            short_name: "Deprivationsindex".into(),
            definition: method_words(run),
            spatial_levels: vec!["gemeinde".into(), "kreis".into()],
            ..common("deprivationsindex", SCORE, "Index (0 bis 1)")
        },
        IndicatorEntry {
            name: "Deprivationsquintil (Methode des GISD)".into(),
            short_name: "Deprivationsquintil".into(),
            definition: "Das Fünftel der Gemeindeverbände Deutschlands, in das der Deprivationsindex des Jahres fällt: 1 = das am wenigsten, 5 = das am stärksten benachteiligte Fünftel. Eine Gemeinde hat das Quintil ihres Gemeindeverbands.".into(),
            spatial_levels: vec!["gemeinde".into()],
            ..common("deprivationsquintil", QUINTILE, "Quintil (1 bis 5)")
        },
    ]
}

/// The index of the municipalities and Kreise of `lands` as a dataset.
pub fn dataset(data: &Path, lands: &[&str]) -> Result<Dataset> {
    let run = gisd(data)?;
    let members = members(data, lands)?;
    let position: BTreeMap<&str, usize> = run
        .regions
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.as_str(), i))
        .collect();
    let mut d = Dataset::new(STATISTIC);
    let mut intern = |code: &str, label: &str, unit: &str| {
        d.kinds.insert(code.into(), MeasureKind::NotAdditive);
        d.intern_measure(Measure {
            code: code.into(),
            label: label.into(),
            unit: unit.into(),
            statistic: STATISTIC.into(),
        })
    };
    let score = intern(SCORE, "Deprivationsindex (Methode des GISD)", "Index");
    let quintile = intern(
        QUINTILE,
        "Deprivationsquintil (Methode des GISD)",
        "Quintil",
    );
    // Kreis: Σ population · score and Σ population per year, over the members found.
    let mut kreise: BTreeMap<&str, (Vec<f64>, f64, u32)> = BTreeMap::new();
    for m in &members {
        let Some(&gv) = position.get(m.verband.as_str()) else {
            continue;
        };
        let region = d.intern_region(RegionKey::parse(&m.municipality)?, None);
        for (y, &year) in run.years.iter().enumerate() {
            let index = Value::number(round3(run.index.normalised[gv][y]), 3);
            let fifth = Value::number(f64::from(run.index.quintile[gv][y]), 0);
            d.observations
                .push(observation(score, region, year, index, m.line)?);
            d.observations
                .push(observation(quintile, region, year, fifth, m.line)?);
        }
        let k = kreise
            .entry(m.kreis.as_str())
            .or_insert_with(|| (vec![0.0; run.years.len()], 0.0, m.line));
        for (y, sum) in k.0.iter_mut().enumerate() {
            *sum += m.population * run.index.normalised[gv][y];
        }
        k.1 += m.population;
    }
    for (kreis, (sums, population, line)) in kreise {
        if population <= 0.0 {
            continue;
        }
        let region = d.intern_region(RegionKey::parse(kreis)?, None);
        for (&year, sum) in run.years.iter().zip(sums) {
            let index = Value::number(round3(sum / population), 3);
            d.observations
                .push(observation(score, region, year, index, line)?);
        }
    }
    d.rows_read = members.len();
    d.catalog = entries(&run);
    Ok(d)
}

/// One yearly value of the index, with the reference table's row it came from.
fn observation(
    measure: u32,
    region: u32,
    year: i32,
    value: Value,
    line: u32,
) -> Result<Observation> {
    Ok(Observation {
        measure,
        region,
        period: Period::Year(u16::try_from(year)?),
        breakdown: 0,
        value,
        quality: 0,
        line,
    })
}

/// Rounded to the three decimals shown, so the stored number is the published one.
fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Computes the index from `data/gisd` and imports it; the same inputs give the same batch,
/// which is then not imported again.
pub fn import(store: &mut Database, data: &Path, lands: &[&str]) -> Result<ImportOutcome> {
    let mut ds = dataset(data, lands)?;
    let file_name = "Deprivationsindex (Methode des GISD) aus INKAR 2018".to_owned();
    ds.finish(&file_name);
    // The batch is named by what it was computed from: the inputs' bytes and the Länder.
    let mut fingerprint = Vec::new();
    for (file, ..) in GISD_INPUTS {
        fingerprint.extend(std::fs::read(data.join(format!("gisd/{file}.xls.gz")))?);
    }
    fingerprint.extend(std::fs::read(data.join(REFERENCE))?);
    fingerprint.extend(lands.join(",").bytes());
    // A changed description of the method is a new batch too.
    fingerprint.extend(serde_json::to_vec(&ds.catalog)?);
    let source = ImportSource {
        file_name,
        sha256: sozialmonitor_import::sha256_hex(&fingerprint),
    };
    Ok(store.import(&source, &ds, ImportOptions::default())?)
}

/// Imports the index of Saxony and Saxony-Anhalt, saying what happened; `true` when a new
/// batch was stored (the indicators then need computing).
pub fn import_and_say(store: &mut Database, data: &Path) -> Result<bool> {
    match import(store, data, &crate::analysis::LANDS)? {
        ImportOutcome::Imported(b) => {
            println!(
                "deprivation index (GISD method) imported: {} municipalities, {} values new or revised",
                crate::de_int(b.rows_read),
                crate::de_int(b.rows_stored + b.rows_revised)
            );
            Ok(true)
        }
        ImportOutcome::AlreadyImported(_) | ImportOutcome::Previewed(_) => {
            println!("deprivation index (GISD method): already imported, unchanged");
            Ok(false)
        }
        ImportOutcome::Rejected(d) => bail!("the deprivation index was refused: {d:?}"),
    }
}

/// [`import_and_say`], then the indicators recomputed when the batch is new.
pub fn publish(store: &mut Database, data: &Path) -> Result<()> {
    if import_and_say(store, data)? {
        let run =
            crate::indicator::compute_and_cache(store, sozialmonitor_store::Territory::Today)?;
        println!(
            "{} indicators computed, {} values cached",
            run.computed.len(),
            crate::de_int(run.stored as i64)
        );
    }
    Ok(())
}
