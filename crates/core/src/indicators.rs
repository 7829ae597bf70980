//! Every catalogue indicator for every region and year at once, for internal and public use.
//!
//! This is the one place where confidentiality meets the numbers: the public results are computed
//! from a copy of the inputs after [`Frame::protect`], so a suppressed count turns every rate and
//! share computed from it into `.` by symbol propagation, and nothing public can bypass it.

use rustc_hash::FxHashMap;

use crate::Symbol;
use crate::audit::Depth;
use crate::catalog::{IndicatorEntry, IndicatorStatus};
use crate::confidential::Rule;
use crate::engine::Cell;
use crate::formula::{Expr, parse};
use crate::frame::{AuditReport, Frame, Grid, Protection, Series, audit_views, protect_views};

/// The years the results cover (the cache, the audit, the workspace's preview).
pub const YEARS: (u16, u16) = (1995, 2025);

/// One indicator's results.
#[derive(Debug, Clone)]
pub struct Computed {
    /// Catalogue key.
    pub key: String,
    /// Real values (internal use).
    pub internal: Series,
    /// What the public may see (suppressed cells are `.`); for an internal-only indicator every
    /// cell is suppressed.
    pub public: Series,
    /// The cells taken from the published equivalent (see
    /// [`IndicatorEntry::equivalent_measure`]), ascending: our own computation has no value there.
    pub equivalent: Vec<usize>,
}

/// The indicators of a catalogue that can be computed (available, with a formula that parses),
/// with their parsed formulas.
pub fn computable(entries: &[IndicatorEntry]) -> Vec<(&IndicatorEntry, Expr)> {
    entries
        .iter()
        .filter(|e| e.status == IndicatorStatus::Available && !e.formula.trim().is_empty())
        .filter_map(|e| parse(&e.formula).ok().map(|x| (e, x)))
        .collect()
}

/// The measures the indicators read: their formulas' inputs and their published equivalents,
/// sorted and without repeats.
pub fn input_measures(formulas: &[(&IndicatorEntry, Expr)]) -> Vec<String> {
    let mut m: Vec<String> = formulas
        .iter()
        .flat_map(|(e, x)| {
            x.refs()
                .into_iter()
                .map(|r| r.measure.clone())
                .chain(e.equivalent_measure())
        })
        .collect();
    m.sort();
    m.dedup();
    m
}

/// The confidentiality rule of every additive input measure: the strictest rule of the
/// indicators that read it. A measure read only by indicators with rule `none` is not protected.
pub fn measure_rules(
    formulas: &[(&IndicatorEntry, Expr)],
    frame: &Frame,
) -> Result<FxHashMap<String, Rule>, String> {
    let mut rules: FxHashMap<String, Rule> = FxHashMap::default();
    for (e, x) in formulas {
        let Some(rule) = Rule::parse(&e.confidentiality).map_err(|m| format!("{}: {m}", e.key))?
        else {
            continue;
        };
        for r in x.refs() {
            if !frame.is_additive(&r.measure) {
                continue;
            }
            let slot = rules.entry(r.measure.clone()).or_insert(rule);
            if rule.min_count > slot.min_count {
                *slot = rule;
            }
        }
    }
    Ok(rules)
}

/// The rules of every protected measure of a frame: [`measure_rules`] for the measures the
/// indicators read, and the default rule for every other count in the frame (a count that no
/// indicator declares a rule for is protected, never published raw).
pub fn frame_rules(
    formulas: &[(&IndicatorEntry, Expr)],
    frame: &Frame,
) -> Result<FxHashMap<String, Rule>, String> {
    let mut rules = measure_rules(formulas, frame)?;
    let read: rustc_hash::FxHashSet<String> = formulas
        .iter()
        .flat_map(|(_, x)| x.refs().into_iter().map(|r| r.measure.clone()))
        .collect();
    for (m, _) in frame.series_keys() {
        if frame.is_count(m) && !read.contains(m) {
            rules.entry(m.clone()).or_insert_with(Rule::default);
        }
    }
    Ok(rules)
}

