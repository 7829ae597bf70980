-- The confidentiality rules a cache was computed with (core::confidential::RULES_VERSION): a
-- cache from older rules is stale even when no data changed.
ALTER TABLE indicator_cache ADD COLUMN rules INTEGER NOT NULL DEFAULT 0;

-- Set only in a public-only database written by `publish`: it holds the public side of the
-- results cache and no observation, so it is served as it is and never recomputed.
CREATE TABLE publication (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    data_version    INTEGER NOT NULL,   -- the data version of the published cache
    rules           INTEGER NOT NULL,   -- the confidentiality rules it was computed with
    source_sha256   TEXT NOT NULL       -- empty; reserved for the source database's digest
);
