//! Territorial changes: which municipality a dissolved one went into, inferred from two register
//! snapshots by the conservation of area (a merger's area is the sum of its parts).

use crate::key::RegionKey;

/// A municipality as one register snapshot describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotEntry {
    /// Key.
    pub key: RegionKey,
    /// Area in km².
    pub area_km2: f64,
}

/// One inferred change: `from` went into `to`.
#[derive(Debug, Clone, PartialEq)]
pub struct InferredChange {
    /// Dissolved municipality.
    pub from: RegionKey,
    /// Its successor.
    pub to: RegionKey,
    /// Whether the area balance confirmed the match (false: best guess, same Kreis).
    pub confirmed: bool,
}

/// Matches municipalities present in `old` but not in `new` to their successors in `new`.
///
/// Within each Kreis, each successor candidate (a municipality that is new or whose area grew)
/// is matched with the subset of dissolved municipalities whose areas add up to its gain
/// (within 1 % or 0.5 km², as registers round areas). What cannot be balanced goes to the
/// candidate with the largest gain, marked unconfirmed.
pub fn infer_successors(old: &[SnapshotEntry], new: &[SnapshotEntry]) -> Vec<InferredChange> {
    use std::collections::{BTreeMap, HashMap};
    let new_area: HashMap<&RegionKey, f64> = new.iter().map(|e| (&e.key, e.area_km2)).collect();
    let old_area: HashMap<&RegionKey, f64> = old.iter().map(|e| (&e.key, e.area_km2)).collect();
    let mut gone_by_kreis: BTreeMap<String, Vec<&SnapshotEntry>> = BTreeMap::new();
    for e in old.iter().filter(|e| !new_area.contains_key(&e.key)) {
        gone_by_kreis
            .entry(e.key.as_str()[..5.min(e.key.as_str().len())].to_string())
            .or_default()
            .push(e);
    }
    let mut out = Vec::new();
    for (kreis, mut gone) in gone_by_kreis {
        let mut candidates: Vec<(&RegionKey, f64)> = new
            .iter()
            .filter(|e| e.key.as_str().starts_with(&kreis))
            .map(|e| {
                (
                    &e.key,
                    e.area_km2 - old_area.get(&e.key).copied().unwrap_or(0.0),
                )
            })
            .filter(|(_, gain)| *gain > 0.005)
            .collect();
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        for (cand, gain) in &candidates {
            if gone.is_empty() {
                break;
            }
            let n = gone.len().min(16);
            let tol = (gain * 0.01).max(0.5);
            let best = (1u32..(1u32 << n))
                .map(|mask| {
                    let sum: f64 = (0..n)
                        .filter(|i| mask & (1 << i) != 0)
                        .map(|i| gone[i].area_km2)
                        .sum();
                    (mask, (sum - gain).abs())
                })
                .filter(|(_, d)| *d <= tol)
                .min_by(|a, b| {
                    a.1.total_cmp(&b.1)
                        .then(a.0.count_ones().cmp(&b.0.count_ones()))
                });
            if let Some((mask, _)) = best {
                let mut keep = Vec::new();
                for (i, g) in gone.iter().enumerate() {
                    if i < n && mask & (1 << i) != 0 {
                        out.push(InferredChange {
                            from: g.key.clone(),
                            to: (*cand).clone(),
                            confirmed: true,
                        });
                    } else {
                        keep.push(*g);
                    }
                }
                gone = keep;
            }
        }
        if let Some((cand, _)) = candidates.first() {
            for g in gone {
                out.push(InferredChange {
                    from: g.key.clone(),
                    to: (*cand).clone(),
                    confirmed: false,
                });
            }
        }
    }
    out.sort_by(|a, b| a.from.cmp(&b.from));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(k: &str, a: f64) -> SnapshotEntry {
        SnapshotEntry {
            key: RegionKey::parse(k).expect("valid"),
            area_km2: a,
        }
    }

    #[test]
    fn a_new_municipality_formed_from_two() {
        // Jahnatal (2023) was formed from Ostrau and Zschaitz-Ottewig.
        let old = vec![
            e("14522450", 41.1),
            e("14522620", 21.3),
            e("14522180", 88.0),
        ];
        let new = vec![e("14522275", 62.4), e("14522180", 88.0)];
        let ch = infer_successors(&old, &new);
        assert_eq!(ch.len(), 2);
        assert!(
            ch.iter()
                .all(|c| c.to.as_str() == "14522275" && c.confirmed)
        );
    }

    #[test]
    fn an_incorporation_into_an_existing_town() {
        let old = vec![e("14522010", 10.0), e("14522020", 30.0), e("14522030", 5.0)];
        let new = vec![e("14522020", 40.0), e("14522030", 5.0)];
        let ch = infer_successors(&old, &new);
        assert_eq!(
            ch,
            vec![InferredChange {
                from: RegionKey::parse("14522010").expect("k"),
                to: RegionKey::parse("14522020").expect("k"),
                confirmed: true
            }]
        );
    }
}