/// Evaluates every formula on the frame as it is (no aggregation, no protection), split over
/// both cores; the results are in the order of `formulas`.
pub fn eval_all(frame: &Frame, formulas: &[(&IndicatorEntry, Expr)]) -> Vec<Series> {
    let half = formulas.len().div_ceil(2);
    let (a, b) = formulas.split_at(half);
    let work = |part: &[(&IndicatorEntry, Expr)]| -> Vec<Series> {
        part.iter().map(|(_, x)| frame.eval(x)).collect()
    };
    std::thread::scope(|s| {
        let h = s.spawn(|| work(b));
        let mut left = work(a);
        left.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        left
    })
}

/// One as-published frame on both territories, aggregated, with copies protected together: a
/// reader who downloads the values as published and reads the dashboard on today's territory
/// combines both, so both are one confidentiality system (see [`protect_views`]).
#[derive(Debug, Clone)]
pub struct Views {
    /// Internal values, as published.
    pub published: Frame,
    /// Internal values, on today's territory.
    pub today: Frame,
    /// What the public may see, as published.
    pub public_published: Frame,
    /// What the public may see, on today's territory.
    pub public_today: Frame,
    /// The rules applied.
    pub rules: FxHashMap<String, Rule>,
    /// What was suppressed.
    pub protection: Protection,
}

impl Views {
    /// Builds both territories from an as-published frame (its territorial changes recorded,
    /// not applied), aggregates them, and protects them together under the rules `rules`
    /// chooses for the aggregated as-published frame.
    pub fn protect(
        raw: Frame,
        rules: impl FnOnce(&Frame) -> Result<FxHashMap<String, Rule>, String>,
    ) -> Result<Views, String> {
        let mut today = raw.today();
        today.aggregate();
        let mut published = raw;
        published.aggregate();
        let rules = rules(&published)?;
        let mut public_published = published.clone();
        let mut public_today = today.clone();
        let protection = protect_views(&mut [&mut public_published, &mut public_today], &rules);
        Ok(Views {
            published,
            today,
            public_published,
            public_today,
            rules,
            protection,
        })
    }

    /// The internal and the public frame of one territory.
    pub fn territory(&self, today: bool) -> (&Frame, &Frame) {
        if today {
            (&self.today, &self.public_today)
        } else {
            (&self.published, &self.public_published)
        }
    }

    /// Audits both territories together, to the given depth (see [`audit_views`]).
    pub fn audit(&self, depth: Depth) -> AuditReport {
        audit_views(
            &[&self.published, &self.today],
            &[&self.public_published, &self.public_today],
            &self.rules,
            depth,
        )
    }
}

/// Computes every formula on the real inputs and on the protected inputs of one territory, on
/// both cores.
pub fn compute_all(
    internal: &Frame,
    public: &Frame,
    formulas: &[(&IndicatorEntry, Expr)],
) -> Vec<Computed> {
    let half = formulas.len().div_ceil(2);
    let work = |part: &[(&IndicatorEntry, Expr)]| -> Vec<Computed> {
        part.iter()
            .map(|(e, x)| {
                let mut out = Computed {
                    key: e.key.clone(),
                    internal: internal.eval(x),
                    public: public.eval(x),
                    equivalent: Vec::new(),
                };
                if let Some(m) = e.equivalent_measure() {
                    let before_reform = |i: usize| formed_later(e, internal.grid(), i);
                    fill_from(
                        &mut out,
                        internal.series(&m, ""),
                        public.series(&m, ""),
                        &before_reform,
                    );
                }
                if !e.public {
                    for i in 0..out.public.len() {
                        out.public.suppress(i);
                    }
                }
                out
            })
            .collect()
    };
    let (a, b) = formulas.split_at(half);
    std::thread::scope(|s| {
        let h = s.spawn(|| work(b));
        let mut left = work(a);
        left.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        left
    })
}

/// Whether cell `i` lies before a Kreis reform that formed its region and that the catalogue
/// says the offices publish only as „.“ before it (`SeriesBreak::formed`). Nothing else
/// qualifies: a „.“ elsewhere may be a secret.
fn formed_later(e: &IndicatorEntry, grid: &Grid, i: usize) -> bool {
    let (region, col) = grid.cell(i);
    let key = grid.key(region).as_str();
    let year = grid.year(col);
    e.breaks
        .iter()
        .any(|b| year < b.year && b.formed.iter().any(|k| k == key))
}

