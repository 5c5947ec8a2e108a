-- What the sweep's set-based queries reach a district's facts by: the
-- district of an organisation of the view (the expression the queries
-- use), a member's organisation, an in-service registration's community,
-- and the facts that arrived as events by their organisation.
CREATE INDEX orgs_district_of ON orgs ((CASE WHEN kind = 'DISTRICT' THEN id ELSE district_id END));
CREATE INDEX member_facts_organisation ON member_facts (organisation_id);
CREATE INDEX in_service_community ON in_service (community_id) WHERE ended IS NULL;
CREATE INDEX event_facts_organisation ON event_facts (fact, organisation_id);
