//! The network and participation as stored, on both backends from one SQL text (see
//! [`crate::planning`] for the record machinery): actors (organisations) with their contact
//! persons, working groups with their members, participation events with the impulses they
//! gave, each impulse linked to the recommendations and measures it led to.
//!
//! Contact persons are the one kind of personal data here. Their audit events name them only by
//! id (`person:17`), never by name or address, so that erasing a person (GDPR Art. 17) leaves no
//! trace of them outside that pseudonymised entry.

use sozialmonitor_core::network::{ActorKind, EventFormat};
use sozialmonitor_core::services::TargetGroup;

use crate::accounts::{Sql, Step, event_step, first_id};
use crate::planning::{
    Child, Record, check_steps, flag, get_int, get_list, get_text, insert_child, insert_child_sql,
    list_where, reference_checks, save, save_sql, save_step, text,
};
use crate::transfer::{Field, Ty};
use crate::{AuditEvent, Result};

/// An organisation of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    /// Id (0 for a new one).
    pub id: i64,
    /// The district whose network it is in.
    pub kreis: String,
    /// Name, unique in the district.
    pub name: String,
    /// What kind of organisation.
    pub kind: ActorKind,
    /// The action fields it works on.
    pub action_fields: Vec<String>,
    /// The target groups it works for.
    pub target_groups: Vec<TargetGroup>,
    /// The municipality it sits in (AGS), or empty.
    pub municipality: String,
    /// Web address.
    pub web: String,
    /// What it does in the network (Markdown).
    pub note: String,
    /// Where it is recorded.
    pub source: String,
    /// Not recorded in any document: shown as an example.
    pub example: bool,
}

/// A contact person of an actor: personal data, internal only, kept with the consent noted.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactPerson {
    /// Id (0 for a new one).
    pub id: i64,
    /// The actor.
    pub actor_id: i64,
    /// Name.
    pub name: String,
    /// Function or role.
    pub function: String,
    /// E-mail.
    pub email: String,
    /// Telephone.
    pub phone: String,
    /// When the person consented to being stored (ISO date).
    pub consent_on: String,
    /// What for (e.g. "Einladungen zu Beteiligungsformaten").
    pub consent_for: String,
    /// Notes.
    pub note: String,
}

/// A working group of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkingGroup {
    /// Id (0 for a new one).
    pub id: i64,
    /// The district.
    pub kreis: String,
    /// Name.
    pub name: String,
    /// The action field it works on.
    pub action_field: String,
    /// What it is for.
    pub purpose: String,
    /// Where it is recorded.
    pub source: String,
    /// Shown as an example.
    pub example: bool,
}

/// An actor's membership of a working group, with the contact person who attends (if named).
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// Id (0 for a new one).
    pub id: i64,
    /// The working group.
    pub group_id: i64,
    /// The actor.
    pub actor_id: i64,
    /// The contact person who attends (`None`: the actor as such).
    pub person_id: Option<i64>,
    /// Role in the group (e.g. Leitung).
    pub role: String,
}

/// A participation event (a conference, a forum, a Fachtag).
#[derive(Debug, Clone, PartialEq)]
pub struct ParticipationEvent {
    /// Id (0 for a new one).
    pub id: i64,
    /// The district.
    pub kreis: String,
    /// Format.
    pub format: EventFormat,
    /// Title.
    pub title: String,
    /// Start (ISO, as precisely as known: `2025-04`).
    pub date_from: String,
    /// End, the same way (empty: one day).
    pub date_to: String,
    /// Place as written.
    pub place: String,
    /// The municipality it is held in (AGS), or empty.
    pub municipality: String,
    /// Whom it is for.
    pub target_groups: Vec<TargetGroup>,
    /// How many took part, if counted.
    pub participants: Option<i64>,
    /// Topics discussed (Markdown).
    pub topics: String,
    /// Documents (titles or addresses, one per line).
    pub documents: String,
    /// Who organised it.
    pub organiser: String,
    /// Shown on the public pages.
    pub public: bool,
    /// Where it is recorded.
    pub source: String,
    /// Shown as an example.
    pub example: bool,
}

