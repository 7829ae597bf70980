//! Query strings: which parameters each route knows, how many of each it takes, and their
//! canonical form, which is also the key of the response cache.
//!
//! A query string is decoded once, with `form_urlencoded`, into [`Params`]. Only the parameters
//! of the route survive, in the route's order, so `?b=1&a=2&utm=x` and `?a=2&b=1` are the same
//! request to the handler and to the cache, and an unknown parameter can neither change a page
//! nor create a cache entry. Every limit is checked before a handler runs: a hostile query costs
//! one linear pass over at most [`MAX_QUERY_BYTES`] bytes.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// Longest query string accepted. The longest one our own pages build (a comparison of five
/// regions and four indicators) is about 200 bytes.
pub const MAX_QUERY_BYTES: usize = 2048;

/// Longest path accepted; keys and file names are short, so a longer path is an attack or junk.
pub const MAX_PATH_BYTES: usize = 512;

/// Most `name=value` pairs in one query string, unknown names included.
pub const MAX_PAIRS: usize = 32;

/// Regions on the comparison page.
pub const MAX_REGIONS: usize = 5;

/// Indicators on the comparison page.
pub const MAX_INDICATORS: usize = 4;

/// Most map classes (the palette has seven colours).
pub const MAX_CLASSES: usize = 7;

/// Most manual class breaks (`methode=manual:1;2;3`).
pub const MAX_BREAKS: usize = 20;

/// A parameter a route knows, and how often it may appear.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// The name in the query string.
    pub name: &'static str,
    /// Most occurrences; 1 for a single value.
    pub max: usize,
}

const fn one(name: &'static str) -> Param {
    Param { name, max: 1 }
}

/// The parameters of an indicator view and its downloads.
const VIEW: &[Param] = &[one("gebiet"), one("jahr"), one("methode"), one("klassen")];
const CATALOGUE: &[Param] = &[one("feld"), one("gruppe"), one("q")];
const SEARCH: &[Param] = &[one("q")];
/// The services directory's filters.
const DIRECTORY: &[Param] = &[
    one("gemeinde"),
    one("thema"),
    one("zielgruppe"),
    one("q"),
    one("stufenlos"),
    one("leicht"),
    one("sprache"),
];
const COMPARE: &[Param] = &[
    Param {
        name: "r",
        max: MAX_REGIONS,
    },
    Param {
        name: "i",
        max: MAX_INDICATORS,
    },
];
const API_REGIONS: &[Param] = &[one("q"), one("parent")];
/// The Seniorenwegweiser booklet: the district's, or one municipality's.
const BOOKLET: &[Param] = &[one("gemeinde")];
const API_VALUES: &[Param] = &[
    one("indicator"),
    one("region"),
    one("children"),
    one("year"),
];

/// What a route does with its query string and its responses.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The parameters it reads.
    pub params: &'static [Param],
    /// Whether the response cache may keep its successful responses. The PDF is cached by its
    /// handler instead, by region alone.
    pub cached: bool,
}

/// The route of a path. This table must list every route with parameters that `router` has
/// (a router test requests each of them with an unknown parameter); a path not listed takes no
/// parameters.
pub fn route(path: &str) -> Route {
    let cached = |params| Route {
        params,
        cached: true,
    };
    let mut seg = path.trim_start_matches('/').split('/');
    match (seg.next(), seg.next(), seg.next(), seg.next()) {
        (Some("indikator"), Some(_), _, None) => cached(VIEW),
        (Some("katalog"), None, ..) => cached(CATALOGUE),
        (Some("suche"), None, ..) => cached(SEARCH),
        (Some("wegweiser" | "seniorenwegweiser"), None, ..) => cached(DIRECTORY),
        (Some("vergleich"), None, ..) => cached(COMPARE),
        // Coming and past depend on today's date, not only on the data.
        (Some("beteiligung"), None, ..) => Route {
            params: &[],
            cached: false,
        },
        (Some("seniorenwegweiser.pdf"), None, ..) => Route {
            params: BOOKLET,
            cached: false,
        },
        (Some("gemeinde"), Some(_), Some("profil.pdf"), None) => Route {
            params: &[],
            cached: false,
        },
        (Some("api"), Some("v1"), Some("regions"), None) => cached(API_REGIONS),
        (Some("api"), Some("v1"), Some("values"), None) => cached(API_VALUES),
        _ => cached(&[]),
    }
}

