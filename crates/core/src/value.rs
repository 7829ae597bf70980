//! Published statistical values: a number or a statistical symbol (Zeichenerklärung), with quality
//! marks, kept so that what was published is exactly what comes out again.

use std::fmt::Write as _;

/// A statistical symbol that stands in place of a number. They are kept, never turned into 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// `-`: nothing, exactly zero.
    Nil,
    /// `.`: unknown or kept secret.
    Secret,
    /// `...`: not yet available.
    NotYetAvailable,
    /// `/`: not reliable enough to publish.
    Unreliable,
    /// `x`: not meaningful, or blocked for a reason of content.
    NotMeaningful,
}

impl Symbol {
    /// The symbol as published.
    pub fn as_str(self) -> &'static str {
        match self {
            Symbol::Nil => "-",
            Symbol::Secret => ".",
            Symbol::NotYetAvailable => "...",
            Symbol::Unreliable => "/",
            Symbol::NotMeaningful => "x",
        }
    }

    /// Stable small integer used in storage.
    pub fn code(self) -> u8 {
        match self {
            Symbol::Nil => 1,
            Symbol::Secret => 2,
            Symbol::NotYetAvailable => 3,
            Symbol::Unreliable => 4,
            Symbol::NotMeaningful => 5,
        }
    }

    /// Inverse of [`Symbol::code`].
    pub fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            1 => Symbol::Nil,
            2 => Symbol::Secret,
            3 => Symbol::NotYetAvailable,
            4 => Symbol::Unreliable,
            5 => Symbol::NotMeaningful,
            _ => return None,
        })
    }

    /// Recognises a symbol, also the variants `…` and `X` seen in some exports.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "-" | "–" => Symbol::Nil,
            "." => Symbol::Secret,
            "..." | "…" => Symbol::NotYetAvailable,
            "/" => Symbol::Unreliable,
            "x" | "X" => Symbol::NotMeaningful,
            _ => return None,
        })
    }

    /// The meaning in German, as in the Zeichenerklärung of the statistical offices.
    pub fn meaning_de(self) -> &'static str {
        match self {
            Symbol::Nil => "nichts vorhanden (genau null)",
            Symbol::Secret => "Zahlenwert unbekannt oder geheim zu halten",
            Symbol::NotYetAvailable => "Angabe fällt später an",
            Symbol::Unreliable => "keine Angaben, da Zahlenwert nicht sicher genug",
            Symbol::NotMeaningful => "Tabellenfach gesperrt, weil Aussage nicht sinnvoll",
        }
    }
}

/// The decimal separator of a source file: `,` in German exports, `.` in English ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalSeparator {
    /// `27,42`
    Comma,
    /// `27.42`
    Point,
}

/// Why a cell is neither a number nor a known symbol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Empty cell where a value is required.
    #[error("empty value")]
    Empty,
    /// Not a number, not a symbol.
    #[error("`{0}` is neither a number nor a statistical symbol (-, ., ..., /, x)")]
    Invalid(String),
}

impl ValueError {
    /// The same in German (the workspace).
    pub fn german(&self) -> String {
        match self {
            ValueError::Empty => "leerer Wert".into(),
            ValueError::Invalid(t) => format!(
                "„{t}“ ist weder eine Zahl noch ein statistisches Zeichen (-, ., ..., /, x)"
            ),
        }
    }
}

/// Quality flag bits carried by a value.
pub mod flags {
    /// `p`: provisional (vorläufig).
    pub const PROVISIONAL: u8 = 1;
    /// `r`: revised (berichtigt).
    pub const REVISED: u8 = 2;
    /// `s`: estimated (geschätzt).
    pub const ESTIMATED: u8 = 4;
    /// `( )`: limited reliability (Aussagewert eingeschränkt).
    pub const LIMITED: u8 = 8;
    /// Published with a decimal point rather than a comma.
    pub const POINT: u8 = 16;
}

