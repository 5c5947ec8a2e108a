-- placed_at is the time of the event that last placed the organisation in
-- the tree (its path and district), apart from updated_at, the time of the
-- last event applied at all: an update applied before an earlier move
-- delivered late must not make the move look older than the view, and
-- every event carries the organisation's ancestors, so the newest one that
-- names them places it. Rows made before are re-placed by their next event.
ALTER TABLE orgs ADD COLUMN IF NOT EXISTS placed_at timestamptz NOT NULL DEFAULT '-infinity';

---- create above / drop below ----

ALTER TABLE orgs DROP COLUMN IF EXISTS placed_at;
