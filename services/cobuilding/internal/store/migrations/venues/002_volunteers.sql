-- Volunteer teams (志愿者服务队), run by a community or by a resident unit
-- (community_id is then the unit's community).
CREATE TABLE volunteer_teams (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    kind         text NOT NULL,
    community_id uuid NOT NULL,
    unit_id      uuid REFERENCES resident_units (id),
    district_id  uuid,
    leader       jsonb NOT NULL,
    description  text NOT NULL DEFAULT '',
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX volunteer_teams_by_name ON volunteer_teams (name, id);
CREATE INDEX volunteer_teams_by_community ON volunteer_teams (community_id, name, id);
CREATE INDEX volunteer_teams_by_unit ON volunteer_teams (unit_id, name, id) WHERE unit_id IS NOT NULL;

-- Volunteers: a party member by member_id, or a person by name. One who
-- left keeps the row (left_at), so that their services stay theirs; a
-- party member is in a team once at a time.
CREATE TABLE volunteers (
    id        uuid PRIMARY KEY,
    team_id   uuid NOT NULL REFERENCES volunteer_teams (id),
    member_id uuid,
    name      text NOT NULL DEFAULT '',
    skills    text NOT NULL DEFAULT '',
    joined_at timestamptz NOT NULL,
    left_at   timestamptz,
    CHECK (member_id IS NOT NULL OR name <> '')
);
CREATE UNIQUE INDEX volunteers_member_once ON volunteers (team_id, member_id)
    WHERE member_id IS NOT NULL AND left_at IS NULL;
CREATE INDEX volunteers_current ON volunteers (team_id, joined_at, id) WHERE left_at IS NULL;

-- Services a team gave: who served (volunteer_ids, and the party members
-- among them) and the hours each gave.
CREATE TABLE volunteer_services (
    id            uuid PRIMARY KEY,
    team_id       uuid NOT NULL REFERENCES volunteer_teams (id),
    date          date NOT NULL,
    title         text NOT NULL,
    volunteer_ids uuid[] NOT NULL,
    member_ids    uuid[] NOT NULL,
    hours         double precision NOT NULL CHECK (hours > 0 AND hours <= 24),
    served        int NOT NULL DEFAULT 0,
    recorded_by   text NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX volunteer_services_by_team ON volunteer_services (team_id, date DESC, id DESC);
CREATE INDEX volunteer_services_by_volunteer ON volunteer_services USING gin (volunteer_ids);
