//! The planning cycle's evaluation: how far a measure's indicator has come from its baseline
//! toward its target, the path it was expected to take, and the change in the measure's
//! municipalities against the rest of the district (a simple difference-in-differences, a
//! description and never a proof of cause).
//!
//! Pure and typed: the workspace, the public pages and the planning document read one rule.

/// Which way an indicator should move for a measure's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Up to the target or beyond (e.g. a care quota).
    Increase,
    /// Down to the target or below (e.g. a poverty rate).
    Decrease,
}

impl Direction {
    /// The code stored and used in forms and files.
    pub fn code(self) -> &'static str {
        match self {
            Direction::Increase => "steigen",
            Direction::Decrease => "sinken",
        }
    }

    /// Reads a code (`steigen`, `sinken`; also `increase`, `decrease`).
    pub fn parse(s: &str) -> Option<Direction> {
        match s.trim().to_lowercase().as_str() {
            "steigen" | "increase" | "up" => Some(Direction::Increase),
            "sinken" | "decrease" | "down" => Some(Direction::Decrease),
            _ => None,
        }
    }

    /// In words, as the pages say it.
    pub fn label_de(self) -> &'static str {
        match self {
            Direction::Increase => "steigen",
            Direction::Decrease => "sinken",
        }
    }

    /// +1 or −1: the sign of a change in the wanted direction.
    fn sign(self) -> f64 {
        match self {
            Direction::Increase => 1.0,
            Direction::Decrease => -1.0,
        }
    }
}

/// A measure's aim for one indicator: where it started and where it should be by when. Made
/// only by [`Aim::new`], so every aim can be evaluated (the target year after the baseline's,
/// the target on the side the direction says).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aim {
    baseline: f64,
    baseline_year: u16,
    target: f64,
    target_year: u16,
    direction: Direction,
}

/// Why an aim cannot be evaluated (said in German: the workspace shows it beside the form).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AimError {
    /// The target year is not after the baseline year.
    #[error("das Zieljahr muss nach dem Jahr des Ausgangswerts liegen")]
    TargetNotLater,
    /// The target lies on the wrong side of the baseline for the direction.
    #[error("der Zielwert liegt nicht in der angegebenen Richtung vom Ausgangswert")]
    TargetAgainstDirection,
    /// A value is not a finite number.
    #[error("Ausgangs- und Zielwert müssen Zahlen sein")]
    NotFinite,
    /// More than [`MAX_AIM_YEARS`] from baseline to target (a mistyped year).
    #[error("vom Ausgangs- bis zum Zieljahr sind es höchstens 50 Jahre")]
    TooLong,
}

/// The longest span from baseline to target: an aim is a plan, not a century.
pub const MAX_AIM_YEARS: u16 = 50;

impl Aim {
    /// An aim after checking that it can be evaluated.
    pub fn new(
        baseline: (f64, u16),
        target: (f64, u16),
        direction: Direction,
    ) -> Result<Aim, AimError> {
        if !baseline.0.is_finite() || !target.0.is_finite() {
            return Err(AimError::NotFinite);
        }
        if target.1 <= baseline.1 {
            return Err(AimError::TargetNotLater);
        }
        if target.1 - baseline.1 > MAX_AIM_YEARS {
            return Err(AimError::TooLong);
        }
        if (target.0 - baseline.0) * direction.sign() < 0.0 {
            return Err(AimError::TargetAgainstDirection);
        }
        Ok(Aim {
            baseline: baseline.0,
            baseline_year: baseline.1,
            target: target.0,
            target_year: target.1,
            direction,
        })
    }

    /// The value when the measure began, and its year.
    pub fn baseline(&self) -> (f64, u16) {
        (self.baseline, self.baseline_year)
    }

    /// The value aimed at, and the year by which.
    pub fn target(&self) -> (f64, u16) {
        (self.target, self.target_year)
    }

    /// Which way the indicator should move.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The value expected in `year` on the straight path from baseline to target (the target
    /// itself after the target year, the baseline before the baseline year).
    pub fn expected(&self, year: u16) -> f64 {
        let y = year.clamp(self.baseline_year, self.target_year);
        let span = f64::from(self.target_year - self.baseline_year);
        let done = f64::from(y - self.baseline_year) / span;
        self.baseline + (self.target - self.baseline) * done
    }
}

