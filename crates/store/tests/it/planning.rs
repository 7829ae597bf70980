//! The planning cycle's records on both backends: saved with their audit event, updated by id,
//! a measure's aims replaced with it in one transaction, and moved by `copy`.

use sozialmonitor_core::planning::{Direction, MilestoneKind, PriorityKind, Status};
use sozialmonitor_store::testing::{Backend, Scratch};
use sozialmonitor_store::{
    Accounts, AuditEvent, AuditFilter, Cycle, CycleRecords, Database, Decision, Deletable,
    MeasureAim, Milestone, PlanMeasure, Planning, Priority, Recommendation, StoreError,
};

sozialmonitor_store::on_both_backends!(
    a_cycle_with_its_records_is_stored_and_updated_by_id,
    a_cycle_and_its_records_are_saved_at_once_or_not_at_all,
);

fn scratch(backend: Backend, test: &str) -> Option<(Scratch, Database)> {
    let s = Scratch::new(backend, test)?;
    let db = s.open().expect("open");
    Some((s, db))
}

fn aim(indicator: &str, target: f64) -> MeasureAim {
    MeasureAim {
        id: 0,
        measure_id: 0,
        indicator: indicator.into(),
        region_key: "14522".into(),
        baseline: 26.5,
        baseline_year: 2015,
        target,
        target_year: 2030,
        direction: Direction::Decrease,
    }
}

