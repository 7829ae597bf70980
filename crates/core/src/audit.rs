//! Disclosure audit: which withheld cells a reader can still work out from the published cells.
//!
//! A reader who knows every published cell and every additive relation (`total = Σ parts`) can
//! combine the relations linearly. A withheld cell is *determined* when some linear combination
//! of the relations leaves it as the only unknown: the relations restricted to the withheld
//! cells, brought into reduced row echelon form, then have a row with that cell alone. This is
//! the guarantee of Statistics Norway's GaussSuppression ("primary suppressed cells do not depend
//! linearly on the non-suppressed cells"), checked here directly on the published result, whatever
//! solver produced it.
//!
//! Beyond linear algebra, a contributor knows their own number: a withheld 1 is known to the one
//! person counted in it, so any small count that follows from it over all relations together
//! (its signature parallel to the 1's) is given away to them (the *singleton* problem).
//!
//! Only the withheld cells are variables, and only relations with a withheld cell are rows, so
//! the elimination runs on a small sparse system even for the whole demo database.

use microlp::{ComparisonOp, OptimizationDirection, Problem, Variable};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::confidential::{Reason, Relation};

/// Coefficients smaller than this are zero (the relations have coefficients ±1, so the
/// eliminated rows hold small rationals).
const EPS: f64 = 1e-9;

/// A sparse row: `(column, coefficient)` sorted by column.
pub type Row = Vec<(u32, f64)>;

/// The result of [`determined`]: for each variable, whether the system fixes its value.
///
/// `columns` is the number of variables, `rows` the relations. Each relation is a list of
/// `(variable, coefficient)`; relations are equations `Σ coef · x = const`, the constants do not
/// matter for determinacy.
pub fn determined(columns: usize, rows: Vec<Vec<(u32, f64)>>) -> Vec<bool> {
    signatures(columns, rows)
        .iter()
        .map(|s| s.as_ref().is_some_and(|s| s.is_empty()))
        .collect()
}

/// Each variable's dependence on the free variables of the system, from its reduced row echelon
/// form: for a pivot variable the other entries of its row (negated), for a free variable
/// itself. Every solution is a particular one plus a combination of the free variables, so a
/// variable is determined iff its signature is empty, and one variable follows from another
/// iff their signatures are parallel. `None` for a variable in no row (free, unconstrained).
pub fn signatures(columns: usize, rows: Vec<Vec<(u32, f64)>>) -> Vec<Option<Row>> {
    let rows = prepare(rows);
    // Columns in fewer rows first: they create less fill-in.
    let mut count = vec![0usize; columns];
    for r in &rows {
        for &(c, _) in r {
            count[c as usize] += 1;
        }
    }
    let mut order: Vec<u32> = (0..columns as u32).collect();
    order.sort_by_key(|&c| (count[c as usize], c));
    let (rows, pivot_row) = reduce(columns, rows, &order);
    let mut in_row = vec![false; columns];
    for r in &rows {
        for &(c, _) in r {
            in_row[c as usize] = true;
        }
    }
    (0..columns)
        .map(|c| match pivot_row[c] {
            Some(p) => Some(
                rows[p as usize]
                    .iter()
                    .filter(|e| e.0 as usize != c)
                    .map(|&(f, v)| (f, -v))
                    .collect(),
            ),
            None if in_row[c] => Some(vec![(c as u32, 1.0)]),
            None => None,
        })
        .collect()
}

/// How a reader works out each determined `target` cell: the published cells of its formula
/// (`target = constant − Σ coefficient · cell`). An empty formula means the target follows from
/// the relations alone (or is not determined). `member[c]` lists the relations holding cell `c`.
pub fn formulas(
    unknown: &[bool],
    relations: &[Relation],
    member: &[Vec<u32>],
    targets: &[usize],
) -> Vec<Formula> {
    // The withheld cells connected to the targets through relations, and those relations.
    let mut col: FxHashMap<usize, u32> = FxHashMap::default();
    let mut cells: Vec<usize> = Vec::new();
    let mut queue: Vec<usize> = targets.to_vec();
    let mut rels: Vec<u32> = Vec::new();
    let mut seen_rel = FxHashSet::default();
    for &t in targets {
        col.entry(t).or_insert_with(|| {
            cells.push(t);
            (cells.len() - 1) as u32
        });
    }
    while let Some(c) = queue.pop() {
        for &k in &member[c] {
            if !seen_rel.insert(k) {
                continue;
            }
            rels.push(k);
            let r = &relations[k as usize];
            for x in std::iter::once(r.total).chain(r.parts.iter().copied()) {
                if unknown[x] && !col.contains_key(&x) {
                    col.insert(x, cells.len() as u32);
                    cells.push(x);
                    queue.push(x);
                }
            }
        }
    }
    // Withheld cells are pivoted first, so published cells stay in the rows as the constants
    // the reader uses; the published ones follow.
    let hidden = cells.len();
    let mut rows: Vec<Vec<(u32, f64)>> = Vec::with_capacity(rels.len());
    for &k in &rels {
        let r = &relations[k as usize];
        let mut row = Vec::with_capacity(r.parts.len() + 1);
        for (x, coef) in std::iter::once((r.total, 1.0)).chain(r.parts.iter().map(|&p| (p, -1.0))) {
            let next = cells.len() as u32;
            let v = *col.entry(x).or_insert_with(|| {
                cells.push(x);
                next
            });
            row.push((v, coef));
        }
        rows.push(row);
    }
    let rows = prepare(rows);
    let mut count = vec![0usize; cells.len()];
    for r in &rows {
        for &(c, _) in r {
            count[c as usize] += 1;
        }
    }
    let mut order: Vec<u32> = (0..cells.len() as u32).collect();
    order.sort_by_key(|&c| (c as usize >= hidden, count[c as usize], c));
    let (rows, pivot_row) = reduce(cells.len(), rows, &order);
    // The published cells that the published cells alone tie together (rows left without a
    // withheld cell): a reader works each of them out again from the others, so withholding
    // one of them alone breaks no formula.
    let mut tied = vec![false; cells.len()];
    for p in pivot_row[hidden..].iter().flatten() {
        for &(c, _) in &rows[*p as usize] {
            tied[c as usize] = true;
        }
    }
    targets
        .iter()
        .map(|t| {
            let Some(p) = pivot_row[col[t] as usize] else {
                return Formula::default();
            };
            let row = &rows[p as usize];
            if row
                .iter()
                .any(|&(c, _)| (c as usize) < hidden && cells[c as usize] != *t)
            {
                return Formula::default();
            }
            let published = || row.iter().filter(|&&(c, _)| c as usize >= hidden);
            // A cell in a relation whose other cells are all published is tied too.
            let recomputed = |c: usize| {
                member[c].iter().any(|&k| {
                    let r = &relations[k as usize];
                    std::iter::once(r.total)
                        .chain(r.parts.iter().copied())
                        .all(|x| x == c || !unknown[x])
                })
            };
            let alone: Vec<usize> = published()
                .filter(|&&(c, _)| !tied[c as usize])
                .map(|&(c, _)| cells[c as usize])
                .filter(|&c| !recomputed(c))
                .collect();
            Formula {
                breaking: alone,
                cells: published().map(|&(c, _)| cells[c as usize]).collect(),
            }
        })
        .collect()
}

