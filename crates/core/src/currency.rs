//! Data currency: when publishers release the figures an indicator reads, and how far the
//! figures we hold lag behind. Publication dates are catalogue data (`[[release]]`), not code.

use serde::{Deserialize, Serialize};

use crate::RegionLevel;
use crate::formula::Expr;

/// A regular publication: who releases which measures, how long after the end of a reference
/// year, and which file brings them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// Stable key (`genesis_12411`).
    pub key: String,
    /// What is published, in German (`Fortschreibung des Bevölkerungsstandes`).
    pub title: String,
    /// Who publishes it (`Statistische Ämter des Bundes und der Länder`).
    pub publisher: String,
    /// Months from the end of a reference year until its figures are out; negative when they
    /// come out within the year (the day-care count of 1 March, out in October: `-3`).
    pub lag_months: i16,
    /// Years between two releases (2 for a biennial statistic); the years released are those
    /// of the newest release.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub every_years: u16,
    /// A reference year released (`2023`): with `every_years` > 1, which years are released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor_year: Option<i32>,
    /// What to import to catch up, in German (table, where to get it).
    pub import: String,
    /// Measures it publishes: a code prefix ending in `-`, `:` or `_` (`12411-`, `INKAR_`) or a
    /// whole code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<String>,
    /// Whether it is the source of the indicators' published equivalents (INKAR).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub equivalents: bool,
    /// Region levels it publishes (`kreis`); empty for every level.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<String>,
    /// Key prefixes of the regions it publishes (`15` for a Land's office); empty for all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
}

fn one() -> u16 {
    1
}

fn is_one(n: &u16) -> bool {
    *n == 1
}

/// A month of a year, as "today" for currency (`(2026, 12)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    /// The year.
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
}

impl std::str::FromStr for Month {
    type Err = String;

    /// `YYYY-MM`, e.g. `2026-12`.
    fn from_str(s: &str) -> Result<Month, String> {
        let parsed = s
            .split_once('-')
            .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u8>().ok()?)));
        match parsed {
            Some((year, month)) if (1950..=2100).contains(&year) && (1..=12).contains(&month) => {
                Ok(Month { year, month })
            }
            _ => Err(format!("`{s}`: expected a month as YYYY-MM, e.g. 2026-12")),
        }
    }
}

impl Release {
    /// Whether it publishes a measure an indicator reads, or the indicator's equivalent.
    pub fn concerns(&self, measures: &[String], has_equivalent: bool) -> bool {
        (self.equivalents && has_equivalent)
            || measures.iter().any(|m| {
                self.measures
                    .iter()
                    .any(|p| m == p || (p.ends_with(['-', ':', '_']) && m.starts_with(p.as_str())))
            })
    }

    /// Whether it gives values for regions of this level: its own levels and, since counts
    /// are summed up the hierarchy, the levels above them.
    pub fn covers(&self, level: RegionLevel) -> bool {
        self.levels.is_empty()
            || self
                .levels
                .iter()
                .any(|l| RegionLevel::from_code(l).is_some_and(|own| own >= level))
    }

    /// Whether it publishes figures of the region with this key (or of some region, without one).
    pub fn serves(&self, region: Option<&str>) -> bool {
        region.is_none_or(|k| {
            self.regions.is_empty() || self.regions.iter().any(|p| k.starts_with(p.as_str()))
        })
    }

    /// The latest reference year released by `today`: the figures of year Y are out from the
    /// first day of the month `lag_months` after the end of Y; a release every n years brings
    /// the years of its cycle only.
    pub fn latest_year(&self, today: Month) -> i32 {
        let months = today.year * 12 + i32::from(today.month) - 1 - i32::from(self.lag_months);
        let year = months.div_euclid(12) - 1;
        match (self.every_years, self.anchor_year) {
            (n, Some(anchor)) if n > 1 => year - (year - anchor).rem_euclid(i32::from(n)),
            _ => year,
        }
    }
}

/// How current one indicator is at one level.
#[derive(Debug, Clone, PartialEq)]
pub struct Currency<'a> {
    /// The level.
    pub level: RegionLevel,
    /// The latest year with a value at this level, if any.
    pub held: Option<u16>,
    /// The latest year its inputs' publications have released, and the publications that
    /// decide it (those to import to catch up).
    pub released: Option<(i32, Vec<&'a Release>)>,
}

