-- The official calendar: the days that differ from the ordinary week, a
-- public holiday (a rest day whatever its weekday) or a weekend day made a
-- working day (调休). Every other Saturday and Sunday is a rest day, every
-- other weekday a working day. The city corrects and extends it
-- (SetCalendarDay) each November when the State Council announces the next
-- year; 2025 (国办发明电〔2024〕12号) and 2026 are seeded here.
CREATE TABLE calendar_days (
    day        date PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('HOLIDAY', 'WORKDAY')),
    name       text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO calendar_days (day, kind, name) VALUES
    ('2025-01-01', 'HOLIDAY', '元旦'),
    ('2025-01-26', 'WORKDAY', '春节'),
    ('2025-01-28', 'HOLIDAY', '春节'),
    ('2025-01-29', 'HOLIDAY', '春节'),
    ('2025-01-30', 'HOLIDAY', '春节'),
    ('2025-01-31', 'HOLIDAY', '春节'),
    ('2025-02-01', 'HOLIDAY', '春节'),
    ('2025-02-02', 'HOLIDAY', '春节'),
    ('2025-02-03', 'HOLIDAY', '春节'),
    ('2025-02-04', 'HOLIDAY', '春节'),
    ('2025-02-08', 'WORKDAY', '春节'),
    ('2025-04-04', 'HOLIDAY', '清明节'),
    ('2025-04-05', 'HOLIDAY', '清明节'),
    ('2025-04-06', 'HOLIDAY', '清明节'),
    ('2025-04-27', 'WORKDAY', '劳动节'),
    ('2025-05-01', 'HOLIDAY', '劳动节'),
    ('2025-05-02', 'HOLIDAY', '劳动节'),
    ('2025-05-03', 'HOLIDAY', '劳动节'),
    ('2025-05-04', 'HOLIDAY', '劳动节'),
    ('2025-05-05', 'HOLIDAY', '劳动节'),
    ('2025-05-31', 'HOLIDAY', '端午节'),
    ('2025-06-01', 'HOLIDAY', '端午节'),
    ('2025-06-02', 'HOLIDAY', '端午节'),
    ('2025-09-28', 'WORKDAY', '国庆节、中秋节'),
    ('2025-10-01', 'HOLIDAY', '国庆节、中秋节'),
    ('2025-10-02', 'HOLIDAY', '国庆节、中秋节'),
    ('2025-10-03', 'HOLIDAY', '国庆节、中秋节'),
    ('2025-10-04', 'HOLIDAY', '国庆节、中秋节'),
    ('2025-10-05', 'HOLIDAY', '国庆节、中秋节'),
    ('2025-10-06', 'HOLIDAY', '国庆节、中秋节'),
    ('2025-10-07', 'HOLIDAY', '国庆节、中秋节'),
    ('2025-10-08', 'HOLIDAY', '国庆节、中秋节'),
    ('2025-10-11', 'WORKDAY', '国庆节、中秋节'),
    ('2026-01-01', 'HOLIDAY', '元旦'),
    ('2026-01-02', 'HOLIDAY', '元旦'),
    ('2026-01-03', 'HOLIDAY', '元旦'),
    ('2026-01-04', 'WORKDAY', '元旦'),
    ('2026-02-14', 'WORKDAY', '春节'),
    ('2026-02-15', 'HOLIDAY', '春节'),
    ('2026-02-16', 'HOLIDAY', '春节'),
    ('2026-02-17', 'HOLIDAY', '春节'),
    ('2026-02-18', 'HOLIDAY', '春节'),
    ('2026-02-19', 'HOLIDAY', '春节'),
    ('2026-02-20', 'HOLIDAY', '春节'),
    ('2026-02-21', 'HOLIDAY', '春节'),
    ('2026-02-22', 'HOLIDAY', '春节'),
    ('2026-02-23', 'HOLIDAY', '春节'),
    ('2026-02-28', 'WORKDAY', '春节'),
    ('2026-04-04', 'HOLIDAY', '清明节'),
    ('2026-04-05', 'HOLIDAY', '清明节'),
    ('2026-04-06', 'HOLIDAY', '清明节'),
    ('2026-05-01', 'HOLIDAY', '劳动节'),
    ('2026-05-02', 'HOLIDAY', '劳动节'),
    ('2026-05-03', 'HOLIDAY', '劳动节'),
    ('2026-05-04', 'HOLIDAY', '劳动节'),
    ('2026-05-05', 'HOLIDAY', '劳动节'),
    ('2026-05-09', 'WORKDAY', '劳动节'),
    ('2026-06-19', 'HOLIDAY', '端午节'),
    ('2026-06-20', 'HOLIDAY', '端午节'),
    ('2026-06-21', 'HOLIDAY', '端午节'),
    ('2026-09-20', 'WORKDAY', '国庆节'),
    ('2026-09-25', 'HOLIDAY', '中秋节'),
    ('2026-09-26', 'HOLIDAY', '中秋节'),
    ('2026-09-27', 'HOLIDAY', '中秋节'),
    ('2026-10-01', 'HOLIDAY', '国庆节'),
    ('2026-10-02', 'HOLIDAY', '国庆节'),
    ('2026-10-03', 'HOLIDAY', '国庆节'),
    ('2026-10-04', 'HOLIDAY', '国庆节'),
    ('2026-10-05', 'HOLIDAY', '国庆节'),
    ('2026-10-06', 'HOLIDAY', '国庆节'),
    ('2026-10-07', 'HOLIDAY', '国庆节'),
    ('2026-10-10', 'WORKDAY', '国庆节');

