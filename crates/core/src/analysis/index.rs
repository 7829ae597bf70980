//! Composite social indices: a deprivation index built by the method of the German Index of
//! Socioeconomic Deprivation (GISD, Robert Koch Institute; Kroll et al. 2017), and a status and
//! dynamics index in the manner of Berlin's Monitoring Soziale Stadtentwicklung (MSS).
//!
//! GISD method, as implemented here: the indicators of each dimension (education, employment,
//! income) for every region and year; gaps filled within a region's own series (linear between
//! known years, the nearest known value at the ends) and, where a region has no value at all,
//! by the mean of the other regions that year; per dimension one factor from a principal
//! component analysis pooled over all regions and years (so the weights, and the scores, are
//! comparable over time); the dimension scores summed with equal weight; the sum rescaled to
//! 0..1 within each year; quintiles within each year (5 = most deprived).

use super::factor::Factor;
use super::{AnalysisError, mean, std_dev};

/// Values of several indicators for regions and years: `values[indicator][region][year]`,
/// `None` where nothing was published (or a statistical symbol stands in its place).
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// The years, ascending.
    pub years: Vec<i32>,
    /// Number of regions.
    pub regions: usize,
    /// `values[indicator][region][year]`.
    pub values: Vec<Vec<Vec<Option<f64>>>>,
}

/// A dimension of a composite index: its indicators (indices into the panel) and, per
/// indicator, +1 where a higher value means more deprivation and −1 where it means less.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    /// Name of the dimension (e.g. "Bildung").
    pub name: String,
    /// Indicators of the dimension, as indices into [`Panel::values`].
    pub indicators: Vec<usize>,
    /// Direction of each indicator (+1.0 or −1.0).
    pub directions: Vec<f64>,
}

/// Fills the gaps of one series in place: linear between known values, the nearest known value
/// before the first and after the last. Returns how many values it filled; a series without
/// any known value stays empty.
pub fn interpolate(series: &mut [Option<f64>]) -> usize {
    let known: Vec<usize> = (0..series.len()).filter(|&i| series[i].is_some()).collect();
    let (Some(&first), Some(&last)) = (known.first(), known.last()) else {
        return 0;
    };
    let mut filled = 0;
    for i in 0..series.len() {
        if series[i].is_some() {
            continue;
        }
        let value = if i < first {
            series[first]
        } else if i > last {
            series[last]
        } else {
            let after = known.partition_point(|&k| k < i);
            let (a, b) = (known[after - 1], known[after]);
            let (va, vb) = (series[a].unwrap_or(0.0), series[b].unwrap_or(0.0));
            Some(va + (vb - va) * (i - a) as f64 / (b - a) as f64)
        };
        series[i] = value;
        filled += 1;
    }
    filled
}

/// A panel with every gap filled: `values[indicator][region][year]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Imputed {
    /// The complete values.
    pub values: Vec<Vec<Vec<f64>>>,
    /// Values filled from the region's own series.
    pub interpolated: usize,
    /// Values filled with the mean of the other regions that year.
    pub from_year_mean: usize,
}

/// Fills every gap of the panel (see the module documentation). An indicator without any
/// value in some year cannot be filled and is an error.
pub fn impute(panel: &Panel) -> Result<Imputed, AnalysisError> {
    let mut interpolated = 0;
    let mut from_year_mean = 0;
    let mut values = Vec::with_capacity(panel.values.len());
    for (i, indicator) in panel.values.iter().enumerate() {
        let mut series: Vec<Vec<Option<f64>>> = indicator.clone();
        if series.len() != panel.regions || series.iter().any(|s| s.len() != panel.years.len()) {
            return Err(AnalysisError::Shape(format!(
                "Indikator {i}: Regionen oder Jahre fehlen"
            )));
        }
        interpolated += series.iter_mut().map(|s| interpolate(s)).sum::<usize>();
        let year_means: Vec<Option<f64>> = (0..panel.years.len())
            .map(|y| mean(&series.iter().filter_map(|s| s[y]).collect::<Vec<_>>()))
            .collect();
        let mut complete = Vec::with_capacity(series.len());
        for s in series {
            let mut row = Vec::with_capacity(s.len());
            for (y, v) in s.into_iter().enumerate() {
                match (v, year_means[y]) {
                    (Some(v), _) => row.push(v),
                    (None, Some(m)) => {
                        from_year_mean += 1;
                        row.push(m);
                    }
                    (None, None) => {
                        return Err(AnalysisError::TooFew {
                            needed: 1,
                            given: 0,
                        });
                    }
                }
            }
            complete.push(row);
        }
        values.push(complete);
    }
    Ok(Imputed {
        values,
        interpolated,
        from_year_mean,
    })
}

