-- The local view of the organisation tree, kept from the organisation
-- service's events: just what registering and scoping members needs. path
-- is the chain of ids from the city down, '/<id>/…/<id>/', in the C
-- collation so that a subtree is one index range, as in the organisation
-- service. updated_at is the time of the last event applied, so that an
-- older event delivered late never undoes a newer one.
CREATE TABLE orgs (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL,
    state       text NOT NULL CHECK (state IN ('ACTIVE', 'DISSOLVED')),
    name        text NOT NULL DEFAULT '',
    district_id uuid,
    path        text COLLATE "C" NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE INDEX orgs_path ON orgs (path);

-- The members. The national ID number is stored encrypted
-- ('<key version>:<base64 nonce and ciphertext>') with a keyed hash for
-- exact-match search; the unique index on the hash makes one live member
-- per number a fact of the database. path copies the organisation's path
-- for subtree lists (keyset on path, id).
CREATE TABLE members (
    id                 uuid PRIMARY KEY,
    name               text NOT NULL,
    sex                text NOT NULL,
    birth_date         date NOT NULL,
    national_id_sealed text NOT NULL,
    national_id_hash   bytea NOT NULL,
    phone              text NOT NULL DEFAULT '',
    education          text NOT NULL DEFAULT '',
    join_date          date NOT NULL,
    status             text NOT NULL CHECK (status IN ('FULL', 'PROBATIONARY')),
    employment_status  text NOT NULL DEFAULT '',
    employer           text NOT NULL DEFAULT '',
    residence          jsonb NOT NULL DEFAULT '{}',
    organisation_id    uuid NOT NULL REFERENCES orgs (id),
    district_id        uuid,
    path               text COLLATE "C" NOT NULL,
    skills             text[] NOT NULL DEFAULT '{}',
    hardship           boolean NOT NULL DEFAULT false,
    star_rating        int NOT NULL DEFAULT 0 CHECK (star_rating BETWEEN 0 AND 5),
    version            bigint NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    -- left_at ends a membership (leaving the party, death); a member
    -- without it is live.
    left_at            timestamptz
);

CREATE UNIQUE INDEX members_live_national_id ON members (national_id_hash) WHERE left_at IS NULL;
CREATE INDEX members_by_organisation ON members (organisation_id, path, id);
CREATE INDEX members_by_path ON members (path, id);

-- Client request ids of creating calls, so a retried call returns what the
-- first one created.
CREATE TABLE requests (
    request_id  text PRIMARY KEY,
    resource_id uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
