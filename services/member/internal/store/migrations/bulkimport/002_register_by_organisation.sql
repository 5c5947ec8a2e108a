-- A job's staged rows are registered in the order of their organisations
-- (reg_seq, numbered once the whole file has arrived), not the file's: a
-- roster that deals its rows out to every branch in turn then gives each
-- organisation one or two registration batches, and so one or two
-- MembersImported and count events, instead of one in every batch. Until
-- then reg_seq is the row's seq, which is also the order of the jobs that
-- were registering when this ran (their registered_through counts it).
ALTER TABLE member_import_rows ADD COLUMN reg_seq bigint;
UPDATE member_import_rows SET reg_seq = seq;
ALTER TABLE member_import_rows ALTER COLUMN reg_seq SET NOT NULL;
CREATE INDEX member_import_rows_registration ON member_import_rows (job_id, reg_seq);
