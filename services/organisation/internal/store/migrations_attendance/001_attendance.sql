-- Attendance by member (issue 13): the members named present or absent at
-- an activity of organisation life, and the view of the member service's
-- members those ids are checked against (kept from its events; no member
-- table of the member service is ever read).

-- The members of an activity, in the order given: present, or absent (the
-- absentee's name and reason stay in activities.absentees).
CREATE TABLE activity_members (
    activity_id uuid NOT NULL REFERENCES activities (id),
    member_id   uuid NOT NULL,
    present     boolean NOT NULL,
    ord         int NOT NULL,
    PRIMARY KEY (activity_id, member_id)
);
CREATE INDEX activity_members_by_member ON activity_members (member_id);

-- Where each member's relationship sits, as the member service last said:
-- registered, transferred (member_updated), left (member_left). A message
-- older than the row is passed over.
CREATE TABLE member_view (
    member_id       uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    left_on         date,
    updated_at      timestamptz NOT NULL
);
