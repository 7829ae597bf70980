//! Statistical confidentiality: primary suppression of small counts and secondary suppression so
//! that no suppressed cell can be recomputed from a published total and the other published cells
//! of that total.
//!
//! The cells and their additive relations (`total = Σ parts`, along the region hierarchy and along
//! breakdowns) are plain indices here, so the same solver serves the frame, exports and any later
//! output. A relation with exactly one unknown cell gives that cell away; the solver then
//! suppresses one more cell of the relation, the one that loses least information (the smallest
//! non-zero part, as statistical offices do with cell-suppression priorities), and repeats until no
//! relation has a single unknown cell. Cells that are already unknown to the public (a symbol from
//! the source, or no value) count as unknown and protect their relation too.

use std::collections::VecDeque;

use crate::audit::{self, Depth, Findings};

/// The version of the suppression rules. A results cache records it; a cache computed with
/// other rules is stale. 2: the audit over all relations together, the singleton rule and the
/// relations over the parts published in a year. 3: singletons over all relations together,
/// feasible intervals of small counts, both territories protected together. 4: the suppression
/// checks singletons over all relations together. 5: values from an indicator's published
/// equivalent fill the cells without an own value (the cache records which). 6: a Land or
/// Regierungsbezirk missing from the registers lives as long as its parts (Saxony-Anhalt's Land
/// sums after 2015), and a sum needs at least half of its parts. 7: a Kreis's „.“ from before
/// the reform that formed it takes the published equivalent (INKAR's conversion). 8: only the
/// Kreise a reform's break lists as `formed` (7 filled every Kreis in the break's scope, where a
/// „.“ may be a secret: such a cache must be recomputed). 9: the suppression also widens every
/// small count whose feasible interval over all relations together is too narrow.
pub const RULES_VERSION: u32 = 9;

/// The rule for one measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// Counts `0 < v < min_count` are suppressed (the default 3 suppresses 1 and 2).
    pub min_count: f64,
}

impl Default for Rule {
    fn default() -> Self {
        Rule { min_count: 3.0 }
    }
}

impl Rule {
    /// Parses a catalogue rule: empty for the default, `none` for no suppression, `min_count=N`.
    /// Returns `Ok(None)` for `none`.
    pub fn parse(text: &str) -> Result<Option<Rule>, String> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(Some(Rule::default()));
        }
        if t.eq_ignore_ascii_case("none") || t.eq_ignore_ascii_case("keine") {
            return Ok(None);
        }
        let Some(v) = t.strip_prefix("min_count=") else {
            return Err(format!(
                "unknown confidentiality rule {t:?}; expected `min_count=N` or `none`"
            ));
        };
        match v.trim().parse::<u32>() {
            Ok(n) if n >= 1 => Ok(Some(Rule {
                min_count: f64::from(n),
            })),
            _ => Err(format!("min_count must be a whole number ≥ 1, not {v:?}")),
        }
    }

    /// Whether a parsed catalogue rule protects less than the default: `none`, or a
    /// `min_count` below 3 (only an admin may set one in the workspace).
    pub fn weaker_than_default(rule: Option<Rule>) -> bool {
        rule.is_none_or(|r| r.min_count < Rule::default().min_count)
    }

    /// Whether a published count falls under primary suppression.
    pub fn primary(&self, v: f64) -> bool {
        v > 0.0 && v < self.min_count
    }
}

/// `total = Σ parts` over cell indices.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Relation {
    /// The total.
    pub total: usize,
    /// Its parts.
    pub parts: Vec<usize>,
}

/// `total = Σ parts`, for tests.
#[cfg(test)]
pub(crate) fn rel(total: usize, parts: &[usize]) -> Relation {
    Relation {
        total,
        parts: parts.to_vec(),
    }
}

/// Why a cell is not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Published.
    None,
    /// Too small a count.
    Primary,
    /// Would give away a primary cell.
    Secondary,
}

