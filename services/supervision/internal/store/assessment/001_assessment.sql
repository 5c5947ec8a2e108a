-- Assessment (考核评价): task and responsibility lists per organisation and
-- period, the evidence of their tasks and its review, daily records, each
-- district's settings, the graded results (the fact the rules watch and
-- the rankings the dashboard shows), and the commendations proposed from
-- them. A set of its own, with its own version table.

CREATE TABLE task_lists (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    district_id     uuid NOT NULL,
    period          text NOT NULL CHECK (period ~ '^[0-9]{4}(-Q[1-4])?$'),
    department      text NOT NULL DEFAULT '',
    title           text NOT NULL,
    tasks           jsonb NOT NULL,
    graded          boolean NOT NULL DEFAULT false,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL,
    CONSTRAINT task_lists_once UNIQUE (organisation_id, period)
);
CREATE INDEX task_lists_district ON task_lists (district_id, period);

CREATE TABLE task_evidence (
    id           uuid PRIMARY KEY,
    task_list_id uuid NOT NULL REFERENCES task_lists (id),
    task_code    text NOT NULL,
    description  text NOT NULL,
    reference    text NOT NULL DEFAULT '',
    submitted_by text NOT NULL,
    submitted_at timestamptz NOT NULL,
    state        text NOT NULL CHECK (state IN ('SUBMITTED', 'REVIEWED')),
    score        double precision NOT NULL DEFAULT 0,
    note         text NOT NULL DEFAULT '',
    reviewed_by  text NOT NULL DEFAULT '',
    reviewed_at  timestamptz
);
CREATE INDEX task_evidence_list ON task_evidence (task_list_id, submitted_at);

CREATE TABLE daily_entries (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    district_id     uuid NOT NULL,
    day             date NOT NULL,
    points          double precision NOT NULL,
    note            text NOT NULL,
    recorded_by     text NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX daily_entries_org ON daily_entries (organisation_id, day);

CREATE TABLE assessment_settings (
    district_id uuid PRIMARY KEY,
    bands       jsonb NOT NULL,
    daily_share integer NOT NULL CHECK (daily_share BETWEEN 0 AND 100),
    version     integer NOT NULL,
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- A district's period is graded once: graded_periods is its key.
CREATE TABLE graded_periods (
    district_id uuid NOT NULL,
    period      text NOT NULL,
    graded_at   timestamptz NOT NULL,
    graded_by   text NOT NULL,
    PRIMARY KEY (district_id, period)
);

CREATE TABLE assessment_results (
    organisation_id  uuid NOT NULL,
    period           text NOT NULL,
    name             text NOT NULL,
    kind             text NOT NULL,
    parent_id        uuid,
    district_id      uuid NOT NULL,
    task_list_id     uuid NOT NULL REFERENCES task_lists (id),
    task_score       double precision NOT NULL,
    daily_score      double precision NOT NULL,
    score            double precision NOT NULL,
    grade            text NOT NULL,
    rank             integer NOT NULL,
    peers            integer NOT NULL,
    bottom_two       boolean NOT NULL,
    bottom_two_count integer NOT NULL,
    graded_at        timestamptz NOT NULL,
    PRIMARY KEY (organisation_id, period)
);
-- The rankings below a parent, and the results of a district.
CREATE INDEX assessment_results_parent ON assessment_results (parent_id, period, kind, rank);
CREATE INDEX assessment_results_district ON assessment_results (district_id, period);

CREATE TABLE commendations (
    id                uuid PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('ORGANISATION', 'INDIVIDUAL')),
    organisation_id   uuid NOT NULL,
    member_id         uuid,
    person_name       text NOT NULL DEFAULT '',
    year              integer NOT NULL,
    reason            text NOT NULL,
    period            text NOT NULL DEFAULT '',
    grade             text NOT NULL DEFAULT '',
    rank              integer NOT NULL DEFAULT 0,
    state             text NOT NULL CHECK (state IN ('PROPOSED', 'APPROVED', 'REJECTED', 'PUBLISHED')),
    district_id       uuid NOT NULL,
    proposed_by       text NOT NULL,
    decided_by        text NOT NULL DEFAULT '',
    decision_note     text NOT NULL DEFAULT '',
    publication_title text NOT NULL DEFAULT '',
    version           integer NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
-- One proposal per organisation or person and year.
CREATE UNIQUE INDEX commendations_once ON commendations (kind, coalesce(member_id, organisation_id), year);
CREATE INDEX commendations_year ON commendations (year, created_at);

-- Organisations a rule's finding barred from commendation in a year
-- (BAR_COMMENDATION), written in the finding's transaction.
CREATE TABLE commendation_bars (
    organisation_id uuid NOT NULL,
    year            integer NOT NULL,
    finding_id      uuid NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (organisation_id, year)
);
