//! `compute --all` (every catalogue indicator for every region and year into the cache) and
//! `indicator KEY` (one indicator with comparisons and map classes, from the cache).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use sozialmonitor_core::classify::{Method, classify, compare};
use sozialmonitor_core::engine::Cell;
use sozialmonitor_core::format::{german_number, unit_decimals};
use sozialmonitor_core::frame::{Frame, Grid, Series};
use sozialmonitor_core::indicators::{
    Computed, Views, computable, compute_all, input_measures, measure_rules,
};
use sozialmonitor_store::{Database, ResultRow, Results, Store, Territory};

use crate::table::Table;

pub use sozialmonitor_core::indicators::YEARS;

/// What one full computation produced.
pub struct Run {
    /// Both territories, internal and protected (the public results come from these).
    pub views: Views,
    /// The territory computed.
    pub territory: Territory,
    /// Results per indicator.
    pub computed: Vec<Computed>,
    /// Seconds spent loading, protecting, computing, saving.
    pub seconds: (f64, f64, f64, f64),
    /// Values stored (0 when not saved).
    pub stored: usize,
    /// The data version the inputs were read at.
    pub data_version: i64,
}

impl Run {
    /// The internal frame of the territory computed.
    pub fn frame(&self) -> &Frame {
        self.views.territory(self.territory == Territory::Today).0
    }
}

/// Computes every available catalogue indicator for every region and year and replaces the cache.
pub fn compute_and_cache(store: &mut Database, territory: Territory) -> Result<Run> {
    let mut run = compute(store, territory)?;
    save(store, &mut run)?;
    Ok(run)
}

/// Computes every available catalogue indicator for every region and year from one read of the
/// data as published: both territories are protected together, whichever is computed.
pub fn compute(store: &Database, territory: Territory) -> Result<Run> {
    let entries = store.indicators()?;
    let formulas = computable(&entries);
    let measures = input_measures(&formulas);
    let t0 = Instant::now();
    let (raw, data_version) = store.frame_at(&measures, YEARS, Territory::AsPublished)?;
    let t1 = Instant::now();
    let views = Views::protect(raw, |f| measure_rules(&formulas, f))
        .map_err(|e| anyhow::anyhow!("catalogue: {e}"))?;
    let t2 = Instant::now();
    let (internal, public) = views.territory(territory == Territory::Today);
    let computed = compute_all(internal, public, &formulas);
    let t3 = Instant::now();
    Ok(Run {
        views,
        data_version,
        territory,
        computed,
        seconds: (
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            (t3 - t2).as_secs_f64(),
            0.0,
        ),
        stored: 0,
    })
}
/// Replaces the cache with the results of a run, labelled with the data version it read.
pub fn save(store: &mut Database, run: &mut Run) -> Result<()> {
    let t = Instant::now();
    let grid = run.frame().grid();
    let mut rows = Vec::new();
    for c in &run.computed {
        for i in c.internal.present() {
            let o = c.internal.get(i);
            if o.cell == Cell::Missing {
                continue;
            }
            let (r, col) = (i / grid.years(), i % grid.years());
            rows.push(ResultRow {
                indicator: c.key.clone(),
                region: grid.key(r).to_string(),
                year: grid.year(col),
                cell: o.cell,
                incomplete: o.incomplete,
                suppressed: c.public.suppressed(i),
                equivalent: c.equivalent.binary_search(&i).is_ok(),
            });
        }
    }
    run.stored = store.save_results(&Results {
        territory: run.territory,
        years: YEARS,
        data_version: run.data_version,
        rows,
    })?;
    run.seconds.3 = t.elapsed().as_secs_f64();
    Ok(())
}

/// Makes sure the cache is computed from the current data on the chosen territory.
pub fn ensure_cache(store: &mut Database, territory: Territory) -> Result<()> {
    // A publication holds no observations to compute from; it is served as published.
    if store.is_publication()? {
        return Ok(());
    }
    if !cache_is_fresh(store, territory)? {
        compute_and_cache(store, territory)?;
    }
    Ok(())
}