/// Suppresses cells. `values[i]` is the number the public would see (`None` if the cell is
/// already unknown), `primary[i]` marks small counts. Returns the reason per cell.
///
/// Two steps alternate until the [`audit`](crate::audit) finds nothing: the fast relation rule
/// (no relation may have exactly one unknown cell of ours, and no relation may have a withheld
/// 1 beside exactly one other withheld primary part, which its contributor would work out), then
/// the audit over all relations together, which catches what only a combination of relations
/// reveals (a Kreis against all its Gemeinden across Verband levels, tables with two
/// breakdowns): a determined cell gets one cell of the reader's formula for it withheld; a
/// small count that a contributor of a withheld 1 works out over all relations together, or
/// whose interval one relation alone makes too narrow, gets a cell of its nearest relation
/// with a published cell withheld. Once those rounds find nothing, the audit of intervals over
/// all relations together (linear programmes) runs on what changed since it last ran, and a
/// small count it finds too narrow is widened the same way. The result passes
/// [`Depth::Intervals`] of the audit with nothing found.
pub fn suppress(
    values: &[Option<f64>],
    primary: &[bool],
    relations: &[Relation],
    rule: Rule,
) -> Vec<Reason> {
    let n = values.len();
    let mut reason: Vec<Reason> = (0..n)
        .map(|i| {
            if primary[i] && values[i].is_some() {
                Reason::Primary
            } else {
                Reason::None
            }
        })
        .collect();
    let mut member: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (k, r) in relations.iter().enumerate() {
        member[r.total].push(k as u32);
        for &p in &r.parts {
            member[p].push(k as u32);
        }
    }
    // Secondary cells published again because the relations alone determine them (publishing
    // them tells nothing new); never withheld again, so the rounds cannot cycle.
    let mut released = vec![false; n];
    let mut seeds: Vec<usize> = (0..n).filter(|&i| reason[i] == Reason::Primary).collect();
    // The state the last audit of each depth saw; `None` before the first (which audits
    // everything).
    let mut audited: [Option<Vec<Reason>>; 2] = [None, None];
    let mut depth = Depth::Linear;
    // The small counts the last interval audit left open (too narrow, or not checked with all
    // their relations).
    let mut narrow: Vec<usize> = Vec::new();
    loop {
        propagate(
            values,
            &mut reason,
            &released,
            relations,
            &member,
            &seeds,
            rule,
        );
        // The linear checks (singletons over all relations and each relation's interval) every
        // round; the intervals over all relations together (linear programmes, slower) once the
        // linear rounds find nothing. After the first audit of a depth only the withheld cells
        // connected to a change since can have changed; and since withholding more only widens
        // intervals, a later interval audit checks only the counts the last one left open.
        let slot = usize::from(depth == Depth::Intervals);
        let found = match &audited[slot] {
            None => findings(values, &reason, relations, rule, depth),
            Some(before) => {
                let mut changed: Vec<usize> = (0..n).filter(|&i| before[i] != reason[i]).collect();
                let among = (depth == Depth::Intervals).then(|| {
                    changed.extend(&narrow);
                    narrow.iter().copied().collect()
                });
                let near = around(values, &reason, relations, &member, &changed);
                audit::audit_among(
                    values,
                    &reason,
                    &near,
                    rule.min_count,
                    depth,
                    among.as_ref(),
                )
            }
        };
        audited[slot] = Some(reason.clone());
        if depth == Depth::Intervals {
            // And the counts of components not checked with all their relations: a later
            // widening may make those relations hold, and the intervals narrower.
            narrow.clone_from(&found.narrow);
            narrow.extend(&found.recheck);
        }
        // A determined cell: withhold one published cell of the reader's formula for it. One
        // that follows from the relations alone (no published cell in its formula, or only
        // cells that do themselves) stays determined whatever else is withheld: a secondary one
        // is published (it tells nothing new) and never withheld again.
        seeds = Vec::new();
        let hidden: Vec<bool> = (0..n).map(|i| unknown(values, &reason, i)).collect();
        let formulas = audit::formulas(&hidden, relations, &member, &found.determined);
        let mut stuck = Vec::new();
        for (&h, formula) in found.determined.iter().zip(formulas) {
            let pick = cheapest(values, &reason, &released, formula.breaking.iter().copied())
                .or_else(|| cheapest(values, &reason, &released, formula.cells.iter().copied()));
            match pick {
                Some(c) => {
                    reason[c] = Reason::Secondary;
                    seeds.push(c);
                }
                // Withheld this round for another cell's formula: the next audit decides.
                None if formula.cells.iter().any(|&c| !released[c]) => {}
                None if reason[h] == Reason::Secondary => {
                    reason[h] = Reason::None;
                    released[h] = true;
                    // Published, it may complete a relation the singleton check reads.
                    seeds.push(h);
                }
                None => stuck.push(h),
            }
        }
        // A singleton's chain starts at the contributor's 1: widen there too.
        let mut cells = found.singleton.clone();
        cells.extend(&found.narrow);
        cells.extend(&found.sources);
        cells.extend(&stuck);
        cells.sort_unstable();
        cells.dedup();
        let widened: Vec<usize> = cells
            .iter()
            .filter_map(|&h| {
                let near = nearest_open(values, &reason, relations, &member, h);
                widen(values, &mut reason, &released, relations, &near)
            })
            .collect();
        if widened.is_empty() && !cells.is_empty() && seeds.is_empty() {
            // Nothing near a found cell is left to withhold one by one: withhold every
            // published cell of every relation it is in, and check again (a last resort that
            // loses information but never publishes a determined cell).
            seeds = cells
                .iter()
                .flat_map(|&h| member[h].iter())
                .flat_map(|&k| {
                    let r = &relations[k as usize];
                    std::iter::once(r.total).chain(r.parts.iter().copied())
                })
                .filter(|&c| !released[c] && !unknown(values, &reason, c))
                .collect();
            seeds.sort_unstable();
            seeds.dedup();
            for &c in &seeds {
                reason[c] = Reason::Secondary;
            }
        }
        seeds.extend(widened);
        depth = match (seeds.is_empty(), depth) {
            (false, _) => Depth::Linear,
            (true, Depth::Linear) => Depth::Intervals,
            (true, Depth::Intervals) => break,
        };
    }
    reason
}

