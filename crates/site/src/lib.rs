//! What the dashboard shows, loaded once from the store: regions, the public side of the results
//! cache, the catalogue and the boundaries. Requests never touch the database, so pages are
//! fast and a suppressed value cannot be read from anywhere but the public results.

use anyhow::{Context, Result};
use rustc_hash::FxHashMap;
use sozialmonitor_core::catalog::{INKAR_PREFIX, IndicatorEntry, IndicatorStatus, SeriesBreak};
use sozialmonitor_core::engine::Cell;
use sozialmonitor_core::format::{german_number, unit_decimals};
use sozialmonitor_core::{Content, RegionLevel, Symbol};
use sozialmonitor_store::{Database, ImportBatch, ResultRow, Store};
use sozialmonitor_viz::map::{Shape, parse_geometry};

pub mod directory;
pub mod facts;
pub mod planning;
pub mod typology;

/// A region.
#[derive(Debug, Clone)]
pub struct Region {
    /// Key (AGS, Kreis, Land, `DG`).
    pub key: String,
    /// Official name.
    pub name: String,
    /// Level.
    pub level: RegionLevel,
    /// The region above it.
    pub parent: Option<usize>,
    /// Still exists (not merged away).
    pub current: bool,
    /// Postcode of the administration.
    pub postcode: Option<String>,
}

/// A public value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pub {
    /// A number.
    Num(f64),
    /// A symbol published by the statistical office.
    Sym(Symbol),
    /// Suppressed by our confidentiality rules.
    Secret,
}

/// An indicator with its public values.
#[derive(Debug)]
pub struct Indicator {
    /// Catalogue entry.
    pub entry: IndicatorEntry,
    /// (region index, year) → public value.
    pub values: FxHashMap<(u32, u16), Pub>,
    /// Years with at least one number.
    pub years: Vec<u16>,
    /// Decimal places to show.
    pub decimals: usize,
    /// (region index, year) of the numbers that are sums with missing parts, sorted. Few cells
    /// are, so a sorted list is smaller than a flag beside every value.
    pub incomplete_cells: Vec<(u32, u16)>,
    /// (region index, year) of the values taken from the published equivalent (INKAR) where our
    /// own computation has none, sorted.
    pub equivalent_cells: Vec<(u32, u16)>,
    /// Where those come from, as said beside them (`INKAR 2024, BBSR Bonn`).
    pub equivalent_source: String,
    /// The breaks in its time series with the regions they concern.
    pub breaks: Vec<ScopedBreak>,
}

/// A break in an indicator's time series and the regions it concerns.
#[derive(Debug)]
pub struct ScopedBreak {
    /// The break as the catalogue records it.
    pub brk: SeriesBreak,
    /// Indices of the regions it concerns, sorted; `None` for every region.
    regions: Option<Vec<u32>>,
}

impl ScopedBreak {
    /// The break with its scope resolved against the regions.
    pub fn new(brk: SeriesBreak, regions: &[Region]) -> ScopedBreak {
        let regions = (!brk.levels.is_empty() || !brk.regions.is_empty()).then(|| {
            (0..regions.len() as u32)
                .filter(|&i| {
                    let r = &regions[i as usize];
                    brk.covers(r.level, &r.key)
                })
                .collect()
        });
        ScopedBreak { brk, regions }
    }

    /// Whether it concerns a region.
    pub fn covers(&self, region: usize) -> bool {
        self.regions
            .as_ref()
            .is_none_or(|rs| rs.binary_search(&(region as u32)).is_ok())
    }
}

/// What a change across a break is called in tables and sentences („Zeitreihenbruch: Zensus
/// 2022“); the title of the break follows.
pub const BREAK_WORDS: &str = "Zeitreihenbruch";

/// The mark before the first value after a break, as in the official statistics' legend
/// („grundsätzliche Änderung innerhalb einer Reihe, die den zeitlichen Vergleich beeinträchtigt“).
pub const BREAK_MARK: &str = "|";

/// The mark after a number that is a sum over parts of which some had no value; like `.` for a
/// suppressed value, a reader finds it explained in every legend and footer.
pub const INCOMPLETE_MARK: &str = "*";

