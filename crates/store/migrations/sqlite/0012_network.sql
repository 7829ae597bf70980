-- The network of social planning and its participation: actors (organisations) of a district,
-- their contact persons (personal data: internal only, consent noted, erased on request),
-- working groups with their members, participation events and the impulses they gave, each
-- impulse linked to the recommendations and measures it led to (`target_kind` says which).
CREATE TABLE actor (
    id INTEGER PRIMARY KEY,
    kreis TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    action_fields TEXT NOT NULL,
    target_groups TEXT NOT NULL,
    municipality TEXT NOT NULL,
    web TEXT NOT NULL,
    note TEXT NOT NULL,
    source TEXT NOT NULL,
    example INTEGER NOT NULL
);
CREATE UNIQUE INDEX actor_name ON actor(kreis, name);
-- AUTOINCREMENT: an erased person's id is never given to another, so the audit log's
-- pseudonymised entries (`person:17`) keep naming the one person they were about.
CREATE TABLE contact_person (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id INTEGER NOT NULL REFERENCES actor(id),
    name TEXT NOT NULL,
    function TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    consent_on TEXT NOT NULL,
    consent_for TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX contact_person_actor ON contact_person(actor_id);
CREATE TABLE working_group (
    id INTEGER PRIMARY KEY,
    kreis TEXT NOT NULL,
    name TEXT NOT NULL,
    action_field TEXT NOT NULL,
    purpose TEXT NOT NULL,
    source TEXT NOT NULL,
    example INTEGER NOT NULL
);
CREATE TABLE membership (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES working_group(id),
    actor_id INTEGER NOT NULL REFERENCES actor(id),
    person_id INTEGER REFERENCES contact_person(id),
    role TEXT NOT NULL
);
CREATE INDEX membership_group ON membership(group_id);
CREATE TABLE participation_event (
    id INTEGER PRIMARY KEY,
    kreis TEXT NOT NULL,
    format TEXT NOT NULL,
    title TEXT NOT NULL,
    date_from TEXT NOT NULL,
    date_to TEXT NOT NULL,
    place TEXT NOT NULL,
    municipality TEXT NOT NULL,
    target_groups TEXT NOT NULL,
    participants INTEGER,
    topics TEXT NOT NULL,
    documents TEXT NOT NULL,
    organiser TEXT NOT NULL,
    public INTEGER NOT NULL,
    source TEXT NOT NULL,
    example INTEGER NOT NULL
);
CREATE TABLE impulse (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES participation_event(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    action_field TEXT NOT NULL,
    public INTEGER NOT NULL,
    source TEXT NOT NULL,
    example INTEGER NOT NULL
);
CREATE INDEX impulse_event ON impulse(event_id);
CREATE TABLE impulse_link (
    id INTEGER PRIMARY KEY,
    impulse_id INTEGER NOT NULL REFERENCES impulse(id),
    target_kind TEXT NOT NULL,
    target_id INTEGER NOT NULL
);
CREATE INDEX impulse_link_impulse ON impulse_link(impulse_id);
CREATE INDEX impulse_link_target ON impulse_link(target_kind, target_id);