/// The relations of every withheld cell connected (through relations over withheld cells) to
/// one of `cells` or to a relation of theirs: all a change at `cells` can alter in an audit.
fn around(
    values: &[Option<f64>],
    reason: &[Reason],
    relations: &[Relation],
    member: &[Vec<u32>],
    cells: &[usize],
) -> Vec<Relation> {
    let mut seen_cell = rustc_hash::FxHashSet::default();
    let mut seen_rel = rustc_hash::FxHashSet::default();
    let mut queue: Vec<usize> = cells.to_vec();
    seen_cell.extend(cells.iter().copied());
    let mut out = Vec::new();
    while let Some(c) = queue.pop() {
        for &k in &member[c] {
            if !seen_rel.insert(k) {
                continue;
            }
            let r = &relations[k as usize];
            for x in std::iter::once(r.total).chain(r.parts.iter().copied()) {
                if unknown(values, reason, x) && seen_cell.insert(x) {
                    queue.push(x);
                }
            }
            out.push(k);
        }
    }
    // In the index order of `relations`: the audit then eliminates these components exactly as
    // it does over all relations (the same pivots and signatures), so what a round finds clean
    // the final audit finds clean too.
    out.sort_unstable();
    out.into_iter()
        .map(|k| relations[k as usize].clone())
        .collect()
}