/// What is said beside a change between two years whose values come from different sources:
/// INKAR counts SGB II after the Bundesagentur's 2016 revision, our own computation before it.
pub const SOURCE_CHANGE: &str = "Quellenwechsel, nur eingeschränkt vergleichbar";

/// What [`INCOMPLETE_MARK`] means, for tooltips and screen readers.
pub const INCOMPLETE_MEANING: &str = "unvollständig: nicht alle Teilgebiete haben Werte";

/// The public value of a cache row and whether it is an incomplete sum, `None` for no value.
/// Only a shown number (or `-`, exactly zero) keeps the flag: a symbol or a suppressed cell has
/// no number the mark could qualify, and a mark on a suppressed cell would tell about the parts
/// behind a secret.
fn public_value(row: &ResultRow) -> Option<(Pub, bool)> {
    if row.suppressed {
        return Some((Pub::Secret, false));
    }
    match row.cell {
        Cell::Num(n) => Some((Pub::Num(n), row.incomplete)),
        Cell::Sym(Symbol::Nil) => Some((Pub::Sym(Symbol::Nil), row.incomplete)),
        Cell::Sym(s) => Some((Pub::Sym(s), false)),
        Cell::Missing => None,
    }
}

/// How an indicator's values from its published equivalent are credited: the INKAR codebook
/// entry's source up to its list of underlying statistics (`INKAR 2024, BBSR Bonn`), or INKAR
/// and its publisher where the codebook is not imported.
fn equivalent_label(entry: &IndicatorEntry, inkar_source: &FxHashMap<String, String>) -> String {
    let Some(code) = entry.inkar_code.as_ref() else {
        return String::new();
    };
    inkar_source
        .get(code)
        .and_then(|s| s.split(';').next())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("INKAR, BBSR Bonn")
        .to_string()
}

/// What an import brought, in words for the start page: its statistics with label, code and
/// periods („Bevölkerungsstand (12411-01-01-4), 31.12.1995 bis 31.12.2024“), or what kind of
/// file it was; the file name only where neither is known.
pub fn describe_batch(b: &ImportBatch) -> String {
    const SHOWN: usize = 2;
    if let Some(s) = describe_inkar(&b.contents) {
        return s;
    }
    if !b.contents.is_empty() {
        let mut parts: Vec<String> = b
            .contents
            .iter()
            .take(SHOWN)
            .map(describe_content)
            .collect();
        if b.contents.len() > SHOWN {
            parts.push(match b.contents.len() - SHOWN {
                1 => "eine weitere Statistik".to_string(),
                n => format!("{n} weitere Statistiken"),
            });
        }
        return parts.join("; ");
    }
    let kind = match b.format.as_str() {
        "catalog" => "Indikatorenkatalog",
        "gv100ad" | "gv-auszug" => "Gemeindeverzeichnis",
        "ortsteile" => "Ortsteilverzeichnis",
        "shapefile" | "geojson" => "Gebietsgrenzen",
        "inkar-codebook" => "INKAR-Indikatorenbeschreibungen (BBSR)",
        _ => "",
    };
    let file = std::path::Path::new(&b.file_name)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| b.file_name.clone());
    if kind.is_empty() {
        file
    } else {
        format!("{kind} ({file})")
    }
}

/// INKAR's long file in words: its measures are codes grouped by subject area
/// (`INKAR:sozialleistungen`), so the areas and the years say more than a code; `None` for any
/// other contents.
fn describe_inkar(contents: &[Content]) -> Option<String> {
    let areas: Vec<String> = contents
        .iter()
        .map(|c| {
            c.statistic
                .strip_prefix("INKAR:")
                .map(|a| a.replace('_', " "))
        })
        .collect::<Option<_>>()?;
    if areas.is_empty() {
        return None;
    }
    let period = |s: &str| sozialmonitor_core::Period::parse(s).ok();
    let first = contents.iter().filter_map(|c| period(&c.first)).min()?;
    let last = contents.iter().filter_map(|c| period(&c.last)).max()?;
    let measures: usize = contents.iter().map(|c| c.measures).sum();
    Some(format!(
        "INKAR (BBSR): {measures} Kennzahlen zu {}, {first} bis {last}",
        areas.join(", ")
    ))
}

