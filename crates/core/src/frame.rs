//! Bulk evaluation: every indicator for every region and year at once, over dense arrays.
//!
//! The per-cell [`crate::engine::Engine`] answers one question at a time; the frame answers all of
//! them. It holds each input series (a measure at one breakdown) as a dense `regions × years`
//! array, fills the hierarchy bottom-up by the same rule as the engine (a region's own value wins,
//! otherwise the sum over its parts alive that year, incomplete where a part is missing), and
//! evaluates a formula column-wise. Periods are years: a reference date counts for its year
//! (the latest date of a year wins, a year counts as 31 December).
//!
//! Territory: data is read *as published*; [`Frame::to_today`] converts the additive inputs of
//! merged municipalities onto today's territory (predecessors summed into their successor), so
//! that every rate computed afterwards is recomputed on the new territory, never averaged.

use std::borrow::Cow;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::audit::Depth;
use crate::confidential::Rule;
use crate::engine::{Cell, Outcome, combine, selected_keys};
use crate::formula::{Expr, Func, Op};
use crate::key::RegionKey;
use crate::measure::{Breakdown, MeasureKind};
use crate::value::Symbol;

mod system;

pub use system::{audit_views, protect_views};

const NONE: u32 = u32::MAX;
const TAG_NUM: u8 = 0;
const TAG_MISSING: u8 = 0x0F;
const TAG_MASK: u8 = 0x0F;
/// The cell rests on a sum with a missing part.
const FLAG_INCOMPLETE: u8 = 0x80;
/// The cell was suppressed by our own confidentiality rules (not by the source).
const FLAG_SUPPRESSED: u8 = 0x40;

/// A region of the grid, as the caller knows it.
#[derive(Debug, Clone)]
pub struct GridRegion {
    /// Its key.
    pub key: RegionKey,
    /// The region its values add up into (Gemeinde → Kreis → Land → Germany), if any.
    pub parent: Option<RegionKey>,
    /// First and last year in which it counts as a part of its parent.
    pub alive: (u16, u16),
}

/// The regions and years of a frame, with the hierarchy used for sums.
#[derive(Debug, Clone)]
pub struct Grid {
    keys: Vec<RegionKey>,
    parent: Vec<u32>,
    alive: Vec<(u16, u16)>,
    children: Vec<Vec<u32>>,
    /// The regions that have parts, ordered so that every child comes before its parent.
    bottom_up: Vec<u32>,
    index: FxHashMap<RegionKey, u32>,
    first_year: u16,
    years: usize,
}

impl Grid {
    /// A grid of these regions over `first_year..=last_year`. Parents not among the regions are
    /// ignored (the region is then a root).
    pub fn new(regions: Vec<GridRegion>, first_year: u16, last_year: u16) -> Grid {
        let index: FxHashMap<RegionKey, u32> = regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.key.clone(), i as u32))
            .collect();
        let parent: Vec<u32> = regions
            .iter()
            .map(|r| {
                r.parent
                    .as_ref()
                    .and_then(|p| index.get(p).copied())
                    .unwrap_or(NONE)
            })
            .collect();
        let mut children = vec![Vec::new(); regions.len()];
        for (i, &p) in parent.iter().enumerate() {
            if p != NONE {
                children[p as usize].push(i as u32);
            }
        }
        // Depth by walking up; a cycle (impossible with keys, guarded anyway) stops at the length.
        let depth: Vec<usize> = (0..regions.len())
            .map(|i| {
                let (mut d, mut at) = (0, parent[i]);
                while at != NONE && d < regions.len() {
                    d += 1;
                    at = parent[at as usize];
                }
                d
            })
            .collect();
        let mut bottom_up: Vec<u32> = (0..regions.len() as u32)
            .filter(|&i| !children[i as usize].is_empty())
            .collect();
        bottom_up.sort_by_key(|&i| std::cmp::Reverse(depth[i as usize]));
        Grid {
            alive: regions.iter().map(|r| r.alive).collect(),
            keys: regions.into_iter().map(|r| r.key).collect(),
            parent,
            children,
            bottom_up,
            index,
            first_year,
            years: usize::from(last_year.saturating_sub(first_year)) + 1,
        }
    }

    /// Number of regions.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no regions.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of years.
    pub fn years(&self) -> usize {
        self.years
    }

    /// The first year.
    pub fn first_year(&self) -> u16 {
        self.first_year
    }

    /// The year at a column.
    pub fn year(&self, col: usize) -> u16 {
        self.first_year + col as u16
    }

    /// The column of a year, if in range.
    pub fn col(&self, year: u16) -> Option<usize> {
        let c = usize::from(year.checked_sub(self.first_year)?);
        (c < self.years).then_some(c)
    }

    /// The index of a region.
    pub fn region(&self, key: &RegionKey) -> Option<usize> {
        self.index.get(key).map(|&i| i as usize)
    }

    /// The key of a region.
    pub fn key(&self, region: usize) -> &RegionKey {
        &self.keys[region]
    }

    /// The parent of a region.
    pub fn parent(&self, region: usize) -> Option<usize> {
        let p = self.parent[region];
        (p != NONE).then_some(p as usize)
    }

    /// The children of a region (whatever their lifetime).
    pub fn children(&self, region: usize) -> impl Iterator<Item = usize> + '_ {
        self.children[region].iter().map(|&c| c as usize)
    }

    /// The children that count as parts of `region` in a year.
    pub fn parts(&self, region: usize, col: usize) -> impl Iterator<Item = usize> + '_ {
        let y = self.year(col);
        self.children(region).filter(move |&c| {
            let (a, b) = self.alive[c];
            a <= y && y <= b
        })
    }

    /// First and last year in which a region counts as a part of its parent.
    pub fn lifetime(&self, region: usize) -> (u16, u16) {
        self.alive[region]
    }

    /// Whether a region counts as a part of its parent in a year.
    pub fn alive(&self, region: usize, col: usize) -> bool {
        let (a, b) = self.alive[region];
        let y = self.year(col);
        a <= y && y <= b
    }

    /// The flat index of a cell.
    pub fn at(&self, region: usize, col: usize) -> usize {
        region * self.years + col
    }

    /// The region and the year column of a flat index (the inverse of [`Grid::at`]).
    pub fn cell(&self, i: usize) -> (usize, usize) {
        (i / self.years, i % self.years)
    }

    /// Number of cells of a series.
    pub fn cells(&self) -> usize {
        self.keys.len() * self.years
    }
}

