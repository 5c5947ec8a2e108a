-- The view orders the member service's messages by their place in its
-- stream (the relay publishes in commit order), not by their occur time:
-- a transfer recorded from paper carries its original, earlier dates.
ALTER TABLE member_view ADD COLUMN seq bigint NOT NULL DEFAULT 0;