/// A result of an event that planning takes up, linked to what it led to.
#[derive(Debug, Clone, PartialEq)]
pub struct Impulse {
    /// Id (0 for a new one).
    pub id: i64,
    /// The event it came from.
    pub event_id: i64,
    /// Title.
    pub title: String,
    /// Text (Markdown).
    pub body: String,
    /// The action field it concerns.
    pub action_field: String,
    /// Shown on the public pages.
    pub public: bool,
    /// Where it is recorded.
    pub source: String,
    /// Shown as an example.
    pub example: bool,
    /// The recommendations it led to (ids).
    pub recommendations: Vec<i64>,
    /// The measures it led to (ids).
    pub measures: Vec<i64>,
}

impl Impulse {
    /// Whether it led to recommendation `recommendation` or to measure `measure`.
    pub fn leads_to(&self, recommendation: Option<i64>, measure: Option<i64>) -> bool {
        recommendation.is_some_and(|r| self.recommendations.contains(&r))
            || measure.is_some_and(|m| self.measures.contains(&m))
    }
}

/// Action fields are names that may hold commas: one per line.
fn lines(items: &[String]) -> Field {
    Field::Text(items.join("\n"))
}

fn get_lines(f: &[Field], i: usize) -> Vec<String> {
    get_text(f, i)
        .lines()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn groups(g: &[TargetGroup]) -> Field {
    Field::Text(g.iter().map(|t| t.code()).collect::<Vec<_>>().join(","))
}

fn get_groups(f: &[Field], i: usize) -> Option<Vec<TargetGroup>> {
    get_list(f, i)
        .iter()
        .map(|c| TargetGroup::parse(c))
        .collect()
}

impl Record for Organisation {
    const TABLE: &'static str = "actor";
    const COLUMNS: &'static [(&'static str, Ty)] = &[
        ("kreis", Ty::Text),
        ("name", Ty::Text),
        ("kind", Ty::Text),
        ("action_fields", Ty::Text),
        ("target_groups", Ty::Text),
        ("municipality", Ty::Text),
        ("web", Ty::Text),
        ("note", Ty::Text),
        ("source", Ty::Text),
        ("example", Ty::Int),
    ];
    fn id(&self) -> i64 {
        self.id
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            text(&self.kreis),
            text(&self.name),
            text(self.kind.code()),
            lines(&self.action_fields),
            groups(&self.target_groups),
            text(&self.municipality),
            text(&self.web),
            text(&self.note),
            text(&self.source),
            flag(self.example),
        ]
    }
    fn from_fields(f: &[Field]) -> Option<Self> {
        Some(Organisation {
            id: get_int(f, 0),
            kreis: get_text(f, 1),
            name: get_text(f, 2),
            kind: ActorKind::parse(&get_text(f, 3))?,
            action_fields: get_lines(f, 4),
            target_groups: get_groups(f, 5)?,
            municipality: get_text(f, 6),
            web: get_text(f, 7),
            note: get_text(f, 8),
            source: get_text(f, 9),
            example: get_int(f, 10) != 0,
        })
    }
}

impl Record for ContactPerson {
    const TABLE: &'static str = "contact_person";
    const COLUMNS: &'static [(&'static str, Ty)] = &[
        ("actor_id", Ty::Int),
        ("name", Ty::Text),
        ("function", Ty::Text),
        ("email", Ty::Text),
        ("phone", Ty::Text),
        ("consent_on", Ty::Text),
        ("consent_for", Ty::Text),
        ("note", Ty::Text),
    ];
    fn id(&self) -> i64 {
        self.id
    }
    fn refers_to(&self) -> Vec<(&'static str, i64)> {
        vec![("actor", self.actor_id)]
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::Int(self.actor_id),
            text(&self.name),
            text(&self.function),
            text(&self.email),
            text(&self.phone),
            text(&self.consent_on),
            text(&self.consent_for),
            text(&self.note),
        ]
    }
    fn from_fields(f: &[Field]) -> Option<Self> {
        Some(ContactPerson {
            id: get_int(f, 0),
            actor_id: get_int(f, 1),
            name: get_text(f, 2),
            function: get_text(f, 3),
            email: get_text(f, 4),
            phone: get_text(f, 5),
            consent_on: get_text(f, 6),
            consent_for: get_text(f, 7),
            note: get_text(f, 8),
        })
    }
}

