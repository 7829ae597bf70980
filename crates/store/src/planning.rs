//! The planning cycle as stored: cycles, their timeline and pending decisions, priorities and
//! goals per action field, recommendations with the council's decision, measures with their
//! aims per indicator. On both backends through [`crate::accounts::Sql`] from one SQL text, each
//! change written with its audit event in one transaction.
//!
//! Every record type says its table and columns once ([`Record`]); saving (insert or update by
//! id) and listing are written once for all of them.

use sozialmonitor_core::planning::{Direction, MilestoneKind, PriorityKind, Status};

use crate::accounts::{Sql, Step, event_step, first_id};
use crate::transfer::{Field, Ty};
use crate::{AuditEvent, Result, StoreError};

/// A planning cycle of a district (e.g. 2022–2026).
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// Id (0 for a new one).
    pub id: i64,
    /// The district's key.
    pub kreis: String,
    /// Title, e.g. "1. Planungszyklus".
    pub title: String,
    /// First year.
    pub first_year: i64,
    /// Last year.
    pub last_year: i64,
    /// What the cycle is for.
    pub note: String,
    /// Where it is recorded (a document to cite).
    pub source: String,
}

/// A dated entry of a cycle's timeline: a process step, milestone, event or decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    /// Id (0 for a new one).
    pub id: i64,
    /// The cycle.
    pub cycle_id: i64,
    /// What it is.
    pub kind: MilestoneKind,
    /// Title.
    pub title: String,
    /// Start (ISO date, a month `2026-01` or a year `2025`, as precisely as known).
    pub date_from: String,
    /// End, the same way (empty: a single date).
    pub date_to: String,
    /// Status.
    pub status: Status,
    /// The person or body responsible.
    pub responsible: String,
    /// Documents (titles or addresses, one per line).
    pub documents: String,
    /// Where it is recorded.
    pub source: String,
    /// Not recorded in any document: shown as an example.
    pub example: bool,
}

/// A decision pending in a cycle, and its outcome once taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Id (0 for a new one).
    pub id: i64,
    /// The cycle.
    pub cycle_id: i64,
    /// The question.
    pub question: String,
    /// The options, one per line.
    pub options: String,
    /// Who decides.
    pub decider: String,
    /// By when (as precisely as known).
    pub due: String,
    /// The outcome (empty while pending).
    pub outcome: String,
    /// When it was decided.
    pub decided_on: String,
    /// Where it is recorded.
    pub source: String,
    /// Shown as an example.
    pub example: bool,
}

/// A priority or goal of a cycle in an action field.
#[derive(Debug, Clone, PartialEq)]
pub struct Priority {
    /// Id (0 for a new one).
    pub id: i64,
    /// The cycle.
    pub cycle_id: i64,
    /// The catalogue's action field.
    pub action_field: String,
    /// Priority or goal.
    pub kind: PriorityKind,
    /// Title.
    pub title: String,
    /// Text (Markdown).
    pub body: String,
    /// Where it is recorded.
    pub source: String,
    /// Shown as an example.
    pub example: bool,
}

/// A recommendation (Handlungsempfehlung) with the evidence it rests on and the decision on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// Id (0 for a new one).
    pub id: i64,
    /// The cycle.
    pub cycle_id: i64,
    /// The catalogue's action field.
    pub action_field: String,
    /// Title.
    pub title: String,
    /// Text (Markdown).
    pub body: String,
    /// Catalogue keys of the indicators it rests on.
    pub indicators: Vec<String>,
    /// The findings it rests on (Markdown).
    pub findings: String,
    /// Status.
    pub status: Status,
    /// The body that decided (e.g. Kreistag).
    pub decided_by: String,
    /// When.
    pub decided_on: String,
    /// The decision's reference (Beschlussnummer).
    pub reference: String,
    /// The outcome (adopted, changed, rejected …).
    pub outcome: String,
    /// Shown on the public dashboard.
    pub public: bool,
    /// Where it is recorded.
    pub source: String,
    /// Shown as an example.
    pub example: bool,
}

/// A measure or project.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanMeasure {
    /// Id (0 for a new one).
    pub id: i64,
    /// The cycle.
    pub cycle_id: i64,
    /// The recommendation it implements.
    pub recommendation_id: Option<i64>,
    /// Title.
    pub title: String,
    /// Description (Markdown).
    pub body: String,
    /// Who is responsible.
    pub owner: String,
    /// Partners, comma-separated.
    pub partners: String,
    /// Start (as precisely as known).
    pub period_from: String,
    /// End.
    pub period_to: String,
    /// Budget in euros.
    pub budget: Option<f64>,
    /// Status.
    pub status: Status,
    /// Target groups, comma-separated.
    pub target_groups: String,
    /// Keys of the municipalities it concerns (empty: the whole district).
    pub municipalities: Vec<String>,
    /// Evaluation notes (Markdown).
    pub notes: String,
    /// Shown on the public dashboard.
    pub public: bool,
    /// Where it is recorded.
    pub source: String,
    /// Shown as an example.
    pub example: bool,
}

