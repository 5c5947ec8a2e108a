-- Resident units as the co-building service reports their coverage: a unit
-- with party members and no party organisation is a coverage gap of the
-- community where it sits. Kept from that service's events (the latest
-- report wins: updated_at is its time), for the compliance report. No
-- foreign key to organisations: the report joins the tree, and an event
-- never waits for it.
CREATE TABLE unit_coverage (
    unit_id               uuid PRIMARY KEY,
    unit_name             text        NOT NULL,
    community_id          uuid        NOT NULL,
    district_id           uuid,
    party_organisation_id uuid,
    party_members         int         NOT NULL DEFAULT 0,
    gap                   boolean     NOT NULL,
    opened_at             timestamptz,
    closed_at             timestamptz,
    updated_at            timestamptz NOT NULL
);

CREATE INDEX unit_coverage_gaps_by_community ON unit_coverage (community_id) WHERE gap;