impl Record for WorkingGroup {
    const TABLE: &'static str = "working_group";
    const COLUMNS: &'static [(&'static str, Ty)] = &[
        ("kreis", Ty::Text),
        ("name", Ty::Text),
        ("action_field", Ty::Text),
        ("purpose", Ty::Text),
        ("source", Ty::Text),
        ("example", Ty::Int),
    ];
    fn id(&self) -> i64 {
        self.id
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            text(&self.kreis),
            text(&self.name),
            text(&self.action_field),
            text(&self.purpose),
            text(&self.source),
            flag(self.example),
        ]
    }
    fn from_fields(f: &[Field]) -> Option<Self> {
        Some(WorkingGroup {
            id: get_int(f, 0),
            kreis: get_text(f, 1),
            name: get_text(f, 2),
            action_field: get_text(f, 3),
            purpose: get_text(f, 4),
            source: get_text(f, 5),
            example: get_int(f, 6) != 0,
        })
    }
}

impl Record for Membership {
    const TABLE: &'static str = "membership";
    const COLUMNS: &'static [(&'static str, Ty)] = &[
        ("group_id", Ty::Int),
        ("actor_id", Ty::Int),
        ("person_id", Ty::Int),
        ("role", Ty::Text),
    ];
    fn id(&self) -> i64 {
        self.id
    }
    fn refers_to(&self) -> Vec<(&'static str, i64)> {
        let mut r = vec![("working_group", self.group_id), ("actor", self.actor_id)];
        r.extend(self.person_id.map(|p| ("contact_person", p)));
        r
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::Int(self.group_id),
            Field::Int(self.actor_id),
            self.person_id.map_or(Field::Null, Field::Int),
            text(&self.role),
        ]
    }
    fn from_fields(f: &[Field]) -> Option<Self> {
        Some(Membership {
            id: get_int(f, 0),
            group_id: get_int(f, 1),
            actor_id: get_int(f, 2),
            person_id: f.get(3).and_then(Field::as_int),
            role: get_text(f, 4),
        })
    }
}

impl Record for ParticipationEvent {
    const TABLE: &'static str = "participation_event";
    const COLUMNS: &'static [(&'static str, Ty)] = &[
        ("kreis", Ty::Text),
        ("format", Ty::Text),
        ("title", Ty::Text),
        ("date_from", Ty::Text),
        ("date_to", Ty::Text),
        ("place", Ty::Text),
        ("municipality", Ty::Text),
        ("target_groups", Ty::Text),
        ("participants", Ty::Int),
        ("topics", Ty::Text),
        ("documents", Ty::Text),
        ("organiser", Ty::Text),
        ("public", Ty::Int),
        ("source", Ty::Text),
        ("example", Ty::Int),
    ];
    fn id(&self) -> i64 {
        self.id
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            text(&self.kreis),
            text(self.format.code()),
            text(&self.title),
            text(&self.date_from),
            text(&self.date_to),
            text(&self.place),
            text(&self.municipality),
            groups(&self.target_groups),
            self.participants.map_or(Field::Null, Field::Int),
            text(&self.topics),
            text(&self.documents),
            text(&self.organiser),
            flag(self.public),
            text(&self.source),
            flag(self.example),
        ]
    }
    fn from_fields(f: &[Field]) -> Option<Self> {
        Some(ParticipationEvent {
            id: get_int(f, 0),
            kreis: get_text(f, 1),
            format: EventFormat::parse(&get_text(f, 2))?,
            title: get_text(f, 3),
            date_from: get_text(f, 4),
            date_to: get_text(f, 5),
            place: get_text(f, 6),
            municipality: get_text(f, 7),
            target_groups: get_groups(f, 8)?,
            participants: f.get(9).and_then(Field::as_int),
            topics: get_text(f, 10),
            documents: get_text(f, 11),
            organiser: get_text(f, 12),
            public: get_int(f, 13) != 0,
            source: get_text(f, 14),
            example: get_int(f, 15) != 0,
        })
    }
}

