-- Participation in organisation life, built from the organisation
-- service's activity_recorded events, and lost contact (失联) computed from
-- it, from dues paid and from mobile members' contact log (issue 13).

-- One row per member named at an activity, present or absent (with the
-- reason given, never an invented one). The key makes a redelivered or
-- replayed event add nothing.
CREATE TABLE participation (
    member_id           uuid NOT NULL REFERENCES members (id),
    activity_id         uuid NOT NULL,
    organisation_id     uuid NOT NULL,
    kind                text NOT NULL,
    day                 date NOT NULL,
    topic               text NOT NULL,
    attended            boolean NOT NULL,
    absence_reason_kind text NOT NULL DEFAULT '',
    absence_reason      text NOT NULL DEFAULT '',
    recorded_at         timestamptz NOT NULL,
    PRIMARY KEY (member_id, activity_id)
);
CREATE INDEX participation_pages ON participation (member_id, day DESC, activity_id DESC);
CREATE INDEX participation_attended ON participation (member_id, day) WHERE attended;

-- Since when an organisation records its life by member: lost contact is
-- judged only where it does, from its first such activity, so that the
-- day attendance by member starts does not flag every member at once.
CREATE TABLE org_life_by_member (
    organisation_id uuid PRIMARY KEY,
    since           date NOT NULL
);

-- Lost-contact flags: one open flag (cleared_at IS NULL) per member at
-- most, which is what makes each flag once however many replicas sweep.
-- Cleared flags are kept.
CREATE TABLE lost_contacts (
    id              uuid PRIMARY KEY,
    member_id       uuid NOT NULL REFERENCES members (id),
    flagged_at      timestamptz NOT NULL,
    last_attendance date,
    last_payment    date,
    last_contact    date,
    cleared_at      timestamptz,
    cleared_by      text CHECK (cleared_by IN ('attendance', 'payment', 'contact', 'left')),
    CHECK ((cleared_at IS NULL) = (cleared_by IS NULL))
);
CREATE UNIQUE INDEX lost_contacts_one_open ON lost_contacts (member_id) WHERE cleared_at IS NULL;

-- The lost-contact windows of a district, beside its dues bands; 6 months
-- each by default.
ALTER TABLE dues_settings
    ADD COLUMN lost_contact_attendance_months int NOT NULL DEFAULT 6 CHECK (lost_contact_attendance_months BETWEEN 1 AND 36),
    ADD COLUMN lost_contact_dues_months       int NOT NULL DEFAULT 6 CHECK (lost_contact_dues_months BETWEEN 1 AND 36);

-- What the sweep reads a member's last contact by.
CREATE INDEX mobile_contacts_member_reports ON mobile_contacts (record_id, contact_at) WHERE direction = 'MEMBER_REPORT';

-- The days the lost-contact sweep ran: it runs once a day, whichever
-- replica comes first.
CREATE TABLE lost_contact_sweeps (
    day      date PRIMARY KEY,
    swept_at timestamptz NOT NULL
);
