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
//! person counted in it, so a relation whose only other withheld part is a primary cell gives that
//! cell away to them (the *singleton* problem).
//!
//! Only the withheld cells are variables, and only relations with a withheld cell are rows, so
//! the elimination runs on a small sparse system even for the whole demo database.

use crate::confidential::Relation;

/// Coefficients smaller than this are zero (the relations have coefficients ±1, so the
/// eliminated rows hold small rationals).
const EPS: f64 = 1e-9;

/// A sparse row: `(column, coefficient)` sorted by column.
type Row = Vec<(u32, f64)>;

/// The result of [`determined`]: for each variable, whether the system fixes its value.
///
/// `columns` is the number of variables, `rows` the relations. Each relation is a list of
/// `(variable, coefficient)`; relations are equations `Σ coef · x = const`, the constants do not
/// matter for determinacy.
pub fn determined(columns: usize, rows: Vec<Vec<(u32, f64)>>) -> Vec<bool> {
    let mut rows: Vec<Row> = rows
        .into_iter()
        .map(|mut r| {
            r.sort_by_key(|&(c, _)| c);
            merge_duplicates(r)
        })
        .filter(|r| !r.is_empty())
        .collect();
    // Which rows hold a column; entries may be stale after elimination and are checked on use.
    let mut holders: Vec<Vec<u32>> = vec![Vec::new(); columns];
    for (k, r) in rows.iter().enumerate() {
        for &(c, _) in r {
            holders[c as usize].push(k as u32);
        }
    }
    // Columns in fewer rows first: they create less fill-in.
    let mut order: Vec<u32> = (0..columns as u32).collect();
    order.sort_by_key(|&c| (holders[c as usize].len(), c));
    let mut pivot_of_row = vec![false; rows.len()];
    let mut pivot_row: Vec<Option<u32>> = vec![None; columns];
    for &c in &order {
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
    let mut out = vec![false; columns];
    for (c, p) in pivot_row.iter().enumerate() {
        if let Some(p) = p {
            out[c] = rows[*p as usize].len() == 1;
        }
    }
    out
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
    /// Primary cells that a contributor of a withheld 1 in the same relation can work out.
    pub singleton: Vec<usize>,
}

impl Findings {
    /// Whether nothing withheld can be worked out.
    pub fn is_clean(&self) -> bool {
        self.determined.is_empty() && self.singleton.is_empty()
    }
}

/// Audits a publication. `withheld[i]` says cell `i` is not published by us (the cells that
/// matter), `unknown[i]` that the public does not know it (withheld, or unknown at the source),
/// `singleton[i]` that it is a withheld primary cell of value 1, `primary[i]` that it is a
/// primary cell.
pub fn audit(
    withheld: &[bool],
    unknown: &[bool],
    primary: &[bool],
    singleton: &[bool],
    relations: &[Relation],
) -> Findings {
    let n = unknown.len();
    // Variables: the unknown cells that are in some relation.
    let mut var: Vec<Option<u32>> = vec![None; n];
    let mut cells: Vec<usize> = Vec::new();
    let mut rows: Vec<Vec<(u32, f64)>> = Vec::new();
    let mut singleton_hits: Vec<usize> = Vec::new();
    for r in relations {
        let mut row = Vec::new();
        let mut hidden = Vec::new();
        for (c, coef) in std::iter::once((r.total, 1.0)).chain(r.parts.iter().map(|&p| (p, -1.0))) {
            if !unknown[c] {
                continue;
            }
            hidden.push(c);
            let v = *var[c].get_or_insert_with(|| {
                cells.push(c);
                (cells.len() - 1) as u32
            });
            row.push((v, coef));
        }
        // Only two withheld *parts* have different contributors: a withheld total beside a
        // withheld part tells the part's contributor nothing beyond the published cells.
        if hidden.len() == 2 && hidden.iter().all(|&c| c != r.total) {
            let (a, b) = (hidden[0], hidden[1]);
            if singleton[a] && primary[b] && withheld[b] {
                singleton_hits.push(b);
            }
            if singleton[b] && primary[a] && withheld[a] {
                singleton_hits.push(a);
            }
        }
        if !row.is_empty() {
            rows.push(row);
        }
    }
    let fixed = determined(cells.len(), rows);
    let mut determined_cells: Vec<usize> = cells
        .iter()
        .zip(&fixed)
        .filter(|&(&c, &f)| f && withheld[c])
        .map(|(&c, _)| c)
        .collect();
    determined_cells.sort_unstable();
    singleton_hits.sort_unstable();
    singleton_hits.dedup();
    Findings {
        determined: determined_cells,
        singleton: singleton_hits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(total: usize, parts: &[usize]) -> Relation {
        Relation {
            total,
            parts: parts.to_vec(),
        }
    }

    #[test]
    fn one_unknown_in_a_relation_is_determined() {
        // 0 = 1 + 2; 2 unknown.
        let d = determined(1, vec![vec![(0, -1.0)]]);
        assert_eq!(d, vec![true]);
        let d = determined(2, vec![vec![(0, -1.0), (1, -1.0)]]);
        assert_eq!(d, vec![false, false]);
    }

    #[test]
    fn combined_relations_reveal_what_each_alone_does_not() {
        // Kreis 0 = Verband 1 + Verband 2; Verband 1 = 3 + 4; Verband 2 = 5 + 6.
        // Withheld: 4 (in Verband 1) and 6 (in Verband 2) and Verband 1 and Verband 2.
        // Each relation has two unknowns, but Kreis = 3 + 4 + 5 + 6 has 4 and 6 … still two.
        // Withhold 4, 5, 1 instead: Verband 1 = 3 + 4 has two unknowns (1, 4), Kreis has one
        // unknown (1) → 1 determined → then 4 determined.
        let relations = [rel(0, &[1, 2]), rel(1, &[3, 4]), rel(2, &[5, 6])];
        let mut unknown = vec![false; 7];
        for c in [1, 4, 5] {
            unknown[c] = true;
        }
        let f = audit(&unknown, &unknown, &[false; 7], &[false; 7], &relations);
        // 5 is alone in Verband 2's relation; 1 alone in the Kreis relation; then 4.
        assert_eq!(f.determined, vec![1, 4, 5]);
    }

    #[test]
    fn the_reported_kreis_leak_is_found() {
        // Kreis 0 = Verband 1 + Verband 2, Verband 1 = 3 + 4, Verband 2 = 5 + 6.
        // Withheld 3 and 4 (Verband 1 alone protects them) and Verband 2 and 5: Verband 2's
        // relation has 2 unknowns, Kreis relation has 1 (Verband 2) → 2 determined → 5.
        let relations = [rel(0, &[1, 2]), rel(1, &[3, 4]), rel(2, &[5, 6])];
        let mut unknown = vec![false; 7];
        for c in [2, 3, 4, 5] {
            unknown[c] = true;
        }
        let f = audit(&unknown, &unknown, &[false; 7], &[false; 7], &relations);
        assert_eq!(f.determined, vec![2, 5]);
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
        let mut unknown = vec![false; 8];
        for x in [a, b, c, d] {
            unknown[x] = true;
        }
        let f = audit(&unknown, &unknown, &[false; 8], &[false; 8], &relations);
        assert!(f.is_clean());
        // Three of the four are not enough: the fourth relation closes the loop.
        unknown[d] = false;
        let f = audit(&unknown, &unknown, &[false; 8], &[false; 8], &relations);
        assert_eq!(f.determined, vec![a, b, c]);
    }

    #[test]
    fn two_withheld_ones_reveal_each_other_to_their_contributors() {
        let relations = [rel(0, &[1, 2, 3])];
        let unknown = [false, true, true, false];
        let primary = [false, true, true, false];
        let singleton = [false, true, true, false];
        let f = audit(&unknown, &unknown, &primary, &singleton, &relations);
        assert!(f.determined.is_empty());
        assert_eq!(f.singleton, vec![1, 2]);
    }
}
