//! Official region keys: AGS (Amtlicher Gemeindeschlüssel, 8 digits), ARS (Regionalschlüssel,
//! 12 digits) and the canonical [`RegionKey`] under which every region is stored.

use std::fmt;

use crate::region::RegionLevel;

/// Why a text is not a valid region key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key is empty.
    #[error("empty region key")]
    Empty,
    /// A character other than an ASCII digit where digits are expected.
    #[error("region key `{0}` contains a character that is not a digit")]
    NotDigits(String),
    /// The key has a length that no official key has.
    #[error(
        "region key `{0}` has {1} digits; expected 2 (Land), 3 (Regierungsbezirk), 5 (Kreis), 8 (AGS), 9 (Gemeindeverband) or 12 (ARS)"
    )]
    BadLength(String, usize),
    /// A sub-municipal area key whose local part is empty or not plain text.
    #[error(
        "sub-municipal key `{0}` must look like `AGS:code` with a code of letters, digits, `-` or `_`"
    )]
    BadLocal(String),
}

impl KeyError {
    /// The same in German (the workspace).
    pub fn german(&self) -> String {
        match self {
            KeyError::Empty => "leerer Regionalschlüssel".into(),
            KeyError::NotDigits(k) => {
                format!("der Regionalschlüssel „{k}“ enthält ein Zeichen, das keine Ziffer ist")
            }
            KeyError::BadLength(k, n) => format!(
                "der Regionalschlüssel „{k}“ hat {n} Stellen; erwartet werden 2 (Land), 3 (Regierungsbezirk), 5 (Kreis), 8 (AGS), 9 (Gemeindeverband) oder 12 (ARS)"
            ),
            KeyError::BadLocal(k) => format!(
                "der kleinräumige Schlüssel „{k}“ muss die Form „AGS:Kürzel“ haben, das Kürzel aus Buchstaben, Ziffern, „-“ oder „_“"
            ),
        }
    }
}

/// An 8-digit Amtlicher Gemeindeschlüssel: Land (2) + Regierungsbezirk (1) + Kreis (2) + Gemeinde (3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ags([u8; 8]);

impl Ags {
    /// Parses exactly eight ASCII digits.
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        let b = digits(s)?;
        <[u8; 8]>::try_from(b)
            .map(Ags)
            .map_err(|_| KeyError::BadLength(s.to_string(), s.len()))
    }

    /// The key as text (leading zeros kept).
    pub fn as_str(&self) -> &str {
        // Safety of the expect: only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("00000000")
    }

    /// The 5-digit Kreis part.
    pub fn kreis(&self) -> &str {
        &self.as_str()[..5]
    }
}

impl fmt::Display for Ags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A 12-digit Regionalschlüssel: Land (2) + RB (1) + Kreis (2) + Gemeindeverband (4) + Gemeinde (3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ars([u8; 12]);

impl Ars {
    /// Parses exactly twelve ASCII digits.
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        let b = digits(s)?;
        <[u8; 12]>::try_from(b)
            .map(Ars)
            .map_err(|_| KeyError::BadLength(s.to_string(), s.len()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("000000000000")
    }

    /// The municipality's AGS: `ARS[0..5] + ARS[9..12]`.
    pub fn ags(&self) -> Ags {
        let mut a = [0u8; 8];
        a[..5].copy_from_slice(&self.0[..5]);
        a[5..].copy_from_slice(&self.0[9..]);
        Ags(a)
    }

    /// The 9-digit Gemeindeverband key (`ARS[0..9]`).
    pub fn verband(&self) -> &str {
        &self.as_str()[..9]
    }
}

impl fmt::Display for Ars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn digits(s: &str) -> Result<&[u8], KeyError> {
    if s.is_empty() {
        return Err(KeyError::Empty);
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(KeyError::NotDigits(s.to_string()));
    }
    Ok(s.as_bytes())
}

/// The canonical key of a region as stored: `DG` for Germany, 2 digits for a Land, 3 for a
/// Regierungsbezirk, 5 for a Kreis, 9 for a Gemeindeverband, the 8-digit AGS for a Gemeinde, and
/// `AGS:code` for a user-defined sub-municipal area (Ortsteil, Sozialraum).
///
/// A 12-digit ARS is accepted on parsing and turned into the municipality's AGS, so a user can always
/// address a municipality by its AGS whatever key the source file used.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionKey(Box<str>);

impl RegionKey {
    /// The key of Germany as GENESIS writes it.
    pub const GERMANY: &'static str = "DG";

    /// Parses and normalises a key; surrounding white space is ignored.
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(KeyError::Empty);
        }
        if s == Self::GERMANY || s == "DE" || s == "0" {
            return Ok(RegionKey(Self::GERMANY.into()));
        }
        if let Some((ags, local)) = s.split_once(':') {
            let ags = Ags::parse(ags)?;
            if local.is_empty()
                || !local
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(KeyError::BadLocal(s.to_string()));
            }
            return Ok(RegionKey(format!("{ags}:{local}").into()));
        }
        digits(s)?;
        match s.len() {
            2 | 3 | 5 | 8 | 9 => Ok(RegionKey(s.into())),
            12 => Ok(RegionKey(Ars::parse(s)?.ags().as_str().into())),
            n => Err(KeyError::BadLength(s.to_string(), n)),
        }
    }

    /// Builds the key of a municipality.
    pub fn from_ags(ags: Ags) -> Self {
        RegionKey(ags.as_str().into())
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level this key denotes.
    pub fn level(&self) -> RegionLevel {
        if self.0.contains(':') {
            return RegionLevel::SubMunicipal;
        }
        match self.0.len() {
            2 if &*self.0 == Self::GERMANY => RegionLevel::Germany,
            2 => RegionLevel::Land,
            3 => RegionLevel::Regierungsbezirk,
            5 => RegionLevel::Kreis,
            9 => RegionLevel::Gemeindeverband,
            _ => RegionLevel::Gemeinde,
        }
    }

    /// The key of the region this key lies in by its digits alone (Gemeinde → Kreis → RB → Land →
    /// Germany); a register may override it (e.g. a Gemeinde in a Gemeindeverband).
    pub fn natural_parent(&self) -> Option<RegionKey> {
        let s = &*self.0;
        let p: &str = match self.level() {
            RegionLevel::Germany => return None,
            RegionLevel::Land => Self::GERMANY,
            RegionLevel::Regierungsbezirk => &s[..2],
            RegionLevel::Kreis => &s[..3],
            RegionLevel::Gemeindeverband | RegionLevel::Gemeinde => &s[..5],
            RegionLevel::SubMunicipal => &s[..8],
        };
        Some(RegionKey(p.into()))
    }
}

