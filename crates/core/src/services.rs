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

/// Whether text may be a link target on a page: an `http` or `https` address (a
/// `javascript:` or `data:` address would run or show something else when clicked).
pub fn is_web_address(s: &str) -> bool {
    let lower = s.trim().to_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Whether text looks like one e-mail address: one `@` with something on either side and no
/// space (what can be checked without sending mail).
pub fn is_email(s: &str) -> bool {
    let s = s.trim();
    s.matches('@').count() == 1
        && !s.starts_with('@')
        && !s.ends_with('@')
        && !s.contains(char::is_whitespace)
}

/// The centre of a region's outline (rings of longitude, latitude): the area-weighted centroid,
/// computed in the plane of the coordinates (at the size of a municipality this differs from
/// the geodesic centroid by metres). Rings turning the other way (holes) subtract. `None` for an
/// outline without area or outside Germany.
pub fn centroid(rings: &[Vec<(f64, f64)>]) -> Option<Position> {
    let (mut area, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for ring in rings {
        for w in ring.windows(2) {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            let cross = x0 * y1 - x1 * y0;
            area += cross;
            cx += (x0 + x1) * cross;
            cy += (y0 + y1) * cross;
        }
    }
    if area.abs() < 1e-12 {
        return None;
    }
    Position::new(cy / (3.0 * area), cx / (3.0 * area))
}

/// An entry of the directory as coverage counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// The municipality it is in (AGS).
    pub municipality: String,
    /// Where it is, if known.
    pub position: Option<Position>,
    /// Whether it is counselling ([`Topic::is_counselling`] for one of its topics).
    pub counselling: bool,
    /// Whether it is for older people (its target groups name them).
    pub for_older: bool,
}

impl Offer {
    /// The offer an entry makes, from its municipality, position, topics and target groups.
    pub fn of(
        municipality: &str,
        position: Option<Position>,
        topics: &[Topic],
        groups: &[TargetGroup],
    ) -> Offer {
        Offer {
            municipality: municipality.to_string(),
            position,
            counselling: topics.iter().any(|t| t.is_counselling()),
            for_older: groups.contains(&TargetGroup::Older),
        }
    }
}

/// The coverage of one municipality by the directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// The municipality (AGS).
    pub municipality: String,
    /// Counselling offers in it.
    pub counselling: usize,
    /// Counselling offers in it for older people.
    pub counselling_for_older: usize,
    /// Straight-line distance from its centre to the nearest counselling offer of the
    /// directory (in it or elsewhere), in km; `None` without a centre or without offers placed.
    pub nearest_counselling_km: Option<f64>,
}

/// The coverage of each municipality (with its centre, if known) by `offers`, in the order
/// given.
pub fn coverage(offers: &[Offer], municipalities: &[(String, Option<Position>)]) -> Vec<Coverage> {
    let placed: Vec<Position> = offers
        .iter()
        .filter(|o| o.counselling)
        .filter_map(|o| o.position)
        .collect();
    municipalities
        .iter()
        .map(|(key, centre)| {
            let here = offers
                .iter()
                .filter(|o| &o.municipality == key && o.counselling);
            Coverage {
                municipality: key.clone(),
                counselling: here.clone().count(),
                counselling_for_older: here.filter(|o| o.for_older).count(),
                nearest_counselling_km: centre.and_then(|c| nearest_km(c, &placed)),
            }
        })
        .collect()
}

/// A measure of the directory's coverage, as the catalogue's formulas name it.
#[derive(Debug, Clone, Copy)]
pub struct CoverageMeasure {
    /// Code.
    pub code: &'static str,
    /// Label.
    pub label: &'static str,
    /// Unit.
    pub unit: &'static str,
    /// How it adds up: offers are amounts (not counts of people, so not withheld as small
    /// numbers), distances do not add up at all.
    pub kind: crate::measure::MeasureKind,
}

/// Counselling offers in a municipality.
pub const OFFERS: CoverageMeasure = CoverageMeasure {
    code: "WEGWEISER_BERATUNG",
    label: "Beratungsangebote im Wegweiser",
    unit: "Anzahl",
    kind: crate::measure::MeasureKind::Amount,
};

/// Counselling offers for older people in a municipality.
pub const OFFERS_FOR_OLDER: CoverageMeasure = CoverageMeasure {
    code: "WEGWEISER_BERATUNG_SENIOREN",
    label: "Beratungsangebote für Senior:innen im Wegweiser",
    unit: "Anzahl",
    kind: crate::measure::MeasureKind::Amount,
};

/// The distance from a municipality's centre to the nearest counselling offer.
pub const DISTANCE: CoverageMeasure = CoverageMeasure {
    code: "WEGWEISER_KM_BERATUNG",
    label: "Entfernung vom Gemeindemittelpunkt zum nächsten Beratungsangebot (Luftlinie)",
    unit: "km",
    kind: crate::measure::MeasureKind::NotAdditive,
};

