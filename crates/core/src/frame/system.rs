//! The confidentiality system of one or more views of the same data (as published and on today's
//! territory): their cells and additive relations, solved and audited together, measure by
//! measure on every core.
//!
//! A reader who downloads both views combines them, so they are one system: a cell that shows
//! the same number at the same place in two views is one cell (withheld in both or in neither),
//! and a merged municipality's value on today's territory is related to its own and its
//! predecessors' published values. Relations never join two measures, so each measure is a
//! system of its own; the measures are spread over the cores and the results kept in measure
//! order, so the output does not depend on the scheduling.

use rustc_hash::FxHashMap;

use super::{AuditReport, Disclosure, Frame, Protection};
use crate::audit::Depth;
use crate::confidential::{Reason, Relation, Rule, findings, suppress};
use crate::engine::Cell;
use crate::measure::{Breakdown, BreakdownItem};

/// Grid index → cell, per series key, per view.
type Ids = Vec<Vec<FxHashMap<usize, usize>>>;

/// The cells of one measure in every view, and their relations.
struct System {
    /// The measure's series keys, sorted.
    keys: Vec<(String, String)>,
    /// Per view, per key: grid index → cell.
    ids: Ids,
    /// Per cell: the number a reader would see without suppression (`None` for a symbol).
    values: Vec<Option<f64>>,
    /// Per cell: a small count.
    primary: Vec<bool>,
    /// `total = Σ parts`, sorted and without repeats.
    relations: Vec<Relation>,
    /// Breakdown variables found to add up.
    breakdown_relations: usize,
}

impl System {
    fn build(views: &[&Frame], measure: &str, rule: Rule) -> System {
        let mut keys: Vec<(String, String)> = views
            .iter()
            .flat_map(|f| f.series.keys().filter(|k| k.0 == measure).cloned())
            .collect();
        keys.sort();
        keys.dedup();
        let mut sys = System {
            keys,
            ids: Vec::with_capacity(views.len()),
            values: Vec::new(),
            primary: Vec::new(),
            relations: Vec::new(),
            breakdown_relations: 0,
        };
        for f in views {
            debug_assert_eq!(f.grid.cells(), views[0].grid.cells());
            let keys = std::mem::take(&mut sys.keys);
            let per_key = keys
                .iter()
                .enumerate()
                .map(|(n, k)| sys.cells_of(f, n, k, rule))
                .collect();
            sys.keys = keys;
            sys.ids.push(per_key);
        }
        for (v, f) in views.iter().enumerate() {
            let base = (v > 0).then(|| &sys.ids[0]);
            let mut out = hierarchy(f, &sys.ids[v], &sys.values);
            out.extend(mergers(f, &sys.ids[v], base, &sys.values));
            sys.relations.extend(out);
        }
        let (found, fits) = breakdowns(&sys.keys, &sys.ids, &sys.values);
        sys.relations.extend(found);
        sys.breakdown_relations = fits;
        for r in sys.relations.iter_mut() {
            r.parts.sort_unstable();
        }
        sys.relations.sort();
        sys.relations.dedup();
        sys
    }

    /// The present cells of series `n` in a view: the same number at the same place as in an
    /// earlier view is that view's cell.
    fn cells_of(
        &mut self,
        f: &Frame,
        n: usize,
        k: &(String, String),
        rule: Rule,
    ) -> FxHashMap<usize, usize> {
        let mut map = FxHashMap::default();
        let Some(s) = f.series.get(k) else {
            return map;
        };
        for i in s.present() {
            let o = s.get(i);
            if o.cell == Cell::Missing {
                continue;
            }
            let value = s.number(i);
            let earlier = self.ids.iter().find_map(|view| {
                view[n]
                    .get(&i)
                    .copied()
                    .filter(|&c| self.values[c] == value)
            });
            let c = earlier.unwrap_or_else(|| {
                self.values.push(value);
                self.primary
                    .push(matches!(o.cell, Cell::Num(v) if rule.primary(v)));
                self.values.len() - 1
            });
            map.insert(i, c);
        }
        map
    }

    /// Every (view, series, grid index, cell).
    fn owners(&self) -> impl Iterator<Item = (usize, usize, usize, usize)> + '_ {
        self.ids.iter().enumerate().flat_map(|(v, keys)| {
            keys.iter()
                .enumerate()
                .flat_map(move |(n, map)| map.iter().map(move |(&i, &c)| (v, n, i, c)))
        })
    }
}

