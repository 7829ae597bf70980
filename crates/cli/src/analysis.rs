//! `sozialmonitor analysis`: `index` (the deprivation index by the GISD method for every
//! Gemeindeverband of Germany and year, with its inputs, weights and explained variance),
//! `unusual` (the changes of an indicator in a district's
//! municipalities that depart from their own history or from the other municipalities by more
//! than noise explains, and the district's trend), `typology` (the types of municipalities of Saxony and
//! Saxony-Anhalt by four INKAR 2024 indicators, how many and how stable, in German words) and
//! `backtest` (the population projection run from 2015 with what was known then and set against
//! what was published later: Zensus 2022 per municipality, the Fortschreibung of 31.12.2024 per
//! Kreis, with the errors per Kreis and per size class).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use sozialmonitor_core::Dataset;
use sozialmonitor_core::analysis::cluster::{Points, Typology, TypologyOptions};
use sozialmonitor_core::analysis::demography::{
    Comparison, Municipality, SIZE_CLASSES, Sources, by_sex, errors_by, municipalities, size_class,
};
use sozialmonitor_core::analysis::index::{Dimension, Panel, deprivation};
use sozialmonitor_core::analysis::projection::{Error, Variant, project_each};
use sozialmonitor_core::analysis::unusual::{Check, Series, Trend, rate_scale, refers_to_everyone};
use sozialmonitor_core::engine::Cell;
use sozialmonitor_core::format::{german_number, is_count_unit};
use sozialmonitor_store::{Database, Store};

/// Base year of the back-test: the last year whose tables by age are in the demo data.
const BASE: u16 = 2015;

/// The Länder projected: Saxony and Saxony-Anhalt.
pub const LANDS: [&str; 2] = ["14", "15"];

/// Share of 2022 gone by the census day, 15 May (day 135 of 365).
const CENSUS_DAY: f64 = 135.0 / 365.0;

fn load(data: &Path, file: &str) -> Result<Dataset> {
    let path = data.join(file);
    let (_, ds) = sozialmonitor_import::load(&path, None)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(ds)
}

/// The GISD inputs: file in `data/demo/gisd`, German name, direction (+1: more means more
/// deprivation), dimension.
pub const GISD_INPUTS: [(&str, &str, f64, &str); 9] = [
    (
        "B_BeschaeftigtemitakadAbschluss",
        "Beschäftigte mit akademischem Abschluss",
        -1.0,
        "Bildung",
    ),
    (
        "B_BeschaeftigteohneAbschluss",
        "Beschäftigte ohne Berufsabschluss",
        1.0,
        "Bildung",
    ),
    (
        "B_SchulabgaengerohneAbschluss",
        "Schulabgänger ohne Abschluss",
        1.0,
        "Bildung",
    ),
    (
        "A_Beschaeftigtenquote",
        "Beschäftigtenquote",
        -1.0,
        "Erwerb",
    ),
    ("A_Arbeitslosigkeit", "Arbeitslose", 1.0, "Erwerb"),
    ("A_Bruttoverdienst", "Bruttoverdienst", -1.0, "Erwerb"),
    (
        "E_Einkommensteuer",
        "Einkommensteuer je Einwohner",
        -1.0,
        "Einkommen",
    ),
    (
        "E_Haushaltseinkommen",
        "Haushaltsnettoeinkommen",
        -1.0,
        "Einkommen",
    ),
    ("E_Schuldnerquote", "Schuldnerquote", 1.0, "Einkommen"),
];

/// Years of the index: from the first year every Gemeindeverband indicator is published.
const GISD_YEARS: (u16, u16) = (2001, 2017);

/// The deprivation index of every Gemeindeverband (8-digit key) for [`GISD_YEARS`]: indicators
/// published only per Kreis are given to each Gemeindeverband of the Kreis, as the GISD does.
pub struct GisdRun {
    /// Gemeindeverband keys and names, in key order.
    pub regions: Vec<(String, String)>,
    /// The years.
    pub years: Vec<i32>,
    /// The index.
    pub index: sozialmonitor_core::analysis::index::Deprivation,
}