/// How a measure's indicator stands against its aim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Progress {
    /// The target is reached (or passed in the wanted direction).
    Reached,
    /// At least as far as the straight path from baseline to target expects by now.
    OnTrack,
    /// Moving the wanted way, but less far than expected (or the target year has passed).
    Behind,
    /// Moving away from the target: worse than the baseline.
    MovingAway,
    /// No value after the baseline year yet.
    NoNewData,
}

impl Progress {
    /// The German label.
    pub fn label_de(self) -> &'static str {
        match self {
            Progress::Reached => "Ziel erreicht",
            Progress::OnTrack => "auf Kurs",
            Progress::Behind => "im Rückstand",
            Progress::MovingAway => "entfernt sich vom Ziel",
            Progress::NoNewData => "keine neuen Daten",
        }
    }

    /// A short code for CSS classes, files and the API.
    pub fn code(self) -> &'static str {
        match self {
            Progress::Reached => "erreicht",
            Progress::OnTrack => "auf_kurs",
            Progress::Behind => "rueckstand",
            Progress::MovingAway => "entfernt",
            Progress::NoNewData => "keine_daten",
        }
    }
}

/// The evaluation of one aim against the data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// The state.
    pub progress: Progress,
    /// The newest value after the baseline year, with its year.
    pub latest: Option<(u16, f64)>,
    /// The value the straight path expects in the newest value's year.
    pub expected: Option<f64>,
    /// How much of the way from baseline to target is done (1 = reached; negative: the wrong
    /// way), where the target differs from the baseline.
    pub share_done: Option<f64>,
}

/// Values closer than this (relative to the larger) count as equal: floating-point noise of
/// a computed rate (0.1 + 0.2) must not decide between "reached" and "behind". Values are
/// compared as computed, not as printed: 15,96 shown as „16,0“ has not reached 16.
const EQUAL: f64 = 1e-9;

fn at_least(a: f64, b: f64) -> bool {
    a >= b - EQUAL * a.abs().max(b.abs()).max(1.0)
}

/// Evaluates `aim` against the indicator's `series` (year and value, any order; gaps and other
/// years are fine): the newest value after the baseline year decides.
pub fn evaluate(aim: &Aim, series: &[(u16, f64)]) -> Evaluation {
    let latest = series
        .iter()
        .filter(|(y, v)| *y > aim.baseline_year && v.is_finite())
        .max_by_key(|(y, _)| *y)
        .copied();
    let Some((year, value)) = latest else {
        return Evaluation {
            progress: Progress::NoNewData,
            latest: None,
            expected: None,
            share_done: None,
        };
    };
    let s = aim.direction.sign();
    let expected = aim.expected(year);
    let progress = if at_least(value * s, aim.target * s) {
        Progress::Reached
    } else if !at_least(value * s, aim.baseline * s) {
        Progress::MovingAway
    } else if year <= aim.target_year && at_least(value * s, expected * s) {
        Progress::OnTrack
    } else {
        Progress::Behind
    };
    let way = aim.target - aim.baseline;
    Evaluation {
        progress,
        latest: Some((year, value)),
        expected: Some(expected),
        share_done: (way.abs() > 0.0).then(|| (value - aim.baseline) / way),
    }
}

/// How a municipality's change between two years is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// In the indicator's unit: rates and shares of any municipality share a scale.
    Absolute,
    /// In percent of the first year's value: a town of 40,000 gains or loses more people than
    /// a village of 2,000, so counts are compared relative to their size.
    Relative,
}

impl Change {
    /// The measure of change for an indicator's unit.
    pub fn for_unit(unit: &str) -> Change {
        if crate::format::is_count_unit(unit) {
            Change::Relative
        } else {
            Change::Absolute
        }
    }
}

