//! Cohort-component population projection by sex and single year of age (0 to 89 and an open
//! group of 90 and over), one calendar year at a time.
//!
//! Each year every cohort ages by one year and loses its deaths (survival probabilities by sex
//! and age); the women at the start of the year give the year's births (fertility by mother's
//! age), of whom the infants surviving to the year's end form age 0; net migration by sex and
//! age is added last. Every step is kept, so the accounting identity
//! `population next year = population + births − deaths + net migration` can be checked cohort
//! by cohort (net migration never takes more people than a cohort has; what it could take is
//! what is recorded).

/// Number of age groups: single years 0..=89 and the open group 90+.
pub const AGES: usize = 91;

/// Index of the open age group (90 and over).
pub const OPEN: usize = AGES - 1;

/// Index of males in the per-sex arrays.
pub const MALE: usize = 0;

/// Index of females in the per-sex arrays.
pub const FEMALE: usize = 1;

/// People by sex (`[MALE, FEMALE]`) and age (`0..AGES`).
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// `by_sex[sex][age]`.
    pub by_sex: [Vec<f64>; 2],
}

impl Population {
    /// A population of nobody.
    pub fn empty() -> Population {
        Population {
            by_sex: [vec![0.0; AGES], vec![0.0; AGES]],
        }
    }

    /// Everybody.
    pub fn total(&self) -> f64 {
        self.by_sex.iter().flatten().sum()
    }

    /// People aged `from` and over (both sexes), e.g. 65, 75 or 80 for the senior planning.
    pub fn aged_at_least(&self, from: usize) -> f64 {
        self.by_sex
            .iter()
            .map(|s| s.iter().skip(from).sum::<f64>())
            .sum()
    }

    /// People aged `from` up to but not including `to` (both sexes).
    pub fn aged(&self, from: usize, to: usize) -> f64 {
        self.by_sex
            .iter()
            .map(|s| s.iter().take(to).skip(from).sum::<f64>())
            .sum()
    }
}

/// What the projection assumes for every year.
#[derive(Debug, Clone, PartialEq)]
pub struct Assumptions {
    /// `survival[sex][age]`: probability of living through the year from that age; for the
    /// open group, of staying alive in it.
    pub survival: [Vec<f64>; 2],
    /// Probability that a child born in the year lives to its end, by sex.
    pub infant_survival: [f64; 2],
    /// Births per year per woman of each age at the start of the year.
    pub fertility: Vec<f64>,
    /// Share of boys among the births (about 0.514 in Germany).
    pub boys: f64,
    /// `migration[sex][age]`: net migration per year (arrivals minus departures), by age at
    /// the end of the year.
    pub migration: [Vec<f64>; 2],
}

/// A variant of the projection: net migration as assumed, or half its size more or less.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variant {
    /// Net migration half its size lower at every age (more leave, fewer arrive).
    LowMigration,
    /// The assumptions as derived.
    Main,
    /// Net migration half its size higher at every age.
    HighMigration,
}

impl Variant {
    /// All variants, low to high.
    pub const ALL: [Variant; 3] = [Variant::LowMigration, Variant::Main, Variant::HighMigration];

    /// The net migration of this variant for an assumed net migration `m`: `m ∓ |m|/2`, so the
    /// high variant is never below the main one, whatever the sign.
    pub fn migration(self, m: f64) -> f64 {
        match self {
            Variant::LowMigration => m - m.abs() / 2.0,
            Variant::Main => m,
            Variant::HighMigration => m + m.abs() / 2.0,
        }
    }

    /// German name shown with the band.
    pub fn label(self) -> &'static str {
        match self {
            Variant::LowMigration => "niedrige Wanderung",
            Variant::Main => "Hauptvariante",
            Variant::HighMigration => "hohe Wanderung",
        }
    }
}

/// One projected year with the components that led to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Year {
    /// The year whose end (31.12.) the population describes.
    pub year: i32,
    /// Population at the end of the year.
    pub population: Population,
    /// Births in the year by sex.
    pub births: [f64; 2],
    /// Deaths in the year by sex and age at the start of the year.
    pub deaths: [Vec<f64>; 2],
    /// Deaths of children born in the year, by sex.
    pub infant_deaths: [f64; 2],
    /// Net migration applied, by sex and age at the end of the year.
    pub migration: [Vec<f64>; 2],
}