/// Fills the cells our own computation has no value for from the published equivalent (internal
/// and public copy; the equivalent is published already and not under our rules), and records
/// them. A cell we computed, withheld or not, keeps our value: a withheld one stays withheld.
/// The one exception is a Kreis's „.“ from before the reform that formed it, where the catalogue
/// says the offices publish no number (`before_reform`): there the equivalent is the only
/// number on today's territory (INKAR converts to it).
fn fill_from(
    out: &mut Computed,
    internal: Option<&Series>,
    public: Option<&Series>,
    before_reform: &dyn Fn(usize) -> bool,
) {
    let (Some(internal), Some(public)) = (internal, public) else {
        return;
    };
    for i in internal.present() {
        let theirs = internal.get(i);
        let ours = out.internal.get(i).cell;
        let unknown_territory = ours == Cell::Sym(Symbol::Secret) && before_reform(i);
        if (ours != Cell::Missing && !unknown_territory) || !matches!(theirs.cell, Cell::Num(_)) {
            continue;
        }
        out.internal.set(i, theirs);
        out.public.set(i, public.get(i));
        out.equivalent.push(i);
    }
}

/// One cell of a [`Preview`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PreviewCell {
    /// The value as computed (internal).
    pub cell: Cell,
    /// Summed over parts with some parts missing.
    pub incomplete: bool,
    /// The public would not see it (confidentiality, or an internal-only entry).
    pub withheld: bool,
}

/// A formula's values before it is saved: for the regions asked, the newest years in which one
/// of them has a value, as computed and as the public would see them.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// The years shown, oldest first.
    pub years: Vec<u16>,
    /// The regions asked that the data knows, in the order asked, each with one cell per year.
    pub rows: Vec<(String, Vec<PreviewCell>)>,
}

impl Preview {
    /// Regions with a number in the newest year shown.
    pub fn with_value(&self) -> usize {
        self.rows
            .iter()
            .filter(|(_, cells)| cells.last().is_some_and(|c| matches!(c.cell, Cell::Num(_))))
            .count()
    }

    /// Cells shown that the public would not see.
    pub fn withheld(&self) -> usize {
        self.rows
            .iter()
            .flat_map(|(_, cells)| cells)
            .filter(|c| c.withheld && c.cell != Cell::Missing)
            .count()
    }
}

