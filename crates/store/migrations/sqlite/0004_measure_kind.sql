-- How a measure's numbers behave (count, amount, not_additive), as the importing file or the
-- offices' unit vocabulary declares it. NULL: declared by neither; such a measure is treated as
-- a count (summed and protected), never published raw.
ALTER TABLE measure ADD COLUMN kind TEXT;
-- INKAR publishes indicators (rates, shares, averages), never counts.
UPDATE measure SET kind = 'not_additive' WHERE statistic LIKE 'INKAR:%';
