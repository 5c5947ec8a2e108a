-- Transfers out of the city, members arriving from outside it, and the end
-- of a membership.

-- A transfer out of the city names its destination by name and place
-- instead of an organisation of the view: exactly one of the two. Nobody
-- here receives it; the sending side records the receipt slip (回执) the
-- receiving organisation returned, which completes it.
ALTER TABLE transfers
    ALTER COLUMN to_organisation_id DROP NOT NULL,
    ADD COLUMN outside_organisation text NOT NULL DEFAULT '',
    ADD COLUMN outside_place        text NOT NULL DEFAULT '',
    ADD COLUMN receipt_number       text NOT NULL DEFAULT '',
    ADD COLUMN receipt_date         date,
    ADD CONSTRAINT transfers_destination_check CHECK (
        (to_organisation_id IS NULL) = (outside_organisation <> '' AND outside_place <> '')
        AND (to_organisation_id IS NULL OR (outside_organisation = '' AND outside_place = ''))),
    ADD CONSTRAINT transfers_receipt_check CHECK (
        (receipt_date IS NULL) = (receipt_number = '')
        AND (receipt_date IS NULL OR (to_organisation_id IS NULL AND state = 'COMPLETED')));

-- The end of a membership: left_at (001) is when it was recorded, with how
-- (left_kind), the day it ended and why. The row is kept: a member is never
-- deleted, and the transfers, mobile records and audit trail that name the
-- member keep pointing at it.
ALTER TABLE members
    ADD COLUMN left_kind   text CHECK (left_kind IN
        ('DIED', 'WITHDREW', 'EXPELLED', 'REMOVED', 'TREATED_AS_LEFT', 'TRANSFERRED_OUT')),
    ADD COLUMN left_date   date,
    ADD COLUMN left_reason text NOT NULL DEFAULT '',
    -- The letter a member arriving from outside the city brought:
    -- {"origin_organisation", "letter_number", "letter_date"}.
    ADD COLUMN arrival     jsonb,
    ADD CONSTRAINT members_left_check CHECK (
        (left_at IS NULL) = (left_kind IS NULL) AND (left_at IS NULL) = (left_date IS NULL));

-- The members who left, by number, so that a registration finds who held
-- it before: the number of a member who died is never registered again,
-- that of a member who left the party only as a readmission.
CREATE INDEX members_left_by_national_id ON members (national_id_hash, left_date) WHERE left_at IS NOT NULL;

-- The number of a dead member never belongs to a live member again: a fact
-- of the database as the live index is, whichever path writes the row
-- (registration, update, roster import). The error names the constraint so
-- that the store answers as for the live index.
CREATE FUNCTION members_died_national_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.left_at IS NULL AND EXISTS (SELECT 1 FROM members
            WHERE national_id_hash = NEW.national_id_hash AND left_kind = 'DIED' AND id <> NEW.id) THEN
        RAISE EXCEPTION 'the holder of this national ID number died'
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'members_died_national_id';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER members_died_national_id BEFORE INSERT OR UPDATE OF national_id_hash, left_at ON members
    FOR EACH ROW EXECUTE FUNCTION members_died_national_id();

-- A mobile record still open when the membership ends is ended with it.
ALTER TABLE mobile_records DROP CONSTRAINT mobile_records_outcome_check;
ALTER TABLE mobile_records ADD CONSTRAINT mobile_records_outcome_check
    CHECK (outcome IN ('RETURNED', 'SETTLED_ELSEWHERE', 'TRANSFERRED', 'MEMBERSHIP_ENDED'));