/// How a reader works out a withheld cell (see [`formulas`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Formula {
    /// The published cells of the formula, after the relations of published cells alone have
    /// been used up.
    pub cells: Vec<usize>,
    /// Those of them that no relation of published cells alone ties to others: withholding
    /// any one of them leaves the cell undetermined. Empty when every one needs a second
    /// withheld cell beside it.
    pub breaking: Vec<usize>,
}

/// Rows sorted by column, repeated columns merged, empty rows dropped.
fn prepare(rows: Vec<Vec<(u32, f64)>>) -> Vec<Row> {
    rows.into_iter()
        .map(|mut r| {
            r.sort_by_key(|&(c, _)| c);
            merge_duplicates(r)
        })
        .filter(|r| !r.is_empty())
        .collect()
}

/// Gauss-Jordan elimination taking pivots in the column `order`: the reduced rows and each
/// column's pivot row (`None` for a free column).
fn reduce(columns: usize, mut rows: Vec<Row>, order: &[u32]) -> (Vec<Row>, Vec<Option<u32>>) {
    // Which rows hold a column; entries may be stale after elimination and are checked on use.
    let mut holders: Vec<Vec<u32>> = vec![Vec::new(); columns];
    for (k, r) in rows.iter().enumerate() {
        for &(c, _) in r {
            holders[c as usize].push(k as u32);
        }
    }
    let mut pivot_of_row = vec![false; rows.len()];
    let mut pivot_row: Vec<Option<u32>> = vec![None; columns];
    for &c in order {
        let live: Vec<u32> = {
            let mut h: Vec<u32> = holders[c as usize]
                .iter()
                .copied()
                .filter(|&k| coefficient(&rows[k as usize], c).is_some())
                .collect();
            h.sort_unstable();
            h.dedup();
            h
        };
        holders[c as usize] = live.clone();
        let Some(p) = live
            .iter()
            .copied()
            .filter(|&k| !pivot_of_row[k as usize])
            .min_by_key(|&k| (rows[k as usize].len(), k))
        else {
            continue;
        };
        pivot_of_row[p as usize] = true;
        pivot_row[c as usize] = Some(p);
        let a = coefficient(&rows[p as usize], c).unwrap_or(1.0);
        for e in rows[p as usize].iter_mut() {
            e.1 /= a;
        }
        let pivot = rows[p as usize].clone();
        for &k in &live {
            if k == p {
                continue;
            }
            let Some(f) = coefficient(&rows[k as usize], c) else {
                continue;
            };
            let (next, added) = axpy(&rows[k as usize], -f, &pivot);
            rows[k as usize] = next;
            for col in added {
                holders[col as usize].push(k);
            }
        }
    }
    (rows, pivot_row)
}

fn coefficient(row: &Row, c: u32) -> Option<f64> {
    row.binary_search_by_key(&c, |&(col, _)| col)
        .ok()
        .map(|i| row[i].1)
}

fn merge_duplicates(r: Row) -> Row {
    let mut out: Row = Vec::with_capacity(r.len());
    for (c, v) in r {
        match out.last_mut() {
            Some(last) if last.0 == c => last.1 += v,
            _ => out.push((c, v)),
        }
    }
    out.retain(|&(_, v)| v.abs() > EPS);
    out
}

/// `row + f · pivot`, and the columns that are new in the result.
fn axpy(row: &Row, f: f64, pivot: &Row) -> (Row, Vec<u32>) {
    let mut out = Vec::with_capacity(row.len() + pivot.len());
    let mut added = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < row.len() || j < pivot.len() {
        let take_row = j >= pivot.len() || (i < row.len() && row[i].0 < pivot[j].0);
        let take_pivot = i >= row.len() || (j < pivot.len() && pivot[j].0 < row[i].0);
        if take_row {
            out.push(row[i]);
            i += 1;
        } else if take_pivot {
            let v = f * pivot[j].1;
            if v.abs() > EPS {
                out.push((pivot[j].0, v));
                added.push(pivot[j].0);
            }
            j += 1;
        } else {
            let v = row[i].1 + f * pivot[j].1;
            if v.abs() > EPS {
                out.push((row[i].0, v));
            }
            i += 1;
            j += 1;
        }
    }
    (out, added)
}

