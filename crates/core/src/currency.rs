//! Data currency: when publishers release the figures an indicator reads, and how far the
//! figures we hold lag behind. Publication dates are catalogue data (`[[release]]`), not code.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::formula::Expr;
use crate::{IndicatorEntry, IndicatorStatus, RegionKey, RegionLevel};

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

impl Month {
    /// The month (UTC) of a Unix time; the caller reads the clock.
    pub fn from_unix(unix: i64) -> Month {
        let (year, month, _) = crate::format::civil_from_days(unix.div_euclid(86_400));
        Month {
            year: year as i32,
            month: month as u8,
        }
    }
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

/// One indicator at one level in the currency overview, owned (for pages and tables).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The indicator's key.
    pub indicator: String,
    /// Its name, in German.
    pub name: String,
    /// The level.
    pub level: RegionLevel,
    /// The latest year held at this level.
    pub held: Option<u16>,
    /// The latest year released, when the catalogue knows the publications.
    pub released: Option<i32>,
    /// Years behind (`None` when no release is known).
    pub behind: Option<i32>,
    /// The state in German words.
    pub words: String,
    /// The publications to import to catch up (keys), empty when current.
    pub from: Vec<String>,
}

/// The currency of every available indicator at its levels, and the publications to import.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    /// "Today".
    pub today: Month,
    /// A line per indicator and level, in catalogue order.
    pub lines: Vec<Line>,
    /// The publications that would bring the lines that are behind up to date, first-seen order.
    pub needed: Vec<Release>,
}

impl Line {
    /// Whether the publishers have released a year we do not hold.
    pub fn is_behind(&self) -> bool {
        self.behind.is_some_and(|n| n > 0)
    }
}

impl Overview {
    /// Lines behind their publishers.
    pub fn behind(&self) -> usize {
        self.lines.iter().filter(|l| l.is_behind()).count()
    }

    /// Lines whose publications the catalogue does not date.
    pub fn unknown(&self) -> usize {
        self.lines.iter().filter(|l| l.behind.is_none()).count()
    }

    /// Lines as current as the publishers.
    pub fn current(&self) -> usize {
        self.lines.len() - self.behind() - self.unknown()
    }
}

/// The currency overview of the available `entries`: `held` gives, per indicator key, the
/// latest year with a value per level (over `region` and the regions below it, when given).
/// Entries whose formula does not parse are left out (`catalog check` reports them).
pub fn overview(
    entries: &[IndicatorEntry],
    held: &BTreeMap<String, BTreeMap<RegionLevel, u16>>,
    region: Option<&RegionKey>,
    today: Month,
) -> Overview {
    let available: Vec<&IndicatorEntry> = entries
        .iter()
        .filter(|e| e.status == IndicatorStatus::Available)
        .collect();
    let mut all: Vec<Release> = Vec::new();
    for r in available.iter().flat_map(|e| &e.releases) {
        if !all.iter().any(|a| a.key == r.key) {
            all.push(r.clone());
        }
    }
    let empty = BTreeMap::new();
    let mut out = Overview {
        today,
        lines: Vec::new(),
        needed: Vec::new(),
    };
    for e in available {
        let Ok(formula) = crate::formula::parse(&e.formula) else {
            continue;
        };
        let releases: Vec<Release> = releases_of(e, &all)
            .into_iter()
            .filter(|r| r.serves(region.map(RegionKey::as_str)))
            .collect();
        let held = held.get(&e.key).unwrap_or(&empty);
        for level in levels_of(e, held, region.map(RegionKey::level)) {
            let c = currency(
                &formula,
                &releases,
                e.inkar_code.is_some(),
                level,
                held.get(&level).copied(),
                today,
            );
            let behind = c.behind();
            let from: Vec<&Release> = match &c.released {
                Some((_, rs)) if behind.is_some_and(|n| n > 0) => rs.clone(),
                _ => Vec::new(),
            };
            for r in &from {
                if !out.needed.iter().any(|n| n.key == r.key) {
                    out.needed.push((*r).clone());
                }
            }
            out.lines.push(Line {
                indicator: e.key.clone(),
                name: e.name.clone(),
                level,
                held: c.held,
                released: c.released.as_ref().map(|(y, _)| *y),
                behind,
                words: c.words(),
                from: from.iter().map(|r| r.key.clone()).collect(),
            });
        }
    }
    out
}

/// The latest year with a value (a number or a published symbol) per region level among
/// `cells` (region key, year, cell), over `within` and the regions below it (every region for
/// Germany or none).
pub fn latest_years<'a>(
    cells: impl IntoIterator<Item = (&'a str, u16, &'a crate::engine::Cell)>,
    within: Option<&RegionKey>,
) -> BTreeMap<RegionLevel, u16> {
    let prefix = within
        .filter(|r| r.level() != RegionLevel::Germany)
        .map(RegionKey::as_str);
    let mut out = BTreeMap::new();
    for (region, year, cell) in cells {
        if *cell == crate::engine::Cell::Missing || prefix.is_some_and(|p| !region.starts_with(p)) {
            continue;
        }
        let Ok(k) = RegionKey::parse(region) else {
            continue;
        };
        let y = out.entry(k.level()).or_insert(year);
        *y = (*y).max(year);
    }
    out
}

