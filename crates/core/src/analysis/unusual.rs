//! Unusual developments (Auffälligkeiten): the trend of a series with its uncertainty, and the
//! changes that depart from a region's own history or from the other regions that year by more
//! than noise explains.
//!
//! A change is compared by robust z-scores (median and scaled median absolute deviation, so one
//! extreme year or region does not hide another). For rates of small populations the sampling
//! noise of the rate (its count taken as Poisson) is added to the spread, so a village whose
//! rate moves from 2 to 4 people in 300 is not flagged for what chance alone produces.

use super::{median, robust_sd};

/// A least-squares linear trend with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Change per year.
    pub slope: f64,
    /// Lower end of the 95 % confidence interval of the slope.
    pub lower: f64,
    /// Upper end of the 95 % confidence interval of the slope.
    pub upper: f64,
    /// Number of years the trend rests on.
    pub years: usize,
}

impl Trend {
    /// The trend of (year, value) points; `None` for fewer than three points or a single year.
    pub fn fit(points: &[(f64, f64)]) -> Option<Trend> {
        let n = points.len();
        if n < 3 {
            return None;
        }
        let mx = points.iter().map(|p| p.0).sum::<f64>() / n as f64;
        let my = points.iter().map(|p| p.1).sum::<f64>() / n as f64;
        let sxx: f64 = points.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
        if sxx <= 0.0 {
            return None;
        }
        let slope = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx;
        let residual: f64 = points
            .iter()
            .map(|p| (p.1 - my - slope * (p.0 - mx)).powi(2))
            .sum();
        let se = (residual / (n - 2) as f64 / sxx).sqrt();
        let t = t_975(n - 2);
        Some(Trend {
            slope,
            lower: slope - t * se,
            upper: slope + t * se,
            years: n,
        })
    }

    /// Whether the interval excludes zero: the series rises or falls beyond its noise.
    pub fn is_clear(&self) -> bool {
        self.lower > 0.0 || self.upper < 0.0
    }
}

/// The 97.5 % quantile of Student's t distribution with `df` degrees of freedom.
fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    TABLE.get(df.wrapping_sub(1)).copied().unwrap_or(1.96)
}

/// Standard deviation of a rate from sampling noise: a rate `r` per `scale` on a base of `base`
/// people rests on a count `r·base/scale`; taking that count as Poisson, the rate's standard
/// deviation is `√(r·scale/base)`.
pub fn rate_noise(rate: f64, base: f64, scale: f64) -> f64 {
    if base > 0.0 && rate >= 0.0 {
        (rate * scale / base).sqrt()
    } else {
        0.0
    }
}

/// The scale of a rate from its unit as the catalogue writes it: 100 for `%` and `je 100 …`,
/// 1,000 for `je 1.000 …`, and so on; `None` for units that are not rates (persons, euros).
pub fn rate_scale(unit: &str) -> Option<f64> {
    let unit = unit.trim();
    match unit {
        "%" | "Prozent" => return Some(100.0),
        "‰" | "Promille" => return Some(1000.0),
        _ => {}
    }
    let rest = unit.strip_prefix("je ")?;
    let number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .filter(|c| *c != '.')
        .collect();
    number.parse().ok().filter(|n: &f64| *n > 0.0)
}

/// Whether a rate's reference population is the whole population, whose size the
/// `bevoelkerung` indicator gives (empty or "Einwohner:innen insgesamt" in the catalogue). For
/// rates on a part of it (children, people of 65 and over) the whole population would
/// understate the noise, so none is assumed known.
pub fn refers_to_everyone(reference_population: &str) -> bool {
    matches!(
        reference_population.trim(),
        "" | "Einwohner:innen insgesamt" | "Einwohner:innen" | "Bevölkerung"
    )
}

/// One region's series over the years of a [`Check`], with the population each rate refers to
/// where the indicator is a rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Value per year (`None` where nothing was published).
    pub values: Vec<Option<f64>>,
    /// Base population per year, for the noise of rates (`None` where unknown).
    pub bases: Vec<Option<f64>>,
}

/// Which way an unusual change departs from what was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Higher than expected: rose more, or fell less.
    Rising,
    /// Lower than expected: fell more, or rose less.
    Falling,
}

/// A change that departs from its own history or from the other regions by more than noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flag {
    /// Index of the region in the series given.
    pub region: usize,
    /// Index of the year the change led to.
    pub year: usize,
    /// The change from the year before.
    pub change: f64,
    /// Robust z-score against the region's own changes in other years.
    pub own: Option<f64>,
    /// Robust z-score against the other regions' changes that year.
    pub peers: Option<f64>,
    /// Which way the change departs from what was expected.
    pub direction: Direction,
}

