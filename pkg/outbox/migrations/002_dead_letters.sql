-- A message a consumer could not apply after all its deliveries (a poison
-- message) is parked here, in the same database as the consumer's inbox,
-- before the stream is told to give it up: the stream keeps its bytes
-- (stream, stream_seq), this row keeps that it was not applied and why.
-- The consumer tries its parked messages again each time it starts (a new
-- version deployed, a restart); one applied then is deleted from here.
CREATE TABLE dead_letters (
    consumer    text        NOT NULL,
    event_id    text        NOT NULL,
    stream      text        NOT NULL,
    stream_seq  bigint      NOT NULL,
    subject     text        NOT NULL,
    deliveries  bigint      NOT NULL,
    error       text        NOT NULL,
    parked_at   timestamptz NOT NULL DEFAULT now(),
    retries     integer     NOT NULL DEFAULT 0,
    retried_at  timestamptz,
    PRIMARY KEY (consumer, event_id)
);

---- create above / drop below ----

DROP TABLE dead_letters;