/// A measure's aim for one indicator in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureAim {
    /// Id (0 for a new one).
    pub id: i64,
    /// The measure.
    pub measure_id: i64,
    /// The catalogue key of the indicator.
    pub indicator: String,
    /// The region the aim is for (the district, or a municipality).
    pub region_key: String,
    /// The baseline value.
    pub baseline: f64,
    /// Its year.
    pub baseline_year: i64,
    /// The target value.
    pub target: f64,
    /// Its year.
    pub target_year: i64,
    /// Which way the indicator should move.
    pub direction: Direction,
}

/// A record stored in one table: its columns (after `id`) and how it turns into fields and
/// back.
pub(crate) trait Record: Sized {
    const TABLE: &'static str;
    /// Columns after `id`, with their types.
    const COLUMNS: &'static [(&'static str, Ty)];
    fn id(&self) -> i64;
    fn fields(&self) -> Vec<Field>;
    /// From `id` and the columns, as [`Record::COLUMNS`] orders them; `None` for a row whose
    /// codes this version does not know.
    fn from_fields(f: &[Field]) -> Option<Self>;
    /// The rows it refers to, as table and id: they must exist (checked in the transaction
    /// that saves it, the same way on both backends).
    fn refers_to(&self) -> Vec<(&'static str, i64)> {
        Vec::new()
    }
}

/// Steps that roll the transaction back unless every row `r` refers to exists.
pub(crate) fn reference_checks<R: Record>(r: &R) -> Vec<(String, i64, String)> {
    r.refers_to()
        .into_iter()
        .map(|(table, id)| {
            (
                format!("SELECT id FROM {table} WHERE id = ?1"),
                id,
                format!("{table} {id} does not exist"),
            )
        })
        .collect()
}

pub(crate) fn check_steps(checks: &[(String, i64, String)]) -> impl Iterator<Item = Step<'_>> {
    checks.iter().map(|(sql, id, why)| Step {
        sql,
        params: vec![Field::Int(*id)],
        returns: &[Ty::Int],
        or_else: Some(why.clone()),
        id_of: None,
    })
}

pub(crate) fn text(s: &str) -> Field {
    Field::Text(s.to_string())
}

pub(crate) fn flag(b: bool) -> Field {
    Field::Int(i64::from(b))
}

pub(crate) fn get_text(f: &[Field], i: usize) -> String {
    match f.get(i) {
        Some(Field::Text(s)) => s.clone(),
        _ => String::new(),
    }
}

pub(crate) fn get_int(f: &[Field], i: usize) -> i64 {
    f.get(i).and_then(Field::as_int).unwrap_or(0)
}

pub(crate) fn get_real(f: &[Field], i: usize) -> Option<f64> {
    match f.get(i) {
        Some(Field::Real(x)) => Some(*x),
        Some(Field::Int(x)) => Some(*x as f64),
        _ => None,
    }
}

/// A list kept in one text column, comma-separated (keys and codes have no commas).
pub(crate) fn list(items: &[String]) -> Field {
    Field::Text(items.join(","))
}

pub(crate) fn get_list(f: &[Field], i: usize) -> Vec<String> {
    get_text(f, i)
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Record for Cycle {
    const TABLE: &'static str = "plan_cycle";
    const COLUMNS: &'static [(&'static str, Ty)] = &[
        ("kreis", Ty::Text),
        ("title", Ty::Text),
        ("first_year", Ty::Int),
        ("last_year", Ty::Int),
        ("note", Ty::Text),
        ("source", Ty::Text),
    ];
    fn id(&self) -> i64 {
        self.id
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            text(&self.kreis),
            text(&self.title),
            Field::Int(self.first_year),
            Field::Int(self.last_year),
            text(&self.note),
            text(&self.source),
        ]
    }
    fn from_fields(f: &[Field]) -> Option<Self> {
        Some(Cycle {
            id: get_int(f, 0),
            kreis: get_text(f, 1),
            title: get_text(f, 2),
            first_year: get_int(f, 3),
            last_year: get_int(f, 4),
            note: get_text(f, 5),
            source: get_text(f, 6),
        })
    }
}

