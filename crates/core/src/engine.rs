//! Evaluation of indicator formulas for a region and period.
//!
//! The rule that makes indicators correct at every level: **inputs are aggregated, results are
//! not**. A formula's measures are read at the region itself or, where the region has no stored
//! value, summed over its children; the formula is then applied to those sums. So a Kreis's
//! share of 65+ is the Kreis's 65+ count over its population, never the mean of its
//! municipalities' shares. A sum with a missing part is marked incomplete instead of being
//! silently too small, and statistical symbols propagate (`-` counts as zero).

use crate::formula::{Expr, Func, MeasureRef, Op};
use crate::key::RegionKey;
use crate::measure::{Breakdown, BreakdownItem};
use crate::period::Period;
use crate::value::Symbol;

/// A value as the engine sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// A number.
    Num(f64),
    /// A statistical symbol.
    Sym(Symbol),
    /// Nothing stored and nothing to compute it from.
    Missing,
}

/// A computed value and whether it rests on an incomplete sum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// The value.
    pub cell: Cell,
    /// A sum behind it lacked some of its parts.
    pub incomplete: bool,
}

impl Outcome {
    /// An outcome that rests on a complete sum.
    pub fn new(cell: Cell) -> Self {
        Outcome {
            cell,
            incomplete: false,
        }
    }
}

/// What the engine reads. Implemented by the store (and by tests in memory).
pub trait Inputs {
    /// The stored value of one cell (`breakdown` as [`Breakdown::key`]), if any.
    fn get(
        &self,
        measure: &str,
        region: &RegionKey,
        period: Period,
        breakdown: &str,
    ) -> Option<Cell>;
    /// Whether a measure may be summed over regions (counts, amounts); published rates, averages
    /// and indices may not, and are only ever read where they were published.
    fn additive(&self, measure: &str) -> bool;
    /// The regions that partition `region` one level down at `period` (the municipalities of a
    /// Kreis as they were then, the Kreise of a Land); empty for a region that is not divided.
    fn parts(&self, region: &RegionKey, period: Period) -> Vec<RegionKey>;
}

/// Which symbol wins when several meet: secrecy first, so nothing secret leaks into a result.
fn rank(s: Symbol) -> u8 {
    match s {
        Symbol::Secret => 0,
        Symbol::NotYetAvailable => 1,
        Symbol::Unreliable => 2,
        Symbol::NotMeaningful => 3,
        Symbol::Nil => 4,
    }
}

/// Applies `f` to two numbers; symbols win by rank, `-` counts as 0, missing stays missing.
pub(crate) fn combine(a: Outcome, b: Outcome, f: impl Fn(f64, f64) -> Cell) -> Outcome {
    let incomplete = a.incomplete || b.incomplete;
    let num = |c: Cell| match c {
        Cell::Num(n) => Some(n),
        Cell::Sym(Symbol::Nil) => Some(0.0),
        _ => None,
    };
    let cell = match (a.cell, b.cell) {
        (Cell::Missing, _) | (_, Cell::Missing) => Cell::Missing,
        (x, y) => match (num(x), num(y)) {
            (Some(p), Some(q)) => f(p, q),
            _ => {
                let s = [x, y]
                    .into_iter()
                    .filter_map(|c| {
                        if let Cell::Sym(s) = c {
                            (s != Symbol::Nil).then_some(s)
                        } else {
                            None
                        }
                    })
                    .min_by_key(|s| rank(*s));
                Cell::Sym(s.unwrap_or(Symbol::NotMeaningful))
            }
        },
    };
    Outcome { cell, incomplete }
}

fn shift(p: Period, years: i32) -> Option<Period> {
    let y = p.year() as i32 - years;
    if !(1800..=2200).contains(&y) {
        return None;
    }
    Some(match p {
        Period::Year(_) => Period::Year(y as u16),
        Period::Date(_, m, d) => {
            let d = if m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) {
                28
            } else {
                d
            };
            Period::Date(y as u16, m, d)
        }
    })
}