/// Computes [`GisdRun`] from the files in `data/gisd`.
pub fn gisd(data: &Path) -> Result<GisdRun> {
    let years: Vec<u16> = (GISD_YEARS.0..=GISD_YEARS.1).collect();
    let mut by_indicator: Vec<BTreeMap<String, BTreeMap<u16, f64>>> = Vec::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (file, ..) in GISD_INPUTS {
        let ds = load(data, &format!("gisd/{file}.xls.gz"))?;
        let mut values: BTreeMap<String, BTreeMap<u16, f64>> = BTreeMap::new();
        for o in &ds.observations {
            let key = ds.region_keys[o.region as usize].as_str().to_owned();
            if let Some(v) = o.value.number {
                if key.len() == 8 {
                    let name = ds.region_names[o.region as usize]
                        .clone()
                        .unwrap_or_default();
                    names.entry(key.clone()).or_insert(name);
                }
                values.entry(key).or_default().insert(o.period.year(), v);
            }
        }
        by_indicator.push(values);
    }
    // The Gemeindeverbände: every 8-digit key with a value of each indicator published at that
    // level (unemployment, employment rate, income tax) in some year of the index.
    let local: Vec<usize> = (0..GISD_INPUTS.len())
        .filter(|&i| by_indicator[i].keys().any(|k| k.len() == 8))
        .collect();
    let regions: Vec<(String, String)> = names
        .into_iter()
        .filter(|(k, _)| {
            local.iter().all(|&i| {
                by_indicator[i]
                    .get(k)
                    .is_some_and(|v| years.iter().any(|y| v.contains_key(y)))
            })
        })
        .collect();
    let values: Vec<Vec<Vec<Option<f64>>>> = by_indicator
        .iter()
        .map(|values| {
            regions
                .iter()
                .map(|(key, _)| {
                    let own = values
                        .get(key)
                        .or_else(|| values.get(key.get(..5).unwrap_or_default()));
                    years
                        .iter()
                        .map(|y| own.and_then(|v| v.get(y)).copied())
                        .collect()
                })
                .collect()
        })
        .collect();
    let panel = Panel {
        years: years.iter().map(|y| i32::from(*y)).collect(),
        regions: regions.len(),
        values,
    };
    let dimensions: Vec<Dimension> = ["Bildung", "Erwerb", "Einkommen"]
        .iter()
        .map(|d| Dimension {
            name: (*d).to_owned(),
            indicators: (0..GISD_INPUTS.len())
                .filter(|&i| GISD_INPUTS[i].3 == *d)
                .collect(),
            directions: GISD_INPUTS
                .iter()
                .filter(|g| g.3 == *d)
                .map(|g| g.2)
                .collect(),
        })
        .collect();
    let index = deprivation(&panel, &dimensions)?;
    Ok(GisdRun {
        regions,
        years: panel.years,
        index,
    })
}

/// Prints the index's method (inputs, weights, explained variance) and the Gemeindeverbände of
/// `kreis` with their index and quintile in the first and last year (German).
pub fn index(data: Option<&Path>, kreis: &str) -> Result<()> {
    let data = crate::demo::data_dir(data)?;
    let run = gisd(&data)?;
    let (first, last) = (
        run.years.first().copied().unwrap_or(0),
        run.years.last().copied().unwrap_or(0),
    );
    println!(
        "Deprivationsindex nach der Methode des GISD (RKI): {} Gemeindeverbände Deutschlands, {first}–{last}, INKAR 2018",
        run.regions.len()
    );
    println!(
        "Lücken geschlossen: {} aus der eigenen Reihe, {} mit dem Mittel des Jahres",
        run.index.interpolated, run.index.from_year_mean
    );
    for (d, name) in ["Bildung", "Erwerb", "Einkommen"].iter().enumerate() {
        let factor = &run.index.factors[d];
        println!(
            "Dimension {name}: erklärte Varianz {} %",
            german_number(factor.explained * 100.0, 1)
        );
        for (i, g) in GISD_INPUTS.iter().filter(|g| g.3 == *name).enumerate() {
            println!(
                "  {:<42} Ladung {:>6}  Gewicht {:>6}",
                g.1,
                german_number(factor.loadings[i], 3),
                german_number(factor.weights[i], 3)
            );
            // The factor follows the data: an indicator may load against the direction it was
            // chosen for, which the method page must say rather than hide.
            if factor.loadings[i] * g.2 < 0.0 {
                println!(
                    "    Achtung: Diese Ladung widerspricht der Richtung, für die der Indikator gewählt ist."
                );
            }
        }
    }
    println!(
        "Gemeindeverbände des Kreises {kreis} (Index 0–1, 1 = am stärksten benachteiligt; Quintil 5 = das am stärksten benachteiligte Fünftel):"
    );
    let last_y = run.years.len().saturating_sub(1);
    for (r, (key, name)) in run
        .regions
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| k.starts_with(kreis))
    {
        println!(
            "  {key}  {name:<40} {first}: {} (Quintil {})  {last}: {} (Quintil {})",
            german_number(run.index.normalised[r][0], 3),
            run.index.quintile[r][0],
            german_number(run.index.normalised[r][last_y], 3),
            run.index.quintile[r][last_y]
        );
    }
    Ok(())
}