/// Whether a sum over `parts` parts with `missing` of them missing is formed: a sum over less
/// than half of the parts says more about which parts reported than about the region (a Land
/// from one Kreis). One rule for both evaluators ([`Frame::aggregate`] and the engine).
pub fn sum_is_formed(parts: usize, missing: usize) -> bool {
    parts > 0 && missing * 2 <= parts
}

/// One value per region and year, stored by region rows: a region without any value costs
/// nothing, so thousands of breakdown series with values in a few regions stay small.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    years: usize,
    /// Region → row in `num`/`tag` (or `NONE`); shared between copies until a copy adds a row
    /// (suppression only rewrites existing cells, so public copies share it).
    rows: Arc<Vec<u32>>,
    num: Vec<f64>,
    tag: Vec<u8>,
}

impl Series {
    /// A series with every cell missing.
    pub fn missing(regions: usize, years: usize) -> Series {
        Series {
            years: years.max(1),
            rows: Arc::new(vec![NONE; regions]),
            num: Vec::new(),
            tag: Vec::new(),
        }
    }

    fn like(&self) -> Series {
        Series::missing(self.rows.len(), self.years)
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.rows.len() * self.years
    }

    /// Whether it has no cells.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether a region has any cell that is not missing (or had one).
    pub fn has_row(&self, region: usize) -> bool {
        self.rows[region] != NONE
    }

    fn slot(&self, i: usize) -> Option<usize> {
        let r = self.rows[i / self.years];
        (r != NONE).then(|| r as usize * self.years + i % self.years)
    }

    fn raw(&self, i: usize) -> (f64, u8) {
        self.slot(i)
            .map_or((0.0, TAG_MISSING), |s| (self.num[s], self.tag[s]))
    }

    fn set_raw(&mut self, i: usize, n: f64, t: u8) {
        let slot = match self.slot(i) {
            Some(s) => s,
            None if t & TAG_MASK == TAG_MISSING && t & FLAG_INCOMPLETE == 0 => return,
            None => {
                let row = self.num.len() / self.years;
                Arc::make_mut(&mut self.rows)[i / self.years] = row as u32;
                self.num.resize(self.num.len() + self.years, 0.0);
                self.tag.resize(self.tag.len() + self.years, TAG_MISSING);
                row * self.years + i % self.years
            }
        };
        self.num[slot] = n;
        self.tag[slot] = t;
    }

    /// A cell.
    pub fn get(&self, i: usize) -> Outcome {
        let (n, t) = self.raw(i);
        Self::decode(n, t)
    }

    /// The number of a cell, if it is one (`-` counts as 0).
    pub fn number(&self, i: usize) -> Option<f64> {
        let (n, t) = self.raw(i);
        match t & TAG_MASK {
            TAG_NUM => Some(n),
            1 => Some(0.0),
            _ => None,
        }
    }

    /// Sets a cell.
    pub fn set(&mut self, i: usize, o: Outcome) {
        let (n, t) = match o.cell {
            Cell::Num(n) => (n, TAG_NUM),
            Cell::Sym(s) => (0.0, s.code()),
            Cell::Missing => (0.0, TAG_MISSING),
        };
        self.set_raw(i, n, t | if o.incomplete { FLAG_INCOMPLETE } else { 0 });
    }

    /// Whether a cell was suppressed by our confidentiality rules (it then reads as `.`).
    pub fn suppressed(&self, i: usize) -> bool {
        self.raw(i).1 & FLAG_SUPPRESSED != 0
    }

    /// Suppresses a cell: it becomes secret (`.`), marked as suppressed by us.
    pub fn suppress(&mut self, i: usize) {
        let t = self.raw(i).1;
        self.set_raw(
            i,
            0.0,
            Symbol::Secret.code() | FLAG_SUPPRESSED | (t & FLAG_INCOMPLETE),
        );
    }

