-- The year-end two-way evaluation (双向评议): one grade per year,
-- direction, community and unit; a correction updates it in place (the
-- audit trail keeps what it replaced).
CREATE TABLE evaluations (
    id           uuid PRIMARY KEY,
    year         int NOT NULL CHECK (year >= 2000),
    direction    text NOT NULL CHECK (direction IN ('COMMUNITY_TO_UNIT', 'UNIT_TO_COMMUNITY')),
    community_id uuid NOT NULL,
    unit_id      uuid NOT NULL REFERENCES resident_units (id),
    grade        text NOT NULL CHECK (grade IN ('GOOD', 'FAIRLY_GOOD', 'ORDINARY', 'POOR')),
    comment      text NOT NULL DEFAULT '',
    district_id  uuid,
    evaluated_by text NOT NULL,
    version      bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT evaluations_one_per_pair UNIQUE (year, direction, community_id, unit_id)
);
CREATE INDEX evaluations_by_community ON evaluations (community_id, year DESC, id DESC);
CREATE INDEX evaluations_by_unit ON evaluations (unit_id, year DESC, id DESC);

---- create above / drop below ----

DROP TABLE evaluations;
