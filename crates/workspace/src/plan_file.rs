//! Planning records in a file with German field names as planners write them, in TOML
//! (`sozialmonitor planning import FILE`, the demo's `data/demo/planung/`) or the same fields
//! in JSON (the workspace's API): cycles with their timeline, pending decisions, priorities and
//! goals, recommendations and measures with their aims. The whole file is checked before
//! anything is saved; each cycle is then saved in one transaction with its audit events, and
//! a cycle already held (same district and title) is refused, so a file cannot be imported
//! twice.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use sozialmonitor_core::planning::{Aim, Direction, MilestoneKind, PriorityKind, Status};
use sozialmonitor_store::{
    AuditEvent, Cycle, CycleRecords, Database, Decision, MeasureAim, Milestone, PlanMeasure,
    Planning, Priority, Recommendation,
};

/// A planning file: its cycles.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    zyklus: Vec<CycleIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CycleIn {
    kreis: String,
    titel: String,
    von: i64,
    bis: i64,
    #[serde(default)]
    notiz: String,
    #[serde(default)]
    quelle: String,
    #[serde(default)]
    zeitplan: Vec<MilestoneIn>,
    #[serde(default)]
    entscheidung: Vec<DecisionIn>,
    #[serde(default)]
    schwerpunkt: Vec<PriorityIn>,
    #[serde(default)]
    empfehlung: Vec<RecommendationIn>,
    #[serde(default)]
    massnahme: Vec<MeasureIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MilestoneIn {
    art: String,
    titel: String,
    von: String,
    #[serde(default)]
    bis: String,
    stand: String,
    #[serde(default)]
    verantwortlich: String,
    #[serde(default)]
    dokumente: String,
    #[serde(default)]
    quelle: String,
    #[serde(default)]
    beispiel: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionIn {
    frage: String,
    #[serde(default)]
    optionen: String,
    #[serde(default)]
    entscheidet: String,
    #[serde(default)]
    bis: String,
    #[serde(default)]
    ergebnis: String,
    #[serde(default)]
    entschieden_am: String,
    #[serde(default)]
    quelle: String,
    #[serde(default)]
    beispiel: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PriorityIn {
    handlungsfeld: String,
    art: String,
    titel: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    quelle: String,
    #[serde(default)]
    beispiel: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecommendationIn {
    handlungsfeld: String,
    titel: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    indikatoren: Vec<String>,
    #[serde(default)]
    befunde: String,
    stand: String,
    #[serde(default)]
    beschlossen_von: String,
    #[serde(default)]
    beschlossen_am: String,
    #[serde(default)]
    aktenzeichen: String,
    #[serde(default)]
    ergebnis: String,
    #[serde(default)]
    oeffentlich: bool,
    #[serde(default)]
    quelle: String,
    #[serde(default)]
    beispiel: bool,
}

/// A measure as a file or a request writes it, with its aims.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureIn {
    pub(crate) titel: String,
    #[serde(default)]
    pub(crate) text: String,
    /// The title of the recommendation of the same cycle it implements.
    #[serde(default)]
    pub(crate) empfehlung: Option<String>,
    #[serde(default)]
    pub(crate) verantwortlich: String,
    #[serde(default)]
    pub(crate) partner: String,
    #[serde(default)]
    pub(crate) von: String,
    #[serde(default)]
    pub(crate) bis: String,
    #[serde(default)]
    pub(crate) budget: Option<f64>,
    pub(crate) stand: String,
    #[serde(default)]
    pub(crate) zielgruppen: String,
    #[serde(default)]
    pub(crate) gemeinden: Vec<String>,
    #[serde(default)]
    pub(crate) notizen: String,
    #[serde(default)]
    pub(crate) oeffentlich: bool,
    #[serde(default)]
    pub(crate) quelle: String,
    #[serde(default)]
    pub(crate) beispiel: bool,
    #[serde(default)]
    pub(crate) ziel: Vec<AimIn>,
}

/// An aim of a measure as a file or a request writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AimIn {
    pub(crate) indikator: String,
    pub(crate) gebiet: String,
    pub(crate) ausgangswert: f64,
    pub(crate) ausgangsjahr: u16,
    pub(crate) zielwert: f64,
    pub(crate) zieljahr: u16,
    pub(crate) richtung: String,
}

fn status(s: &str, what: &str) -> Result<Status> {
    Status::parse(s).with_context(|| {
        format!("{what}: stand = {s:?} (geplant, laufend, abgeschlossen oder verworfen)")
    })
}

fn check_cycle(c: CycleIn) -> Result<CycleRecords> {
    let here = format!("Zyklus {:?}", c.titel);
    // A measure names its recommendation by title, and a planner finds a measure by its title.
    once(
        &here,
        "die Empfehlung",
        c.empfehlung.iter().map(|r| r.titel.as_str()),
    )?;
    once(
        &here,
        "die Maßnahme",
        c.massnahme.iter().map(|m| m.titel.as_str()),
    )?;
    if c.bis < c.von {
        bail!("{here}: bis ({}) liegt vor von ({})", c.bis, c.von);
    }
    let milestones = c
        .zeitplan
        .into_iter()
        .map(|m| {
            let what = format!("{here}, Zeitplan {:?}", m.titel);
            Ok(Milestone {
                id: 0,
                cycle_id: 0,
                kind: MilestoneKind::parse(&m.art).with_context(|| {
                    format!("{what}: art = {:?} (prozessschritt, meilenstein, veranstaltung oder beschluss)", m.art)
                })?,
                status: status(&m.stand, &what)?,
                title: m.titel,
                date_from: m.von,
                date_to: m.bis,
                responsible: m.verantwortlich,
                documents: m.dokumente,
                source: m.quelle,
                example: m.beispiel,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let decisions = c
        .entscheidung
        .into_iter()
        .map(|d| Decision {
            id: 0,
            cycle_id: 0,
            question: d.frage,
            options: d.optionen,
            decider: d.entscheidet,
            due: d.bis,
            outcome: d.ergebnis,
            decided_on: d.entschieden_am,
            source: d.quelle,
            example: d.beispiel,
        })
        .collect();
    let priorities = c
        .schwerpunkt
        .into_iter()
        .map(|p| {
            Ok(Priority {
                id: 0,
                cycle_id: 0,
                kind: PriorityKind::parse(&p.art).with_context(|| {
                    format!(
                        "{here}, Schwerpunkt {:?}: art = {:?} (schwerpunkt, ziel oder thema)",
                        p.titel, p.art
                    )
                })?,
                action_field: p.handlungsfeld,
                title: p.titel,
                body: p.text,
                source: p.quelle,
                example: p.beispiel,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let recommendations = c
        .empfehlung
        .into_iter()
        .map(|r| {
            let what = format!("{here}, Empfehlung {:?}", r.titel);
            Ok(Recommendation {
                id: 0,
                cycle_id: 0,
                status: status(&r.stand, &what)?,
                action_field: r.handlungsfeld,
                title: r.titel,
                body: r.text,
                indicators: r.indikatoren,
                findings: r.befunde,
                decided_by: r.beschlossen_von,
                decided_on: r.beschlossen_am,
                reference: r.aktenzeichen,
                outcome: r.ergebnis,
                public: r.oeffentlich,
                source: r.quelle,
                example: r.beispiel,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let measures = c
        .massnahme
        .into_iter()
        .map(|m| check_measure(&here, &c.kreis, m, &recommendations))
        .collect::<Result<Vec<_>>>()?;
    Ok(CycleRecords {
        cycle: Cycle {
            id: 0,
            kreis: c.kreis,
            title: c.titel,
            first_year: c.von,
            last_year: c.bis,
            note: c.notiz,
            source: c.quelle,
        },
        milestones,
        decisions,
        priorities,
        recommendations,
        measures,
    })
}

/// A municipality of district `kreis`: an 8-digit AGS under its key.
fn municipality_of(kreis: &str, key: &str) -> bool {
    key.len() == 8 && key.starts_with(kreis) && key.bytes().all(|b| b.is_ascii_digit())
}

/// Checks a measure of district `kreis` (`here` names the place in the file): its
/// municipalities and aims, its status, and that `recommendations` (the cycle's) hold the one it
/// implements.
pub(crate) fn check_measure(
    here: &str,
    kreis: &str,
    m: MeasureIn,
    recommendations: &[Recommendation],
) -> Result<(PlanMeasure, Option<String>, Vec<MeasureAim>)> {
    let what = format!("{here}, Maßnahme {:?}", m.titel);
    if m.titel.trim().is_empty() {
        bail!("{here}: eine Maßnahme ohne Titel");
    }
    if let Some(r) = &m.empfehlung
        && !recommendations.iter().any(|x| &x.title == r)
    {
        bail!("{what}: keine Empfehlung {r:?} in diesem Zyklus");
    }
    // A measure of the district acts in its municipalities; its aims concern the district or
    // one of them (the public pages and the comparison with the rest of the district rely on it).
    if let Some(g) = m.gemeinden.iter().find(|g| !municipality_of(kreis, g)) {
        bail!(
            "{what}: gemeinden: {g:?} ist keine Gemeinde des Kreises {kreis} (achtstelliger AGS)"
        );
    }
    if let Some(a) = m
        .ziel
        .iter()
        .find(|a| a.gebiet != kreis && !municipality_of(kreis, &a.gebiet))
    {
        bail!(
            "{what}, Ziel für {}: gebiet {:?} ist weder der Kreis {kreis} noch eine seiner Gemeinden",
            a.indikator,
            a.gebiet
        );
    }
    let aims = m
        .ziel
        .iter()
        .map(|a| {
            let direction = Direction::parse(&a.richtung).with_context(|| {
                format!("{what}: richtung = {:?} (steigen oder sinken)", a.richtung)
            })?;
            // The same checks as the workspace's form: an aim that cannot be evaluated is
            // refused here.
            Aim::new(
                (a.ausgangswert, a.ausgangsjahr),
                (a.zielwert, a.zieljahr),
                direction,
            )
            .with_context(|| format!("{what}, Ziel für {}", a.indikator))?;
            Ok(MeasureAim {
                id: 0,
                measure_id: 0,
                indicator: a.indikator.clone(),
                region_key: a.gebiet.clone(),
                baseline: a.ausgangswert,
                baseline_year: i64::from(a.ausgangsjahr),
                target: a.zielwert,
                target_year: i64::from(a.zieljahr),
                direction,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let measure = PlanMeasure {
        id: 0,
        cycle_id: 0,
        recommendation_id: None,
        status: status(&m.stand, &what)?,
        title: m.titel,
        body: m.text,
        owner: m.verantwortlich,
        partners: m.partner,
        period_from: m.von,
        period_to: m.bis,
        budget: m.budget,
        target_groups: m.zielgruppen,
        municipalities: m.gemeinden,
        notes: m.notizen,
        public: m.oeffentlich,
        source: m.quelle,
        example: m.beispiel,
    };
    Ok((measure, m.empfehlung, aims))
}

/// The format of a planning file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML, as planners write it.
    Toml,
    /// JSON with the same fields (the API).
    Json,
}

/// Checks a planning file's text (`name` is the file named in errors): every cycle typed,
/// nothing saved yet. A syntax error names the line.
pub fn parse(text: &str, format: Format, name: &str) -> Result<Vec<CycleRecords>> {
    let file: File = match format {
        Format::Toml => toml::from_str(text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?,
        Format::Json => serde_json::from_str(text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?,
    };
    let records: usize = file.zyklus.iter().map(CycleIn::records).sum();
    if records > MAX_RECORDS {
        bail!("{name}: {records} Einträge, mehr als die {MAX_RECORDS} einer Datei");
    }
    once(
        name,
        "der Zyklus",
        file.zyklus.iter().map(|c| c.titel.as_str()),
    )?;
    file.zyklus
        .into_iter()
        .map(check_cycle)
        .collect::<Result<Vec<_>>>()
        .with_context(|| format!("in {name}"))
}

impl CycleIn {
    /// How many records the cycle holds, itself and its aims included.
    fn records(&self) -> usize {
        1 + self.zeitplan.len()
            + self.entscheidung.len()
            + self.schwerpunkt.len()
            + self.empfehlung.len()
            + self
                .massnahme
                .iter()
                .map(|m| 1 + m.ziel.len())
                .sum::<usize>()
    }
}

/// Reads and checks a planning file (TOML, or JSON when it ends in `.json`).
fn read(path: &Path) -> Result<Vec<CycleRecords>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let format = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        Format::Json
    } else {
        Format::Toml
    };
    parse(&text, format, &path.display().to_string())
}

/// Saves checked cycles, each in one transaction with an audit event per record; their ids.
/// Refused before anything is saved when one of them is held already (same district and title)
/// or, with `only` set, belongs to another district.
pub fn save(
    db: &mut Database,
    cycles: &[CycleRecords],
    only: Option<&str>,
    (actor, now): (&str, i64),
) -> std::result::Result<Vec<i64>, Refusal> {
    for c in cycles {
        if let Some(kreis) = only
            && c.cycle.kreis != kreis
        {
            return Err(Refusal::Input(format!(
                "Zyklus {:?}: kreis = {:?}, hier wird nur der Kreis {kreis} geplant",
                c.cycle.title, c.cycle.kreis
            )));
        }
        if db
            .cycles(&c.cycle.kreis)?
            .iter()
            .any(|held| held.title == c.cycle.title)
        {
            return Err(Refusal::Exists(format!(
                "Zyklus {:?} des Kreises {} ist schon gespeichert (im Arbeitsbereich ändern)",
                c.cycle.title, c.cycle.kreis
            )));
        }
    }
    let event = |c: &Cycle, kind: &str, title: &str| created((actor, now), c, kind, title);
    Ok(db.save_cycle_records(cycles, &event)?)
}

/// The audit event of a record created from a file or request: the cycle is its object, the
/// record's title its new value.
fn created((actor, now): (&str, i64), c: &Cycle, kind: &str, title: &str) -> AuditEvent {
    AuditEvent::new(
        now,
        actor,
        &format!("plan.{kind}.create"),
        &format!("{}/{}", c.kreis, c.title),
    )
    .values(None, Some(title.to_string()))
}

/// The most records one file or request may hold: far more than a district plans, and a bound
/// on what one transaction writes.
pub const MAX_RECORDS: usize = 5_000;

/// Refuses a title that occurs twice among `titles` (what they are: `kind`, where: `here`).
fn once<'a>(here: &str, kind: &str, titles: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for t in titles {
        if !seen.insert(t) {
            bail!(
                "{here}: {kind} {t:?} steht zweimal darin; jeder Titel darf nur einmal vorkommen"
            );
        }
    }
    Ok(())
}

/// Imports a planning file: checked whole, refused if one of its cycles is held already, then
/// each cycle saved in one transaction; the number of cycles.
pub fn import(db: &mut Database, path: &Path, actor: &str, now: i64) -> Result<usize> {
    let cycles = read(path)?;
    match save(db, &cycles, None, (actor, now)) {
        Ok(ids) => Ok(ids.len()),
        Err(Refusal::Input(why) | Refusal::Exists(why)) => bail!("{}: {why}", path.display()),
        Err(Refusal::NoCycle) => bail!("{}: no such cycle", path.display()),
        Err(Refusal::Failed(e)) => Err(e.context(path.display().to_string())),
    }
}

/// Why measures cannot be added, in German for the planner; or what went wrong underneath.
#[derive(Debug)]
pub enum Refusal {
    /// The input is wrong: the reason, naming the place.
    Input(String),
    /// No such cycle among the district's.
    NoCycle,
    /// A cycle of the same district and title is held already.
    Exists(String),
    /// The database failed.
    Failed(anyhow::Error),
}

impl From<sozialmonitor_store::StoreError> for Refusal {
    fn from(e: sozialmonitor_store::StoreError) -> Refusal {
        Refusal::Failed(e.into())
    }
}

/// Adds measures with their aims to the district's stored cycle `cycle_id`: all checked first
/// (municipalities, aims, the recommendation by its title, no title twice in the cycle), then
/// saved in one transaction with an audit event per measure. Each measure comes with where it
/// was written (`liste.csv, Zeile 4`), named in a refusal. Their number.
pub fn add_measures(
    db: &mut Database,
    (kreis, cycle_id): (&str, i64),
    measures: Vec<(MeasureIn, String)>,
    (actor, now): (&str, i64),
) -> std::result::Result<usize, Refusal> {
    let Some(cycle) = db.cycles(kreis)?.into_iter().find(|c| c.id == cycle_id) else {
        return Err(Refusal::NoCycle);
    };
    if measures.is_empty() {
        return Err(Refusal::Input("Keine Maßnahme angegeben.".into()));
    }
    let records: usize = measures.iter().map(|(m, _)| 1 + m.ziel.len()).sum();
    if records > MAX_RECORDS {
        return Err(Refusal::Input(format!(
            "{records} Maßnahmen und Ziele, mehr als die {MAX_RECORDS} auf einmal"
        )));
    }
    let recommendations = db.recommendations(cycle.id)?;
    let mut titles: std::collections::HashSet<String> = db
        .plan_measures(cycle.id)?
        .into_iter()
        .map(|m| m.title)
        .collect();
    let mut checked = Vec::new();
    for (m, place) in measures {
        let here = format!("{place}, Zyklus {:?}", cycle.title);
        if !titles.insert(m.titel.clone()) {
            return Err(Refusal::Input(format!(
                "{here}: die Maßnahme {:?} gibt es im Zyklus schon oder steht zweimal darin (etwa aus zwei Zyklen); jeder Titel darf in einem Zyklus nur einmal vorkommen",
                m.titel
            )));
        }
        let c = check_measure(&here, kreis, m, &recommendations)
            .map_err(|e| Refusal::Input(format!("{e:#}")))?;
        checked.push(c);
    }
    let n = checked.len();
    let records = CycleRecords {
        cycle,
        milestones: vec![],
        decisions: vec![],
        priorities: vec![],
        recommendations: vec![],
        measures: checked,
    };
    let event = |c: &Cycle, kind: &str, title: &str| created((actor, now), c, kind, title);
    db.save_cycle_records(&[records], &event)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_file_reads_and_bad_codes_are_named() {
        let demo = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/demo/planung/planungszyklen.toml");
        let cycles = read(&demo).expect("the demo's planning file");
        assert_eq!(cycles.len(), 2);
        let ms = &cycles[0];
        assert_eq!(ms.cycle.kreis, "14522");
        assert!(
            ms.milestones
                .iter()
                .any(|m| m.title == "DIALOG Mittelsachsen Sozial" && m.date_from == "2025-04")
        );
        // The Seniorenwegweiser is in the source, its aims are not: none are invented.
        assert!(
            ms.measures
                .iter()
                .all(|(m, _, aims)| !m.example && aims.is_empty())
        );
        assert_eq!(cycles[1].decisions.len(), 2);
        let dir = tempfile::tempdir().expect("tmp");
        let bad = dir.path().join("bad.toml");
        std::fs::write(
            &bad,
            "[[zyklus]]\nkreis = \"14522\"\ntitel = \"T\"\nvon = 2024\nbis = 2026\n[[zyklus.zeitplan]]\nart = \"feier\"\ntitel = \"X\"\nvon = \"2025\"\nstand = \"geplant\"\n",
        )
        .expect("write");
        let e = format!("{:#}", read(&bad).expect_err("refused"));
        assert!(
            e.contains("art = \"feier\"") && e.contains("bad.toml"),
            "{e}"
        );
        // A measure in another district's municipality is refused, naming it.
        std::fs::write(
            &bad,
            "[[zyklus]]\nkreis = \"14522\"\ntitel = \"T\"\nvon = 2024\nbis = 2026\n[[zyklus.massnahme]]\ntitel = \"M\"\nstand = \"geplant\"\ngemeinden = [\"15082005\"]\n",
        )
        .expect("write");
        let e = format!("{:#}", read(&bad).expect_err("refused"));
        assert!(
            e.contains("\"15082005\" ist keine Gemeinde des Kreises 14522"),
            "{e}"
        );
        std::fs::write(&bad, "[[zyklus]]\nkreis = \"14522\"\ntitel = 5\n").expect("write");
        let e = format!("{:#}", read(&bad).expect_err("refused"));
        assert!(e.contains("line 3"), "{e}");
    }
}