    /// The cells of the regions that have a row, as flat indices.
    pub fn present(&self) -> impl Iterator<Item = usize> + '_ {
        let y = self.years;
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| **r != NONE)
            .flat_map(move |(r, _)| r * y..(r + 1) * y)
    }

    /// The offset of a region's row in `num`/`tag`, if it has one.
    fn base(&self, r: usize) -> Option<usize> {
        let row = self.rows[r];
        (row != NONE).then(|| row as usize * self.years)
    }

    /// The offset of a region's row, allocating it (all missing) if needed.
    fn alloc_row(&mut self, r: usize) -> usize {
        if let Some(b) = self.base(r) {
            return b;
        }
        let row = self.num.len() / self.years;
        Arc::make_mut(&mut self.rows)[r] = row as u32;
        self.num.resize(self.num.len() + self.years, 0.0);
        self.tag.resize(self.tag.len() + self.years, TAG_MISSING);
        row * self.years
    }

    /// Writes `g(a, b)` at slot `o` of cell `i`: plain numbers directly, anything else (symbols,
    /// incompleteness, our suppression marks) by the general rule of [`combine`].
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn write_op(
        &mut self,
        i: usize,
        o: usize,
        (na, ta): (f64, u8),
        (nb, tb): (f64, u8),
        a: &Series,
        b: &Series,
        g: &impl Fn(f64, f64) -> Cell,
    ) {
        if ta | tb == TAG_NUM
            && let Cell::Num(x) = g(na, nb)
        {
            self.num[o] = x;
            self.tag[o] = TAG_NUM;
            return;
        }
        let out = combine(Self::decode(na, ta), Self::decode(nb, tb), g);
        self.put_combined(i, out, a, b);
    }

    fn decode(n: f64, t: u8) -> Outcome {
        let cell = match t & TAG_MASK {
            TAG_NUM => Cell::Num(n),
            TAG_MISSING => Cell::Missing,
            c => Symbol::from_code(c).map_or(Cell::Missing, Cell::Sym),
        };
        Outcome {
            cell,
            incomplete: t & FLAG_INCOMPLETE != 0,
        }
    }

    /// `g` cell by cell, with symbols and incompleteness by [`combine`]. A missing operand makes
    /// a missing result, so only regions with rows in both are visited.
    fn map2(&self, other: &Series, g: impl Fn(f64, f64) -> Cell) -> Series {
        let mut out = self.like();
        let y = self.years;
        for r in 0..self.rows.len() {
            let (Some(a), Some(b)) = (self.base(r), other.base(r)) else {
                continue;
            };
            let o = out.alloc_row(r);
            for k in 0..y {
                out.write_op(
                    r * y + k,
                    o + k,
                    (self.num[a + k], self.tag[a + k]),
                    (other.num[b + k], other.tag[b + k]),
                    self,
                    other,
                    &g,
                );
            }
        }
        out
    }

    /// Adds `other` into this series in place, where both have a cell (a missing cell on either
    /// side makes the sum missing), or, with `keep`, taking the side that has one (sums over
    /// tables without totals).
    fn add_assign(&mut self, other: &Series, keep: bool) {
        let y = self.years;
        let plus = |p: f64, q: f64| Cell::Num(p + q);
        for r in 0..self.rows.len() {
            match (self.base(r), other.base(r)) {
                (None, None) => {}
                (Some(a), None) => {
                    if !keep {
                        self.tag[a..a + y].fill(TAG_MISSING);
                    }
                }
                (None, Some(b)) => {
                    if keep {
                        let a = self.alloc_row(r);
                        self.num[a..a + y].copy_from_slice(&other.num[b..b + y]);
                        self.tag[a..a + y].copy_from_slice(&other.tag[b..b + y]);
                    }
                }
                (Some(a), Some(b)) => {
                    for k in 0..y {
                        let (na, ta) = (self.num[a + k], self.tag[a + k]);
                        let (nb, tb) = (other.num[b + k], other.tag[b + k]);
                        if ta | tb == TAG_NUM {
                            self.num[a + k] = na + nb;
                            continue;
                        }
                        let (x, z) = (Self::decode(na, ta), Self::decode(nb, tb));
                        let o = match (x.cell, z.cell) {
                            (Cell::Missing, _) if keep => z,
                            (_, Cell::Missing) if keep => x,
                            _ => combine(x, z, plus),
                        };
                        let secret_ours =
                            o.cell == Cell::Sym(Symbol::Secret) && (ta | tb) & FLAG_SUPPRESSED != 0;
                        let (n, t) = match o.cell {
                            Cell::Num(n) => (n, TAG_NUM),
                            Cell::Sym(s) => (0.0, s.code()),
                            Cell::Missing => (0.0, TAG_MISSING),
                        };
                        self.num[a + k] = n;
                        self.tag[a + k] = t
                            | if o.incomplete { FLAG_INCOMPLETE } else { 0 }
                            | if secret_ours { FLAG_SUPPRESSED } else { 0 };
                    }
                }
            }
        }
    }

    /// `g` with a constant on the left or right.
    fn map_scalar(&self, c: f64, left: bool, g: impl Fn(f64, f64) -> Cell) -> Series {
        let mut out = self.like();
        let y = self.years;
        for r in 0..self.rows.len() {
            let Some(a) = self.base(r) else { continue };
            let o = out.alloc_row(r);
            for k in 0..y {
                let x = (self.num[a + k], self.tag[a + k]);
                let (p, q) = if left {
                    ((c, TAG_NUM), x)
                } else {
                    (x, (c, TAG_NUM))
                };
                out.write_op(r * y + k, o + k, p, q, self, self, &g);
            }
        }
        out
    }

    /// Per cell the first part that has a value, preferring a complete one (a value resting on
    /// an incomplete sum is taken only if no later part has a complete value).
    fn coalesce(parts: &[&Series], regions: usize, years: usize) -> Series {
        let mut out = Series::missing(regions, years);
        let mut bases: Vec<(&Series, usize)> = Vec::with_capacity(parts.len());
        for r in 0..regions {
            bases.clear();
            bases.extend(parts.iter().filter_map(|p| p.base(r).map(|b| (*p, b))));
            if bases.is_empty() {
                continue;
            }
            let o = out.alloc_row(r);
            for k in 0..years {
                let mut pick: Option<(&Series, usize)> = None;
                for &(p, b) in &bases {
                    let t = p.tag[b + k];
                    if t & TAG_MASK == TAG_MISSING {
                        continue;
                    }
                    if t & FLAG_INCOMPLETE == 0 {
                        pick = Some((p, b + k));
                        break;
                    }
                    pick = pick.or(Some((p, b + k)));
                }
                if let Some((p, j)) = pick {
                    out.num[o + k] = p.num[j];
                    out.tag[o + k] = p.tag[j];
                }
            }
        }
        out
    }

    /// The series as it was `k` years earlier (missing before the first year).
    fn shifted(&self, k: i32) -> Series {
        let mut out = self.like();
        let y = self.years as i64;
        for r in 0..self.rows.len() {
            let Some(a) = self.base(r) else { continue };
            let o = out.alloc_row(r);
            for col in 0..y {
                let from = col - i64::from(k);
                if (0..y).contains(&from) {
                    out.num[o + col as usize] = self.num[a + from as usize];
                    out.tag[o + col as usize] = self.tag[a + from as usize];
                }
            }
        }
        out
    }

    fn put_combined(&mut self, i: usize, o: Outcome, a: &Series, b: &Series) {
        self.set(i, o);
        // Suppression by us is carried so that a derived value says why it is secret.
        if o.cell == Cell::Sym(Symbol::Secret) && (a.suppressed(i) || b.suppressed(i)) {
            let (n, t) = self.raw(i);
            self.set_raw(i, n, t | FLAG_SUPPRESSED);
        }
    }

    fn copy_cell(&mut self, i: usize, from: &Series, j: usize) {
        let (n, t) = from.raw(j);
        self.set_raw(i, n, t);
    }
}

