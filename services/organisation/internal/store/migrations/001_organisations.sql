-- The organisation tree. path is the chain of ids from the city down to the
-- organisation itself, '/<id>/<id>/…/<id>/', in the C collation so that a
-- subtree is one index range (path LIKE '<prefix>%') and tree order is
-- index order; pages are keyset on path, never OFFSET.
CREATE TABLE organisations (
    id              uuid PRIMARY KEY,
    parent_id       uuid REFERENCES organisations (id),
    kind            text NOT NULL,
    name            text NOT NULL,
    code            text,
    path            text COLLATE "C" NOT NULL UNIQUE,
    depth           int NOT NULL,
    district_id     uuid,
    state           text NOT NULL CHECK (state IN ('ACTIVE', 'DISSOLVED')),
    details         jsonb NOT NULL DEFAULT '{}',
    leadership      jsonb NOT NULL DEFAULT '[]',
    dissolve_reason text NOT NULL DEFAULT '',
    version         bigint NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    dissolved_at    timestamptz,
    CHECK ((kind = 'CITY') = (parent_id IS NULL))
);

-- One city committee; live codes are unique.
CREATE UNIQUE INDEX organisations_one_city ON organisations ((true)) WHERE kind = 'CITY';
CREATE UNIQUE INDEX organisations_live_code ON organisations (code) WHERE code IS NOT NULL AND state = 'ACTIVE';
CREATE INDEX organisations_parent ON organisations (parent_id, path);
CREATE INDEX organisations_district ON organisations (district_id, path);
CREATE INDEX organisations_kind ON organisations (kind, path);

-- Every version of every organisation: what it looked like and where it sat
-- (its parent) from valid_from until valid_to. Never updated except to close
-- a version; never deleted.
CREATE TABLE organisation_versions (
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    version         bigint NOT NULL,
    change          text NOT NULL,
    valid_from      timestamptz NOT NULL,
    valid_to        timestamptz,
    snapshot        jsonb NOT NULL,
    PRIMARY KEY (organisation_id, version)
);

CREATE INDEX organisation_versions_as_of ON organisation_versions (organisation_id, valid_from DESC);

-- Member counts, fed by the member service's events (or by RecordMemberCount):
-- the members whose relationship sits directly in the organisation.
CREATE TABLE member_counts (
    organisation_id uuid PRIMARY KEY REFERENCES organisations (id),
    member_count    bigint NOT NULL CHECK (member_count >= 0),
    updated_at      timestamptz NOT NULL
);

-- Client request ids of creating calls, so a retried call returns what the
-- first one created.
CREATE TABLE requests (
    request_id  text PRIMARY KEY,
    resource_id uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Organisation life.
CREATE TABLE activities (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    kind            text NOT NULL,
    day             date NOT NULL,
    topic           text NOT NULL,
    expected        int NOT NULL,
    attended        int NOT NULL,
    absentees       jsonb NOT NULL DEFAULT '[]',
    note            text NOT NULL DEFAULT '',
    recorded_at     timestamptz NOT NULL
);

CREATE INDEX activities_by_org ON activities (organisation_id, day DESC, id DESC);
CREATE INDEX activities_by_kind_day ON activities (kind, day, organisation_id);

-- Estates, buildings and social organisations of a community, for the
-- coverage-gap rule.
CREATE TABLE coverage_points (
    id                       uuid PRIMARY KEY,
    community_id             uuid NOT NULL REFERENCES organisations (id),
    kind                     text NOT NULL,
    name                     text NOT NULL,
    covering_organisation_id uuid REFERENCES organisations (id),
    member_count             bigint NOT NULL DEFAULT 0 CHECK (member_count >= 0)
);

CREATE INDEX coverage_points_by_community ON coverage_points (community_id);

-- Demonstration communities, their plans and ratings.
CREATE TABLE demonstration_sites (
    id           uuid PRIMARY KEY,
    community_id uuid NOT NULL UNIQUE REFERENCES organisations (id),
    start_date   date NOT NULL,
    end_date     date NOT NULL,
    milestones   jsonb NOT NULL,
    ratings      jsonb NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL
);

-- Liaison links of leaders to communities.
CREATE TABLE liaisons (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL,
    leader_name  text NOT NULL,
    leader_title text NOT NULL DEFAULT '',
    community_id uuid NOT NULL REFERENCES organisations (id),
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz
);

CREATE INDEX liaisons_by_community ON liaisons (community_id);

-- Compliance settings per district; a district without a row uses the defaults.
CREATE TABLE district_settings (
    district_id uuid PRIMARY KEY REFERENCES organisations (id),
    settings    jsonb NOT NULL,
    updated_at  timestamptz NOT NULL
);