fn sum_of(values: &[Option<f64>], parts: &[usize]) -> Option<f64> {
    parts.iter().map(|&c| values[c]).sum()
}

/// Whether `total = Σ parts` holds in the numbers (all known).
fn adds_up(values: &[Option<f64>], total: usize, parts: &[usize]) -> bool {
    values[total]
        .zip(sum_of(values, parts))
        .is_some_and(|(t, sum)| (t - sum).abs() < 0.5)
}

/// Whether `total = Σ parts` holds or cannot be checked (an unknown cell) — but not when the
/// known parts alone exceed the total: counts are not negative, so no unknown part can make
/// that relation hold (a dissolved Kreis with a 0 beside its municipalities' numbers), and a
/// relation that does not hold could "prove" a cell.
fn holds(values: &[Option<f64>], total: usize, parts: &[usize]) -> bool {
    let Some(t) = values[total] else {
        return true;
    };
    match sum_of(values, parts) {
        Some(_) => adds_up(values, total, parts),
        None => parts.iter().filter_map(|&c| values[c]).sum::<f64>() <= t + 0.5,
    }
}

/// Along the hierarchy. A missing part is unknown, so the relation over the parts alive that
/// year protects by itself.
fn hierarchy(f: &Frame, ids: &[FxHashMap<usize, usize>], values: &[Option<f64>]) -> Vec<Relation> {
    let g = &f.grid;
    let mut out = Vec::new();
    for map in ids {
        if map.is_empty() {
            continue;
        }
        let id = |i: usize| map.get(&i).copied();
        // Only the cells present can be totals: a sparse series costs its cells, not the grid.
        let mut present: Vec<(usize, usize)> = map
            .iter()
            .map(|(&i, &c)| (i, c))
            .filter(|&(i, _)| !g.children[i / g.years].is_empty())
            .collect();
        present.sort_unstable();
        for (i, total) in present {
            let (r, col) = (i / g.years, i % g.years);
            {
                let parts: Option<Vec<usize>> = g.parts(r, col).map(|c| id(g.at(c, col))).collect();
                let alive = parts.filter(|p| !p.is_empty());
                // The relation a reader forms from what was published that year: the total
                // against every part with a value, whether or not the register has it alive,
                // when those add up to the total (a part formed later, or dissolved earlier, has
                // no cell and leaves the sum exact).
                let published: Vec<usize> =
                    g.children(r).filter_map(|c| id(g.at(c, col))).collect();
                if adds_up(values, total, &published)
                    && !published.is_empty()
                    && alive.as_ref() != Some(&published)
                {
                    out.push(Relation {
                        total,
                        parts: published,
                    });
                }
                // The relation over the parts alive holds only where the numbers say so (a
                // source total may include a part the register no longer has alive); a relation
                // that does not hold could "prove" a cell, and no further suppression could undo
                // that. Unknown cells make it uncheckable: kept.
                if let Some(parts) = alive.filter(|p| holds(values, total, p)) {
                    out.push(Relation { total, parts });
                }
            }
        }
    }
    out
}

/// Along mergers converted to today's territory: a successor's value for the years up to the
/// merger is its own published value (in the `base` view, as published) plus its predecessors';
/// where that holds a reader can form it.
fn mergers(
    f: &Frame,
    ids: &[FxHashMap<usize, usize>],
    base: Option<&Vec<FxHashMap<usize, usize>>>,
    values: &[Option<f64>],
) -> Vec<Relation> {
    let mut by_successor: FxHashMap<usize, Vec<(usize, u16)>> = FxHashMap::default();
    for &(from, to, last) in &f.mergers {
        by_successor.entry(to).or_default().push((from, last));
    }
    let mut successors: Vec<_> = by_successor.into_iter().collect();
    successors.sort();
    let g = &f.grid;
    let mut out = Vec::new();
    for (n, map) in ids.iter().enumerate() {
        for (to, preds) in &successors {
            for col in 0..g.years {
                let year = g.year(col);
                let Some(&total) = map.get(&g.at(*to, col)) else {
                    continue;
                };
                let mut parts: Vec<usize> = preds
                    .iter()
                    .filter(|&&(_, last)| year <= last)
                    .filter_map(|&(from, _)| map.get(&g.at(from, col)).copied())
                    .collect();
                if let Some(&own) = base.and_then(|b| b[n].get(&g.at(*to, col)))
                    && own != total
                {
                    parts.push(own);
                }
                if !parts.is_empty() && adds_up(values, total, &parts) {
                    out.push(Relation { total, parts });
                }
            }
        }
    }
    out
}

