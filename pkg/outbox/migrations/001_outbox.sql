-- The outbox holds events written in the same transaction as the change they
-- describe, until the relay has published them to JetStream and deletes them.
-- event_type is the protobuf full name of the payload, so the relay can label
-- the message without decoding it; headers is the W3C trace context of the
-- transaction that wrote the event.
CREATE TABLE outbox (
    seq          bigserial   PRIMARY KEY,
    id           uuid        NOT NULL UNIQUE,
    subject      text        NOT NULL,
    aggregate_id text        NOT NULL DEFAULT '',
    event_type   text        NOT NULL,
    payload      bytea       NOT NULL,
    headers      jsonb       NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- The inbox remembers which events a consumer has applied, so that a
-- redelivered or re-published event is applied once.
CREATE TABLE inbox (
    consumer   text        NOT NULL,
    event_id   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

---- create above / drop below ----

DROP TABLE inbox;
DROP TABLE outbox;