fn a_cycle_with_its_records_is_stored_and_updated_by_id(b: Backend) {
    let Some((_s, mut db)) = scratch(b, "planning_records") else {
        return;
    };
    let ev = |action: &str| AuditEvent::new(7, "anna", action, "14522");
    let mut cycle = Cycle {
        id: 0,
        kreis: "14522".into(),
        title: "Integrierte Sozialplanung 2022–2026".into(),
        first_year: 2022,
        last_year: 2026,
        note: "Fünfjähriger Fortschreibungszyklus".into(),
        source: "Rückblick 2025".into(),
    };
    cycle.id = db.save_cycle(&cycle, &ev("plan.cycle")).expect("cycle");
    assert!(cycle.id > 0);
    let forum = Milestone {
        id: 0,
        cycle_id: cycle.id,
        kind: MilestoneKind::Event,
        title: "Regionale Seniorenforen".into(),
        date_from: "2026-01".into(),
        date_to: "2026-06".into(),
        status: Status::Running,
        responsible: "Sozialplanung".into(),
        documents: String::new(),
        source: "Rückblick 2025".into(),
        example: false,
    };
    let forum_id = db
        .save_milestone(&forum, &ev("plan.milestone"))
        .expect("milestone");
    let done = Milestone {
        id: forum_id,
        status: Status::Done,
        ..forum.clone()
    };
    db.save_milestone(&done, &ev("plan.milestone"))
        .expect("update");
    assert_eq!(db.milestones(cycle.id).expect("list"), [done]);
    // Updating a record that is not there changes nothing and says so.
    let missing = Milestone { id: 9999, ..forum };
    assert!(matches!(
        db.save_milestone(&missing, &ev("plan.milestone")),
        Err(StoreError::Conflict(_))
    ));
    let decision = Decision {
        id: 0,
        cycle_id: cycle.id,
        question: "Umfang der Sozialplanung".into(),
        options: "Gesamtheit sozialer Prozesse\nSoziale Infrastruktur der Beratungsangebote".into(),
        decider: "Kreistag".into(),
        due: "2026".into(),
        outcome: String::new(),
        decided_on: String::new(),
        source: "Prozessdarstellung Sozialplanung".into(),
        example: false,
    };
    let decision_id = db
        .save_decision(&decision, &ev("plan.decision"))
        .expect("decision");
    // An outcome is recorded once: a second one is a conflict and changes nothing.
    db.record_outcome(
        decision_id,
        ("Gesamtheit", "2026-06"),
        &ev("plan.decision.decide"),
    )
    .expect("outcome");
    assert!(matches!(
        db.record_outcome(
            decision_id,
            ("Infrastruktur", "2026-07"),
            &ev("plan.decision.decide")
        ),
        Err(StoreError::Conflict(_))
    ));
    let decided = &db.decisions(cycle.id).expect("decisions")[0];
    assert_eq!(
        (decided.outcome.as_str(), decided.decided_on.as_str()),
        ("Gesamtheit", "2026-06")
    );
    let priority = Priority {
        id: 0,
        cycle_id: cycle.id,
        action_field: "Teilhabe und Inklusion".into(),
        kind: PriorityKind::Focus,
        title: "Gemeinsame Definition von Teilhabe".into(),
        body: "Die Fachabteilungen erarbeiten eine gemeinsame Definition.".into(),
        source: "Rückblick 2025".into(),
        example: false,
    };
    db.save_priority(&priority, &ev("plan.priority"))
        .expect("priority");
    let rec = Recommendation {
        id: 0,
        cycle_id: cycle.id,
        action_field: "Senior:innen".into(),
        title: "Seniorenpolitische Strategie".into(),
        body: "Text".into(),
        indicators: vec!["anteil_65_plus".into(), "anteil_75_plus".into()],
        findings: "Der Anteil Älterer wächst.".into(),
        status: Status::Planned,
        decided_by: "Kreistag".into(),
        decided_on: String::new(),
        reference: String::new(),
        outcome: String::new(),
        public: true,
        source: "Rückblick 2025".into(),
        example: false,
    };
    let rec_id = db
        .save_recommendation(&rec, &ev("plan.recommendation"))
        .expect("rec");
    assert_eq!(
        db.recommendations(cycle.id).expect("list")[0].indicators,
        rec.indicators
    );
    let mut measure = PlanMeasure {
        id: 0,
        cycle_id: cycle.id,
        recommendation_id: Some(rec_id),
        title: "Seniorenwegweiser".into(),
        body: String::new(),
        owner: "Sozialplanung".into(),
        partners: "Hochschule Mittweida".into(),
        period_from: "2026".into(),
        period_to: "2027".into(),
        budget: None,
        status: Status::Planned,
        target_groups: "Senior:innen".into(),
        municipalities: vec!["14522010".into(), "14522020".into()],
        notes: String::new(),
        public: false,
        source: String::new(),
        example: true,
    };
    measure.id = db
        .save_plan_measure(
            &measure,
            &[aim("anteil_65_plus", 24.0), aim("anteil_75_plus", 12.0)],
            &ev("plan.measure"),
        )
        .expect("measure");
    let aims = db.plan_aims(measure.id).expect("aims");
    assert_eq!(aims.len(), 2);
    assert!(aims.iter().all(|a| a.measure_id == measure.id));
    // Saved again: its aims are replaced, not added to.
    measure.budget = Some(12_500.5);
    db.save_plan_measure(
        &measure,
        &[aim("anteil_65_plus", 23.0)],
        &ev("plan.measure"),
    )
    .expect("update");
    let aims = db.plan_aims(measure.id).expect("aims");
    assert_eq!(aims.len(), 1);
    assert_eq!(aims[0].target, 23.0);
    assert_eq!(db.plan_measures(cycle.id).expect("list"), [measure.clone()]);
    // A measure for a cycle that does not exist is refused, and its aims with it.
    let orphan = PlanMeasure {
        id: 0,
        cycle_id: 9999,
        ..measure.clone()
    };
    // The same refusal on both backends (checked before PostgreSQL's foreign keys answer).
    assert!(matches!(
        db.save_plan_measure(&orphan, &[aim("x", 1.0)], &ev("plan.measure")),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(db.plan_measures(9999).expect("list"), []);
    assert_eq!(db.cycles("14522").expect("cycles"), [cycle.clone()]);
    assert!(db.cycles("15082").expect("cycles").is_empty());
    // One audit event per change that happened.
    let events = db
        .audit_events(&AuditFilter {
            action_prefix: Some("plan.".into()),
            ..AuditFilter::default()
        })
        .expect("audit");
    assert_eq!(events.len(), 9, "{events:?}");
    // Deleted: the recommendation leaves its measure without it; the measure takes its aims
    // along; a record that is not there is a conflict and writes no event.
    db.delete_planning(
        Deletable::Recommendation,
        rec_id,
        &ev("plan.recommendation.delete"),
    )
    .expect("delete");
    assert!(db.recommendations(cycle.id).expect("list").is_empty());
    assert_eq!(
        db.plan_measures(cycle.id).expect("list")[0].recommendation_id,
        None
    );
    db.delete_planning(Deletable::Measure, measure.id, &ev("plan.measure.delete"))
        .expect("delete");
    assert!(db.plan_measures(cycle.id).expect("list").is_empty());
    assert!(db.plan_aims(measure.id).expect("aims").is_empty());
    assert!(matches!(
        db.delete_planning(Deletable::Measure, measure.id, &ev("plan.measure.delete")),
        Err(StoreError::Conflict(_))
    ));
    let events = db
        .audit_events(&AuditFilter {
            action_prefix: Some("plan.".into()),
            ..AuditFilter::default()
        })
        .expect("audit");
    assert_eq!(events.len(), 11, "{events:?}");
}

fn a_cycle_and_its_records_are_saved_at_once_or_not_at_all(b: Backend) {
    let Some((_s, mut db)) = scratch(b, "planning_at_once") else {
        return;
    };
    let cycle = Cycle {
        id: 0,
        kreis: "15082".into(),
        title: "Sozialplanung 2024–2026".into(),
        first_year: 2024,
        last_year: 2026,
        note: String::new(),
        source: "Prozessdarstellung".into(),
    };
    let rec = Recommendation {
        id: 0,
        cycle_id: 0,
        action_field: "Senior:innen".into(),
        title: "Beratung im Alter".into(),
        body: String::new(),
        indicators: vec![],
        findings: String::new(),
        status: Status::Planned,
        decided_by: String::new(),
        decided_on: String::new(),
        reference: String::new(),
        outcome: String::new(),
        public: true,
        source: String::new(),
        example: true,
    };
    let measure = PlanMeasure {
        id: 0,
        cycle_id: 0,
        recommendation_id: None,
        title: "Beratungsnetz".into(),
        body: String::new(),
        owner: String::new(),
        partners: String::new(),
        period_from: "2026".into(),
        period_to: String::new(),
        budget: Some(1000.0),
        status: Status::Planned,
        target_groups: String::new(),
        municipalities: vec!["15082005".into()],
        notes: String::new(),
        public: true,
        source: String::new(),
        example: true,
    };
    let mut records = CycleRecords {
        cycle: cycle.clone(),
        milestones: vec![],
        decisions: vec![],
        priorities: vec![],
        recommendations: vec![rec.clone()],
        measures: vec![(
            measure.clone(),
            Some(rec.title.clone()),
            vec![aim("anteil_65_plus", 24.0)],
        )],
    };
    let event = |_: &Cycle, kind: &str, title: &str| {
        AuditEvent::new(9, "anna", &format!("plan.{kind}.create"), "x")
            .values(None, Some(title.to_string()))
    };
    let id = db
        .save_cycle_records(std::slice::from_ref(&records), &event)
        .expect("saved")[0];
    let recs = db.recommendations(id).expect("recs");
    let measures = db.plan_measures(id).expect("measures");
    assert_eq!((recs.len(), measures.len()), (1, 1));
    // The measure found the recommendation saved in the same transaction, by its title.
    assert_eq!(measures[0].recommendation_id, Some(recs[0].id));
    assert_eq!(measures[0].cycle_id, id);
    assert_eq!(measures[0].budget, Some(1000.0));
    let aims = db.plan_aims(measures[0].id).expect("aims");
    assert_eq!(aims.len(), 1);
    // Three records, three audit events (cycle, recommendation, measure).
    let count = |db: &Database| {
        db.audit_events(&AuditFilter {
            action_prefix: Some("plan.".into()),
            ..AuditFilter::default()
        })
        .expect("audit")
        .len()
    };
    assert_eq!(count(&db), 3);
    // More measures into the stored cycle: linked to its stored recommendation by title.
    records.cycle.id = id;
    records.recommendations.clear();
    records.measures[0].0.title = "Zweite Maßnahme".into();
    db.save_cycle_records(std::slice::from_ref(&records), &event)
        .expect("added");
    let measures = db.plan_measures(id).expect("measures");
    assert_eq!(measures.len(), 2);
    assert_eq!(measures[1].recommendation_id, Some(recs[0].id));
    assert_eq!(count(&db), 4);
    // Into a cycle that is gone: nothing at all is saved, no event written.
    // Two cycles at once, the second into a cycle that is gone: neither is saved, the new
    // first one included, and no event is written.
    let first = CycleRecords {
        cycle: Cycle {
            title: "Dritter".into(),
            ..cycle.clone()
        },
        ..records.clone()
    };
    records.cycle = Cycle { id: 9999, ..cycle };
    assert!(matches!(
        db.save_cycle_records(&[first.clone(), records], &event),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(count(&db), 4);
    assert_eq!(db.cycles("15082").expect("cycles").len(), 1);
    // Two new cycles at once: each record goes into its own cycle.
    let second = CycleRecords {
        cycle: Cycle {
            title: "Vierter".into(),
            ..first.cycle.clone()
        },
        ..first.clone()
    };
    let ids = db
        .save_cycle_records(&[first, second], &event)
        .expect("two");
    assert_eq!(ids.len(), 2);
    for id in ids {
        let ms = db.plan_measures(id).expect("measures");
        assert_eq!(ms.len(), 1);
        assert_eq!(ms[0].cycle_id, id);
        assert_eq!(db.plan_aims(ms[0].id).expect("aims").len(), 1);
    }
    let last = db
        .audit_events(&AuditFilter {
            action_prefix: Some("plan.measure".into()),
            ..AuditFilter::default()
        })
        .expect("audit");
    assert!(
        last.iter()
            .all(|e| e.new_value.as_deref() == Some("Zweite Maßnahme")
                || e.new_value.as_deref() == Some("Beratungsnetz"))
    );
}