/// One statistic of an import in words; a statistic of several measures is named by its first
/// and their number.
fn describe_content(c: &Content) -> String {
    let what = match c.measures {
        0 | 1 => c.label.clone(),
        2 => format!("{} und ein weiteres Merkmal", c.label),
        n => format!("{} und {} weitere Merkmale", c.label, n - 1),
    };
    let when = if c.first == c.last {
        c.last.clone()
    } else {
        format!("{} bis {}", c.first, c.last)
    };
    format!("{what} ({}), {when}", c.statistic)
}

impl Indicator {
    /// The indicator from its rows of the results cache (rows of unknown regions are skipped);
    /// `None` if no row has a public value.
    pub fn from_rows(
        entry: IndicatorEntry,
        rows: Vec<ResultRow>,
        by_key: &FxHashMap<String, usize>,
    ) -> Option<Indicator> {
        let mut values = FxHashMap::default();
        let mut years = Vec::new();
        let mut incomplete_cells = Vec::new();
        let mut equivalent_cells = Vec::new();
        for row in rows {
            let Some(&r) = by_key.get(&row.region) else {
                continue;
            };
            let Some((v, flag)) = public_value(&row) else {
                continue;
            };
            if matches!(v, Pub::Num(_)) {
                years.push(row.year);
            }
            if flag {
                incomplete_cells.push((r as u32, row.year));
            }
            if row.equivalent && !matches!(v, Pub::Secret) {
                equivalent_cells.push((r as u32, row.year));
            }
            values.insert((r as u32, row.year), v);
        }
        if values.is_empty() {
            return None;
        }
        years.sort_unstable();
        years.dedup();
        incomplete_cells.sort_unstable();
        incomplete_cells.dedup();
        equivalent_cells.sort_unstable();
        equivalent_cells.dedup();
        let decimals = unit_decimals(&entry.unit);
        Some(Indicator {
            entry,
            values,
            years,
            decimals,
            incomplete_cells,
            equivalent_cells,
            equivalent_source: String::new(),
            breaks: Vec::new(),
        })
    }

    /// The public value of a region in a year.
    pub fn get(&self, region: usize, year: u16) -> Option<Pub> {
        self.values.get(&(region as u32, year)).copied()
    }

    /// The number, if the value is one.
    pub fn num(&self, region: usize, year: u16) -> Option<f64> {
        match self.get(region, year)? {
            Pub::Num(n) => Some(n),
            Pub::Sym(Symbol::Nil) => Some(0.0),
            _ => None,
        }
    }

    /// The value as shown: German number format, the symbol, or `–` for nothing.
    pub fn text(&self, region: usize, year: u16) -> String {
        match self.get(region, year) {
            Some(Pub::Num(n)) => german_number(n, self.decimals),
            Some(Pub::Sym(s)) => s.as_str().to_string(),
            Some(Pub::Secret) => ".".to_string(),
            None => "–".to_string(),
        }
    }

    /// Whether the value is a sum over parts of which some had no value (always `false` for a
    /// suppressed value or a symbol other than `-`).
    pub fn incomplete(&self, region: usize, year: u16) -> bool {
        self.incomplete_cells
            .binary_search(&(region as u32, year))
            .is_ok()
    }

    /// [`Indicator::text`] followed by [`INCOMPLETE_MARK`] where the sum is incomplete: for
    /// plain-text places (chart bars, map tooltips, PDF tables); CSV and the API carry the flag
    /// in a field of its own instead.
    pub fn text_marked(&self, region: usize, year: u16) -> String {
        let mut s = self.text(region, year);
        if self.incomplete(region, year) {
            s.push_str(INCOMPLETE_MARK);
        }
        s
    }

    /// Where a value comes from when it is not our own computation: the published equivalent's
    /// source (`INKAR 2024, BBSR Bonn`), `None` for our own.
    pub fn source_of(&self, region: usize, year: u16) -> Option<&str> {
        self.equivalent_cells
            .binary_search(&(region as u32, year))
            .is_ok()
            .then_some(self.equivalent_source.as_str())
    }