/// One published cell: a number (with the number of decimals it was published with) or a symbol,
/// plus quality flags. [`Value::render`] gives back exactly the published text.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The number, when the cell holds one.
    pub number: Option<f64>,
    /// The symbol, when the cell holds one instead of a number.
    pub symbol: Option<Symbol>,
    /// Decimal places as published (`27,40` → 2).
    pub decimals: u8,
    /// Bits from [`flags`].
    pub flags: u8,
    /// The published text, kept only when the canonical rendering would differ (e.g. `+5`, `007`).
    pub raw: Option<Box<str>>,
}

impl Value {
    /// A plain number with the given decimals.
    pub fn number(n: f64, decimals: u8) -> Self {
        Value {
            number: Some(n),
            symbol: None,
            decimals,
            flags: 0,
            raw: None,
        }
    }

    /// A symbol.
    pub fn symbol(s: Symbol) -> Self {
        Value {
            number: None,
            symbol: Some(s),
            decimals: 0,
            flags: 0,
            raw: None,
        }
    }

    /// Parses a published cell. Surrounding blanks are ignored; the `p`/`r`/`s` suffixes and
    /// parentheses set quality flags. A plain `0` is the number zero.
    pub fn parse(text: &str, sep: DecimalSeparator) -> Result<Self, ValueError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(ValueError::Empty);
        }
        if let Some(sym) = Symbol::parse(t) {
            let mut v = Value::symbol(sym);
            if sym.as_str() != t {
                v.raw = Some(t.into());
            }
            return Ok(v);
        }
        let mut body = t;
        let mut fl = 0u8;
        if body.len() > 2 && body.starts_with('(') && body.ends_with(')') {
            body = &body[1..body.len() - 1];
            fl |= flags::LIMITED;
        }
        while let Some(last) = body.as_bytes().last() {
            let f = match last {
                b'p' => flags::PROVISIONAL,
                b'r' => flags::REVISED,
                b's' => flags::ESTIMATED,
                _ => break,
            };
            if fl & f != 0 {
                break;
            }
            fl |= f;
            body = body[..body.len() - 1].trim_end();
        }
        if let Some(sym) = Symbol::parse(body) {
            let mut v = Value::symbol(sym);
            v.flags = fl;
            if v.render() != t {
                v.raw = Some(t.into());
            }
            return Ok(v);
        }
        let (number, decimals, point) =
            parse_number(body, sep).ok_or_else(|| ValueError::Invalid(t.to_string()))?;
        if point {
            fl |= flags::POINT;
        }
        let mut v = Value {
            number: Some(number),
            symbol: None,
            decimals,
            flags: fl,
            raw: None,
        };
        // Rendering to compare costs an allocation per cell; only texts that are not in the
        // canonical form (sign, leading zeros, "-0") need the check.
        if (!canonical_number(body) || fl & !flags::POINT != 0) && v.render() != t {
            v.raw = Some(t.into());
        }
        Ok(v)
    }

    /// The text as published.
    pub fn render(&self) -> String {
        if let Some(r) = &self.raw {
            return r.to_string();
        }
        let mut s = String::new();
        match (self.symbol, self.number) {
            (Some(sym), _) => s.push_str(sym.as_str()),
            (None, Some(n)) => {
                let _ = write!(s, "{:.*}", self.decimals as usize, n);
                if self.flags & flags::POINT == 0 {
                    s = s.replace('.', ",");
                }
                if s.starts_with("-0")
                    && n == 0.0
                    && !s.bytes().skip(1).any(|b| (b'1'..=b'9').contains(&b))
                {
                    // "-0" arises from a negative number rounding to zero; published text never has it.
                    s.remove(0);
                }
            }
            (None, None) => {}
        }
        if self.flags & flags::PROVISIONAL != 0 {
            s.push('p');
        }
        if self.flags & flags::REVISED != 0 {
            s.push('r');
        }
        if self.flags & flags::ESTIMATED != 0 {
            s.push('s');
        }
        if self.flags & flags::LIMITED != 0 {
            s = format!("({s})");
        }
        s
    }

    /// The number in German format with the published decimals (`1.234,5`), or the symbol.
    pub fn german(&self) -> String {
        match (self.symbol, self.number) {
            (Some(sym), _) => sym.as_str().to_string(),
            (None, Some(n)) => crate::format::german_number(n, self.decimals as usize),
            _ => String::new(),
        }
    }
}