/// Along breakdowns: (variable, the other items) → categories, in every view. Only a real
/// partition protects or leaks: every relation that adds up is one a reader can form; one that
/// cannot be checked (a symbol among its cells) is taken where the variable adds up elsewhere;
/// one that does not add up is none. Returns the relations and the number of variables that add
/// up somewhere.
fn breakdowns(
    keys: &[(String, String)],
    ids: &Ids,
    values: &[Option<f64>],
) -> (Vec<Relation>, usize) {
    let position: FxHashMap<&str, usize> = keys
        .iter()
        .enumerate()
        .map(|(n, k)| (k.1.as_str(), n))
        .collect();
    let mut groups: FxHashMap<(String, String), Vec<usize>> = FxHashMap::default();
    for (n, k) in keys.iter().enumerate() {
        let Some(bd) = Breakdown::parse_key(&k.1) else {
            continue;
        };
        for (pos, item) in bd.items().iter().enumerate() {
            let rest: Vec<BreakdownItem> = bd
                .items()
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != pos)
                .map(|(_, x)| x.clone())
                .collect();
            groups
                .entry((item.variable.clone(), Breakdown::new(rest).key()))
                .or_default()
                .push(n);
        }
    }
    let mut group_keys: Vec<_> = groups.keys().cloned().collect();
    group_keys.sort();
    let (mut out, mut variables) = (Vec::new(), 0);
    for g in group_keys {
        let Some(&tn) = position.get(g.1.as_str()) else {
            continue;
        };
        let parts = &groups[&g];
        let (mut fits, mut misfits) = (0usize, 0usize);
        let mut unchecked = Vec::new();
        for view in ids {
            let mut totals: Vec<(usize, usize)> = view[tn].iter().map(|(&i, &c)| (i, c)).collect();
            totals.sort_unstable();
            for (i, total) in totals {
                let cells: Option<Vec<usize>> =
                    parts.iter().map(|&p| view[p].get(&i).copied()).collect();
                let Some(cells) = cells else { continue };
                if adds_up(values, total, &cells) {
                    fits += 1;
                    out.push(Relation {
                        total,
                        parts: cells,
                    });
                } else if holds(values, total, &cells) {
                    unchecked.push(Relation {
                        total,
                        parts: cells,
                    });
                } else {
                    misfits += 1;
                }
            }
        }
        if fits > 0 {
            variables += 1;
        }
        if fits > 0 && misfits <= fits {
            out.extend(unchecked);
        }
    }
    (out, variables)
}

/// The measures under a rule in any view, largest first (so the cores finish together).
fn measures(views: &[&Frame], rules: &FxHashMap<String, Rule>) -> Vec<(String, Rule)> {
    let mut weight: FxHashMap<&str, usize> = FxHashMap::default();
    for f in views {
        for (k, s) in &f.series {
            if rules.contains_key(&k.0) {
                *weight.entry(k.0.as_str()).or_default() += s.num.len();
            }
        }
    }
    let mut out: Vec<(usize, String, Rule)> = weight
        .into_iter()
        .map(|(m, w)| (w, m.to_string(), rules[m]))
        .collect();
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    out.into_iter().map(|(_, m, r)| (m, r)).collect()
}

/// Runs `work` for every measure on every core; the results in the order of `measures`.
fn per_measure<T: Send>(
    measures: &[(String, Rule)],
    work: impl Fn(&str, Rule) -> T + Sync,
) -> Vec<T> {
    crate::parallel::on_every_core(measures, |(m, rule)| work(m, *rule))
}

