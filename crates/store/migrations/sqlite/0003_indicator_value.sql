-- Computed indicator values for every region and year (the cache behind the dashboard, reports
-- and public exports). Rebuilt from the observations by `compute --all`; `data_version` records
-- which import it was computed from, so a newer import marks the cache stale.
-- flags: 1 incomplete sum, 2 suppressed by our confidentiality rules (public output shows `.`).
CREATE TABLE indicator_value (
    indicator  TEXT NOT NULL,
    region_id  INTEGER NOT NULL,
    year       INTEGER NOT NULL,
    num        REAL,
    sym        INTEGER,
    flags      INTEGER NOT NULL,
    PRIMARY KEY (indicator, region_id, year)
) WITHOUT ROWID;

CREATE TABLE indicator_cache (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    data_version  INTEGER NOT NULL,      -- max(import_batch.id) when computed
    territory     TEXT NOT NULL,         -- 'today' or 'published'
    first_year    INTEGER NOT NULL,
    last_year     INTEGER NOT NULL
);
