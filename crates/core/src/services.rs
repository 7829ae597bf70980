//! The directory of social services (Wegweiser): the topics and target groups a service is
//! filed under, each a closed list with a code for files and URLs and a German label, a
//! position checked to lie in Germany, when an entry is due to be checked again, and the
//! plain arithmetic of coverage (services per 10,000 inhabitants, straight-line distance to the
//! nearest service).

/// What a service is for. The counselling services are those the seeds list when they weigh
/// planning "the infrastructure of counselling services" (Schuldnerberatung, Suchtberatung,
/// Frauenhäuser, Migrationsberatung), and their kin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// Schuldner- und Insolvenzberatung.
    Debt,
    /// Suchtberatung.
    Addiction,
    /// Frauenhaus, Frauen- und Gewaltschutz.
    ViolenceProtection,
    /// Migrationsberatung.
    Migration,
    /// Pflegeberatung, Pflegestützpunkt.
    Care,
    /// Beratung für ältere Menschen.
    OldAge,
    /// Erziehungs- und Familienberatung.
    Family,
    /// Allgemeine Sozialberatung.
    Social,
    /// Teilhabeberatung (EUTB), Beratung für Menschen mit Behinderung.
    Disability,
    /// Wohnungsnotfallhilfe.
    Housing,
    /// Begegnung und Freizeit (Seniorentreff, Jugendclub).
    Meeting,
}

/// Every topic, in the order the directory lists them.
pub const TOPICS: [Topic; 11] = [
    Topic::Social,
    Topic::Debt,
    Topic::Addiction,
    Topic::ViolenceProtection,
    Topic::Migration,
    Topic::Family,
    Topic::OldAge,
    Topic::Care,
    Topic::Disability,
    Topic::Housing,
    Topic::Meeting,
];

impl Topic {
    /// The code in files and URLs.
    pub fn code(self) -> &'static str {
        match self {
            Topic::Debt => "schuldnerberatung",
            Topic::Addiction => "suchtberatung",
            Topic::ViolenceProtection => "gewaltschutz",
            Topic::Migration => "migrationsberatung",
            Topic::Care => "pflegeberatung",
            Topic::OldAge => "seniorenberatung",
            Topic::Family => "familienberatung",
            Topic::Social => "sozialberatung",
            Topic::Disability => "teilhabeberatung",
            Topic::Housing => "wohnungsnotfallhilfe",
            Topic::Meeting => "begegnung",
        }
    }

    /// The German label.
    pub fn label_de(self) -> &'static str {
        match self {
            Topic::Debt => "Schuldner- und Insolvenzberatung",
            Topic::Addiction => "Suchtberatung",
            Topic::ViolenceProtection => "Frauen- und Gewaltschutz",
            Topic::Migration => "Migrationsberatung",
            Topic::Care => "Pflegeberatung",
            Topic::OldAge => "Beratung im Alter",
            Topic::Family => "Erziehungs- und Familienberatung",
            Topic::Social => "Allgemeine Sozialberatung",
            Topic::Disability => "Teilhabeberatung",
            Topic::Housing => "Wohnungsnotfallhilfe",
            Topic::Meeting => "Begegnung und Freizeit",
        }
    }

    /// Whether it is counselling (a Beratungsstelle), counted by the coverage of counselling.
    pub fn is_counselling(self) -> bool {
        !matches!(self, Topic::Meeting)
    }

    /// Reads a code.
    pub fn parse(s: &str) -> Option<Topic> {
        TOPICS.into_iter().find(|t| t.code() == s.trim())
    }

    /// Reads what a person writes in a table: the code or the German label, in any case.
    pub fn read(s: &str) -> Option<Topic> {
        let s = s.trim().to_lowercase();
        TOPICS
            .into_iter()
            .find(|t| t.code() == s || t.label_de().to_lowercase() == s)
    }
}

/// Whom a service is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetGroup {
    /// Everyone.
    Everyone,
    /// Children and young people.
    Young,
    /// Families and parents.
    Families,
    /// Older people: the Seniorenwegweiser is the directory filtered to them.
    Older,
    /// People with disabilities.
    Disabled,
    /// Migrants and refugees.
    Migrants,
    /// Women.
    Women,
}

/// Every target group, in the order the directory lists them.
pub const TARGET_GROUPS: [TargetGroup; 7] = [
    TargetGroup::Everyone,
    TargetGroup::Young,
    TargetGroup::Families,
    TargetGroup::Older,
    TargetGroup::Disabled,
    TargetGroup::Migrants,
    TargetGroup::Women,
];