/// Cached values of an indicator by region key and year (numbers only).
fn values_of(store: &Database, indicator: &str) -> Result<BTreeMap<String, BTreeMap<u16, f64>>> {
    let mut out: BTreeMap<String, BTreeMap<u16, f64>> = BTreeMap::new();
    for row in store.results(indicator)?.unwrap_or_default() {
        if let Cell::Num(v) = row.cell {
            out.entry(row.region).or_default().insert(row.year, v);
        }
    }
    Ok(out)
}

/// Prints the unusual changes of `indicator` in the municipalities of `kreis` and the Kreis's
/// own trend (German; internal values, so for the planners only).
pub fn unusual(store: &Database, indicator: &str, kreis: &str) -> Result<()> {
    let entry = store
        .indicators()?
        .into_iter()
        .find(|e| e.key == indicator)
        .with_context(|| format!("no indicator {indicator} in the catalogue"))?;
    let values = values_of(store, indicator)?;
    anyhow::ensure!(
        !values.is_empty(),
        "no values of {indicator} computed (run `sozialmonitor compute --all`)"
    );
    let population = values_of(store, "bevoelkerung")?;
    let municipalities: Vec<(&String, &BTreeMap<u16, f64>)> = values
        .iter()
        .filter(|(k, _)| k.len() == 8 && k.starts_with(kreis))
        .collect();
    let years: Vec<u16> = {
        let mut y: Vec<u16> = municipalities
            .iter()
            .flat_map(|(_, v)| v.keys().copied())
            .collect();
        y.sort_unstable();
        y.dedup();
        y
    };
    let series: Vec<Series> = municipalities
        .iter()
        .map(|(k, v)| Series {
            values: years.iter().map(|y| v.get(y).copied()).collect(),
            bases: years
                .iter()
                .map(|y| population.get(*k).and_then(|p| p.get(y)).copied())
                .collect(),
        })
        .collect();
    // The noise of a rate needs the size of the population it refers to: known here only when
    // that is the whole population. Counts change with the size of the municipality, so they
    // are compared in per cent; other units (years, euros, km) as they are.
    let scale = rate_scale(&entry.unit).filter(|_| refers_to_everyone(&entry.reference_population));
    let check = Check {
        scale,
        relative: is_count_unit(&entry.unit),
        ..Check::default()
    };
    let year_numbers: Vec<i32> = years.iter().map(|y| i32::from(*y)).collect();
    let name_of = |key: &str| {
        store
            .region(key)
            .ok()
            .flatten()
            .map_or_else(|| key.to_owned(), |r| r.name)
    };
    println!(
        "Auffällige Entwicklungen: {} ({}), {} Gemeinden des Kreises {}, {} Jahre",
        entry.name,
        entry.unit,
        municipalities.len(),
        name_of(kreis),
        years.len()
    );
    if rate_scale(&entry.unit).is_some() && scale.is_none() {
        println!(
            "Hinweis: Die Bezugsgröße ist nicht die ganze Bevölkerung ({}); das Rauschen kleiner Zahlen ist nicht berücksichtigt.",
            entry.reference_population
        );
    }
    if let Some(own) = values.get(kreis) {
        let points: Vec<(f64, f64)> = own.iter().map(|(y, v)| (f64::from(*y), *v)).collect();
        if let Some(t) = Trend::fit(&points) {
            println!(
                "Trend des Kreises: {} je Jahr (95-%-Intervall {} bis {}), {}",
                german_number(t.slope, 3),
                german_number(t.lower, 3),
                german_number(t.upper, 3),
                if t.is_clear() {
                    "über das Rauschen hinaus"
                } else {
                    "nicht vom Rauschen zu unterscheiden"
                }
            );
        }
    }
    let flags = check.flags(&year_numbers, &series);
    if flags.is_empty() {
        println!("Keine Veränderung weicht stärker ab, als Zufall und kleine Zahlen erklären.");
    }
    for f in &flags {
        let (key, v) = municipalities[f.region];
        let (before, after) = (years[f.year - 1], years[f.year]);
        let z = |z: Option<f64>| z.map_or_else(|| "–".to_owned(), |z| german_number(z, 1));
        println!(
            "  {}: {before}–{after} {} (von {} auf {}; z gegen die eigene Entwicklung {}, gegen die anderen Gemeinden {})",
            name_of(key),
            f.words(),
            german_number(v.get(&before).copied().unwrap_or(f64::NAN), 1),
            german_number(v.get(&after).copied().unwrap_or(f64::NAN), 1),
            z(f.own),
            z(f.peers)
        );
    }
    Ok(())
}