/// The breakdown keys a selector sums over: every combination of the listed values.
pub fn selected_keys(r: &MeasureRef) -> Vec<String> {
    let mut combos: Vec<Vec<BreakdownItem>> = vec![Vec::new()];
    for (var, vals) in &r.select {
        let mut next = Vec::new();
        for c in &combos {
            for v in vals {
                let mut c = c.clone();
                c.push(BreakdownItem {
                    variable: var.clone(),
                    value: v.clone(),
                    label: v.clone(),
                });
                next.push(c);
            }
        }
        combos = next;
    }
    combos
        .into_iter()
        .map(|c| Breakdown::new(c).key())
        .collect()
}

/// Evaluates formulas against [`Inputs`].
pub struct Engine<'a, I: Inputs> {
    inputs: &'a I,
}

impl<'a, I: Inputs> Engine<'a, I> {
    /// An engine over these inputs.
    pub fn new(inputs: &'a I) -> Self {
        Engine { inputs }
    }

    /// A measure cell at a region: stored, or summed over the region's parts.
    pub fn cell(
        &self,
        measure: &str,
        region: &RegionKey,
        period: Period,
        breakdown: &str,
    ) -> Outcome {
        // A year and the reference date 31 December of that year stand for each other, so a rate
        // can put the births of a year over the population at its end.
        let alt = match period {
            Period::Year(y) => Some(Period::Date(y, 12, 31)),
            Period::Date(y, 12, 31) => Some(Period::Year(y)),
            Period::Date(..) => None,
        };
        if let Some(c) = self
            .inputs
            .get(measure, region, period, breakdown)
            .or_else(|| alt.and_then(|p| self.inputs.get(measure, region, p, breakdown)))
        {
            return Outcome::new(c);
        }
        if !self.inputs.additive(measure) {
            return Outcome::new(Cell::Missing);
        }
        let parts = self.inputs.parts(region, period);
        if parts.is_empty() {
            return Outcome::new(Cell::Missing);
        }
        let mut acc = Outcome::new(Cell::Num(0.0));
        let mut missing = 0;
        for p in &parts {
            let c = self.cell(measure, p, period, breakdown);
            if c.cell == Cell::Missing {
                missing += 1;
                continue;
            }
            acc = combine(acc, c, |a, b| Cell::Num(a + b));
        }
        if !crate::frame::sum_is_formed(parts.len(), missing) {
            return Outcome::new(Cell::Missing);
        }
        acc.incomplete |= missing > 0;
        acc
    }

