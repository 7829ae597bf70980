-- The directory of social services (Wegweiser) of a district: each entry with its address,
-- position, topics and target groups (codes, comma-separated), accessibility and contact, when it
-- was last checked, and whether the public sees it. The accessibility columns hold 1 (yes), 0 (no)
-- or -1 (not known).
CREATE TABLE service (
    id INTEGER PRIMARY KEY,
    kreis TEXT NOT NULL,
    name TEXT NOT NULL,
    provider TEXT NOT NULL,
    street TEXT NOT NULL,
    postcode TEXT NOT NULL,
    place TEXT NOT NULL,
    municipality TEXT NOT NULL,
    served TEXT NOT NULL,
    lat REAL,
    lon REAL,
    topics TEXT NOT NULL,
    target_groups TEXT NOT NULL,
    opening_hours TEXT NOT NULL,
    step_free INTEGER NOT NULL,
    hearing_loop INTEGER NOT NULL,
    easy_language INTEGER NOT NULL,
    languages TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT NOT NULL,
    web TEXT NOT NULL,
    checked_on TEXT NOT NULL,
    public INTEGER NOT NULL,
    example INTEGER NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX service_kreis ON service(kreis);