impl Currency<'_> {
    /// Years behind the publishers (0 when current; `None` when no release is known).
    pub fn behind(&self) -> Option<i32> {
        let (released, _) = self.released.as_ref()?;
        Some((released - self.held.map_or(0, i32::from)).max(0))
    }

    /// The state in German words, for tables.
    pub fn words(&self) -> String {
        match (self.held, self.behind()) {
            (_, None) => "Veröffentlichungstermin nicht im Katalog".into(),
            (Some(_), Some(0)) => "aktuell".into(),
            (None, Some(_)) => "keine Werte".into(),
            (_, Some(1)) => "1 Jahr zurück".into(),
            (_, Some(n)) => format!("{n} Jahre zurück"),
        }
    }
}

/// What the publications say about a formula's year: nothing to wait for (a constant), not
/// known (an input no `[[release]]` covers), or a year and the publications that decide it.
#[derive(Debug, Clone)]
enum Rel<'a> {
    Constant,
    Unknown,
    Known(i32, Vec<&'a Release>),
}

/// Two inputs combined. Both needed (`all`): the slower year, and every publication of both,
/// since each input has to be imported up to that year; an unknown input makes the whole
/// unknown. Either will do: the faster alternative's publications, on a tie those of both.
fn pick<'a>(a: Rel<'a>, b: Rel<'a>, all: bool) -> Rel<'a> {
    use Rel::{Constant, Known, Unknown};
    match (a, b) {
        (Constant, x) | (x, Constant) => x,
        (Unknown, _) | (_, Unknown) if all => Unknown,
        (Unknown, x) | (x, Unknown) => x,
        (Known(ya, mut ra), Known(yb, rb)) if all || ya == yb => {
            for r in rb {
                if !ra.iter().any(|x| x.key == r.key) {
                    ra.push(r);
                }
            }
            Known(ya.min(yb), ra)
        }
        (Known(ya, ra), Known(yb, rb)) => {
            if ya > yb {
                Known(ya, ra)
            } else {
                Known(yb, rb)
            }
        }
    }
}

/// The latest year the publications of a formula's inputs have released at a level: a ratio
/// needs every input, so the slowest decides (and every input's publication is named); a
/// `coalesce` needs one alternative, so the fastest decides; of several publications of one
/// measure the fastest. An input no publication covers makes a ratio unknown.
fn released<'a>(expr: &Expr, releases: &'a [Release], level: RegionLevel, today: Month) -> Rel<'a> {
    let rec = |e: &Expr| released(e, releases, level, today);
    match expr {
        Expr::Num(_) => Rel::Constant,
        Expr::Ref(r) => releases
            .iter()
            .filter(|x| x.covers(level) && x.concerns(std::slice::from_ref(&r.measure), false))
            .map(|x| Rel::Known(x.latest_year(today), vec![x]))
            .fold(Rel::Unknown, |best, x| pick(best, x, false)),
        Expr::Neg(a) | Expr::Call(_, a, _) => rec(a),
        Expr::Bin(_, a, b) => pick(rec(a), rec(b), true),
        Expr::Coalesce(args) => args
            .iter()
            .map(rec)
            .fold(Rel::Constant, |best, x| pick(best, x, false)),
    }
}

