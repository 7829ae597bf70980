//! Analysis support: typologies of regions, deprivation and social indices, unusual developments
//! and population projections.
//!
//! Everything here is deterministic: random choices come from a seeded generator
//! ([`seeded`]), inputs are taken in the order given (callers sort them by region key), and
//! parallel work returns its results in input order. The same data therefore always gives the
//! same types, scores and projections, byte for byte.

pub mod cluster;
pub mod demography;
pub mod factor;
pub mod index;
pub mod linalg;
pub mod projection;
pub mod unusual;

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// Why an analysis cannot be computed from the inputs given (shown to planners, so in German).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    /// Fewer observations than the method needs.
    #[error("zu wenige Werte: {needed} nötig, {given} vorhanden")]
    TooFew {
        /// Observations the method needs at least.
        needed: usize,
        /// Observations given.
        given: usize,
    },
    /// Rows of different length, or a row that does not match the declared columns.
    #[error("die Eingaben passen nicht zusammen: {0}")]
    Shape(String),
    /// A value that is not a finite number.
    #[error("ein Wert ist keine endliche Zahl (Zeile {row}, Spalte {column})")]
    NotFinite {
        /// Row of the value, from 0.
        row: usize,
        /// Column of the value, from 0.
        column: usize,
    },
    /// A column without any variation, which cannot be standardised.
    #[error("die Spalte {0} hat keine Streuung und lässt sich nicht standardisieren")]
    Constant(usize),
}

/// The random generator of every analysis: ChaCha8, whose output for a seed is fixed across
/// platforms and versions of `rand_chacha` 0.3, so results are reproducible.
pub fn seeded(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A uniform number in [0, 1) with 53 random bits.
pub fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A uniform index below `n` (`n > 0`), by multiply-and-shift (Lemire), without modulo bias
/// worth speaking of for the sizes used here.
pub fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// Arithmetic mean; `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Population standard deviation (divisor n, as the z-scores of the published indices use).
pub fn std_dev(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    Some((values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / values.len() as f64).sqrt())
}

/// Sample skewness (the third standardised moment, divisor n); `None` for fewer than three
/// values or no spread.
pub fn skewness(values: &[f64]) -> Option<f64> {
    let (m, sd) = (mean(values)?, std_dev(values)?);
    if values.len() < 3 || sd <= 0.0 {
        return None;
    }
    Some(values.iter().map(|v| ((v - m) / sd).powi(3)).sum::<f64>() / values.len() as f64)
}

/// Whether a feature enters an analysis as its logarithm: every value positive and the
/// distribution strongly right-skewed (skewness above 2), as population density is, where a
/// few cities would otherwise stretch the scale and every other place would look alike.
pub fn wants_logarithm(values: &[f64]) -> bool {
    values.iter().all(|v| *v > 0.0) && skewness(values).is_some_and(|s| s > 2.0)
}

/// Median of the values (mean of the middle two for an even count); `None` for no values.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// Median absolute deviation scaled by 1.4826, so it estimates the standard deviation of
/// normally distributed values while one outlier cannot move it.
pub fn robust_sd(values: &[f64]) -> Option<f64> {
    let m = median(values)?;
    let deviations: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
    median(&deviations).map(|mad| 1.4826 * mad)
}

/// Mean and population standard deviation of each column of `rows`, checking that every row has
/// `dims` finite values and no column is constant.
pub fn column_moments(rows: &[Vec<f64>], dims: usize) -> Result<Vec<(f64, f64)>, AnalysisError> {
    if rows.len() < 2 {
        return Err(AnalysisError::TooFew {
            needed: 2,
            given: rows.len(),
        });
    }
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
    }
    (0..dims)
        .map(|c| {
            let column: Vec<f64> = rows.iter().map(|row| row[c]).collect();
            let m = mean(&column).unwrap_or(0.0);
            let sd = std_dev(&column).unwrap_or(0.0);
            if sd <= f64::EPSILON * m.abs().max(1.0) {
                Err(AnalysisError::Constant(c))
            } else {
                Ok((m, sd))
            }
        })
        .collect()
}

/// The rows z-standardised column by column (mean 0, population standard deviation 1).
pub fn standardise(rows: &[Vec<f64>], dims: usize) -> Result<Vec<Vec<f64>>, AnalysisError> {
    let moments = column_moments(rows, dims)?;
    Ok(rows
        .iter()
        .map(|row| {
            row.iter()
                .zip(&moments)
                .map(|(v, (m, sd))| (v - m) / sd)
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skewed_positive_features_are_logged() {
        // Symmetric: skewness 0.
        assert_eq!(skewness(&[1.0, 2.0, 3.0]), Some(0.0));
        assert_eq!(skewness(&[2.0, 2.0, 2.0]), None);
        // Nine villages and one city: skewness (1/n)·Σz³ = 2,67.
        let density = [50.0, 60.0, 55.0, 70.0, 45.0, 65.0, 52.0, 58.0, 61.0, 1700.0];
        let s = skewness(&density).expect("spread");
        assert!((s - 2.6666).abs() < 1e-3, "{s}");
        assert!(wants_logarithm(&density));
        // The same shape with a zero or a negative value cannot be logged.
        let mut with_zero = density;
        with_zero[0] = 0.0;
        assert!(!wants_logarithm(&with_zero));
        assert!(!wants_logarithm(&[1.0, 2.0, 3.0, 4.0]));
    }

    #[test]
    fn median_and_robust_sd_ignore_one_outlier() {
        let values = [1.0, 2.0, 3.0, 4.0, 1000.0];
        assert_eq!(median(&values), Some(3.0));
        assert!((robust_sd(&values).expect("value") - 1.4826).abs() < 1e-12);
        assert_eq!(median(&[1.0, 2.0]), Some(1.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn standardised_columns_have_mean_zero_and_sd_one() {
        let rows = vec![
            vec![1.0, 10.0],
            vec![2.0, 30.0],
            vec![3.0, 20.0],
            vec![6.0, 0.0],
        ];
        let z = standardise(&rows, 2).expect("value");
        for c in 0..2 {
            let column: Vec<f64> = z.iter().map(|r| r[c]).collect();
            assert!(mean(&column).expect("value").abs() < 1e-12);
            assert!((std_dev(&column).expect("value") - 1.0).abs() < 1e-12);
        }
        assert_eq!(
            standardise(&[vec![1.0, 1.0], vec![2.0, 1.0]], 2),
            Err(AnalysisError::Constant(1))
        );
        assert!(matches!(
            standardise(&[vec![1.0], vec![f64::NAN]], 1),
            Err(AnalysisError::NotFinite { row: 1, column: 0 })
        ));
    }

    #[test]
    fn the_generator_is_reproducible() {
        let a: Vec<u64> = (0..3).map(|_| seeded(7).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut rng = seeded(1);
        assert!((0..1000).all(|_| below(&mut rng, 7) < 7));
        assert!(
            (0..1000)
                .map(|_| uniform(&mut rng))
                .all(|u| (0.0..1.0).contains(&u))
        );
    }
}
