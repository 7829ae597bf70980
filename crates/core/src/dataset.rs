//! The result of reading one source file: interned measures, regions and breakdowns, the
//! observations, register entries, boundaries and the diagnostics found on the way.

use rustc_hash::FxHashMap as HashMap;

use crate::catalog::IndicatorEntry;
use crate::diag::{Diagnostic, Said};
use crate::key::RegionKey;
use crate::measure::{Breakdown, Measure, MeasureKind};
use crate::period::Period;
use crate::region::Region;
use crate::value::Value;

/// One published value: measure × region × period × breakdown → value. Measure, region and
/// breakdown are indices into the owning [`Dataset`]'s tables, so millions of rows stay compact.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Index into [`Dataset::measures`].
    pub measure: u32,
    /// Index into [`Dataset::region_keys`].
    pub region: u32,
    /// Period.
    pub period: Period,
    /// Index into [`Dataset::breakdowns`].
    pub breakdown: u32,
    /// The value as published.
    pub value: Value,
    /// Index into [`Dataset::qualities`] of the quality column as published (`value_q`, cube
    /// `QUALITAET`, e.g. `e`); 0 when the source has none.
    pub quality: u16,
    /// Line in the source file, for diagnostics.
    pub line: u32,
}

/// A territorial change: `from` ceased to exist on `date` and went into `to`.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionChange {
    /// The region that disappeared.
    pub from: RegionKey,
    /// Its successor.
    pub to: RegionKey,
    /// The last reference date at which `from` still existed.
    pub last_seen: Period,
    /// The first reference date at which it is gone.
    pub first_gone: Period,
    /// Share of `from`'s population that went into `to`, where known (1.0 for a whole merger).
    pub share: f64,
}

/// A region's boundary in WGS84 (longitude, latitude), as a multipolygon: polygons → rings → points.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    /// Region the feature was matched to.
    pub key: RegionKey,
    /// Name found in the feature's attributes, if any.
    pub name: Option<String>,
    /// Polygons, each a list of rings (outer first), each a list of `[lon, lat]`.
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

/// What one statistic of an import holds: the statistic, what it measures and the periods, so
/// a reader can be told in words what an import brought („Bevölkerungsstand, bis 31.12.2024“).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Content {
    /// Code of the statistic or table (`12411-01-01-4`, `INKAR`).
    pub statistic: String,
    /// Label of its first measure as published (`Bevölkerungsstand`).
    pub label: String,
    /// Number of measures.
    pub measures: usize,
    /// Earliest period, German (`31.12.1995`, `2008`).
    pub first: String,
    /// Latest period, German.
    pub last: String,
    /// Number of values.
    pub values: usize,
}

/// Everything an importer read from one file.
#[derive(Debug, Default)]
pub struct Dataset {
    /// Format identifier (`ffcsv`, `gv100ad` ...).
    pub format: String,
    /// Measures referenced by observations.
    pub measures: Vec<Measure>,
    /// Breakdowns referenced by observations; index 0 is always the total.
    pub breakdowns: Vec<Breakdown>,
    /// Region keys referenced by observations.
    pub region_keys: Vec<RegionKey>,
    /// Region names as the data file labels them (same index as `region_keys`).
    pub region_names: Vec<Option<String>>,
    /// The values.
    pub observations: Vec<Observation>,
    /// Register entries (GV100AD, register extracts).
    pub regions: Vec<Region>,
    /// Territorial changes found by comparing register snapshots.
    pub changes: Vec<RegionChange>,
    /// Boundaries.
    pub boundaries: Vec<Boundary>,
    /// Indicator catalogue entries (INKAR codebook).
    pub catalog: Vec<IndicatorEntry>,
    /// Quality marks as published; index 0 is the empty mark.
    pub qualities: Vec<String>,
    /// Data rows read from the file (header, title and footer lines not counted).
    pub rows_read: usize,
    /// Findings; any error means the file must not be imported as it is.
    pub diagnostics: Vec<Diagnostic>,
    /// Measure kinds the file declares (by measure code); see [`Dataset::kind`].
    pub kinds: HashMap<String, MeasureKind>,
    measure_ix: HashMap<String, u32>,
    breakdown_ix: HashMap<Breakdown, u32>,
    region_ix: HashMap<RegionKey, u32>,
}

