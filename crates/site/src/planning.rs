//! The public side of the planning cycle: the recommendations and measures the planners
//! published for the home district, each aim evaluated against the public values only. An
//! aim whose baseline the public does not see as that number (withheld, no number, revised
//! since) is shown without its numbers, so nothing internal reaches a page through a plan.

use sozialmonitor_core::format::german_number;
use sozialmonitor_core::planning::{Aim, Change, Evaluation, compare, evaluate};
use sozialmonitor_store::{
    Cycle, Database, Decision, Impulse, MeasureAim, Milestone, Network, ParticipationEvent,
    PlanMeasure, Planning, Priority, Recommendation,
};

use crate::{BREAK_WORDS, Pub, Site};

/// A cycle with all its records, published or not: the planners' planning document is made
/// from it (its numbers still come from the public side of the site).
#[derive(Debug, Clone)]
pub struct PlanningCycle {
    /// The cycle.
    pub cycle: Cycle,
    /// Its timeline.
    pub milestones: Vec<Milestone>,
    /// Its pending (and taken) decisions.
    pub decisions: Vec<Decision>,
    /// Priorities and goals.
    pub priorities: Vec<Priority>,
    /// Recommendations.
    pub recommendations: Vec<Recommendation>,
    /// Measures with their aims.
    pub measures: Vec<(PlanMeasure, Vec<MeasureAim>)>,
}

impl PlanningCycle {
    /// The newest cycle of a district with its records, if it has one.
    pub fn newest(store: &Database, kreis: &str) -> anyhow::Result<Option<PlanningCycle>> {
        // The newest by its years (ids say only the order of entry).
        let Some(cycle) = store
            .cycles(kreis)?
            .into_iter()
            .max_by_key(|c| (c.last_year, c.first_year, c.id))
        else {
            return Ok(None);
        };
        let id = cycle.id;
        let mut measures = Vec::new();
        for m in store.plan_measures(id)? {
            let aims = store.plan_aims(m.id)?;
            measures.push((m, aims));
        }
        Ok(Some(PlanningCycle {
            milestones: store.milestones(id)?,
            decisions: store.decisions(id)?,
            priorities: store.priorities(id)?,
            recommendations: store.recommendations(id)?,
            measures,
            cycle,
        }))
    }
}

/// A published measure with its aims.
#[derive(Debug, Clone)]
pub struct PublicMeasure {
    /// The measure.
    pub measure: PlanMeasure,
    /// Its aims.
    pub aims: Vec<MeasureAim>,
}

/// What the public sees of the home district's planning cycles.
#[derive(Debug, Clone, Default)]
pub struct PublicPlanning {
    /// Cycles (title, first and last year), oldest first.
    pub cycles: Vec<(String, i64, i64)>,
    /// Published recommendations of every cycle.
    pub recommendations: Vec<Recommendation>,
    /// Published measures of every cycle.
    pub measures: Vec<PublicMeasure>,
    /// Published participation events, each with its published impulses (links only to
    /// published recommendations and measures).
    pub events: Vec<(ParticipationEvent, Vec<Impulse>)>,
    /// The store's planning version when loaded (a change in the workspace raises it).
    pub version: i64,
}

impl PublicPlanning {
    /// Loads the published part of the district's cycles.
    pub fn load(store: &Database, kreis: &str) -> anyhow::Result<PublicPlanning> {
        let mut out = PublicPlanning {
            version: store.planning_version()?,
            ..PublicPlanning::default()
        };
        for c in store.cycles(kreis)? {
            out.cycles
                .push((c.title.clone(), c.first_year, c.last_year));
            out.recommendations.extend(
                store
                    .recommendations(c.id)?
                    .into_iter()
                    .filter(|r| r.public),
            );
            for m in store.plan_measures(c.id)?.into_iter().filter(|m| m.public) {
                let aims = store.plan_aims(m.id)?;
                out.measures.push(PublicMeasure { measure: m, aims });
            }
        }
        for e in store.events(kreis)?.into_iter().filter(|e| e.public) {
            let mut impulses: Vec<Impulse> = store.impulses(e.id)?;
            impulses.retain(|i| i.public);
            for i in &mut impulses {
                i.recommendations
                    .retain(|id| out.recommendation(*id).is_some());
                i.measures.retain(|id| out.measure(*id).is_some());
            }
            out.events.push((e, impulses));
        }
        Ok(out)
    }

