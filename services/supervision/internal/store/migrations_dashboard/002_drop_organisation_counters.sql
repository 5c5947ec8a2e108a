-- The counters per organisation of migration 004 (item_counts and
-- quarter_counts), which the rolled-up counters replaced: nothing reads
-- them any more, and their row-level triggers cost every write of items
-- and findings an upsert each (a first sweep of a city, 30,000 findings,
-- spent most of its writing time there).
DROP TRIGGER items_counted ON items;
DROP TRIGGER findings_counted ON findings;
DROP FUNCTION items_counted();
DROP FUNCTION findings_counted();
DROP TABLE item_counts;
DROP TABLE quarter_counts;