/// Whether the cache was computed from the newest import on this territory.
pub fn cache_is_fresh(store: &Database, territory: Territory) -> Result<bool> {
    Ok(matches!(store.cache_state()?, Some((v, now, t)) if v == now && t == territory))
}

/// `compute --all`.
pub fn all(store: &mut Database, territory: Territory) -> Result<ExitCode> {
    let run = compute_and_cache(store, territory)?;
    let g = run.frame().grid();
    println!(
        "{} Indikatoren × {} Gebiete × {} Jahre ({}–{}), {}",
        run.computed.len(),
        german_number(g.len() as f64, 0),
        g.years(),
        g.year(0),
        g.year(g.years() - 1),
        territory.label_de()
    );
    println!(
        "{} Werte gespeichert; Geheimhaltung (beide Gebietsstände gemeinsam): {} primär, {} sekundär gesperrte Eingangswerte",
        german_number(run.stored as f64, 0),
        german_number(run.views.protection.primary as f64, 0),
        german_number(run.views.protection.secondary as f64, 0)
    );
    println!(
        "Laden {:.2} s, Geheimhaltung {:.2} s, Berechnen {:.2} s, Speichern {:.2} s",
        run.seconds.0, run.seconds.1, run.seconds.2, run.seconds.3
    );
    Ok(ExitCode::SUCCESS)
}

/// Options of `indicator`.
pub struct Show {
    /// Indicator key.
    pub key: String,
    /// Regions (empty: the Länder).
    pub regions: Vec<String>,
    /// Also their children.
    pub children: bool,
    /// Year (default: the latest with values).
    pub year: Option<u16>,
    /// Territory.
    pub territory: Territory,
    /// Public view: suppressed values show as `.`.
    pub public: bool,
    /// Class count.
    pub classes: usize,
    /// Class method.
    pub method: Method,
    /// Years for the change column.
    pub change: usize,
}

fn series_from_rows(grid: &Grid, rows: &[ResultRow], public: bool) -> Series {
    let mut s = Series::missing(grid.len(), grid.years());
    for r in rows {
        let (Some(reg), Some(col)) = (
            sozialmonitor_core::RegionKey::parse(&r.region)
                .ok()
                .and_then(|k| grid.region(&k)),
            grid.col(r.year),
        ) else {
            continue;
        };
        let i = grid.at(reg, col);
        s.set(
            i,
            sozialmonitor_core::engine::Outcome {
                cell: r.cell,
                incomplete: r.incomplete,
            },
        );
        if public && r.suppressed {
            s.suppress(i);
        }
    }
    s
}

fn show_cell(c: Cell, decimals: usize) -> String {
    match c {
        Cell::Num(n) => german_number(n, decimals),
        Cell::Sym(s) => s.as_str().to_string(),
        Cell::Missing => "–".into(),
    }
}