impl Record for Milestone {
    const TABLE: &'static str = "plan_milestone";
    const COLUMNS: &'static [(&'static str, Ty)] = &[
        ("cycle_id", Ty::Int),
        ("kind", Ty::Text),
        ("title", Ty::Text),
        ("date_from", Ty::Text),
        ("date_to", Ty::Text),
        ("status", Ty::Text),
        ("responsible", Ty::Text),
        ("documents", Ty::Text),
        ("source", Ty::Text),
        ("example", Ty::Int),
    ];
    fn refers_to(&self) -> Vec<(&'static str, i64)> {
        vec![("plan_cycle", self.cycle_id)]
    }
    fn id(&self) -> i64 {
        self.id
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::Int(self.cycle_id),
            text(self.kind.code()),
            text(&self.title),
            text(&self.date_from),
            text(&self.date_to),
            text(self.status.code()),
            text(&self.responsible),
            text(&self.documents),
            text(&self.source),
            flag(self.example),
        ]
    }
    fn from_fields(f: &[Field]) -> Option<Self> {
        Some(Milestone {
            id: get_int(f, 0),
            cycle_id: get_int(f, 1),
            kind: MilestoneKind::parse(&get_text(f, 2))?,
            title: get_text(f, 3),
            date_from: get_text(f, 4),
            date_to: get_text(f, 5),
            status: Status::parse(&get_text(f, 6))?,
            responsible: get_text(f, 7),
            documents: get_text(f, 8),
            source: get_text(f, 9),
            example: get_int(f, 10) != 0,
        })
    }
}

impl Record for Decision {
    const TABLE: &'static str = "plan_decision";
    const COLUMNS: &'static [(&'static str, Ty)] = &[
        ("cycle_id", Ty::Int),
        ("question", Ty::Text),
        ("options", Ty::Text),
        ("decider", Ty::Text),
        ("due", Ty::Text),
        ("outcome", Ty::Text),
        ("decided_on", Ty::Text),
        ("source", Ty::Text),
        ("example", Ty::Int),
    ];
    fn refers_to(&self) -> Vec<(&'static str, i64)> {
        vec![("plan_cycle", self.cycle_id)]
    }
    fn id(&self) -> i64 {
        self.id
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::Int(self.cycle_id),
            text(&self.question),
            text(&self.options),
            text(&self.decider),
            text(&self.due),
            text(&self.outcome),
            text(&self.decided_on),
            text(&self.source),
            flag(self.example),
        ]
    }
    fn from_fields(f: &[Field]) -> Option<Self> {
        Some(Decision {
            id: get_int(f, 0),
            cycle_id: get_int(f, 1),
            question: get_text(f, 2),
            options: get_text(f, 3),
            decider: get_text(f, 4),
            due: get_text(f, 5),
            outcome: get_text(f, 6),
            decided_on: get_text(f, 7),
            source: get_text(f, 8),
            example: get_int(f, 9) != 0,
        })
    }
}

impl Record for Priority {
    const TABLE: &'static str = "plan_priority";
    const COLUMNS: &'static [(&'static str, Ty)] = &[
        ("cycle_id", Ty::Int),
        ("action_field", Ty::Text),
        ("kind", Ty::Text),
        ("title", Ty::Text),
        ("body", Ty::Text),
        ("source", Ty::Text),
        ("example", Ty::Int),
    ];
    fn refers_to(&self) -> Vec<(&'static str, i64)> {
        vec![("plan_cycle", self.cycle_id)]
    }
    fn id(&self) -> i64 {
        self.id
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::Int(self.cycle_id),
            text(&self.action_field),
            text(self.kind.code()),
            text(&self.title),
            text(&self.body),
            text(&self.source),
            flag(self.example),
        ]
    }
    fn from_fields(f: &[Field]) -> Option<Self> {
        Some(Priority {
            id: get_int(f, 0),
            cycle_id: get_int(f, 1),
            action_field: get_text(f, 2),
            kind: PriorityKind::parse(&get_text(f, 3))?,
            title: get_text(f, 4),
            body: get_text(f, 5),
            source: get_text(f, 6),
            example: get_int(f, 7) != 0,
        })
    }
}