/// What a reader can work out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Withheld cells (indices into the cells) whose value follows from the published cells.
    pub determined: Vec<usize>,
    /// Small counts that the contributor of a withheld 1 can work out, with their own number
    /// and every relation together.
    pub singleton: Vec<usize>,
    /// The withheld 1s whose contributors can do so.
    pub sources: Vec<usize>,
    /// Small counts that stay withheld but whose feasible interval under non-negativity is
    /// narrower than the rule demands (a reader learns the count is small).
    pub narrow: Vec<usize>,
    /// Components whose interval could not be computed (the linear programme failed): reported,
    /// never passed silently.
    pub unchecked: usize,
    /// Components checked without their relations over cells unknown to the publisher too,
    /// which contradict each other (no feasible point): at least one of them is false.
    pub relaxed: usize,
    /// Linear programmes solved (work done, not a finding).
    pub programmes: usize,
    /// The small counts of components checked without some relations or not at all: whatever
    /// is withheld later, they must be checked again (the suppression's later interval rounds
    /// check only these and the narrow ones).
    pub recheck: Vec<usize>,
}

impl Findings {
    /// Whether nothing withheld can be worked out.
    pub fn is_clean(&self) -> bool {
        self.determined.is_empty()
            && self.singleton.is_empty()
            && self.narrow.is_empty()
            && self.unchecked == 0
    }
}

/// How far [`audit`] looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Gaussian elimination over all relations together: determined cells and singletons
    /// (signatures); the feasible interval of every withheld small count in each relation alone
    /// (closed form: a published total less its published parts bounds every withheld part).
    Linear,
    /// Also feasible intervals over all relations together (linear programmes per component);
    /// slow on large tables.
    Intervals,
}

/// The system a reader sets up: the unknown cells as variables, one row per relation with an
/// unknown cell, `Σ coef · x = rhs` with `rhs` from the published numbers.
struct Reader {
    /// Variable → cell.
    cells: Vec<usize>,
    /// Rows over variables.
    rows: Vec<Vec<(u32, f64)>>,
    /// Right-hand side per row.
    rhs: Vec<f64>,
}

impl Reader {
    /// Variables are numbered in cell order and rows kept in the order of `relations`. A subset
    /// of the relations holding whole components, in the same relative order (as the
    /// suppression's incremental rounds pass them), is then eliminated exactly as the full
    /// system is: the same pivots and the same signatures.
    fn new(values: &[Option<f64>], unknown: &[bool], relations: &[Relation]) -> Reader {
        let mut cells: Vec<usize> = relations
            .iter()
            .flat_map(|r| std::iter::once(r.total).chain(r.parts.iter().copied()))
            .filter(|&c| unknown[c])
            .collect();
        cells.sort_unstable();
        cells.dedup();
        let mut var = vec![u32::MAX; unknown.len()];
        for (v, &c) in cells.iter().enumerate() {
            var[c] = v as u32;
        }
        let mut reader = Reader {
            cells,
            rows: Vec::new(),
            rhs: Vec::new(),
        };
        for r in relations {
            let mut row = Vec::new();
            let mut rhs = 0.0;
            for (c, coef) in
                std::iter::once((r.total, 1.0)).chain(r.parts.iter().map(|&p| (p, -1.0)))
            {
                if !unknown[c] {
                    rhs -= coef * values[c].unwrap_or(0.0);
                    continue;
                }
                row.push((var[c], coef));
            }
            if !row.is_empty() {
                reader.rows.push(row);
                reader.rhs.push(rhs);
            }
        }
        reader
    }

    /// The rows of each connected component of the variables (components without a row do not
    /// occur: every variable comes from a row).
    fn components(&self) -> Vec<(Vec<u32>, Vec<usize>)> {
        let n = self.cells.len();
        let mut parent: Vec<u32> = (0..n as u32).collect();
        fn find(parent: &mut [u32], mut x: u32) -> u32 {
            while parent[x as usize] != x {
                parent[x as usize] = parent[parent[x as usize] as usize];
                x = parent[x as usize];
            }
            x
        }
        for row in &self.rows {
            let a = find(&mut parent, row[0].0);
            for &(v, _) in &row[1..] {
                let b = find(&mut parent, v);
                if a != b {
                    parent[b as usize] = a;
                }
            }
        }
        let mut slot: Vec<Option<usize>> = vec![None; n];
        let mut out: Vec<(Vec<u32>, Vec<usize>)> = Vec::new();
        for v in 0..n as u32 {
            let root = find(&mut parent, v) as usize;
            let k = *slot[root].get_or_insert_with(|| {
                out.push((Vec::new(), Vec::new()));
                out.len() - 1
            });
            out[k].0.push(v);
        }
        for (k, row) in self.rows.iter().enumerate() {
            let root = find(&mut parent, row[0].0) as usize;
            if let Some(c) = slot[root] {
                out[c].1.push(k);
            }
        }
        out
    }
}

