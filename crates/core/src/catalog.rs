//! Entries of the indicator catalogue (Datenkatalog): what an indicator means, where it comes from,
//! who owns it and whether the data exists yet.

use serde::{Deserialize, Serialize};

use crate::RegionLevel;
use crate::currency::Release;

/// Whether a higher value is better, worse or neither, from the planner's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    /// A higher value is better (e.g. childcare rate).
    HigherIsBetter,
    /// A higher value is worse (e.g. SGB II rate).
    HigherIsWorse,
    /// Neither (e.g. share of 65+).
    Neutral,
}

/// Whether the data for an indicator is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorStatus {
    /// Data is in the store.
    Available,
    /// Collection is planned.
    Planned,
    /// Nobody collects it yet: a data gap.
    Missing,
}

/// One indicator of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorEntry {
    /// Stable key (`anteil_65plus`).
    pub key: String,
    /// Full German name.
    pub name: String,
    /// Short name for tables and charts.
    #[serde(default)]
    pub short_name: String,
    /// Definition in plain German.
    #[serde(default)]
    pub definition: String,
    /// Formula over measures (parsed by the engine).
    #[serde(default)]
    pub formula: String,
    /// Unit (`%`, `je 1.000 Einwohner`).
    #[serde(default)]
    pub unit: String,
    /// Reference population (Bezugsgröße).
    #[serde(default)]
    pub reference_population: String,
    /// Action field (Handlungsfeld).
    #[serde(default)]
    pub action_field: String,
    /// Target groups (Zielgruppen).
    #[serde(default)]
    pub target_groups: Vec<String>,
    /// Polarity.
    pub polarity: Polarity,
    /// Source and statistic code.
    #[serde(default)]
    pub source: String,
    /// Spatial levels at which it exists.
    #[serde(default)]
    pub spatial_levels: Vec<String>,
    /// Update rhythm (`jährlich`).
    #[serde(default)]
    pub update_rhythm: String,
    /// Responsible department.
    #[serde(default)]
    pub owner: String,
    /// Data status.
    pub status: IndicatorStatus,
    /// How a missing indicator could be collected.
    #[serde(default)]
    pub how_to_collect: String,
    /// Whether it may be published.
    #[serde(default = "default_true")]
    pub public: bool,
    /// Confidentiality rule, e.g. `min_count=3`.
    #[serde(default)]
    pub confidentiality: String,
    /// The equivalent INKAR code, where one exists.
    #[serde(default)]
    pub inkar_code: Option<String>,
    /// Whether it is one of the features the typology of municipalities is built from (the
    /// planners choose them here, so the public dashboard's types follow the catalogue).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub typology: bool,
    /// Breaks in the indicator's time series: its own (`[[indicator.breaks]]`) and the
    /// catalogue's `[[series_break]]` entries that concern the measures it reads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<SeriesBreak>,
    /// The publications of the measures it reads (the catalogue's `[[release]]` entries that
    /// concern it), for `catalog currency`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub releases: Vec<Release>,
}

impl IndicatorEntry {
    /// An available, public entry with a key (also its names), a formula and a unit; every other
    /// field empty (for code that builds entries rather than reading the catalogue).
    pub fn new(key: &str, formula: &str, unit: &str) -> IndicatorEntry {
        IndicatorEntry {
            key: key.into(),
            name: key.into(),
            short_name: key.into(),
            definition: String::new(),
            formula: formula.into(),
            unit: unit.into(),
            reference_population: String::new(),
            action_field: String::new(),
            target_groups: Vec::new(),
            polarity: Polarity::Neutral,
            source: String::new(),
            spatial_levels: Vec::new(),
            update_rhythm: String::new(),
            owner: String::new(),
            status: IndicatorStatus::Available,
            how_to_collect: String::new(),
            public: true,
            confidentiality: String::new(),
            inkar_code: None,
            typology: false,
            breaks: Vec::new(),
            releases: Vec::new(),
        }
    }

    /// The measure of the published equivalent (INKAR's value of the same concept, `INKAR_<code>`)
    /// that fills the regions and years our own computation has no value for; `None` for an
    /// entry of the INKAR codebook itself (`inkar_…`), which is that measure.
    pub fn equivalent_measure(&self) -> Option<String> {
        if self.key.starts_with(INKAR_PREFIX) {
            return None;
        }
        let code = self.inkar_code.as_deref()?.trim();
        (!code.is_empty()).then(|| format!("INKAR_{code}"))
    }
}

