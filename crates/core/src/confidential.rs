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

    /// Whether a published count falls under primary suppression.
    pub fn primary(&self, v: f64) -> bool {
        v > 0.0 && v < self.min_count
    }
}

/// `total = Σ parts` over cell indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// The total.
    pub total: usize,
    /// Its parts.
    pub parts: Vec<usize>,
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
pub fn suppress(values: &[Option<f64>], primary: &[bool], relations: &[Relation]) -> Vec<Reason> {
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
    let unknown = |reason: &[Reason], i: usize| values[i].is_none() || reason[i] != Reason::None;
    let mut queue: VecDeque<u32> = VecDeque::new();
    let mut queued = vec![false; relations.len()];
    for i in 0..n {
        if reason[i] == Reason::Primary {
            for &k in &member[i] {
                if !queued[k as usize] {
                    queued[k as usize] = true;
                    queue.push_back(k);
                }
            }
        }
    }
    while let Some(k) = queue.pop_front() {
        queued[k as usize] = false;
        let r = &relations[k as usize];
        let cells = std::iter::once(r.total).chain(r.parts.iter().copied());
        let hidden = cells.clone().filter(|&c| unknown(&reason, c)).count();
        // Only cells we suppressed need protecting; a relation whose single unknown is a
        // source symbol gives nothing of ours away.
        let ours = cells.clone().filter(|&c| reason[c] != Reason::None).count();
        if hidden != 1 || ours != 1 {
            continue;
        }
        // Least information lost: the smallest non-zero part, then a zero part, then the total.
        let pick = r
            .parts
            .iter()
            .copied()
            .filter(|&c| !unknown(&reason, c))
            .min_by(|&a, &b| {
                let key = |c: usize| {
                    let v = values[c].unwrap_or(0.0).abs();
                    (v == 0.0, v, c)
                };
                let (ka, kb) = (key(a), key(b));
                ka.partial_cmp(&kb).unwrap_or(std::cmp::Ordering::Equal)
            })
            .or_else(|| (!unknown(&reason, r.total)).then_some(r.total));
        if let Some(c) = pick {
            reason[c] = Reason::Secondary;
            for &k2 in &member[c] {
                if !queued[k2 as usize] {
                    queued[k2 as usize] = true;
                    queue.push_back(k2);
                }
            }
        }
    }
    reason
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
        let r = Rule::default();
        assert!(!r.primary(0.0) && r.primary(1.0) && r.primary(2.0) && !r.primary(3.0));
    }

    #[test]
    fn a_lone_small_cell_takes_the_smallest_sibling_with_it() {
        // Kreis 100 = 2 + 40 + 8 + 50
        let values = [Some(100.0), Some(2.0), Some(40.0), Some(8.0), Some(50.0)];
        let primary = [false, true, false, false, false];
        let rel = [Relation {
            total: 0,
            parts: vec![1, 2, 3, 4],
        }];
        let r = suppress(&values, &primary, &rel);
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
        let rel = [
            Relation {
                total: 0,
                parts: vec![1, 2],
            },
            Relation {
                total: 1,
                parts: vec![3, 4],
            },
            Relation {
                total: 2,
                parts: vec![5],
            },
        ];
        let r = suppress(&values, &primary, &rel);
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
        let rel = [Relation {
            total: 0,
            parts: vec![1, 2, 3],
        }];
        let r = suppress(&values, &primary, &rel);
        assert_eq!(r[3], Reason::None);
    }

    /// A random hierarchy: root → k children → m grandchildren, counts with many small values,
    /// plus a second "breakdown" partition of every node into two categories.
    fn hierarchy() -> impl Strategy<Value = (Vec<Option<f64>>, Vec<Relation>)> {
        (
            1usize..5,
            1usize..6,
            proptest::collection::vec(0u32..12, 200),
        )
            .prop_map(|(k, m, draws)| {
                let mut values: Vec<Option<f64>> = Vec::new();
                let mut rel = Vec::new();
                let mut d = draws.into_iter().cycle();
                let next = |d: &mut dyn Iterator<Item = u32>| {
                    let v = d.next().unwrap_or(0);
                    if v == 11 {
                        None
                    } else {
                        Some(f64::from(v % 8))
                    }
                };
                let root = values.len();
                values.push(None);
                let mut root_parts = Vec::new();
                for _ in 0..k {
                    let kid = values.len();
                    values.push(None);
                    root_parts.push(kid);
                    let mut parts = Vec::new();
                    for _ in 0..m {
                        let leaf = values.len();
                        let v = next(&mut d);
                        values.push(v);
                        parts.push(leaf);
                        // Breakdown: leaf = a + b.
                        let a = next(&mut d).unwrap_or(0.0).min(v.unwrap_or(0.0));
                        let (ia, ib) = (values.len(), values.len() + 1);
                        values.push(v.map(|_| a));
                        values.push(v.map(|x| x - a));
                        rel.push(Relation {
                            total: leaf,
                            parts: vec![ia, ib],
                        });
                    }
                    let sum: Option<f64> = parts.iter().map(|&p| values[p]).sum();
                    values[kid] = sum;
                    rel.push(Relation { total: kid, parts });
                }
                values[root] = root_parts.iter().map(|&p| values[p]).sum();
                rel.push(Relation {
                    total: root,
                    parts: root_parts,
                });
                (values, rel)
            })
    }

    proptest! {
        #[test]
        fn no_suppressed_cell_is_determined_by_a_published_total((values, rel) in hierarchy()) {
            let rule = Rule::default();
            let primary: Vec<bool> = values.iter().map(|v| v.is_some_and(|x| rule.primary(x))).collect();
            let r = suppress(&values, &primary, &rel);
            prop_assert_eq!(leak(&values, &r, &rel), None);
            // Every primary cell stays suppressed, and nothing published is small.
            for i in 0..values.len() {
                if primary[i] { prop_assert_eq!(r[i], Reason::Primary); }
                if let (Reason::None, Some(v)) = (r[i], values[i]) { prop_assert!(!rule.primary(v)); }
            }
        }
    }
}