/// Audits a publication: which withheld cells (`reason` not `None`) a reader can work out from
/// the published `values` and the `relations`, by elimination over all relations together; which
/// withheld small counts the contributor of a withheld 1 can work out (knowing their own cell,
/// over all relations together); and, with [`Depth::Intervals`], which withheld small counts
/// have a feasible interval under non-negativity narrower than `min_count` (a linear
/// programme per component of the withheld cells).
pub fn audit(
    values: &[Option<f64>],
    reason: &[Reason],
    relations: &[Relation],
    min_count: f64,
    depth: Depth,
) -> Findings {
    audit_among(values, reason, relations, min_count, depth, None)
}

/// [`audit`], with the intervals over all relations together checked only for the small counts
/// in `among` (all when `None`). Withholding more only widens every interval (the true values
/// of the newly withheld cells extend each feasible point), so after a suppression round only
/// the counts found too narrow before need checking again.
pub fn audit_among(
    values: &[Option<f64>],
    reason: &[Reason],
    relations: &[Relation],
    min_count: f64,
    depth: Depth,
    among: Option<&FxHashSet<usize>>,
) -> Findings {
    let withheld = |c: usize| reason[c] != Reason::None;
    let primary = |c: usize| reason[c] == Reason::Primary;
    let unknown: Vec<bool> = (0..values.len())
        .map(|i| values[i].is_none() || withheld(i))
        .collect();
    let reader = Reader::new(values, &unknown, relations);
    let signature = signatures(reader.cells.len(), reader.rows.clone());
    let fixed: Vec<bool> = signature
        .iter()
        .map(|s| s.as_ref().is_some_and(|s| s.is_empty()))
        .collect();
    let mut out = Findings {
        determined: reader
            .cells
            .iter()
            .zip(&fixed)
            .filter(|&(&c, &f)| f && withheld(c))
            .map(|(&c, _)| c)
            .collect(),
        ..Findings::default()
    };
    (out.singleton, out.sources) = singletons(&reader, values, &signature, primary);
    out.narrow = narrow_alone(&reader, &fixed, primary, min_count);
    let mut components = match depth {
        Depth::Linear => Vec::new(),
        Depth::Intervals => reader.components(),
    };
    // The largest first, so that no core is left with one at the end.
    components.sort_by_key(|(vars, _)| (std::cmp::Reverse(vars.len()), vars[0]));
    // One component's check: its narrow counts (or `None`: unchecked), whether it was checked
    // without contradicting relations, and the programmes solved.
    let one = |(vars, rows): &(Vec<u32>, Vec<usize>)| -> (Result<Vec<usize>, Unsettled>, bool, usize, Vec<usize>) {
        let small: Vec<u32> = vars
            .iter()
            .copied()
            .filter(|&v| primary(reader.cells[v as usize]) && !fixed[v as usize])
            .filter(|&v| among.is_none_or(|a| a.contains(&reader.cells[v as usize])))
            .collect();
        if small.is_empty() {
            return (Ok(Vec::new()), false, 0, Vec::new());
        }
        let cells = |small: &[u32]| small.iter().map(|&v| reader.cells[v as usize]).collect();
        let mut programmes = 0;
        let mut check = |vars: &[u32], rows: &[usize], small: &[u32]| {
            let component = Component {
                vars,
                rows,
                signature: &signature,
            };
            narrow(
                &reader,
                values,
                &component,
                small,
                min_count,
                &mut programmes,
            )
        };
        let found = check(vars, rows, &small);
        match found {
            Ok(_) => return (found, false, programmes, Vec::new()),
            Err(Unsettled::Failed) => return (found, false, programmes, cells(&small)),
            Err(Unsettled::Infeasible) => {}
        }
        // No feasible point: relations that cannot be checked (a cell unknown to the publisher
        // too, a symbol from the source) contradict each other, so at least one of them is
        // false and a reader cannot rely on them either. Checked without them.
        let (vars, rows) = without_unknown(&reader, values, rows);
        let small: Vec<u32> = small
            .iter()
            .copied()
            .filter(|v| vars.binary_search(v).is_ok())
            .collect();
        let checked = check(&vars, &rows, &small);
        let relaxed = checked.is_ok();
        (checked, relaxed, programmes, cells(&small))
    };
    for (found, relaxed, programmes, recheck) in crate::parallel::on_every_core(&components, one) {
        match found {
            Ok(found) => out.narrow.extend(found),
            Err(_) => out.unchecked += 1,
        }
        out.relaxed += usize::from(relaxed);
        out.programmes += programmes;
        out.recheck.extend(recheck);
    }
    for list in [
        &mut out.determined,
        &mut out.singleton,
        &mut out.sources,
        &mut out.narrow,
        &mut out.recheck,
    ] {
        list.sort_unstable();
        list.dedup();
    }
    out
}

/// The rows of a component without those over a cell unknown to the publisher too, and the
/// variables left in them, both sorted.
fn without_unknown(
    reader: &Reader,
    values: &[Option<f64>],
    rows: &[usize],
) -> (Vec<u32>, Vec<usize>) {
    let known = |v: u32| values[reader.cells[v as usize]].is_some();
    let rows: Vec<usize> = rows
        .iter()
        .copied()
        .filter(|&k| reader.rows[k].iter().all(|&(v, _)| known(v)))
        .collect();
    let mut vars: Vec<u32> = rows
        .iter()
        .flat_map(|&k| reader.rows[k].iter().map(|e| e.0))
        .collect();
    vars.sort_unstable();
    vars.dedup();
    (vars, rows)
}

