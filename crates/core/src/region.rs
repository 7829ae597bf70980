//! Regions of the administrative hierarchy with their validity and territorial history.

use crate::key::RegionKey;
use crate::period::Period;

/// A level of the region hierarchy, from Germany down to user-defined sub-municipal areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegionLevel {
    /// Germany as a whole (`DG`).
    Germany,
    /// A Land (federal state).
    Land,
    /// A Regierungsbezirk or statistical region.
    Regierungsbezirk,
    /// A Kreis (Landkreis or kreisfreie Stadt).
    Kreis,
    /// A Gemeindeverband (Verwaltungsgemeinschaft, Verbandsgemeinde, Amt ...).
    Gemeindeverband,
    /// A Gemeinde (municipality).
    Gemeinde,
    /// An Ortsteil or social area defined by the user below a municipality.
    SubMunicipal,
}

impl RegionLevel {
    /// Stable English identifier used in storage and the API.
    pub fn code(self) -> &'static str {
        match self {
            RegionLevel::Germany => "germany",
            RegionLevel::Land => "land",
            RegionLevel::Regierungsbezirk => "regbez",
            RegionLevel::Kreis => "kreis",
            RegionLevel::Gemeindeverband => "gemeindeverband",
            RegionLevel::Gemeinde => "gemeinde",
            RegionLevel::SubMunicipal => "submunicipal",
        }
    }

    /// German label for users.
    pub fn label_de(self) -> &'static str {
        match self {
            RegionLevel::Germany => "Deutschland",
            RegionLevel::Land => "Land",
            RegionLevel::Regierungsbezirk => "Regierungsbezirk",
            RegionLevel::Kreis => "Kreis",
            RegionLevel::Gemeindeverband => "Gemeindeverband",
            RegionLevel::Gemeinde => "Gemeinde",
            RegionLevel::SubMunicipal => "Ortsteil/Sozialraum",
        }
    }

    /// Inverse of [`RegionLevel::code`].
    pub fn from_code(s: &str) -> Option<Self> {
        Some(match s {
            "germany" => RegionLevel::Germany,
            "land" => RegionLevel::Land,
            "regbez" => RegionLevel::Regierungsbezirk,
            "kreis" => RegionLevel::Kreis,
            "gemeindeverband" => RegionLevel::Gemeindeverband,
            "gemeinde" => RegionLevel::Gemeinde,
            "submunicipal" => RegionLevel::SubMunicipal,
            _ => return None,
        })
    }
}

/// A region as a register describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Canonical key.
    pub key: RegionKey,
    /// Official name, e.g. `Freiberg, Stadt`.
    pub name: String,
    /// Level in the hierarchy.
    pub level: RegionLevel,
    /// The region it belongs to (Gemeinde → Kreis, Kreis → Land ...).
    pub parent: Option<RegionKey>,
    /// The Gemeindeverband a municipality belongs to, where the register names one.
    pub verband: Option<RegionKey>,
    /// First reference date at which the region is known to exist.
    pub valid_from: Option<Period>,
    /// Last reference date at which it existed; `None` while it exists.
    pub valid_to: Option<Period>,
    /// Area in km², where the source gives it.
    pub area_km2: Option<f64>,
    /// Population, where the source gives it.
    pub population: Option<i64>,
    /// Postcode of the seat, where the source gives it.
    pub postcode: Option<String>,
    /// Kind as the register words it (`Stadt`, `Landkreis`, `Verwaltungsgemeinschaft` ...).
    pub kind: Option<String>,
}

impl Region {
    /// A region known only by key and name, with the parent taken from the key's digits.
    pub fn new(key: RegionKey, name: impl Into<String>) -> Self {
        Region {
            level: key.level(),
            parent: key.natural_parent(),
            key,
            name: name.into(),
            verband: None,
            valid_from: None,
            valid_to: None,
            area_km2: None,
            population: None,
            postcode: None,
            kind: None,
        }
    }
}