/// The coverage as a dataset: the counts per municipality dated `counts_at` (the newest
/// population they are set against), the counts for older people dated `older_at` (the newest
/// population by age), the distances dated `counts_at`. Counts of offers are amounts, not
/// counts of people: they are not withheld as small numbers.
pub fn coverage_dataset(
    rows: &[Coverage],
    counts_at: crate::Period,
    older_at: crate::Period,
) -> crate::Dataset {
    use crate::measure::Measure;
    let mut d = crate::Dataset::new("wegweiser");
    let mut intern = |m: CoverageMeasure| {
        d.kinds.insert(m.code.into(), m.kind);
        d.intern_measure(Measure {
            code: m.code.into(),
            label: m.label.into(),
            unit: m.unit.into(),
            statistic: "wegweiser".into(),
        })
    };
    let (offers, older, distance) = (intern(OFFERS), intern(OFFERS_FOR_OLDER), intern(DISTANCE));
    for (line, r) in rows.iter().enumerate() {
        let Ok(key) = crate::RegionKey::parse(&r.municipality) else {
            continue;
        };
        let region = d.intern_region(key, None);
        let mut push = |m: u32, period, value| {
            d.observations.push(crate::Observation {
                measure: m,
                region,
                period,
                breakdown: 0,
                value,
                quality: 0,
                line: line as u32 + 1,
            });
        };
        let count = |n: usize| crate::Value::number(n as f64, 0);
        push(offers, counts_at, count(r.counselling));
        push(older, older_at, count(r.counselling_for_older));
        if let Some(km) = r.nearest_counselling_km {
            push(
                distance,
                counts_at,
                crate::Value::number((km * 10.0).round() / 10.0, 1),
            );
        }
    }
    d.rows_read = rows.len();
    d
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

    #[test]
    fn the_centroid_is_weighted_by_area_and_holes_subtract() {
        let square = vec![
            (13.0, 51.0),
            (14.0, 51.0),
            (14.0, 52.0),
            (13.0, 52.0),
            (13.0, 51.0),
        ];
        let c = centroid(std::slice::from_ref(&square)).expect("centre");
        assert!((c.lat() - 51.5).abs() < 1e-9 && (c.lon() - 13.5).abs() < 1e-9);
        // A hole in the eastern half (clockwise) moves the centre west.
        let hole = vec![
            (13.6, 51.2),
            (13.6, 51.8),
            (13.9, 51.8),
            (13.9, 51.2),
            (13.6, 51.2),
        ];
        let c = centroid(&[square.clone(), hole]).expect("centre");
        assert!(c.lon() < 13.5 && (c.lat() - 51.5).abs() < 1e-9, "{c:?}");
        // The same outline drawn clockwise has the same centre.
        let mut cw = square;
        cw.reverse();
        let c = centroid(&[cw]).expect("centre");
        assert!((c.lon() - 13.5).abs() < 1e-9);
        assert_eq!(centroid(&[vec![(13.0, 51.0), (14.0, 51.0)]]), None);
    }

    #[test]
    fn coverage_counts_counselling_per_municipality_and_measures_to_the_nearest() {
        let freiberg = Position::new(50.9177, 13.3425);
        let chemnitz = Position::new(50.8322, 12.9253);
        let offers = [
            Offer::of(
                "14522180",
                freiberg,
                &[Topic::Debt],
                &[TargetGroup::Everyone],
            ),
            Offer::of("14522180", None, &[Topic::OldAge], &[TargetGroup::Older]),
            // Not counselling: counted nowhere, not a destination.
            Offer::of(
                "14522080",
                chemnitz,
                &[Topic::Meeting],
                &[TargetGroup::Older],
            ),
        ];
        let rows = coverage(
            &offers,
            &[
                ("14522180".into(), freiberg),
                ("14522080".into(), chemnitz),
                ("14522010".into(), None),
            ],
        );
        assert_eq!((rows[0].counselling, rows[0].counselling_for_older), (2, 1));
        assert_eq!(rows[0].nearest_counselling_km, Some(0.0));
        assert_eq!((rows[1].counselling, rows[1].counselling_for_older), (0, 0));
        let km = rows[1].nearest_counselling_km.expect("a distance");
        assert!((km - 30.9).abs() < 0.5, "{km}");
        assert_eq!(rows[2].nearest_counselling_km, None);
        let at = crate::Period::Date(2022, 12, 31);
        let d = coverage_dataset(&rows, at, crate::Period::Date(2015, 12, 31));
        assert_eq!(d.measures.len(), 3);
        // Two counts for each municipality, a distance for the two with a centre.
        assert_eq!(d.observations.len(), 8);
        let km_obs = d
            .observations
            .iter()
            .find(|o| o.measure == 2 && o.region == 1)
            .expect("Chemnitz's distance");
        let rounded = (km * 10.0).round() / 10.0;
        assert_eq!((km_obs.period, km_obs.value.number), (at, Some(rounded)));
        assert!(
            d.observations
                .iter()
                .any(|o| o.measure == 1 && o.period == crate::Period::Date(2015, 12, 31))
        );
    }
}