impl Record for Impulse {
    const TABLE: &'static str = "impulse";
    const COLUMNS: &'static [(&'static str, Ty)] = &[
        ("event_id", Ty::Int),
        ("title", Ty::Text),
        ("body", Ty::Text),
        ("action_field", Ty::Text),
        ("public", Ty::Int),
        ("source", Ty::Text),
        ("example", Ty::Int),
    ];
    fn id(&self) -> i64 {
        self.id
    }
    fn refers_to(&self) -> Vec<(&'static str, i64)> {
        let mut r = vec![("participation_event", self.event_id)];
        r.extend(
            self.recommendations
                .iter()
                .map(|&i| ("plan_recommendation", i)),
        );
        r.extend(self.measures.iter().map(|&i| ("plan_measure", i)));
        r
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::Int(self.event_id),
            text(&self.title),
            text(&self.body),
            text(&self.action_field),
            flag(self.public),
            text(&self.source),
            flag(self.example),
        ]
    }
    /// Without its links, which [`Network::impulses`] adds.
    fn from_fields(f: &[Field]) -> Option<Self> {
        Some(Impulse {
            id: get_int(f, 0),
            event_id: get_int(f, 1),
            title: get_text(f, 2),
            body: get_text(f, 3),
            action_field: get_text(f, 4),
            public: get_int(f, 5) != 0,
            source: get_text(f, 6),
            example: get_int(f, 7) != 0,
            recommendations: Vec::new(),
            measures: Vec::new(),
        })
    }
}

impl Child for Impulse {}

/// An impulse's link to a recommendation (`kind` `recommendation`) or a measure (`measure`);
/// the impulse's id goes last, from the step that saved it.
const LINK_INSERT: &str =
    "INSERT INTO impulse_link (target_kind, target_id, impulse_id) VALUES (?1, ?2, ?3)";

fn link_steps(i: &Impulse, impulse_step: usize) -> Vec<Step<'static>> {
    let link = |kind: &str, id: i64| Step {
        sql: LINK_INSERT,
        params: vec![text(kind), Field::Int(id)],
        returns: &[],
        or_else: None,
        id_of: Some(impulse_step),
    };
    let recs = i.recommendations.iter().map(|&r| link("recommendation", r));
    recs.chain(i.measures.iter().map(|&m| link("measure", m)))
        .collect()
}

/// A network as a file brings it: actors, working groups with their members named by actor,
/// events with their impulses. Saved at once by [`Network::add_network`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkRecords {
    /// New actors.
    pub actors: Vec<Organisation>,
    /// New working groups, each with its members: an actor's name (of this file or held) and
    /// the role.
    pub groups: Vec<(WorkingGroup, Vec<(String, String)>)>,
    /// New events with their impulses (links to recommendations and measures held).
    pub events: Vec<(ParticipationEvent, Vec<Impulse>)>,
}

/// What an audit event is made from when records are added at once: the record's kind
/// (`actor`, `group`, `event`, `impulse`) and its title.
pub type EventOf<'a> = &'a dyn Fn(&str, &str) -> AuditEvent;

/// The member of a group named by its actor's name, found in the transaction (an actor of the
/// same file is found too); the group's id goes last.
const MEMBER_INSERT: &str = "INSERT INTO membership (actor_id, person_id, role, group_id) \
     SELECT id, NULL, ?3, ?4 FROM actor WHERE kreis = ?1 AND name = ?2";

