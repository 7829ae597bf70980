-- The end (yyyymmdd) of the last period for which a region has a published number (not `-`).
-- For regions known only from statistics it bounds their life when sums are built; kept up to
-- date by every import, so the engine never scans observations by region.
ALTER TABLE region ADD COLUMN last_data INTEGER;
UPDATE region SET last_data = (
    SELECT max(CASE WHEN o.period < 10000 THEN o.period * 10000 + 1231 ELSE o.period END)
    FROM observation o WHERE o.region_id = region.id AND (o.sym IS NULL OR o.sym <> 1)
);
