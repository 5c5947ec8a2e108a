-- The local view of the organisation tree, kept from the organisation
-- service's events: what scoping calls and placing records in the tree
-- need. path is the chain of ids from the city down, '/<id>/…/<id>/', in
-- the C collation so that a subtree is one index range, as in the
-- organisation service. updated_at is the time of the last event applied,
-- so that an older event delivered late never undoes a newer one.
-- (IF NOT EXISTS: the member service created the same table itself before
-- this set existed.)
CREATE TABLE IF NOT EXISTS orgs (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL,
    state       text NOT NULL CHECK (state IN ('ACTIVE', 'DISSOLVED')),
    name        text NOT NULL DEFAULT '',
    district_id uuid,
    path        text COLLATE "C" NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS orgs_path ON orgs (path);