impl Flag {
    /// The German words the generated sentences use: what the value did, measured against what
    /// was expected of it.
    pub fn words(&self) -> &'static str {
        match self.direction {
            Direction::Rising if self.change > 0.0 => "auffällig gestiegen",
            Direction::Rising => "weniger gesunken als üblich",
            Direction::Falling if self.change < 0.0 => "auffällig gesunken",
            Direction::Falling => "weniger gestiegen als üblich",
        }
    }
}

/// Settings of the check for unusual changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check {
    /// For rates: the unit's scale (100 for per cent, 1,000 for per thousand); `None` for
    /// indicators that are not rates on a population, which get no sampling noise.
    pub scale: Option<f64>,
    /// Robust z beyond which a change is unusual (3.5, as Iglewicz and Hoaglin recommend).
    pub threshold: f64,
    /// Fewest other changes a comparison needs (own history or other regions).
    pub min_comparisons: usize,
    /// Compare changes in per cent of the earlier value, as for counts, whose absolute changes
    /// grow with the size of the region.
    pub relative: bool,
}

impl Default for Check {
    fn default() -> Self {
        Check {
            scale: None,
            threshold: 3.5,
            min_comparisons: 4,
            relative: false,
        }
    }
}

impl Check {
    /// Every unusual change in the series (their values for `years`), by region and then year.
    /// Changes are per year, so a gap between two published years does not look like a jump.
    pub fn flags(&self, years: &[i32], series: &[Series]) -> Vec<Flag> {
        let changes: Vec<Vec<Option<(f64, f64)>>> =
            series.iter().map(|s| self.changes(years, s)).collect();
        let years = changes.iter().map(Vec::len).max().unwrap_or(0);
        let by_year: Vec<Vec<(usize, f64)>> = (0..years)
            .map(|y| {
                changes
                    .iter()
                    .enumerate()
                    .filter_map(|(r, c)| c.get(y).copied().flatten().map(|(d, _)| (r, d)))
                    .collect()
            })
            .collect();
        let mut flags = Vec::new();
        for (region, own) in changes.iter().enumerate() {
            for (year, change) in own.iter().enumerate() {
                let Some((change, noise)) = *change else {
                    continue;
                };
                let history: Vec<f64> = own
                    .iter()
                    .enumerate()
                    .filter(|(y, _)| *y != year)
                    .filter_map(|(_, c)| c.map(|c| c.0))
                    .collect();
                let others: Vec<f64> = by_year[year]
                    .iter()
                    .filter(|(r, _)| *r != region)
                    .map(|(_, d)| *d)
                    .collect();
                let own_z = self.robust_z(change, noise, &history);
                let peers_z = self.robust_z(change, noise, &others);
                let worst = own_z
                    .into_iter()
                    .chain(peers_z)
                    .fold(0.0f64, |w, z| if z.abs() > w.abs() { z } else { w });
                if worst.abs() > self.threshold {
                    let direction = if worst > 0.0 {
                        Direction::Rising
                    } else {
                        Direction::Falling
                    };
                    flags.push(Flag {
                        region,
                        year,
                        change,
                        own: own_z,
                        peers: peers_z,
                        direction,
                    });
                }
            }
        }
        flags
    }

    /// Change per year from the value before and its sampling noise (`None` for the first year
    /// and where either value is missing).
    fn changes(&self, years: &[i32], series: &Series) -> Vec<Option<(f64, f64)>> {
        let noise = |y: usize, v: f64| match (self.scale, series.bases.get(y).copied().flatten()) {
            (Some(scale), Some(base)) => rate_noise(v, base, scale),
            _ => 0.0,
        };
        (0..series.values.len())
            .map(|y| {
                let (Some(now), Some(before)) = (
                    series.values[y],
                    y.checked_sub(1).and_then(|p| series.values[p]),
                ) else {
                    return None;
                };
                let gap = match (years.get(y), years.get(y - 1)) {
                    (Some(a), Some(b)) if a > b => f64::from(a - b),
                    _ => 1.0,
                };
                let (mut change, mut sd) = (
                    (now - before) / gap,
                    noise(y, now).hypot(noise(y - 1, before)) / gap,
                );
                if self.relative {
                    if before == 0.0 {
                        return None;
                    }
                    (change, sd) = (change / before.abs() * 100.0, sd / before.abs() * 100.0);
                }
                // Rounded to nine decimals: published values have a few, and the binary
                // rounding of a difference must not look like a real (if tiny) spread.
                Some(((change * 1e9).round() / 1e9, sd))
            })
            .collect()
    }