/// Projects `base` (the population at the end of `base_year`) year by year to the end of
/// `last_year` under the assumptions and variant. The result holds one entry per projected
/// year, `base_year + 1` first.
pub fn project(
    base: &Population,
    base_year: i32,
    last_year: i32,
    assumptions: &Assumptions,
    variant: Variant,
) -> Vec<Year> {
    let mut years = Vec::new();
    project_each(base, base_year, last_year, assumptions, variant, |y| {
        years.push(y.clone())
    });
    years
}

/// Like [`project`], but hands each projected year to `visit` instead of keeping it, reusing
/// the same buffers every year: for projecting thousands of municipalities, where the caller
/// keeps only what it shows (age groups, 65+, 80+).
pub fn project_each(
    base: &Population,
    base_year: i32,
    last_year: i32,
    assumptions: &Assumptions,
    variant: Variant,
    mut visit: impl FnMut(&Year),
) {
    let rates = Rates::of(assumptions, variant);
    let mut start = base.clone();
    let mut year = Year {
        year: base_year,
        population: Population::empty(),
        births: [0.0; 2],
        deaths: [vec![0.0; AGES], vec![0.0; AGES]],
        infant_deaths: [0.0; 2],
        migration: [vec![0.0; AGES], vec![0.0; AGES]],
    };
    for y in base_year + 1..=last_year {
        year.year = y;
        step(&start, &mut year, &rates);
        visit(&year);
        std::mem::swap(&mut start, &mut year.population);
    }
}

/// The assumptions made ready for the yearly steps: probabilities clamped to 0..1 and the
/// variant's migration applied, once rather than every year.
struct Rates<'a> {
    survival: [Vec<f64>; 2],
    infant_survival: [f64; 2],
    fertility: &'a [f64],
    boys: f64,
    migration: [Vec<f64>; 2],
}

impl<'a> Rates<'a> {
    fn of(a: &'a Assumptions, variant: Variant) -> Rates<'a> {
        let clamp = |v: &Vec<f64>| -> Vec<f64> {
            (0..AGES)
                .map(|i| v.get(i).copied().unwrap_or(0.0).clamp(0.0, 1.0))
                .collect()
        };
        let migrate = |v: &Vec<f64>| -> Vec<f64> {
            (0..AGES)
                .map(|i| variant.migration(v.get(i).copied().unwrap_or(0.0)))
                .collect()
        };
        Rates {
            survival: [clamp(&a.survival[MALE]), clamp(&a.survival[FEMALE])],
            infant_survival: a.infant_survival.map(|s| s.clamp(0.0, 1.0)),
            fertility: &a.fertility,
            boys: a.boys,
            migration: [migrate(&a.migration[MALE]), migrate(&a.migration[FEMALE])],
        }
    }
}

/// One year of the cohort-component method, written over every value of `out`. The loops run
/// over whole slices (no per-age branches), so the compiler can vectorise them.
fn step(start: &Population, out: &mut Year, r: &Rates) {
    let all_births = dot(&start.by_sex[FEMALE], r.fertility);
    out.births = [all_births * r.boys, all_births * (1.0 - r.boys)];
    for sex in [MALE, FEMALE] {
        let (people, survival) = (&start.by_sex[sex][..AGES], &r.survival[sex][..AGES]);
        let next = &mut out.population.by_sex[sex][..AGES];
        let deaths = &mut out.deaths[sex][..AGES];
        let cohorts = next[1..]
            .iter_mut()
            .zip(deaths.iter_mut())
            .zip(people)
            .zip(survival);
        for (((n, d), p), s) in cohorts {
            let survivors = p * s;
            *d = p - survivors;
            *n = survivors;
        }
        // The open group keeps its own survivors besides those who reach 90.
        let stay = people[OPEN] * survival[OPEN];
        deaths[OPEN] = people[OPEN] - stay;
        next[OPEN] += stay;
        next[0] = out.births[sex] * r.infant_survival[sex];
        out.infant_deaths[sex] = out.births[sex] - next[0];
        // Net migration cannot take more people than the cohort has.
        for ((n, applied), m) in next
            .iter_mut()
            .zip(out.migration[sex][..AGES].iter_mut())
            .zip(&r.migration[sex][..AGES])
        {
            *applied = m.max(-*n);
            *n += *applied;
        }
    }
}

/// Σ a·b in four interleaved partial sums, which the compiler can keep in vector registers (a
/// single running sum must wait for each addition in turn).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut partial = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            partial[k] += x[k] * y[k];
        }
    }
    partial.iter().sum::<f64>() + tail
}