    /// Whether a region's values of two years come from different sources (a change between
    /// them is then not the region's alone, see [`SOURCE_CHANGE`]).
    pub fn sources_differ(&self, region: usize, a: u16, b: u16) -> bool {
        self.source_of(region, a) != self.source_of(region, b)
    }

    /// The break before a region's value of `year` when that value is the first one on the new
    /// basis: the region has a value in `year` and before the break, and none between the break
    /// and `year`.
    pub fn break_at(&self, region: usize, year: u16) -> Option<&SeriesBreak> {
        let has = |y: u16| self.get(region, y).is_some();
        if !has(year) {
            return None;
        }
        self.breaks
            .iter()
            .filter(|b| b.covers(region) && b.brk.year <= year)
            .filter(|b| (b.brk.year..year).all(|y| !has(y)))
            .find(|b| self.years.iter().any(|&y| y < b.brk.year && has(y)))
            .map(|b| &b.brk)
    }

    /// The breaks a change of a region's value between two years crosses, earliest first.
    pub fn breaks_between(&self, region: usize, a: u16, b: u16) -> Vec<&SeriesBreak> {
        let mut v: Vec<&SeriesBreak> = (self.breaks.iter())
            .filter(|x| x.covers(region) && x.brk.between(a, b))
            .map(|x| &x.brk)
            .collect();
        v.sort_by_key(|x| x.year);
        v
    }

    /// What is said beside a change between two years that crosses breaks („Zeitreihenbruch:
    /// Zensus 2022“), `None` where it crosses none.
    pub fn break_note(&self, region: usize, a: u16, b: u16) -> Option<String> {
        let titles: Vec<&str> = self
            .breaks_between(region, a, b)
            .iter()
            .map(|x| x.title.as_str())
            .collect();
        (!titles.is_empty()).then(|| format!("{BREAK_WORDS}: {}", titles.join(", ")))
    }

    /// The latest year with a number.
    pub fn last_year(&self) -> Option<u16> {
        self.years.last().copied()
    }
}

/// Everything the dashboard serves.
pub struct Site {
    /// The district the start page shows.
    pub home: usize,
    /// All regions.
    pub regions: Vec<Region>,
    by_key: FxHashMap<String, usize>,
    children: Vec<Vec<usize>>,
    /// Indicators with public values, in catalogue order.
    pub indicators: Vec<Indicator>,
    ind_by_key: FxHashMap<String, usize>,
    /// Catalogue entries that are planned or missing (the data gaps).
    pub gaps: Vec<IndicatorEntry>,
    /// Boundaries by region index.
    pub shapes: FxHashMap<usize, Shape>,
    /// Successor of a merged municipality.
    pub successor: FxHashMap<usize, usize>,
    /// The latest imports: (what they brought in words, date), newest first.
    pub imports: Vec<(String, String)>,
    /// Date of the data (latest import), for headers and footers.
    pub data_date: String,
    /// The published recommendations and measures of the home district's planning cycles.
    pub planning: planning::PublicPlanning,
    /// The published entries of the home district's directory of social services.
    pub services: Vec<sozialmonitor_store::Service>,
    /// The typology of municipalities on the public values, or why there is none (German).
    pub typology: Result<typology::Types, String>,
}

