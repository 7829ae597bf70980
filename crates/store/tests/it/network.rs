//! The network and participation on both backends: a network added at once or not at all,
//! impulses linked to recommendations and measures (the links go with them), and a contact
//! person erased without a trace outside the audit log's entry that names them by id.

use sozialmonitor_core::network::{ActorKind, EventFormat};
use sozialmonitor_core::planning::Status;
use sozialmonitor_core::services::TargetGroup;
use sozialmonitor_store::testing::{Backend, Scratch};
use sozialmonitor_store::transfer::export_text;
use sozialmonitor_store::{
    Accounts, AuditEvent, AuditFilter, ContactPerson, Cycle, Deletable, Impulse, Membership,
    Network, NetworkRecords, Organisation, ParticipationEvent, PlanMeasure, Planning,
    Recommendation, StoreError, WorkingGroup,
};

sozialmonitor_store::on_both_backends!(
    a_network_is_added_at_once_and_impulses_lead_to_records,
    an_erased_person_leaves_no_trace_but_a_pseudonymised_event,
);

fn actor(name: &str, kind: ActorKind) -> Organisation {
    Organisation {
        id: 0,
        kreis: "14522".into(),
        name: name.into(),
        kind,
        action_fields: vec!["Senior:innen".into(), "Teilhabe, Inklusion".into()],
        target_groups: vec![TargetGroup::Older],
        municipality: String::new(),
        web: String::new(),
        note: String::new(),
        source: "Rückblick 2025".into(),
        example: false,
    }
}

fn dialog() -> ParticipationEvent {
    ParticipationEvent {
        id: 0,
        kreis: "14522".into(),
        format: EventFormat::Conference,
        title: "DIALOG Mittelsachsen Sozial".into(),
        date_from: "2025-04".into(),
        date_to: String::new(),
        place: String::new(),
        municipality: String::new(),
        target_groups: vec![TargetGroup::Everyone],
        participants: None,
        topics: "Ergebnisse des 3. Sozialberichts".into(),
        documents: String::new(),
        organiser: "Landkreis Mittelsachsen".into(),
        public: true,
        source: "Rückblick 2025".into(),
        example: false,
    }
}

fn impulse(title: &str, recommendations: Vec<i64>, measures: Vec<i64>) -> Impulse {
    Impulse {
        id: 0,
        event_id: 0,
        title: title.into(),
        body: String::new(),
        action_field: "Senior:innen".into(),
        public: true,
        source: "Rückblick 2025".into(),
        example: false,
        recommendations,
        measures,
    }
}

/// A cycle with one recommendation and one measure: their ids.
fn plan(db: &mut sozialmonitor_store::Database) -> (i64, i64) {
    let ev = AuditEvent::new(1, "anna", "plan.x", "14522");
    let cycle = Cycle {
        id: 0,
        kreis: "14522".into(),
        title: "Zyklus".into(),
        first_year: 2024,
        last_year: 2026,
        note: String::new(),
        source: String::new(),
    };
    let cycle_id = db.save_cycle(&cycle, &ev).expect("cycle");
    let rec = Recommendation {
        id: 0,
        cycle_id,
        action_field: "Senior:innen".into(),
        title: "Seniorenpolitische Strategie beschließen".into(),
        body: String::new(),
        indicators: Vec::new(),
        findings: String::new(),
        status: Status::Planned,
        decided_by: String::new(),
        decided_on: String::new(),
        reference: String::new(),
        outcome: String::new(),
        public: true,
        source: String::new(),
        example: false,
    };
    let rec_id = db.save_recommendation(&rec, &ev).expect("rec");
    let measure = PlanMeasure {
        id: 0,
        cycle_id,
        recommendation_id: Some(rec_id),
        title: "Seniorenwegweiser".into(),
        body: String::new(),
        owner: String::new(),
        partners: String::new(),
        period_from: String::new(),
        period_to: String::new(),
        budget: None,
        status: Status::Planned,
        target_groups: String::new(),
        municipalities: Vec::new(),
        notes: String::new(),
        public: true,
        source: String::new(),
        example: false,
    };
    let measure_id = db.save_plan_measure(&measure, &[], &ev).expect("measure");
    (rec_id, measure_id)
}