impl fmt::Display for RegionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ars_of_a_municipality_becomes_its_ags() {
        let k = RegionKey::parse("145220275275").expect("valid ARS");
        assert_eq!(k.as_str(), "14522275");
        assert_eq!(k.level(), RegionLevel::Gemeinde);
        assert_eq!(k.natural_parent().expect("parent").as_str(), "14522");
    }

    #[test]
    fn bad_keys_are_rejected_with_a_reason() {
        assert_eq!(
            RegionKey::parse("1452"),
            Err(KeyError::BadLength("1452".into(), 4))
        );
        assert!(matches!(
            RegionKey::parse("14a22"),
            Err(KeyError::NotDigits(_))
        ));
        assert_eq!(RegionKey::parse("  "), Err(KeyError::Empty));
        assert!(matches!(
            RegionKey::parse("14522180:"),
            Err(KeyError::BadLocal(_))
        ));
    }

    #[test]
    fn levels_follow_the_key_length() {
        let lv = |s: &str| RegionKey::parse(s).expect("valid").level();
        assert_eq!(lv("DG"), RegionLevel::Germany);
        assert_eq!(lv("14"), RegionLevel::Land);
        assert_eq!(lv("145"), RegionLevel::Regierungsbezirk);
        assert_eq!(lv("14522"), RegionLevel::Kreis);
        assert_eq!(lv("145225101"), RegionLevel::Gemeindeverband);
        assert_eq!(lv("14522180"), RegionLevel::Gemeinde);
        assert_eq!(lv("14522180:ot-05"), RegionLevel::SubMunicipal);
    }

    proptest! {
        #[test]
        fn ars_and_ags_agree(ars in "[0-9]{12}") {
            let a = Ars::parse(&ars).expect("12 digits");
            let via_key = RegionKey::parse(&ars).expect("12 digits");
            let ags = a.ags();
            prop_assert_eq!(via_key.as_str(), ags.as_str());
            prop_assert_eq!(&ags.as_str()[..5], &ars[..5]);
            prop_assert_eq!(&ags.as_str()[5..], &ars[9..]);
        }

        #[test]
        fn valid_keys_round_trip(k in "[0-9]{2}|[0-9]{3}|[0-9]{5}|[0-9]{8}|[0-9]{9}") {
            let key = RegionKey::parse(&k).expect("valid length");
            prop_assert_eq!(key.as_str(), k.as_str());
            prop_assert_eq!(RegionKey::parse(key.as_str()).expect("again"), key);
        }

        #[test]
        fn any_text_either_parses_or_errs(s in "\\PC{0,14}") {
            // Never panics; a parsed key always re-parses to itself.
            if let Ok(k) = RegionKey::parse(&s) {
                prop_assert_eq!(RegionKey::parse(k.as_str()).expect("canonical"), k);
            }
        }
    }
}