/// Why a query string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// The path is longer than [`MAX_PATH_BYTES`].
    PathTooLong,
    /// The query string is longer than [`MAX_QUERY_BYTES`].
    TooLong,
    /// More than [`MAX_PAIRS`] pairs.
    TooManyPairs,
    /// A parameter given more often than it may be.
    TooMany {
        /// Its name.
        name: &'static str,
        /// How often it may appear.
        max: usize,
    },
}

impl QueryError {
    /// The message for a person, in German.
    pub fn message_de(&self) -> String {
        match self {
            QueryError::PathTooLong => "Die Adresse ist zu lang.".into(),
            QueryError::TooLong => format!(
                "Die Adresse ist zu lang: Die Angaben nach dem Fragezeichen dürfen höchstens {MAX_QUERY_BYTES} Zeichen lang sein."
            ),
            QueryError::TooManyPairs => {
                format!("Die Adresse enthält mehr als {MAX_PAIRS} Angaben.")
            }
            QueryError::TooMany { name, max: 1 } => {
                format!("Die Angabe „{name}“ darf nur einmal vorkommen.")
            }
            QueryError::TooMany { name, max } => {
                format!("Die Angabe „{name}“ darf höchstens {max}-mal vorkommen.")
            }
        }
    }

    /// The message for the JSON API, in English like the API's other messages.
    pub fn message_en(&self) -> String {
        match self {
            QueryError::PathTooLong => format!("path longer than {MAX_PATH_BYTES} bytes"),
            QueryError::TooLong => format!("query string longer than {MAX_QUERY_BYTES} bytes"),
            QueryError::TooManyPairs => format!("more than {MAX_PAIRS} query parameters"),
            QueryError::TooMany { name, max } => {
                format!("parameter {name} given more than {max} times")
            }
        }
    }
}

/// The known parameters of one request, decoded, in canonical order. Empty values are dropped:
/// every handler treats `gebiet=` like a missing `gebiet`, and so one page has one key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(&'static str, String)>,
}

impl Params {
    /// Checks the limits and keeps the parameters of `known`, in its order; several values of
    /// one name keep their order (the comparison's columns).
    pub fn parse(query: Option<&str>, known: &[Param]) -> Result<Params, QueryError> {
        let raw = query.unwrap_or("");
        if raw.len() > MAX_QUERY_BYTES {
            return Err(QueryError::TooLong);
        }
        let mut seen = vec![0usize; known.len()];
        let mut found: Vec<(usize, String)> = Vec::new();
        for (n, (name, value)) in form_urlencoded::parse(raw.as_bytes()).enumerate() {
            if n >= MAX_PAIRS {
                return Err(QueryError::TooManyPairs);
            }
            let Some(i) = known.iter().position(|p| p.name == name) else {
                continue;
            };
            seen[i] += 1;
            if seen[i] > known[i].max {
                return Err(QueryError::TooMany {
                    name: known[i].name,
                    max: known[i].max,
                });
            }
            if !value.trim().is_empty() {
                found.push((i, value.into_owned()));
            }
        }
        // Stable: values of one name keep their order.
        found.sort_by_key(|(i, _)| *i);
        Ok(Params {
            pairs: found.into_iter().map(|(i, v)| (known[i].name, v)).collect(),
        })
    }

    /// The first value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All values of a parameter, in request order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The canonical query string (empty when there are no parameters).
    pub fn canonical(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.pairs.iter().map(|(n, v)| (*n, v.as_str())))
            .finish()
    }

    /// The cache key of a request for `path` with these parameters.
    pub fn key(&self, path: &str) -> String {
        if self.pairs.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", self.canonical())
        }
    }
}

/// Handlers take the parameters the caching middleware decoded and checked; a request that
/// did not pass through it (none does in the router) is decoded here by the same rules, and
/// one over the limits gets no parameters, since the middleware answers it before a handler.
impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Params, Infallible> {
        if let Some(p) = parts.extensions.get::<Params>() {
            return Ok(p.clone());
        }
        let known = route(parts.uri.path()).params;
        Ok(Params::parse(parts.uri.query(), known).unwrap_or_default())
    }
}

