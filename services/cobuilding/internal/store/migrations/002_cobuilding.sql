-- Resident units (驻区单位). street_id and district_id are where the
-- community sat when the unit was recorded or last changed.
CREATE TABLE resident_units (
    id                    uuid PRIMARY KEY,
    name                  text NOT NULL,
    type                  text NOT NULL,
    community_id          uuid NOT NULL,
    street_id             uuid,
    district_id           uuid,
    address               text NOT NULL DEFAULT '',
    contacts              jsonb NOT NULL DEFAULT '[]',
    head_count            int NOT NULL DEFAULT 0 CHECK (head_count >= 0),
    party_member_count    int NOT NULL DEFAULT 0 CHECK (party_member_count >= 0),
    party_organisation_id uuid,
    version               bigint NOT NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL
);
CREATE INDEX resident_units_by_community ON resident_units (community_id, name, id);
CREATE INDEX resident_units_by_name ON resident_units (name, id);
-- A party organisation is one unit's.
CREATE UNIQUE INDEX resident_units_party_organisation ON resident_units (party_organisation_id)
    WHERE party_organisation_id IS NOT NULL;

-- The functions below are IMMUTABLE and made only of immutable parts
-- (date_trunc of a timestamp without time zone), so that the planner
-- inlines them into the sweeps' statements instead of calling them per row.

-- The first day of the month of day d.
CREATE FUNCTION month_start(d date) RETURNS date
    LANGUAGE sql IMMUTABLE AS $$
    SELECT date_trunc('month', d::timestamp)::date $$;

-- The last day reports are owed under an agreement: the end of its term,
-- or the day it ended if that came first.
CREATE FUNCTION agreement_last_day(state text, ended_date date, end_date date) RETURNS date
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN state = 'ENDED' AND ended_date < end_date THEN ended_date ELSE end_date END $$;

-- The last month whose report is past due on day today, the report of a
-- month being due on day due_day of the next month.
CREATE FUNCTION last_closed_month(today date, due_day int) RETURNS date
    LANGUAGE sql IMMUTABLE AS $$
    SELECT (date_trunc('month', (today - due_day)::timestamp) - interval '1 month')::date $$;

-- The first day of the period of months months (a divisor of 12, periods
-- aligned to the year) that holds day d.
CREATE FUNCTION period_start(d date, months int) RETURNS date
    LANGUAGE sql IMMUTABLE AS $$
    SELECT make_date(extract(year FROM d)::int, ((extract(month FROM d)::int - 1) / months) * months + 1, 1) $$;

-- Agreements (共驻共建目标协议书). At most one live agreement per community
-- and unit. reports_swept_to is the first month the report sweeper has
-- not decided yet: every month before it was reported or recorded missed.
CREATE TABLE agreements (
    id                uuid PRIMARY KEY,
    community_id      uuid NOT NULL,
    unit_id           uuid NOT NULL REFERENCES resident_units (id),
    goals             jsonb NOT NULL,
    start_date        date NOT NULL,
    end_date          date NOT NULL CHECK (end_date > start_date),
    community_contact jsonb NOT NULL,
    unit_contact      jsonb NOT NULL,
    signed_date       date NOT NULL,
    state             text NOT NULL CHECK (state IN ('LIVE', 'ENDED')),
    ended_date        date,
    end_reason        text NOT NULL DEFAULT '',
    renewals          int NOT NULL DEFAULT 0,
    version           bigint NOT NULL,
    street_id         uuid,
    district_id       uuid,
    reports_swept_to  date NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CHECK ((state = 'ENDED') = (ended_date IS NOT NULL))
);
CREATE UNIQUE INDEX agreements_one_live_per_pair ON agreements (community_id, unit_id) WHERE state = 'LIVE';
CREATE INDEX agreements_by_community ON agreements (community_id, created_at DESC, id);
CREATE INDEX agreements_by_unit ON agreements (unit_id, created_at DESC, id);
CREATE INDEX agreements_by_district ON agreements (district_id);
CREATE INDEX agreements_to_sweep ON agreements (reports_swept_to, id);

-- Every version of every agreement, as it was after each change.
CREATE TABLE agreement_versions (
    agreement_id uuid NOT NULL REFERENCES agreements (id),
    version      bigint NOT NULL,
    change       text NOT NULL,
    changed_by   text NOT NULL,
    snapshot     jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (agreement_id, version)
);

-- Monthly reports of units to their communities; month is its first day.
CREATE TABLE unit_reports (
    id           uuid PRIMARY KEY,
    unit_id      uuid NOT NULL REFERENCES resident_units (id),
    community_id uuid NOT NULL,
    month        date NOT NULL CHECK (extract(day FROM month) = 1),
    summary      text NOT NULL DEFAULT '',
    items        jsonb NOT NULL,
    agreement_id uuid NOT NULL REFERENCES agreements (id),
    district_id  uuid,
    due_date     date NOT NULL,
    late         boolean NOT NULL,
    filed_by     text NOT NULL,
    version      bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT unit_reports_one_per_month UNIQUE (unit_id, community_id, month)
);
CREATE INDEX unit_reports_by_community ON unit_reports (community_id, month DESC, id);

-- The months units did not report by their due day, each found once.
CREATE TABLE missed_reports (
    unit_id      uuid NOT NULL,
    community_id uuid NOT NULL,
    month        date NOT NULL,
    agreement_id uuid NOT NULL REFERENCES agreements (id),
    district_id  uuid,
    due_date     date NOT NULL,
    detected_at  timestamptz NOT NULL,
    PRIMARY KEY (unit_id, community_id, month)
);
CREATE INDEX missed_reports_by_community ON missed_reports (community_id, month DESC);