/// Number of five-year age groups (0–4, …, 85–89, 90+).
pub const GROUPS: usize = 19;

/// The population in five-year age groups by sex, as tables and charts show it.
pub fn five_year_groups(p: &Population) -> [[f64; GROUPS]; 2] {
    let mut groups = [[0.0; GROUPS]; 2];
    for sex in [MALE, FEMALE] {
        // Ages 0..=89 in eighteen groups of five, then the open group alone.
        for (group, ages) in groups[sex].iter_mut().zip(p.by_sex[sex].chunks(5)) {
            *group = ages.iter().sum();
        }
    }
    groups
}

/// A municipal rate borrowed in part from its Kreis (or Land): `(count + k·parent) /
/// (exposure + k)`. With many people of its own a municipality keeps its own rate; with few,
/// the rate moves towards the parent's, as `strength` (people's worth of the parent's rate)
/// says. This keeps a village with two births from being given a fertility of nought or double.
pub fn borrowed_rate(count: f64, exposure: f64, parent_rate: f64, strength: f64) -> f64 {
    if exposure + strength <= 0.0 {
        return parent_rate;
    }
    (count + strength * parent_rate) / (exposure + strength)
}

/// Spreads counts published for age groups (`from`, `to` exclusive, count; `to` beyond the
/// last single year means the open end) over single years in proportion to a reference
/// population known by single years (the Kreis for its municipalities); evenly where the
/// reference has nobody in the group.
pub fn split_groups(groups: &[(usize, usize, f64)], reference: &[f64]) -> Vec<f64> {
    let mut single = vec![0.0; AGES];
    for &(from, to, count) in groups {
        let ages: Vec<usize> = (from..to.min(AGES)).collect();
        if ages.is_empty() {
            continue;
        }
        let weight: f64 = ages
            .iter()
            .map(|&a| reference.get(a).copied().unwrap_or(0.0))
            .sum();
        for &a in &ages {
            let share = if weight > 0.0 {
                reference.get(a).copied().unwrap_or(0.0) / weight
            } else {
                1.0 / ages.len() as f64
            };
            single[a] += count * share;
        }
    }
    single
}

/// Survival by age from a Gompertz mortality curve `m(a) = α·e^{β·a}` whose level `α` is set
/// so that the population by age would have the published number of deaths in a year.
///
/// Official statistics publish deaths per Kreis by sex but not by age; the Gompertz law (the
/// risk of dying rises by the same factor every year of age, `e^β`, about 9 % a year in Germany)
/// gives the shape and the Kreis's own deaths give the level.
pub fn gompertz_survival(deaths: f64, population: &[f64], slope: f64) -> Vec<f64> {
    let expected = |alpha: f64| -> f64 {
        population
            .iter()
            .enumerate()
            .map(|(a, p)| p * (1.0 - (-alpha * (slope * a as f64).exp()).exp()))
            .sum()
    };
    let people: f64 = population.iter().sum();
    let target = deaths.clamp(0.0, people);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while expected(hi) < target && hi < 1e6 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if expected(mid) < target {
            lo = mid
        } else {
            hi = mid
        }
    }
    let alpha = (lo + hi) / 2.0;
    (0..AGES)
        .map(|a| (-alpha * (slope * a as f64).exp()).exp())
        .collect()
}

/// Births per woman by age, shaped as a normal curve around `mean_age` with spread `sd` over
/// the ages 15 to 49 and scaled so that the women by age would have `births` children in a year
/// (births by mother's age are not published per Kreis; their total is).
pub fn fertility_schedule(births: f64, women: &[f64], mean_age: f64, sd: f64) -> Vec<f64> {
    let shape: Vec<f64> = (0..AGES)
        .map(|a| {
            if (15..50).contains(&a) {
                (-(a as f64 - mean_age).powi(2) / (2.0 * sd * sd)).exp()
            } else {
                0.0
            }
        })
        .collect();
    let implied: f64 = shape.iter().zip(women).map(|(s, w)| s * w).sum();
    let scale = if implied > 0.0 { births / implied } else { 0.0 };
    shape.iter().map(|s| s * scale).collect()
}