/// A deprivation index for every region and year.
#[derive(Debug, Clone, PartialEq)]
pub struct Deprivation {
    /// The factor of each dimension: loadings, weights, explained variance.
    pub factors: Vec<Factor>,
    /// Dimension scores: `dimensions[d][region][year]`.
    pub dimensions: Vec<Vec<Vec<f64>>>,
    /// Sum of the dimension scores: `score[region][year]`.
    pub score: Vec<Vec<f64>>,
    /// The score rescaled to 0..1 within each year (1 = most deprived region of that year).
    pub normalised: Vec<Vec<f64>>,
    /// Quintile within each year, 1 (least deprived fifth) to 5 (most deprived fifth).
    pub quintile: Vec<Vec<u8>>,
    /// Values filled from the region's own series.
    pub interpolated: usize,
    /// Values filled with the mean of the other regions that year.
    pub from_year_mean: usize,
}

/// Computes the deprivation index of the panel by the GISD method (module documentation).
pub fn deprivation(panel: &Panel, dimensions: &[Dimension]) -> Result<Deprivation, AnalysisError> {
    let imputed = impute(panel)?;
    let (regions, years) = (panel.regions, panel.years.len());
    let mut factors = Vec::with_capacity(dimensions.len());
    let mut dimension_scores = Vec::with_capacity(dimensions.len());
    for dimension in dimensions {
        if dimension.indicators.len() != dimension.directions.len() {
            return Err(AnalysisError::Shape(format!(
                "Dimension {}: Richtungen fehlen",
                dimension.name
            )));
        }
        let rows: Vec<Vec<f64>> = (0..regions)
            .flat_map(|r| (0..years).map(move |y| (r, y)))
            .map(|(r, y)| {
                dimension
                    .indicators
                    .iter()
                    .map(|&i| imputed.values[i][r][y])
                    .collect()
            })
            .collect();
        let factor = Factor::first(&rows, &dimension.directions)?;
        let scores: Vec<Vec<f64>> = rows
            .chunks(years)
            .map(|region| region.iter().map(|row| factor.score(row)).collect())
            .collect();
        factors.push(factor);
        dimension_scores.push(scores);
    }
    let score: Vec<Vec<f64>> = (0..regions)
        .map(|r| {
            (0..years)
                .map(|y| dimension_scores.iter().map(|d| d[r][y]).sum())
                .collect()
        })
        .collect();
    let mut normalised = vec![vec![0.0; years]; regions];
    let mut quintile = vec![vec![0u8; years]; regions];
    for y in 0..years {
        let column: Vec<f64> = score.iter().map(|s| s[y]).collect();
        let (lo, hi) = column
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let classes = quantile_classes(&column, 5);
        for r in 0..regions {
            normalised[r][y] = if hi > lo {
                (column[r] - lo) / (hi - lo)
            } else {
                0.5
            };
            quintile[r][y] = classes[r];
        }
    }
    Ok(Deprivation {
        factors,
        dimensions: dimension_scores,
        score,
        normalised,
        quintile,
        interpolated: imputed.interpolated,
        from_year_mean: imputed.from_year_mean,
    })
}

/// Quantile class (1..=classes) of each value by its rank among all values; equal values share
/// the class of the first of them.
pub fn quantile_classes(values: &[f64], classes: u8) -> Vec<u8> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
    let mut out = vec![1u8; n];
    let mut rank_of_first = 0;
    for (rank, &i) in order.iter().enumerate() {
        if rank > 0 && values[i] != values[order[rank - 1]] {
            rank_of_first = rank;
        }
        // Spread over ranks 0..n-1, so the lowest value is always in class 1 and the highest
        // in the top class, however few regions there are.
        let class = rank_of_first * usize::from(classes) / (n - 1).max(1) + 1;
        out[i] = class.min(usize::from(classes)) as u8;
    }
    out
}

