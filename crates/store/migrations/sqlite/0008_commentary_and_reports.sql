-- The planners' commentary of the social report, every saved version kept, and the reports
-- made in the workspace with the data version they were made from.
CREATE TABLE commentary (
    id INTEGER PRIMARY KEY,
    kreis TEXT NOT NULL,
    chapter TEXT NOT NULL,
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX commentary_chapter ON commentary(kreis, chapter, id);

CREATE TABLE report_file (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    region_key TEXT NOT NULL,
    data_version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    author TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    pdf_base64 TEXT NOT NULL
);