impl Record for Recommendation {
    const TABLE: &'static str = "plan_recommendation";
    const COLUMNS: &'static [(&'static str, Ty)] = &[
        ("cycle_id", Ty::Int),
        ("action_field", Ty::Text),
        ("title", Ty::Text),
        ("body", Ty::Text),
        ("indicators", Ty::Text),
        ("findings", Ty::Text),
        ("status", Ty::Text),
        ("decided_by", Ty::Text),
        ("decided_on", Ty::Text),
        ("reference", Ty::Text),
        ("outcome", Ty::Text),
        ("public", Ty::Int),
        ("source", Ty::Text),
        ("example", Ty::Int),
    ];
    fn refers_to(&self) -> Vec<(&'static str, i64)> {
        vec![("plan_cycle", self.cycle_id)]
    }
    fn id(&self) -> i64 {
        self.id
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::Int(self.cycle_id),
            text(&self.action_field),
            text(&self.title),
            text(&self.body),
            list(&self.indicators),
            text(&self.findings),
            text(self.status.code()),
            text(&self.decided_by),
            text(&self.decided_on),
            text(&self.reference),
            text(&self.outcome),
            flag(self.public),
            text(&self.source),
            flag(self.example),
        ]
    }
    fn from_fields(f: &[Field]) -> Option<Self> {
        Some(Recommendation {
            id: get_int(f, 0),
            cycle_id: get_int(f, 1),
            action_field: get_text(f, 2),
            title: get_text(f, 3),
            body: get_text(f, 4),
            indicators: get_list(f, 5),
            findings: get_text(f, 6),
            status: Status::parse(&get_text(f, 7))?,
            decided_by: get_text(f, 8),
            decided_on: get_text(f, 9),
            reference: get_text(f, 10),
            outcome: get_text(f, 11),
            public: get_int(f, 12) != 0,
            source: get_text(f, 13),
            example: get_int(f, 14) != 0,
        })
    }
}

impl Record for PlanMeasure {
    const TABLE: &'static str = "plan_measure";
    const COLUMNS: &'static [(&'static str, Ty)] = &[
        ("cycle_id", Ty::Int),
        ("recommendation_id", Ty::Int),
        ("title", Ty::Text),
        ("body", Ty::Text),
        ("owner", Ty::Text),
        ("partners", Ty::Text),
        ("period_from", Ty::Text),
        ("period_to", Ty::Text),
        ("budget", Ty::Real),
        ("status", Ty::Text),
        ("target_groups", Ty::Text),
        ("municipalities", Ty::Text),
        ("notes", Ty::Text),
        ("public", Ty::Int),
        ("source", Ty::Text),
        ("example", Ty::Int),
    ];
    fn refers_to(&self) -> Vec<(&'static str, i64)> {
        let mut to = vec![("plan_cycle", self.cycle_id)];
        to.extend(self.recommendation_id.map(|r| ("plan_recommendation", r)));
        to
    }
    fn id(&self) -> i64 {
        self.id
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::Int(self.cycle_id),
            self.recommendation_id.map_or(Field::Null, Field::Int),
            text(&self.title),
            text(&self.body),
            text(&self.owner),
            text(&self.partners),
            text(&self.period_from),
            text(&self.period_to),
            self.budget.map_or(Field::Null, Field::Real),
            text(self.status.code()),
            text(&self.target_groups),
            list(&self.municipalities),
            text(&self.notes),
            flag(self.public),
            text(&self.source),
            flag(self.example),
        ]
    }
    fn from_fields(f: &[Field]) -> Option<Self> {
        Some(PlanMeasure {
            id: get_int(f, 0),
            cycle_id: get_int(f, 1),
            recommendation_id: f.get(2).and_then(Field::as_int),
            title: get_text(f, 3),
            body: get_text(f, 4),
            owner: get_text(f, 5),
            partners: get_text(f, 6),
            period_from: get_text(f, 7),
            period_to: get_text(f, 8),
            budget: get_real(f, 9),
            status: Status::parse(&get_text(f, 10))?,
            target_groups: get_text(f, 11),
            municipalities: get_list(f, 12),
            notes: get_text(f, 13),
            public: get_int(f, 14) != 0,
            source: get_text(f, 15),
            example: get_int(f, 16) != 0,
        })
    }
}

impl Record for MeasureAim {
    const TABLE: &'static str = "plan_aim";
    const COLUMNS: &'static [(&'static str, Ty)] = &[
        ("measure_id", Ty::Int),
        ("indicator", Ty::Text),
        ("region_key", Ty::Text),
        ("baseline", Ty::Real),
        ("baseline_year", Ty::Int),
        ("target", Ty::Real),
        ("target_year", Ty::Int),
        ("direction", Ty::Text),
    ];
    fn id(&self) -> i64 {
        self.id
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::Int(self.measure_id),
            text(&self.indicator),
            text(&self.region_key),
            Field::Real(self.baseline),
            Field::Int(self.baseline_year),
            Field::Real(self.target),
            Field::Int(self.target_year),
            text(self.direction.code()),
        ]
    }
    fn from_fields(f: &[Field]) -> Option<Self> {
        Some(MeasureAim {
            id: get_int(f, 0),
            measure_id: get_int(f, 1),
            indicator: get_text(f, 2),
            region_key: get_text(f, 3),
            baseline: get_real(f, 4)?,
            baseline_year: get_int(f, 5),
            target: get_real(f, 6)?,
            target_year: get_int(f, 7),
            direction: Direction::parse(&get_text(f, 8))?,
        })
    }
}