fn div(x: f64, y: f64) -> Cell {
    if y == 0.0 {
        Cell::Sym(Symbol::NotMeaningful)
    } else {
        Cell::Num(x / y)
    }
}

/// What [`Frame::protect`] suppressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Protection {
    /// Cells suppressed as small counts.
    pub primary: usize,
    /// Cells suppressed so that no primary cell can be recomputed.
    pub secondary: usize,
    /// Breakdown variables found to add up to their total (and so protected along).
    pub breakdown_relations: usize,
}

/// A withheld cell that a reader can work out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    /// Measure code.
    pub measure: String,
    /// Breakdown key.
    pub breakdown: String,
    /// Region.
    pub region: RegionKey,
    /// Year.
    pub year: u16,
    /// The view it is withheld in (0: the first view audited).
    pub view: usize,
}

/// What [`Frame::audit`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditReport {
    /// Cells under a rule.
    pub cells: usize,
    /// Additive relations among them.
    pub relations: usize,
    /// Withheld small counts.
    pub primary: usize,
    /// Withheld to protect them.
    pub secondary: usize,
    /// Small counts that are published (must be 0).
    pub unprotected_primary: usize,
    /// Withheld cells determined by the published cells (must be empty).
    pub determined: Vec<Disclosure>,
    /// Small counts that a contributor of a withheld 1 can work out (must be empty).
    pub singleton: Vec<Disclosure>,
    /// Small counts whose feasible interval is narrower than the rule demands (must be empty).
    pub narrow: Vec<Disclosure>,
    /// Components whose feasible intervals could not be computed (must be 0).
    pub unchecked: usize,
    /// Components checked without their relations over cells unknown to the publisher too,
    /// which contradict each other (at least one is false, so a reader cannot rely on them).
    pub relaxed: usize,
    /// Linear programmes solved for the intervals.
    pub programmes: usize,
}

impl AuditReport {
    /// Whether nothing is disclosed.
    pub fn is_clean(&self) -> bool {
        self.unprotected_primary == 0
            && self.determined.is_empty()
            && self.singleton.is_empty()
            && self.narrow.is_empty()
            && self.unchecked == 0
    }
}

/// Input series on a grid, and formulas evaluated over them.
#[derive(Debug, Clone)]
pub struct Frame {
    grid: Grid,
    /// Shared between copies until one of them changes a series (copy on write): the public
    /// copies share every series without a withheld cell with the internal frame.
    series: FxHashMap<(String, String), Arc<Series>>,
    additive: FxHashSet<String>,
    counts: FxHashSet<String>,
    /// Full mergers converted by [`Frame::to_today`]: `(predecessor, successor, last year)`.
    mergers: Vec<(usize, usize, u16)>,
    /// Full mergers known but not applied (see [`Frame::today`]).
    changes: Vec<(usize, usize, u16)>,
}

impl Frame {
    /// An empty frame on a grid.
    pub fn new(grid: Grid) -> Frame {
        Frame {
            grid,
            series: FxHashMap::default(),
            additive: FxHashSet::default(),
            counts: FxHashSet::default(),
            mergers: Vec::new(),
            changes: Vec::new(),
        }
    }

    /// The grid.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// Declares a measure additive (counts and amounts; summed up the hierarchy and converted to
    /// today's territory). Rates and averages are not.
    pub fn set_additive(&mut self, measure: &str) {
        self.additive.insert(measure.to_string());
    }

    /// Declares a measure's kind: counts and amounts are additive, counts also confidential
    /// by default.
    pub fn set_kind(&mut self, measure: &str, kind: MeasureKind) {
        if kind.additive() {
            self.set_additive(measure);
        }
        if kind == MeasureKind::Count {
            self.counts.insert(measure.to_string());
        }
    }

    /// Whether a measure counts people or cases (protected by default).
    pub fn is_count(&self, measure: &str) -> bool {
        self.counts.contains(measure)
    }

    /// Whether a measure is additive.
    pub fn is_additive(&self, measure: &str) -> bool {
        self.additive.contains(measure)
    }

    /// Stores a value. Values of the same cell must come in chronological order (a year counting
    /// as 31 December): the last one put wins, so the latest reference date of a year counts.
    pub fn put(&mut self, measure: &str, breakdown: &str, region: usize, col: usize, cell: Cell) {
        let (regions, years) = (self.grid.len(), self.grid.years);
        let i = self.grid.at(region, col);
        let k = (measure.to_string(), breakdown.to_string());
        Arc::make_mut(
            self.series
                .entry(k)
                .or_insert_with(|| Arc::new(Series::missing(regions, years))),
        )
        .set(i, Outcome::new(cell));
    }

    /// Stores a whole input series (replacing one of the same key). Loaders that read many
    /// cells build each series apart and insert it once, instead of one keyed lookup per cell.
    pub fn insert_series(&mut self, measure: &str, breakdown: &str, series: Series) {
        debug_assert_eq!(series.len(), self.grid.cells());
        self.series.insert(
            (measure.to_string(), breakdown.to_string()),
            Arc::new(series),
        );
    }

    /// A stored (or aggregated) input series.
    pub fn series(&self, measure: &str, breakdown: &str) -> Option<&Series> {
        self.series
            .get(&(measure.to_string(), breakdown.to_string()))
            .map(|s| &**s)
    }

    /// The input series keys.
    pub fn series_keys(&self) -> impl Iterator<Item = &(String, String)> {
        self.series.keys()
    }

    /// Applies statistical confidentiality to the series of the measures that have a rule:
    /// primary suppression of small counts, then secondary suppression along the region
    /// hierarchy (a total and its parts alive that year) and along breakdowns (a total and its
    /// categories, where the data shows the categories add up to it). Suppressed cells become `.`
    /// marked as ours, so every value computed from them afterwards is `.` too. Call after
    /// [`Frame::aggregate`], on a copy kept for public output.
    pub fn protect(&mut self, rules: &FxHashMap<String, Rule>) -> Protection {
        protect_views(&mut [self], rules)
    }