impl Site {
    /// Loads the site from a store whose results cache is up to date.
    pub fn load(store: &Database, home: &str) -> Result<Site> {
        let infos = store.search_regions("", 10_000_000)?;
        let mut regions: Vec<Region> = Vec::with_capacity(infos.len());
        let mut by_key = FxHashMap::default();
        for r in &infos {
            by_key.insert(r.key.clone(), regions.len());
            regions.push(Region {
                key: r.key.clone(),
                name: r.name.clone(),
                level: r.level,
                parent: None,
                // A municipality or Kreis known only from statistics (never in a register) is
                // history: the Kreise before the reforms of 2007/2008, merged municipalities.
                current: r.valid_to.is_none()
                    && (r.valid_from.is_some()
                        || !matches!(
                            r.level,
                            RegionLevel::Gemeinde
                                | RegionLevel::Gemeindeverband
                                | RegionLevel::Kreis
                        )),
                postcode: r.postcode.clone(),
            });
        }
        let mut children = vec![Vec::new(); regions.len()];
        for (i, r) in infos.iter().enumerate() {
            let p = r.parent.as_ref().and_then(|p| by_key.get(p)).copied();
            regions[i].parent = p;
            if let Some(p) = p
                && regions[i].current
            {
                children[p].push(i);
            }
        }
        for c in &mut children {
            c.sort_by(|a, b| regions[*a].name.cmp(&regions[*b].name));
        }
        let mut successor = FxHashMap::default();
        for (i, r) in regions.iter().enumerate() {
            if r.current || r.level != RegionLevel::Gemeinde {
                continue;
            }
            if let Some(c) = store
                .changes(&r.key)?
                .into_iter()
                .find(|c| c.from_key == r.key)
                && let Some(&to) = by_key.get(&c.to_key)
            {
                successor.insert(i, to);
            }
        }

        let entries = store.indicators()?;
        // The INKAR codebook's entries name the edition and publisher of each INKAR measure.
        let inkar_source: FxHashMap<String, String> = entries
            .iter()
            .filter(|e| e.key.starts_with(INKAR_PREFIX))
            .filter_map(|e| Some((e.inkar_code.clone()?, e.source.clone())))
            .collect();
        let (available, gaps): (Vec<IndicatorEntry>, Vec<IndicatorEntry>) = entries
            .into_iter()
            .partition(|e| e.status == IndicatorStatus::Available);
        let keys: Vec<String> = available.iter().map(|e| e.key.clone()).collect();
        let mut loaded: FxHashMap<String, Indicator> = FxHashMap::default();
        let mut entry_of: FxHashMap<String, IndicatorEntry> =
            available.into_iter().map(|e| (e.key.clone(), e)).collect();
        store.each_results(&keys, &mut |key, rows| {
            let Some(e) = entry_of.remove(key) else {
                return Ok(());
            };
            if let Some(mut ind) = Indicator::from_rows(e, rows, &by_key) {
                ind.equivalent_source = equivalent_label(&ind.entry, &inkar_source);
                ind.breaks = (ind.entry.breaks.iter().cloned())
                    .map(|b| ScopedBreak::new(b, &regions))
                    .collect();
                loaded.insert(key.to_string(), ind);
            }
            Ok(())
        })?;
        // In the catalogue's order, whatever order the store handed them in.
        let indicators: Vec<Indicator> = keys.iter().filter_map(|k| loaded.remove(k)).collect();
        let ind_by_key = indicators
            .iter()
            .enumerate()
            .map(|(i, x)| (x.entry.key.clone(), i))
            .collect();
        let mut shapes = FxHashMap::default();
        for (key, _, geojson) in store.boundaries()? {
            if let (Some(&r), Some(rings)) = (by_key.get(&key), parse_geometry(&geojson)) {
                shapes.insert(r, Shape { key, rings });
            }
        }
        let batches = store.imports()?;
        let data_date = batches
            .iter()
            .map(|b| b.imported_at.get(..10).unwrap_or("").to_string())
            .max()
            .unwrap_or_default();
        let mut imports: Vec<(String, String)> = Vec::new();
        for b in batches.iter().rev() {
            let what = describe_batch(b);
            if imports.len() < 8 && !imports.iter().any(|(n, _)| *n == what) {
                imports.push((what, b.imported_at.get(..10).unwrap_or("").to_string()));
            }
        }
        let planning = planning::PublicPlanning::load(store, home)?;
        let services = {
            use sozialmonitor_store::Services;
            let mut all = store.services(home)?;
            all.retain(|s| s.public);
            all
        };
        let home = *by_key
            .get(home)
            .with_context(|| format!("region {home} is not in the database"))?;
        let mut site = Site {
            home,
            regions,
            by_key,
            children,
            indicators,
            ind_by_key,
            gaps,
            shapes,
            successor,
            imports,
            data_date,
            planning,
            services,
            typology: Err(String::new()),
        };
        site.typology = typology::Types::compute(&site);
        Ok(site)
    }

