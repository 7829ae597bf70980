//! The directory of social services (Wegweiser) as stored, on both backends from one SQL text
//! (see [`crate::planning`] for the record machinery): entries of a district, saved one by one
//! from the workspace or many at once from a file, each change written with its audit event
//! (`service.…`) in one transaction.

use sozialmonitor_core::services::{Position, TargetGroup, Topic};

use crate::accounts::{Sql, Step, event_step};
use crate::planning::{
    Record, flag, get_int, get_list, get_real, get_text, list, list_where, save, save_sql,
    save_step, text,
};
use crate::transfer::{Field, Ty};
use crate::{AuditEvent, Result};

/// One service or facility of the directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Id (0 for a new one).
    pub id: i64,
    /// The district whose directory it is in.
    pub kreis: String,
    /// Name.
    pub name: String,
    /// Provider (Träger).
    pub provider: String,
    /// Street and number.
    pub street: String,
    /// Postcode.
    pub postcode: String,
    /// Place as written in the address.
    pub place: String,
    /// The municipality it is in (8-digit AGS).
    pub municipality: String,
    /// The municipalities it serves (AGS); empty: its own, the district's key: all.
    pub served: Vec<String>,
    /// Where it is, for the map and the distances.
    pub position: Option<Position>,
    /// What it is for.
    pub topics: Vec<Topic>,
    /// Whom it is for.
    pub target_groups: Vec<TargetGroup>,
    /// Opening hours as written.
    pub opening_hours: String,
    /// Step-free access (`None`: not known).
    pub step_free: Option<bool>,
    /// A hearing loop (`None`: not known).
    pub hearing_loop: Option<bool>,
    /// Information in easy language, Leichte Sprache (`None`: not known).
    pub easy_language: Option<bool>,
    /// Languages spoken besides German.
    pub languages: String,
    /// Telephone.
    pub phone: String,
    /// E-mail.
    pub email: String,
    /// Web address.
    pub web: String,
    /// When the entry was last checked (`2026-04-22`), or empty.
    pub checked_on: String,
    /// Whether the public directory shows it.
    pub public: bool,
    /// An example beyond the sources, labelled on every page that shows it.
    pub example: bool,
    /// Where the entry comes from.
    pub source: String,
}

/// A yes, no or not known, kept as 1, 0 or -1: a facility without step-free access is not one
/// whose access nobody has checked.
fn known(b: Option<bool>) -> Field {
    Field::Int(b.map_or(-1, i64::from))
}

fn get_known(f: &[Field], i: usize) -> Option<bool> {
    match get_int(f, i) {
        1 => Some(true),
        0 => Some(false),
        _ => None,
    }
}

