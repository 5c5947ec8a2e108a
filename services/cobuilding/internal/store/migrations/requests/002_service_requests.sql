-- Residents' requests (便民服务). resident_name, resident_phone and address
-- are personal data: the API masks them in lists and records each read
-- in full. handler_unit_id repeats the handler's id when a unit handles
-- the request, for the unit's contact. response_warned_at and
-- progress_warned_at are when the sweeper found each time limit passed.
CREATE TABLE service_requests (
    id                 uuid PRIMARY KEY,
    community_id       uuid NOT NULL,
    district_id        uuid,
    kind               text NOT NULL,
    channel            text NOT NULL,
    title              text NOT NULL,
    content            text NOT NULL DEFAULT '',
    resident_name      text NOT NULL,
    resident_phone     text NOT NULL DEFAULT '',
    address            text NOT NULL DEFAULT '',
    state              text NOT NULL CHECK (state IN ('RECEIVED', 'ASSIGNED', 'ACCEPTED', 'ANSWERED', 'RATED', 'CLOSED')),
    handler            jsonb,
    handler_unit_id    uuid,
    received_at        timestamptz NOT NULL,
    response_due       timestamptz NOT NULL,
    accepted_at        timestamptz,
    progress_due       timestamptz,
    first_progress_at  timestamptz,
    progress           jsonb NOT NULL DEFAULT '[]',
    answer             text NOT NULL DEFAULT '',
    resolved           boolean NOT NULL DEFAULT false,
    answered_at        timestamptz,
    satisfaction       text CHECK (satisfaction IN ('SATISFIED', 'BASICALLY_SATISFIED', 'DISSATISFIED')),
    rating_comment     text NOT NULL DEFAULT '',
    rated_at           timestamptz,
    closed_at          timestamptz,
    response_warned_at timestamptz,
    progress_warned_at timestamptz,
    received_by        text NOT NULL,
    version            bigint NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX service_requests_by_community ON service_requests (community_id, received_at DESC, id DESC);
CREATE INDEX service_requests_by_district ON service_requests (district_id, received_at);
CREATE INDEX service_requests_by_handler_unit ON service_requests (handler_unit_id, received_at DESC, id DESC)
    WHERE handler_unit_id IS NOT NULL;
-- What the sweeper looks for: only the requests that may still pass a limit.
CREATE INDEX service_requests_awaiting_response ON service_requests (response_due)
    WHERE response_warned_at IS NULL AND state IN ('RECEIVED', 'ASSIGNED');
CREATE INDEX service_requests_awaiting_progress ON service_requests (progress_due)
    WHERE progress_warned_at IS NULL AND first_progress_at IS NULL AND state = 'ACCEPTED';

-- A district's time limits; a district without a row has the defaults.
CREATE TABLE service_request_settings (
    district_id    uuid PRIMARY KEY,
    response_hours int NOT NULL CHECK (response_hours BETWEEN 1 AND 168),
    progress_days  int NOT NULL CHECK (progress_days BETWEEN 1 AND 30),
    updated_at     timestamptz NOT NULL
);

---- create above / drop below ----

DROP TABLE service_request_settings;
DROP TABLE service_requests;
