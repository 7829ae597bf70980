//! Classes for choropleth maps (quantiles, equal intervals, Jenks natural breaks, manual breaks)
//! and comparisons of a region with its parent, its Land, its siblings and its own past.

use crate::engine::Cell;
use crate::frame::{Grid, Series};
use crate::region::RegionLevel;

/// How class bounds are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// Each class holds about the same number of regions.
    Quantiles,
    /// Classes of equal width between minimum and maximum.
    EqualIntervals,
    /// Jenks natural breaks (Fisher's exact optimisation: least squared deviation within classes).
    Jenks,
    /// Bounds given by the user (inner breaks, ascending).
    Manual(Vec<f64>),
}

impl Method {
    /// Parses `quantile`, `equal`, `jenks` or `manual:1,5;2,5` (German or English decimals with
    /// `;` between breaks, or `.` decimals with `,` between breaks).
    pub fn parse(s: &str) -> Result<Method, String> {
        match s.trim() {
            "quantile" | "quantiles" | "quantil" => Ok(Method::Quantiles),
            "equal" | "gleich" | "equal_intervals" => Ok(Method::EqualIntervals),
            "jenks" => Ok(Method::Jenks),
            t => {
                let Some(list) = t.strip_prefix("manual:").or(t.strip_prefix("manuell:")) else {
                    return Err(format!(
                        "unknown class method {t:?}; use quantile, equal, jenks or manual:B1;B2"
                    ));
                };
                let parts: Vec<String> = if list.contains(';') {
                    list.split(';').map(|x| x.replace(',', ".")).collect()
                } else {
                    list.split(',').map(str::to_string).collect()
                };
                let mut b = Vec::new();
                for p in parts {
                    b.push(
                        p.trim()
                            .parse::<f64>()
                            .map_err(|_| format!("break {p:?} is not a number"))?,
                    );
                }
                if b.is_empty() || b.windows(2).any(|w| w[0] >= w[1]) {
                    return Err("manual breaks must be ascending and at least one".into());
                }
                Ok(Method::Manual(b))
            }
        }
    }

    /// German label.
    pub fn label_de(&self) -> &'static str {
        match self {
            Method::Quantiles => "Quantile",
            Method::EqualIntervals => "Gleiche Intervalle",
            Method::Jenks => "Natürliche Brüche (Jenks)",
            Method::Manual(_) => "Manuelle Grenzen",
        }
    }
}

/// Class bounds: class `i` spans `bounds[i]..=bounds[i + 1]` (lower bound exclusive except for
/// the first class).
#[derive(Debug, Clone, PartialEq)]
pub struct Classes {
    /// `k + 1` ascending bounds, from the minimum to the maximum.
    pub bounds: Vec<f64>,
}

impl Classes {
    /// Number of classes.
    pub fn len(&self) -> usize {
        self.bounds.len().saturating_sub(1)
    }

    /// Whether there are no classes (no values).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The class (0-based) of a value.
    pub fn class_of(&self, v: f64) -> usize {
        let k = self.len();
        (0..k)
            .find(|&i| v <= self.bounds[i + 1])
            .unwrap_or(k.saturating_sub(1))
    }
}

/// Classifies values into at most `k` classes. Non-finite values are ignored. Fewer classes come
/// back when there are fewer distinct values.
pub fn classify(values: &[f64], method: &Method, k: usize) -> Classes {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let (Some(&min), Some(&max)) = (v.first(), v.last()) else {
        return Classes { bounds: Vec::new() };
    };
    let mut distinct = v.clone();
    distinct.dedup();
    let k = k.clamp(1, distinct.len().max(1));
    let inner: Vec<f64> = match method {
        Method::Manual(b) => b.iter().copied().filter(|&x| x > min && x < max).collect(),
        Method::EqualIntervals => (1..k)
            .map(|i| min + (max - min) * i as f64 / k as f64)
            .collect(),
        Method::Quantiles => (1..k)
            .map(|i| {
                let pos = (i * v.len()).div_ceil(k).saturating_sub(1);
                v[pos.min(v.len() - 1)]
            })
            .collect(),
        Method::Jenks => jenks(&v, k),
    };
    let mut bounds = vec![min];
    for b in inner {
        // The first class may hold the minimum alone (an inner break equal to it).
        let last = *bounds.last().unwrap_or(&min);
        if (b > last || (bounds.len() == 1 && b == min)) && b < max {
            bounds.push(b);
        }
    }
    bounds.push(max);
    if bounds.len() == 2 && min == max {
        bounds.truncate(2);
    }
    Classes { bounds }
}

/// Fisher–Jenks: the `k - 1` inner breaks (upper bounds of the first `k - 1` classes) minimising
/// the sum of squared deviations within classes, by dynamic programming over the sorted values.
fn jenks(sorted: &[f64], k: usize) -> Vec<f64> {
    let n = sorted.len();
    if k <= 1 || n <= k {
        let mut d = sorted.to_vec();
        d.dedup();
        d.pop();
        return d;
    }
    // Prefix sums for O(1) within-class variance.
    let mut s1 = vec![0.0; n + 1];
    let mut s2 = vec![0.0; n + 1];
    for (i, &x) in sorted.iter().enumerate() {
        s1[i + 1] = s1[i] + x;
        s2[i + 1] = s2[i] + x * x;
    }
    let ssd = |a: usize, b: usize| {
        // values a..b (exclusive)
        let m = (b - a) as f64;
        let s = s1[b] - s1[a];
        s2[b] - s2[a] - s * s / m
    };
    // cost[j][i]: best cost of the first i values in j + 1 classes; cut[j][i]: start of last class.
    let mut cost = vec![vec![f64::INFINITY; n + 1]; k];
    let mut cut = vec![vec![0usize; n + 1]; k];
    for (i, c) in cost[0].iter_mut().enumerate().skip(1) {
        *c = ssd(0, i);
    }
    for j in 1..k {
        for i in (j + 1)..=n {
            for start in j..i {
                let c = cost[j - 1][start] + ssd(start, i);
                if c < cost[j][i] {
                    cost[j][i] = c;
                    cut[j][i] = start;
                }
            }
        }
    }
    let mut breaks = Vec::with_capacity(k - 1);
    let mut end = n;
    for j in (1..k).rev() {
        let start = cut[j][end];
        breaks.push(sorted[start - 1]);
        end = start;
    }
    breaks.reverse();
    breaks
}

