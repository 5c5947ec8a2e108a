-- Mobile members (流动党员, DOMAIN §2). A member of this city is mobile
-- while they have an open mobile record; the category rules see it.
ALTER TABLE members ADD COLUMN mobile boolean NOT NULL DEFAULT false;

-- A district's rules for mobile members; a district without a row has the
-- defaults: a temporary relationship after six months away, a certificate
-- valid twelve months, a report of the member at least every 90 days.
CREATE TABLE mobile_settings (
    district_id            uuid PRIMARY KEY,
    temporary_after_months int NOT NULL DEFAULT 6 CHECK (temporary_after_months > 0),
    certificate_months     int NOT NULL DEFAULT 12 CHECK (certificate_months > 0),
    contact_interval_days  int NOT NULL DEFAULT 90 CHECK (contact_interval_days > 0)
);

-- Members who left together for one destination (集出集管).
CREATE TABLE mobile_groups (
    id                          uuid PRIMARY KEY,
    name                        text NOT NULL,
    home_organisation_id        uuid NOT NULL REFERENCES orgs (id),
    place                       text NOT NULL,
    destination_organisation_id uuid REFERENCES orgs (id),
    leader_member_id            uuid NOT NULL REFERENCES members (id),
    host_organisation_id        uuid REFERENCES orgs (id),
    version                     bigint NOT NULL,
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL
);

-- One mobility of one person: a member of this city (member_id) who went
-- away or came here, or someone from outside the city (person_*) who came
-- here. A member has at most one open record: the partial unique index
-- makes it a fact of the database. The contact clock: contact_due_at is
-- when the member's silence becomes overdue; next_overdue_at is when the
-- sweeper next reports an overdue period, overdue_periods how many it
-- reported since the last report.
CREATE TABLE mobile_records (
    id                          uuid PRIMARY KEY,
    direction                   text NOT NULL CHECK (direction IN ('OUTFLOW', 'INFLOW')),
    state                       text NOT NULL CHECK (state IN ('AWAY', 'TEMPORARY', 'ENDED')),
    member_id                   uuid REFERENCES members (id),
    person_name                 text NOT NULL DEFAULT '',
    person_phone                text NOT NULL DEFAULT '',
    person_home_organisation    text NOT NULL DEFAULT '',
    home_organisation_id        uuid REFERENCES orgs (id),
    place                       text NOT NULL DEFAULT '',
    destination_organisation_id uuid REFERENCES orgs (id),
    host_organisation_id        uuid REFERENCES orgs (id),
    since                       date NOT NULL,
    reason                      text NOT NULL DEFAULT '',
    contact_phone               text NOT NULL DEFAULT '',
    group_id                    uuid REFERENCES mobile_groups (id),
    district_id                 uuid,
    temporary_from              date NOT NULL,
    temporary_organisation_id   uuid REFERENCES orgs (id),
    certificate_number          text UNIQUE,
    certificate_valid_until     date,
    granted_at                  timestamptz,
    contact_interval_days       int NOT NULL CHECK (contact_interval_days > 0),
    last_report_at              timestamptz,
    contact_due_at              timestamptz NOT NULL,
    next_overdue_at             timestamptz NOT NULL,
    overdue_periods             int NOT NULL DEFAULT 0,
    outcome                     text CHECK (outcome IN ('RETURNED', 'SETTLED_ELSEWHERE', 'TRANSFERRED')),
    end_reason                  text NOT NULL DEFAULT '',
    ended_at                    timestamptz,
    version                     bigint NOT NULL,
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL,
    CHECK ((member_id IS NULL) = (person_name <> '')),
    CHECK (direction = 'INFLOW' OR member_id IS NOT NULL),
    CHECK (direction = 'OUTFLOW' OR host_organisation_id IS NOT NULL),
    CHECK ((state = 'ENDED') = (outcome IS NOT NULL)),
    CHECK ((state = 'AWAY') = (certificate_number IS NULL) OR state = 'ENDED')
);

CREATE UNIQUE INDEX mobile_records_one_open_per_member ON mobile_records (member_id)
    WHERE state <> 'ENDED' AND member_id IS NOT NULL;
CREATE INDEX mobile_records_by_group ON mobile_records (group_id, id) WHERE group_id IS NOT NULL;
CREATE INDEX mobile_records_overdue ON mobile_records (next_overdue_at) WHERE state <> 'ENDED';

-- The numbers of mobile member activity certificates, city-wide.
CREATE SEQUENCE mobile_certificate_numbers;

-- Every step of every record: who took it, in which role, when, what.
CREATE TABLE mobile_steps (
    record_id     uuid NOT NULL REFERENCES mobile_records (id),
    seq           bigint NOT NULL,
    state         text NOT NULL,
    actor_subject text NOT NULL,
    actor_role    text NOT NULL,
    note          text NOT NULL DEFAULT '',
    at            timestamptz NOT NULL,
    PRIMARY KEY (record_id, seq)
);

-- The two-way contact log (双向联系). batch_id is shared by the entries
-- one call logged (news to a whole group).
CREATE TABLE mobile_contacts (
    id            uuid PRIMARY KEY,
    record_id     uuid NOT NULL REFERENCES mobile_records (id),
    direction     text NOT NULL CHECK (direction IN ('MEMBER_REPORT', 'ORGANISATION_NEWS')),
    channel       text NOT NULL,
    summary       text NOT NULL,
    contact_at    timestamptz NOT NULL,
    actor_subject text NOT NULL,
    actor_role    text NOT NULL,
    logged_at     timestamptz NOT NULL,
    group_id      uuid REFERENCES mobile_groups (id),
    batch_id      uuid NOT NULL
);

CREATE INDEX mobile_contacts_by_record ON mobile_contacts (record_id, logged_at, id);
CREATE INDEX mobile_contacts_by_batch ON mobile_contacts (batch_id);

-- History is kept: steps and contacts are never changed or removed, and
-- neither records nor groups are ever removed.
CREATE FUNCTION mobile_history_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'mobile members'' history is kept: % on % refused', TG_OP, TG_TABLE_NAME;
END
$$;

CREATE TRIGGER mobile_steps_append_only BEFORE UPDATE OR DELETE ON mobile_steps
    FOR EACH ROW EXECUTE FUNCTION mobile_history_kept();
CREATE TRIGGER mobile_contacts_append_only BEFORE UPDATE OR DELETE ON mobile_contacts
    FOR EACH ROW EXECUTE FUNCTION mobile_history_kept();
CREATE TRIGGER mobile_records_kept BEFORE DELETE ON mobile_records
    FOR EACH ROW EXECUTE FUNCTION mobile_history_kept();
CREATE TRIGGER mobile_groups_kept BEFORE DELETE ON mobile_groups
    FOR EACH ROW EXECUTE FUNCTION mobile_history_kept();
