//! The network of social planning and its participation formats: the kinds of actors
//! (organisations) and of events, each a closed list with a code for files and URLs and a German
//! label; whether an event lies ahead; and the network's shape as a bipartite graph of actors
//! and the action fields and target groups they work on.

use std::collections::BTreeMap;

/// Declares a closed list with its codes and German labels, in the order lists show it.
macro_rules! coded {
    ($(#[$m:meta])* $name:ident, $all:ident, [$($(#[$vm:meta])* $v:ident = $code:literal, $label:literal;)+]) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vm])* $v,)+
        }

        /// Every value, in the order lists show them.
        pub const $all: &[$name] = &[$($name::$v,)+];

        impl $name {
            /// The code in files and URLs.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$v => $code,)+
                }
            }

            /// The German label.
            pub fn label_de(self) -> &'static str {
                match self {
                    $($name::$v => $label,)+
                }
            }

            /// Reads a code.
            pub fn parse(s: &str) -> Option<$name> {
                $all.iter().copied().find(|k| k.code() == s.trim())
            }

            /// Reads what a person writes: the code or the German label, in any case.
            pub fn read(s: &str) -> Option<$name> {
                let s = s.trim().to_lowercase();
                $all
                    .iter()
                    .copied()
                    .find(|k| k.code() == s || k.label_de().to_lowercase() == s)
            }
        }
    };
}

coded!(
    /// What kind of organisation an actor is.
    ActorKind,
    ACTOR_KINDS,
    [
        /// A department of the district administration (Fachbereich, Amt).
        Department = "verwaltung", "Kreisverwaltung (Fachbereich, Amt)";
        /// A municipality of the district.
        Municipality = "gemeinde", "Gemeinde";
        /// A political body (Kreistag, committee).
        Council = "gremium", "Gremium (Kreistag, Ausschuss)";
        /// A welfare organisation (Wohlfahrtsverband) or provider.
        Welfare = "wohlfahrt", "Wohlfahrtsverband, freier Träger";
        /// A counselling service.
        Counselling = "beratung", "Beratungsstelle";
        /// An association or initiative.
        Association = "verein", "Verein, Initiative";
        /// A university or research institute.
        Research = "wissenschaft", "Hochschule, Forschung";
        /// A statistical office.
        Statistics = "statistik", "Statistikamt";
        /// Anything else.
        Other = "sonstige", "Sonstige";
    ]
);

coded!(
    /// The format of a participation event.
    EventFormat,
    EVENT_FORMATS,
    [
        /// A conference (the yearly DIALOG).
        Conference = "konferenz", "Konferenz";
        /// A Fachtag.
        Fachtag = "fachtag", "Fachtag";
        /// A forum (regional senior forums).
        Forum = "forum", "Forum";
        /// A workshop.
        Workshop = "werkstatt", "Werkstatt, Workshop";
        /// A presentation of results.
        Presentation = "praesentation", "Präsentation";
        /// A survey.
        Survey = "befragung", "Befragung";
        /// A meeting of a body or working group.
        Meeting = "sitzung", "Sitzung";
        /// Anything else.
        Other = "sonstige", "Sonstiges";
    ]
);

/// Whether an event dated `from` (ISO, as precisely as known: `2026-03-12`, `2026-03`, `2026`)
/// is still to come on day `today` (ISO date): an event of this month or year is still ahead
/// until the month or year is over, since its day is not known.
pub fn is_ahead(from: &str, today: &str) -> bool {
    let n = from.len().min(today.len());
    if n == 0 {
        return false;
    }
    match (from.get(..n), today.get(..n)) {
        (Some(f), Some(t)) => f >= t,
        _ => false,
    }
}

/// Whether an event from `from` to `to` (empty: one day) is over on day `today`: one still
/// running, or of this month, is not.
pub fn is_over(from: &str, to: &str, today: &str) -> bool {
    !is_ahead(end(from, to), today)
}

/// The last date of an event: its end, or its start when it has none.
fn end<'a>(from: &'a str, to: &'a str) -> &'a str {
    if to.trim().is_empty() { from } else { to }
}

/// The order events are listed in, newest first: by their end, then their start.
pub fn newest_first(a: (&str, &str), b: (&str, &str)) -> std::cmp::Ordering {
    end(b.0, b.1).cmp(end(a.0, a.1)).then(b.0.cmp(a.0))
}

/// Whether `to` lies before `from`, both as precisely as known: compared as far as both are
/// precise (`2026` to `2026-04` is fine), an empty `to` never does.
pub fn ends_before(from: &str, to: &str) -> bool {
    let n = from.len().min(to.len());
    !to.is_empty() && to.get(..n) < from.get(..n)
}