/// Computes `expr` as `entry`'s formula over `raw` (as read for its input measures, as
/// published) on today's territory for `root` and the regions below it, protected by the
/// entry's rule the way the results are but within `root` only (a sum over the country could
/// withhold more, never less), and keeps the `years` newest years with a value among `regions`
/// that are alive in the newest of them.
pub fn preview(
    raw: Frame,
    entry: &IndicatorEntry,
    expr: &Expr,
    root: &str,
    regions: &[&str],
    years: usize,
) -> Result<Preview, String> {
    let root = crate::RegionKey::parse(root).map_err(|e| e.to_string())?;
    let Some(raw) = raw.within(&root) else {
        return Ok(Preview {
            years: Vec::new(),
            rows: Vec::new(),
        });
    };
    let formulas = [(entry, expr.clone())];
    let views = Views::protect(raw, |f| measure_rules(&formulas, f))?;
    let (internal, public) = views.territory(true);
    let (values, seen) = (internal.eval(expr), public.eval(expr));
    let grid = internal.grid();
    let found: Vec<(&str, usize)> = regions
        .iter()
        .filter_map(|k| {
            let key = crate::RegionKey::parse(k).ok()?;
            Some((*k, grid.region(&key)?))
        })
        .collect();
    let has_value = |col: usize| {
        found
            .iter()
            .any(|(_, r)| matches!(values.get(grid.at(*r, col)).cell, Cell::Num(_)))
    };
    let mut cols: Vec<usize> = (0..grid.years())
        .rev()
        .filter(|c| has_value(*c))
        .take(years)
        .collect();
    cols.reverse();
    let rows = found
        .iter()
        .filter(|(_, r)| cols.last().is_none_or(|&c| grid.alive(*r, c)))
        .map(|(k, r)| {
            let cells = cols
                .iter()
                .map(|c| {
                    let i = grid.at(*r, *c);
                    let o = values.get(i);
                    PreviewCell {
                        cell: o.cell,
                        incomplete: o.incomplete,
                        withheld: !entry.public || seen.get(i).cell != o.cell,
                    }
                })
                .collect();
            ((*k).to_string(), cells)
        })
        .collect();
    Ok(Preview {
        years: cols.iter().map(|c| grid.year(*c)).collect(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Grid, GridRegion};
    use crate::key::RegionKey;

    fn entry(key: &str, formula: &str, inkar_code: Option<&str>) -> IndicatorEntry {
        IndicatorEntry {
            inkar_code: inkar_code.map(Into::into),
            ..IndicatorEntry::new(key, formula, "%")
        }
    }

    #[test]
    fn the_published_equivalent_fills_only_the_years_without_our_own_value() {
        let grid = Grid::new(
            vec![GridRegion {
                key: RegionKey::parse("14522").expect("key"),
                parent: None,
                alive: (1, 9999),
            }],
            2019,
            2022,
        );
        let mut f = Frame::new(grid);
        for (y, v) in [(2019, 4.0), (2020, 5.0)] {
            f.put("QUOTE", "", 0, f.grid().col(y).expect("year"), Cell::Num(v));
        }
        for (y, v) in [(2020, 9.9), (2021, 6.5), (2022, 6.0)] {
            f.put(
                "INKAR_q",
                "",
                0,
                f.grid().col(y).expect("year"),
                Cell::Num(v),
            );
        }
        let entries = [
            entry("quote", "`QUOTE`", Some("q")),
            // The codebook's own entry is the INKAR measure and fills nothing.
            entry("inkar_q", "`INKAR_q`", Some("q")),
        ];
        let formulas = computable(&entries);
        assert_eq!(input_measures(&formulas), ["INKAR_q", "QUOTE"]);
        let out = compute_all(&f, &f, &formulas);
        let cells: Vec<Option<f64>> = (0..4).map(|i| out[0].internal.number(i)).collect();
        // 2020 keeps our own 5, not INKAR's 9.9; 2021 and 2022 come from INKAR.
        assert_eq!(cells, [Some(4.0), Some(5.0), Some(6.5), Some(6.0)]);
        assert_eq!(out[0].equivalent, [2, 3]);
        assert_eq!(out[0].public.number(3), Some(6.0));
        assert!(out[1].equivalent.is_empty());
    }

    #[test]
    fn before_the_reform_that_formed_a_kreis_its_dot_gives_way_to_the_conversion() {
        let kreis = |k: &str| GridRegion {
            key: RegionKey::parse(k).expect("key"),
            parent: None,
            alive: (1, 9999),
        };
        let grid = Grid::new(vec![kreis("15082"), kreis("14522")], 2005, 2008);
        let mut f = Frame::new(grid);
        for region in [0, 1] {
            for (y, cell) in [
                (2005, Cell::Sym(Symbol::Secret)),
                (2006, Cell::Sym(Symbol::Secret)),
                (2007, Cell::Num(8.5)),
                (2008, Cell::Sym(Symbol::Secret)),
            ] {
                let col = f.grid().col(y).expect("year");
                f.put("QUOTE", "", region, col, cell);
                f.put("INKAR_q", "", region, col, Cell::Num(f64::from(y - 1990)));
            }
        }
        let reform = crate::catalog::SeriesBreak {
            key: "kreisreform".into(),
            title: "Kreisreform Sachsen-Anhalt".into(),
            year: 2007,
            date: "01.07.2007".into(),
            explanation: "neu gegliedert".into(),
            measures: Vec::new(),
            indicators: Vec::new(),
            all_indicators: true,
            levels: vec!["kreis".into()],
            regions: vec!["15".into()],
            formed: vec!["15082".into()],
        };
        // Saxony's reform: the offices publish its new Kreise before 2008, so a „.“ there is a
        // withheld number.
        let saxony = crate::catalog::SeriesBreak {
            key: "kreisreform_sachsen".into(),
            regions: vec!["14".into()],
            year: 2008,
            formed: Vec::new(),
            ..reform.clone()
        };
        let with_reform = IndicatorEntry {
            breaks: vec![reform, saxony],
            ..entry("quote", "`QUOTE`", Some("q"))
        };
        let entries = [with_reform, entry("plain", "`QUOTE`", Some("q"))];
        let out = compute_all(&f, &f, &computable(&entries));
        let cells = |c: &Computed, region: usize| -> Vec<Cell> {
            (0..4)
                .map(|col| c.internal.get(region * 4 + col).cell)
                .collect()
        };
        let dot = Cell::Sym(Symbol::Secret);
        // Anhalt-Bitterfeld before 2007: INKAR's conversion; our 8,5 of 2007 stays, and a „.“
        // after the reform is a withheld value that stays withheld.
        assert_eq!(
            cells(&out[0], 0),
            [Cell::Num(15.0), Cell::Num(16.0), Cell::Num(8.5), dot]
        );
        assert_eq!(out[0].equivalent, [0, 1]);
        // Mittelsachsen's „.“ before its reform may be a secret: kept; without the break nothing
        // is filled.
        assert_eq!(cells(&out[0], 1), [dot, dot, Cell::Num(8.5), dot]);
        assert_eq!(cells(&out[1], 0), [dot, dot, Cell::Num(8.5), dot]);
    }

    #[test]
    fn a_preview_shows_the_newest_years_and_marks_what_the_public_would_not_see() {
        let region = |k: &str, parent: Option<&str>| GridRegion {
            key: RegionKey::parse(k).expect("key"),
            parent: parent.map(|p| RegionKey::parse(p).expect("key")),
            alive: (1, 9999),
        };
        let grid = Grid::new(
            vec![
                region("14522", None),
                region("14522010", Some("14522")),
                region("14522020", Some("14522")),
                region("14521", None),
                region("14521010", Some("14521")),
            ],
            2019,
            2022,
        );
        let mut f = Frame::new(grid);
        f.set_additive("KINDER");
        f.set_additive("EINW");
        for (r, kinder, einw) in [(1, 2.0, 400.0), (2, 30.0, 600.0)] {
            for y in [2020, 2021] {
                let col = f.grid().col(y).expect("year");
                f.put("KINDER", "", r, col, Cell::Num(kinder));
                f.put("EINW", "", r, col, Cell::Num(einw));
            }
        }
        let col = f.grid().col(2022).expect("year");
        f.put("KINDER", "", 4, col, Cell::Num(50.0));
        f.put("EINW", "", 4, col, Cell::Num(500.0));
        let e = IndicatorEntry::new("quote", "100 * `KINDER` / `EINW`", "%");
        let x = parse(&e.formula).expect("formula");
        let p = preview(
            f.clone(),
            &e,
            &x,
            "14522",
            &["14522", "14522010", "14522020", "99999", "14521010"],
            5,
        )
        .expect("preview");
        // Only years with a value; the unknown region and one outside the district are left
        // out.
        assert_eq!(p.years, [2020, 2021]);
        let keys: Vec<&str> = p.rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["14522", "14522010", "14522020"]);
        // The Kreis sums its municipalities: 100 * 32 / 1000.
        assert_eq!(p.rows[0].1[1].cell, Cell::Num(3.2));
        // 2 children: below min_count=3, computed but withheld; the complement at the Kreis too.
        assert_eq!(p.rows[1].1[1].cell, Cell::Num(0.5));
        assert!(p.rows[1].1.iter().all(|c| c.withheld), "{p:?}");
        // The sibling or the Kreis goes with it, or the difference would tell: a second cell
        // per year.
        assert!(p.withheld() >= 4, "{p:?}");
        assert_eq!(p.with_value(), 3);
        // An internal-only entry withholds everything.
        let internal_only = IndicatorEntry {
            public: false,
            ..e.clone()
        };
        let p = preview(f, &internal_only, &x, "14522", &["14522010"], 1).expect("preview");
        assert_eq!(p.years, [2021]);
        assert!(p.rows[0].1[0].withheld);
    }
}