/// The INKAR 2024 indicators of the typology (as the core's scikit-learn fixture has them),
/// with their German names; the density enters as its logarithm, as it spans three orders of
/// magnitude.
pub const TYPOLOGY_INDICATORS: [(&str, &str); 4] = [
    ("q_bev_fl", "Einwohnerdichte (logarithmiert)"),
    ("a_bevd150_", "Ländlichkeit"),
    ("q_hausarzt_bev", "Hausärzte je 10.000 Einwohner"),
    (
        "q_PBG_bev",
        "Personen in SGB-II-Bedarfsgemeinschaften je 1.000 Einwohner",
    ),
];

/// A municipality with its typology inputs.
pub struct TypologyInput {
    /// Its name as INKAR gives it.
    pub name: String,
    /// Its values in the order of [`TYPOLOGY_INDICATORS`].
    pub values: Vec<f64>,
}

/// The municipalities of `lands` in 2021 with every typology indicator, in key order.
pub fn typology_inputs(data: &Path, lands: &[&str]) -> Result<Vec<TypologyInput>> {
    let ds = load(data, "inkar/inkar2024/derived_inkar2024_SN_ST_long.csv.gz")?;
    let mut by_region: BTreeMap<String, (String, [Option<f64>; 4])> = BTreeMap::new();
    for o in &ds.observations {
        let key = ds.region_keys[o.region as usize].as_str();
        let code = ds.measures[o.measure as usize]
            .code
            .trim_start_matches("INKAR_");
        let Some(i) = TYPOLOGY_INDICATORS.iter().position(|(c, _)| *c == code) else {
            continue;
        };
        if key.len() == 8 && lands.iter().any(|l| key.starts_with(l)) && o.period.year() == 2021 {
            let name = ds.region_names[o.region as usize]
                .clone()
                .unwrap_or_default();
            by_region
                .entry(key.to_owned())
                .or_insert_with(|| (name, [None; 4]))
                .1[i] = o.value.number;
        }
    }
    Ok(by_region
        .into_iter()
        .filter_map(|(_, (name, v))| {
            let [Some(density), Some(rural), Some(gp), Some(sgb2)] = v else {
                return None;
            };
            (density > 0.0).then(|| TypologyInput {
                name,
                values: vec![density.log10(), rural, gp, sgb2],
            })
        })
        .collect())
}

