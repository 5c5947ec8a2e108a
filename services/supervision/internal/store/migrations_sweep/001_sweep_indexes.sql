-- The city-wide attendance query reads the live registrations in member
-- order, each member's earliest first (DISTINCT ON member_id … ORDER BY
-- since), beside joint_attendance by member: in this order the two merge
-- without sorting every in-service member of the city.
CREATE INDEX in_service_live_member_since ON in_service (member_id, since) WHERE ended IS NULL;
