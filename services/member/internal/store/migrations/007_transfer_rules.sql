-- The rest of the transfer rules: suspension, expiry of letters (pocket
-- members), the review flag of transfers open too long, and bulk transfer
-- jobs.

-- A suspended transfer is still the member's one open transfer, and
-- remembers the state it resumes to. expired_at marks a released letter the
-- sweeper found past its deadline (announced once); flagged_at a transfer
-- the sweeper flagged for the 自行脱党 review (once, never cleared);
-- review_outcome the latest outcome a reviewer recorded.
ALTER TABLE transfers DROP CONSTRAINT transfers_state_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_state_check CHECK (state IN
    ('REQUESTED', 'CONFIRMED', 'RELEASED', 'COMPLETED', 'REJECTED', 'WITHDRAWN', 'SUSPENDED'));
ALTER TABLE transfers DROP CONSTRAINT transfers_check1;
ALTER TABLE transfers ADD CONSTRAINT transfers_letter_check CHECK (
    (state IN ('REQUESTED', 'CONFIRMED')) = (letter_number IS NULL) OR state IN ('REJECTED', 'WITHDRAWN', 'SUSPENDED'));
ALTER TABLE transfers
    ADD COLUMN suspended_from text CHECK (suspended_from IN ('REQUESTED', 'CONFIRMED', 'RELEASED')),
    ADD COLUMN expired_at     timestamptz,
    ADD COLUMN flagged_at     timestamptz,
    ADD COLUMN review_outcome text NOT NULL DEFAULT '',
    ADD CONSTRAINT transfers_suspended_check CHECK ((state = 'SUSPENDED') = (suspended_from IS NOT NULL));

DROP INDEX transfers_one_open_per_member;
CREATE UNIQUE INDEX transfers_one_open_per_member ON transfers (member_id)
    WHERE state IN ('REQUESTED', 'CONFIRMED', 'RELEASED', 'SUSPENDED');

-- What the sweeper looks for: letters not yet marked, in deadline order;
-- open transfers not yet flagged, in age order. Pocket members are the
-- marked letters still released (or suspended by the receiving side).
DROP INDEX transfers_pocket;
CREATE INDEX transfers_to_expire ON transfers (letter_deadline) WHERE state = 'RELEASED' AND expired_at IS NULL;
CREATE INDEX transfers_pocket ON transfers (id) WHERE expired_at IS NOT NULL AND state IN ('RELEASED', 'SUSPENDED');
CREATE INDEX transfers_to_flag ON transfers (created_at)
    WHERE flagged_at IS NULL AND state IN ('REQUESTED', 'CONFIRMED', 'RELEASED', 'SUSPENDED');
CREATE INDEX transfers_flagged ON transfers (from_organisation_id, id) WHERE flagged_at IS NOT NULL;

-- What each step did: a step that changes no state (expired, flagged,
-- reviewed) says so here; a release step keeps the letter it issued, so
-- that a letter issued again in place of an expired one leaves both in the
-- history. The steps written before this migration are given the action
-- their state implies: the history is completed, not changed.
ALTER TABLE transfer_steps
    ADD COLUMN action         text,
    ADD COLUMN letter_number  text,
    ADD COLUMN review_outcome text NOT NULL DEFAULT '';
ALTER TABLE transfer_steps DISABLE TRIGGER transfer_steps_append_only;
UPDATE transfer_steps s SET action = CASE s.state WHEN 'COMPLETED' THEN 'RECEIVED' ELSE s.state END,
    letter_number = CASE s.state WHEN 'RELEASED' THEN t.letter_number END
FROM transfers t WHERE t.id = s.transfer_id;
ALTER TABLE transfer_steps ENABLE TRIGGER transfer_steps_append_only;
ALTER TABLE transfer_steps ALTER COLUMN action SET NOT NULL;

-- A district's review period: a transfer open this many months without
-- completing is flagged (DOMAIN §5: six).
ALTER TABLE transfer_settings ADD COLUMN review_months int NOT NULL DEFAULT 6 CHECK (review_months > 0);

-- Bulk transfer jobs: the members are fixed when the job starts, each with
-- a row that gets its outcome in the transaction that transfers (or skips)
-- the member, so that a job cut off continues with the rows still pending
-- and never repeats one.
CREATE TABLE bulk_transfer_jobs (
    id                 uuid PRIMARY KEY,
    organisation_id    uuid NOT NULL REFERENCES orgs (id),
    subtree            boolean NOT NULL,
    to_organisation_id uuid,
    reason             text NOT NULL,
    total              int NOT NULL,
    create_subject     text NOT NULL,
    created_at         timestamptz NOT NULL,
    finished_at        timestamptz
);

CREATE TABLE bulk_transfer_members (
    job_id             uuid NOT NULL REFERENCES bulk_transfer_jobs (id),
    position           int NOT NULL,
    member_id          uuid NOT NULL,
    destination_id     uuid,
    result             text NOT NULL DEFAULT 'PENDING'
        CHECK (result IN ('PENDING', 'TRANSFERRED', 'SKIPPED')),
    transfer_id        uuid REFERENCES transfers (id),
    state              text NOT NULL DEFAULT '',
    to_organisation_id uuid,
    reason             text NOT NULL DEFAULT '',
    detail             text NOT NULL DEFAULT '',
    done_at            timestamptz,
    PRIMARY KEY (job_id, position),
    UNIQUE (job_id, member_id),
    CHECK ((result = 'PENDING') = (done_at IS NULL)),
    CHECK ((result = 'TRANSFERRED') = (transfer_id IS NOT NULL))
);

CREATE INDEX bulk_transfer_members_pending ON bulk_transfer_members (job_id, position) WHERE result = 'PENDING';