/// Prints the typology of the municipalities of Saxony and Saxony-Anhalt (German).
pub fn typology(data: Option<&Path>) -> Result<()> {
    let data = crate::demo::data_dir(data)?;
    let inputs = typology_inputs(&data, &LANDS)?;
    let rows: Vec<Vec<f64>> = inputs.iter().map(|m| m.values.clone()).collect();
    let points = Points::standardised(&rows, TYPOLOGY_INDICATORS.len())?;
    let t = Typology::compute(&points, TypologyOptions::default())?;
    let names: Vec<&str> = TYPOLOGY_INDICATORS.iter().map(|(_, n)| *n).collect();
    println!(
        "Typisierung der Gemeinden Sachsens und Sachsen-Anhalts: {} Gemeinden, INKAR 2024 (Stand 2021), k-Means mit standardisierten Merkmalen",
        inputs.len()
    );
    println!("Merkmale: {}", names.join(", "));
    println!("Anzahl der Typen (gewählt: beste Silhouette):");
    for c in &t.candidates {
        println!(
            "  k = {}  Silhouette {:>6}  Gap {:>6} (± {})  {}",
            c.k,
            german_number(c.silhouette, 3),
            german_number(c.gap.gap, 3),
            german_number(c.gap.error, 3),
            if c.k == t.k { "← gewählt" } else { "" }
        );
    }
    if let Some(k) = t.gap_k {
        println!("Die Gap-Regel (Tibshirani) hätte k = {k} gewählt.");
    }
    println!(
        "Übereinstimmung mit dem Ward-Verfahren (bereinigter Rand-Index): {}",
        german_number(t.agreement, 3)
    );
    for (type_index, size) in t.partition.sizes().into_iter().enumerate() {
        let examples: Vec<&str> = inputs
            .iter()
            .zip(&t.partition.labels)
            .filter(|(_, l)| **l == type_index)
            .take(3)
            .map(|(m, _)| m.name.as_str())
            .collect();
        println!(
            "Typ {}: {size} Gemeinden, Stabilität {} % – {} (z. B. {})",
            type_index + 1,
            german_number(t.stability_of(type_index) * 100.0, 0),
            t.describe(type_index, &names),
            examples.join(", ")
        );
    }
    let unstable = t.stability.iter().filter(|s| **s < 0.8).count();
    println!(
        "Gemeinden, die in weniger als 80 % der Bootstrap-Stichproben ihren Typ behalten: {unstable}"
    );
    Ok(())
}

/// Totals per region in a dataset's observations of `year` without breakdown.
fn totals(ds: &Dataset, year: u16) -> BTreeMap<String, f64> {
    ds.observations
        .iter()
        .filter(|o| o.period.year() == year && ds.breakdowns[o.breakdown as usize].is_total())
        .filter_map(|o| {
            Some((
                ds.region_keys[o.region as usize].as_str().to_owned(),
                o.value.number?,
            ))
        })
        .collect()
}

/// The municipalities of `lands` ready to project from the published tables of `year` in
/// `data` (the demo data folder), as `core::analysis::demography` derives them.
pub fn projection_inputs(data: &Path, year: u16, lands: &[&str]) -> Result<Vec<Municipality>> {
    let table = |code: &str| load(data, &format!("genesis/table-csv/{code}_00.csv.gz"));
    let (kreis_ages, municipal_ages) = (table("12411-04-02-4")?, table("12411-02-03-5")?);
    let (births, deaths) = (table("12612-01-01-4")?, table("12613-01-01-4")?);
    let (migration, kreis_migration) = (table("12711-01-03-5")?, table("12711-05-02-4")?);
    let sources = Sources {
        kreis_ages: &kreis_ages,
        municipal_ages: &municipal_ages,
        births: &births,
        deaths: &deaths,
        migration: &migration,
        kreis_migration: Some(&kreis_migration),
    };
    let inputs = municipalities(&sources, year, lands);
    anyhow::ensure!(
        !inputs.is_empty(),
        "no municipality of {lands:?} with age groups of {year}"
    );
    Ok(inputs)
}

/// The back-test's comparisons: per municipality against the Zensus 2022 and per Kreis against
/// the Fortschreibung of 31.12.2024.
pub struct Backtest {
    /// Municipalities projected.
    pub projected: usize,
    /// Municipalities of Kreise without a merger between 2015 and the Zensus.
    pub municipalities: Vec<Comparison>,
    /// Kreise, each the sum of its municipalities of 2015.
    pub kreise: Vec<Comparison>,
}

