-- The planning cycle (issue 15): cycles with their steps and milestones, the decisions pending
-- in them, the priorities and goals per action field, recommendations with the council's
-- decision, measures and projects, and each measure's aims per indicator (baseline and target).
-- `source` names where a record comes from (a seed document, a council paper); `example` marks
-- a record that no document records, shown as an example wherever it appears.
CREATE TABLE plan_cycle (
    id INTEGER PRIMARY KEY,
    kreis TEXT NOT NULL,
    title TEXT NOT NULL,
    first_year INTEGER NOT NULL,
    last_year INTEGER NOT NULL,
    note TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX plan_cycle_kreis ON plan_cycle(kreis, first_year);

CREATE TABLE plan_milestone (
    id INTEGER PRIMARY KEY,
    cycle_id INTEGER NOT NULL REFERENCES plan_cycle(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    date_from TEXT NOT NULL,
    date_to TEXT NOT NULL,
    status TEXT NOT NULL,
    responsible TEXT NOT NULL,
    documents TEXT NOT NULL,
    source TEXT NOT NULL,
    example INTEGER NOT NULL
);
CREATE INDEX plan_milestone_cycle ON plan_milestone(cycle_id);

CREATE TABLE plan_decision (
    id INTEGER PRIMARY KEY,
    cycle_id INTEGER NOT NULL REFERENCES plan_cycle(id),
    question TEXT NOT NULL,
    options TEXT NOT NULL,
    decider TEXT NOT NULL,
    due TEXT NOT NULL,
    outcome TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    source TEXT NOT NULL,
    example INTEGER NOT NULL
);
CREATE INDEX plan_decision_cycle ON plan_decision(cycle_id);

CREATE TABLE plan_priority (
    id INTEGER PRIMARY KEY,
    cycle_id INTEGER NOT NULL REFERENCES plan_cycle(id),
    action_field TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    example INTEGER NOT NULL
);
CREATE INDEX plan_priority_cycle ON plan_priority(cycle_id);

CREATE TABLE plan_recommendation (
    id INTEGER PRIMARY KEY,
    cycle_id INTEGER NOT NULL REFERENCES plan_cycle(id),
    action_field TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    indicators TEXT NOT NULL,
    findings TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    reference TEXT NOT NULL,
    outcome TEXT NOT NULL,
    public INTEGER NOT NULL,
    source TEXT NOT NULL,
    example INTEGER NOT NULL
);
CREATE INDEX plan_recommendation_cycle ON plan_recommendation(cycle_id);

CREATE TABLE plan_measure (
    id INTEGER PRIMARY KEY,
    cycle_id INTEGER NOT NULL REFERENCES plan_cycle(id),
    recommendation_id INTEGER REFERENCES plan_recommendation(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    owner TEXT NOT NULL,
    partners TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    budget REAL,
    status TEXT NOT NULL,
    target_groups TEXT NOT NULL,
    municipalities TEXT NOT NULL,
    notes TEXT NOT NULL,
    public INTEGER NOT NULL,
    source TEXT NOT NULL,
    example INTEGER NOT NULL
);
CREATE INDEX plan_measure_cycle ON plan_measure(cycle_id);

CREATE TABLE plan_aim (
    id INTEGER PRIMARY KEY,
    measure_id INTEGER NOT NULL REFERENCES plan_measure(id) ON DELETE CASCADE,
    indicator TEXT NOT NULL,
    region_key TEXT NOT NULL,
    baseline REAL NOT NULL,
    baseline_year INTEGER NOT NULL,
    target REAL NOT NULL,
    target_year INTEGER NOT NULL,
    direction TEXT NOT NULL
);
CREATE INDEX plan_aim_measure ON plan_aim(measure_id);