/// The network and participation of a district.
pub trait Network {
    /// Saves an actor (new when its id is 0); its id. A name held in the district is a conflict.
    fn save_actor(&mut self, a: &Organisation, event: &AuditEvent) -> Result<i64>;
    /// The actors of a district, in id order.
    fn actors(&self, kreis: &str) -> Result<Vec<Organisation>>;
    /// Saves a contact person; its id.
    fn save_person(&mut self, p: &ContactPerson, event: &AuditEvent) -> Result<i64>;
    /// Adds a new contact person with the audit event `network.person.create` naming them by
    /// their new id only (`person:17`), by `actor` at `at`; the id.
    fn add_person(&mut self, p: &ContactPerson, actor: &str, at: i64) -> Result<i64>;
    /// The contact persons of an actor.
    fn persons(&self, actor_id: i64) -> Result<Vec<ContactPerson>>;
    /// A contact person.
    fn person(&self, id: i64) -> Result<Option<ContactPerson>>;
    /// Erases a contact person with everything that names them (their memberships lose the
    /// person, keep the actor); the audit event must name them by id only.
    fn erase_person(&mut self, id: i64, event: &AuditEvent) -> Result<()>;
    /// Saves a working group; its id.
    fn save_group(&mut self, g: &WorkingGroup, event: &AuditEvent) -> Result<i64>;
    /// The working groups of a district.
    fn groups(&self, kreis: &str) -> Result<Vec<WorkingGroup>>;
    /// Adds a member to a group; its id.
    fn add_member(&mut self, m: &Membership, event: &AuditEvent) -> Result<i64>;
    /// The members of a group.
    fn members(&self, group_id: i64) -> Result<Vec<Membership>>;
    /// The memberships of a contact person.
    fn memberships_of(&self, person_id: i64) -> Result<Vec<Membership>>;
    /// Removes a membership.
    fn remove_member(&mut self, id: i64, event: &AuditEvent) -> Result<()>;
    /// Saves an event; its id.
    fn save_event(&mut self, e: &ParticipationEvent, event: &AuditEvent) -> Result<i64>;
    /// The events of a district, in id order.
    fn events(&self, kreis: &str) -> Result<Vec<ParticipationEvent>>;
    /// Saves an impulse with its links (a stored one's links are replaced); its id. A link to
    /// a record that is not there is a conflict.
    fn save_impulse(&mut self, i: &Impulse, event: &AuditEvent) -> Result<i64>;
    /// The impulses of an event with their links.
    fn impulses(&self, event_id: i64) -> Result<Vec<Impulse>>;
    /// Deletes an impulse with its links.
    fn delete_impulse(&mut self, id: i64, event: &AuditEvent) -> Result<()>;
    /// Deletes an event with its impulses.
    fn delete_event(&mut self, id: i64, event: &AuditEvent) -> Result<()>;
    /// Deletes an actor with its memberships and its contact persons, each person erased with
    /// its own `network.person.erase` event by id (as [`Network::erase_person`] does).
    fn delete_actor(&mut self, id: i64, event: &AuditEvent) -> Result<()>;
    /// Adds a network at once, in one transaction, each record with its audit event.
    fn add_network(&mut self, n: &NetworkRecords, event: EventOf<'_>) -> Result<()>;
}

fn delete_steps<'a>(deps: &[&'a str], id: i64, what: &str, event: &AuditEvent) -> Vec<Step<'a>> {
    let n = deps.len();
    let mut steps: Vec<Step> = deps
        .iter()
        .enumerate()
        .map(|(i, sql)| Step {
            sql,
            params: vec![Field::Int(id)],
            returns: &[],
            // The last statement deletes the row itself.
            or_else: (i + 1 == n).then(|| format!("{what} {id} does not exist")),
            id_of: None,
        })
        .collect();
    steps.push(event_step(event));
    steps
}

/// A step that refuses the transaction when district `kreis` holds another actor (not `id`)
/// named `name`: names are unique per district (the unique index stays as the last guard).
fn name_free(kreis: &str, name: &str, id: i64) -> Step<'static> {
    Step {
        sql: "SELECT CAST(1 AS BIGINT) WHERE NOT EXISTS \
              (SELECT 1 FROM actor WHERE kreis = ?1 AND name = ?2 AND id <> ?3)",
        params: vec![text(kreis), text(name), Field::Int(id)],
        returns: &[Ty::Int],
        or_else: Some(format!("an actor named {name} exists")),
        id_of: None,
    }
}