/// Runs the back-test on the published tables in `data` (the demo data folder).
pub fn backtest(data: &Path) -> Result<Backtest> {
    let inputs = projection_inputs(data, BASE, &LANDS)?;
    let census: BTreeMap<String, f64> = totals(
        &load(
            data,
            "genesis/ffcsv/1000A-0000_1773175153999_de_flat.csv.gz",
        )?,
        2022,
    )
    .into_iter()
    // The importer keys the Zensus's municipalities by their AGS already.
    .filter(|(k, _)| k.len() == 8)
    .collect();
    // A municipality that absorbed another between 2015 and the Zensus kept its key but not
    // its territory; as the register is not consulted here, every municipality of a Kreis in
    // which a key of 2015 is gone by 2022 is left out of the comparison (the Kreis sums are not
    // affected).
    let changed: std::collections::BTreeSet<&str> = inputs
        .iter()
        .filter(|m| !census.contains_key(&m.key))
        .filter_map(|m| m.key.get(..5))
        .collect();
    let kreis_2024: BTreeMap<String, f64> = by_sex(
        &load(
            data,
            "genesis/ffcsv/12411-01-01-4_1773175772751_de_flat.csv.gz",
        )?,
        "",
        2024,
    )
    .into_iter()
    .map(|(k, [m, f])| (k, m + f))
    .collect();
    let mut municipal = Vec::new();
    let mut kreise: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for m in &inputs {
        let mut by_year: BTreeMap<i32, f64> = BTreeMap::new();
        project_each(
            &m.base,
            i32::from(BASE),
            2024,
            &m.assumptions,
            Variant::Main,
            |y| {
                by_year.insert(y.year, y.population.total());
            },
        );
        let base = m.base.total();
        let unchanged = m.key.get(..5).is_some_and(|k| !changed.contains(k));
        if let (true, Some(published), Some(a), Some(b)) = (
            unchanged,
            census.get(&m.key),
            by_year.get(&2021),
            by_year.get(&2022),
        ) {
            let projected = a + (b - a) * CENSUS_DAY;
            municipal.push(Comparison {
                key: m.key.clone(),
                base,
                projected,
                published: *published,
            });
        }
        let kreis = kreises_entry(&mut kreise, &m.key);
        kreis.0 += base;
        kreis.1 += by_year.get(&2024).copied().unwrap_or(0.0);
    }
    let kreise = kreise
        .into_iter()
        .filter_map(|(k, (base, projected))| {
            Some(Comparison {
                published: *kreis_2024.get(&k)?,
                key: k,
                base,
                projected,
            })
        })
        .collect();
    Ok(Backtest {
        projected: inputs.len(),
        municipalities: municipal,
        kreise,
    })
}

fn kreises_entry<'a>(
    kreise: &'a mut BTreeMap<String, (f64, f64)>,
    key: &str,
) -> &'a mut (f64, f64) {
    kreise
        .entry(key.get(..5).unwrap_or(key).to_owned())
        .or_default()
}

fn percent(e: f64) -> String {
    format!(
        "{}{} %",
        if e > 0.0 { "+" } else { "" },
        german_number(e, 1)
    )
}

fn line(label: &str, e: &Error) -> String {
    format!(
        "  {label:<28} {:>4}  mittlerer Fehler {:>8}  mittlerer absoluter Fehler {:>7}",
        e.count,
        percent(e.mean_percentage),
        format!("{} %", german_number(e.mean_absolute_percentage, 1))
    )
}

/// Prints the back-test (German, as the method page will show it).
pub fn run(data: Option<&Path>) -> Result<()> {
    let data = crate::demo::data_dir(data)?;
    let b = backtest(&data)?;
    println!(
        "Rückrechnung der Bevölkerungsvorausberechnung: Basis 31.12.{BASE}, {} Gemeinden Sachsens und Sachsen-Anhalts, Hauptvariante",
        b.projected
    );
    println!(
        "Gemeinden gegen den Zensus 2022 (15.05.2022), nach Größenklasse {BASE} (ohne die Kreise mit Gemeindefusionen seit {BASE}):"
    );
    for (class, e) in errors_by(&b.municipalities, |c| size_class(c.base)) {
        println!("{}", line(SIZE_CLASSES[class].1, &e));
    }
    if let Some(e) = Error::of(
        &b.municipalities
            .iter()
            .map(|c| (c.projected, c.published))
            .collect::<Vec<_>>(),
    ) {
        println!("{}", line("alle", &e));
    }
    println!("Kreise gegen die Fortschreibung zum 31.12.2024:");
    for c in &b.kreise {
        let e = (c.projected - c.published) / c.published * 100.0;
        println!(
            "  {}  vorausberechnet {:>9}  veröffentlicht {:>9}  Fehler {:>8}",
            c.key,
            german_number(c.projected, 0),
            german_number(c.published, 0),
            percent(e)
        );
    }
    if let Some(e) = Error::of(
        &b.kreise
            .iter()
            .map(|c| (c.projected, c.published))
            .collect::<Vec<_>>(),
    ) {
        println!("{}", line("alle Kreise", &e));
    }
    Ok(())
}