/// The withheld small counts that the contributor of a withheld 1 works out over all relations
/// together: knowing `s`, a variable `b` is determined iff its signature is a multiple `λ` of
/// `s`'s. With `λ = 1`, `b − s`
/// is determined without `s`: `b` counts the same people again plus published numbers (a Kreis
/// with a single municipality), and the contributor learns nothing the public does not know.
fn singletons(
    reader: &Reader,
    values: &[Option<f64>],
    signature: &[Option<Row>],
    primary: impl Fn(usize) -> bool,
) -> (Vec<usize>, Vec<usize>) {
    // Signatures scaled to a leading 1, rounded, as keys; the scale kept to compare λ.
    let mut groups: FxHashMap<Vec<(u32, i64)>, Row> = FxHashMap::default();
    for (v, sig) in signature.iter().enumerate() {
        let Some(sig) = sig.as_ref().filter(|s| !s.is_empty()) else {
            continue;
        };
        if !primary(reader.cells[v]) {
            continue;
        }
        let lead = sig[0].1;
        let key = sig
            .iter()
            .map(|&(f, x)| (f, (x / lead * 1e6).round() as i64))
            .collect();
        groups.entry(key).or_default().push((v as u32, lead));
    }
    let (mut found, mut sources) = (Vec::new(), Vec::new());
    for members in groups.values().filter(|m| m.len() > 1) {
        for &(s, ls) in members {
            if values[reader.cells[s as usize]] != Some(1.0) {
                continue;
            }
            // λ = 1 within the rounding of the elimination: the same people.
            let others: Vec<usize> = members
                .iter()
                .filter(|&&(b, lb)| b != s && (lb / ls - 1.0).abs() > 1e-6)
                .map(|&(b, _)| reader.cells[b as usize])
                .collect();
            if !others.is_empty() {
                sources.push(reader.cells[s as usize]);
                found.extend(others);
            }
        }
    }
    (found, sources)
}

/// For each free variable of a component, how far it can move from the true point (as a step
/// `δ` added to it, every other variable following its signature) with every cell staying
/// non-negative.
fn segments(
    vars: &[u32],
    signature: &[Option<Row>],
    value: impl Fn(u32) -> f64,
) -> FxHashMap<u32, (f64, f64)> {
    let mut reach: FxHashMap<u32, (f64, f64)> = FxHashMap::default();
    for &v in vars {
        for &(f, a) in signature[v as usize].iter().flatten() {
            let e = reach.entry(f).or_insert((f64::NEG_INFINITY, f64::INFINITY));
            if a > 0.0 {
                e.0 = e.0.max(-value(v) / a);
            } else if a < 0.0 {
                e.1 = e.1.min(value(v) / -a);
            }
        }
    }
    reach
}

/// Slack for comparisons of solver output with counts.
const TOL: f64 = 1e-6;

/// The withheld small counts (`small`, variables of one component) whose feasible interval
/// under non-negativity is narrower than `min_count`. `None` if a linear programme fails.
///
/// The withheld small counts whose interval in one relation alone is narrower than `min_count`:
/// a relation whose unknown cells all have the same sign (parts of a published total) bounds
/// each of them by what the total leaves, `S`; the interval is `[0, S]` at most. Every other
/// relation only narrows it further, so each one found is narrow over all relations too.
fn narrow_alone(
    reader: &Reader,
    fixed: &[bool],
    primary: impl Fn(usize) -> bool,
    min_count: f64,
) -> Vec<usize> {
    let mut out = Vec::new();
    for (row, &rhs) in reader.rows.iter().zip(&reader.rhs) {
        if row.len() < 2 || row.iter().any(|e| e.1 * row[0].1 < 0.0) {
            continue;
        }
        let room = rhs / row[0].1;
        if room + TOL >= min_count {
            continue;
        }
        out.extend(
            row.iter()
                .map(|e| e.0 as usize)
                .filter(|&v| !fixed[v] && primary(reader.cells[v]))
                .map(|v| reader.cells[v]),
        );
    }
    out
}

/// One connected component of a reader's system.
struct Component<'a> {
    /// Its variables.
    vars: &'a [u32],
    /// Its rows.
    rows: &'a [usize],
    /// Every variable's signature (see [`signatures`]).
    signature: &'a [Option<Row>],
}