fn a_network_is_added_at_once_and_impulses_lead_to_records(b: Backend) {
    let Some(s) = Scratch::new(b, "network") else {
        return;
    };
    let mut db = s.open().expect("open");
    let (rec, measure) = plan(&mut db);
    let before = db.planning_version().expect("version");
    let ev = |kind: &str, title: &str| {
        AuditEvent::new(2, "demo", &format!("network.{kind}.create"), "14522")
            .values(None, Some(title.to_string()))
    };
    let group = WorkingGroup {
        id: 0,
        kreis: "14522".into(),
        name: "Steuerungsgruppe Seniorenpolitik".into(),
        action_field: "Senior:innen".into(),
        purpose: String::new(),
        source: String::new(),
        example: true,
    };
    let mut records = NetworkRecords {
        actors: vec![
            actor("Hochschule Mittweida", ActorKind::Research),
            actor("Statistisches Landesamt Sachsen", ActorKind::Statistics),
        ],
        groups: vec![(
            group.clone(),
            vec![
                ("Hochschule Mittweida".into(), "Leitung".into()),
                ("Niemand e. V.".into(), String::new()),
            ],
        )],
        events: vec![(
            dialog(),
            vec![impulse(
                "Senior:innen im Mittelpunkt",
                vec![rec],
                vec![measure],
            )],
        )],
    };
    // A member no actor is named after: nothing is added.
    assert!(matches!(
        db.add_network(&records, &ev),
        Err(StoreError::Conflict(why)) if why.contains("Niemand")
    ));
    assert!(db.actors("14522").expect("actors").is_empty());
    assert_eq!(db.planning_version().expect("version"), before);
    records.groups[0].1.pop();
    db.add_network(&records, &ev).expect("added");
    let actors = db.actors("14522").expect("actors");
    assert_eq!(actors.len(), 2);
    assert_eq!(
        actors[0].action_fields,
        ["Senior:innen", "Teilhabe, Inklusion"]
    );
    let groups = db.groups("14522").expect("groups");
    let members = db.members(groups[0].id).expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!(
        (members[0].actor_id, members[0].role.as_str()),
        (actors[0].id, "Leitung")
    );
    // Twice: the actors' names are held.
    assert!(matches!(
        db.add_network(&records, &ev),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        db.save_actor(
            &actor("Hochschule Mittweida", ActorKind::Research),
            &ev("actor", "x")
        ),
        Err(StoreError::Conflict(_))
    ));
    // 2 actors, 1 group, 1 event, 1 impulse: the public version counts what the public sees,
    // the event and its impulse.
    assert_eq!(db.planning_version().expect("version"), before + 2);
    let events = db.events("14522").expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0],
        ParticipationEvent {
            id: events[0].id,
            ..dialog()
        }
    );
    let imps = db.impulses(events[0].id).expect("impulses");
    assert_eq!(
        (imps[0].recommendations.clone(), imps[0].measures.clone()),
        (vec![rec], vec![measure])
    );
    // A link to a record that is not there is refused; a change replaces the links.
    let mut changed = imps[0].clone();
    changed.recommendations = vec![rec + 1000];
    assert!(matches!(
        db.save_impulse(&changed, &ev("impulse", "x")),
        Err(StoreError::Conflict(_))
    ));
    changed.recommendations = Vec::new();
    db.save_impulse(&changed, &ev("impulse", "x"))
        .expect("changed");
    assert_eq!(db.impulses(events[0].id).expect("impulses")[0], changed);
    // Deleting the measure deletes its link; deleting the event its impulses.
    db.delete_planning(Deletable::Measure, measure, &ev("measure", "x"))
        .expect("measure gone");
    assert!(
        db.impulses(events[0].id).expect("impulses")[0]
            .measures
            .is_empty()
    );
    db.delete_event(events[0].id, &ev("event", "x"))
        .expect("event gone");
    assert!(db.impulses(events[0].id).expect("impulses").is_empty());
    assert!(db.events("14522").expect("events").is_empty());
}