impl TargetGroup {
    /// The code in files and URLs.
    pub fn code(self) -> &'static str {
        match self {
            TargetGroup::Everyone => "alle",
            TargetGroup::Young => "kinder-und-jugendliche",
            TargetGroup::Families => "familien",
            TargetGroup::Older => "senioren",
            TargetGroup::Disabled => "menschen-mit-behinderung",
            TargetGroup::Migrants => "zugewanderte",
            TargetGroup::Women => "frauen",
        }
    }

    /// The German label.
    pub fn label_de(self) -> &'static str {
        match self {
            TargetGroup::Everyone => "alle",
            TargetGroup::Young => "Kinder und Jugendliche",
            TargetGroup::Families => "Familien",
            TargetGroup::Older => "Senior:innen",
            TargetGroup::Disabled => "Menschen mit Behinderung",
            TargetGroup::Migrants => "Zugewanderte",
            TargetGroup::Women => "Frauen",
        }
    }

    /// Reads a code.
    pub fn parse(s: &str) -> Option<TargetGroup> {
        TARGET_GROUPS.into_iter().find(|t| t.code() == s.trim())
    }

    /// Reads what a person writes in a table: the code or the German label, in any case.
    pub fn read(s: &str) -> Option<TargetGroup> {
        let s = s.trim().to_lowercase();
        TARGET_GROUPS
            .into_iter()
            .find(|t| t.code() == s || t.label_de().to_lowercase() == s)
    }
}

/// A position in WGS84 degrees, within Germany's bounding box (a swapped pair or a position
/// from another country is refused where it is entered, not drawn in the sea).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    lat: f64,
    lon: f64,
}

impl Position {
    /// A position from latitude and longitude, or `None` outside Germany.
    pub fn new(lat: f64, lon: f64) -> Option<Position> {
        ((47.2..=55.1).contains(&lat) && (5.8..=15.1).contains(&lon))
            .then_some(Position { lat, lon })
    }

    /// Latitude.
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// Longitude.
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// The great-circle distance in kilometres (haversine on a sphere of 6,371 km: off by
    /// less than 0.5 % against the ellipsoid, well below what "distance to the next service"
    /// needs).
    pub fn km_to(self, other: Position) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * 6371.0 * a.sqrt().asin()
    }
}

/// The distance from `from` to the nearest of `to`, in kilometres; `None` when there is none.
pub fn nearest_km(from: Position, to: &[Position]) -> Option<f64> {
    to.iter().map(|p| from.km_to(*p)).min_by(f64::total_cmp)
}

/// `count` per 10,000 of `population`; `None` without a population.
pub fn per_10k(count: usize, population: f64) -> Option<f64> {
    (population > 0.0).then(|| count as f64 * 10_000.0 / population)
}

/// Days after which an entry is due to be checked again: a year.
pub const CHECK_EVERY_DAYS: i64 = 365;

/// Whether an entry last checked on `checked_on` (`2026-04-22`; empty or unreadable: never) is
/// due to be checked again at `now` (Unix seconds).
pub fn check_due(checked_on: &str, now: i64) -> bool {
    let day = |s: &str| -> Option<i64> {
        let mut p = s.trim().splitn(3, '-');
        let (y, m, d) = (
            p.next()?.parse().ok()?,
            p.next()?.parse().ok()?,
            p.next()?.parse().ok()?,
        );
        Some(crate::format::days_from_civil(y, m, d))
    };
    day(checked_on).is_none_or(|c| now.div_euclid(86_400) - c > CHECK_EVERY_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_and_labels_are_german() {
        for t in TOPICS {
            assert_eq!(Topic::parse(t.code()), Some(t));
        }
        for g in TARGET_GROUPS {
            assert_eq!(TargetGroup::parse(g.code()), Some(g));
        }
        assert_eq!(Topic::parse("Schuldnerberatung"), None);
        assert_eq!(Topic::read(" suchtberatung "), Some(Topic::Addiction));
        assert_eq!(TargetGroup::read("senior:innen"), Some(TargetGroup::Older));
        assert_eq!(TargetGroup::Older.label_de(), "Senior:innen");
    }

    #[test]
    fn distances_are_great_circle_kilometres() {
        // Freiberg (Obermarkt) to Chemnitz (Markt): 31,5 km as the crow flies.
        let freiberg = Position::new(50.9177, 13.3425).expect("in Germany");
        let chemnitz = Position::new(50.8322, 12.9253).expect("in Germany");
        let d = freiberg.km_to(chemnitz);
        assert!((d - 30.9).abs() < 0.5, "{d}");
        assert_eq!(freiberg.km_to(freiberg), 0.0);
        assert_eq!(nearest_km(freiberg, &[]), None);
        assert_eq!(nearest_km(freiberg, &[chemnitz, freiberg]), Some(0.0));
        // Swapped latitude and longitude: not in Germany.
        assert_eq!(Position::new(13.3425, 50.9177), None);
    }

    #[test]
    fn coverage_and_checks() {
        assert_eq!(per_10k(3, 40_000.0), Some(0.75));
        assert_eq!(per_10k(3, 0.0), None);
        // 2026-03-01 is day 20513 since 1970.
        let day = |d: i64| d * 86_400;
        assert!(check_due("", day(20_600)));
        assert!(check_due("März 2026", day(20_600)));
        assert!(!check_due("2026-03-01", day(20_513 + 365)));
        assert!(check_due("2026-03-01", day(20_513 + 366)));
    }
}
