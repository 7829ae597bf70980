//! Typology of regions by cluster analysis: k-means with k-means++ seeding and restarts, Ward's
//! hierarchical clustering, the number of types by silhouette and gap statistic, stability by
//! bootstrap, and the adjusted Rand index to compare two partitions.
//!
//! Points are the z-standardised indicator values of the regions, in the caller's (sorted)
//! order. Every random choice comes from [`super::seeded`] with seeds derived from one option,
//! and labels are numbered in the order the regions first show them, so the same inputs always
//! give the same types with the same numbers.

use super::{AnalysisError, below, seeded, standardise, uniform};
use crate::parallel::on_every_core;

/// Rows of equal width, stored flat (row-major) for fast distance loops.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    dims: usize,
    values: Vec<f64>,
}

impl Points {
    /// The rows as they are, checked for equal width and finite values.
    pub fn new(rows: &[Vec<f64>], dims: usize) -> Result<Points, AnalysisError> {
        let mut values = Vec::with_capacity(rows.len() * dims);
        for (r, row) in rows.iter().enumerate() {
            if row.len() != dims {
                return Err(AnalysisError::Shape(format!(
                    "Zeile {r} hat {} statt {dims} Werte",
                    row.len()
                )));
            }
            if let Some(c) = row.iter().position(|v| !v.is_finite()) {
                return Err(AnalysisError::NotFinite { row: r, column: c });
            }
            values.extend_from_slice(row);
        }
        if dims == 0 {
            return Err(AnalysisError::Shape("keine Indikatoren gewählt".into()));
        }
        Ok(Points { dims, values })
    }

    /// The rows z-standardised per column, as a typology compares indicators of different units.
    pub fn standardised(rows: &[Vec<f64>], dims: usize) -> Result<Points, AnalysisError> {
        Points::new(&standardise(rows, dims)?, dims)
    }