/// The change of an indicator in the measure's municipalities against the rest of the district
/// between two years: a simple difference-in-differences of unweighted means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// The first and the last year compared.
    pub years: (u16, u16),
    /// Mean change in the measure's municipalities, and how many had both values.
    pub inside: (f64, usize),
    /// Mean change in the district's other municipalities, and how many had both values.
    pub outside: (f64, usize),
    /// How many municipalities the measure names (some may lack a value in either year).
    pub named: usize,
    /// How each change was measured.
    pub change: Change,
}

impl Comparison {
    /// Inside minus outside: how much more the measure's municipalities changed.
    pub fn difference(&self) -> f64 {
        self.inside.0 - self.outside.0
    }

    /// In German words for indicator `name` with `decimals` places. It describes; that it is
    /// no proof of an effect is for the page to say once, above its comparisons.
    pub fn german(&self, name: &str, decimals: usize) -> String {
        // Relative changes are percentages whatever the indicator's places; their difference is
        // in percentage points.
        let (decimals, unit, points) = match self.change {
            Change::Absolute => (decimals, "", ""),
            Change::Relative => (1, "\u{a0}%", "\u{a0}Prozentpunkte"),
        };
        // A change reads with its sign: "+1,2" rose, "-1,2" fell (a hyphen, as every number
        // of the product: the reports' bundled font has no minus sign).
        let n = |x: f64| {
            let t = crate::format::german_number(x, decimals);
            if x > 0.0 && t.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
                format!("+{t}")
            } else {
                t
            }
        };
        let (from, to) = self.years;
        let (had, named) = (self.inside.1, self.named.max(self.inside.1));
        let inside = match (had, named) {
            (1, 1) => "in der Gemeinde der Maßnahme".to_string(),
            (1, all) => format!(
                "in 1 von {all} Gemeinden der Maßnahme (nur sie hat Werte in beiden Jahren)"
            ),
            (k, all) if k == all => format!("in den {k} Gemeinden der Maßnahme im Mittel"),
            (k, all) => format!(
                "in {k} von {all} Gemeinden der Maßnahme (nur sie haben Werte in beiden Jahren) im Mittel"
            ),
        };
        let outside = match self.outside.1 {
            1 => "in der übrigen Gemeinde des Kreises".to_string(),
            k => format!("in den {k} übrigen Gemeinden des Kreises im Mittel"),
        };
        format!(
            "{name} {from}–{to}: {inside} {}{unit}, {outside} {}{unit} (Unterschied {}{points}).",
            n(self.inside.0),
            n(self.outside.0),
            n(self.difference()),
        )
    }
}

/// Compares the change from `from` to `to` of the municipalities `inside` (the measure's) with
/// the others of `all`, each a region's values by year. `None` without a municipality on either
/// side that has values in both years (for a relative change, a first value above 0).
pub fn compare<'a>(
    all: impl IntoIterator<Item = (&'a str, &'a [(u16, f64)])>,
    inside: &[&str],
    (from, to): (u16, u16),
    change: Change,
) -> Option<Comparison> {
    let value = |s: &[(u16, f64)], y: u16| {
        s.iter()
            .find(|(year, v)| *year == y && v.is_finite())
            .map(|(_, v)| *v)
    };
    let (mut a, mut b) = ((0.0, 0usize), (0.0, 0usize));
    for (key, s) in all {
        let (Some(x0), Some(x1)) = (value(s, from), value(s, to)) else {
            continue;
        };
        let delta = match change {
            Change::Absolute => x1 - x0,
            // Relative to a positive count only: from 0 there is no percentage, and from a
            // negative balance (e.g. of migration) the sign would turn.
            Change::Relative if x0 > 0.0 => (x1 - x0) / x0 * 100.0,
            Change::Relative => continue,
        };
        let side = if inside.contains(&key) {
            &mut a
        } else {
            &mut b
        };
        side.0 += delta;
        side.1 += 1;
    }
    if a.1 == 0 || b.1 == 0 || to <= from {
        return None;
    }
    Some(Comparison {
        years: (from, to),
        inside: (a.0 / a.1 as f64, a.1),
        outside: (b.0 / b.1 as f64, b.1),
        named: inside.len(),
        change,
    })
}