/// The releases concerning an entry: those the catalogue attached, else (an INKAR codebook
/// entry, imported from its own file) the catalogue's releases of the measures it reads.
fn releases_of(e: &IndicatorEntry, all: &[Release]) -> Vec<Release> {
    if !e.releases.is_empty() {
        return e.releases.clone();
    }
    let measures = crate::formula::measures(&e.formula);
    all.iter()
        .filter(|r| r.concerns(&measures, false))
        .cloned()
        .collect()
}

/// The levels to report: those the catalogue names, else those with values; with a region,
/// the levels from its own down.
fn levels_of(
    e: &IndicatorEntry,
    held: &BTreeMap<RegionLevel, u16>,
    top: Option<RegionLevel>,
) -> Vec<RegionLevel> {
    let mut levels: Vec<RegionLevel> = e
        .spatial_levels
        .iter()
        .filter_map(|l| RegionLevel::from_code(l))
        .collect();
    if levels.is_empty() {
        levels = held
            .keys()
            .copied()
            .filter(|l| *l >= RegionLevel::Land && *l != RegionLevel::Regierungsbezirk)
            .collect();
    }
    levels.retain(|l| top.is_none_or(|t| *l >= t));
    levels.sort();
    levels
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
        // 1 December 2026, 00:00 UTC.
        assert_eq!(Month::from_unix(1_796_083_200), DEC_2026);
        assert_eq!(Month::from_unix(1_796_083_199).month, 11);
        assert!("2026-13".parse::<Month>().is_err());
        assert!(all[1].concerns(&["12411-02-03-5:Bevölkerungsstand".into()], false));
        assert!(!all[1].concerns(&["BEVSTD".into()], false));
        let st = Release {
            regions: vec!["15".into()],
            ..release("stala_st", 8)
        };
        assert!(st.serves(Some("15082")) && st.serves(None) && !st.serves(Some("14522")));
    }

    #[test]
    fn the_overview_names_what_to_import_and_skips_entries_without_data() {
        let mut alo = IndicatorEntry::new("alo", "1000 * `13211-01:A` / `12411-x:B`", "je 1.000");
        alo.spatial_levels = vec!["kreis".into()];
        alo.releases = vec![
            Release {
                measures: vec!["13211-".into()],
                ..release("alo", 4)
            },
            release("bev", 6),
        ];
        // An INKAR entry without releases of its own borrows those of the measures it reads.
        let inkar = IndicatorEntry::new("bev_inkar", "`12411-y:C`", "Personen");
        let mut gap = IndicatorEntry::new("gap", "`X`", "");
        gap.status = IndicatorStatus::Missing;
        let held = BTreeMap::from([
            (
                "alo".to_string(),
                BTreeMap::from([(RegionLevel::Kreis, 2015)]),
            ),
            (
                "bev_inkar".to_string(),
                BTreeMap::from([(RegionLevel::Land, 2025), (RegionLevel::Kreis, 2025)]),
            ),
        ]);
        let entries = [alo, inkar, gap];
        let o = overview(&entries, &held, None, DEC_2026);
        let lines: Vec<(&str, RegionLevel, Option<i32>, &[String])> = o
            .lines
            .iter()
            .map(|l| (l.indicator.as_str(), l.level, l.behind, l.from.as_slice()))
            .collect();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            lines,
            [
                (
                    "alo",
                    RegionLevel::Kreis,
                    Some(10),
                    names(&["alo", "bev"]).as_slice()
                ),
                ("bev_inkar", RegionLevel::Land, Some(0), &[][..]),
                ("bev_inkar", RegionLevel::Kreis, Some(0), &[][..]),
            ]
        );
        assert_eq!((o.behind(), o.current(), o.unknown()), (1, 2, 0));
        let needed: Vec<&str> = o.needed.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(needed, ["alo", "bev"]);
        // For one Kreis only the levels from the Kreis down are shown.
        let kreis = RegionKey::parse("15082").expect("key");
        let o = overview(&entries, &held, Some(&kreis), DEC_2026);
        let levels: Vec<(&str, RegionLevel)> = o
            .lines
            .iter()
            .map(|l| (l.indicator.as_str(), l.level))
            .collect();
        assert_eq!(
            levels,
            [
                ("alo", RegionLevel::Kreis),
                ("bev_inkar", RegionLevel::Kreis)
            ]
        );
    }

    #[test]
    fn the_latest_year_per_level_counts_symbols_but_not_gaps() {
        use crate::engine::Cell;
        let secret = Cell::Sym(crate::Symbol::Secret);
        let cells = [
            ("14522", 2024, &Cell::Num(1.0)),
            ("14522", 2025, &Cell::Missing),
            ("14522010", 2023, &secret),
            ("15082", 2025, &Cell::Num(2.0)),
            ("14", 2022, &Cell::Num(3.0)),
        ];
        let all = latest_years(cells, None);
        assert_eq!(
            all,
            BTreeMap::from([
                (RegionLevel::Land, 2022),
                (RegionLevel::Kreis, 2025),
                (RegionLevel::Gemeinde, 2023)
            ])
        );
        let ms = RegionKey::parse("14522").expect("key");
        let own = latest_years(cells, Some(&ms));
        assert_eq!(
            own,
            BTreeMap::from([(RegionLevel::Kreis, 2024), (RegionLevel::Gemeinde, 2023)])
        );
    }
}