/// `indicator KEY`.
pub fn show(store: &mut Database, o: &Show) -> Result<ExitCode> {
    let entry = store
        .indicators()?
        .into_iter()
        .find(|e| e.key == o.key)
        .with_context(|| format!("no indicator `{}` in the catalogue", o.key))?;
    ensure_cache(store, o.territory)?;
    let rows = store
        .results(&o.key)?
        .filter(|r| !r.is_empty())
        .with_context(|| {
            format!(
                "indicator `{}` has no computed values (status {:?}); see `sozialmonitor catalog show {}`",
                o.key, entry.status, o.key
            )
        })?;
    if o.public && !entry.public {
        anyhow::bail!("indicator `{}` is for internal use only", o.key);
    }
    let grid = grid_of(store, o.territory)?;
    let s = series_from_rows(&grid, &rows, o.public);
    let year = o
        .year
        .or_else(|| rows.iter().map(|r| r.year).max())
        .context("no year")?;
    let col = grid
        .col(year)
        .with_context(|| format!("year {year} is outside {}–{}", YEARS.0, YEARS.1))?;
    let mut regions: Vec<usize> = Vec::new();
    let wanted: Vec<String> = if o.regions.is_empty() {
        (1..=16).map(|l| format!("{l:02}")).collect()
    } else {
        o.regions.clone()
    };
    for r in &wanted {
        let key = sozialmonitor_core::RegionKey::parse(r)
            .with_context(|| format!("bad --region `{r}`"))?;
        let i = grid
            .region(&key)
            .with_context(|| format!("region {r} is not in the hierarchy"))?;
        regions.push(i);
        if o.children {
            regions.extend(grid.parts(i, col));
        }
    }
    let decimals = unit_decimals(&entry.unit);
    // Classes over the regions shown below their parents (the map of a Kreis's Gemeinden).
    let mapped: Vec<usize> = if o.children && regions.len() > 1 {
        regions[1..].to_vec()
    } else {
        regions.clone()
    };
    let values: Vec<f64> = mapped
        .iter()
        .filter_map(|&r| s.number(grid.at(r, col)))
        .collect();
    let classes = classify(&values, &o.method, o.classes);
    println!(
        "{} ({}), {}, {}{}",
        entry.name,
        entry.unit,
        year,
        o.territory.label_de(),
        if o.public {
            ", öffentliche Sicht"
        } else {
            ", interne Sicht (enthält vertrauliche Werte)"
        }
    );
    let mut t = Table::new(&[
        "Region",
        "Name",
        "Wert",
        "Übergeordnet",
        "Land",
        "Rang",
        &format!("Veränd. {} J.", o.change),
        "Klasse",
        "Hinweis",
    ]);
    for &r in &regions {
        let c = compare(&grid, &s, r, col, o.change);
        let name = store
            .region(grid.key(r).as_str())?
            .map(|x| x.name)
            .unwrap_or_default();
        let i = grid.at(r, col);
        let mut note = Vec::new();
        if s.get(i).incomplete {
            note.push("unvollständig");
        }
        if s.suppressed(i) {
            note.push("gesperrt (Geheimhaltung)");
        } else if !o.public && rows_suppressed(&rows, grid.key(r).as_str(), year) {
            note.push("vertraulich");
        }
        // The value of the published equivalent, not our computation (see `catalog show`).
        if row_at(&rows, grid.key(r).as_str(), year).is_some_and(|x| x.equivalent) {
            note.push("Quelle: INKAR");
        }
        t.row(vec![
            grid.key(r).to_string(),
            name,
            show_cell(c.value, decimals),
            c.parent
                .map(|p| show_cell(p.1, decimals))
                .unwrap_or_default(),
            c.land.map(|p| show_cell(p.1, decimals)).unwrap_or_default(),
            c.rank.map(|(a, b)| format!("{a}/{b}")).unwrap_or_default(),
            c.change
                .map(|d| {
                    format!(
                        "{}{}",
                        if d > 0.0 { "+" } else { "" },
                        german_number(d, decimals)
                    )
                })
                .unwrap_or_default(),
            match c.value {
                Cell::Num(v) if !classes.is_empty() && mapped.contains(&r) => {
                    format!("{}", classes.class_of(v) + 1)
                }
                _ => String::new(),
            },
            note.join(", "),
        ]);
    }
    print!("{}", t.render_right(&[2, 3, 4, 5, 6, 7]));
    if !classes.is_empty() {
        let b = &classes.bounds;
        let labels: Vec<String> = (0..classes.len())
            .map(|k| {
                format!(
                    "{}: {} bis {}",
                    k + 1,
                    german_number(b[k], decimals + 1),
                    german_number(b[k + 1], decimals + 1)
                )
            })
            .collect();
        println!("Klassen ({}): {}", o.method.label_de(), labels.join("; "));
    }
    Ok(ExitCode::SUCCESS)
}

fn rows_suppressed(rows: &[ResultRow], region: &str, year: u16) -> bool {
    row_at(rows, region, year).is_some_and(|r| r.suppressed)
}

/// The cached row of a region and year.
fn row_at<'a>(rows: &'a [ResultRow], region: &str, year: u16) -> Option<&'a ResultRow> {
    rows.iter().find(|r| r.region == region && r.year == year)
}

/// The grid of the store (regions and their hierarchy on a territory), without any series.
pub fn grid_of(store: &Database, territory: Territory) -> Result<Grid> {
    Ok(store.frame(&[], YEARS, territory)?.grid().clone())
}