/// The status of a step, a recommendation or a measure of the planning cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Planned, not begun.
    Planned,
    /// Under way.
    Running,
    /// Done.
    Done,
    /// Given up or rejected.
    Dropped,
}

/// Whether a date of the planning cycle is given as it may be: empty (not yet known), a year
/// (`2026`), a month (`2026-04`) or a day (`2026-04-22`), each a real one. What a planner types
/// in a form is checked with this, so the timeline sorts and reads in German.
pub fn is_plan_date(s: &str) -> bool {
    let year = |y: &str| y.len() == 4 && crate::period::Period::parse(y).is_ok();
    let s = s.trim();
    match s.split('-').collect::<Vec<_>>().as_slice() {
        [""] => true,
        [y] => year(y),
        [y, m] => year(y) && m.len() == 2 && m.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m)),
        [y, _, _] => year(y) && crate::period::Period::parse(s).is_ok(),
        _ => false,
    }
}

/// Every status, in order.
pub const STATUSES: [Status; 4] = [
    Status::Planned,
    Status::Running,
    Status::Done,
    Status::Dropped,
];

impl Status {
    /// The code stored.
    pub fn code(self) -> &'static str {
        match self {
            Status::Planned => "geplant",
            Status::Running => "laufend",
            Status::Done => "abgeschlossen",
            Status::Dropped => "verworfen",
        }
    }

    /// The German label.
    pub fn label_de(self) -> &'static str {
        match self {
            Status::Planned => "geplant",
            Status::Running => "läuft",
            Status::Done => "abgeschlossen",
            Status::Dropped => "verworfen",
        }
    }

    /// Reads a code, or the German label a table export writes (`läuft`).
    pub fn parse(s: &str) -> Option<Status> {
        let s = s.trim();
        STATUSES
            .into_iter()
            .find(|x| x.code() == s || x.label_de() == s)
    }
}

/// What a dated entry of a cycle's timeline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MilestoneKind {
    /// A process step that takes a while (data catalogue 2025, update 2026).
    Step,
    /// A milestone (a report published, a document submitted).
    Milestone,
    /// An event of participation (a conference, a forum).
    Event,
    /// A decision of a body (the district council's).
    Decision,
}

/// Every kind of timeline entry, in order.
pub const MILESTONE_KINDS: [MilestoneKind; 4] = [
    MilestoneKind::Step,
    MilestoneKind::Milestone,
    MilestoneKind::Event,
    MilestoneKind::Decision,
];

impl MilestoneKind {
    /// The code stored.
    pub fn code(self) -> &'static str {
        match self {
            MilestoneKind::Step => "prozessschritt",
            MilestoneKind::Milestone => "meilenstein",
            MilestoneKind::Event => "veranstaltung",
            MilestoneKind::Decision => "beschluss",
        }
    }

    /// The German label.
    pub fn label_de(self) -> &'static str {
        match self {
            MilestoneKind::Step => "Prozessschritt",
            MilestoneKind::Milestone => "Meilenstein",
            MilestoneKind::Event => "Veranstaltung",
            MilestoneKind::Decision => "Beschluss",
        }
    }

    /// Reads a code.
    pub fn parse(s: &str) -> Option<MilestoneKind> {
        MILESTONE_KINDS.into_iter().find(|k| k.code() == s.trim())
    }
}

/// What a cycle sets for an action field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PriorityKind {
    /// A priority (Handlungsschwerpunkt).
    Focus,
    /// A goal (Ziel).
    Goal,
    /// An action field named for deliberation, its priorities still to be derived.
    Topic,
}

impl PriorityKind {
    /// The code stored.
    pub fn code(self) -> &'static str {
        match self {
            PriorityKind::Focus => "schwerpunkt",
            PriorityKind::Goal => "ziel",
            PriorityKind::Topic => "thema",
        }
    }

    /// The German label.
    pub fn label_de(self) -> &'static str {
        match self {
            PriorityKind::Focus => "Handlungsschwerpunkt",
            PriorityKind::Goal => "Ziel",
            PriorityKind::Topic => "Handlungsfeld zur Beratung",
        }
    }

    /// Reads a code.
    pub fn parse(s: &str) -> Option<PriorityKind> {
        PRIORITY_KINDS.into_iter().find(|k| k.code() == s.trim())
    }
}