fn an_erased_person_leaves_no_trace_but_a_pseudonymised_event(b: Backend) {
    let Some(s) = Scratch::new(b, "network_gdpr") else {
        return;
    };
    let mut db = s.open().expect("open");
    let ev = |action: &str, object: &str| AuditEvent::new(3, "anna", action, object);
    let actor_id = db
        .save_actor(
            &actor("Hochschule Mittweida", ActorKind::Research),
            &ev("network.actor.create", "14522"),
        )
        .expect("actor");
    let group_id = db
        .save_group(
            &WorkingGroup {
                id: 0,
                kreis: "14522".into(),
                name: "AG Seniorenwegweiser".into(),
                action_field: "Senior:innen".into(),
                purpose: String::new(),
                source: String::new(),
                example: true,
            },
            &ev("network.group.create", "14522"),
        )
        .expect("group");
    let person = ContactPerson {
        id: 0,
        actor_id,
        name: "Erika Beispielfrau".into(),
        function: "Projektleitung".into(),
        email: "erika.beispielfrau@example.org".into(),
        phone: "03727 4711".into(),
        consent_on: "2026-01-15".into(),
        consent_for: "Einladungen zu Beteiligungsformaten".into(),
        note: "erreichbar dienstags".into(),
    };
    let pid = db.add_person(&person, "anna", 3).expect("person");
    let mid = db
        .add_member(
            &Membership {
                id: 0,
                group_id,
                actor_id,
                person_id: Some(pid),
                role: "Mitglied".into(),
            },
            &ev("network.member.create", &format!("group:{group_id}")),
        )
        .expect("member");
    assert_eq!(
        db.person(pid).expect("read"),
        Some(ContactPerson {
            id: pid,
            ..person.clone()
        })
    );
    assert_eq!(db.memberships_of(pid).expect("memberships")[0].id, mid);
    let traces = [
        "Beispielfrau",
        "erika.beispielfrau@example.org",
        "4711",
        "erreichbar dienstags",
    ];
    let everything = export_text(&db).expect("export");
    assert!(traces.iter().all(|t| everything.contains(t)));
    db.erase_person(pid, &ev("network.person.erase", &format!("person:{pid}")))
        .expect("erased");
    // Nothing in any table names the person any more; the membership keeps the actor.
    let everything = export_text(&db).expect("export");
    for t in traces {
        assert!(!everything.contains(t), "{t} is still stored");
    }
    assert_eq!(db.person(pid).expect("read"), None);
    let members = db.members(group_id).expect("members");
    assert_eq!(
        (members[0].actor_id, members[0].person_id),
        (actor_id, None)
    );
    // The audit log says that a person was erased, by id only.
    let log = db.audit_events(&AuditFilter::default()).expect("audit");
    let erased: Vec<_> = log
        .iter()
        .filter(|e| e.action == "network.person.erase")
        .collect();
    assert_eq!(erased.len(), 1);
    assert_eq!(erased[0].object, format!("person:{pid}"));
    let created: Vec<_> = log
        .iter()
        .filter(|e| e.action == "network.person.create")
        .collect();
    assert_eq!(created[0].object, format!("person:{pid}"));
    assert_eq!(
        (
            created[0].old_value.as_deref(),
            created[0].new_value.as_deref()
        ),
        (None, None)
    );
    // Twice is a conflict.
    assert!(matches!(
        db.erase_person(pid, &ev("network.person.erase", "x")),
        Err(StoreError::Conflict(_))
    ));
    // A new person never gets the erased one's id, so `person:ID` names one person only.
    let next = db.add_person(&person, "anna", 4).expect("person");
    assert!(next > pid, "{next} after {pid}");
    // Deleting the actor erases its persons, each with its own event by id.
    db.delete_actor(actor_id, &ev("network.actor.delete", "actor"))
        .expect("deleted");
    assert!(!export_text(&db).expect("export").contains("Beispielfrau"));
    let log = db.audit_events(&AuditFilter::default()).expect("audit");
    assert!(
        log.iter()
            .any(|e| e.action == "network.person.erase" && e.object == format!("person:{next}"))
    );
}