impl Dataset {
    /// What the dataset's values hold, one entry per statistic in the order first seen.
    pub fn contents(&self) -> Vec<Content> {
        let mut per: Vec<(String, String, usize, Period, Period, usize)> = Vec::new();
        let mut seen: Vec<Option<usize>> = vec![None; self.measures.len()];
        for o in &self.observations {
            let m = o.measure as usize;
            let slot = match seen[m] {
                Some(i) => i,
                None => {
                    let st = &self.measures[m].statistic;
                    let i = match per.iter().position(|p| &p.0 == st) {
                        Some(i) => {
                            per[i].2 += 1;
                            i
                        }
                        None => {
                            let label = self.measures[m].label.clone();
                            per.push((st.clone(), label, 1, o.period, o.period, 0));
                            per.len() - 1
                        }
                    };
                    seen[m] = Some(i);
                    i
                }
            };
            let p = &mut per[slot];
            p.3 = p.3.min(o.period);
            p.4 = p.4.max(o.period);
            p.5 += 1;
        }
        per.into_iter()
            .map(
                |(statistic, label, measures, first, last, values)| Content {
                    statistic,
                    label,
                    measures,
                    first: first.german(),
                    last: last.german(),
                    values,
                },
            )
            .collect()
    }

    /// An empty dataset of the given format.
    pub fn new(format: &str) -> Self {
        let mut d = Dataset {
            format: format.to_string(),
            ..Default::default()
        };
        d.intern_breakdown(Breakdown::total());
        d.qualities.push(String::new());
        d
    }

    /// Index of a quality mark, adding it on first sight (empty text is 0).
    pub fn intern_quality(&mut self, q: &str) -> u16 {
        if q.is_empty() {
            return 0;
        }
        if let Some(i) = self.qualities.iter().position(|x| x == q) {
            return i as u16;
        }
        self.qualities.push(q.to_string());
        (self.qualities.len() - 1) as u16
    }

    /// Index of a measure, adding it on first sight.
    pub fn intern_measure(&mut self, m: Measure) -> u32 {
        if let Some(&i) = self.measure_ix.get(&m.code) {
            return i;
        }
        let i = self.measures.len() as u32;
        self.measure_ix.insert(m.code.clone(), i);
        self.measures.push(m);
        i
    }

    /// The kind of a measure: as the file declares it, else as the offices' unit vocabulary
    /// declares it; `None` when neither does (the store then protects it as a count, and the
    /// importer warns).
    pub fn kind(&self, m: &Measure) -> Option<MeasureKind> {
        self.kinds
            .get(&m.code)
            .copied()
            .or_else(|| MeasureKind::of_unit(&m.unit))
    }

    /// Index of a measure by code, if seen.
    pub fn measure_index(&self, code: &str) -> Option<u32> {
        self.measure_ix.get(code).copied()
    }

    /// Index of a breakdown, adding it on first sight.
    pub fn intern_breakdown(&mut self, b: Breakdown) -> u32 {
        if let Some(&i) = self.breakdown_ix.get(&b) {
            return i;
        }
        let i = self.breakdowns.len() as u32;
        self.breakdown_ix.insert(b.clone(), i);
        self.breakdowns.push(b);
        i
    }

    /// Index of a region key, adding it on first sight; a name is remembered when first given.
    pub fn intern_region(&mut self, k: RegionKey, name: Option<&str>) -> u32 {
        if let Some(&i) = self.region_ix.get(&k) {
            if self.region_names[i as usize].is_none() {
                self.region_names[i as usize] = name.map(str::to_string);
            }
            return i;
        }
        let i = self.region_keys.len() as u32;
        self.region_ix.insert(k.clone(), i);
        self.region_keys.push(k);
        self.region_names.push(name.map(str::to_string));
        i
    }