/// Every kind of priority, in order.
pub const PRIORITY_KINDS: [PriorityKind; 3] =
    [PriorityKind::Focus, PriorityKind::Goal, PriorityKind::Topic];

/// A date as precise as a planning record knows it, in German: `2025` → `2025`, `2025-04` →
/// `April 2025`, `2025-06-05` → `05.06.2025`; anything else as written.
pub fn date_de(s: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ];
    let parts: Vec<&str> = s.trim().split('-').collect();
    match parts.as_slice() {
        [y, m] if y.len() == 4 => match m.parse::<usize>() {
            Ok(n @ 1..=12) => format!("{} {y}", MONTHS[n - 1]),
            _ => s.to_string(),
        },
        [_, _, _] => crate::format::german_date(s.trim()),
        _ => s.trim().to_string(),
    }
}

/// A span of such dates: `April 2025`, or `Januar 2026 – Juni 2026`.
pub fn span_de(from: &str, to: &str) -> String {
    if to.trim().is_empty() || to.trim() == from.trim() {
        date_de(from)
    } else {
        format!("{} – {}", date_de(from), date_de(to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aim(b: f64, t: f64, d: Direction) -> Aim {
        Aim::new((b, 2020), (t, 2026), d).expect("aim")
    }

    #[test]
    fn plan_dates_are_years_months_or_days() {
        for ok in ["", "2026", "2026-04", "2026-04-22", " 2025 "] {
            assert!(is_plan_date(ok), "{ok}");
        }
        for bad in [
            "26",
            "2026-13",
            "2026-02-30",
            "22.04.2026",
            "April",
            "2026-4",
            "2026-04-x",
        ] {
            assert!(!is_plan_date(bad), "{bad}");
        }
    }

    #[test]
    fn aims_are_checked_before_they_are_evaluated() {
        assert_eq!(
            Aim::new((5.0, 2020), (4.0, 2026), Direction::Increase),
            Err(AimError::TargetAgainstDirection)
        );
        assert_eq!(
            Aim::new((5.0, 2020), (6.0, 2020), Direction::Increase),
            Err(AimError::TargetNotLater)
        );
        assert_eq!(
            Aim::new((f64::NAN, 2020), (6.0, 2026), Direction::Increase),
            Err(AimError::NotFinite)
        );
        assert_eq!(
            Aim::new((5.0, 2020), (6.0, 20300), Direction::Increase),
            Err(AimError::TooLong)
        );
        assert_eq!(Direction::parse(" Sinken"), Some(Direction::Decrease));
        assert_eq!(Status::parse("laufend"), Some(Status::Running));
    }

    #[test]
    fn progress_follows_the_straight_path_from_baseline_to_target() {
        // Up from 10 to 16 in six years: one a year expected.
        let a = aim(10.0, 16.0, Direction::Increase);
        assert_eq!(a.expected(2023), 13.0);
        assert_eq!(a.expected(2030), 16.0);
        let e = |s: &[(u16, f64)]| evaluate(&a, s);
        assert_eq!(e(&[(2020, 10.0)]).progress, Progress::NoNewData);
        assert_eq!(e(&[]).progress, Progress::NoNewData);
        assert_eq!(e(&[(2023, 13.5)]).progress, Progress::OnTrack);
        assert_eq!(e(&[(2023, 13.0)]).progress, Progress::OnTrack);
        assert_eq!(e(&[(2023, 11.0)]).progress, Progress::Behind);
        assert_eq!(e(&[(2023, 9.0)]).progress, Progress::MovingAway);
        assert_eq!(e(&[(2022, 16.2)]).progress, Progress::Reached);
        // The newest value decides, whatever the order.
        let ev = e(&[(2024, 15.0), (2021, 9.0), (2019, 1.0)]);
        assert_eq!(ev.progress, Progress::OnTrack);
        assert_eq!(ev.latest, Some((2024, 15.0)));
        assert_eq!(ev.share_done, Some(5.0 / 6.0));
        // After the target year, short of the target is behind.
        assert_eq!(e(&[(2027, 15.9)]).progress, Progress::Behind);
    }

    #[test]
    fn a_falling_target_mirrors_a_rising_one() {
        let a = aim(20.0, 14.0, Direction::Decrease);
        let e = |s: &[(u16, f64)]| evaluate(&a, s).progress;
        assert_eq!(e(&[(2023, 16.5)]), Progress::OnTrack);
        assert_eq!(e(&[(2023, 19.0)]), Progress::Behind);
        assert_eq!(e(&[(2023, 21.0)]), Progress::MovingAway);
        assert_eq!(e(&[(2025, 14.0)]), Progress::Reached);
        // Unchanged is behind, not moving away.
        assert_eq!(e(&[(2021, 20.0)]), Progress::Behind);
    }

    #[test]
    fn the_measures_municipalities_are_compared_with_the_rest_of_the_district() {
        let a: &[(u16, f64)] = &[(2018, 10.0), (2022, 14.0)];
        let b: &[(u16, f64)] = &[(2018, 20.0), (2022, 22.0)];
        let c: &[(u16, f64)] = &[(2018, 30.0), (2022, 31.0)];
        let d: &[(u16, f64)] = &[(2022, 50.0)];
        let all = [("a", a), ("b", b), ("c", c), ("d", d)];
        let cmp = compare(all, &["a"], (2018, 2022), Change::Absolute).expect("comparison");
        assert_eq!(cmp.inside, (4.0, 1));
        // b and c; d lacks the first year.
        assert_eq!(cmp.outside, (1.5, 2));
        assert_eq!(cmp.difference(), 2.5);
        assert_eq!(
            cmp.german("Quote", 1),
            "Quote 2018–2022: in der Gemeinde der Maßnahme +4,0, in den 2 übrigen Gemeinden des Kreises im Mittel +1,5 (Unterschied +2,5)."
        );
        let fell = compare(all, &["b", "c"], (2018, 2022), Change::Absolute).expect("comparison");
        assert!(
            fell.german("Quote", 1)
                .contains("in den 2 Gemeinden der Maßnahme im Mittel +1,5, in der übrigen Gemeinde des Kreises +4,0 (Unterschied -2,5)"),
            "{}",
            fell.german("Quote", 1)
        );
        // d names a municipality without the first year's value.
        let partly = compare(all, &["a", "d"], (2018, 2022), Change::Absolute).expect("comparison");
        assert!(
            partly.german("Quote", 1).contains(
                "in 1 von 2 Gemeinden der Maßnahme (nur sie hat Werte in beiden Jahren) +4,0"
            ),
            "{}",
            partly.german("Quote", 1)
        );
        // Counts: a village of 10 that gains 4 (+40 %) against towns of 20 and 30 (+10 %, +3,3 %).
        let counts = compare(all, &["a"], (2018, 2022), Change::Relative).expect("comparison");
        assert_eq!(
            counts.german("Einwohner", 0),
            "Einwohner 2018–2022: in der Gemeinde der Maßnahme +40,0\u{a0}%, in den 2 übrigen Gemeinden des Kreises im Mittel +6,7\u{a0}% (Unterschied +33,3\u{a0}Prozentpunkte)."
        );
        assert_eq!(Change::for_unit("Personen"), Change::Relative);
        assert_eq!(Change::for_unit("%"), Change::Absolute);
        assert!(compare(all, &["d"], (2018, 2022), Change::Absolute).is_none());
        assert!(compare(all, &["a", "b", "c", "d"], (2018, 2022), Change::Absolute).is_none());
    }

    #[test]
    fn dates_are_said_as_precisely_as_they_are_known() {
        assert_eq!(date_de("2025"), "2025");
        assert_eq!(date_de("2025-04"), "April 2025");
        assert_eq!(date_de("2025-06-05"), "05.06.2025");
        assert_eq!(date_de("2025-13"), "2025-13");
        assert_eq!(span_de("2026-01", "2026-06"), "Januar 2026 – Juni 2026");
        assert_eq!(span_de("2024-12", ""), "Dezember 2024");
    }
}