/// `INSERT … RETURNING id` for a new record, `UPDATE … WHERE id` for a stored one.
pub(crate) fn save_sql<R: Record>(r: &R) -> String {
    let names: Vec<&str> = R::COLUMNS.iter().map(|(n, _)| *n).collect();
    if r.id() == 0 {
        insert_sql(R::TABLE, &names)
    } else {
        let sets: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{n} = ?{}", i + 1))
            .collect();
        format!(
            "UPDATE {} SET {} WHERE id = ?{} RETURNING id",
            R::TABLE,
            sets.join(", "),
            names.len() + 1
        )
    }
}

pub(crate) fn save_step<'a, R: Record>(r: &R, sql: &'a str) -> Step<'a> {
    let mut params = r.fields();
    if r.id() != 0 {
        params.push(Field::Int(r.id()));
    }
    Step {
        sql,
        params,
        returns: &[Ty::Int],
        or_else: (r.id() != 0).then(|| format!("{} {} does not exist", R::TABLE, r.id())),
        id_of: None,
    }
}

pub(crate) fn save<R: Record, S: Sql + ?Sized>(
    db: &mut S,
    r: &R,
    event: &AuditEvent,
) -> Result<i64> {
    let sql = save_sql(r);
    // The references first: a missing one is the same refusal on both backends (PostgreSQL's
    // foreign keys would otherwise answer before the check).
    let checks = reference_checks(r);
    let mut steps: Vec<Step> = check_steps(&checks).collect();
    steps.push(save_step(r, &sql));
    steps.push(event_step(event));
    let done = db.transact(&steps)?;
    first_id(done.get(checks.len()..).unwrap_or(&[]))
}

/// The records whose `column` is `value`, in id order.
pub(crate) fn list_where<R: Record, S: Sql + ?Sized>(
    db: &S,
    column: &str,
    value: Field,
) -> Result<Vec<R>> {
    let names: Vec<&str> = R::COLUMNS.iter().map(|(n, _)| *n).collect();
    let mut types = vec![Ty::Int];
    types.extend(R::COLUMNS.iter().map(|(_, t)| *t));
    let sql = format!(
        "SELECT id, {} FROM {} WHERE {column} = ?1 ORDER BY id",
        names.join(", "),
        R::TABLE
    );
    db.select(&sql, &[value], &types)?
        .iter()
        .map(|row| {
            R::from_fields(row).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "{} {}: a code this version does not know",
                    R::TABLE,
                    get_int(row, 0)
                ))
            })
        })
        .collect()
}

/// A planning cycle with records to add to it, saved at once (an import or a JSON request).
#[derive(Debug, Clone, PartialEq)]
pub struct CycleRecords {
    /// The cycle: a new one (id 0) is created, a stored one (its id) receives the records.
    pub cycle: Cycle,
    /// Timeline entries.
    pub milestones: Vec<Milestone>,
    /// Pending decisions.
    pub decisions: Vec<Decision>,
    /// Priorities and goals.
    pub priorities: Vec<Priority>,
    /// Recommendations.
    pub recommendations: Vec<Recommendation>,
    /// Measures, each with the title of the cycle's recommendation it implements (one saved
    /// with it or before) and its aims.
    pub measures: Vec<(PlanMeasure, Option<String>, Vec<MeasureAim>)>,
}

/// `INSERT INTO table (names) VALUES (?1, …) RETURNING id`.
pub(crate) fn insert_sql(table: &str, names: &[&str]) -> String {
    let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({}) RETURNING id",
        names.join(", "),
        marks.join(", ")
    )
}

/// A record that belongs to a parent row (a cycle's records, an event's impulses): its
/// parent's id is the column at this index.
pub(crate) trait Child: Record {
    const PARENT_COLUMN: usize = 0;
}
impl Child for Milestone {}
impl Child for Decision {}
impl Child for Priority {}
impl Child for Recommendation {}
impl Child for PlanMeasure {}

/// `INSERT` of a record whose parent's id an earlier step returns: the parent column goes last.
pub(crate) fn insert_child_sql<R: Child>() -> String {
    let mut names: Vec<&str> = R::COLUMNS.iter().map(|(n, _)| *n).collect();
    let parent = names.remove(R::PARENT_COLUMN);
    names.push(parent);
    insert_sql(R::TABLE, &names)
}

/// The step that inserts `r` under the parent whose id step `parent_step` returns.
pub(crate) fn insert_child<'a, R: Child>(r: &R, sql: &'a str, parent_step: usize) -> Step<'a> {
    let mut params = r.fields();
    params.remove(R::PARENT_COLUMN);
    Step {
        sql,
        params,
        returns: &[Ty::Int],
        or_else: None,
        id_of: Some(parent_step),
    }
}