    /// The rows z-standardised per column with every value limited to ±`limit` standard
    /// deviations (winsorised), so that one extreme place cannot form a type of its own.
    pub fn standardised_within(
        rows: &[Vec<f64>],
        dims: usize,
        limit: f64,
    ) -> Result<Points, AnalysisError> {
        let mut z = standardise(rows, dims)?;
        z.iter_mut()
            .flatten()
            .for_each(|v| *v = v.clamp(-limit, limit));
        Points::new(&z, dims)
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.values.len() / self.dims
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Number of coordinates per point.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The coordinates of point `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.dims..(i + 1) * self.dims]
    }

    /// The points picked by `indices` (a bootstrap resample or a sample), in that order.
    fn pick(&self, indices: &[usize]) -> Points {
        let mut values = Vec::with_capacity(indices.len() * self.dims);
        for &i in indices {
            values.extend_from_slice(self.row(i));
        }
        Points {
            dims: self.dims,
            values,
        }
    }
}

/// Squared Euclidean distance.
fn distance2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// A partition of the points into types, with each type's centre.
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    /// Type of each point, numbered from 0 in order of first appearance.
    pub labels: Vec<usize>,
    /// Centre (mean) of each type.
    pub centroids: Vec<Vec<f64>>,
    /// Sum of squared distances of the points to their centres (within-type sum of squares).
    pub inertia: f64,
}

impl Partition {
    /// Number of points of each type.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.centroids.len()];
        self.labels.iter().for_each(|&l| sizes[l] += 1);
        sizes
    }

    /// Index of the centre nearest to `point` (the lowest index on a tie).
    pub fn nearest(&self, point: &[f64]) -> usize {
        nearest(&self.centroids, point).0
    }

    /// The same partition with the types numbered by size, the largest first (on a tie, in
    /// their present order), so that "Typ 1" is the most common type wherever it is shown.
    pub fn largest_first(self) -> Partition {
        let sizes = self.sizes();
        let mut order: Vec<usize> = (0..sizes.len()).collect();
        order.sort_by(|a, b| sizes[*b].cmp(&sizes[*a]).then(a.cmp(b)));
        let mut new_of = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_of[old] = new;
        }
        Partition {
            labels: self.labels.iter().map(|&l| new_of[l]).collect(),
            centroids: order
                .iter()
                .map(|&old| self.centroids[old].clone())
                .collect(),
            inertia: self.inertia,
        }
    }
}

/// Index and squared distance of the centre nearest to `point`.
fn nearest(centroids: &[Vec<f64>], point: &[f64]) -> (usize, f64) {
    centroids
        .iter()
        .enumerate()
        .map(|(c, centre)| (c, distance2(centre, point)))
        .fold((0, f64::INFINITY), |best, next| {
            if next.1 < best.1 { next } else { best }
        })
}

/// k-means settings: number of types, restarts (the best run by inertia is kept), iteration
/// limit of each run and the seed of the first run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KMeans {
    /// Number of types.
    pub k: usize,
    /// Independent runs from different k-means++ seedings.
    pub restarts: usize,
    /// Iteration limit of one run (Lloyd's algorithm usually stops well before).
    pub max_iter: usize,
    /// Seed of the first run; run `r` uses a seed derived from it.
    pub seed: u64,
}

impl KMeans {
    /// The best of the restarts, run in parallel.
    pub fn fit(&self, points: &Points) -> Result<Partition, AnalysisError> {
        self.check(points)?;
        let seeds = self.seeds();
        let runs = on_every_core(&seeds, |&s| lloyd(points, self.k, self.max_iter, s));
        Ok(canonical(best_of(runs)))
    }

    /// The best of the restarts on this thread, for use inside work that is already parallel.
    pub fn fit_here(&self, points: &Points) -> Result<Partition, AnalysisError> {
        self.check(points)?;
        let runs = self
            .seeds()
            .into_iter()
            .map(|s| lloyd(points, self.k, self.max_iter, s));
        Ok(canonical(best_of(runs.collect())))
    }

    fn check(&self, points: &Points) -> Result<(), AnalysisError> {
        if self.k == 0 || points.len() < self.k {
            return Err(AnalysisError::TooFew {
                needed: self.k.max(1),
                given: points.len(),
            });
        }
        Ok(())
    }

    fn seeds(&self) -> Vec<u64> {
        (0..self.restarts.max(1) as u64)
            .map(|r| {
                self.seed
                    .wrapping_add(r.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            })
            .collect()
    }
}

/// The run with the least inertia; the earliest among equals.
fn best_of(runs: Vec<Partition>) -> Partition {
    runs.into_iter()
        .reduce(|best, next| {
            if next.inertia < best.inertia {
                next
            } else {
                best
            }
        })
        .unwrap_or(Partition {
            labels: Vec::new(),
            centroids: Vec::new(),
            inertia: 0.0,
        })
}

/// Types renumbered in order of first appearance, so equal partitions have equal labels.
fn canonical(partition: Partition) -> Partition {
    let k = partition.centroids.len();
    let mut new_of = vec![usize::MAX; k];
    let mut next = 0;
    for &l in &partition.labels {
        if new_of[l] == usize::MAX {
            new_of[l] = next;
            next += 1;
        }
    }
    // Types no point belongs to (possible only for k > distinct points) go last.
    for n in new_of.iter_mut().filter(|n| **n == usize::MAX) {
        *n = next;
        next += 1;
    }
    let mut centroids = vec![Vec::new(); k];
    for (old, centre) in partition.centroids.into_iter().enumerate() {
        centroids[new_of[old]] = centre;
    }
    Partition {
        labels: partition.labels.iter().map(|&l| new_of[l]).collect(),
        centroids,
        inertia: partition.inertia,
    }
}

/// k-means++ seeding (Arthur & Vassilvitskii 2007): each further centre drawn with probability
/// proportional to its squared distance from the nearest centre chosen so far.
fn plus_plus(points: &Points, k: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = seeded(seed);
    let n = points.len();
    let mut centroids = vec![points.row(below(&mut rng, n)).to_vec()];
    let mut d2: Vec<f64> = (0..n)
        .map(|i| distance2(points.row(i), &centroids[0]))
        .collect();
    while centroids.len() < k {
        let total: f64 = d2.iter().sum();
        let pick = if total > 0.0 {
            let target = uniform(&mut rng) * total;
            let mut acc = 0.0;
            d2.iter()
                .position(|d| {
                    acc += d;
                    acc > target
                })
                .unwrap_or(n - 1)
        } else {
            below(&mut rng, n)
        };
        let centre = points.row(pick).to_vec();
        for (i, d) in d2.iter_mut().enumerate() {
            *d = d.min(distance2(points.row(i), &centre));
        }
        centroids.push(centre);
    }
    centroids
}

/// Index and squared distance of the nearest of the centres stored flat (`k × dims`).
fn nearest_flat(centres: &[f64], dims: usize, point: &[f64]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (c, centre) in centres.chunks_exact(dims).enumerate() {
        let d = distance2(centre, point);
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

/// Relative tolerance of the centres' movement at which a run stops, as scikit-learn's
/// `tol=1e-4` (times the mean variance of the columns, which is 1 for standardised points).
const TOLERANCE: f64 = 1e-4;

/// One run of Lloyd's algorithm from a k-means++ seeding, until no point changes its type or the
/// centres move less than [`TOLERANCE`]; the labels always belong to the final centres.
fn lloyd(points: &Points, k: usize, max_iter: usize, seed: u64) -> Partition {
    let (n, dims) = (points.len(), points.dims());
    let mut centres: Vec<f64> = plus_plus(points, k, seed).concat();
    let mut labels = vec![usize::MAX; n];
    let tolerance = TOLERANCE * column_variance(points);
    for _ in 0..max_iter.max(1) {
        let mut changed = false;
        for (i, label) in labels.iter_mut().enumerate() {
            let (c, _) = nearest_flat(&centres, dims, points.row(i));
            changed |= *label != c;
            *label = c;
        }
        if !changed {
            break;
        }
        let mut sums = vec![0.0; k * dims];
        let mut counts = vec![0usize; k];
        for (i, &l) in labels.iter().enumerate() {
            counts[l] += 1;
            sums[l * dims..(l + 1) * dims]
                .iter_mut()
                .zip(points.row(i))
                .for_each(|(s, v)| *s += v);
        }
        // Empty types take the points furthest from their own (old) centres, each a different
        // one, as scikit-learn relocates them.
        let mut far: Vec<(usize, f64)> = Vec::new();
        if counts.contains(&0) {
            far = (0..n)
                .map(|i| {
                    (
                        i,
                        distance2(
                            points.row(i),
                            &centres[labels[i] * dims..(labels[i] + 1) * dims],
                        ),
                    )
                })
                .collect();
            far.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        }
        let mut far = far.into_iter().map(|(i, _)| i);
        let mut shift = 0.0;
        for c in 0..k {
            let new: Vec<f64> = if counts[c] > 0 {
                sums[c * dims..(c + 1) * dims]
                    .iter()
                    .map(|s| s / counts[c] as f64)
                    .collect()
            } else {
                far.next().map_or_else(
                    || centres[c * dims..(c + 1) * dims].to_vec(),
                    |i| points.row(i).to_vec(),
                )
            };
            shift += distance2(&new, &centres[c * dims..(c + 1) * dims]);
            centres[c * dims..(c + 1) * dims].copy_from_slice(&new);
        }
        if shift <= tolerance {
            break;
        }
    }
    // The labels of the final centres, however the loop ended (converged, tolerance, limit).
    for (i, label) in labels.iter_mut().enumerate() {
        *label = nearest_flat(&centres, dims, points.row(i)).0;
    }
    let inertia = (0..n)
        .map(|i| nearest_flat(&centres, dims, points.row(i)).1)
        .sum();
    Partition {
        labels,
        centroids: centres.chunks_exact(dims).map(<[f64]>::to_vec).collect(),
        inertia,
    }
}

/// Mean variance of the columns (1 for standardised points).
fn column_variance(points: &Points) -> f64 {
    let dims = points.dims();
    let n = points.len().max(1) as f64;
    (0..dims)
        .map(|d| {
            let column = (0..points.len()).map(|i| points.row(i)[d]);
            let mean = column.clone().sum::<f64>() / n;
            column.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n
        })
        .sum::<f64>()
        / dims.max(1) as f64
}

/// Ward's minimum-variance hierarchical clustering cut at `k` types.
///
/// Built by the nearest-neighbour chain algorithm (Murtagh 1983), which finds the same merges
/// as the textbook algorithm for Ward's reducible criterion but needs memory only for the
/// cluster centres (no n×n distance matrix: 11,000 municipalities would need 1 GB).
pub fn ward(points: &Points, k: usize) -> Result<Vec<usize>, AnalysisError> {
    if k == 0 || points.len() < k {
        return Err(AnalysisError::TooFew {
            needed: k.max(1),
            given: points.len(),
        });
    }
    Ok(cut(points.len(), ward_merges(points), k))
}

/// A merge of two clusters (by the slot each lived in) at a Ward distance.
#[derive(Debug, Clone, Copy)]
struct Merge {
    a: usize,
    b: usize,
    distance: f64,
}

/// All n−1 merges of Ward's clustering, in the order the chain found them. The merged cluster
/// lives on in the lower of its two slots.
fn ward_merges(points: &Points) -> Vec<Merge> {
    let (n, dims) = (points.len(), points.dims());
    // The active clusters stored compactly (centre, size, slot), so the nearest-neighbour scan
    // runs over contiguous memory; `position[slot]` finds a cluster in them.
    let mut centre = points.values.clone();
    let mut size = vec![1.0f64; n];
    let mut slot: Vec<usize> = (0..n).collect();
    let mut position: Vec<usize> = (0..n).collect();
    let mut chain: Vec<usize> = Vec::new();
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    while slot.len() > 1 {
        if chain.is_empty() {
            chain.push(slot[0]);
        }
        let (a, b, distance) = loop {
            let a = chain[chain.len() - 1];
            let previous = chain.len().checked_sub(2).map(|i| chain[i]);
            let pa = position[a];
            let (ca, sa) = (&centre[pa * dims..(pa + 1) * dims], size[pa]);
            let ward = |p: usize| {
                sa * size[p] / (sa + size[p]) * distance2(ca, &centre[p * dims..(p + 1) * dims])
            };
            // Ties go to the previous element of the chain, which the algorithm needs to end.
            let mut best = previous.map_or((usize::MAX, f64::INFINITY), |p| {
                (position[p], ward(position[p]))
            });
            for (p, c) in centre.chunks_exact(dims).enumerate() {
                if p != pa {
                    let d = sa * size[p] / (sa + size[p]) * distance2(ca, c);
                    if d < best.1 {
                        best = (p, d);
                    }
                }
            }
            let b = slot[best.0];
            if Some(b) == previous {
                break (a, b, best.1);
            }
            chain.push(b);
        };
        chain.truncate(chain.len() - 2);
        let (keep, gone) = (a.min(b), a.max(b));
        let (pk, pg) = (position[keep], position[gone]);
        let total = size[pk] + size[pg];
        for d in 0..dims {
            centre[pk * dims + d] =
                (centre[pk * dims + d] * size[pk] + centre[pg * dims + d] * size[pg]) / total;
        }
        size[pk] = total;
        // Remove `gone` by moving the last active cluster into its place.
        let last = slot.len() - 1;
        if pg != last {
            centre.copy_within(last * dims..(last + 1) * dims, pg * dims);
            size[pg] = size[last];
            slot[pg] = slot[last];
            position[slot[pg]] = pg;
        }
        centre.truncate(last * dims);
        size.truncate(last);
        slot.truncate(last);
        merges.push(Merge {
            a: keep,
            b: gone,
            distance,
        });
    }
    merges
}

/// Labels after the n−k lowest merges (ties in the order found, which keeps every merge after
/// the merges that built its clusters).
fn cut(n: usize, merges: Vec<Merge>, k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..merges.len()).collect();
    order.sort_by(|&i, &j| {
        merges[i]
            .distance
            .total_cmp(&merges[j].distance)
            .then(i.cmp(&j))
    });
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for &m in order.iter().take(n - k) {
        let (ra, rb) = (
            root(&mut parent, merges[m].a),
            root(&mut parent, merges[m].b),
        );
        parent[ra.max(rb)] = ra.min(rb);
    }
    let mut number = vec![usize::MAX; n];
    let mut next = 0;
    (0..n)
        .map(|i| {
            let r = root(&mut parent, i);
            if number[r] == usize::MAX {
                number[r] = next;
                next += 1;
            }
            number[r]
        })
        .collect()
}

/// Mean silhouette width (Rousseeuw 1987) of the points in `sample` (all points if `None`),
/// computed among the sampled points only, as scikit-learn's `silhouette_score` does with
/// `sample_size`. A point alone in its type counts 0.
pub fn silhouette(points: &Points, labels: &[usize], sample: Option<&[usize]>) -> f64 {
    let all: Vec<usize>;
    let sample = match sample {
        Some(s) => s,
        None => {
            all = (0..points.len()).collect();
            &all
        }
    };
    let k = sample.iter().map(|&i| labels[i]).max().map_or(0, |m| m + 1);
    let widths = on_every_core(sample, |&i| {
        let mut sums = vec![0.0; k];
        let mut counts = vec![0usize; k];
        for &j in sample {
            if j != i {
                sums[labels[j]] += distance2(points.row(i), points.row(j)).sqrt();
                counts[labels[j]] += 1;
            }
        }
        let own = labels[i];
        if counts[own] == 0 {
            return 0.0;
        }
        let a = sums[own] / counts[own] as f64;
        let b = (0..k)
            .filter(|&c| c != own && counts[c] > 0)
            .map(|c| sums[c] / counts[c] as f64)
            .fold(f64::INFINITY, f64::min);
        if b.is_finite() && a.max(b) > 0.0 {
            (b - a) / a.max(b)
        } else {
            0.0
        }
    });
    widths.iter().sum::<f64>() / widths.len().max(1) as f64
}

/// A fixed sample of at most `size` point indices, sorted, drawn without replacement.
pub fn sample_indices(n: usize, size: usize, seed: u64) -> Vec<usize> {
    if size >= n {
        return (0..n).collect();
    }
    // Partial Fisher–Yates shuffle.
    let mut rng = seeded(seed);
    let mut all: Vec<usize> = (0..n).collect();
    for i in 0..size {
        let j = i + below(&mut rng, n - i);
        all.swap(i, j);
    }
    let mut picked = all[..size].to_vec();
    picked.sort_unstable();
    picked
}

/// The gap statistic of one number of types (Tibshirani, Walther & Hastie 2001).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gap {
    /// Number of types.
    pub k: usize,
    /// Mean log within-type sum of squares of the reference sets minus that of the data.
    pub gap: f64,
    /// Its simulation error, `sd·√(1 + 1/B)`.
    pub error: f64,
}

/// Gap statistics for each `k` (with `observed[i]` the within-type sum of squares of the data
/// for `ks[i]`), against `references` data sets drawn uniformly in the box the points span, each
/// clustered by `kmeans` with that `k`.
pub fn gaps(
    points: &Points,
    ks: &[usize],
    observed: &[f64],
    references: usize,
    kmeans: KMeans,
) -> Vec<Gap> {
    let dims = points.dims();
    let bounds: Vec<(f64, f64)> = (0..dims)
        .map(|d| {
            (0..points.len())
                .map(|i| points.row(i)[d])
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                })
        })
        .collect();
    // Each reference set is drawn once and clustered with every k.
    let sets: Vec<Points> = (0..references)
        .map(|b| {
            let mut rng = seeded(kmeans.seed ^ (0xA5A5_0000 + b as u64));
            let values = (0..points.len() * dims)
                .map(|x| {
                    let (lo, hi) = bounds[x % dims];
                    lo + uniform(&mut rng) * (hi - lo)
                })
                .collect();
            Points { dims, values }
        })
        .collect();
    let jobs: Vec<(usize, usize)> = ks
        .iter()
        .flat_map(|&k| (0..references).map(move |b| (k, b)))
        .collect();
    let log_w = on_every_core(&jobs, |&(k, b)| {
        let fit = KMeans { k, ..kmeans }.fit_here(&sets[b]);
        fit.map_or(f64::NAN, |p| p.inertia.max(f64::MIN_POSITIVE).ln())
    });
    ks.iter()
        .enumerate()
        .map(|(i, &k)| {
            let observed = observed
                .get(i)
                .map_or(f64::NAN, |w| w.max(f64::MIN_POSITIVE).ln());
            let refs = &log_w[i * references..(i + 1) * references];
            let mean = super::mean(refs).unwrap_or(f64::NAN);
            let sd = super::std_dev(refs).unwrap_or(0.0);
            Gap {
                k,
                gap: mean - observed,
                error: sd * (1.0 + 1.0 / references.max(1) as f64).sqrt(),
            }
        })
        .collect()
}

/// The number of types Tibshirani's rule picks: the smallest `k` with
/// `gap(k) ≥ gap(k+1) − error(k+1)`; `None` if no `k` qualifies.
pub fn gap_choice(gaps: &[Gap]) -> Option<usize> {
    gaps.windows(2)
        .find(|w| w[0].gap >= w[1].gap - w[1].error)
        .map(|w| w[0].k)
}

/// How often each point keeps its type when the typology is recomputed on `resamples`
/// bootstrap samples (drawn with replacement): each resample is clustered by `kmeans`, every
/// point is given the nearest of its centres, and the resample's types are matched to the
/// reference types by the assignment that agrees on the most points.
pub fn stability(
    points: &Points,
    reference: &Partition,
    resamples: usize,
    kmeans: KMeans,
) -> Vec<f64> {
    let n = points.len();
    let k = reference.centroids.len();
    let runs: Vec<u64> = (0..resamples as u64).collect();
    let kept = on_every_core(&runs, |&b| {
        let mut rng = seeded(kmeans.seed ^ (0x5EED_0000 + b));
        let drawn: Vec<usize> = (0..n).map(|_| below(&mut rng, n)).collect();
        let Ok(fit) = (KMeans {
            k,
            seed: kmeans.seed.wrapping_add(b),
            ..kmeans
        })
        .fit_here(&points.pick(&drawn)) else {
            return vec![false; n];
        };
        let assigned: Vec<usize> = (0..n).map(|i| fit.nearest(points.row(i))).collect();
        let mut overlap = vec![vec![0usize; k]; k];
        for (&a, &r) in assigned.iter().zip(&reference.labels) {
            overlap[a][r] += 1;
        }
        let matching = best_matching(&overlap);
        assigned
            .iter()
            .zip(&reference.labels)
            .map(|(&a, &r)| matching[a] == r)
            .collect()
    });
    (0..n)
        .map(|i| kept.iter().filter(|run| run[i]).count() as f64 / resamples.max(1) as f64)
        .collect()
}

/// The one-to-one matching of rows to columns with the largest total (exact, by dynamic
/// programming over subsets of columns; types are few, at most about a dozen).
fn best_matching(weights: &[Vec<usize>]) -> Vec<usize> {
    let k = weights.len();
    let full = 1usize << k;
    let mut best = vec![None::<usize>; full];
    let mut choice = vec![usize::MAX; full];
    best[0] = Some(0);
    for mask in 0..full {
        let Some(value) = best[mask] else { continue };
        let row = mask.count_ones() as usize;
        if row >= k {
            continue;
        }
        for col in (0..k).filter(|c| mask & (1 << c) == 0) {
            let next = mask | (1 << col);
            let candidate = value + weights[row][col];
            if best[next].is_none_or(|b| candidate > b) {
                best[next] = Some(candidate);
                choice[next] = col;
            }
        }
    }
    let mut matching = vec![0; k];
    let mut mask = full - 1;
    for row in (0..k).rev() {
        let col = choice[mask];
        matching[row] = col;
        mask &= !(1 << col);
    }
    matching
}

/// Adjusted Rand index of two partitions of the same points (Hubert & Arabie 1985): 1 for
/// identical partitions (whatever the numbering), about 0 for chance agreement.
pub fn adjusted_rand(a: &[usize], b: &[usize]) -> f64 {
    if a.len() < 2 {
        // Fewer than two points have no pairs to disagree on.
        return 1.0;
    }
    let ka = a.iter().max().map_or(0, |m| m + 1);
    let kb = b.iter().max().map_or(0, |m| m + 1);
    let mut table = vec![vec![0u64; kb]; ka];
    for (&x, &y) in a.iter().zip(b) {
        table[x][y] += 1;
    }
    let pairs = |n: u64| (n * n.saturating_sub(1)) as f64 / 2.0;
    let index: f64 = table.iter().flatten().map(|&n| pairs(n)).sum();
    let rows: f64 = table.iter().map(|r| pairs(r.iter().sum())).sum();
    let cols: f64 = (0..kb)
        .map(|c| pairs(table.iter().map(|r| r[c]).sum()))
        .sum();
    let expected = rows * cols / pairs(a.len() as u64);
    let max = (rows + cols) / 2.0;
    if (max - expected).abs() < f64::EPSILON {
        1.0
    } else {
        (index - expected) / (max - expected)
    }
}

/// Most types a typology considers: the exact matching of bootstrap types needs 2^k steps, and
/// a planner reads no more than a dozen types anyway.
pub const MAX_TYPES: usize = 16;

/// Settings of a typology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypologyOptions {
    /// Fewest types considered.
    pub k_min: usize,
    /// Most types considered.
    pub k_max: usize,
    /// k-means restarts for the final typology (the gap references and bootstrap use 3).
    pub restarts: usize,
    /// Iteration limit of one k-means run.
    pub max_iter: usize,
    /// Points the silhouette is computed on (all if fewer).
    pub silhouette_sample: usize,
    /// Reference data sets of the gap statistic.
    pub gap_references: usize,
    /// Bootstrap resamples for the stability.
    pub bootstrap: usize,
    /// Seed of every random choice.
    pub seed: u64,
}

impl TypologyOptions {
    /// The defaults: 2 to 8 types, 10 restarts, silhouette on 2,000 points, 5 gap references,
    /// 20 bootstrap resamples, seed 1 (a constant, so callers can change a field in a `const`).
    pub const DEFAULT: TypologyOptions = TypologyOptions {
        k_min: 2,
        k_max: 8,
        restarts: 10,
        max_iter: 100,
        silhouette_sample: 2000,
        gap_references: 5,
        bootstrap: 20,
        seed: 1,
    };
}

impl Default for TypologyOptions {
    fn default() -> Self {
        TypologyOptions::DEFAULT
    }
}

/// One number of types considered, with its quality measures.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Number of types.
    pub k: usize,
    /// Within-type sum of squares of the best k-means run.
    pub inertia: f64,
    /// Mean silhouette width (−1..1; higher separates the types better).
    pub silhouette: f64,
    /// Gap statistic.
    pub gap: Gap,
}

/// A typology: the types of every point, how the number of types was chosen, how well Ward's
/// method agrees, how stable each point's type is and what sets each type apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Typology {
    /// Every number of types considered.
    pub candidates: Vec<Candidate>,
    /// The number of types chosen (best silhouette).
    pub k: usize,
    /// The number Tibshirani's gap rule would choose.
    pub gap_k: Option<usize>,
    /// The k-means types.
    pub partition: Partition,
    /// Ward's types with the same number of types.
    pub ward: Vec<usize>,
    /// Adjusted Rand index of k-means against Ward.
    pub agreement: f64,
    /// Share of bootstrap resamples in which each point keeps its type.
    pub stability: Vec<f64>,
}

impl Typology {
    /// Computes the typology of standardised points.
    pub fn compute(points: &Points, options: TypologyOptions) -> Result<Typology, AnalysisError> {
        if options.k_max > MAX_TYPES {
            return Err(AnalysisError::Shape(format!("höchstens {MAX_TYPES} Typen")));
        }
        let k_max = options.k_max.min(points.len().saturating_sub(1));
        if options.k_min < 2 || k_max < options.k_min {
            return Err(AnalysisError::TooFew {
                needed: options.k_min.max(2) + 1,
                given: points.len(),
            });
        }
        let ks: Vec<usize> = (options.k_min..=k_max).collect();
        let base = KMeans {
            k: 0,
            restarts: options.restarts,
            max_iter: options.max_iter,
            seed: options.seed,
        };
        let quick = KMeans {
            restarts: 3,
            ..base
        };
        let sample = sample_indices(points.len(), options.silhouette_sample, options.seed);
        let mut fits = Vec::with_capacity(ks.len());
        for &k in &ks {
            fits.push(KMeans { k, ..base }.fit(points)?);
        }
        let inertias: Vec<f64> = fits.iter().map(|f| f.inertia).collect();
        let gaps = gaps(points, &ks, &inertias, options.gap_references, quick);
        let candidates: Vec<Candidate> = ks
            .iter()
            .zip(&fits)
            .zip(gaps.iter().copied())
            .map(|((&k, fit), gap)| Candidate {
                k,
                inertia: fit.inertia,
                silhouette: silhouette(points, &fit.labels, Some(&sample)),
                gap,
            })
            .collect();
        let best = candidates.iter().enumerate().fold(0, |best, (i, c)| {
            if c.silhouette > candidates[best].silhouette {
                i
            } else {
                best
            }
        });
        let k = candidates[best].k;
        let partition = fits.swap_remove(best);
        let ward = ward(points, k)?;
        Ok(Typology {
            agreement: adjusted_rand(&partition.labels, &ward),
            stability: stability(points, &partition, options.bootstrap, KMeans { k, ..quick }),
            gap_k: gap_choice(&gaps),
            candidates,
            k,
            partition,
            ward,
        })
    }

    /// The indicators that set type `t` apart, furthest from the mean first: (indicator index,
    /// mean z-value of the type). With standardised points the centre is that mean.
    pub fn distinctive(&self, t: usize) -> Vec<(usize, f64)> {
        let mut profile: Vec<(usize, f64)> = self
            .partition
            .centroids
            .get(t)
            .map(|c| c.iter().copied().enumerate().collect())
            .unwrap_or_default();
        profile.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        profile
    }
}

/// German words for how far a type's mean lies from the mean of all regions, in standard
/// deviations; `None` within half a standard deviation, which is not what sets a type apart.
pub fn level_words(z: f64) -> Option<&'static str> {
    match z {
        z if z >= 1.0 => Some("deutlich überdurchschnittlich"),
        z if z >= 0.5 => Some("überdurchschnittlich"),
        z if z <= -1.0 => Some("deutlich unterdurchschnittlich"),
        z if z <= -0.5 => Some("unterdurchschnittlich"),
        _ => None,
    }
}

impl Typology {
    /// What sets type `t` apart, in German: its (at most three) indicators furthest from the
    /// mean of all regions, with `names` naming the indicators in the analysis's order.
    pub fn describe(&self, t: usize, names: &[&str]) -> String {
        let parts: Vec<String> = self
            .distinctive(t)
            .into_iter()
            .take(3)
            .filter_map(|(i, z)| Some(format!("{}: {}", names.get(i)?, level_words(z)?)))
            .collect();
        if parts.is_empty() {
            "in allen Merkmalen nahe am Durchschnitt".to_owned()
        } else {
            parts.join("; ")
        }
    }

    /// Mean bootstrap stability of the points of type `t`.
    pub fn stability_of(&self, t: usize) -> f64 {
        let kept: Vec<f64> = self
            .partition
            .labels
            .iter()
            .zip(&self.stability)
            .filter(|(l, _)| **l == t)
            .map(|(_, s)| *s)
            .collect();
        super::mean(&kept).unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_values_are_limited_after_standardising() {
        // Nine ones and one 100: the 100 lies 3 standard deviations above the mean.
        let rows: Vec<Vec<f64>> = (0..10)
            .map(|i| vec![if i == 9 { 100.0 } else { 1.0 }])
            .collect();
        let free = Points::standardised(&rows, 1).expect("points");
        assert!((free.row(9)[0] - 3.0).abs() < 1e-12);
        let limited = Points::standardised_within(&rows, 1, 2.0).expect("points");
        assert_eq!(limited.row(9)[0], 2.0);
        assert_eq!(limited.row(0)[0], free.row(0)[0]);
    }

    #[test]
    fn largest_type_comes_first() {
        let p = Partition {
            labels: vec![0, 1, 1, 2, 1, 2],
            centroids: vec![vec![0.0], vec![1.0], vec![2.0]],
            inertia: 3.0,
        }
        .largest_first();
        assert_eq!(p.labels, vec![2, 0, 0, 1, 0, 1]);
        assert_eq!(p.centroids, vec![vec![1.0], vec![2.0], vec![0.0]]);
        assert_eq!(p.sizes(), vec![3, 2, 1]);
    }

    /// Three well separated groups checked by hand: (0,0)-(1,1) corner, (10,10) corner and
    /// (0,10) corner, four points each.
    fn three_groups() -> Points {
        Points::new(&three_group_rows(), 2).expect("points")
    }

    fn three_group_rows() -> Vec<Vec<f64>> {
        [(0.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
            .iter()
            .flat_map(|&(x, y)| {
                [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)]
                    .map(|(dx, dy)| vec![x + dx, y + dy])
            })
            .collect()
    }

    #[test]
    fn kmeans_finds_the_hand_checked_groups() {
        let points = three_groups();
        let fit = KMeans {
            k: 3,
            restarts: 5,
            max_iter: 100,
            seed: 1,
        }
        .fit(&points)
        .expect("fit");
        assert_eq!(fit.labels, vec![0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
        // Each group of four unit-square corners has a sum of squares of 4 × 0.5 = 2.
        assert!((fit.inertia - 6.0).abs() < 1e-12);
        assert_eq!(fit.centroids[1], vec![10.5, 10.5]);
        assert_eq!(fit.sizes(), vec![4, 4, 4]);
    }

    #[test]
    fn ward_finds_the_hand_checked_groups() {
        let points = three_groups();
        assert_eq!(
            ward(&points, 3).expect("ward"),
            vec![0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
        );
        // With two types the corner at (0,10), equally far from both others, joins one of
        // them; only the number of types is fixed by hand.
        let two = ward(&points, 2).expect("ward");
        assert_eq!(two.iter().max(), Some(&1));
        assert_eq!(
            ward(&points, 12).expect("ward"),
            (0..12).collect::<Vec<_>>()
        );
    }

    #[test]
    fn silhouette_and_gap_prefer_the_true_number_of_types() {
        let points = three_groups();
        let options = TypologyOptions {
            k_max: 5,
            ..TypologyOptions::default()
        };
        let typology = Typology::compute(&points, options).expect("typology");
        assert_eq!(typology.k, 3);
        assert_eq!(typology.gap_k, Some(3));
        assert!((typology.agreement - 1.0).abs() < 1e-12);
        assert!(
            typology.stability.iter().all(|&s| s > 0.5),
            "{:?}",
            typology.stability
        );
        let by_k: Vec<f64> = typology.candidates.iter().map(|c| c.silhouette).collect();
        assert!(by_k[1] > by_k[0] && by_k[1] > by_k[2], "{by_k:?}");
    }

    #[test]
    fn a_type_is_described_by_what_sets_it_apart() {
        let points = Points::standardised(&three_group_rows(), 2).expect("points");
        let typology = Typology::compute(
            &points,
            TypologyOptions {
                k_max: 4,
                ..TypologyOptions::default()
            },
        )
        .expect("typology");
        // The type at the origin corner lies below the mean on both coordinates.
        let words = typology.describe(0, &["Ost", "Nord"]);
        assert!(
            words.contains("Ost: ") && words.contains("unterdurchschnittlich"),
            "{words}"
        );
        assert_eq!(level_words(0.2), None);
        assert_eq!(level_words(1.3), Some("deutlich überdurchschnittlich"));
        assert!(typology.stability_of(0) > 0.5);
    }

    #[test]
    fn adjusted_rand_is_one_for_renumbered_and_low_for_unrelated() {
        assert!((adjusted_rand(&[0, 0, 1, 1, 2], &[2, 2, 0, 0, 1]) - 1.0).abs() < 1e-12);
        // Hand-computed: a = [0,0,1,1], b = [0,1,0,1]: index 0, rows 2, cols 2, expected 4/6.
        let ari = adjusted_rand(&[0, 0, 1, 1], &[0, 1, 0, 1]);
        assert!((ari - (0.0 - 4.0 / 6.0) / (2.0 - 4.0 / 6.0)).abs() < 1e-12);
    }

    #[test]
    fn the_best_matching_maximises_agreement() {
        let weights = vec![vec![1, 9, 0], vec![8, 1, 0], vec![0, 0, 5]];
        assert_eq!(best_matching(&weights), vec![1, 0, 2]);
    }

    #[test]
    fn the_same_seed_gives_the_same_typology() {
        let rows: Vec<Vec<f64>> = (0..200)
            .map(|i| {
                let x = f64::from(i);
                vec![
                    (x * 0.37).sin() * 3.0 + (i % 4) as f64,
                    (x * 0.11).cos() + (i % 3) as f64,
                ]
            })
            .collect();
        let points = Points::standardised(&rows, 2).expect("points");
        let options = TypologyOptions {
            bootstrap: 5,
            ..TypologyOptions::default()
        };
        let a = Typology::compute(&points, options).expect("a");
        let b = Typology::compute(&points, options).expect("b");
        assert_eq!(a, b);
        assert_eq!(sample_indices(10, 4, 3), sample_indices(10, 4, 3));
    }
}
