-- An activity names the in-service members who took part; each must be
-- registered with an organising community or a participating unit's, looked
-- up by member.
CREATE INDEX in_service_registrations_by_member ON in_service_registrations (member_id, community_id);

---- create above / drop below ----

DROP INDEX in_service_registrations_by_member;