impl<T: Sql> Network for T {
    fn save_actor(&mut self, a: &Organisation, event: &AuditEvent) -> Result<i64> {
        let sql = save_sql(a);
        let done = self.transact(&[
            name_free(&a.kreis, &a.name, a.id),
            save_step(a, &sql),
            event_step(event),
        ])?;
        first_id(done.get(1..).unwrap_or(&[]))
    }
    fn actors(&self, kreis: &str) -> Result<Vec<Organisation>> {
        list_where(self, "kreis", text(kreis))
    }
    fn save_person(&mut self, p: &ContactPerson, event: &AuditEvent) -> Result<i64> {
        save(self, p, event)
    }
    fn add_person(&mut self, p: &ContactPerson, actor: &str, at: i64) -> Result<i64> {
        let new = ContactPerson { id: 0, ..p.clone() };
        let sql = save_sql(&new);
        let checks = reference_checks(&new);
        let mut steps: Vec<Step> = check_steps(&checks).collect();
        let saved = steps.len();
        steps.push(save_step(&new, &sql));
        // The object is made in SQL from the id just given; the casts fix the parameter's type
        // for PostgreSQL.
        steps.push(Step {
            sql: "INSERT INTO audit_event (at, actor, action, object, old_value, new_value) \
                  VALUES (?1, ?2, 'network.person.create', \
                  'person:' || CAST(CAST(?3 AS BIGINT) AS TEXT), NULL, NULL)",
            params: vec![Field::Int(at), text(actor)],
            returns: &[],
            or_else: None,
            id_of: Some(saved),
        });
        let done = self.transact(&steps)?;
        first_id(done.get(saved..).unwrap_or(&[]))
    }
    fn persons(&self, actor_id: i64) -> Result<Vec<ContactPerson>> {
        list_where(self, "actor_id", Field::Int(actor_id))
    }
    fn person(&self, id: i64) -> Result<Option<ContactPerson>> {
        Ok(list_where(self, "id", Field::Int(id))?.into_iter().next())
    }
    fn erase_person(&mut self, id: i64, event: &AuditEvent) -> Result<()> {
        let deps = [
            "UPDATE membership SET person_id = NULL WHERE person_id = ?1",
            "DELETE FROM contact_person WHERE id = ?1",
        ];
        self.transact(&delete_steps(&deps, id, "contact_person", event))?;
        Ok(())
    }
    fn save_group(&mut self, g: &WorkingGroup, event: &AuditEvent) -> Result<i64> {
        save(self, g, event)
    }
    fn groups(&self, kreis: &str) -> Result<Vec<WorkingGroup>> {
        list_where(self, "kreis", text(kreis))
    }
    fn add_member(&mut self, m: &Membership, event: &AuditEvent) -> Result<i64> {
        save(self, m, event)
    }
    fn members(&self, group_id: i64) -> Result<Vec<Membership>> {
        list_where(self, "group_id", Field::Int(group_id))
    }
    fn memberships_of(&self, person_id: i64) -> Result<Vec<Membership>> {
        list_where(self, "person_id", Field::Int(person_id))
    }
    fn remove_member(&mut self, id: i64, event: &AuditEvent) -> Result<()> {
        let deps = ["DELETE FROM membership WHERE id = ?1"];
        self.transact(&delete_steps(&deps, id, "membership", event))?;
        Ok(())
    }
    fn save_event(&mut self, e: &ParticipationEvent, event: &AuditEvent) -> Result<i64> {
        save(self, e, event)
    }
    fn events(&self, kreis: &str) -> Result<Vec<ParticipationEvent>> {
        list_where(self, "kreis", text(kreis))
    }
    fn save_impulse(&mut self, i: &Impulse, event: &AuditEvent) -> Result<i64> {
        let sql = save_sql(i);
        let checks = reference_checks(i);
        let mut steps: Vec<Step> = check_steps(&checks).collect();
        let saved = steps.len();
        steps.push(save_step(i, &sql));
        steps.push(Step {
            sql: "DELETE FROM impulse_link WHERE impulse_id = ?1",
            params: Vec::new(),
            returns: &[],
            or_else: None,
            id_of: Some(saved),
        });
        steps.extend(link_steps(i, saved));
        steps.push(event_step(event));
        let done = self.transact(&steps)?;
        first_id(done.get(saved..).unwrap_or(&[]))
    }
    fn impulses(&self, event_id: i64) -> Result<Vec<Impulse>> {
        let mut all: Vec<Impulse> = list_where(self, "event_id", Field::Int(event_id))?;
        let links = self.select(
            "SELECT l.impulse_id, l.target_kind, l.target_id FROM impulse_link l \
             JOIN impulse i ON i.id = l.impulse_id WHERE i.event_id = ?1 ORDER BY l.id",
            &[Field::Int(event_id)],
            &[Ty::Int, Ty::Text, Ty::Int],
        )?;
        for row in links {
            let (imp, kind, target) = (get_int(&row, 0), get_text(&row, 1), get_int(&row, 2));
            if let Some(i) = all.iter_mut().find(|i| i.id == imp) {
                match kind.as_str() {
                    "recommendation" => i.recommendations.push(target),
                    _ => i.measures.push(target),
                }
            }
        }
        Ok(all)
    }
    fn delete_impulse(&mut self, id: i64, event: &AuditEvent) -> Result<()> {
        let deps = [
            "DELETE FROM impulse_link WHERE impulse_id = ?1",
            "DELETE FROM impulse WHERE id = ?1",
        ];
        self.transact(&delete_steps(&deps, id, "impulse", event))?;
        Ok(())
    }
    fn delete_event(&mut self, id: i64, event: &AuditEvent) -> Result<()> {
        let deps = [
            "DELETE FROM impulse_link WHERE impulse_id IN \
             (SELECT id FROM impulse WHERE event_id = ?1)",
            "DELETE FROM impulse WHERE event_id = ?1",
            "DELETE FROM participation_event WHERE id = ?1",
        ];
        self.transact(&delete_steps(&deps, id, "participation_event", event))?;
        Ok(())
    }
    fn delete_actor(&mut self, id: i64, event: &AuditEvent) -> Result<()> {
        let people = self.persons(id)?;
        let erased: Vec<AuditEvent> = people
            .iter()
            .map(|p| AuditEvent {
                action: "network.person.erase".into(),
                object: format!("person:{}", p.id),
                old_value: None,
                new_value: None,
                ..event.clone()
            })
            .collect();
        let deps = [
            "DELETE FROM membership WHERE actor_id = ?1",
            "DELETE FROM contact_person WHERE actor_id = ?1",
            "DELETE FROM actor WHERE id = ?1",
        ];
        let mut steps = delete_steps(&deps, id, "actor", event);
        for e in &erased {
            steps.push(event_step(e));
        }
        self.transact(&steps)?;
        Ok(())
    }
    fn add_network(&mut self, n: &NetworkRecords, event: EventOf<'_>) -> Result<()> {
        let new_actors: Vec<Organisation> = n
            .actors
            .iter()
            .map(|a| Organisation { id: 0, ..a.clone() })
            .collect();
        let actor_sql: Vec<String> = new_actors.iter().map(save_sql).collect();
        let new_groups: Vec<WorkingGroup> = n
            .groups
            .iter()
            .map(|(g, _)| WorkingGroup { id: 0, ..g.clone() })
            .collect();
        let group_sql: Vec<String> = new_groups.iter().map(save_sql).collect();
        let new_events: Vec<ParticipationEvent> = n
            .events
            .iter()
            .map(|(e, _)| ParticipationEvent { id: 0, ..e.clone() })
            .collect();
        let event_sql: Vec<String> = new_events.iter().map(save_sql).collect();
        let impulse_sql = insert_child_sql::<Impulse>();
        let mut steps: Vec<Step> = Vec::new();
        for (a, sql) in new_actors.iter().zip(&actor_sql) {
            steps.push(name_free(&a.kreis, &a.name, 0));
            steps.push(save_step(a, sql));
            steps.push(event_step(&event("actor", &a.name)));
        }
        for ((g, sql), (_, members)) in new_groups.iter().zip(&group_sql).zip(&n.groups) {
            let at = steps.len();
            steps.push(save_step(g, sql));
            steps.push(event_step(&event("group", &g.name)));
            for (actor, role) in members {
                steps.push(Step {
                    sql: MEMBER_INSERT,
                    params: vec![text(&g.kreis), text(actor), text(role)],
                    returns: &[],
                    or_else: Some(format!("actor {actor} does not exist")),
                    id_of: Some(at),
                });
            }
        }
        for ((e, sql), (_, impulses)) in new_events.iter().zip(&event_sql).zip(&n.events) {
            let at = steps.len();
            steps.push(save_step(e, sql));
            steps.push(event_step(&event("event", &e.title)));
            for i in impulses {
                let saved = steps.len();
                steps.push(insert_child(i, &impulse_sql, at));
                steps.extend(link_steps(i, saved));
                steps.push(event_step(&event("impulse", &i.title)));
            }
        }
        self.transact(&steps)?;
        Ok(())
    }
}
