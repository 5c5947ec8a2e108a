-- Graded results are corrected by new versions, never by an edit: every
-- version is kept here (the first as graded), append-only; the row of
-- assessment_results is the current version, which the rules, rankings
-- and dashboard read.
ALTER TABLE assessment_results
    ADD COLUMN version           integer NOT NULL DEFAULT 1,
    ADD COLUMN correction_reason text NOT NULL DEFAULT '',
    ADD COLUMN corrected_by      text NOT NULL DEFAULT '',
    ADD COLUMN corrected_at      timestamptz;

CREATE TABLE assessment_result_versions (
    organisation_id  uuid NOT NULL,
    period           text NOT NULL,
    version          integer NOT NULL,
    task_score       double precision NOT NULL,
    daily_score      double precision NOT NULL,
    score            double precision NOT NULL,
    grade            text NOT NULL,
    rank             integer NOT NULL,
    peers            integer NOT NULL,
    bottom_two       boolean NOT NULL,
    bottom_two_count integer NOT NULL,
    correction_reason text NOT NULL DEFAULT '',
    corrected_by     text NOT NULL DEFAULT '',
    corrected_at     timestamptz,
    PRIMARY KEY (organisation_id, period, version),
    FOREIGN KEY (organisation_id, period) REFERENCES assessment_results (organisation_id, period)
);

CREATE FUNCTION assessment_result_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a version of a result is never changed';
END $$;
CREATE TRIGGER assessment_result_versions_append_only BEFORE UPDATE OR DELETE ON assessment_result_versions
    FOR EACH ROW EXECUTE FUNCTION assessment_result_versions_append_only();

-- The results graded before versions were kept: their first version.
INSERT INTO assessment_result_versions (organisation_id, period, version, task_score, daily_score, score, grade, rank, peers,
        bottom_two, bottom_two_count)
    SELECT organisation_id, period, 1, task_score, daily_score, score, grade, rank, peers, bottom_two, bottom_two_count
    FROM assessment_results;
