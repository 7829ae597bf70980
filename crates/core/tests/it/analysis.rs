//! The analyses against scikit-learn and NumPy on real inputs (INKAR 2024 municipalities for the
//! typology, the INKAR 2018 GISD inputs of all 401 Kreise for the factor analysis). The
//! references were computed by the `make.py` beside each fixture, not by this code.

use sozialmonitor_core::analysis::cluster::{KMeans, Points, adjusted_rand, silhouette, ward};
use sozialmonitor_core::analysis::factor::Factor;

/// Header and rows of a plain comma-separated fixture (no quoting in these files).
fn table(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn number(cell: &str) -> f64 {
    cell.parse()
        .unwrap_or_else(|_| panic!("not a number: {cell}"))
}

#[test]
fn the_typology_of_saxon_and_saxony_anhalt_municipalities_matches_scikit_learn() {
    let (header, rows) = table(include_str!("../data/typology/inputs.csv"));
    let (_, labels) = table(include_str!("../data/typology/sklearn.csv"));
    let (_, summary) = table(include_str!("../data/typology/sklearn-summary.csv"));
    assert_eq!(rows.len(), 637, "municipalities of the fixture");
    assert!(
        rows.iter().zip(&labels).all(|(r, l)| r[0] == l[0]),
        "same municipalities in order"
    );
    let values: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| r[1..].iter().map(|c| number(c)).collect())
        .collect();
    let points = Points::standardised(&values, header.len() - 1).expect("points");
    let sklearn_kmeans: Vec<usize> = labels
        .iter()
        .map(|l| l[1].parse().expect("label"))
        .collect();
    let sklearn_ward: Vec<usize> = labels
        .iter()
        .map(|l| l[2].parse().expect("label"))
        .collect();

    let ours = KMeans {
        k: 4,
        restarts: 50,
        max_iter: 300,
        seed: 0,
    }
    .fit(&points)
    .expect("k-means");
    let ari = adjusted_rand(&ours.labels, &sklearn_kmeans);
    eprintln!("k-means k=4: adjusted Rand index against scikit-learn {ari:.6}");
    assert!(
        ari > 0.999,
        "k-means disagrees with scikit-learn: ARI {ari}"
    );
    let inertia = number(&summary[2][1]);
    assert!(
        (ours.inertia - inertia).abs() < 1e-6 * inertia,
        "{} vs {inertia}",
        ours.inertia
    );
    let width = silhouette(&points, &ours.labels, None);
    assert!(
        (width - number(&summary[2][2])).abs() < 1e-9,
        "silhouette {width}"
    );

    let ward4 = ward(&points, 4).expect("ward");
    let ari = adjusted_rand(&ward4, &sklearn_ward);
    eprintln!("Ward k=4: adjusted Rand index against scikit-learn {ari:.6}");
    assert!(ari > 0.999, "Ward disagrees with scikit-learn: ARI {ari}");

    // For 2..=5 types every seed reaches scikit-learn's optimum; beyond, near-equal solutions
    // differ by up to 0.05 %, so the comparison allows 0.1 %.
    for row in &summary {
        let k: usize = row[0].parse().expect("k");
        let fit = KMeans {
            k,
            restarts: 50,
            max_iter: 300,
            seed: 0,
        }
        .fit(&points)
        .expect("fit");
        let reference = number(&row[1]);
        let tolerance = if k <= 5 { 1e-6 } else { 1e-3 };
        assert!(
            fit.inertia <= reference * (1.0 + tolerance),
            "k={k}: {} vs {reference}",
            fit.inertia
        );
    }
}

#[test]
fn the_gisd_factor_analysis_of_all_kreise_matches_numpy() {
    let (header, rows) = table(include_str!("../data/gisd/inputs-2015.csv"));
    let (_, reference) = table(include_str!("../data/gisd/numpy-reference.csv"));
    let (_, scores) = table(include_str!("../data/gisd/numpy-scores.csv"));
    assert_eq!(rows.len(), 401, "Kreise of 2015");
    let column = |name: &str| header.iter().position(|h| h == name).expect("column");
    let dimensions = [
        (
            "education",
            [
                ("academic", -1.0),
                ("no_vocational", 1.0),
                ("school_no_degree", 1.0),
            ],
        ),
        (
            "employment",
            [
                ("employment_rate", -1.0),
                ("unemployment", 1.0),
                ("gross_wage", -1.0),
            ],
        ),
        (
            "income",
            [
                ("income_tax", -1.0),
                ("household_income", -1.0),
                ("debtors", 1.0),
            ],
        ),
    ];
    for (d, (dimension, indicators)) in dimensions.iter().enumerate() {
        let columns: Vec<usize> = indicators.iter().map(|(name, _)| column(name)).collect();
        let directions: Vec<f64> = indicators.iter().map(|(_, direction)| *direction).collect();
        let data: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| columns.iter().map(|&c| number(&r[c])).collect())
            .collect();
        let factor = Factor::first(&data, &directions).expect("factor");
        for (i, (name, _)) in indicators.iter().enumerate() {
            let expected = reference
                .iter()
                .find(|r| r[0] == *dimension && r[1] == *name)
                .expect("reference row");
            assert!(
                (factor.loadings[i] - number(&expected[2])).abs() < 1e-9,
                "{dimension}/{name} loading"
            );
            assert!(
                (factor.weights[i] - number(&expected[3])).abs() < 1e-9,
                "{dimension}/{name} weight"
            );
            assert!(
                (factor.explained - number(&expected[4])).abs() < 1e-9,
                "{dimension} explained"
            );
        }
        for (row, expected) in data.iter().zip(&scores) {
            let score = factor.score(row);
            assert!(
                (score - number(&expected[d + 1])).abs() < 1e-9,
                "{dimension} score of {}",
                expected[0]
            );
        }
        eprintln!(
            "{dimension}: explained variance {:.4}, loadings {:?}",
            factor.explained, factor.loadings
        );
    }
}