    /// Appends another dataset of the same file (e.g. its second half, parsed on another
    /// thread), re-mapping its measure, region, breakdown and quality indices.
    pub fn absorb(&mut self, other: Dataset) {
        let m: Vec<u32> = other
            .measures
            .into_iter()
            .map(|x| self.intern_measure(x))
            .collect();
        let r: Vec<u32> = other
            .region_keys
            .into_iter()
            .zip(other.region_names)
            .map(|(k, n)| self.intern_region(k, n.as_deref()))
            .collect();
        let b: Vec<u32> = other
            .breakdowns
            .into_iter()
            .map(|x| self.intern_breakdown(x))
            .collect();
        let q: Vec<u16> = other
            .qualities
            .iter()
            .map(|x| self.intern_quality(x))
            .collect();
        self.observations.reserve(other.observations.len());
        self.observations
            .extend(other.observations.into_iter().map(|mut o| {
                o.measure = m[o.measure as usize];
                o.region = r[o.region as usize];
                o.breakdown = b[o.breakdown as usize];
                o.quality = q[o.quality as usize];
                o
            }));
        self.regions.extend(other.regions);
        self.changes.extend(other.changes);
        self.boundaries.extend(other.boundaries);
        self.catalog.extend(other.catalog);
        self.rows_read += other.rows_read;
        self.diagnostics.extend(other.diagnostics);
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::diag::Severity::Error)
    }

    /// Finds cells given more than once: exact duplicates are dropped, conflicting ones (same
    /// cell, different value) are reported as errors at the later line. The order of the
    /// observations stays that of the file; the store sorts for insertion anyway.
    pub fn finish(&mut self, file: &str) {
        let n = self.observations.len();
        let key = |o: &Observation| {
            (o.measure as u128) << 96
                | (o.region as u128) << 64
                | (o.period.code() as u128) << 32
                | o.breakdown as u128
        };
        let mut idx: Vec<(u128, u32)> = self
            .observations
            .iter()
            .enumerate()
            .map(|(i, o)| (key(o), i as u32))
            .collect();
        if idx.windows(2).all(|w| w[0].0 < w[1].0) {
            return;
        }
        idx.sort_unstable();
        let mut keep = vec![true; n];
        let mut run_start = 0;
        for j in 1..idx.len() {
            if idx[j].0 != idx[run_start].0 {
                run_start = j;
                continue;
            }
            let (first, o) = (
                &self.observations[idx[run_start].1 as usize],
                &self.observations[idx[j].1 as usize],
            );
            keep[idx[j].1 as usize] = false;
            if first.value.render() != o.value.render() || first.quality != o.quality {
                let m = &self.measures[o.measure as usize].code;
                let r = &self.region_keys[o.region as usize];
                let b = self.breakdowns[o.breakdown as usize].key();
                let (period, part) = (
                    o.period.german(),
                    if b.is_empty() { "Insgesamt" } else { &b },
                );
                let (here, there) = (o.value.render(), first.value.render());
                let d = Diagnostic::error(
                    file,
                    o.line as usize,
                    0,
                    Said::both(
                        format!(
                            "conflicting duplicate: {m} for {r} at {period} [{part}] is `{here}` here but `{there}` in line {}",
                            first.line
                        ),
                        format!(
                            "Widersprüchliche Doppelung: {m} für {r}, {period} [{part}] ist hier „{here}“, in Zeile {} aber „{there}“",
                            first.line
                        ),
                    ),
                )
                .with_hint(Said::both(
                    "a file may give each cell once; remove one of the two rows",
                    "Eine Datei darf jede Zelle nur einmal angeben; eine der beiden Zeilen entfernen",
                ));
                self.diagnostics.push(d);
            }
        }
        let mut i = 0;
        self.observations.retain(|_| {
            let k = keep[i];
            i += 1;
            k
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    #[test]
    fn contents_group_measures_by_statistic_with_their_periods() {
        let mut ds = Dataset::new("genesis-table");
        let key = RegionKey::parse("14522").expect("key");
        let region = ds.intern_region(key, None);
        let measure = |ds: &mut Dataset, code: &str, statistic: &str| {
            ds.intern_measure(Measure {
                code: code.into(),
                label: format!("{code} label"),
                unit: "Anzahl".into(),
                statistic: statistic.into(),
            })
        };
        let a = measure(&mut ds, "A", "12411");
        let b = measure(&mut ds, "B", "12411");
        let c = measure(&mut ds, "C", "12612");
        for (m, p) in [
            (a, Period::Date(2024, 12, 31)),
            (b, Period::Date(1995, 12, 31)),
            (a, Period::Date(2010, 12, 31)),
            (c, Period::Year(2015)),
        ] {
            ds.observations.push(Observation {
                measure: m,
                region,
                period: p,
                breakdown: 0,
                value: Value::number(1.0, 0),
                quality: 0,
                line: 1,
            });
        }
        let got = ds.contents();
        assert_eq!(got.len(), 2);
        assert_eq!(
            (
                got[0].statistic.as_str(),
                got[0].label.as_str(),
                got[0].measures
            ),
            ("12411", "A label", 2)
        );
        assert_eq!(
            (got[0].first.as_str(), got[0].last.as_str()),
            ("31.12.1995", "31.12.2024")
        );
        assert_eq!(got[0].values, 3);
        assert_eq!(
            (got[1].first.as_str(), got[1].last.as_str(), got[1].values),
            ("2015", "2015", 1)
        );
    }
}