    /// The published impulses that led to a recommendation (`recommendation`) or a measure,
    /// with their events.
    pub fn origins(
        &self,
        recommendation: Option<i64>,
        measure: Option<i64>,
    ) -> Vec<(&ParticipationEvent, &Impulse)> {
        self.events
            .iter()
            .flat_map(|(e, impulses)| impulses.iter().map(move |i| (e, i)))
            .filter(|(_, i)| i.leads_to(recommendation, measure))
            .collect()
    }

    /// A published measure by id.
    pub fn measure(&self, id: i64) -> Option<&PublicMeasure> {
        self.measures.iter().find(|m| m.measure.id == id)
    }

    /// A published recommendation by id.
    pub fn recommendation(&self, id: i64) -> Option<&Recommendation> {
        self.recommendations.iter().find(|r| r.id == id)
    }

    /// The published recommendation a measure implements, if it is published.
    pub fn implemented_by(&self, m: &PlanMeasure) -> Option<&Recommendation> {
        m.recommendation_id.and_then(|id| self.recommendation(id))
    }

    /// The published measures that concern a municipality: named for it, or for the whole
    /// district (no municipality named).
    pub fn for_region<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a PublicMeasure> + 'a {
        self.measures.iter().filter(move |m| {
            m.measure.municipalities.is_empty() || m.measure.municipalities.iter().any(|k| k == key)
        })
    }
}

/// An aim as the public may see it.
#[derive(Debug, Clone)]
pub struct PublicAim {
    /// The aim, when its baseline is a public number; `None` hides its numbers.
    pub aim: Option<Aim>,
    /// Its evaluation against the public values.
    pub evaluation: Option<Evaluation>,
    /// The public numbers of the indicator in the aim's region, by year.
    pub series: Vec<(u16, f64)>,
}

/// The lines of an aim's chart: the actual values over the years shown, the straight path
/// from baseline to target, and the target. One drawing for the workspace, the dashboard and
/// the planning document.
pub fn aim_lines(aim: &Aim, series: &[(u16, f64)]) -> Vec<sozialmonitor_viz::chart::Line> {
    use sozialmonitor_viz::chart::Line;
    let (_, by) = aim.baseline();
    let (t, ty) = aim.target();
    let first = series
        .iter()
        .map(|(y, _)| *y)
        .min()
        .map_or(by, |y| y.min(by));
    let last = series
        .iter()
        .map(|(y, _)| *y)
        .max()
        .map_or(ty, |y| y.max(ty));
    let line = |name: &str, points: Vec<(u16, Option<f64>)>| Line {
        name: name.into(),
        points,
        incomplete: Vec::new(),
        breaks: Vec::new(),
    };
    vec![
        line(
            "Ist-Werte",
            (first..=last)
                .map(|y| (y, series.iter().find(|(yy, _)| *yy == y).map(|(_, v)| *v)))
                .collect(),
        ),
        line(
            "erwarteter Pfad",
            (by..=ty).map(|y| (y, Some(aim.expected(y)))).collect(),
        ),
        line("Ziel", vec![(ty, Some(t))]),
    ]
}

/// An evaluated aim in words (baseline, target, direction, newest value; shown beside the
/// state's tag) and as a chart whose description names the state too.
pub fn aim_figure(
    aim: &Aim,
    ev: &Evaluation,
    series: &[(u16, f64)],
    title: &str,
    decimals: usize,
) -> (String, String) {
    let n = |x: f64| german_number(x, decimals);
    let (b, by) = aim.baseline();
    let (t, ty) = aim.target();
    let latest = match ev.latest {
        Some((y, v)) => format!("zuletzt {} ({y})", n(v)),
        None => "noch kein Wert nach dem Ausgangsjahr".to_string(),
    };
    let facts = format!(
        "Ausgangswert {} ({by}), Ziel {} bis {ty} ({}), {latest}.",
        n(b),
        n(t),
        aim.direction().label_de(),
    );
    let desc = format!("{facts} Stand: {}.", ev.progress.label_de());
    let chart =
        sozialmonitor_viz::chart::lines(&aim_lines(aim, series), title, &desc, decimals, 560.0);
    (facts, chart)
}