-- Joint meetings (联席会议): a community's with its units, or the county's
-- coordination committee (convener_id is then the district).
CREATE TABLE joint_meetings (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('COMMUNITY', 'COUNTY')),
    convener_id      uuid NOT NULL,
    district_id      uuid,
    date             date NOT NULL,
    title            text NOT NULL DEFAULT '',
    unit_ids         uuid[] NOT NULL DEFAULT '{}',
    organisation_ids uuid[] NOT NULL DEFAULT '{}',
    minutes          text NOT NULL DEFAULT '',
    version          bigint NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX joint_meetings_by_convener ON joint_meetings (kind, convener_id, date DESC);
CREATE INDEX joint_meetings_by_unit ON joint_meetings USING gin (unit_ids);

-- The conveners bound to meet (a community with an agreement, its county),
-- and the first day the meeting sweeper has not decided yet.
CREATE TABLE meeting_sweeps (
    kind        text NOT NULL,
    convener_id uuid NOT NULL,
    district_id uuid,
    swept_to    date NOT NULL,
    PRIMARY KEY (kind, convener_id)
);

-- The periods in which a convener held no meeting, each found once.
CREATE TABLE missed_meetings (
    kind         text NOT NULL,
    convener_id  uuid NOT NULL,
    period_start date NOT NULL,
    period_end   date NOT NULL,
    district_id  uuid,
    detected_at  timestamptz NOT NULL,
    PRIMARY KEY (kind, convener_id, period_start)
);

-- The issue ledger (议事台账): items of the matters a meeting agreed.
-- overdue_at is when the sweeper found the item past its deadline.
CREATE TABLE ledger_items (
    id                    uuid PRIMARY KEY,
    meeting_id            uuid NOT NULL REFERENCES joint_meetings (id),
    convener_id           uuid NOT NULL,
    district_id           uuid,
    matter                text NOT NULL,
    title                 text NOT NULL,
    owner_unit_id         uuid REFERENCES resident_units (id),
    owner_organisation_id uuid,
    deadline              date NOT NULL,
    status                text NOT NULL CHECK (status IN ('OPEN', 'REPORTED', 'SENT_BACK', 'CLOSED')),
    progress              jsonb NOT NULL DEFAULT '[]',
    send_back_reason      text NOT NULL DEFAULT '',
    close_note            text NOT NULL DEFAULT '',
    closed_at             timestamptz,
    overdue_at            timestamptz,
    version               bigint NOT NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    CHECK ((owner_unit_id IS NULL) <> (owner_organisation_id IS NULL))
);
CREATE INDEX ledger_items_by_meeting ON ledger_items (meeting_id, deadline, id);
CREATE INDEX ledger_items_by_convener ON ledger_items (convener_id, deadline, id);
CREATE INDEX ledger_items_by_owner_unit ON ledger_items (owner_unit_id, deadline, id);
CREATE INDEX ledger_items_to_sweep ON ledger_items (deadline) WHERE status <> 'CLOSED' AND overdue_at IS NULL;

-- Joint activities in the six areas; member_ids are the in-service
-- members who took part.
CREATE TABLE joint_activities (
    id                uuid PRIMARY KEY,
    title             text NOT NULL,
    area              text NOT NULL,
    date              date NOT NULL,
    community_ids     uuid[] NOT NULL,
    unit_ids          uuid[] NOT NULL DEFAULT '{}',
    district_id       uuid,
    attendance        int NOT NULL,
    member_attendance int NOT NULL,
    member_ids        uuid[] NOT NULL DEFAULT '{}',
    description       text NOT NULL DEFAULT '',
    hours             double precision NOT NULL DEFAULT 0,
    recorded_by       text NOT NULL,
    created_at        timestamptz NOT NULL
);
CREATE INDEX joint_activities_by_date ON joint_activities (date DESC, id);
CREATE INDEX joint_activities_by_community ON joint_activities USING gin (community_ids);
CREATE INDEX joint_activities_by_unit ON joint_activities USING gin (unit_ids);

-- The in-service members' registrations with communities, kept from the
-- member service's events: a unit's in-service members are the live
-- registrations of members whose relationship sits in its party
-- organisation or below. updated_at is the time of the last event applied.
CREATE TABLE in_service_registrations (
    id                     uuid PRIMARY KEY,
    member_id              uuid NOT NULL,
    member_organisation_id uuid,
    community_id           uuid NOT NULL,
    ended                  boolean NOT NULL,
    updated_at             timestamptz NOT NULL
);
CREATE INDEX in_service_registrations_by_organisation ON in_service_registrations (member_organisation_id) WHERE NOT ended;

---- create above / drop below ----

DROP TABLE in_service_registrations;
DROP TABLE joint_activities;
DROP TABLE ledger_items;
DROP TABLE missed_meetings;
DROP TABLE meeting_sweeps;
DROP TABLE joint_meetings;
DROP TABLE missed_reports;
DROP TABLE unit_reports;
DROP TABLE agreement_versions;
DROP TABLE agreements;
DROP FUNCTION period_start(date, int);
DROP FUNCTION last_closed_month(date, int);
DROP FUNCTION agreement_last_day(text, date, date);
DROP FUNCTION month_start(date);
DROP TABLE resident_units;