    /// Audits a protected copy of this frame (`public`, after [`Frame::protect`] with the same
    /// rules): which withheld cells a reader can still work out from what `public` shows, over
    /// all relations together (see [`crate::audit`]).
    pub fn audit(&self, public: &Frame, rules: &FxHashMap<String, Rule>) -> AuditReport {
        audit_views(&[self], &[public], rules, Depth::Linear)
    }

    /// Records the territorial changes of the grid (`(predecessor, successor, last year)`, full
    /// mergers) for [`Frame::today`], without applying them.
    pub fn set_changes(&mut self, changes: Vec<(usize, usize, u16)>) {
        self.changes = changes;
    }

    /// A copy holding only `root` and the regions below it (dissolved ones included), with
    /// their series and territorial changes; `root` becomes the top. For work on one district
    /// (the workspace's formula preview) without aggregating and protecting the whole country.
    /// A merger across the border (a municipality of another district merged into one of
    /// `root`'s) is left out, so the years before it can differ from the full frame's.
    /// `None` when the frame does not know `root`.
    pub fn within(&self, root: &RegionKey) -> Option<Frame> {
        let top = self.grid.region(root)?;
        let mut kept = vec![top];
        let mut at = 0;
        while at < kept.len() {
            kept.extend(self.grid.children(kept[at]));
            at += 1;
        }
        kept.sort_unstable();
        let new_index = |old: usize| kept.binary_search(&old).ok();
        let regions = kept
            .iter()
            .map(|&r| GridRegion {
                key: self.grid.key(r).clone(),
                parent: (r != top)
                    .then(|| self.grid.parent(r).map(|p| self.grid.key(p).clone()))
                    .flatten(),
                alive: self.grid.lifetime(r),
            })
            .collect();
        let years = self.grid.years;
        let last = self.grid.year(years.saturating_sub(1));
        let grid = Grid::new(regions, self.grid.first_year, last);
        let series = self
            .series
            .iter()
            .map(|(k, s)| {
                let mut out = Series::missing(kept.len(), years);
                for (n, &old) in kept.iter().enumerate() {
                    for col in 0..years {
                        out.set(n * years + col, s.get(old * years + col));
                    }
                }
                (k.clone(), Arc::new(out))
            })
            .collect();
        let remap = |list: &[(usize, usize, u16)]| {
            list.iter()
                .filter_map(|&(a, b, y)| Some((new_index(a)?, new_index(b)?, y)))
                .collect()
        };
        Some(Frame {
            grid,
            series,
            additive: self.additive.clone(),
            counts: self.counts.clone(),
            mergers: remap(&self.mergers),
            changes: remap(&self.changes),
        })
    }

    /// A copy on today's territory: the recorded changes applied (see [`Frame::to_today`]).
    /// A frame without recorded changes is copied as it is.
    pub fn today(&self) -> Frame {
        let mut f = self.clone();
        let changes = std::mem::take(&mut f.changes);
        f.to_today(&changes);
        f
    }

    /// Fills regions without a value of their own with the sum over their parts, bottom-up, for
    /// every additive series. A sum with a missing part is incomplete; where more than half of
    /// the parts are missing, the region stays missing.
    pub fn aggregate(&mut self) {
        let grid = &self.grid;
        let additive = &self.additive;
        let mut work: Vec<&mut Series> = self
            .series
            .iter_mut()
            .filter(|((m, _), _)| additive.contains(m))
            .map(|(_, s)| Arc::make_mut(s))
            .collect();
        // Series are independent: half on each core.
        let half = work.len() / 2;
        let (a, b) = work.split_at_mut(half);
        std::thread::scope(|scope| {
            scope.spawn(|| b.iter_mut().for_each(|s| Self::aggregate_series(grid, s)));
            a.iter_mut().for_each(|s| Self::aggregate_series(grid, s));
        });
    }

    fn aggregate_series(grid: &Grid, s: &mut Series) {
        for &r in &grid.bottom_up {
            let r = r as usize;
            if !grid.children[r].iter().any(|&c| s.has_row(c as usize)) {
                continue;
            }
            for col in 0..grid.years {
                let i = grid.at(r, col);
                if s.get(i).cell != Cell::Missing {
                    continue;
                }
                // Fast path: every part alive that year is a plain number.
                let (mut sum, mut n, mut plain) = (0.0, 0, true);
                for c in grid.parts(r, col) {
                    n += 1;
                    match s.base(c) {
                        Some(b) if s.tag[b + col] == TAG_NUM => sum += s.num[b + col],
                        _ => {
                            plain = false;
                            break;
                        }
                    }
                }
                if plain {
                    if n > 0 {
                        s.set(i, Outcome::new(Cell::Num(sum)));
                    }
                    continue;
                }
                let (mut acc, mut missing, mut n) = (Outcome::new(Cell::Num(0.0)), 0, 0);
                for c in grid.parts(r, col) {
                    n += 1;
                    let o = s.get(grid.at(c, col));
                    if o.cell == Cell::Missing {
                        missing += 1;
                    } else {
                        acc = combine(acc, o, |a, b| Cell::Num(a + b));
                    }
                }
                if sum_is_formed(n, missing) {
                    acc.incomplete |= missing > 0;
                    s.set(i, acc);
                }
            }
        }
    }