const AIM_INSERT: &str = "INSERT INTO plan_aim (indicator, region_key, baseline, baseline_year, \
     target, target_year, direction, measure_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

fn aim_step(a: &MeasureAim, measure_step: usize) -> Step<'static> {
    Step {
        sql: AIM_INSERT,
        params: vec![
            text(&a.indicator),
            text(&a.region_key),
            Field::Real(a.baseline),
            Field::Int(a.baseline_year),
            Field::Real(a.target),
            Field::Int(a.target_year),
            text(a.direction.code()),
        ],
        returns: &[],
        or_else: None,
        id_of: Some(measure_step),
    }
}

/// The steps that save one cycle's records, the first at index `at` of the transaction: it
/// gives the cycle's id to the others (a new cycle's insert, or the stored cycle found, refused
/// when it is gone).
fn cycle_records_steps<'a>(
    r: &CycleRecords,
    cycle_sql: &'a str,
    sql: &'a [String; 5],
    at: usize,
) -> Vec<Step<'a>> {
    let mut steps = vec![if r.cycle.id == 0 {
        save_step(&r.cycle, cycle_sql)
    } else {
        Step {
            sql: "SELECT id FROM plan_cycle WHERE id = ?1",
            params: vec![Field::Int(r.cycle.id)],
            returns: &[Ty::Int],
            or_else: Some(format!("plan_cycle {} does not exist", r.cycle.id)),
            id_of: None,
        }
    }];
    steps.extend(r.milestones.iter().map(|m| insert_child(m, &sql[0], at)));
    steps.extend(r.decisions.iter().map(|d| insert_child(d, &sql[1], at)));
    steps.extend(r.priorities.iter().map(|p| insert_child(p, &sql[2], at)));
    steps.extend(
        r.recommendations
            .iter()
            .map(|x| insert_child(x, &sql[3], at)),
    );
    for (m, recommendation, aims) in &r.measures {
        let measure = at + steps.len();
        let unlinked = PlanMeasure {
            recommendation_id: None,
            ..m.clone()
        };
        steps.push(insert_child(&unlinked, &sql[4], at));
        steps.extend(aims.iter().map(|a| aim_step(a, measure)));
        // The recommendation by its title within the same cycle: it may be one saved in this
        // very transaction, whose id is not known before.
        if let Some(title) = recommendation {
            steps.push(Step {
                sql: "UPDATE plan_measure SET recommendation_id = (SELECT MIN(r.id) FROM \
                      plan_recommendation r WHERE r.cycle_id = plan_measure.cycle_id \
                      AND r.title = ?1) WHERE id = ?2",
                params: vec![text(title)],
                returns: &[],
                or_else: None,
                id_of: Some(measure),
            });
        }
    }
    steps
}

/// A kind of planning record that can be deleted (a cycle cannot: it holds the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletable {
    /// A timeline entry.
    Milestone,
    /// A pending decision.
    Decision,
    /// A priority or goal.
    Priority,
    /// A recommendation; the measures that implement it keep their place, without it.
    Recommendation,
    /// A measure with its aims.
    Measure,
}

impl Deletable {
    fn table(self) -> &'static str {
        match self {
            Deletable::Milestone => Milestone::TABLE,
            Deletable::Decision => Decision::TABLE,
            Deletable::Priority => Priority::TABLE,
            Deletable::Recommendation => Recommendation::TABLE,
            Deletable::Measure => PlanMeasure::TABLE,
        }
    }

    /// What goes before the record's own row: the rows that point at it.
    fn dependents(self) -> &'static [&'static str] {
        match self {
            Deletable::Recommendation => &[
                "UPDATE plan_measure SET recommendation_id = NULL WHERE recommendation_id = ?1",
                "DELETE FROM impulse_link WHERE target_kind = 'recommendation' AND target_id = ?1",
            ],
            Deletable::Measure => &[
                "DELETE FROM plan_aim WHERE measure_id = ?1",
                "DELETE FROM impulse_link WHERE target_kind = 'measure' AND target_id = ?1",
            ],
            _ => &[],
        }
    }
}