/// How far projected values lie from the values published later.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Error {
    /// Mean of the signed percentage errors (positive: projected too many).
    pub mean_percentage: f64,
    /// Mean of the absolute percentage errors.
    pub mean_absolute_percentage: f64,
    /// Number of comparisons.
    pub count: usize,
}

impl Error {
    /// Errors of `(projected, published)` pairs; pairs with nothing published are skipped.
    pub fn of(pairs: &[(f64, f64)]) -> Option<Error> {
        let errors: Vec<f64> = pairs
            .iter()
            .filter(|(_, published)| *published > 0.0)
            .map(|(p, o)| (p - o) / o * 100.0)
            .collect();
        let n = errors.len();
        (n > 0).then(|| Error {
            mean_percentage: errors.iter().sum::<f64>() / n as f64,
            mean_absolute_percentage: errors.iter().map(|e| e.abs()).sum::<f64>() / n as f64,
            count: n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assumptions() -> Assumptions {
        let survival: Vec<f64> = (0..AGES)
            .map(|a| 1.0 - 0.0005 * (0.09 * a as f64).exp())
            .collect();
        let fertility: Vec<f64> = (0..AGES)
            .map(|a| {
                if (15..50).contains(&a) {
                    0.045 * (-(a as f64 - 31.0).powi(2) / 60.0).exp()
                } else {
                    0.0
                }
            })
            .collect();
        let migration: Vec<f64> = (0..AGES)
            .map(|a| if (18..25).contains(&a) { -40.0 } else { 3.0 })
            .collect();
        Assumptions {
            survival: [survival.clone(), survival],
            infant_survival: [0.997, 0.9975],
            fertility,
            boys: 0.514,
            migration: [migration.clone(), migration],
        }
    }

    fn base() -> Population {
        let people: Vec<f64> = (0..AGES)
            .map(|a| {
                if a == OPEN {
                    300.0
                } else {
                    1000.0 - 5.0 * a as f64
                }
            })
            .collect();
        Population {
            by_sex: [people.clone(), people.iter().map(|p| p * 1.05).collect()],
        }
    }

    #[test]
    fn every_cohort_keeps_the_accounting_identity() {
        let years = project(&base(), 2023, 2040, &assumptions(), Variant::Main);
        assert_eq!(years.len(), 17);
        let mut before = base();
        for y in &years {
            for sex in [MALE, FEMALE] {
                let (p, n) = (&before.by_sex[sex], &y.population.by_sex[sex]);
                let newborn = y.births[sex] - y.infant_deaths[sex] + y.migration[sex][0];
                assert!((n[0] - newborn).abs() < 1e-9, "{} age 0", y.year);
                for age in 1..OPEN {
                    let expected = p[age - 1] - y.deaths[sex][age - 1] + y.migration[sex][age];
                    assert!((n[age] - expected).abs() < 1e-9, "{} age {age}", y.year);
                }
                let open = p[OPEN - 1] + p[OPEN] - y.deaths[sex][OPEN - 1] - y.deaths[sex][OPEN]
                    + y.migration[sex][OPEN];
                assert!((n[OPEN] - open).abs() < 1e-9);
            }
            let all_deaths: f64 =
                y.deaths.iter().flatten().sum::<f64>() + y.infant_deaths.iter().sum::<f64>();
            let total = before.total() + y.births.iter().sum::<f64>() - all_deaths
                + y.migration.iter().flatten().sum::<f64>();
            assert!((y.population.total() - total).abs() < 1e-6);
            before = y.population.clone();
        }
    }

    #[test]
    fn migration_never_takes_more_than_a_cohort_has() {
        let mut a = assumptions();
        a.migration[MALE][20] = -1e9;
        let years = project(&base(), 2023, 2025, &a, Variant::HighMigration);
        assert!(years.iter().all(|y| y.population.by_sex[MALE][20] == 0.0));
        assert!(
            years
                .iter()
                .all(|y| y.population.by_sex.iter().flatten().all(|p| *p >= 0.0))
        );
    }

    #[test]
    fn the_variants_make_a_band_around_the_main_one() {
        let totals: Vec<f64> = Variant::ALL
            .iter()
            .map(|&v| {
                project(&base(), 2023, 2040, &assumptions(), v)
                    .last()
                    .expect("2040")
                    .population
                    .total()
            })
            .collect();
        assert!(totals[0] < totals[1] && totals[1] < totals[2], "{totals:?}");
        assert_eq!(Variant::LowMigration.migration(-10.0), -15.0);
        assert_eq!(Variant::HighMigration.migration(-10.0), -5.0);
    }

    #[test]
    fn a_population_without_migration_or_births_only_ages_and_dies() {
        let mut a = assumptions();
        a.fertility = vec![0.0; AGES];
        a.migration = [vec![0.0; AGES], vec![0.0; AGES]];
        a.survival = [vec![1.0; AGES], vec![1.0; AGES]];
        let years = project(&base(), 2023, 2024, &a, Variant::Main);
        let next = &years[0].population;
        assert_eq!(next.by_sex[MALE][0], 0.0);
        assert_eq!(next.by_sex[MALE][1], base().by_sex[MALE][0]);
        assert!((next.total() - base().total()).abs() < 1e-9);
        assert_eq!(
            next.aged_at_least(OPEN),
            base()
                .by_sex
                .iter()
                .map(|s| s[OPEN - 1] + s[OPEN])
                .sum::<f64>()
        );
    }

    #[test]
    fn groups_are_spread_like_the_reference_and_keep_their_sum() {
        let reference: Vec<f64> = (0..AGES).map(|a| 100.0 + a as f64).collect();
        let single = split_groups(&[(0, 3, 30.0), (3, 6, 0.0), (75, 200, 160.0)], &reference);
        assert!((single[0] - 30.0 * 100.0 / 303.0).abs() < 1e-12);
        assert!((single.iter().sum::<f64>() - 190.0).abs() < 1e-9);
        assert_eq!(split_groups(&[(0, 2, 10.0)], &[0.0; AGES])[1], 5.0);
    }

    #[test]
    fn the_gompertz_level_reproduces_the_published_deaths() {
        let population: Vec<f64> = (0..AGES).map(|a| 1000.0 - 8.0 * a as f64).collect();
        let survival = gompertz_survival(250.0, &population, 0.09);
        let deaths: f64 = population
            .iter()
            .zip(&survival)
            .map(|(p, s)| p * (1.0 - s))
            .sum();
        assert!((deaths - 250.0).abs() < 1e-6, "{deaths}");
        assert!(survival.windows(2).all(|w| w[0] >= w[1]));
        let births = 300.0;
        let women: Vec<f64> = vec![500.0; AGES];
        let fertility = fertility_schedule(births, &women, 30.0, 5.5);
        let implied: f64 = fertility.iter().zip(&women).map(|(f, w)| f * w).sum();
        assert!((implied - births).abs() < 1e-9);
        assert_eq!((fertility[14], fertility[50]), (0.0, 0.0));
        assert!(fertility[30] > fertility[20] && fertility[30] > fertility[40]);
    }

    #[test]
    fn projecting_each_year_gives_the_kept_years_and_their_groups() {
        let kept = project(&base(), 2023, 2030, &assumptions(), Variant::HighMigration);
        let mut seen = Vec::new();
        project_each(
            &base(),
            2023,
            2030,
            &assumptions(),
            Variant::HighMigration,
            |y| seen.push(y.clone()),
        );
        assert_eq!(kept, seen);
        let groups = five_year_groups(&kept[0].population);
        assert!((groups.iter().flatten().sum::<f64>() - kept[0].population.total()).abs() < 1e-6);
        assert_eq!(
            groups[MALE][GROUPS - 1],
            kept[0].population.by_sex[MALE][OPEN]
        );
    }

    #[test]
    fn small_numbers_borrow_from_the_parent_rate() {
        assert!((borrowed_rate(2.0, 40.0, 0.05, 0.0) - 0.05).abs() < 1e-12);
        assert!((borrowed_rate(0.0, 10.0, 0.05, 1000.0) - 0.05 * 1000.0 / 1010.0).abs() < 1e-12);
        assert!((borrowed_rate(600.0, 10_000.0, 0.05, 100.0) - 0.0599).abs() < 1e-3);
        let e = Error::of(&[(110.0, 100.0), (90.0, 100.0), (1.0, 0.0)]).expect("error");
        assert_eq!(
            (e.mean_percentage, e.mean_absolute_percentage, e.count),
            (0.0, 10.0, 2)
        );
    }
}
