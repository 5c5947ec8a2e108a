-- Transfers begun on paper before the city used the system, recorded
-- afterwards with their original dates: recorded_at is when the transfer
-- and each of its steps were written here (null for everything done in
-- the system), so that a step dated weeks ago says it was not taken then
-- in the system.
ALTER TABLE transfers ADD COLUMN recorded_at timestamptz;
ALTER TABLE transfer_steps ADD COLUMN recorded_at timestamptz;

-- A district's transfer settings are set through the API: a version for
-- the etag, who set them and when. A letter is never valid for more than
-- three months (DOMAIN §5): the cap itself is capped.
ALTER TABLE transfer_settings
    ADD COLUMN version    bigint NOT NULL DEFAULT 1,
    ADD COLUMN updated_by text NOT NULL DEFAULT '',
    ADD COLUMN updated_at timestamptz,
    ADD CONSTRAINT transfer_settings_cap CHECK (max_months <= 3);
