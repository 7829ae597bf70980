//! The directory of social services on both backends: saved with its audit event, many at
//! once or none, listed per district, deleted, and counted by the public version.

use sozialmonitor_core::services::{Position, TargetGroup, Topic};
use sozialmonitor_store::testing::{Backend, Scratch};
use sozialmonitor_store::{AuditEvent, Planning, Service, Services, StoreError};

sozialmonitor_store::on_both_backends!(a_directory_is_stored_per_district,);

fn entry(name: &str) -> Service {
    Service {
        id: 0,
        kreis: "14522".into(),
        name: name.into(),
        provider: "Beispielträger".into(),
        street: String::new(),
        postcode: "09599".into(),
        place: "Freiberg".into(),
        municipality: "14522180".into(),
        served: vec!["14522180".into(), "14522010".into()],
        position: Position::new(50.9177, 13.3425),
        topics: vec![Topic::Debt, Topic::Social],
        target_groups: vec![TargetGroup::Everyone],
        opening_hours: "Di 9–12 Uhr".into(),
        step_free: Some(true),
        hearing_loop: Some(false),
        easy_language: None,
        languages: "Englisch, Russisch".into(),
        phone: String::new(),
        email: String::new(),
        web: String::new(),
        checked_on: "2026-03-01".into(),
        public: true,
        example: true,
        source: "Beispiel".into(),
    }
}

fn a_directory_is_stored_per_district(b: Backend) {
    let Some(s) = Scratch::new(b, "services") else {
        return;
    };
    let mut db = s.open().expect("open");
    let before = db.planning_version().expect("version");
    let ev = |s: &Service| AuditEvent::new(1, "anna", "service.create", &s.name);
    let ids = db
        .add_services(&[entry("A"), entry("B")], &ev)
        .expect("added");
    assert_eq!(ids.len(), 2);
    let mut all = db.services("14522").expect("list");
    assert_eq!(all.len(), 2);
    assert_eq!(
        all[0],
        Service {
            id: ids[0],
            ..entry("A")
        }
    );
    assert!(db.services("15082").expect("list").is_empty());
    // A change by id, without a position.
    all[1].position = None;
    all[1].topics = vec![Topic::OldAge];
    db.save_service(&all[1], &AuditEvent::new(2, "anna", "service.update", "B"))
        .expect("update");
    assert_eq!(db.services("14522").expect("list")[1], all[1]);
    // The public dashboard reloads when the directory changes.
    assert_eq!(db.planning_version().expect("version"), before + 3);
    db.delete_service(ids[0], &AuditEvent::new(3, "anna", "service.delete", "A"))
        .expect("delete");
    assert!(matches!(
        db.delete_service(ids[0], &AuditEvent::new(3, "anna", "service.delete", "A")),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(db.services("14522").expect("list").len(), 1);
    assert_eq!(db.planning_version().expect("version"), before + 4);
}