/// How current an indicator is at a level: `held` is the latest year we have there, `formula`
/// its formula, `releases` the publications concerning it; an indicator with a published
/// equivalent is as current as the faster of its own inputs and that equivalent.
pub fn currency<'a>(
    formula: &Expr,
    releases: &'a [Release],
    has_equivalent: bool,
    level: RegionLevel,
    held: Option<u16>,
    today: Month,
) -> Currency<'a> {
    let own = released(formula, releases, level, today);
    let equivalent = releases
        .iter()
        .filter(|r| has_equivalent && r.equivalents && r.covers(level))
        .map(|r| Rel::Known(r.latest_year(today), vec![r]))
        .fold(Rel::Constant, |best, x| pick(best, x, false));
    let released = match pick(own, equivalent, false) {
        Rel::Known(y, rs) => Some((y, rs)),
        Rel::Constant | Rel::Unknown => None,
    };
    Currency {
        level,
        held,
        released,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(key: &str, lag: i16) -> Release {
        Release {
            key: key.into(),
            title: key.into(),
            publisher: "Destatis".into(),
            lag_months: lag,
            every_years: 1,
            anchor_year: None,
            import: format!("Tabelle {key}"),
            measures: vec!["12411-".into()],
            equivalents: false,
            levels: Vec::new(),
            regions: Vec::new(),
        }
    }

    const DEC_2026: Month = Month {
        year: 2026,
        month: 12,
    };

    #[test]
    fn a_year_is_released_lag_months_after_its_end() {
        let r = release("bev", 9);
        // 31.12.2025 is out from 1 October 2026.
        assert_eq!(r.latest_year(DEC_2026), 2025);
        assert_eq!(
            r.latest_year(Month {
                year: 2026,
                month: 10
            }),
            2025
        );
        assert_eq!(
            r.latest_year(Month {
                year: 2026,
                month: 9
            }),
            2024
        );
        // Figures out within their own year (a count of 1 March, out in November).
        assert_eq!(release("kita", -2).latest_year(DEC_2026), 2026);
        assert_eq!(release("inkar", 23).latest_year(DEC_2026), 2024);
    }

    #[test]
    fn a_biennial_statistic_releases_the_years_of_its_cycle() {
        // The care statistics of 15 December every other year, out eleven months later.
        let mut r = release("pflege", 11);
        r.every_years = 2;
        r.anchor_year = Some(2023);
        assert_eq!(r.latest_year(DEC_2026), 2025);
        r.anchor_year = Some(2024);
        assert_eq!(r.latest_year(DEC_2026), 2024);
    }

    #[test]
    fn the_slowest_input_decides_a_ratio_and_the_fastest_a_coalesce() {
        let count = Release {
            measures: vec!["13211-".into()],
            ..release("alo", 4)
        };
        let gemeinden = Release {
            levels: vec!["gemeinde".into()],
            ..release("bev_gemeinden", 14)
        };
        let kreise = Release {
            levels: vec!["kreis".into()],
            ..release("bev_kreise", 6)
        };
        assert!(gemeinden.covers(RegionLevel::Kreis) && !kreise.covers(RegionLevel::Gemeinde));
        let inkar = Release {
            measures: Vec::new(),
            equivalents: true,
            ..release("inkar", 24)
        };
        let all = [count, gemeinden, kreise, inkar];
        let f = crate::formula::parse("1000 * `13211-01:A` / coalesce(`12411-x:B`, `12411-y:C`)")
            .expect("formula");
        let keys = |c: &Currency| -> (i32, Vec<String>) {
            let (y, rs) = c.released.clone().expect("released");
            (y, rs.iter().map(|r| r.key.clone()).collect())
        };
        // Kreise: both inputs are out for 2025.
        let c = currency(&f, &all, false, RegionLevel::Kreis, Some(2015), DEC_2026);
        assert_eq!(keys(&c), (2025, vec!["alo".into(), "bev_kreise".into()]));
        assert_eq!(
            (c.behind(), c.words().as_str()),
            (Some(10), "10 Jahre zurück")
        );
        // Gemeinden: the population of 2025 is not out yet, so 2024 is the latest.
        let c = currency(&f, &all, false, RegionLevel::Gemeinde, Some(2024), DEC_2026);
        assert_eq!(
            keys(&c),
            (2024, vec!["alo".into(), "bev_gemeinden".into()]),
            "the count has to be imported up to that year too"
        );
        assert_eq!(c.words(), "aktuell");
        // The published equivalent does not make the indicator older.
        let c = currency(&f, &all, true, RegionLevel::Kreis, Some(2022), DEC_2026);
        assert_eq!(keys(&c).0, 2025);
        let c = currency(&f, &all, false, RegionLevel::Land, None, DEC_2026);
        assert_eq!(c.words(), "keine Werte");
        let none = currency(&f, &[], false, RegionLevel::Land, Some(2020), DEC_2026);
        assert_eq!(none.words(), "Veröffentlichungstermin nicht im Katalog");
        // An input without a publication leaves a ratio's year unknown, not the other input's.
        let g = crate::formula::parse("`13211-01:A` / UNKNOWN").expect("formula");
        let c = currency(&g, &all, false, RegionLevel::Kreis, Some(2015), DEC_2026);
        assert_eq!(c.released, None);
        assert_eq!("2026-12".parse::<Month>(), Ok(DEC_2026));
        assert!("2026-13".parse::<Month>().is_err());
        assert!(all[1].concerns(&["12411-02-03-5:Bevölkerungsstand".into()], false));
        assert!(!all[1].concerns(&["BEVSTD".into()], false));
        let st = Release {
            regions: vec!["15".into()],
            ..release("stala_st", 8)
        };
        assert!(st.serves(Some("15082")) && st.serves(None) && !st.serves(Some("14522")));
    }
}