/// The published cell among `cells` whose withholding loses least information: the smallest
/// non-zero number, then a zero; never a cell published again after being found determined.
fn cheapest(
    values: &[Option<f64>],
    reason: &[Reason],
    released: &[bool],
    cells: impl Iterator<Item = usize>,
) -> Option<usize> {
    let key = |c: usize| {
        let v = values[c].unwrap_or(0.0).abs();
        (v == 0.0, v, c)
    };
    cells
        .filter(|&c| !released[c] && !unknown(values, reason, c))
        .min_by(|&a, &b| {
            key(a)
                .partial_cmp(&key(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
}

/// What the audit finds in a suppression, to the given depth.
pub fn findings(
    values: &[Option<f64>],
    reason: &[Reason],
    relations: &[Relation],
    rule: Rule,
    depth: Depth,
) -> Findings {
    audit::audit(values, reason, relations, rule.min_count, depth)
}

fn unknown(values: &[Option<f64>], reason: &[Reason], i: usize) -> bool {
    values[i].is_none() || reason[i] != Reason::None
}

/// The relation rule, from the relations of the `seeds` cells until nothing changes: no relation
/// may give one withheld cell away, pair a withheld 1 with one other withheld small part, or
/// leave its withheld parts less room than the rule's interval.
fn propagate(
    values: &[Option<f64>],
    reason: &mut [Reason],
    released: &[bool],
    relations: &[Relation],
    member: &[Vec<u32>],
    seeds: &[usize],
    rule: Rule,
) {
    let mut queue: VecDeque<u32> = VecDeque::new();
    let mut queued = vec![false; relations.len()];
    for &i in seeds {
        for &k in &member[i] {
            if !queued[k as usize] {
                queued[k as usize] = true;
                queue.push_back(k);
            }
        }
    }
    while let Some(k) = queue.pop_front() {
        queued[k as usize] = false;
        let r = &relations[k as usize];
        let cells = std::iter::once(r.total).chain(r.parts.iter().copied());
        let hidden: Vec<usize> = cells
            .clone()
            .filter(|&c| unknown(values, reason, c))
            .collect();
        // Only cells we suppressed need protecting; a relation whose single unknown is a
        // source symbol gives nothing of ours away.
        let ours = hidden
            .iter()
            .filter(|&&c| reason[c] != Reason::None)
            .count();
        let lone = hidden.len() == 1 && ours == 1;
        let singleton = |a: usize, b: usize| {
            reason[a] == Reason::Primary && values[a] == Some(1.0) && reason[b] == Reason::Primary
        };
        let pair = hidden.len() == 2
            && !hidden.contains(&r.total)
            && (singleton(hidden[0], hidden[1]) || singleton(hidden[1], hidden[0]));
        // A published total less its published parts bounds every withheld part: that room
        // must leave a small count's interval as wide as the rule.
        let room = || {
            let published: f64 = r
                .parts
                .iter()
                .filter(|&&c| !unknown(values, reason, c))
                .filter_map(|&c| values[c])
                .sum();
            values[r.total].map_or(f64::INFINITY, |t| t - published)
        };
        let tight = !hidden.contains(&r.total)
            && hidden.iter().any(|&c| reason[c] == Reason::Primary)
            && room() < rule.min_count - 1e-6;
        if !lone && !pair && !tight {
            continue;
        }
        if let Some(c) = widen(values, reason, released, relations, &[k]) {
            for &k2 in &member[c] {
                if !queued[k2 as usize] {
                    queued[k2 as usize] = true;
                    queue.push_back(k2);
                }
            }
        }
    }
}

/// The relations nearest to cell `h` that still have a published cell: its own, or, when all of
/// those are wholly unknown, the relations reached through their unknown cells, breadth first.
/// A cell can be determined through relations that hold no published cell at all (`T = a + b`
/// with all three withheld says as much as any other), so the cell to withhold next may lie
/// further away.
fn nearest_open(
    values: &[Option<f64>],
    reason: &[Reason],
    relations: &[Relation],
    member: &[Vec<u32>],
    h: usize,
) -> Vec<u32> {
    let mut seen_cell = rustc_hash::FxHashSet::default();
    let mut seen_rel = rustc_hash::FxHashSet::default();
    let mut frontier = vec![h];
    seen_cell.insert(h);
    while !frontier.is_empty() {
        let rels: Vec<u32> = frontier
            .iter()
            .flat_map(|&c| member[c].iter().copied())
            .filter(|&k| seen_rel.insert(k))
            .collect();
        let cells = |k: u32| {
            let r = &relations[k as usize];
            std::iter::once(r.total).chain(r.parts.iter().copied())
        };
        let open: Vec<u32> = rels
            .iter()
            .copied()
            .filter(|&k| cells(k).any(|c| !unknown(values, reason, c)))
            .collect();
        if !open.is_empty() {
            return open;
        }
        frontier = rels
            .iter()
            .flat_map(|&k| cells(k))
            .filter(|&c| seen_cell.insert(c))
            .collect();
    }
    Vec::new()
}

/// Suppresses one more published cell of the given relations, the one that loses least
/// information: the smallest non-zero part, then a zero part, then a total (as the offices'
/// cell-suppression priorities do). Returns the cell, or `None` if every cell is unknown.
fn widen(
    values: &[Option<f64>],
    reason: &mut [Reason],
    released: &[bool],
    relations: &[Relation],
    among: &[u32],
) -> Option<usize> {
    let parts = cheapest(
        values,
        reason,
        released,
        among
            .iter()
            .flat_map(|&k| relations[k as usize].parts.iter().copied()),
    );
    let pick = parts.or_else(|| {
        cheapest(
            values,
            reason,
            released,
            among.iter().map(|&k| relations[k as usize].total),
        )
    })?;
    reason[pick] = Reason::Secondary;
    Some(pick)
}

/// Checks the guarantee: no relation has exactly one unknown cell of which we suppressed it.
/// Returns the first relation that gives a suppressed cell away.
pub fn leak(values: &[Option<f64>], reason: &[Reason], relations: &[Relation]) -> Option<usize> {
    relations.iter().position(|r| {
        let cells: Vec<usize> = std::iter::once(r.total)
            .chain(r.parts.iter().copied())
            .collect();
        let hidden: Vec<usize> = cells
            .iter()
            .copied()
            .filter(|&c| values[c].is_none() || reason[c] != Reason::None)
            .collect();
        hidden.len() == 1 && reason[hidden[0]] != Reason::None
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rules_parse() {
        assert_eq!(Rule::parse(""), Ok(Some(Rule { min_count: 3.0 })));
        assert_eq!(Rule::parse("none"), Ok(None));
        assert_eq!(
            Rule::parse("min_count=5"),
            Ok(Some(Rule { min_count: 5.0 }))
        );
        assert!(Rule::parse("min_count=0").is_err());
        assert!(Rule::parse("dominance").is_err());
        let weaker = |t: &str| Rule::weaker_than_default(Rule::parse(t).expect("rule"));
        assert!(weaker("none") && weaker("min_count=2") && weaker("keine"));
        assert!(!weaker("") && !weaker("min_count=3") && !weaker("min_count=5"));
        let r = Rule::default();
        assert!(!r.primary(0.0) && r.primary(1.0) && r.primary(2.0) && !r.primary(3.0));
    }

    #[test]
    fn a_singleton_across_two_relations_is_protected_by_the_suppression_itself() {
        // P 10 = s 1 + y 9, and y 9 = b 2 + w 7 (y is a total one level down). With y withheld
        // beside s, no relation holds a withheld 1 beside one other withheld small part, yet
        // together s + b = P − w: the contributor of s works out b = 2. The per-relation pair
        // rule misses it; the suppression's own audit over all relations catches it and widens
        // at both ends of the chain: w beside b, and P beside the 1.
        let values = [Some(10.0), Some(1.0), Some(9.0), Some(2.0), Some(7.0)];
        let primary = [false, true, false, true, false];
        let rel = [rel(0, &[1, 2]), rel(2, &[3, 4])];
        let r = suppress(&values, &primary, &rel, Rule::default());
        use Reason::{None as Shown, Primary, Secondary};
        assert_eq!(r, vec![Secondary, Primary, Secondary, Primary, Secondary]);
        let found = findings(&values, &r, &rel, Rule::default(), Depth::Intervals);
        assert!(found.is_clean(), "{found:?}");
        // What the relation rule alone leaves: the audit over all relations finds the singleton.
        let relation_rule = [Shown, Primary, Secondary, Primary, Shown];
        let found = findings(
            &values,
            &relation_rule,
            &rel,
            Rule::default(),
            Depth::Linear,
        );
        assert_eq!((found.singleton, found.sources), (vec![3], vec![1]));
    }

    #[test]
    fn a_lone_small_cell_takes_the_smallest_sibling_with_it() {
        // Kreis 100 = 2 + 40 + 8 + 50
        let values = [Some(100.0), Some(2.0), Some(40.0), Some(8.0), Some(50.0)];
        let primary = [false, true, false, false, false];
        let rel = [rel(0, &[1, 2, 3, 4])];
        let r = suppress(&values, &primary, &rel, Rule::default());
        assert_eq!(
            r,
            vec![
                Reason::None,
                Reason::Primary,
                Reason::None,
                Reason::Secondary,
                Reason::None
            ]
        );
        assert_eq!(leak(&values, &r, &rel), None);
    }

    #[test]
    fn secondary_suppression_travels_up_and_across_relations() {
        // Land 0 = Kreis 1 + Kreis 2; Kreis 1 = 3 + 4 (2 + 10); Kreis 2 = 5 (a single part).
        let values = [
            Some(20.0),
            Some(12.0),
            Some(8.0),
            Some(2.0),
            Some(10.0),
            Some(8.0),
        ];
        let primary = [false, false, false, true, false, false];
        let rel = [rel(0, &[1, 2]), rel(1, &[3, 4]), rel(2, &[5])];
        let r = suppress(&values, &primary, &rel, Rule::default());
        assert_eq!(r[3], Reason::Primary);
        assert_eq!(r[4], Reason::Secondary);
        assert_eq!(leak(&values, &r, &rel), None);
        // Kreis 1 itself stays published: 3 and 4 are both hidden, it reveals neither.
        assert_eq!(r[1], Reason::None);
    }

    #[test]
    fn an_unknown_source_cell_already_protects() {
        let values = [Some(100.0), Some(2.0), None, Some(50.0)];
        let primary = [false, true, false, false];
        let rel = [rel(0, &[1, 2, 3])];
        let r = suppress(&values, &primary, &rel, Rule::default());
        assert_eq!(r[3], Reason::None);
    }

    /// Cell types of one region in a table by sex (2) × age (3): the total, the two sex
    /// margins, the three age margins and the six inner cells.
    const TYPES: usize = 12;

    /// The breakdown relations within one region's cells `c`.
    fn table_relations(c: &[usize; TYPES], rel: &mut Vec<Relation>) {
        let inner = |s: usize, a: usize| c[6 + s * 3 + a];
        rel.push(Relation {
            total: c[0],
            parts: vec![c[1], c[2]],
        });
        rel.push(Relation {
            total: c[0],
            parts: vec![c[3], c[4], c[5]],
        });
        for s in 0..2 {
            rel.push(Relation {
                total: c[1 + s],
                parts: (0..3).map(|a| inner(s, a)).collect(),
            });
        }
        for a in 0..3 {
            rel.push(Relation {
                total: c[3 + a],
                parts: (0..2).map(|s| inner(s, a)).collect(),
            });
        }
    }

    /// A random hierarchy: Land → k Kreise → v Verbände → m Gemeinden, each region with a
    /// table by sex × age (all margins), counts with many small values and some unknown at the
    /// source, every cell type summed up the hierarchy: a three-way table whose relations combine
    /// in ways no single relation shows.
    fn hierarchy() -> impl Strategy<Value = (Vec<Option<f64>>, Vec<Relation>)> {
        (
            1usize..4,
            1usize..3,
            1usize..4,
            proptest::collection::vec(0u32..14, 300),
        )
            .prop_map(|(k, v, m, draws)| {
                let mut values: Vec<Option<f64>> = Vec::new();
                let mut rel = Vec::new();
                let mut d = draws.into_iter().cycle();
                let mut next = move || {
                    let x = d.next().unwrap_or(0);
                    if x == 13 {
                        None
                    } else {
                        Some(f64::from(x % 6))
                    }
                };
                let mut gemeinde = |values: &mut Vec<Option<f64>>, rel: &mut Vec<Relation>| {
                    let inner: Vec<Option<f64>> = (0..6).map(|_| next()).collect();
                    let sum = |ix: &[usize]| ix.iter().map(|&i| inner[i]).sum::<Option<f64>>();
                    let mut cells = [0; TYPES];
                    let vals = [
                        sum(&[0, 1, 2, 3, 4, 5]),
                        sum(&[0, 1, 2]),
                        sum(&[3, 4, 5]),
                        sum(&[0, 3]),
                        sum(&[1, 4]),
                        sum(&[2, 5]),
                    ];
                    for (t, slot) in cells.iter_mut().enumerate() {
                        *slot = values.len();
                        values.push(if t < 6 { vals[t] } else { inner[t - 6] });
                    }
                    table_relations(&cells, rel);
                    cells
                };
                fn node(
                    values: &mut Vec<Option<f64>>,
                    rel: &mut Vec<Relation>,
                    kids: &[[usize; TYPES]],
                ) -> [usize; TYPES] {
                    let mut out = [0; TYPES];
                    for (t, slot) in out.iter_mut().enumerate() {
                        *slot = values.len();
                        let sum: Option<f64> = kids.iter().map(|c| values[c[t]]).sum();
                        values.push(sum);
                        rel.push(Relation {
                            total: *slot,
                            parts: kids.iter().map(|c| c[t]).collect(),
                        });
                    }
                    table_relations(&out, rel);
                    out
                }
                let mut kreise = Vec::new();
                for _ in 0..k {
                    let mut verbaende = Vec::new();
                    for _ in 0..v {
                        let gemeinden: Vec<[usize; TYPES]> =
                            (0..m).map(|_| gemeinde(&mut values, &mut rel)).collect();
                        verbaende.push(node(&mut values, &mut rel, &gemeinden));
                    }
                    kreise.push(node(&mut values, &mut rel, &verbaende));
                }
                node(&mut values, &mut rel, &kreise);
                (values, rel)
            })
    }

    /// Withheld cells whose value follows from the published ones, by the null space: `x_h`
    /// is determined iff every solution of the homogeneous relations (restricted to the unknown
    /// cells) has `x_h = 0`. Dense Gauss–Jordan with partial pivoting: the independent oracle
    /// for the sparse audit.
    fn determined_by_rank(
        values: &[Option<f64>],
        reason: &[Reason],
        rel: &[Relation],
    ) -> Vec<usize> {
        let unknown: Vec<usize> = (0..values.len())
            .filter(|&i| values[i].is_none() || reason[i] != Reason::None)
            .collect();
        let mut m: Vec<Vec<f64>> = rel
            .iter()
            .map(|r| {
                unknown
                    .iter()
                    .map(|&c| {
                        if c == r.total {
                            1.0
                        } else if r.parts.contains(&c) {
                            -1.0
                        } else {
                            0.0
                        }
                    })
                    .collect::<Vec<f64>>()
            })
            .filter(|row| row.iter().any(|&x| x != 0.0))
            .collect();
        let cols = unknown.len();
        let mut pivot_row = vec![None; cols];
        let mut r = 0;
        for c in 0..cols {
            let Some(p) = (r..m.len()).max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs()))
            else {
                break;
            };
            if m[p][c].abs() < 1e-9 {
                continue;
            }
            m.swap(r, p);
            let d = m[r][c];
            for x in m[r].iter_mut() {
                *x /= d;
            }
            let pivot = m[r].clone();
            for (i, row) in m.iter_mut().enumerate() {
                if i != r && row[c].abs() > 1e-12 {
                    let f = row[c];
                    for (x, y) in row.iter_mut().zip(&pivot) {
                        *x -= f * y;
                    }
                }
            }
            pivot_row[c] = Some(r);
            r += 1;
        }
        // Null space basis: one vector per free column f, with x_f = 1 and x_c = -m[row_c][f].
        let free: Vec<usize> = (0..cols).filter(|&c| pivot_row[c].is_none()).collect();
        (0..cols)
            .filter(|&c| pivot_row[c].is_some_and(|p| free.iter().all(|&f| m[p][f].abs() < 1e-9)))
            .map(|c| unknown[c])
            .filter(|&h| reason[h] != Reason::None)
            .collect()
    }

    #[test]
    fn a_kreis_against_all_its_gemeinden_across_verband_levels_is_protected() {
        // Kreis 0 = Verband 1 + Verband 2; Verband 1 = 3 + 4 + 5; Verband 2 = 6 + 7.
        // 3 is small; the relation rule alone suppresses 4 with it, and keeps both Verbände.
        let values: Vec<Option<f64>> = [60.0, 30.0, 30.0, 2.0, 8.0, 20.0, 10.0, 20.0]
            .map(Some)
            .to_vec();
        let primary: Vec<bool> = values
            .iter()
            .map(|v| v.is_some_and(|x| Rule::default().primary(x)))
            .collect();
        let rel = [
            rel(0, &[1, 2]),
            rel(1, &[3, 4, 5]),
            rel(2, &[6, 7]),
            // The flattened partition a reader forms: Kreis = Σ all Gemeinden.
            rel(0, &[3, 4, 5, 6, 7]),
        ];
        let r = suppress(&values, &primary, &rel, Rule::default());
        assert!(findings(&values, &r, &rel, Rule::default(), Depth::Intervals).is_clean());
        // The suppression guarantees the linear depth; this small table is wide enough overall.
        assert!(determined_by_rank(&values, &r, &rel).is_empty());
    }

    proptest! {
        #[test]
        fn no_suppressed_cell_is_determined_by_a_published_total((values, rel) in hierarchy()) {
            let rule = Rule::default();
            let primary: Vec<bool> = values.iter().map(|v| v.is_some_and(|x| rule.primary(x))).collect();
            let r = suppress(&values, &primary, &rel, Rule::default());
            prop_assert_eq!(leak(&values, &r, &rel), None);
            // Nothing withheld follows from any combination of relations (rank oracle), and no
            // contributor of a withheld 1 can work out a small neighbour.
            let found = findings(&values, &r, &rel, Rule::default(), Depth::Intervals);
            prop_assert_eq!(&found.determined, &determined_by_rank(&values, &r, &rel));
            // Nor lies a withheld small count in too narrow an interval over all relations.
            prop_assert!(found.is_clean(), "{:?}", found);
            // Every primary cell stays suppressed, and nothing published is small.
            for i in 0..values.len() {
                if primary[i] { prop_assert_eq!(r[i], Reason::Primary); }
                if let (Reason::None, Some(v)) = (r[i], values[i]) { prop_assert!(!rule.primary(v)); }
            }
        }
    }

    /// The feasible interval of cell `h` under non-negativity, by two linear programmes over the
    /// whole system (no components, no closed forms, no shortcuts): the oracle for the interval
    /// audit.
    fn interval_by_lp(
        values: &[Option<f64>],
        reason: &[Reason],
        rel: &[Relation],
        h: usize,
    ) -> (f64, f64) {
        use microlp::{ComparisonOp, OptimizationDirection, Problem};
        let unknown = |c: usize| values[c].is_none() || reason[c] != Reason::None;
        let bound = |direction| {
            let mut lp = Problem::new(direction);
            let x: Vec<_> = (0..values.len())
                .map(|c| lp.add_var(if c == h { 1.0 } else { 0.0 }, (0.0, f64::INFINITY)))
                .collect();
            for r in rel {
                let mut expr = Vec::new();
                let mut rhs = 0.0;
                for (c, coef) in
                    std::iter::once((r.total, 1.0)).chain(r.parts.iter().map(|&p| (p, -1.0)))
                {
                    if unknown(c) {
                        expr.push((x[c], coef));
                    } else {
                        rhs -= coef * values[c].unwrap_or(0.0);
                    }
                }
                if !expr.is_empty() {
                    lp.add_constraint(expr.as_slice(), ComparisonOp::Eq, rhs);
                }
            }
            match lp.solve() {
                Ok(o) => o.into_solution().map_or(f64::NAN, |s| s.objective()),
                Err(microlp::Error::Unbounded) => f64::INFINITY,
                Err(_) => f64::NAN,
            }
        };
        (
            bound(OptimizationDirection::Minimize),
            bound(OptimizationDirection::Maximize),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn the_interval_audit_agrees_with_whole_system_programmes((values, rel) in hierarchy()) {
            let rule = Rule::default();
            let primary: Vec<bool> = values.iter().map(|v| v.is_some_and(|x| rule.primary(x))).collect();
            // Suppressed, and with the small counts alone withheld (where many intervals are
            // narrow, and some cells determined, which the audit reports as such).
            let suppressed = suppress(&values, &primary, &rel, rule);
            let alone: Vec<Reason> = (0..values.len())
                .map(|i| if primary[i] && values[i].is_some() { Reason::Primary } else { Reason::None })
                .collect();
            for (suppressed, r) in [(true, suppressed), (false, alone)] {
                let found = findings(&values, &r, &rel, rule, Depth::Intervals);
                prop_assert_eq!(found.unchecked, 0);
                let narrow_in_one = findings(&values, &r, &rel, rule, Depth::Linear).narrow;
                for h in (0..values.len()).filter(|&h| r[h] == Reason::Primary) {
                    let (lo, hi) = interval_by_lp(&values, &r, &rel, h);
                    prop_assert!(!lo.is_nan() && !hi.is_nan(), "cell {}: the oracle failed", h);
                    // Each relation alone is wide enough after suppression …
                    prop_assert!(!suppressed || !narrow_in_one.contains(&h));
                    // … and the audit over all relations says exactly what the oracle says.
                    let narrow = hi - lo < rule.min_count - 1e-6;
                    let reported = found.narrow.contains(&h) || found.determined.contains(&h);
                    prop_assert_eq!(reported, narrow, "cell {} ({:?}) lies in [{}, {}]", h, values[h], lo, hi);
                }
            }
        }
    }
}
