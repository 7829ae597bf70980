//! One-factor principal component analysis, as the German Index of Socioeconomic Deprivation
//! (GISD) weights the indicators of each of its dimensions.
//!
//! The indicators are z-standardised; the first eigenvector `v` of their correlation matrix with
//! eigenvalue `λ` gives the loadings `v·√λ` (the correlation of each indicator with the factor),
//! the score coefficients `v/√λ` (so the factor score has variance 1) and the share of the
//! variance the factor explains, `λ/p`.

use super::{AnalysisError, column_moments, linalg};

/// The first factor of a set of indicators.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// Correlation of each indicator with the factor.
    pub loadings: Vec<f64>,
    /// Score coefficients: the factor score is the sum of z-values times these.
    pub weights: Vec<f64>,
    /// Share of the indicators' total variance the factor explains (0..1).
    pub explained: f64,
    /// Mean and population standard deviation of each indicator, for z-standardising.
    pub moments: Vec<(f64, f64)>,
}

impl Factor {
    /// The first factor of `rows` (one row per observation, one column per indicator),
    /// oriented so that `Σ direction·loading > 0`: with directions +1 for indicators where a
    /// higher value means more of what the factor measures (deprivation) and −1 for the others,
    /// a higher score always means more.
    pub fn first(rows: &[Vec<f64>], directions: &[f64]) -> Result<Factor, AnalysisError> {
        let dims = directions.len();
        if dims == 0 {
            return Err(AnalysisError::TooFew {
                needed: 1,
                given: 0,
            });
        }
        let moments = column_moments(rows, dims)?;
        let columns: Vec<Vec<f64>> = (0..dims)
            .map(|c| rows.iter().map(|r| r[c]).collect())
            .collect();
        let eigen = linalg::symmetric_eigen(&linalg::correlation(&columns));
        let lambda = eigen
            .values
            .first()
            .copied()
            .unwrap_or(0.0)
            .max(f64::MIN_POSITIVE);
        let mut vector = eigen.vectors.first().cloned().unwrap_or_default();
        let orientation: f64 = vector.iter().zip(directions).map(|(v, d)| v * d).sum();
        if orientation < 0.0 {
            vector.iter_mut().for_each(|v| *v = -*v);
        }
        Ok(Factor {
            loadings: vector.iter().map(|v| v * lambda.sqrt()).collect(),
            weights: vector.iter().map(|v| v / lambda.sqrt()).collect(),
            explained: lambda / dims as f64,
            moments,
        })
    }

    /// The factor score of one observation (its indicators in the order of the analysis).
    pub fn score(&self, row: &[f64]) -> f64 {
        row.iter()
            .zip(&self.moments)
            .zip(&self.weights)
            .map(|((v, (m, sd)), w)| (v - m) / sd * w)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_perfectly_correlated_indicators_share_one_factor() {
        let rows: Vec<Vec<f64>> = (0..10)
            .map(|i| vec![f64::from(i), 2.0 * f64::from(i) + 1.0])
            .collect();
        let f = Factor::first(&rows, &[1.0, 1.0]).expect("factor");
        assert!((f.explained - 1.0).abs() < 1e-9);
        assert!(f.loadings.iter().all(|l| (l - 1.0).abs() < 1e-9));
        let scores: Vec<f64> = rows.iter().map(|r| f.score(r)).collect();
        assert!((super::super::std_dev(&scores).expect("sd") - 1.0).abs() < 1e-9);
        assert!(scores.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn the_direction_turns_the_factor() {
        let rows: Vec<Vec<f64>> = (0..10)
            .map(|i| vec![f64::from(i), -f64::from(i) + f64::from(i % 3)])
            .collect();
        let up = Factor::first(&rows, &[1.0, -1.0]).expect("factor");
        let down = Factor::first(&rows, &[-1.0, 1.0]).expect("factor");
        assert!(up.loadings[0] > 0.0 && down.loadings[0] < 0.0);
        assert!((up.explained - down.explained).abs() < 1e-12);
    }
}
