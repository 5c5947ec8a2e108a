-- Transfers of the membership relationship. from_* and to_* are the
-- sending and receiving organisations and their districts as they were
-- when the transfer was requested. A member has at most one open transfer:
-- the partial unique index makes it a fact of the database.
CREATE TABLE transfers (
    id                   uuid PRIMARY KEY,
    member_id            uuid NOT NULL REFERENCES members (id),
    from_organisation_id uuid NOT NULL REFERENCES orgs (id),
    to_organisation_id   uuid NOT NULL REFERENCES orgs (id),
    from_district_id     uuid,
    to_district_id       uuid,
    reason               text NOT NULL DEFAULT '',
    state                text NOT NULL CHECK (state IN
        ('REQUESTED', 'CONFIRMED', 'RELEASED', 'COMPLETED', 'REJECTED', 'WITHDRAWN')),
    letter_number        text UNIQUE,
    letter_deadline      timestamptz,
    version              bigint NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    CHECK (from_organisation_id <> to_organisation_id),
    CHECK ((state IN ('REQUESTED', 'CONFIRMED')) = (letter_number IS NULL) OR state IN ('REJECTED', 'WITHDRAWN'))
);

CREATE UNIQUE INDEX transfers_one_open_per_member ON transfers (member_id)
    WHERE state IN ('REQUESTED', 'CONFIRMED', 'RELEASED');
CREATE INDEX transfers_by_from ON transfers (from_organisation_id, id);
CREATE INDEX transfers_by_to ON transfers (to_organisation_id, id);
CREATE INDEX transfers_pocket ON transfers (letter_deadline) WHERE state = 'RELEASED';

-- Every step of every transfer: who took it, in which role, when and why.
-- Steps are appended, never changed or removed.
CREATE TABLE transfer_steps (
    transfer_id   uuid NOT NULL REFERENCES transfers (id),
    seq           bigint NOT NULL,
    state         text NOT NULL,
    actor_subject text NOT NULL,
    actor_role    text NOT NULL,
    reason        text NOT NULL DEFAULT '',
    at            timestamptz NOT NULL,
    PRIMARY KEY (transfer_id, seq)
);

CREATE FUNCTION transfer_steps_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the steps of a transfer are history: they are never changed or removed';
END
$$;

CREATE TRIGGER transfer_steps_append_only BEFORE UPDATE OR DELETE ON transfer_steps
    FOR EACH ROW EXECUTE FUNCTION transfer_steps_append_only();

-- The numbers of letters of introduction, city-wide.
CREATE SEQUENCE transfer_letter_numbers;

-- A district's rules for letters of introduction (DOMAIN §5); a district
-- without a row has the defaults.
CREATE TABLE transfer_settings (
    district_id  uuid PRIMARY KEY,
    inside_days  int NOT NULL DEFAULT 10 CHECK (inside_days > 0),
    outside_days int NOT NULL DEFAULT 30 CHECK (outside_days > 0),
    max_months   int NOT NULL DEFAULT 3 CHECK (max_months > 0)
);