    /// A region by key.
    pub fn region(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    /// An indicator by key.
    pub fn indicator(&self, key: &str) -> Option<&Indicator> {
        self.ind_by_key.get(key).map(|&i| &self.indicators[i])
    }

    /// The current regions directly below.
    pub fn children(&self, r: usize) -> &[usize] {
        &self.children[r]
    }

    /// The region of a level above (or the region itself).
    pub fn up(&self, r: usize, level: RegionLevel) -> Option<usize> {
        let mut at = Some(r);
        while let Some(i) = at {
            if self.regions[i].level == level {
                return Some(i);
            }
            at = self.regions[i].parent;
        }
        None
    }

    /// The municipalities of a Kreis (current), through Gemeindeverbände where the register
    /// puts them in between.
    pub fn municipalities(&self, kreis: usize) -> Vec<usize> {
        let mut out = Vec::new();
        for &c in self.children(kreis) {
            match self.regions[c].level {
                RegionLevel::Gemeinde => out.push(c),
                RegionLevel::Gemeindeverband => out.extend(
                    self.children(c)
                        .iter()
                        .filter(|&&g| self.regions[g].level == RegionLevel::Gemeinde),
                ),
                _ => {}
            }
        }
        out.sort_by(|a, b| self.regions[*a].name.cmp(&self.regions[*b].name));
        out.dedup();
        out
    }

    /// The Kreise of a Land (current), through Regierungsbezirke.
    pub fn kreise(&self, land: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![land];
        while let Some(r) = stack.pop() {
            for &c in self.children(r) {
                match self.regions[c].level {
                    RegionLevel::Kreis => out.push(c),
                    RegionLevel::Regierungsbezirk => stack.push(c),
                    _ => {}
                }
            }
        }
        out.sort_by(|a, b| self.regions[*a].name.cmp(&self.regions[*b].name));
        out
    }

    /// Region search by name, key or postcode: current regions first, at most `limit`.
    pub fn search(&self, q: &str, limit: usize) -> Vec<usize> {
        let q = q.trim().to_lowercase();
        if q.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(u8, usize)> = self
            .regions
            .iter()
            .enumerate()
            .filter(|(_, r)| r.level != RegionLevel::SubMunicipal)
            .filter_map(|(i, r)| {
                let name = r.name.to_lowercase();
                let rank = if r.key == q {
                    0
                } else if r.postcode.as_deref() == Some(q.as_str()) {
                    1
                } else if name == q || name.starts_with(&format!("{q},")) {
                    2
                } else if name.starts_with(&q) {
                    3
                } else if name.contains(&q) || r.key.starts_with(&q) {
                    4
                } else {
                    return None;
                };
                Some((rank + if r.current { 0 } else { 5 }, i))
            })
            .collect();
        hits.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(
                    self.regions[a.1]
                        .key
                        .len()
                        .cmp(&self.regions[b.1].key.len()),
                )
                .then(self.regions[a.1].name.cmp(&self.regions[b.1].name))
        });
        hits.into_iter().take(limit).map(|(_, i)| i).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(unit: &str) -> IndicatorEntry {
        IndicatorEntry {
            name: "Bevölkerung".into(),
            short_name: "Bevölkerung".into(),
            ..IndicatorEntry::new("bevoelkerung", "", unit)
        }
    }

    fn row(region: &str, year: u16, cell: Cell, incomplete: bool, suppressed: bool) -> ResultRow {
        ResultRow {
            indicator: "bevoelkerung".into(),
            region: region.into(),
            year,
            cell,
            incomplete,
            suppressed,
            equivalent: false,
        }
    }