/// The true numbers are one feasible point, so a count with a feasible point at least
/// `min_count` above (or below) its value has a wide enough interval. Three steps, cheapest
/// first: one relation in closed form; moving one free variable of the echelon form from the
/// true point as far as every cell stays non-negative (a segment of feasible points, often wide
/// enough); for the rest, the distance of a target from the count's interval (one programme per
/// component, warm-started per count): `min_count` above its value settles it or gives its
/// highest value, and only a count that stays short needs its lowest. A component with a negative number
/// (a balance, not a count) has no sign constraint to narrow anything.
fn narrow(
    reader: &Reader,
    values: &[Option<f64>],
    component: &Component,
    small: &[u32],
    min_count: f64,
    programmes: &mut usize,
) -> Result<Vec<usize>, Unsettled> {
    let Component {
        vars,
        rows,
        signature,
    } = *component;
    let value = |v: u32| values[reader.cells[v as usize]].unwrap_or(0.0);
    if vars.iter().any(|&v| value(v) < 0.0) {
        return Ok(Vec::new());
    }
    let mut open: Vec<u32> = small.to_vec();
    let mut found = Vec::new();
    if let [k] = rows {
        // One relation: the interval in closed form.
        let row = &reader.rows[*k];
        for &x in &open {
            let a = row.iter().find(|e| e.0 == x).map_or(1.0, |e| e.1);
            let opposite = row.iter().any(|e| e.0 != x && e.1 * a < 0.0);
            let width = if opposite {
                f64::INFINITY
            } else {
                reader.rhs[*k] / a
            };
            if width + TOL < min_count {
                found.push(reader.cells[x as usize]);
            }
        }
        return Ok(found);
    }
    let local: FxHashMap<u32, usize> = vars.iter().enumerate().map(|(i, &v)| (v, i)).collect();
    // The component's relations over its variables `xs`, as equations of a programme.
    let relations = |lp: &mut Problem, xs: &[Variable]| {
        for &k in rows {
            let expr: Vec<(Variable, f64)> = reader.rows[k]
                .iter()
                .map(|&(v, c)| (xs[local[&v]], c))
                .collect();
            lp.add_constraint(expr.as_slice(), ComparisonOp::Eq, reader.rhs[k]);
        }
    };
    let counts = |lp: &mut Problem| -> Vec<Variable> {
        vars.iter()
            .map(|_| lp.add_var(0.0, (0.0, f64::INFINITY)))
            .collect()
    };
    // The point to move from: the true numbers, or, where a cell is unknown to us too (a symbol
    // from the source), any feasible point.
    // The true numbers are a feasible point only where every relation holds exactly (a relation
    // is taken when it adds up to within rounding, see `frame::system`).
    let exact = |k: &usize| {
        let lhs: f64 = reader.rows[*k].iter().map(|&(v, c)| c * value(v)).sum();
        (lhs - reader.rhs[*k]).abs() <= TOL
    };
    let base: Vec<f64> = if vars
        .iter()
        .all(|&v| values[reader.cells[v as usize]].is_some())
        && rows.iter().all(exact)
    {
        vars.iter().map(|&v| value(v)).collect()
    } else {
        *programmes += 1;
        let mut lp = Problem::new(OptimizationDirection::Minimize);
        let xs = counts(&mut lp);
        relations(&mut lp, &xs);
        let sol = lp
            .solve()
            .map_err(unsettled)?
            .into_solution()
            .map_err(|_| Unsettled::Failed)?;
        xs.iter().map(|&v| sol.var_value(v)).collect()
    };
    let from = |v: u32| base[local[&v]];
    let reach = segments(vars, signature, from);
    open.retain(|&h| {
        !signature[h as usize].iter().flatten().any(|&(f, a)| {
            reach
                .get(&f)
                .is_some_and(|&(lo, hi)| a.abs() * (hi - lo) + TOL >= min_count)
        })
    });
    // The distance of a target `T` from a count's interval is the least `d + e` with
    // `x + d − e = T` and every relation holding: one programme per component, with `d`, `e` and
    // a row `x + d − e = z` per count whose `z` is free (the row then binds nothing) until it is
    // fixed at the target. Each check starts from the last optimum (dual simplex steps, not a
    // solve from scratch: 15 to 20 times faster on the demo database). `T` = value +
    // `min_count` gives the highest value where the interval is not that wide, `T` = 0 the
    // lowest; every point found (the relations hold in each) widens the range seen of each
    // other count, and a range `min_count` wide settles it.
    if !open.is_empty() {
        let mut lp = Problem::new(OptimizationDirection::Minimize);
        let xs = counts(&mut lp);
        let d = lp.add_var(1.0, (0.0, f64::INFINITY));
        let e = lp.add_var(1.0, (0.0, f64::INFINITY));
        let z: FxHashMap<u32, Variable> = open
            .iter()
            .map(|&v| (v, lp.add_var(0.0, (f64::NEG_INFINITY, f64::INFINITY))))
            .collect();
        relations(&mut lp, &xs);
        for &x in &open {
            let row = [(xs[local[&x]], 1.0), (d, 1.0), (e, -1.0), (z[&x], -1.0)];
            lp.add_constraint(&row[..], ComparisonOp::Eq, 0.0);
        }
        *programmes += 1;
        let mut sol = lp
            .solve()
            .map_err(unsettled)?
            .into_solution()
            .map_err(|_| Unsettled::Failed)?;
        let point = |sol: &microlp::Solution| -> Vec<f64> {
            xs.iter().map(|&v| sol.var_value(v)).collect()
        };
        // The range of values each count takes over the feasible points seen so far (the true
        // point first): a range `min_count` wide settles it.
        let mut seen: Vec<(f64, f64)> = vars.iter().map(|&v| (from(v), from(v))).collect();
        let mut far = |point: &[f64], v: u32| {
            let (lo, hi) = &mut seen[local[&v]];
            let x = point[local[&v]];
            (*lo, *hi) = (lo.min(x), hi.max(x));
            *hi - *lo + TOL >= min_count
        };
        let first = point(&sol);
        open.retain(|&v| !far(&first, v));
        let mut queue: std::collections::VecDeque<u32> = open.into();
        while let Some(x) = queue.pop_front() {
            let zv = z[&x];
            let mut distance = |sol: microlp::Solution, target: f64| {
                *programmes += 1;
                let s = sol
                    .fix_var(zv, target)
                    .ok()
                    .and_then(|o| o.into_solution().ok())
                    .ok_or(Unsettled::Failed)?;
                let p = point(&s);
                Ok((s.objective(), p, s))
            };
            let (short, high, s) = distance(sol, from(x) + min_count)?;
            queue.retain(|&v| !far(&high, v));
            sol = s;
            if short > TOL && !far(&high, x) {
                let (low, lowest, s) = distance(sol, 0.0)?;
                queue.retain(|&v| !far(&lowest, v));
                sol = s;
                if (from(x) + min_count - short) - low + TOL < min_count {
                    found.push(reader.cells[x as usize]);
                }
            }
            sol = sol
                .unfix_var(zv)
                .ok()
                .and_then(|o| o.0.into_solution().ok())
                .ok_or(Unsettled::Failed)?;
        }
    }
    Ok(found)
}

