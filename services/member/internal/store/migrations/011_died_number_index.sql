-- The check of migration 010 that a number's holder did not die looked the
-- number up among all members without saying they had left, so no index
-- served it: every registration read the whole table (at a million members,
-- a roster import of a few thousand rows took minutes). Saying it lets the
-- index of left members' numbers answer.
CREATE OR REPLACE FUNCTION members_died_national_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.left_at IS NULL AND EXISTS (SELECT 1 FROM members
            WHERE national_id_hash = NEW.national_id_hash AND left_at IS NOT NULL AND left_kind = 'DIED'
              AND id <> NEW.id) THEN
        RAISE EXCEPTION 'the holder of this national ID number died'
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'members_died_national_id';
    END IF;
    RETURN NEW;
END
$$;
