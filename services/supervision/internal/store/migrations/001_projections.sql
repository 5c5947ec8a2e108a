-- Request ids of creating calls, so that a retried call returns what it
-- created (pkg/requestid).
CREATE TABLE requests (
    request_id  text PRIMARY KEY,
    resource_id uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
