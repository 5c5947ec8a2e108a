-- left_on is the day a member left the party, kept when member_left is
-- applied: an in-service registration whose event arrives after it (a
-- redelivery behind) is ended on that day rather than coming back live.
ALTER TABLE member_facts ADD COLUMN left_on date;

---- create above / drop below ----

ALTER TABLE member_facts DROP COLUMN left_on;