    #[test]
    fn incomplete_sums_keep_their_flag_and_only_shown_numbers_carry_it() {
        let by_key: FxHashMap<String, usize> = ["14522", "14522010", "14522020"]
            .iter()
            .enumerate()
            .map(|(i, k)| (k.to_string(), i))
            .collect();
        let rows = vec![
            row("14522", 2020, Cell::Num(1234.0), true, false),
            row("14522", 2019, Cell::Num(1200.0), false, false),
            row("14522010", 2020, Cell::Num(7.0), true, true),
            row("14522020", 2020, Cell::Sym(Symbol::Nil), true, false),
            row("14522020", 2019, Cell::Sym(Symbol::Unreliable), true, false),
            row("99999999", 2020, Cell::Num(1.0), true, false),
        ];
        let ind = Indicator::from_rows(entry("Personen"), rows, &by_key).expect("values");
        assert!(ind.incomplete(0, 2020));
        assert!(!ind.incomplete(0, 2019), "a complete sum");
        assert!(!ind.incomplete(0, 2018), "no value at all");
        assert!(!ind.incomplete(1, 2020), "suppressed: nothing to mark");
        assert!(ind.incomplete(2, 2020), "exactly zero is a number");
        assert!(!ind.incomplete(2, 2019), "a symbol has no sum to qualify");
        assert_eq!(
            ind.incomplete_cells.len(),
            2,
            "the unknown region is skipped"
        );
        assert_eq!(ind.text(0, 2020), "1.234", "text stays the plain number");
        assert_eq!(ind.text_marked(0, 2020), "1.234*");
        assert_eq!(ind.text_marked(0, 2019), "1.200");
        assert_eq!(ind.text_marked(1, 2020), ".");
    }

    #[test]
    fn a_value_from_the_published_equivalent_says_its_source_and_a_withheld_one_does_not() {
        let by_key: FxHashMap<String, usize> = [("14522".to_string(), 0)].into_iter().collect();
        let inkar = |year: u16, suppressed: bool| ResultRow {
            equivalent: true,
            ..row("14522", year, Cell::Num(45.9), false, suppressed)
        };
        let rows = vec![
            row("14522", 2015, Cell::Num(50.0), false, false),
            inkar(2022, false),
            inkar(2021, true),
        ];
        let mut e = entry("je 1.000");
        e.inkar_code = Some("q_PBG_bev".into());
        let mut codebook = entry("je 1.000");
        codebook.key = "inkar_q_PBG_bev".into();
        codebook.inkar_code = Some("q_PBG_bev".into());
        codebook.source = "INKAR 2024, BBSR Bonn; Statistik der Bundesagentur für Arbeit".into();
        let sources: FxHashMap<String, String> =
            [("q_PBG_bev".to_string(), codebook.source.clone())]
                .into_iter()
                .collect();
        let mut ind = Indicator::from_rows(e, rows, &by_key).expect("values");
        ind.equivalent_source = equivalent_label(&ind.entry, &sources);
        assert_eq!(ind.source_of(0, 2022), Some("INKAR 2024, BBSR Bonn"));
        assert_eq!(ind.source_of(0, 2015), None, "our own computation");
        assert_eq!(
            ind.source_of(0, 2021),
            None,
            "withheld: no number to credit"
        );
        assert_eq!(
            equivalent_label(&ind.entry, &FxHashMap::default()),
            "INKAR, BBSR Bonn"
        );
    }