/// Applies statistical confidentiality to every measure with a rule in all `views` together
/// (see [`Frame::protect`]); the views must share one grid (the same data as published and on
/// today's territory).
pub fn protect_views(views: &mut [&mut Frame], rules: &FxHashMap<String, Rule>) -> Protection {
    let solved: Vec<(System, Vec<Reason>)> = {
        let shared: Vec<&Frame> = views.iter().map(|f| &**f).collect();
        let list = measures(&shared, rules);
        per_measure(&list, |m, rule| {
            let sys = System::build(&shared, m, rule);
            let reason = suppress(&sys.values, &sys.primary, &sys.relations, rule);
            (sys, reason)
        })
    };
    let mut out = Protection::default();
    // Per view: the withheld cells, grouped by series.
    let mut withheld: Vec<FxHashMap<&(String, String), Vec<usize>>> =
        vec![FxHashMap::default(); views.len()];
    for (sys, reason) in &solved {
        out.breakdown_relations += sys.breakdown_relations;
        out.primary += reason.iter().filter(|r| **r == Reason::Primary).count();
        out.secondary += reason.iter().filter(|r| **r == Reason::Secondary).count();
        for (v, n, i, c) in sys.owners() {
            if reason[c] != Reason::None {
                withheld[v].entry(&sys.keys[n]).or_default().push(i);
            }
        }
    }
    // Each view copies the series it changes (copy on write) on a core of its own.
    std::thread::scope(|scope| {
        for (view, cells) in views.iter_mut().zip(&withheld) {
            scope.spawn(move || {
                for (key, list) in cells {
                    if let Some(s) = view.series.get_mut(*key) {
                        let s = std::sync::Arc::make_mut(s);
                        for &i in list {
                            s.suppress(i);
                        }
                    }
                }
            });
        }
    });
    out
}

/// Audits protected copies (`public`, after [`protect_views`] with the same rules) of `internal`
/// views: which withheld cells a reader of all views together can still work out (see
/// [`crate::audit`]), to the given depth. A cell shown in one view and withheld in another is
/// shown.
pub fn audit_views(
    internal: &[&Frame],
    public: &[&Frame],
    rules: &FxHashMap<String, Rule>,
    depth: Depth,
) -> AuditReport {
    let list = measures(internal, rules);
    let parts = per_measure(&list, |m, rule| {
        audit_measure(internal, public, m, rule, depth)
    });
    let mut out = AuditReport::default();
    for r in parts {
        out.cells += r.cells;
        out.relations += r.relations;
        out.primary += r.primary;
        out.secondary += r.secondary;
        out.unprotected_primary += r.unprotected_primary;
        out.unchecked += r.unchecked;
        out.relaxed += r.relaxed;
        out.programmes += r.programmes;
        out.determined.extend(r.determined);
        out.singleton.extend(r.singleton);
        out.narrow.extend(r.narrow);
    }
    out
}

fn audit_measure(
    internal: &[&Frame],
    public: &[&Frame],
    measure: &str,
    rule: Rule,
    depth: Depth,
) -> AuditReport {
    let sys = System::build(internal, measure, rule);
    let n = sys.values.len();
    let (mut shown, mut hidden) = (vec![false; n], vec![false; n]);
    for (v, k, i, c) in sys.owners() {
        let withheld = public[v]
            .series
            .get(&sys.keys[k])
            .is_none_or(|s| s.suppressed(i));
        if withheld {
            hidden[c] = true;
        } else {
            shown[c] = true;
        }
    }
    let reason: Vec<Reason> = (0..n)
        .map(|c| match (shown[c], sys.primary[c]) {
            (true, _) => Reason::None,
            (false, true) => Reason::Primary,
            (false, false) => Reason::Secondary,
        })
        .collect();
    let mut found = findings(&sys.values, &reason, &sys.relations, rule, depth);
    // Withheld in one view, shown in another: given away outright.
    found
        .determined
        .extend((0..n).filter(|&c| shown[c] && hidden[c]));
    let name = |c: usize| -> Option<Disclosure> {
        let (v, k, i, _) = sys.owners().find(|o| o.3 == c)?;
        let g = &internal[v].grid;
        Some(Disclosure {
            measure: sys.keys[k].0.clone(),
            breakdown: sys.keys[k].1.clone(),
            region: g.key(i / g.years).clone(),
            year: g.year(i % g.years),
            view: v,
        })
    };
    let names = |cells: &[usize]| cells.iter().filter_map(|&c| name(c)).collect();
    AuditReport {
        cells: n,
        relations: sys.relations.len(),
        primary: reason.iter().filter(|r| **r == Reason::Primary).count(),
        secondary: reason.iter().filter(|r| **r == Reason::Secondary).count(),
        unprotected_primary: (0..n).filter(|&c| sys.primary[c] && shown[c]).count(),
        determined: names(&found.determined),
        singleton: names(&found.singleton),
        narrow: names(&found.narrow),
        unchecked: found.unchecked,
        relaxed: found.relaxed,
        programmes: found.programmes,
    }
}