/// A region's value beside its parent's, its Land's, its rank among its siblings and its change.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The value.
    pub value: Cell,
    /// The parent region's value (the Kreis of a Gemeinde).
    pub parent: Option<(usize, Cell)>,
    /// The Land's value.
    pub land: Option<(usize, Cell)>,
    /// Rank among the siblings alive that year (1 = highest value) and their number.
    pub rank: Option<(usize, usize)>,
    /// Difference to the value `n` years earlier.
    pub change: Option<f64>,
}

/// Compares a region's value in a year with its parent, its Land, its siblings and `years_back`
/// years earlier.
pub fn compare(
    grid: &Grid,
    s: &Series,
    region: usize,
    col: usize,
    years_back: usize,
) -> Comparison {
    let value = s.get(grid.at(region, col)).cell;
    let parent = grid
        .parent(region)
        .map(|p| (p, s.get(grid.at(p, col)).cell));
    let mut land = None;
    let mut at = Some(region);
    while let Some(r) = at {
        if grid.key(r).level() == RegionLevel::Land {
            land = Some((r, s.get(grid.at(r, col)).cell));
            break;
        }
        at = grid.parent(r);
    }
    let rank = match (grid.parent(region), value) {
        (Some(p), Cell::Num(v)) => {
            let sib: Vec<f64> = grid
                .parts(p, col)
                .filter_map(|c| s.number(grid.at(c, col)))
                .collect();
            let higher = sib.iter().filter(|&&x| x > v).count();
            Some((higher + 1, sib.len()))
        }
        _ => None,
    };
    let change = match (value, col.checked_sub(years_back)) {
        (Cell::Num(v), Some(c0)) if years_back > 0 => s.number(grid.at(region, c0)).map(|o| v - o),
        _ => None,
    };
    Comparison {
        value,
        parent,
        land,
        rank,
        change,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn methods_give_their_textbook_bounds() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0, 11.0, 12.0, 30.0];
        assert_eq!(
            classify(&v, &Method::EqualIntervals, 2).bounds,
            vec![1.0, 15.5, 30.0]
        );
        assert_eq!(
            classify(&v, &Method::Quantiles, 4).bounds,
            vec![1.0, 2.0, 4.0, 11.0, 30.0]
        );
        // Natural breaks separate the three clusters.
        assert_eq!(
            classify(&v, &Method::Jenks, 3).bounds,
            vec![1.0, 4.0, 12.0, 30.0]
        );
        let m = Method::parse("manual:2,5;10").expect("valid");
        assert_eq!(classify(&v, &m, 5).bounds, vec![1.0, 2.5, 10.0, 30.0]);
        let c = classify(&v, &Method::Jenks, 3);
        assert_eq!(
            v.iter().map(|&x| c.class_of(x)).collect::<Vec<_>>(),
            vec![0, 0, 0, 0, 1, 1, 1, 2]
        );
    }

    #[test]
    fn few_distinct_values_give_few_classes() {
        assert_eq!(
            classify(&[5.0, 5.0], &Method::Jenks, 5).bounds,
            vec![5.0, 5.0]
        );
        assert!(classify(&[], &Method::Quantiles, 5).is_empty());
        assert!(Method::parse("manual:3;2").is_err());
        assert!(Method::parse("kmeans").is_err());
    }

    /// Brute force over all break positions, for small inputs.
    fn best_ssd(v: &[f64], k: usize) -> f64 {
        fn ssd(x: &[f64]) -> f64 {
            let m = x.iter().sum::<f64>() / x.len() as f64;
            x.iter().map(|a| (a - m) * (a - m)).sum()
        }
        fn go(v: &[f64], k: usize) -> f64 {
            if k == 1 {
                return ssd(v);
            }
            (1..=v.len() - k + 1)
                .map(|i| ssd(&v[..i]) + go(&v[i..], k - 1))
                .fold(f64::INFINITY, f64::min)
        }
        go(v, k)
    }

    proptest! {
        #[test]
        fn jenks_is_optimal_and_every_value_gets_a_class(mut v in proptest::collection::vec(0u32..50, 4..9), k in 2usize..4) {
            let v: Vec<f64> = { v.sort(); v.dedup(); v.into_iter().map(f64::from).collect() };
            prop_assume!(v.len() > k);
            let c = classify(&v, &Method::Jenks, k);
            prop_assert_eq!(c.len(), k);
            let mut groups: Vec<Vec<f64>> = vec![Vec::new(); k];
            for &x in &v { groups[c.class_of(x)].push(x); }
            let got: f64 = groups.iter().filter(|g| !g.is_empty()).map(|g| {
                let m = g.iter().sum::<f64>() / g.len() as f64;
                g.iter().map(|a| (a - m) * (a - m)).sum::<f64>()
            }).sum();
            prop_assert!((got - best_ssd(&v, k)).abs() < 1e-6, "{} vs {}", got, best_ssd(&v, k));
        }
    }
}
