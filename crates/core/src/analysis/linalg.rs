//! Small dense linear algebra for the analyses: correlation matrices and the eigen decomposition
//! of a symmetric matrix by Jacobi rotations.
//!
//! The matrices here are a handful of indicators wide (a dimension of a deprivation index has
//! three), where the cyclic Jacobi method is exact to rounding, short and dependency-free; a
//! general linear-algebra crate would add compile time for nothing the analyses need.

/// Eigenvalues of a symmetric matrix, largest first, with their unit eigenvectors.
#[derive(Debug, Clone, PartialEq)]
pub struct Eigen {
    /// Eigenvalues, largest first.
    pub values: Vec<f64>,
    /// `vectors[i]` is the unit eigenvector of `values[i]`.
    pub vectors: Vec<Vec<f64>>,
}

/// Pearson correlation matrix of the columns (each a slice of equal length, none constant).
pub fn correlation(columns: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let standardised: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| {
            let m = super::mean(c).unwrap_or(0.0);
            let sd = super::std_dev(c).unwrap_or(1.0);
            c.iter().map(|v| (v - m) / sd).collect()
        })
        .collect();
    let n = columns.first().map_or(1, Vec::len).max(1) as f64;
    standardised
        .iter()
        .map(|a| {
            standardised
                .iter()
                .map(|b| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() / n)
                .collect()
        })
        .collect()
}

/// Eigen decomposition of a symmetric matrix by cyclic Jacobi rotations (Golub & Van Loan,
/// Algorithm 8.5.3), sweeping until the off-diagonal part is negligible.
pub fn symmetric_eigen(matrix: &[Vec<f64>]) -> Eigen {
    let n = matrix.len();
    let mut a: Vec<Vec<f64>> = matrix.to_vec();
    let mut v: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off < 1e-30 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                rotate(&mut a, &mut v, p, q);
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[j][j].total_cmp(&a[i][i]).then(i.cmp(&j)));
    Eigen {
        values: order.iter().map(|&i| a[i][i]).collect(),
        vectors: order
            .iter()
            .map(|&i| (0..n).map(|r| v[r][i]).collect())
            .collect(),
    }
}

/// One Jacobi rotation zeroing `a[p][q]`, accumulated into the eigenvector columns `v`.
fn rotate(a: &mut [Vec<f64>], v: &mut [Vec<f64>], p: usize, q: usize) {
    if a[p][q].abs() < 1e-300 {
        return;
    }
    let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
    let t = if theta == 0.0 { 1.0 } else { t };
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    // Columns p and q, then rows p and q (A ← JᵀAJ).
    for row in a.iter_mut() {
        let (akp, akq) = (row[p], row[q]);
        row[p] = c * akp - s * akq;
        row[q] = s * akp + c * akq;
    }
    let (row_p, row_q) = (a[p].clone(), a[q].clone());
    for (k, (apk, aqk)) in row_p.into_iter().zip(row_q).enumerate() {
        a[p][k] = c * apk - s * aqk;
        a[q][k] = s * apk + c * aqk;
    }
    for row in v.iter_mut() {
        let (vkp, vkq) = (row[p], row[q]);
        row[p] = c * vkp - s * vkq;
        row[q] = s * vkp + c * vkq;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_decomposition_reproduces_the_matrix() {
        let m = vec![
            vec![4.0, 1.0, 0.5],
            vec![1.0, 3.0, 0.25],
            vec![0.5, 0.25, 1.0],
        ];
        let e = symmetric_eigen(&m);
        assert!(e.values.windows(2).all(|w| w[0] >= w[1]));
        for (value, vector) in e.values.iter().zip(&e.vectors) {
            let norm: f64 = vector.iter().map(|x| x * x).sum();
            assert!((norm - 1.0).abs() < 1e-12);
            for (row, x) in m.iter().zip(vector) {
                let mv: f64 = row.iter().zip(vector).map(|(a, b)| a * b).sum();
                assert!((mv - value * x).abs() < 1e-10, "{mv} vs {}", value * x);
            }
        }
        let trace: f64 = e.values.iter().sum();
        assert!((trace - 8.0).abs() < 1e-12);
    }

    #[test]
    fn a_known_two_by_two_case() {
        // [[2,1],[1,2]] has eigenvalues 3 and 1 with vectors (1,1)/√2 and (1,-1)/√2.
        let e = symmetric_eigen(&[vec![2.0, 1.0], vec![1.0, 2.0]]);
        assert!((e.values[0] - 3.0).abs() < 1e-12 && (e.values[1] - 1.0).abs() < 1e-12);
        assert!((e.vectors[0][0].abs() - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        assert!((e.vectors[0][0] - e.vectors[0][1]).abs() < 1e-12);
    }

    #[test]
    fn correlation_of_perfectly_related_columns_is_one() {
        let r = correlation(&[
            vec![1.0, 2.0, 3.0],
            vec![2.0, 4.0, 6.0],
            vec![3.0, 2.0, 1.0],
        ]);
        assert!((r[0][1] - 1.0).abs() < 1e-12);
        assert!((r[0][2] + 1.0).abs() < 1e-12);
        assert!((r[1][1] - 1.0).abs() < 1e-12);
    }
}