/// Why a component's intervals were not settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unsettled {
    /// No feasible point: its relations contradict each other.
    Infeasible,
    /// The solver failed otherwise (never read as a contradiction).
    Failed,
}

fn unsettled(e: microlp::Error) -> Unsettled {
    match e {
        microlp::Error::Infeasible => Unsettled::Infeasible,
        _ => Unsettled::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confidential::rel;

    /// Cells of value 10 each, those in `withheld` withheld as secondary.
    fn withhold(n: usize, withheld: &[usize]) -> (Vec<Option<f64>>, Vec<Reason>) {
        let mut reason = vec![Reason::None; n];
        for &c in withheld {
            reason[c] = Reason::Secondary;
        }
        (vec![Some(10.0); n], reason)
    }

    fn linear(values: &[Option<f64>], reason: &[Reason], relations: &[Relation]) -> Findings {
        audit(values, reason, relations, 3.0, Depth::Linear)
    }

    #[test]
    fn one_unknown_in_a_relation_is_determined() {
        // 0 = 1 + 2; 2 unknown.
        let d = determined(1, vec![vec![(0, -1.0)]]);
        assert_eq!(d, vec![true]);
        let d = determined(2, vec![vec![(0, -1.0), (1, -1.0)]]);
        assert_eq!(d, vec![false, false]);
    }

    fn members(n: usize, relations: &[Relation]) -> Vec<Vec<u32>> {
        let mut member = vec![Vec::new(); n];
        for (k, r) in relations.iter().enumerate() {
            for c in std::iter::once(r.total).chain(r.parts.iter().copied()) {
                member[c].push(k as u32);
            }
        }
        member
    }

    #[test]
    fn a_formula_names_the_published_cells_a_reader_uses() {
        // 0 = 1 + 2 with 1 withheld: 1 = cell 0 − cell 2. And 2 = 3 + 4, all published: withheld
        // alone, 2 would be worked out again, so only 0 breaks the formula by itself.
        let relations = [rel(0, &[1, 2]), rel(2, &[3, 4])];
        let unknown = [false, true, false, false, false];
        let f = formulas(&unknown, &relations, &members(5, &relations), &[1]);
        let mut cells = f[0].cells.clone();
        cells.sort_unstable();
        assert_eq!(cells, vec![0, 2]);
        assert_eq!(f[0].breaking, vec![0]);
        // Withholding the breaking cell leaves 1 undetermined; withholding 2 alone does not.
        let (values, mut reason) = withhold(5, &[1, 0]);
        assert!(linear(&values, &reason, &relations).determined.is_empty());
        reason[0] = Reason::None;
        reason[2] = Reason::Secondary;
        assert!(!linear(&values, &reason, &relations).determined.is_empty());
    }

    #[test]
    fn a_cell_the_relations_alone_fix_has_an_empty_formula() {
        // 0 = 1 + 2 and 0 = 1 + 2 + 3, all withheld: 3 = 0 whatever is published.
        let relations = [rel(0, &[1, 2]), rel(0, &[1, 2, 3])];
        let f = formulas(&[true; 4], &relations, &members(4, &relations), &[3]);
        assert!(f[0].cells.is_empty() && f[0].breaking.is_empty());
        let (values, reason) = withhold(4, &[0, 1, 2, 3]);
        assert_eq!(linear(&values, &reason, &relations).determined, vec![3]);
    }

    #[test]
    fn combined_relations_reveal_what_each_alone_does_not() {
        // Kreis 0 = Verband 1 + Verband 2; Verband 1 = 3 + 4; Verband 2 = 5 + 6.
        // Withheld 1, 4, 5: 5 is alone in Verband 2's relation; then Verband 2 is known, so 1 is
        // alone in the Kreis relation; then 4.
        let relations = [rel(0, &[1, 2]), rel(1, &[3, 4]), rel(2, &[5, 6])];
        let (values, reason) = withhold(7, &[1, 4, 5]);
        assert_eq!(
            linear(&values, &reason, &relations).determined,
            vec![1, 4, 5]
        );
    }

    #[test]
    fn the_reported_kreis_leak_is_found() {
        // Kreis 0 = Verband 1 + Verband 2, Verband 1 = 3 + 4, Verband 2 = 5 + 6.
        // Withheld 3 and 4 (Verband 1 alone protects them) and Verband 2 and 5: Verband 2's
        // relation has 2 unknowns, Kreis relation has 1 (Verband 2) → 2 determined → 5.
        let relations = [rel(0, &[1, 2]), rel(1, &[3, 4]), rel(2, &[5, 6])];
        let (values, reason) = withhold(7, &[2, 3, 4, 5]);
        assert_eq!(linear(&values, &reason, &relations).determined, vec![2, 5]);
    }

    #[test]
    fn a_table_with_a_rectangle_of_withheld_cells_is_safe() {
        // 2×2 inner cells with row and column totals: withholding a rectangle determines nothing.
        // Cells: a b / c d, rows r1 = a + b, r2 = c + d, columns k1 = a + c, k2 = b + d.
        let (a, b, c, d, r1, r2, k1, k2) = (0, 1, 2, 3, 4, 5, 6, 7);
        let relations = [
            rel(r1, &[a, b]),
            rel(r2, &[c, d]),
            rel(k1, &[a, c]),
            rel(k2, &[b, d]),
        ];
        let (values, reason) = withhold(8, &[a, b, c, d]);
        assert!(linear(&values, &reason, &relations).is_clean());
        // Three of the four are not enough: the fourth relation closes the loop.
        let (values, reason) = withhold(8, &[a, b, c]);
        assert_eq!(
            linear(&values, &reason, &relations).determined,
            vec![a, b, c]
        );
    }

    #[test]
    fn two_withheld_ones_reveal_each_other_to_their_contributors() {
        // 0 = 1 + 2 + 3, the two ones withheld.
        let relations = [rel(0, &[1, 2, 3])];
        let values = [Some(12.0), Some(1.0), Some(1.0), Some(10.0)];
        let reason = [Reason::None, Reason::Primary, Reason::Primary, Reason::None];
        let f = linear(&values, &reason, &relations);
        assert!(f.determined.is_empty());
        assert_eq!(f.singleton, vec![1, 2]);
    }

    #[test]
    fn a_contributor_combines_relations_too() {
        // Kreis 0 = Verband 1 + Verband 2; Verband 1 = 3 + 4; Verband 2 = 5 + 6. Withheld: the
        // ones 3 and 5 (primary), Verband 1 and 2 (secondary). No relation holds a withheld 1
        // beside just one other withheld part, but the contributor of 3 knows it, hence Verband
        // 1 (= 3 + 4), hence Verband 2 (from the Kreis), hence 5.
        let relations = [rel(0, &[1, 2]), rel(1, &[3, 4]), rel(2, &[5, 6])];
        let values = [20.0, 11.0, 9.0, 1.0, 10.0, 1.0, 8.0].map(Some);
        let mut reason = [Reason::None; 7];
        reason[3] = Reason::Primary;
        reason[5] = Reason::Primary;
        reason[1] = Reason::Secondary;
        reason[2] = Reason::Secondary;
        // Over all relations together, at either depth.
        for depth in [Depth::Linear, Depth::Intervals] {
            let f = audit(&values, &reason, &relations, 3.0, depth);
            assert!(f.determined.is_empty());
            assert_eq!(f.singleton, vec![3, 5]);
        }
    }

    #[test]
    fn the_same_people_counted_again_are_no_disclosure() {
        // Kreis 0 = Gemeinde 1 (its only one); Gemeinde 1 = men 2 + women 3; Kreis 0 = men 4 +
        // women 5; men 4 = men 2. The Kreis' men (4) follow from the Gemeinde's (2, a 1), but they
        // are the same person: the contributor learns nothing about anyone else.
        let relations = [rel(0, &[1]), rel(1, &[2, 3]), rel(0, &[4, 5]), rel(4, &[2])];
        let values = [5.0, 5.0, 1.0, 4.0, 1.0, 4.0].map(Some);
        let mut reason = [Reason::Secondary; 6];
        reason[2] = Reason::Primary;
        reason[4] = Reason::Primary;
        let f = linear(&values, &reason, &relations);
        assert!(f.is_clean(), "{f:?}");
    }

    #[test]
    fn a_narrow_interval_is_found_and_a_wide_one_passes() {
        // 10 = 1 + 1 + 8 with 1 and 1 withheld: each could be 0, 1 or 2, never 3 — a reader
        // knows both are small. The relation alone (closed form) and two relations (the linear
        // programme) both find it.
        let values = [10.0, 1.0, 1.0, 8.0].map(Some);
        let reason = [Reason::None, Reason::Primary, Reason::Primary, Reason::None];
        let one = [rel(0, &[1, 2, 3])];
        let f = audit(&values, &reason, &one, 3.0, Depth::Intervals);
        assert_eq!(f.narrow, vec![1, 2]);
        // With 8 withheld as well, each small cell could be anything from 0 to 10.
        let mut wide = reason;
        wide[3] = Reason::Secondary;
        assert!(audit(&values, &wide, &one, 3.0, Depth::Intervals).is_clean());
        // Two relations: rows 0 = 1 + 2 and columns 3 = 1 + 4 with 2 and 4 withheld 2 and 5.
        // 1 (a 2) lies in [0, min(2 + 2, 2 + 5)] = [0, 4]: wide enough for 3, narrow for 5.
        let values = [4.0, 2.0, 2.0, 7.0, 5.0].map(Some);
        let reason = [
            Reason::None,
            Reason::Primary,
            Reason::Secondary,
            Reason::None,
            Reason::Secondary,
        ];
        let two = [rel(0, &[1, 2]), rel(3, &[1, 4])];
        assert!(audit(&values, &reason, &two, 3.0, Depth::Intervals).is_clean());
        assert_eq!(
            audit(&values, &reason, &two, 5.0, Depth::Intervals).narrow,
            vec![1]
        );
    }

    #[test]
    fn contradicting_relations_over_a_source_symbol_are_left_out_and_said() {
        // A symbol from the source (2) is both 9 and 7 by two published relations: no point is
        // feasible. Without the relations over it, 2 = 1 + 1 (cells 3 and 6) still shows both
        // withheld 1s to be small.
        let values = [
            Some(9.0),
            Some(7.0),
            None,
            Some(1.0),
            Some(8.0),
            Some(2.0),
            Some(1.0),
        ];
        let mut reason = [Reason::None; 7];
        for (c, r) in [
            (3, Reason::Primary),
            (4, Reason::Secondary),
            (6, Reason::Primary),
        ] {
            reason[c] = r;
        }
        let relations = [rel(0, &[2]), rel(1, &[2]), rel(2, &[3, 4]), rel(5, &[3, 6])];
        let f = audit(&values, &reason, &relations, 3.0, Depth::Intervals);
        assert_eq!((f.relaxed, f.unchecked), (1, 0));
        assert_eq!(f.narrow, vec![3, 6]);
    }
}
