-- The co-building service's joint activities counted on contact cards: an
-- entry made from one names the activity (source_activity_id), and each
-- member an activity named is recorded once, counted (with its entry) or
-- skipped with the reason (a member this service does not know, one who
-- left, one registered with no community on the day). The key is the
-- activity and the member, so an event delivered or replayed again adds
-- nothing. member_id is text: an id this service never issued is recorded
-- as it came.
ALTER TABLE card_entries ADD COLUMN source_activity_id uuid;

CREATE UNIQUE INDEX card_entries_one_per_activity ON card_entries (source_activity_id, member_id)
    WHERE source_activity_id IS NOT NULL;

CREATE TABLE activity_attendances (
    activity_id uuid NOT NULL,
    member_id   text NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('COUNTED', 'SKIPPED')),
    entry_id    uuid REFERENCES card_entries (id),
    reason      text NOT NULL DEFAULT '',
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (activity_id, member_id),
    CHECK ((outcome = 'COUNTED') = (entry_id IS NOT NULL))
);

CREATE TRIGGER activity_attendances_kept BEFORE UPDATE OR DELETE ON activity_attendances
    FOR EACH ROW EXECUTE FUNCTION reporting_history_kept();