    /// Evaluates a formula for a region and period.
    pub fn eval(&self, e: &Expr, region: &RegionKey, period: Period) -> Outcome {
        match e {
            Expr::Num(n) => Outcome::new(Cell::Num(*n)),
            Expr::Ref(r) => {
                let mut acc: Option<Outcome> = None;
                for key in selected_keys(r) {
                    let c = self.cell(&r.measure, region, period, &key);
                    acc = Some(match acc {
                        None => c,
                        Some(a) => combine(a, c, |x, y| Cell::Num(x + y)),
                    });
                }
                acc.unwrap_or(Outcome::new(Cell::Missing))
            }
            Expr::Coalesce(args) => {
                // The first complete value; an incomplete sum only if nothing complete exists.
                let mut fallback = Outcome::new(Cell::Missing);
                for a in args {
                    let o = self.eval(a, region, period);
                    if o.cell != Cell::Missing && !o.incomplete {
                        return o;
                    }
                    if fallback.cell == Cell::Missing {
                        fallback = o;
                    }
                }
                fallback
            }
            Expr::Neg(a) => combine(
                Outcome::new(Cell::Num(0.0)),
                self.eval(a, region, period),
                |x, y| Cell::Num(x - y),
            ),
            Expr::Bin(op, a, b) => {
                let (l, r) = (self.eval(a, region, period), self.eval(b, region, period));
                match op {
                    Op::Add => combine(l, r, |x, y| Cell::Num(x + y)),
                    Op::Sub => combine(l, r, |x, y| Cell::Num(x - y)),
                    Op::Mul => combine(l, r, |x, y| Cell::Num(x * y)),
                    // A share of nothing is not meaningful (symbol x), not infinite.
                    Op::Div => combine(l, r, |x, y| {
                        if y == 0.0 {
                            Cell::Sym(Symbol::NotMeaningful)
                        } else {
                            Cell::Num(x / y)
                        }
                    }),
                }
            }
            Expr::Call(f, a, n) => {
                let at = |p: Option<Period>| {
                    p.map(|p| self.eval(a, region, p))
                        .unwrap_or(Outcome::new(Cell::Missing))
                };
                let now = self.eval(a, region, period);
                match f {
                    Func::Lag => at(shift(period, *n)),
                    Func::Change => combine(now, at(shift(period, *n)), |x, y| Cell::Num(x - y)),
                    Func::PctChange => combine(now, at(shift(period, *n)), |x, y| {
                        if y == 0.0 {
                            Cell::Sym(Symbol::NotMeaningful)
                        } else {
                            Cell::Num((x - y) / y * 100.0)
                        }
                    }),
                    Func::Index => {
                        let base = shift(period, period.year() as i32 - *n);
                        combine(now, at(base), |x, y| {
                            if y == 0.0 {
                                Cell::Sym(Symbol::NotMeaningful)
                            } else {
                                Cell::Num(x / y * 100.0)
                            }
                        })
                    }
                    Func::Mavg => {
                        let mut acc = now;
                        for k in 1..*n {
                            acc = combine(acc, at(shift(period, k)), |x, y| Cell::Num(x + y));
                        }
                        combine(acc, Outcome::new(Cell::Num(*n as f64)), |x, y| {
                            Cell::Num(x / y)
                        })
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::formula::parse;

    #[derive(Default)]
    struct Mem {
        cells: HashMap<(String, String, Period, String), Cell>,
        parts: HashMap<String, Vec<String>>,
    }

    impl Mem {
        fn put(&mut self, m: &str, r: &str, p: Period, b: &str, c: Cell) {
            self.cells.insert((m.into(), r.into(), p, b.into()), c);
        }
    }

    impl Inputs for Mem {
        fn get(&self, m: &str, r: &RegionKey, p: Period, b: &str) -> Option<Cell> {
            self.cells
                .get(&(m.to_string(), r.to_string(), p, b.to_string()))
                .copied()
        }
        fn additive(&self, m: &str) -> bool {
            m != "QUOTE"
        }
        fn parts(&self, r: &RegionKey, _: Period) -> Vec<RegionKey> {
            self.parts
                .get(r.as_str())
                .map(|v| v.iter().filter_map(|k| RegionKey::parse(k).ok()).collect())
                .unwrap_or_default()
        }
    }

    fn key(s: &str) -> RegionKey {
        RegionKey::parse(s).expect("valid")
    }

    const Y: Period = Period::Year(2023);

    fn kreis() -> Mem {
        let mut m = Mem::default();
        m.parts
            .insert("14522".into(), vec!["14522010".into(), "14522020".into()]);
        m.put("SGB2", "14522010", Y, "", Cell::Num(1.0));
        m.put("EW", "14522010", Y, "", Cell::Num(10.0));
        m.put("SGB2", "14522020", Y, "", Cell::Num(30.0));
        m.put("EW", "14522020", Y, "", Cell::Num(100.0));
        m
    }

    #[test]
    fn rates_are_recomputed_from_summed_counts_never_averaged() {
        let m = kreis();
        let e = parse("100 * SGB2 / EW").expect("valid");
        let eng = Engine::new(&m);
        assert_eq!(eng.eval(&e, &key("14522010"), Y).cell, Cell::Num(10.0));
        assert_eq!(eng.eval(&e, &key("14522020"), Y).cell, Cell::Num(30.0));
        // 31 of 110, not the mean 20 %.
        let Cell::Num(k) = eng.eval(&e, &key("14522"), Y).cell else {
            panic!("number")
        };
        assert!((k - 3100.0 / 110.0).abs() < 1e-9, "{k}");
    }

    #[test]
    fn published_rates_are_never_summed_and_years_meet_year_ends() {
        let mut m = kreis();
        m.put("QUOTE", "14522010", Y, "", Cell::Num(10.0));
        m.put("QUOTE", "14522020", Y, "", Cell::Num(30.0));
        let eng = Engine::new(&m);
        assert_eq!(
            eng.eval(&parse("QUOTE").expect("v"), &key("14522"), Y).cell,
            Cell::Missing
        );
        m.put(
            "EW",
            "14522",
            Period::Date(2023, 12, 31),
            "",
            Cell::Num(200.0),
        );
        m.put("GEB", "14522", Y, "", Cell::Num(2.0));
        let eng = Engine::new(&m);
        let o = eng.eval(
            &parse("1000 * GEB / coalesce(EWX, EW)").expect("v"),
            &key("14522"),
            Period::Date(2023, 12, 31),
        );
        assert_eq!(o.cell, Cell::Num(10.0));
    }

    #[test]
    fn a_sum_with_a_missing_part_is_incomplete() {
        let mut m = kreis();
        m.cells
            .remove(&("SGB2".into(), "14522020".into(), Y, "".into()));
        let o = Engine::new(&m).eval(&parse("SGB2").expect("valid"), &key("14522"), Y);
        assert_eq!(
            o,
            Outcome {
                cell: Cell::Num(1.0),
                incomplete: true
            }
        );
    }

    #[test]
    fn symbols_propagate_and_nil_counts_as_zero() {
        let mut m = kreis();
        m.put("SGB2", "14522020", Y, "", Cell::Sym(Symbol::Secret));
        let eng = Engine::new(&m);
        assert_eq!(
            eng.eval(&parse("100 * SGB2 / EW").expect("v"), &key("14522"), Y)
                .cell,
            Cell::Sym(Symbol::Secret)
        );
        m.put("SGB2", "14522020", Y, "", Cell::Sym(Symbol::Nil));
        let eng = Engine::new(&m);
        assert_eq!(
            eng.eval(&parse("SGB2").expect("v"), &key("14522"), Y).cell,
            Cell::Num(1.0)
        );
        assert_eq!(
            eng.eval(&parse("SGB2 / (EW - EW)").expect("v"), &key("14522010"), Y)
                .cell,
            Cell::Sym(Symbol::NotMeaningful)
        );
    }

    #[test]
    fn selectors_sum_breakdown_values() {
        let mut m = Mem::default();
        m.put("BEV", "14522", Y, "", Cell::Num(100.0));
        m.put("BEV", "14522", Y, "ALT=A65", Cell::Num(20.0));
        m.put("BEV", "14522", Y, "ALT=A80", Cell::Num(5.0));
        let o = Engine::new(&m).eval(
            &parse("100 * BEV[ALT=A65|A80] / BEV").expect("v"),
            &key("14522"),
            Y,
        );
        assert_eq!(o.cell, Cell::Num(25.0));
    }

    #[test]
    fn time_functions() {
        let mut m = Mem::default();
        for (y, v) in [
            (2013, 80.0),
            (2018, 90.0),
            (2021, 96.0),
            (2022, 98.0),
            (2023, 100.0),
        ] {
            m.put("EW", "14522", Period::Year(y), "", Cell::Num(v));
        }
        let eng = Engine::new(&m);
        let at = |f: &str| eng.eval(&parse(f).expect("v"), &key("14522"), Y).cell;
        assert_eq!(at("change(EW, 5)"), Cell::Num(10.0));
        assert_eq!(at("pct_change(EW, 10)"), Cell::Num(25.0));
        assert_eq!(at("index(EW, 2013)"), Cell::Num(125.0));
        assert_eq!(at("mavg(EW, 3)"), Cell::Num(98.0));
        assert_eq!(at("lag(EW, 1)"), Cell::Num(98.0));
        assert_eq!(at("change(EW, 4)"), Cell::Missing);
    }
}