/// Events split into those coming or running on `today` (soonest first) and those over
/// (latest first); `dates` gives an event's start and end.
pub fn coming_and_past<T>(
    events: impl IntoIterator<Item = T>,
    dates: impl Fn(&T) -> (&str, &str),
    today: &str,
) -> (Vec<T>, Vec<T>) {
    let (mut coming, mut past): (Vec<T>, Vec<T>) = events.into_iter().partition(|e| {
        let (from, to) = dates(e);
        !is_over(from, to, today)
    });
    coming.sort_by(|a, b| dates(a).0.cmp(dates(b).0));
    past.sort_by(|a, b| newest_first(dates(a), dates(b)));
    (coming, past)
}

/// One side of the network graph: an action field or a target group an actor works on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Theme {
    /// An action field of the catalogue.
    Field(String),
    /// A target group (its German label).
    Group(String),
}

impl Theme {
    /// The label as shown.
    pub fn label(&self) -> &str {
        match self {
            Theme::Field(s) | Theme::Group(s) => s,
        }
    }
}

/// The network as a bipartite graph: the actors (by index into the list given) and, per
/// theme, the actors who work on it, themes in order (action fields first), actors in the
/// order given. Themes nobody works on are left out.
pub fn themes(actors: &[(Vec<String>, Vec<String>)]) -> BTreeMap<Theme, Vec<usize>> {
    let mut out: BTreeMap<Theme, Vec<usize>> = BTreeMap::new();
    for (i, (fields, groups)) in actors.iter().enumerate() {
        let field_themes = fields.iter().map(|f| Theme::Field(f.trim().to_string()));
        let group_themes = groups.iter().map(|g| Theme::Group(g.trim().to_string()));
        for t in field_themes.chain(group_themes) {
            if t.label().is_empty() {
                continue;
            }
            let list = out.entry(t).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_and_labels_are_read_too() {
        for k in ACTOR_KINDS {
            assert_eq!(ActorKind::parse(k.code()), Some(*k));
            assert_eq!(ActorKind::read(&k.label_de().to_uppercase()), Some(*k));
        }
        for f in EVENT_FORMATS {
            assert_eq!(EventFormat::parse(f.code()), Some(*f));
        }
        assert_eq!(EventFormat::read(" Fachtag "), Some(EventFormat::Fachtag));
        assert_eq!(EventFormat::parse("party"), None);
    }

    #[test]
    fn an_event_of_this_month_is_still_ahead_until_the_month_is_over() {
        assert!(is_ahead("2026-12", "2026-12-05"));
        assert!(is_ahead("2026", "2026-12-05"));
        assert!(is_ahead("2026-12-05", "2026-12-05"));
        assert!(!is_ahead("2026-12-04", "2026-12-05"));
        assert!(!is_ahead("2026-11", "2026-12-05"));
        assert!(!is_ahead("2025", "2026-12-05"));
        assert!(is_ahead("2027-01-01", "2026-12-05"));
        assert!(!is_ahead("", "2026-12-05"));
    }

    #[test]
    fn a_running_event_is_not_over_and_the_latest_end_comes_first() {
        assert!(!is_over("2026-01", "2026-12", "2026-12-05"));
        assert!(is_over("2026-01", "2026-06", "2026-12-05"));
        assert!(is_over("2025-04", "", "2026-12-05"));
        let mut v = [("2026-01", ""), ("2026-01", "2026-06"), ("2025-11", "")];
        v.sort_by(|a, b| newest_first(*a, *b));
        assert_eq!(
            v,
            [("2026-01", "2026-06"), ("2026-01", ""), ("2025-11", "")]
        );
    }

    #[test]
    fn an_end_before_the_start_is_caught_as_far_as_both_are_precise() {
        assert!(ends_before("2026-04", "2026-03"));
        assert!(!ends_before("2026", "2026-04"));
        assert!(!ends_before("2026-04-12", "2026-04"));
        assert!(!ends_before("2026-04", ""));
        let (coming, past) = coming_and_past(
            [
                ("2025-04", ""),
                ("2027-01", ""),
                ("2026-12", ""),
                ("2026-01", "2026-06"),
            ],
            |e| *e,
            "2026-12-05",
        );
        assert_eq!(coming, [("2026-12", ""), ("2027-01", "")]);
        assert_eq!(past, [("2026-01", "2026-06"), ("2025-04", "")]);
    }

    #[test]
    fn themes_list_each_actor_once_in_the_order_given() {
        let a = (vec!["Senior:innen".to_string()], vec!["Ältere".to_string()]);
        let b = (
            vec![
                "Senior:innen".to_string(),
                "Bildung".to_string(),
                " ".into(),
            ],
            vec![],
        );
        let t = themes(&[a, b]);
        let keys: Vec<&str> = t.keys().map(Theme::label).collect();
        assert_eq!(keys, ["Bildung", "Senior:innen", "Ältere"]);
        assert_eq!(t[&Theme::Field("Senior:innen".into())], [0, 1]);
        assert_eq!(t[&Theme::Group("Ältere".into())], [0]);
    }
}