    /// Converts to today's territory. `changes` are `(predecessor, successor, last year the
    /// predecessor existed)`; they are applied oldest first, so chains of mergers add up. For
    /// every year up to the merger, an additive series of the successor becomes its own value
    /// (where it existed) plus the predecessor's; a rate or average of the successor for those
    /// years described another territory and becomes missing. Call before [`Frame::aggregate`].
    pub fn to_today(&mut self, changes: &[(usize, usize, u16)]) {
        let mut changes = changes.to_vec();
        changes.sort_by_key(|c| c.2);
        let grid = &self.grid;
        for ((m, _), s) in self.series.iter_mut() {
            let additive = self.additive.contains(m);
            if !changes
                .iter()
                .any(|&(from, to, _)| s.has_row(from) || s.has_row(to))
            {
                continue;
            }
            let s = Arc::make_mut(s);
            for &(from, to, last) in &changes {
                if !s.has_row(from) && !s.has_row(to) {
                    continue;
                }
                for col in 0..grid.years {
                    if grid.year(col) > last {
                        break;
                    }
                    let (fi, ti) = (grid.at(from, col), grid.at(to, col));
                    if !additive {
                        s.set(ti, Outcome::new(Cell::Missing));
                        continue;
                    }
                    let (p, q) = (s.get(fi), s.get(ti));
                    let successor_existed = grid.alive(to, col);
                    let o = match (p.cell, q.cell) {
                        (Cell::Missing, Cell::Missing) => continue,
                        (Cell::Missing, _) => Outcome {
                            incomplete: true,
                            ..q
                        },
                        (_, Cell::Missing) => Outcome {
                            incomplete: p.incomplete || successor_existed,
                            ..p
                        },
                        _ => combine(p, q, |a, b| Cell::Num(a + b)),
                    };
                    s.set(ti, o);
                }
            }
        }
        // The predecessors no longer count as parts, their successors count for every year.
        for &(from, to, _) in &changes {
            self.grid.alive[from] = (1, 0);
            self.grid.alive[to].0 = 0;
        }
        self.mergers.extend(changes);
    }

    /// Evaluates a formula for every region and year.
    pub fn eval(&self, e: &Expr) -> Series {
        self.eval_cow(e).into_owned()
    }