/// The planning cycle's records.
pub trait Planning {
    /// Saves a cycle (new when its id is 0); its id.
    fn save_cycle(&mut self, c: &Cycle, event: &AuditEvent) -> Result<i64>;
    /// The cycles of a district, in id order.
    fn cycles(&self, kreis: &str) -> Result<Vec<Cycle>>;
    /// Saves a timeline entry; its id.
    fn save_milestone(&mut self, m: &Milestone, event: &AuditEvent) -> Result<i64>;
    /// The timeline of a cycle, in id order.
    fn milestones(&self, cycle_id: i64) -> Result<Vec<Milestone>>;
    /// Saves a decision; its id.
    fn save_decision(&mut self, d: &Decision, event: &AuditEvent) -> Result<i64>;
    /// The decisions of a cycle.
    fn decisions(&self, cycle_id: i64) -> Result<Vec<Decision>>;
    /// Records the outcome of a pending decision with its audit event; a decision that has an
    /// outcome already (recorded meanwhile, by any process) or is not there is a conflict and
    /// changes nothing: an outcome is recorded once.
    fn record_outcome(
        &mut self,
        id: i64,
        outcome_and_date: (&str, &str),
        event: &AuditEvent,
    ) -> Result<()>;
    /// Saves a priority or goal; its id.
    fn save_priority(&mut self, p: &Priority, event: &AuditEvent) -> Result<i64>;
    /// The priorities and goals of a cycle.
    fn priorities(&self, cycle_id: i64) -> Result<Vec<Priority>>;
    /// Saves a recommendation; its id.
    fn save_recommendation(&mut self, r: &Recommendation, event: &AuditEvent) -> Result<i64>;
    /// The recommendations of a cycle.
    fn recommendations(&self, cycle_id: i64) -> Result<Vec<Recommendation>>;
    /// Saves a measure with its aims (they replace the stored ones) in one transaction; its id.
    fn save_plan_measure(
        &mut self,
        m: &PlanMeasure,
        aims: &[MeasureAim],
        event: &AuditEvent,
    ) -> Result<i64>;
    /// The measures of a cycle.
    fn plan_measures(&self, cycle_id: i64) -> Result<Vec<PlanMeasure>>;
    /// Saves cycles (each new, or stored: then it is left as it is) with records to add to
    /// them, all in one transaction, each record with its audit event from
    /// `event(cycle, kind, title)` (kind: `cycle`, `milestone`, … for `plan.{kind}.create`).
    /// Nothing is saved if anything fails, e.g. a stored cycle is gone. The cycles' ids.
    fn save_cycle_records(
        &mut self,
        records: &[CycleRecords],
        event: &dyn Fn(&Cycle, &str, &str) -> AuditEvent,
    ) -> Result<Vec<i64>>;
    /// Deletes a record (and what belongs to it) with its audit event in one transaction; a
    /// record that does not exist is a conflict and changes nothing.
    fn delete_planning(&mut self, what: Deletable, id: i64, event: &AuditEvent) -> Result<()>;
    /// The aims of a measure.
    fn plan_aims(&self, measure_id: i64) -> Result<Vec<MeasureAim>>;
    /// A number that every change of what the public sees of planning raises: the count of the
    /// `plan.`, `service.`, `network.event.` and `network.impulse.` audit events, one written in
    /// the same transaction as each change (a count, not the newest id, because ids may commit
    /// out of order). The public dashboard reloads when it moves; changes to the internal
    /// network (actors, contact persons) do not move it.
    fn planning_version(&self) -> Result<i64>;
}

impl<T: Sql> Planning for T {
    fn save_cycle(&mut self, c: &Cycle, event: &AuditEvent) -> Result<i64> {
        save(self, c, event)
    }
    fn cycles(&self, kreis: &str) -> Result<Vec<Cycle>> {
        list_where(self, "kreis", text(kreis))
    }
    fn save_milestone(&mut self, m: &Milestone, event: &AuditEvent) -> Result<i64> {
        save(self, m, event)
    }
    fn milestones(&self, cycle_id: i64) -> Result<Vec<Milestone>> {
        list_where(self, "cycle_id", Field::Int(cycle_id))
    }
    fn save_decision(&mut self, d: &Decision, event: &AuditEvent) -> Result<i64> {
        save(self, d, event)
    }
    fn decisions(&self, cycle_id: i64) -> Result<Vec<Decision>> {
        list_where(self, "cycle_id", Field::Int(cycle_id))
    }
    fn save_priority(&mut self, p: &Priority, event: &AuditEvent) -> Result<i64> {
        save(self, p, event)
    }
    fn priorities(&self, cycle_id: i64) -> Result<Vec<Priority>> {
        list_where(self, "cycle_id", Field::Int(cycle_id))
    }
    fn save_recommendation(&mut self, r: &Recommendation, event: &AuditEvent) -> Result<i64> {
        save(self, r, event)
    }
    fn recommendations(&self, cycle_id: i64) -> Result<Vec<Recommendation>> {
        list_where(self, "cycle_id", Field::Int(cycle_id))
    }

