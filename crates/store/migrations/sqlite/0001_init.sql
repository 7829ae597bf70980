-- Initial schema. Migrations are append-only: never edit a released file, add a new one.

CREATE TABLE import_batch (
    id            INTEGER PRIMARY KEY,
    file_name     TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    format        TEXT NOT NULL,
    rows_read     INTEGER NOT NULL,
    rows_stored   INTEGER NOT NULL,
    rows_revised  INTEGER NOT NULL,
    rows_unchanged INTEGER NOT NULL,
    rows_skipped  INTEGER NOT NULL,
    diagnostics   TEXT NOT NULL,       -- JSON array of {file,line,column,severity,message,hint}
    imported_at   TEXT NOT NULL,       -- ISO 8601, UTC
    duration_ms   INTEGER NOT NULL
);
CREATE INDEX import_batch_sha ON import_batch(sha256);

CREATE TABLE region (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,  -- DG, 14, 145, 14522, 145225101, 14522180, 14522180:ot1
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent      TEXT,
    verband     TEXT,
    valid_from  TEXT,                  -- ISO date of the first register snapshot that lists it
    valid_to    TEXT,                  -- ISO date of the last snapshot that lists it, if dissolved
    area_km2    REAL,
    population  INTEGER,
    postcode    TEXT,
    kind        TEXT,
    in_register INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX region_parent ON region(parent);
CREATE INDEX region_name ON region(name COLLATE NOCASE);

-- One row per region per register snapshot (GV100AD, register extract), so validity and
-- territorial changes can be recomputed whatever order snapshots arrive in.
CREATE TABLE region_snapshot (
    key        TEXT NOT NULL,
    snapshot   TEXT NOT NULL,
    name       TEXT NOT NULL,
    level      TEXT NOT NULL,
    parent     TEXT,
    verband    TEXT,
    area_km2   REAL,
    population INTEGER,
    postcode   TEXT,
    kind       TEXT,
    import_id  INTEGER NOT NULL REFERENCES import_batch(id),
    PRIMARY KEY (key, snapshot)
) WITHOUT ROWID;

CREATE TABLE region_change (
    from_key   TEXT NOT NULL,
    to_key     TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    first_gone TEXT NOT NULL,
    share      REAL NOT NULL,
    confirmed  INTEGER NOT NULL,
    PRIMARY KEY (from_key, to_key, first_gone)
) WITHOUT ROWID;

CREATE TABLE measure (
    id        INTEGER PRIMARY KEY,
    code      TEXT NOT NULL UNIQUE,
    label     TEXT NOT NULL,
    unit      TEXT NOT NULL,
    statistic TEXT NOT NULL
);

CREATE TABLE breakdown (
    id    INTEGER PRIMARY KEY,
    key   TEXT NOT NULL UNIQUE,        -- '' for the total, else GES=GESW|NAT=NATA
    label TEXT NOT NULL,
    items TEXT NOT NULL                -- JSON [[variable, value, label], ...]
);
INSERT INTO breakdown(id, key, label, items) VALUES (0, '', 'Insgesamt', '[]');

-- period: a year as yyyy, a reference date as yyyymmdd.
-- sym: NULL for a number, else 1 '-', 2 '.', 3 '...', 4 '/', 5 'x'.
-- fmt: decimals | flags << 8 (p=1, r=2, s=4, ()=8, decimal point=16), so the published text can
--      be rebuilt exactly; raw holds the text only where that rebuild would differ.
CREATE TABLE observation (
    measure_id   INTEGER NOT NULL,
    region_id    INTEGER NOT NULL,
    period       INTEGER NOT NULL,
    breakdown_id INTEGER NOT NULL,
    num          REAL,
    sym          INTEGER,
    fmt          INTEGER NOT NULL,
    raw          TEXT,
    quality      TEXT,
    import_id    INTEGER NOT NULL,
    PRIMARY KEY (measure_id, region_id, period, breakdown_id)
) WITHOUT ROWID;

CREATE TABLE observation_history (
    measure_id    INTEGER NOT NULL,
    region_id     INTEGER NOT NULL,
    period        INTEGER NOT NULL,
    breakdown_id  INTEGER NOT NULL,
    num           REAL,
    sym           INTEGER,
    fmt           INTEGER NOT NULL,
    raw           TEXT,
    quality       TEXT,
    import_id     INTEGER NOT NULL,
    superseded_by INTEGER NOT NULL
);
CREATE INDEX observation_history_cell ON observation_history(measure_id, region_id, period, breakdown_id);

-- A different value for an existing cell is a revision: the old one moves to the history. A
-- quality mark added where there was none (an export with the quality column after one without)
-- only completes the cell. 4096 is the decimal-point flag, which is locale, not content.
CREATE TRIGGER observation_revision BEFORE UPDATE ON observation
WHEN OLD.num IS NOT NEW.num OR OLD.sym IS NOT NEW.sym OR (OLD.fmt & ~4096) IS NOT (NEW.fmt & ~4096)
  OR OLD.raw IS NOT NEW.raw OR (OLD.quality IS NOT NULL AND OLD.quality IS NOT NEW.quality)
BEGIN
    INSERT INTO observation_history
    VALUES (OLD.measure_id, OLD.region_id, OLD.period, OLD.breakdown_id, OLD.num, OLD.sym, OLD.fmt,
            OLD.raw, OLD.quality, OLD.import_id, NEW.import_id);
END;

CREATE TABLE boundary (
    region_key TEXT PRIMARY KEY,
    name       TEXT,
    geojson    TEXT NOT NULL,              -- GeoJSON MultiPolygon geometry, WGS84
    import_id  INTEGER NOT NULL
);

CREATE TABLE indicator (
    key       TEXT PRIMARY KEY,
    entry     TEXT NOT NULL,               -- JSON of the catalogue entry
    import_id INTEGER
);