/// Status class in the manner of the MSS (a high status means little disadvantage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatusClass {
    /// Index below −1 standard deviation.
    High,
    /// Within one standard deviation.
    Middle,
    /// From +1 to +1.5 standard deviations.
    Low,
    /// Above +1.5 standard deviations.
    VeryLow,
}

impl StatusClass {
    /// The class of a standardised status index (higher = more disadvantage).
    pub fn of(z: f64) -> StatusClass {
        match z {
            z if z < -1.0 => StatusClass::High,
            z if z <= 1.0 => StatusClass::Middle,
            z if z <= 1.5 => StatusClass::Low,
            _ => StatusClass::VeryLow,
        }
    }

    /// German name as the MSS uses it.
    pub fn label(self) -> &'static str {
        match self {
            StatusClass::High => "hoch",
            StatusClass::Middle => "mittel",
            StatusClass::Low => "niedrig",
            StatusClass::VeryLow => "sehr niedrig",
        }
    }
}

/// Dynamics class in the manner of the MSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DynamicsClass {
    /// Disadvantage fell by more than one standard deviation of the regions' changes.
    Positive,
    /// Within one standard deviation.
    Stable,
    /// Disadvantage rose by more than one standard deviation.
    Negative,
}

impl DynamicsClass {
    /// The class of a standardised dynamics index (higher = disadvantage grew more).
    pub fn of(z: f64) -> DynamicsClass {
        match z {
            z if z < -1.0 => DynamicsClass::Positive,
            z if z <= 1.0 => DynamicsClass::Stable,
            _ => DynamicsClass::Negative,
        }
    }

    /// German name as the MSS uses it.
    pub fn label(self) -> &'static str {
        match self {
            DynamicsClass::Positive => "positiv",
            DynamicsClass::Stable => "stabil",
            DynamicsClass::Negative => "negativ",
        }
    }
}

/// Status and dynamics of each region.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusDynamics {
    /// Standardised status index (higher = more disadvantage).
    pub status: Vec<f64>,
    /// Its class.
    pub status_class: Vec<StatusClass>,
    /// Standardised dynamics index (higher = disadvantage grew more than elsewhere).
    pub dynamics: Vec<f64>,
    /// Its class.
    pub dynamics_class: Vec<DynamicsClass>,
}

/// The MSS procedure: each indicator z-standardised over the regions and turned by its
/// direction, the weighted sum standardised again and classed; the dynamics the same on the
/// changes from `earlier` to `current`. Rows are regions, columns indicators.
pub fn status_dynamics(
    current: &[Vec<f64>],
    earlier: &[Vec<f64>],
    weights: &[f64],
    directions: &[f64],
) -> Result<StatusDynamics, AnalysisError> {
    if current.len() != earlier.len() || weights.len() != directions.len() {
        return Err(AnalysisError::Shape(
            "Regionen, Gewichte und Richtungen passen nicht zusammen".into(),
        ));
    }
    let changes: Vec<Vec<f64>> = current
        .iter()
        .zip(earlier)
        .map(|(c, e)| c.iter().zip(e).map(|(c, e)| c - e).collect())
        .collect();
    let status = weighted_index(current, weights, directions)?;
    let dynamics = weighted_index(&changes, weights, directions)?;
    Ok(StatusDynamics {
        status_class: status.iter().map(|&z| StatusClass::of(z)).collect(),
        dynamics_class: dynamics.iter().map(|&z| DynamicsClass::of(z)).collect(),
        status,
        dynamics,
    })
}