    fn save_plan_measure(
        &mut self,
        m: &PlanMeasure,
        aims: &[MeasureAim],
        event: &AuditEvent,
    ) -> Result<i64> {
        // The first step (insert or update) returns the measure's id; the aims take it from
        // there, so a new measure and its aims are one transaction.
        let sql = save_sql(m);
        let checks = reference_checks(m);
        let saved = checks.len();
        let mut steps: Vec<Step> = check_steps(&checks).collect();
        steps.push(save_step(m, &sql));
        steps.extend([Step {
            sql: "DELETE FROM plan_aim WHERE measure_id = ?1",
            params: Vec::new(),
            returns: &[],
            or_else: None,
            id_of: Some(saved),
        }]);
        steps.extend(aims.iter().map(|a| aim_step(a, saved)));
        steps.push(event_step(event));
        let done = self.transact(&steps)?;
        first_id(done.get(saved..).unwrap_or(&[]))
    }

    fn plan_measures(&self, cycle_id: i64) -> Result<Vec<PlanMeasure>> {
        list_where(self, "cycle_id", Field::Int(cycle_id))
    }
    fn record_outcome(
        &mut self,
        id: i64,
        (outcome, decided_on): (&str, &str),
        event: &AuditEvent,
    ) -> Result<()> {
        self.transact(&[
            Step {
                sql: "UPDATE plan_decision SET outcome = ?2, decided_on = ?3 \
                      WHERE id = ?1 AND outcome = ''",
                params: vec![Field::Int(id), text(outcome), text(decided_on)],
                returns: &[],
                or_else: Some(format!(
                    "plan_decision {id} is decided already or not there"
                )),
                id_of: None,
            },
            event_step(event),
        ])?;
        Ok(())
    }
    fn save_cycle_records(
        &mut self,
        records: &[CycleRecords],
        event: &dyn Fn(&Cycle, &str, &str) -> AuditEvent,
    ) -> Result<Vec<i64>> {
        let sql = [
            insert_child_sql::<Milestone>(),
            insert_child_sql::<Decision>(),
            insert_child_sql::<Priority>(),
            insert_child_sql::<Recommendation>(),
            insert_child_sql::<PlanMeasure>(),
        ];
        let cycle_sql: Vec<String> = records.iter().map(|r| save_sql(&r.cycle)).collect();
        let mut steps: Vec<Step> = Vec::new();
        let mut events: Vec<AuditEvent> = Vec::new();
        let mut firsts = Vec::new();
        for (r, cycle_sql) in records.iter().zip(&cycle_sql) {
            let at = steps.len();
            firsts.push(at);
            steps.extend(cycle_records_steps(r, cycle_sql, &sql, at));
            let mut titled = |kind: &str, title: &str| events.push(event(&r.cycle, kind, title));
            if r.cycle.id == 0 {
                titled("cycle", &r.cycle.title);
            }
            r.milestones
                .iter()
                .for_each(|x| titled("milestone", &x.title));
            r.decisions
                .iter()
                .for_each(|x| titled("decision", &x.question));
            r.priorities
                .iter()
                .for_each(|x| titled("priority", &x.title));
            r.recommendations
                .iter()
                .for_each(|x| titled("recommendation", &x.title));
            r.measures
                .iter()
                .for_each(|x| titled("measure", &x.0.title));
        }
        for e in &events {
            steps.push(event_step(e));
        }
        let done = self.transact(&steps)?;
        firsts
            .iter()
            .map(|&at| first_id(done.get(at..).unwrap_or(&[])))
            .collect()
    }
    fn plan_aims(&self, measure_id: i64) -> Result<Vec<MeasureAim>> {
        list_where(self, "measure_id", Field::Int(measure_id))
    }
    fn delete_planning(&mut self, what: Deletable, id: i64, event: &AuditEvent) -> Result<()> {
        let own = format!("DELETE FROM {} WHERE id = ?1", what.table());
        let step = |sql: &'static str| Step {
            sql,
            params: vec![Field::Int(id)],
            returns: &[],
            or_else: None,
            id_of: None,
        };
        let mut steps: Vec<Step> = what.dependents().iter().map(|sql| step(sql)).collect();
        steps.push(Step {
            sql: &own,
            params: vec![Field::Int(id)],
            returns: &[],
            or_else: Some(format!("{} {id} does not exist", what.table())),
            id_of: None,
        });
        steps.push(event_step(event));
        self.transact(&steps)?;
        Ok(())
    }
    fn planning_version(&self) -> Result<i64> {
        let rows = self.select(
            "SELECT count(*) FROM audit_event WHERE action LIKE 'plan.%' \
             OR action LIKE 'service.%' \
             OR action LIKE 'network.event.%' OR action LIKE 'network.impulse.%'",
            &[],
            &[Ty::Int],
        )?;
        Ok(rows.first().map_or(0, |r| get_int(r, 0)))
    }
}
