-- Rectification items (整改): opened by a rule's finding, by an inspector's
-- finding on the spot, or by hand; owned by an organisation (its secretary
-- or whoever is scoped to it answers), with a deadline and the evidence
-- required. Its state is the latest of its steps; the steps are the
-- history, and are never changed.
CREATE TABLE items (
    id                    uuid PRIMARY KEY,
    organisation_id       uuid NOT NULL,
    district_id           uuid,
    source                text NOT NULL CHECK (source IN ('RULE', 'INSPECTION', 'MANUAL')),
    finding_id            uuid REFERENCES findings (id),
    rule_code             text NOT NULL DEFAULT '',
    inspection_finding_id uuid,
    title                 text NOT NULL,
    required_evidence     text NOT NULL DEFAULT '',
    deadline              date NOT NULL,
    state                 text NOT NULL CHECK (state IN ('OPEN', 'SUBMITTED', 'CLOSED')),
    -- needs_remedy: closed only once the fact is remedied (a concentrated
    -- activity held late); remedied_at is when it was.
    needs_remedy          boolean NOT NULL DEFAULT false,
    remedied_at           timestamptz,
    escalated_at          timestamptz,
    version               int NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL
);
CREATE INDEX items_org ON items (organisation_id, created_at DESC, id);
CREATE INDEX items_overdue ON items (deadline) WHERE state <> 'CLOSED' AND escalated_at IS NULL;
-- One item per finding and consequence is enough: a finding opens one.
CREATE UNIQUE INDEX items_finding ON items (finding_id) WHERE finding_id IS NOT NULL;

CREATE TABLE item_steps (
    item_id     uuid NOT NULL REFERENCES items (id),
    seq         int  NOT NULL,
    kind        text NOT NULL,
    actor       text NOT NULL,
    actor_role  text NOT NULL,
    note        text NOT NULL DEFAULT '',
    evidence    jsonb,
    at          timestamptz NOT NULL,
    PRIMARY KEY (item_id, seq)
);

CREATE FUNCTION item_steps_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the steps of an item are never changed';
END $$;
CREATE TRIGGER item_steps_append_only BEFORE UPDATE OR DELETE ON item_steps
    FOR EACH ROW EXECUTE FUNCTION item_steps_append_only();

-- Interviews (约谈): who was interviewed and when, the deadline to fix
-- (限期整改) and the follow-up.
CREATE TABLE interviews (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    district_id     uuid,
    finding_id      uuid REFERENCES findings (id),
    reason          text NOT NULL,
    due_by          date NOT NULL,
    interviewee     text NOT NULL DEFAULT '',
    held_on         date,
    fix_deadline    date,
    follow_up       text NOT NULL DEFAULT '',
    followed_up_on  date,
    state           text NOT NULL CHECK (state IN ('SCHEDULED', 'HELD', 'FOLLOWED_UP')),
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX interviews_org ON interviews (organisation_id, created_at DESC, id);

-- Inspection rounds of a district and quarter, their roving groups (the
-- inspectors by the subject of their tokens, the organisations covered,
-- each with its subtree) and what the groups found on the spot.
CREATE TABLE inspection_rounds (
    id          uuid PRIMARY KEY,
    district_id uuid NOT NULL,
    year        int  NOT NULL,
    quarter     int  NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    name        text NOT NULL,
    checklist   jsonb NOT NULL DEFAULT '[]',
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX inspection_rounds_district ON inspection_rounds (district_id, year DESC, quarter DESC);

CREATE TABLE inspection_groups (
    id               uuid PRIMARY KEY,
    round_id         uuid NOT NULL REFERENCES inspection_rounds (id),
    district_id      uuid NOT NULL,
    name             text NOT NULL,
    inspectors       text[] NOT NULL,
    organisation_ids uuid[] NOT NULL,
    version          int NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX inspection_groups_round ON inspection_groups (round_id);
CREATE INDEX inspection_groups_inspectors ON inspection_groups USING gin (inspectors);

CREATE TABLE inspection_findings (
    id              uuid PRIMARY KEY,
    round_id        uuid NOT NULL REFERENCES inspection_rounds (id),
    group_id        uuid NOT NULL REFERENCES inspection_groups (id),
    organisation_id uuid NOT NULL,
    checklist_code  text NOT NULL DEFAULT '',
    description     text NOT NULL,
    inspector       text NOT NULL,
    item_id         uuid,
    created_at      timestamptz NOT NULL
);
CREATE INDEX inspection_findings_round ON inspection_findings (round_id, created_at);