/// A break in time series: from `year` on, values rest on a new basis (a census, a revised count,
/// a new definition, new Kreise), so a change across it is partly the new basis, not the region's
/// development. Breaks are data in the catalogue, not code: each names its scope and says in
/// German what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesBreak {
    /// Stable key (`zensus_2022`).
    pub key: String,
    /// Short German name for marks and legends (`Zensus 2022`).
    pub title: String,
    /// The first year whose values rest on the new basis.
    pub year: u16,
    /// When it happened, in German (`15.05.2022`), for the explanation.
    #[serde(default)]
    pub date: String,
    /// What changed and what it means for comparisons, in German.
    pub explanation: String,
    /// Measures whose readers the break concerns: a code prefix ending in `-` (`12411-`) or a
    /// whole code (`GV100_BEV`). Used by the catalogue to find the indicators; empty on an indicator's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<String>,
    /// Indicators the break concerns by key, beside those found through `measures`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<String>,
    /// Whether it concerns every indicator (a Kreis reform changes every Kreis series).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_indicators: bool,
    /// Region levels it concerns (`kreis`); empty for every level.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<String>,
    /// Key prefixes of the regions it concerns (`14` for Saxony); empty for all regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Of a territorial reform, the Kreise it formed that the offices publish only as „.“ for
    /// the years before it (no number on that territory, not a secret): there the indicator's
    /// published equivalent (INKAR's conversion to today's Kreise) stands in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub formed: Vec<String>,
}

impl SeriesBreak {
    /// Whether the break concerns an indicator with this key that reads these measures.
    pub fn concerns(&self, key: &str, measures: &[String]) -> bool {
        self.all_indicators
            || self.indicators.iter().any(|k| k == key)
            || measures.iter().any(|m| {
                self.measures
                    .iter()
                    .any(|p| m == p || (p.ends_with('-') && m.starts_with(p.as_str())))
            })
    }

    /// Whether the break concerns a region of this level and key.
    pub fn covers(&self, level: RegionLevel, key: &str) -> bool {
        (self.levels.is_empty() || self.levels.iter().any(|l| l == level.code()))
            && (self.regions.is_empty() || self.regions.iter().any(|p| key.starts_with(p.as_str())))
    }

    /// Whether a change from `from` to `to` (either order) crosses the break.
    pub fn between(&self, from: u16, to: u16) -> bool {
        from.min(to) < self.year && self.year <= from.max(to)
    }
}

/// The key prefix of the entries the INKAR codebook adds (one per INKAR measure).
pub const INKAR_PREFIX: &str = "inkar_";

fn default_true() -> bool {
    true
}

impl IndicatorStatus {
    /// The German word for the status.
    pub fn label_de(self) -> &'static str {
        match self {
            IndicatorStatus::Available => "verfügbar",
            IndicatorStatus::Planned => "geplant",
            IndicatorStatus::Missing => "fehlt",
        }
    }
}

/// How well a group of indicators (an action field, a target group) is covered by data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Every indicator has data.
    Available,
    /// Some have, some are planned or missing.
    Partly,
    /// None has data yet.
    Missing,
}

impl Coverage {
    /// The German words for it.
    pub fn label_de(self) -> &'static str {
        match self {
            Coverage::Available => "verfügbar",
            Coverage::Partly => "teilweise verfügbar",
            Coverage::Missing => "fehlt",
        }
    }
}

/// The indicators of one group by status, and what that means for the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapGroup {
    /// The action field or target group.
    pub name: String,
    /// Indicators with data.
    pub available: usize,
    /// Indicators whose collection is planned.
    pub planned: usize,
    /// Indicators nobody collects yet.
    pub missing: usize,
}

impl GapGroup {
    /// All indicators the group needs.
    pub fn needed(&self) -> usize {
        self.available + self.planned + self.missing
    }

    /// The group's coverage.
    pub fn coverage(&self) -> Coverage {
        match (self.available > 0, self.planned + self.missing > 0) {
            (true, false) => Coverage::Available,
            (true, true) => Coverage::Partly,
            _ => Coverage::Missing,
        }
    }
}

/// The data gaps of the catalogue per action field (`by_target_group = false`) or per target
/// group, sorted by name: the seeds' "which data is still missing" as a working list.
pub fn gap_groups(entries: &[IndicatorEntry], by_target_group: bool) -> Vec<GapGroup> {
    let mut groups: std::collections::BTreeMap<&str, GapGroup> = Default::default();
    for e in entries {
        let names: Vec<&str> = if by_target_group {
            e.target_groups.iter().map(String::as_str).collect()
        } else {
            vec![e.action_field.as_str()]
        };
        for n in names.into_iter().filter(|n| !n.trim().is_empty()) {
            let g = groups.entry(n).or_insert_with(|| GapGroup {
                name: n.to_string(),
                available: 0,
                planned: 0,
                missing: 0,
            });
            match e.status {
                IndicatorStatus::Available => g.available += 1,
                IndicatorStatus::Planned => g.planned += 1,
                IndicatorStatus::Missing => g.missing += 1,
            }
        }
    }
    groups.into_values().collect()
}