    /// Robust z of a change against others, with the change's own noise added to their spread.
    fn robust_z(&self, change: f64, noise: f64, others: &[f64]) -> Option<f64> {
        if others.len() < self.min_comparisons {
            return None;
        }
        let centre = median(others)?;
        let mut spread = robust_sd(others)?;
        if spread == 0.0 {
            // More than half the changes are equal: the scaled mean absolute deviation
            // (Iglewicz & Hoaglin's fallback) still measures the spread of the rest.
            spread = 1.2533 * others.iter().map(|o| (o - centre).abs()).sum::<f64>()
                / others.len() as f64;
        }
        let spread = spread.hypot(noise);
        (spread > 0.0).then(|| (change - centre) / spread)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f64], base: Option<f64>) -> Series {
        Series {
            values: values.iter().map(|&v| Some(v)).collect(),
            bases: vec![base; values.len()],
        }
    }

    #[test]
    fn units_of_the_catalogue_give_their_scale() {
        assert_eq!(rate_scale("%"), Some(100.0));
        assert_eq!(rate_scale("Prozent"), Some(100.0));
        assert_eq!(rate_scale("‰"), Some(1000.0));
        assert_eq!(rate_scale("je 1.000 Einwohner:innen"), Some(1000.0));
        assert_eq!(
            rate_scale("je 10.000 Einwohner:innen ab 65"),
            Some(10_000.0)
        );
        assert_eq!(
            rate_scale("je 100 Personen im Alter von 20 bis unter 65"),
            Some(100.0)
        );
        assert_eq!(rate_scale("Personen"), None);
        assert_eq!(rate_scale("je Einwohner"), None);
    }

    #[test]
    fn a_trend_on_a_straight_line_is_exact_and_clear() {
        let points: Vec<(f64, f64)> = (0..5)
            .map(|i| (2015.0 + f64::from(i), 3.0 + 2.0 * f64::from(i)))
            .collect();
        let trend = Trend::fit(&points).expect("trend");
        assert!((trend.slope - 2.0).abs() < 1e-9 && (trend.upper - trend.lower).abs() < 1e-9);
        assert!(trend.is_clear());
        let flat = Trend::fit(&[(1.0, 1.0), (2.0, 3.0), (3.0, 1.0), (4.0, 3.0)]).expect("trend");
        assert!(!flat.is_clear());
        assert_eq!(Trend::fit(&[(1.0, 1.0), (2.0, 2.0)]), None);
    }

    #[test]
    fn a_jump_against_history_and_peers_is_flagged() {
        let steady = [10.0, 10.2, 10.1, 10.4, 10.3, 10.5, 10.4];
        let mut all: Vec<Series> = (0..8)
            .map(|i| series(&steady.map(|v| v + f64::from(i) * 0.1), None))
            .collect();
        all.push(series(&[10.0, 10.2, 10.1, 10.4, 14.0, 14.1, 14.2], None));
        let years: Vec<i32> = (2015..2022).collect();
        let flags = Check::default().flags(&years, &all);
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!((flags[0].region, flags[0].year), (8, 4));
        assert_eq!(flags[0].direction, Direction::Rising);
        assert_eq!(flags[0].words(), "auffällig gestiegen");
        // Two years between the values: the same jump per year is half as large.
        let gapped: Vec<i32> = years
            .iter()
            .enumerate()
            .map(|(i, y)| if i >= 4 { y + 1 } else { *y })
            .collect();
        let flags = Check::default().flags(&gapped, &all);
        let jump = flags.iter().find(|f| f.region == 8).expect("the jump");
        assert!((jump.change - 1.8).abs() < 1e-9, "{flags:?}");
    }

    #[test]
    fn the_same_jump_in_a_small_population_is_noise() {
        // A rate per 1,000 moving from 10 to 14 is 1.2 people more in a village of 300 but
        // 400 more in a town of 100,000.
        let steady = [10.0, 10.2, 10.1, 10.4, 10.3, 10.5, 10.4];
        let jump = [10.0, 10.2, 10.1, 10.4, 14.0, 14.1, 14.2];
        let check = Check {
            scale: Some(1000.0),
            ..Check::default()
        };
        let peers = |base: f64| -> Vec<Series> {
            let mut all: Vec<Series> = (0..8)
                .map(|i| series(&steady.map(|v| v + f64::from(i) * 0.1), Some(base)))
                .collect();
            all.push(series(&jump, Some(base)));
            all
        };
        let years: Vec<i32> = (2015..2022).collect();
        assert_eq!(check.flags(&years, &peers(100_000.0)).len(), 1);
        assert!(check.flags(&years, &peers(300.0)).is_empty());
        let falling = Flag {
            region: 0,
            year: 1,
            change: 0.5,
            own: Some(-4.0),
            peers: None,
            direction: Direction::Falling,
        };
        assert_eq!(falling.words(), "weniger gestiegen als üblich");
        assert!((rate_noise(10.0, 1000.0, 1000.0) - 10f64.sqrt()).abs() < 1e-12);
    }
}