/// Whether a manual class method (`manual:1;2;3`, `manuell:1,5;2`) has more than
/// [`MAX_BREAKS`] breaks. Counted before the breaks are parsed, so that a long list costs
/// nothing.
pub fn too_many_breaks(method: &str) -> bool {
    let t = method.trim();
    let Some(list) = t.strip_prefix("manual:").or(t.strip_prefix("manuell:")) else {
        return false;
    };
    // The same separator rule as `Method::parse`: `;` between breaks if there is one, else `,`.
    let sep = if list.contains(';') { ';' } else { ',' };
    list.split(sep).count() > MAX_BREAKS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_keep_their_order_and_decode_utf8() {
        let p =
            Params::parse(Some("r=14522&i=x&r=15082&q=Frei+berg%C3%BC"), COMPARE).expect("valid");
        assert_eq!(p.all("r").collect::<Vec<_>>(), ["14522", "15082"]);
        assert_eq!(p.canonical(), "r=14522&r=15082&i=x");
        let s = Params::parse(Some("q=Frei+berg%C3%BC"), SEARCH).expect("valid");
        assert_eq!(s.get("q"), Some("Frei bergü"));
    }

    /// Regression: the hand-written decoder sliced `%aü` in the middle of `ü` and panicked.
    #[test]
    fn percent_before_a_multibyte_character_does_not_panic() {
        for q in [
            "r=%aü", "r=%ü", "r=%", "r=%%a", "r=ü%a", "r=%C3", "r=%ff%fe", "%aü=1",
        ] {
            let p = Params::parse(Some(q), COMPARE).expect(q);
            assert!(p.all("r").all(|v| !v.is_empty()), "{q}");
        }
        let p = Params::parse(Some("r=%aü"), COMPARE).expect("valid");
        assert_eq!(p.get("r"), Some("%aü"));
    }

    #[test]
    fn unknown_and_empty_parameters_do_not_change_the_key() {
        let a =
            Params::parse(Some("klassen=4&gebiet=14522&utm_source=x&jahr="), VIEW).expect("valid");
        let b = Params::parse(Some("gebiet=14522&klassen=4"), VIEW).expect("valid");
        assert_eq!(a, b);
        assert_eq!(a.key("/indikator/x"), "/indikator/x?gebiet=14522&klassen=4");
        let none = Params::parse(Some("a=1&b=2"), VIEW).expect("valid");
        assert_eq!(none.key("/indikator/x"), "/indikator/x");
    }

    #[test]
    fn limits_are_refused() {
        let long = "r=a&".repeat(8000);
        assert_eq!(
            Params::parse(Some(&long), COMPARE),
            Err(QueryError::TooLong)
        );
        let six = "r=a&".repeat(6);
        assert_eq!(
            Params::parse(Some(&six), COMPARE),
            Err(QueryError::TooMany {
                name: "r",
                max: MAX_REGIONS
            })
        );
        assert!(Params::parse(Some(&"r=a&".repeat(5)), COMPARE).is_ok());
        assert!(Params::parse(Some(&"i=a&".repeat(5)), COMPARE).is_err());
        assert_eq!(
            Params::parse(Some("jahr=1&jahr=2"), VIEW),
            Err(QueryError::TooMany {
                name: "jahr",
                max: 1
            })
        );
        let junk = "x=1&".repeat(MAX_PAIRS + 1);
        assert_eq!(
            Params::parse(Some(&junk), VIEW),
            Err(QueryError::TooManyPairs)
        );
    }

    #[test]
    fn routes_know_their_parameters() {
        assert_eq!(route("/indikator/anteil_65_plus").params.len(), 4);
        assert_eq!(route("/indikator/anteil_65_plus/daten.csv").params.len(), 4);
        assert_eq!(route("/vergleich").params[0].max, MAX_REGIONS);
        assert!(!route("/gemeinde/14522010/profil.pdf").cached);
        assert!(route("/gemeinde/14522010").params.is_empty());
        assert_eq!(route("/api/v1/values").params.len(), 4);
        assert!(route("/api/v1/values/x").params.is_empty());
    }

    #[test]
    fn manual_breaks_are_counted_before_parsing() {
        assert!(!too_many_breaks("jenks"));
        assert!(!too_many_breaks("manual:1;2;3"));
        let many = format!("manual:{}", vec!["1,5"; 21].join(";"));
        assert!(too_many_breaks(&many));
        let many = format!("manuell:{}", vec!["1"; 3000].join(","));
        assert!(too_many_breaks(&many));
        let twenty = format!("manual:{}", vec!["1"; 20].join(","));
        assert!(!too_many_breaks(&twenty));
    }
}
