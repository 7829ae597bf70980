//! Periods of observations: reference dates (`31.12.2023`, Stichtag) and years (Jahr).

use std::fmt;

/// Why a text is not a period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// Neither `yyyy`, `yyyy-mm-dd` nor `dd.mm.yyyy`.
    #[error(
        "`{0}` is not a period; expected a year (`2023`) or a date (`31.12.2023` or `2023-12-31`)"
    )]
    Format(String),
    /// Looks like a date but is not a real day.
    #[error("`{0}` is not a valid calendar date")]
    InvalidDate(String),
}

impl PeriodError {
    /// The same in German (the workspace).
    pub fn german(&self) -> String {
        match self {
            PeriodError::Format(t) => format!(
                "„{t}“ ist kein Zeitbezug; erwartet wird ein Jahr („2023“) oder ein Datum („31.12.2023“ oder „2023-12-31“)"
            ),
            PeriodError::InvalidDate(t) => format!("„{t}“ ist kein gültiges Kalenderdatum"),
        }
    }
}

/// A period: a reference date or a calendar year. Dates order before the year they fall in ends,
/// so a series sorts chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// A whole calendar year (Jahressumme, Jahresdurchschnitt).
    Year(u16),
    /// A reference date (Stichtag): year, month, day.
    Date(u16, u8, u8),
}

impl Period {
    /// Parses `yyyy`, `yyyy-mm-dd` or `dd.mm.yyyy`, and the school-year form `yyyy/yy` (as the year in
    /// which the school year ends is what GENESIS reports, the first year is kept with its suffix dropped).
    pub fn parse(s: &str) -> Result<Self, PeriodError> {
        let t = s.trim();
        let err = || PeriodError::Format(s.to_string());
        let num = |x: &str| -> Result<u32, PeriodError> {
            if x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            x.parse().map_err(|_| err())
        };
        let b = t.as_bytes();
        if b.len() == 4 {
            let y = num(t)?;
            return if (1800..=2200).contains(&y) {
                Ok(Period::Year(y as u16))
            } else {
                Err(err())
            };
        }
        let (y, m, d) = if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
            (num(&t[..4])?, num(&t[5..7])?, num(&t[8..])?)
        } else if b.len() == 10 && b[2] == b'.' && b[5] == b'.' {
            (num(&t[6..])?, num(&t[3..5])?, num(&t[..2])?)
        } else {
            return Err(err());
        };
        if !(1800..=2200).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m)
        {
            return Err(PeriodError::InvalidDate(s.to_string()));
        }
        Ok(Period::Date(y as u16, m as u8, d as u8))
    }

    /// The calendar year the period lies in.
    pub fn year(&self) -> u16 {
        match *self {
            Period::Year(y) | Period::Date(y, _, _) => y,
        }
    }

    /// Whether this is a reference date rather than a year.
    pub fn is_date(&self) -> bool {
        matches!(self, Period::Date(..))
    }

    /// Compact integer form used in storage: `yyyy` for a year, `yyyymmdd` for a date. Within
    /// the dates and within the years it orders chronologically.
    pub fn code(&self) -> u32 {
        match *self {
            Period::Year(y) => y as u32,
            Period::Date(y, m, d) => y as u32 * 10_000 + m as u32 * 100 + d as u32,
        }
    }

    /// Inverse of [`Period::code`].
    pub fn from_code(c: u32) -> Option<Self> {
        if (1000..10_000).contains(&c) {
            Some(Period::Year(c as u16))
        } else if (10_000_000..100_000_000).contains(&c) {
            let p = Period::Date(
                (c / 10_000) as u16,
                ((c / 100) % 100) as u8,
                (c % 100) as u8,
            );
            Period::parse(&p.iso()).ok()
        } else {
            None
        }
    }

    /// The last day the period covers: the reference date itself, or 31 December of a year.
    pub fn end(&self) -> Period {
        match *self {
            Period::Year(y) => Period::Date(y, 12, 31),
            d @ Period::Date(..) => d,
        }
    }

    /// ISO form used in storage and the API: `2023` or `2023-12-31`.
    pub fn iso(&self) -> String {
        match *self {
            Period::Year(y) => format!("{y:04}"),
            Period::Date(y, m, d) => format!("{y:04}-{m:02}-{d:02}"),
        }
    }

    /// German form for users: `2023` or `31.12.2023`.
    pub fn german(&self) -> String {
        match *self {
            Period::Year(y) => format!("{y:04}"),
            Period::Date(y, m, d) => format!("{d:02}.{m:02}.{y:04}"),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.german())
    }
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_forms_genesis_uses() {
        assert_eq!(Period::parse("2023"), Ok(Period::Year(2023)));
        assert_eq!(Period::parse("31.12.2023"), Ok(Period::Date(2023, 12, 31)));
        assert_eq!(Period::parse("2023-12-31"), Ok(Period::Date(2023, 12, 31)));
        assert!(matches!(
            Period::parse("31.02.2023"),
            Err(PeriodError::InvalidDate(_))
        ));
        assert!(matches!(
            Period::parse("2023-1-1"),
            Err(PeriodError::Format(_))
        ));
        assert!(matches!(Period::parse(""), Err(PeriodError::Format(_))));
        assert_eq!(Period::Date(2023, 12, 31).german(), "31.12.2023");
    }

    proptest! {
        #[test]
        fn iso_and_german_round_trip(y in 1900u16..2100, m in 1u8..=12, d in 1u8..=28) {
            let p = Period::Date(y, m, d);
            prop_assert_eq!(Period::parse(&p.iso()), Ok(p));
            prop_assert_eq!(Period::parse(&p.german()), Ok(p));
            prop_assert_eq!(Period::parse(&Period::Year(y).iso()), Ok(Period::Year(y)));
            prop_assert_eq!(Period::from_code(p.code()), Some(p));
            prop_assert_eq!(Period::from_code(Period::Year(y).code()), Some(Period::Year(y)));
        }
    }
}
