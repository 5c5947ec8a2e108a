-- Rules as data. A rule keeps its id across versions; every change is a
-- new row of rule_versions, never an update of an old one, so that a
-- finding can always show the version that made it.
CREATE TABLE rules (
    id         uuid PRIMARY KEY,
    code       text NOT NULL UNIQUE,
    version    int  NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE rule_versions (
    rule_id      uuid NOT NULL REFERENCES rules (id),
    version      int  NOT NULL,
    name         text NOT NULL,
    fact         text NOT NULL,
    window_kind  text NOT NULL,
    window_count int  NOT NULL DEFAULT 0,
    condition    text NOT NULL,
    params       jsonb NOT NULL DEFAULT '{}',
    consequences jsonb NOT NULL DEFAULT '[]',
    severity     text NOT NULL,
    explanation  text NOT NULL,
    enabled      boolean NOT NULL,
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL,
    PRIMARY KEY (rule_id, version)
);

-- A district's override of a city rule: its own parameters (merged over
-- the rule's) and whether the rule runs there at all. Versioned too.
CREATE TABLE rule_overrides (
    rule_id     uuid NOT NULL REFERENCES rules (id),
    district_id uuid NOT NULL,
    version     int  NOT NULL,
    params      jsonb NOT NULL DEFAULT '{}',
    enabled     boolean,
    created_at  timestamptz NOT NULL,
    created_by  text NOT NULL,
    PRIMARY KEY (rule_id, district_id, version)
);

-- A finding is made once per rule, subject and period: the unique key is
-- what makes a sweep on many replicas, or an event delivered twice, find
-- each thing once. It records the rule version, the parameters in force
-- and the facts that made the rule fire.
CREATE TABLE findings (
    id              uuid PRIMARY KEY,
    rule_id         uuid NOT NULL REFERENCES rules (id),
    rule_version    int  NOT NULL,
    rule_code       text NOT NULL,
    district_id     uuid,
    organisation_id uuid,
    subject_type    text NOT NULL,
    subject_id      text NOT NULL,
    period          text NOT NULL,
    facts           jsonb NOT NULL,
    params          jsonb NOT NULL,
    severity        text NOT NULL,
    explanation     text NOT NULL,
    created_at      timestamptz NOT NULL,
    CONSTRAINT findings_once UNIQUE (rule_id, subject_id, period)
);
CREATE INDEX findings_district ON findings (district_id, created_at DESC, id);
CREATE INDEX findings_organisation ON findings (organisation_id, created_at DESC, id);

-- Calls to other services that a finding asks for (withdraw a star
-- rating), written in the finding's transaction and made afterwards by a
-- job: a call is never made from inside a transaction, and it is retried
-- with the same request id until the other service takes it.
CREATE TABLE actions (
    id          uuid PRIMARY KEY,
    finding_id  uuid NOT NULL REFERENCES findings (id),
    kind        text NOT NULL,
    payload     jsonb NOT NULL,
    attempts    int  NOT NULL DEFAULT 0,
    last_error  text NOT NULL DEFAULT '',
    done_at     timestamptz,
    created_at  timestamptz NOT NULL,
    next_at     timestamptz NOT NULL
);
CREATE INDEX actions_pending ON actions (next_at) WHERE done_at IS NULL;

-- Projections of other services' events: what the rules are evaluated on.
-- Each is written by a consumer in the transaction that records the event
-- in the inbox, so each event is applied once; updated_at (the event's
-- time) keeps an older event delivered late from undoing a newer one.

-- The founding date of each organisation (organisation service).
CREATE TABLE org_facts (
    id            uuid PRIMARY KEY,
    founding_date date,
    updated_at    timestamptz NOT NULL
);

-- Organisation life recorded (organisation service): the concentrated
-- quarterly activity among them.
CREATE TABLE activities (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    kind            text NOT NULL,
    day             date NOT NULL,
    recorded_at     timestamptz NOT NULL
);
CREATE INDEX activities_org ON activities (organisation_id, kind, day);

-- In-service members registered with a community (member service).
CREATE TABLE in_service (
    registration_id uuid PRIMARY KEY,
    member_id       uuid NOT NULL,
    community_id    uuid NOT NULL,
    organisation_id uuid,
    since           date NOT NULL,
    ended           date,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX in_service_member ON in_service (member_id) WHERE ended IS NULL;

-- A member's current star rating and organisation (member service).
CREATE TABLE member_facts (
    member_id       uuid PRIMARY KEY,
    organisation_id uuid,
    stars           int NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL
);

-- When each member last joined a joint activity of co-building.
CREATE TABLE joint_attendance (
    member_id uuid PRIMARY KEY,
    last_day  date NOT NULL
);

-- Facts that arrive as events and are judged as they arrive (ON_EVENT):
-- a letter expired, a transfer flagged, a contact overdue. One row per
-- fact, subject and period; vars are the fact's variables.
CREATE TABLE event_facts (
    fact            text NOT NULL,
    subject_id      text NOT NULL,
    period          text NOT NULL,
    organisation_id uuid,
    vars            jsonb NOT NULL,
    occurred_at     timestamptz NOT NULL,
    PRIMARY KEY (fact, subject_id, period)
);