/// Evaluates an aim against the public values of the site.
pub fn public_aim(site: &Site, a: &MeasureAim) -> PublicAim {
    let series = match (site.indicator(&a.indicator), site.region(&a.region_key)) {
        (Some(ind), Some(r)) => public_series(ind, r),
        _ => Vec::new(),
    };
    let year = |y: i64| u16::try_from(y).unwrap_or(0);
    // The baseline is shown only where the public sees that very number in its year: taken
    // from the internal values, it may be a withheld cell, or one revised since.
    let baseline_public = series.iter().any(|(y, v)| {
        i64::from(*y) == a.baseline_year && (v - a.baseline).abs() <= 1e-9 * v.abs().max(1.0)
    });
    let aim = baseline_public
        .then(|| {
            Aim::new(
                (a.baseline, year(a.baseline_year)),
                (a.target, year(a.target_year)),
                a.direction,
            )
            .ok()
        })
        .flatten();
    let evaluation = aim.as_ref().map(|aim| evaluate(aim, &series));
    PublicAim {
        aim,
        evaluation,
        series,
    }
}

/// Said once above a measure's comparisons: they describe, they prove no effect.
pub const COMPARISON_NOTE: &str = "Veränderung in den Gemeinden der Maßnahme neben der im übrigen Kreis, vom Ausgangsjahr des Ziels bis zum neuesten Jahr. Das beschreibt die Entwicklung und ist kein Nachweis einer Wirkung.";

/// The change in the measure's municipalities against the rest of the district, for each aim
/// whose baseline the public sees, on public values only. Empty for a measure of the whole
/// district (it has no "rest" to compare with).
pub fn comparisons(site: &Site, kreis: usize, m: &PlanMeasure, aims: &[MeasureAim]) -> Vec<String> {
    if m.municipalities.is_empty() {
        return Vec::new();
    }
    let places = site.municipalities(kreis);
    let inside: Vec<&str> = m.municipalities.iter().map(String::as_str).collect();
    aims.iter()
        .filter(|a| public_aim(site, a).aim.is_some())
        .filter_map(|a| {
            let ind = site.indicator(&a.indicator)?;
            let series: Vec<(&str, Vec<(u16, f64)>)> = places
                .iter()
                .map(|&r| (site.regions[r].key.as_str(), public_series(ind, r)))
                .collect();
            let from = u16::try_from(a.baseline_year).ok()?;
            // The newest year a municipality has a number in.
            let to = series
                .iter()
                .filter_map(|(_, s)| s.last())
                .map(|(y, _)| *y)
                .max()?;
            let c = compare(
                series.iter().map(|(k, s)| (*k, s.as_slice())),
                &inside,
                (from, to),
                Change::for_unit(&ind.entry.unit),
            )?;
            let said = c.german(&ind.entry.name, ind.decimals);
            // A census or a new count between the years makes part of the change an artefact;
            // said as beside every other change that crosses a break.
            let crossed: Vec<&str> = ind
                .breaks_between(kreis, from, to)
                .iter()
                .map(|b| b.title.as_str())
                .collect();
            Some(if crossed.is_empty() {
                said
            } else {
                format!(
                    "{} – über einen {BREAK_WORDS} hinweg ({}), nur eingeschränkt vergleichbar.",
                    said.trim_end_matches('.'),
                    crossed.join(", ")
                )
            })
        })
        .collect()
}

/// An indicator's public numbers in one region, by year (oldest first).
fn public_series(ind: &crate::Indicator, r: usize) -> Vec<(u16, f64)> {
    ind.years
        .iter()
        .filter_map(|y| match ind.values.get(&(r as u32, *y)) {
            Some(Pub::Num(x)) => Some((*y, *x)),
            _ => None,
        })
        .collect()
}