impl Record for Service {
    const TABLE: &'static str = "service";
    const COLUMNS: &'static [(&'static str, Ty)] = &[
        ("kreis", Ty::Text),
        ("name", Ty::Text),
        ("provider", Ty::Text),
        ("street", Ty::Text),
        ("postcode", Ty::Text),
        ("place", Ty::Text),
        ("municipality", Ty::Text),
        ("served", Ty::Text),
        ("lat", Ty::Real),
        ("lon", Ty::Real),
        ("topics", Ty::Text),
        ("target_groups", Ty::Text),
        ("opening_hours", Ty::Text),
        ("step_free", Ty::Int),
        ("hearing_loop", Ty::Int),
        ("easy_language", Ty::Int),
        ("languages", Ty::Text),
        ("phone", Ty::Text),
        ("email", Ty::Text),
        ("web", Ty::Text),
        ("checked_on", Ty::Text),
        ("public", Ty::Int),
        ("example", Ty::Int),
        ("source", Ty::Text),
    ];
    fn id(&self) -> i64 {
        self.id
    }
    fn fields(&self) -> Vec<Field> {
        let codes = |c: Vec<&str>| Field::Text(c.join(","));
        vec![
            text(&self.kreis),
            text(&self.name),
            text(&self.provider),
            text(&self.street),
            text(&self.postcode),
            text(&self.place),
            text(&self.municipality),
            list(&self.served),
            self.position.map_or(Field::Null, |p| Field::Real(p.lat())),
            self.position.map_or(Field::Null, |p| Field::Real(p.lon())),
            codes(self.topics.iter().map(|t| t.code()).collect()),
            codes(self.target_groups.iter().map(|t| t.code()).collect()),
            text(&self.opening_hours),
            known(self.step_free),
            known(self.hearing_loop),
            known(self.easy_language),
            text(&self.languages),
            text(&self.phone),
            text(&self.email),
            text(&self.web),
            text(&self.checked_on),
            flag(self.public),
            flag(self.example),
            text(&self.source),
        ]
    }
    fn from_fields(f: &[Field]) -> Option<Self> {
        let position = match (get_real(f, 9), get_real(f, 10)) {
            (Some(lat), Some(lon)) => Some(Position::new(lat, lon)?),
            _ => None,
        };
        Some(Service {
            id: get_int(f, 0),
            kreis: get_text(f, 1),
            name: get_text(f, 2),
            provider: get_text(f, 3),
            street: get_text(f, 4),
            postcode: get_text(f, 5),
            place: get_text(f, 6),
            municipality: get_text(f, 7),
            served: get_list(f, 8),
            position,
            topics: get_list(f, 11)
                .iter()
                .map(|c| Topic::parse(c))
                .collect::<Option<_>>()?,
            target_groups: get_list(f, 12)
                .iter()
                .map(|c| TargetGroup::parse(c))
                .collect::<Option<_>>()?,
            opening_hours: get_text(f, 13),
            step_free: get_known(f, 14),
            hearing_loop: get_known(f, 15),
            easy_language: get_known(f, 16),
            languages: get_text(f, 17),
            phone: get_text(f, 18),
            email: get_text(f, 19),
            web: get_text(f, 20),
            checked_on: get_text(f, 21),
            public: get_int(f, 22) != 0,
            example: get_int(f, 23) != 0,
            source: get_text(f, 24),
        })
    }
}

/// The directory of social services.
pub trait Services {
    /// Saves an entry (new when its id is 0) with its audit event; its id.
    fn save_service(&mut self, s: &Service, event: &AuditEvent) -> Result<i64>;
    /// Adds new entries in one transaction, each with its audit event from `event(entry)`;
    /// nothing is saved if one fails. Their ids.
    fn add_services(
        &mut self,
        entries: &[Service],
        event: &dyn Fn(&Service) -> AuditEvent,
    ) -> Result<Vec<i64>>;
    /// The entries of a district's directory, in id order.
    fn services(&self, kreis: &str) -> Result<Vec<Service>>;
    /// One entry of a district's directory (an id of another district's is none).
    fn service(&self, kreis: &str, id: i64) -> Result<Option<Service>>;
    /// Deletes an entry with its audit event; one that is not there is a conflict.
    fn delete_service(&mut self, id: i64, event: &AuditEvent) -> Result<()>;
}

impl<T: Sql> Services for T {
    fn save_service(&mut self, s: &Service, event: &AuditEvent) -> Result<i64> {
        save(self, s, event)
    }

    fn add_services(
        &mut self,
        entries: &[Service],
        event: &dyn Fn(&Service) -> AuditEvent,
    ) -> Result<Vec<i64>> {
        let new: Vec<Service> = entries
            .iter()
            .map(|s| Service { id: 0, ..s.clone() })
            .collect();
        let sql: Vec<String> = new.iter().map(save_sql).collect();
        let mut steps: Vec<Step> = new.iter().zip(&sql).map(|(s, q)| save_step(s, q)).collect();
        for s in &new {
            steps.push(event_step(&event(s)));
        }
        let done = self.transact(&steps)?;
        (0..new.len())
            .map(|i| crate::accounts::first_id(done.get(i..).unwrap_or(&[])))
            .collect()
    }

    fn services(&self, kreis: &str) -> Result<Vec<Service>> {
        list_where(self, "kreis", text(kreis))
    }

    fn service(&self, kreis: &str, id: i64) -> Result<Option<Service>> {
        let found: Vec<Service> = list_where(self, "id", Field::Int(id))?;
        Ok(found.into_iter().find(|s| s.kreis == kreis))
    }

    fn delete_service(&mut self, id: i64, event: &AuditEvent) -> Result<()> {
        self.transact(&[
            Step {
                sql: "DELETE FROM service WHERE id = ?1",
                params: vec![Field::Int(id)],
                returns: &[],
                or_else: Some(format!("service {id} does not exist")),
                id_of: None,
            },
            event_step(event),
        ])?;
        Ok(())
    }
}