/// The keys of `new` entries that set a confidentiality rule weaker than the default (`none`,
/// or `min_count` below 3) which the `stored` entry of the same key does not already have:
/// what only an admin may do from the workspace, whether by form or by catalogue file. A rule
/// that does not parse is not listed (the catalogue's check reports it).
pub fn weakened_confidentiality<'a>(
    new: &'a [IndicatorEntry],
    stored: &[IndicatorEntry],
) -> Vec<&'a str> {
    use crate::confidential::Rule;
    new.iter()
        .filter(|e| {
            Rule::parse(&e.confidentiality).is_ok_and(Rule::weaker_than_default)
                && !stored
                    .iter()
                    .any(|s| s.key == e.key && s.confidentiality == e.confidentiality)
        })
        .map(|e| e.key.as_str())
        .collect()
}

#[cfg(test)]
mod gap_tests {
    use super::*;

    fn entry(field: &str, groups: &[&str], status: IndicatorStatus) -> IndicatorEntry {
        let mut e = IndicatorEntry::new("x", "", "");
        e.action_field = field.into();
        e.target_groups = groups.iter().map(|g| g.to_string()).collect();
        e.status = status;
        e
    }

    #[test]
    fn a_weakened_rule_is_named_unless_it_was_already_stored() {
        let with = |key: &str, rule: &str| {
            let mut e = IndicatorEntry::new(key, "`X`", "");
            e.confidentiality = rule.into();
            e
        };
        let stored = [with("quote", "none"), with("faelle", "")];
        let new = [
            with("quote", "none"),
            with("faelle", "min_count=2"),
            with("neu", "keine"),
            with("streng", "min_count=5"),
            with("kaputt", "dominanz"),
        ];
        assert_eq!(weakened_confidentiality(&new, &stored), ["faelle", "neu"]);
    }

    #[test]
    fn groups_count_their_indicators_by_status() {
        use IndicatorStatus::*;
        let entries = [
            entry("Bildung", &["Kinder und Jugendliche"], Available),
            entry("Bildung", &[], Missing),
            entry("Teilhabe", &["Menschen mit Behinderungen"], Missing),
            entry("Senior:innen", &["Senior:innen"], Available),
        ];
        let fields = gap_groups(&entries, false);
        let got: Vec<(&str, usize, Coverage)> = fields
            .iter()
            .map(|g| (g.name.as_str(), g.needed(), g.coverage()))
            .collect();
        assert_eq!(
            got,
            [
                ("Bildung", 2, Coverage::Partly),
                ("Senior:innen", 1, Coverage::Available),
                ("Teilhabe", 1, Coverage::Missing)
            ]
        );
        let groups = gap_groups(&entries, true);
        assert_eq!(groups.len(), 3);
    }
}

/// The newest year a delivery should hold in `this_year`, from an entry's update rhythm
/// (`jährlich`: last year; `jährlich (3 Jahre Verzug)`: three years back; `zweijährlich`: every
/// other year, so one more year of slack); `None` for a rhythm it does not know.
pub fn expected_year(update_rhythm: &str, this_year: i32) -> Option<i32> {
    let r = update_rhythm.trim().to_lowercase();
    let lag = r
        .split_once('(')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse::<i32>().ok())
        .unwrap_or(1);
    if r.starts_with("zweijährlich") {
        Some(this_year - lag - 1)
    } else if r.starts_with("jährlich") {
        Some(this_year - lag)
    } else {
        None
    }
}

/// Where a department's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// The expected year is there.
    Delivered,
    /// The year before the expected one is there: the next delivery is due.
    Due,
    /// Older than that.
    Overdue,
    /// Never delivered.
    Never,
}

impl DeliveryState {
    /// Where a delivery stands with `held` the newest year held and `expected` the year expected.
    pub fn of(held: Option<i32>, expected: i32) -> DeliveryState {
        match held {
            None => DeliveryState::Never,
            Some(h) if h >= expected => DeliveryState::Delivered,
            Some(h) if h == expected - 1 => DeliveryState::Due,
            Some(_) => DeliveryState::Overdue,
        }
    }

    /// The German words for it.
    pub fn label_de(self) -> &'static str {
        match self {
            DeliveryState::Delivered => "geliefert",
            DeliveryState::Due => "fällig",
            DeliveryState::Overdue => "überfällig",
            DeliveryState::Never => "noch nie geliefert",
        }
    }
}

#[cfg(test)]
mod delivery_tests {
    use super::*;

    #[test]
    fn the_expected_year_follows_the_rhythm_and_the_state_the_year_held() {
        assert_eq!(expected_year("jährlich", 2026), Some(2025));
        assert_eq!(expected_year("jährlich (3 Jahre Verzug)", 2026), Some(2023));
        assert_eq!(expected_year("zweijährlich", 2026), Some(2024));
        assert_eq!(expected_year("bei Bedarf", 2026), None);
        assert_eq!(
            DeliveryState::of(Some(2025), 2025),
            DeliveryState::Delivered
        );
        assert_eq!(DeliveryState::of(Some(2024), 2025), DeliveryState::Due);
        assert_eq!(DeliveryState::of(Some(2019), 2025), DeliveryState::Overdue);
        assert_eq!(DeliveryState::of(None, 2025), DeliveryState::Never);
    }
}
