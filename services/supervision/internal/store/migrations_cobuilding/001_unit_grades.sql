-- The two-way evaluation's grades of resident units by their community
-- (co-building service, unit_evaluation_published): one row per unit,
-- community and year; a correction replaces the grade, and an older event
-- delivered late never undoes a newer one.
CREATE TABLE unit_grades (
    unit_id      uuid NOT NULL,
    community_id uuid NOT NULL,
    year         int  NOT NULL,
    grade        text NOT NULL,
    unit_name    text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (unit_id, community_id, year)
);
CREATE INDEX unit_grades_community ON unit_grades (community_id);