    /// [`Frame::eval`] without copying: a reference to one stored series is borrowed.
    fn eval_cow(&self, e: &Expr) -> Cow<'_, Series> {
        let (regions, years) = (self.grid.len(), self.grid.years);
        Cow::Owned(match e {
            Expr::Num(n) => {
                let mut s = Series::missing(regions, years);
                for i in 0..self.grid.cells() {
                    s.set(i, Outcome::new(Cell::Num(*n)));
                }
                s
            }
            Expr::Ref(r) => {
                let keys = self.keys_of(r);
                if let [key] = keys.as_slice() {
                    return match self.series.get(&(r.measure.clone(), key.clone())) {
                        Some(s) => Cow::Borrowed(s),
                        None => Cow::Owned(Series::missing(regions, years)),
                    };
                }
                let mut acc: Option<Series> = None;
                let wildcard = Self::has_wildcard(r);
                for key in keys {
                    let part = self.series.get(&(r.measure.clone(), key));
                    match (&mut acc, part) {
                        (None, Some(p)) => acc = Some(Series::clone(p)),
                        // Tables without totals leave out empty combinations: sum what is there.
                        (Some(a), Some(p)) => a.add_assign(p, wildcard),
                        _ => return Cow::Owned(Series::missing(regions, years)),
                    }
                }
                acc.unwrap_or_else(|| Series::missing(regions, years))
            }
            Expr::Coalesce(args) => {
                let parts: Vec<Cow<'_, Series>> = args.iter().map(|a| self.eval_cow(a)).collect();
                let parts: Vec<&Series> = parts.iter().map(|p| p.as_ref()).collect();
                Series::coalesce(&parts, regions, years)
            }
            Expr::Neg(a) => self
                .eval_cow(a)
                .map_scalar(0.0, true, |p, q| Cell::Num(p - q)),
            Expr::Bin(op, a, b) => {
                let f = move |p: f64, q: f64| match op {
                    Op::Add => Cell::Num(p + q),
                    Op::Sub => Cell::Num(p - q),
                    Op::Mul => Cell::Num(p * q),
                    Op::Div => div(p, q),
                };
                // A constant operand is applied as a scalar, without a dense series.
                match (&**a, &**b) {
                    (Expr::Num(c), _) => self.eval_cow(b).map_scalar(*c, true, f),
                    (_, Expr::Num(c)) => self.eval_cow(a).map_scalar(*c, false, f),
                    _ => self.eval_cow(a).map2(&self.eval_cow(b), f),
                }
            }
            Expr::Call(f, a, n) => {
                let now = self.eval_cow(a);
                let shifted = |k: i32| now.shifted(k);
                match f {
                    Func::Lag => shifted(*n),
                    Func::Change => now.map2(&shifted(*n), |p, q| Cell::Num(p - q)),
                    Func::PctChange => now.map2(&shifted(*n), |p, q| div((p - q) * 100.0, q)),
                    Func::Index => {
                        let mut base = Series::missing(regions, years);
                        if let Some(bc) = u16::try_from(*n).ok().and_then(|y| self.grid.col(y)) {
                            for r in (0..regions).filter(|&r| now.has_row(r)) {
                                let src = self.grid.at(r, bc);
                                for col in 0..years {
                                    base.copy_cell(self.grid.at(r, col), &now, src);
                                }
                            }
                        }
                        now.map2(&base, |p, q| div(p * 100.0, q))
                    }
                    Func::Mavg => {
                        let mut acc = now.as_ref().clone();
                        for k in 1..*n {
                            acc.add_assign(&shifted(k), false);
                        }
                        acc.map_scalar(f64::from(*n), false, div)
                    }
                }
            }
        })
    }

    /// The breakdown keys a reference sums over. A selector value `*` stands for every value of
    /// its variable present in the data (for tables that publish no total, such as the
    /// protection seekers by citizenship and protection status).
    pub fn has_wildcard(r: &crate::formula::MeasureRef) -> bool {
        r.select.iter().any(|(_, v)| v.iter().any(|x| x == "*"))
    }

    /// The breakdown keys of the series a reference sums over, with `*` expanded to the keys
    /// present in this frame.
    pub fn keys_of(&self, r: &crate::formula::MeasureRef) -> Vec<String> {
        if !Self::has_wildcard(r) {
            return selected_keys(r);
        }
        let mut keys: Vec<String> = self
            .series
            .keys()
            .filter(|(m, _)| *m == r.measure)
            .filter(|(_, k)| {
                let Some(b) = Breakdown::parse_key(k) else {
                    return false;
                };
                b.items().len() == r.select.len()
                    && r.select.iter().all(|(var, vals)| {
                        b.items().iter().any(|it| {
                            it.variable == *var && vals.iter().any(|v| v == "*" || *v == it.value)
                        })
                    })
            })
            .map(|(_, k)| k.clone())
            .collect();
        keys.sort();
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formula::parse;

    fn key(s: &str) -> RegionKey {
        RegionKey::parse(s).expect("valid key")
    }

    fn region(k: &str, parent: Option<&str>, alive: (u16, u16)) -> GridRegion {
        GridRegion {
            key: key(k),
            parent: parent.map(key),
            alive,
        }
    }

    /// Kreis 14522 with Gemeinden A and B; B merged into A after 2020 (A absorbed it).
    fn frame() -> Frame {
        let grid = Grid::new(
            vec![
                region("14", None, (1, 9999)),
                region("14522", Some("14"), (1, 9999)),
                region("14522010", Some("14522"), (1, 9999)),
                region("14522020", Some("14522"), (1, 2020)),
            ],
            2019,
            2022,
        );
        let mut f = Frame::new(grid);
        f.set_additive("EW");
        f.set_additive("SGB2");
        let put = |f: &mut Frame, m: &str, r: usize, y: u16, v: f64| {
            let col = f.grid().col(y).expect("in range");
            f.put(m, "", r, col, Cell::Num(v));
        };
        for y in 2019..=2020 {
            put(&mut f, "EW", 2, y, 100.0);
            put(&mut f, "SGB2", 2, y, 10.0);
            put(&mut f, "EW", 3, y, 50.0);
            put(&mut f, "SGB2", 3, y, 20.0);
        }
        for y in 2021..=2022 {
            put(&mut f, "EW", 2, y, 150.0);
            put(&mut f, "SGB2", 2, y, 30.0);
        }
        f
    }

    fn num(s: &Series, g: &Grid, r: usize, y: u16) -> Cell {
        s.get(g.at(r, g.col(y).expect("year"))).cell
    }

    #[test]
    fn sums_follow_the_parts_alive_each_year_and_rates_are_recomputed() {
        let mut f = frame();
        f.aggregate();
        let rate = f.eval(&parse("100 * SGB2 / EW").expect("formula"));
        let g = f.grid();
        assert_eq!(num(&rate, g, 1, 2019), Cell::Num(20.0)); // 30 / 150, not mean(10, 40)
        assert_eq!(num(&rate, g, 1, 2022), Cell::Num(20.0));
        assert_eq!(num(&rate, g, 0, 2020), Cell::Num(20.0));
        // As published, A before the merger is A's old territory.
        assert_eq!(num(&rate, g, 2, 2019), Cell::Num(10.0));
    }

    #[test]
    fn today_territory_sums_predecessors_into_the_successor() {
        let mut f = frame();
        f.to_today(&[(3, 2, 2020)]);
        f.aggregate();
        let rate = f.eval(&parse("100 * SGB2 / EW").expect("formula"));
        let ew = f.eval(&parse("EW").expect("formula"));
        let g = f.grid();
        assert_eq!(num(&ew, g, 2, 2019), Cell::Num(150.0));
        assert_eq!(num(&rate, g, 2, 2019), Cell::Num(20.0));
        // The Kreis is the same either way, and counts B only once.
        assert_eq!(num(&ew, g, 1, 2020), Cell::Num(150.0));
    }

    /// A successor formed from two municipalities shows their sum for the years before the
    /// merger while their own cells stay: successor − the published predecessor must not give
    /// the withheld one away.
    #[test]
    fn a_merger_converted_to_today_is_a_relation_of_its_own() {
        let grid = Grid::new(
            vec![
                region("14", None, (1, 9999)),
                region("14522", Some("14"), (1, 9999)),
                region("14522010", Some("14522"), (2021, 9999)),
                region("14522020", Some("14522"), (1, 2020)),
                region("14522030", Some("14522"), (1, 2020)),
            ],
            2019,
            2021,
        );
        let mut f = Frame::new(grid);
        f.set_kind("EW", MeasureKind::Count);
        let col = |f: &Frame, y: u16| f.grid().col(y).expect("year");
        for y in 2019..=2020 {
            let c = col(&f, y);
            f.put("EW", "", 3, c, Cell::Num(2.0));
            f.put("EW", "", 4, c, Cell::Num(40.0));
        }
        let c = col(&f, 2021);
        f.put("EW", "", 2, c, Cell::Num(45.0));
        f.to_today(&[(3, 2, 2020), (4, 2, 2020)]);
        f.aggregate();
        let mut rules = FxHashMap::default();
        rules.insert("EW".to_string(), Rule::default());
        let mut public = f.clone();
        public.protect(&rules);
        let report = f.audit(&public, &rules);
        assert!(report.is_clean(), "{report:?}");
        let s = public.series("EW", "").expect("series");
        let g = public.grid();
        let at = |r: usize| g.at(r, g.col(2019).expect("year"));
        assert!(s.suppressed(at(3)), "the small predecessor is withheld");
        // The successor's 42 and the other predecessor's 40 are not both published.
        assert!(s.suppressed(at(2)) || s.suppressed(at(4)));
    }

    /// The values as published (an export) and on today's territory (the dashboard) are read
    /// together: protected apart, a cell withheld in one view is shown in the other.
    #[test]
    fn both_territories_are_protected_together() {
        let grid = Grid::new(
            vec![
                region("14", None, (1, 9999)),
                region("14522", Some("14"), (1, 9999)),
                region("14522010", Some("14522"), (1, 9999)),
                region("14522020", Some("14522"), (1, 2020)),
                region("14522030", Some("14522"), (1, 9999)),
            ],
            2019,
            2021,
        );
        let mut f = Frame::new(grid);
        f.set_kind("EW", MeasureKind::Count);
        for y in 2019..=2021 {
            let c = f.grid().col(y).expect("year");
            let (a, b) = if y <= 2020 {
                (30.0, Some(2.0))
            } else {
                (32.0, None)
            };
            f.put("EW", "", 1, c, Cell::Num(37.0));
            f.put("EW", "", 2, c, Cell::Num(a));
            if let Some(b) = b {
                f.put("EW", "", 3, c, Cell::Num(b));
            }
            f.put("EW", "", 4, c, Cell::Num(5.0));
        }
        // B (2) went into A after 2020.
        f.set_changes(vec![(3, 2, 2020)]);
        let mut today = f.today();
        today.aggregate();
        let mut published = f;
        published.aggregate();
        let mut rules = FxHashMap::default();
        rules.insert("EW".to_string(), Rule::default());
        // Apart: the export withholds B and C (37 = 30 + 2 + 5); today's view has no relation
        // holding B (A today is 32) and shows C's 5, which gives B away: 37 − 30 − 5.
        let (mut p, mut t) = (published.clone(), today.clone());
        p.protect(&rules);
        t.protect(&rules);
        let apart = audit_views(&[&published, &today], &[&p, &t], &rules, Depth::Intervals);
        assert!(!apart.is_clean(), "protected apart, the views leak");
        // Together: nothing a reader of both can work out.
        let (mut p, mut t) = (published.clone(), today.clone());
        protect_views(&mut [&mut p, &mut t], &rules);
        let together = audit_views(&[&published, &today], &[&p, &t], &rules, Depth::Intervals);
        assert!(together.is_clean(), "{together:?}");
        let c = |f: &Frame| {
            let g = f.grid();
            f.series("EW", "")
                .expect("series")
                .suppressed(g.at(4, g.col(2019).expect("year")))
        };
        assert_eq!(
            c(&p),
            c(&t),
            "the same number is withheld in both views or in neither"
        );
    }

    #[test]
    fn missing_parts_make_a_sum_incomplete_and_the_latest_date_of_a_year_wins() {
        let mut f = frame();
        let col = f.grid().col(2019).expect("year");
        f.put("EW", "", 3, col, Cell::Num(1.0));
        f.put("EW", "", 3, col, Cell::Missing); // a later date of the same year wins
        f.aggregate();
        let o = f.series("EW", "").expect("series").get(f.grid().at(1, col));
        assert_eq!(
            o,
            Outcome {
                cell: Cell::Num(100.0),
                incomplete: true
            }
        );
    }

    #[test]
    fn a_sum_over_less_than_half_of_the_parts_is_not_formed() {
        let grid = Grid::new(
            vec![
                region("15", None, (1, 9999)),
                region("15001", Some("15"), (1, 9999)),
                region("15002", Some("15"), (1, 9999)),
                region("15003", Some("15"), (1, 9999)),
            ],
            2024,
            2025,
        );
        let mut f = Frame::new(grid);
        f.set_additive("EW");
        let (y24, y25) = (
            f.grid().col(2024).expect("y"),
            f.grid().col(2025).expect("y"),
        );
        // 2024: two of three parts report, 2025: one of three.
        for r in [1, 2] {
            f.put("EW", "", r, y24, Cell::Num(10.0));
        }
        f.put("EW", "", 1, y25, Cell::Num(10.0));
        f.aggregate();
        let s = f.series("EW", "").expect("series");
        assert_eq!(
            s.get(f.grid().at(0, y24)),
            Outcome {
                cell: Cell::Num(20.0),
                incomplete: true
            }
        );
        assert_eq!(
            s.get(f.grid().at(0, y25)).cell,
            Cell::Missing,
            "one of three"
        );
    }

    #[test]
    fn time_functions_shift_along_the_years() {
        let mut f = frame();
        f.aggregate();
        let g = f.grid().clone();
        let ch = f.eval(&parse("change(EW, 2)").expect("formula"));
        assert_eq!(num(&ch, &g, 2, 2021), Cell::Num(50.0));
        assert_eq!(num(&ch, &g, 2, 2020), Cell::Missing);
        let ix = f.eval(&parse("index(EW, 2019)").expect("formula"));
        assert_eq!(num(&ix, &g, 2, 2022), Cell::Num(150.0));
        let ma = f.eval(&parse("mavg(SGB2, 2)").expect("formula"));
        assert_eq!(num(&ma, &g, 2, 2021), Cell::Num(20.0));
    }

    #[test]
    fn protection_suppresses_small_counts_their_partners_and_every_rate_from_them() {
        let mut f = frame();
        let col = f.grid().col(2021).expect("year");
        // A third Gemeinde with 2 recipients in 2021 (alive throughout).
        f.put("SGB2", "", 3, col, Cell::Num(2.0));
        f.grid.alive[3] = (1, 9999);
        f.aggregate();
        let rules: FxHashMap<String, Rule> = [("SGB2".to_string(), Rule::default())]
            .into_iter()
            .collect();
        let p = f.protect(&rules);
        assert_eq!((p.primary, p.secondary), (1, 1));
        let s = f.series("SGB2", "").expect("series");
        let g = f.grid();
        assert!(s.suppressed(g.at(3, col)) && s.suppressed(g.at(2, col)));
        assert_eq!(s.get(g.at(1, col)).cell, Cell::Num(32.0)); // the Kreis stays
        let rate = f.eval(&parse("100 * SGB2 / EW").expect("formula"));
        assert_eq!(rate.get(g.at(2, col)).cell, Cell::Sym(Symbol::Secret));
        assert!(rate.suppressed(g.at(2, col)));
    }

    #[test]
    fn a_wildcard_sums_every_value_present() {
        let mut f = frame();
        let col = f.grid().col(2020).expect("year");
        f.put("SCHUTZ", "NAT=A|ST=X", 2, col, Cell::Num(3.0));
        f.put("SCHUTZ", "NAT=B|ST=X", 2, col, Cell::Num(4.0));
        f.put("SCHUTZ", "NAT=B|ST=Y", 3, col, Cell::Num(5.0));
        let s = f.eval(&parse("SCHUTZ[NAT=`*`, ST=`*`]").expect("formula"));
        assert_eq!(s.get(f.grid().at(2, col)).cell, Cell::Num(7.0));
        assert_eq!(s.get(f.grid().at(3, col)).cell, Cell::Num(5.0));
        let only_x = f.eval(&parse("SCHUTZ[NAT=`*`, ST=X]").expect("formula"));
        assert_eq!(only_x.get(f.grid().at(3, col)).cell, Cell::Missing);
    }
}