/// Whether a number's text is what [`Value::render`] would write: no `+`, no leading zeros, no
/// negative zero.
fn canonical_number(s: &str) -> bool {
    let b = s.as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'+') => return false,
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.len() > 1 && digits[0] == b'0' && digits[1].is_ascii_digit() {
        return false;
    }
    !(neg && digits.iter().all(|c| !(b'1'..=b'9').contains(c)))
}

/// Parses `-12,5` / `-12.5` style numbers without thousands separators. Returns the number, its
/// decimals and whether a point was used.
fn parse_number(s: &str, sep: DecimalSeparator) -> Option<(f64, u8, bool)> {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == int_start {
        return None;
    }
    let mut decimals = 0u8;
    let mut point = false;
    if i < b.len() {
        let c = b[i];
        let ok = match sep {
            DecimalSeparator::Comma => c == b',',
            DecimalSeparator::Point => c == b'.',
        };
        if !ok {
            return None;
        }
        point = c == b'.';
        i += 1;
        let frac = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == frac || i != b.len() || i - frac > 30 {
            return None;
        }
        decimals = (i - frac) as u8;
    }
    let n: f64 = if point {
        s.parse().ok()?
    } else {
        s.replace(',', ".").parse().ok()?
    };
    if !n.is_finite() {
        return None;
    }
    Some((n, decimals, point))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn de(s: &str) -> Value {
        Value::parse(s, DecimalSeparator::Comma).expect("valid")
    }

    #[test]
    fn symbols_stay_symbols() {
        for s in ["-", ".", "...", "/", "x"] {
            let v = de(s);
            assert!(v.number.is_none(), "{s} must not become a number");
            assert_eq!(v.render(), s);
        }
        assert_eq!(de("-").symbol, Some(Symbol::Nil));
        assert_eq!(de("0").number, Some(0.0));
    }

    #[test]
    fn numbers_keep_their_published_form() {
        let v = de("27,42");
        assert_eq!(v.number, Some(27.42));
        assert_eq!(v.render(), "27,42");
        assert_eq!(de("-0,3").number, Some(-0.3));
        assert_eq!(de("-0,3").render(), "-0,3");
        assert_eq!(de("27,40").render(), "27,40");
        assert_eq!(de("+5").render(), "+5");
        assert_eq!(de("1234p").flags & flags::PROVISIONAL, flags::PROVISIONAL);
        assert_eq!(de("1234p").render(), "1234p");
        assert_eq!(de("(12,5)").render(), "(12,5)");
        assert_eq!(
            Value::parse("27.42", DecimalSeparator::Point)
                .expect("en")
                .render(),
            "27.42"
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(Value::parse("12,5", DecimalSeparator::Point).is_err());
        assert!(Value::parse("1.234,5", DecimalSeparator::Comma).is_err());
        assert!(Value::parse("abc", DecimalSeparator::Comma).is_err());
        assert_eq!(
            Value::parse("  ", DecimalSeparator::Comma),
            Err(ValueError::Empty)
        );
    }

    proptest! {
        #[test]
        fn published_numbers_round_trip(int in -9_999_999i64..99_999_999, frac in "[0-9]{0,4}", suffix in "|p|r|s") {
            let text = if frac.is_empty() { format!("{int}{suffix}") } else { format!("{int},{frac}{suffix}") };
            let v = Value::parse(&text, DecimalSeparator::Comma).expect("valid number");
            prop_assert_eq!(v.render(), text);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,12}") {
            if let Ok(v) = Value::parse(&s, DecimalSeparator::Comma) {
                prop_assert_eq!(v.render(), s.trim());
            }
        }
    }
}