    #[test]
    fn a_break_marks_the_first_value_after_it_and_the_changes_across_it_in_its_scope() {
        let keys = ["14", "14522", "15082"];
        let by_key: FxHashMap<String, usize> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.to_string(), i))
            .collect();
        let regions: Vec<Region> = keys
            .iter()
            .map(|k| Region {
                key: k.to_string(),
                name: k.to_string(),
                level: if k.len() == 2 {
                    RegionLevel::Land
                } else {
                    RegionLevel::Kreis
                },
                parent: None,
                current: true,
                postcode: None,
            })
            .collect();
        let mut rows = Vec::new();
        for k in keys {
            for y in [2020, 2021, 2022, 2024] {
                rows.push(row(k, y, Cell::Num(100.0 + f64::from(y)), false, false));
            }
        }
        let mut ind = Indicator::from_rows(entry("Personen"), rows, &by_key).expect("values");
        let brk = |key: &str, year: u16, levels: &[&str], prefixes: &[&str]| SeriesBreak {
            key: key.into(),
            title: key.into(),
            year,
            date: String::new(),
            explanation: "x".into(),
            measures: Vec::new(),
            indicators: Vec::new(),
            all_indicators: true,
            levels: levels.iter().map(|s| s.to_string()).collect(),
            regions: prefixes.iter().map(|s| s.to_string()).collect(),
            formed: Vec::new(),
        };
        ind.breaks = vec![
            ScopedBreak::new(brk("zensus", 2023, &[], &[]), &regions),
            ScopedBreak::new(brk("reform", 2021, &["kreis"], &["14"]), &regions),
        ];
        // 2023 has no value: the mark goes to 2024, the first value on the new basis.
        assert_eq!(
            ind.break_at(0, 2024).map(|b| b.key.as_str()),
            Some("zensus")
        );
        assert!(ind.break_at(0, 2023).is_none() && ind.break_at(0, 2022).is_none());
        // The reform concerns the Saxon Kreis only, not the Land or the other Kreis.
        assert_eq!(
            ind.break_at(1, 2021).map(|b| b.key.as_str()),
            Some("reform")
        );
        assert!(ind.break_at(0, 2021).is_none() && ind.break_at(2, 2021).is_none());
        assert_eq!(
            ind.break_note(1, 2020, 2024).as_deref(),
            Some("Zeitreihenbruch: reform, zensus")
        );
        assert_eq!(
            ind.break_note(2, 2024, 2020).as_deref(),
            Some("Zeitreihenbruch: zensus")
        );
        assert_eq!(
            ind.break_note(1, 2021, 2022),
            None,
            "both on the same basis"
        );
        // A break before the first value marks nothing: there is nothing to compare with.
        ind.breaks = vec![ScopedBreak::new(brk("early", 2015, &[], &[]), &regions)];
        assert!(ind.break_at(0, 2020).is_none());
    }

    #[test]
    fn an_import_is_described_by_its_statistics_in_words() {
        let content = |statistic: &str, label: &str, measures, first: &str, last: &str| Content {
            statistic: statistic.into(),
            label: label.into(),
            measures,
            first: first.into(),
            last: last.into(),
            values: 10,
        };
        let batch = |format: &str, contents: Vec<Content>| ImportBatch {
            id: 1,
            file_name: "data/demo/x/12411-01-01-4_1773175772751_de_flat.csv.gz".into(),
            sha256: String::new(),
            format: format.into(),
            rows_read: 0,
            rows_stored: 0,
            rows_revised: 0,
            rows_unchanged: 0,
            rows_skipped: 0,
            diagnostics: Vec::new(),
            imported_at: String::new(),
            duration_ms: 0,
            contents,
        };
        let pop = content(
            "12411-01-01-4",
            "Bevölkerungsstand",
            1,
            "31.12.1995",
            "31.12.2024",
        );
        assert_eq!(
            describe_batch(&batch("ffcsv", vec![pop.clone()])),
            "Bevölkerungsstand (12411-01-01-4), 31.12.1995 bis 31.12.2024"
        );
        let three = vec![
            pop.clone(),
            content("12613", "Gestorbene", 2, "2015", "2015"),
            content("12612", "Lebendgeborene", 1, "2015", "2015"),
        ];
        assert_eq!(
            describe_batch(&batch("genesis-table", three)),
            "Bevölkerungsstand (12411-01-01-4), 31.12.1995 bis 31.12.2024; Gestorbene und ein weiteres Merkmal (12613), 2015; eine weitere Statistik"
        );
        let inkar = vec![
            content("INKAR:sozialleistungen", "a_GSa", 32, "1995", "2022"),
            content("INKAR:bildung", "q_bs", 5, "2000", "2021"),
        ];
        assert_eq!(
            describe_batch(&batch("inkar-long", inkar)),
            "INKAR (BBSR): 37 Kennzahlen zu sozialleistungen, bildung, 1995 bis 2022"
        );
        assert_eq!(
            describe_batch(&batch("gv100ad", Vec::new())),
            "Gemeindeverzeichnis (12411-01-01-4_1773175772751_de_flat.csv.gz)"
        );
        assert_eq!(
            describe_batch(&batch("long-csv", Vec::new())),
            "12411-01-01-4_1773175772751_de_flat.csv.gz",
            "nothing known but the file"
        );
    }
}
