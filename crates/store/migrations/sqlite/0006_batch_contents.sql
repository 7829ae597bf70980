-- What each import batch holds per statistic (JSON list of core::Content), so the dashboard can
-- say in words which statistics were updated. Batches imported before this migration have '[]'
-- and are named by their file.
ALTER TABLE import_batch ADD COLUMN contents TEXT NOT NULL DEFAULT '[]';