/// Σ weight·direction·z over the indicators, standardised over the regions.
fn weighted_index(
    rows: &[Vec<f64>],
    weights: &[f64],
    directions: &[f64],
) -> Result<Vec<f64>, AnalysisError> {
    let z = super::standardise(rows, weights.len())?;
    let sums: Vec<f64> = z
        .iter()
        .map(|row| {
            row.iter()
                .zip(weights)
                .zip(directions)
                .map(|((v, w), d)| v * w * d)
                .sum()
        })
        .collect();
    let (m, sd) = (mean(&sums).unwrap_or(0.0), std_dev(&sums).unwrap_or(0.0));
    Ok(sums
        .iter()
        .map(|s| if sd > 0.0 { (s - m) / sd } else { 0.0 })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_filled_linearly_and_at_the_ends_by_the_nearest_value() {
        let mut series = vec![None, Some(2.0), None, None, Some(8.0), None];
        assert_eq!(interpolate(&mut series), 4);
        assert_eq!(
            series,
            vec![
                Some(2.0),
                Some(2.0),
                Some(4.0),
                Some(6.0),
                Some(8.0),
                Some(8.0)
            ]
        );
        let mut empty = vec![None, None];
        assert_eq!(interpolate(&mut empty), 0);
    }

    #[test]
    fn a_region_without_values_gets_the_mean_of_the_year() {
        let panel = Panel {
            years: vec![2020, 2021],
            regions: 3,
            values: vec![vec![
                vec![Some(1.0), Some(2.0)],
                vec![Some(3.0), None],
                vec![None, None],
            ]],
        };
        let imputed = impute(&panel).expect("imputed");
        assert_eq!(
            imputed.values[0],
            vec![vec![1.0, 2.0], vec![3.0, 3.0], vec![2.0, 2.5]]
        );
        assert_eq!((imputed.interpolated, imputed.from_year_mean), (1, 2));
    }

    #[test]
    fn quintiles_split_by_rank_and_ties_share_a_class() {
        let values: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(
            quantile_classes(&values, 5),
            vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        );
        assert_eq!(
            quantile_classes(&[1.0, 1.0, 1.0, 2.0, 3.0], 5),
            vec![1, 1, 1, 4, 5]
        );
    }

    #[test]
    fn the_most_deprived_region_scores_highest() {
        // Region 2 has the highest unemployment and the lowest income in every year.
        let unemployment = vec![
            vec![Some(5.0), Some(4.0)],
            vec![Some(7.0), Some(6.5)],
            vec![Some(12.0), Some(11.0)],
        ];
        let income = vec![
            vec![Some(30.0), Some(31.0)],
            vec![Some(26.0), None],
            vec![Some(20.0), Some(21.0)],
        ];
        let panel = Panel {
            years: vec![2020, 2021],
            regions: 3,
            values: vec![unemployment, income],
        };
        let dims = [Dimension {
            name: "Erwerb".into(),
            indicators: vec![0, 1],
            directions: vec![1.0, -1.0],
        }];
        let index = deprivation(&panel, &dims).expect("index");
        assert!(index.factors[0].loadings[0] > 0.0 && index.factors[0].loadings[1] < 0.0);
        for y in 0..2 {
            assert_eq!(index.normalised[2][y], 1.0);
            assert_eq!(index.normalised[0][y], 0.0);
            assert_eq!(index.quintile[2][y], 5);
        }
        assert_eq!(index.interpolated, 1);
    }

    #[test]
    fn status_and_dynamics_are_classed_as_the_mss_does() {
        let current: Vec<Vec<f64>> = (0..20)
            .map(|i| vec![f64::from(i), f64::from(i % 5)])
            .collect();
        let mut earlier: Vec<Vec<f64>> = current
            .iter()
            .enumerate()
            .map(|(i, r)| vec![r[0], r[1] - (i % 3) as f64])
            .collect();
        earlier[19][0] -= 15.0;
        let result = status_dynamics(&current, &earlier, &[1.0, 1.0], &[1.0, 1.0]).expect("index");
        assert_eq!(result.dynamics_class[19], DynamicsClass::Negative);
        assert!(result.status[19] > result.status[0]);
        assert_eq!(StatusClass::of(-1.2).label(), "hoch");
        assert_eq!(StatusClass::of(1.6), StatusClass::VeryLow);
        assert_eq!(DynamicsClass::of(0.3).label(), "stabil");
    }
}