-- btree_gist lets one exclusion constraint compare a venue's id with = and
-- its bookings' time spans with &&. It is a trusted extension: a role with
-- the CREATE privilege on the database may create it.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Venues that resident units share (资源共享台账). community_id, street_id and
-- district_id are where the unit sat when the venue was recorded.
CREATE TABLE venues (
    id           uuid PRIMARY KEY,
    unit_id      uuid NOT NULL REFERENCES resident_units (id),
    community_id uuid NOT NULL,
    street_id    uuid,
    district_id  uuid,
    name         text NOT NULL,
    kind         text NOT NULL,
    capacity     int NOT NULL CHECK (capacity > 0),
    address      text NOT NULL DEFAULT '',
    rule         jsonb NOT NULL,
    open         boolean NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX venues_by_name ON venues (name, id);
CREATE INDEX venues_by_unit ON venues (unit_id, name, id);
CREATE INDEX venues_by_community ON venues (community_id, name, id);

-- Bookings of venues. community_id is the booker's community (a unit's,
-- a community's own, a resident group's). No two live bookings of one
-- venue overlap: the database refuses the second, whatever the code did.
CREATE TABLE bookings (
    id                 uuid PRIMARY KEY,
    venue_id           uuid NOT NULL REFERENCES venues (id),
    venue_unit_id      uuid NOT NULL,
    venue_community_id uuid NOT NULL,
    district_id        uuid,
    booker_kind        text NOT NULL CHECK (booker_kind IN ('UNIT', 'COMMUNITY', 'RESIDENT_GROUP')),
    unit_id            uuid,
    community_id       uuid NOT NULL,
    group_name         text NOT NULL DEFAULT '',
    contact            jsonb NOT NULL,
    purpose            text NOT NULL,
    attendees          int NOT NULL CHECK (attendees > 0),
    start_time         timestamptz NOT NULL,
    end_time           timestamptz NOT NULL,
    cancelled_at       timestamptz,
    cancel_reason      text NOT NULL DEFAULT '',
    booked_by          text NOT NULL,
    created_at         timestamptz NOT NULL,
    CHECK (end_time > start_time),
    CHECK ((booker_kind = 'UNIT') = (unit_id IS NOT NULL)),
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (venue_id WITH =, tstzrange(start_time, end_time) WITH &&)
        WHERE (cancelled_at IS NULL)
);
CREATE INDEX bookings_by_venue ON bookings (venue_id, start_time, id);
CREATE INDEX bookings_by_community ON bookings (community_id, start_time, id);
CREATE INDEX bookings_by_venue_community ON bookings (venue_community_id, start_time, id);
CREATE INDEX bookings_by_unit ON bookings (unit_id, start_time, id) WHERE unit_id IS NOT NULL;
CREATE INDEX bookings_by_venue_unit ON bookings (venue_unit_id, start_time, id);
