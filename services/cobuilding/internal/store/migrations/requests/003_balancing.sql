-- Balancing proposals (均衡调剂): units without a live agreement steered to
-- the communities with the fewest; items holds them, and the agreements'
-- ids once accepted.
CREATE TABLE balancing_proposals (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    district_id     uuid,
    state           text NOT NULL CHECK (state IN ('PROPOSED', 'ACCEPTED')),
    items           jsonb NOT NULL,
    proposed_by     text NOT NULL,
    accepted_by     text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    accepted_at     timestamptz,
    CHECK ((state = 'ACCEPTED') = (accepted_at IS NOT NULL))
);
CREATE INDEX balancing_proposals_by_organisation ON balancing_proposals (organisation_id, created_at DESC);

---- create above / drop below ----

DROP TABLE balancing_proposals;
