-- The counts the monthly rates of residents' requests are taken from, per
-- community and month of receipt (in the city's calendar), kept by each
-- write of a request in its transaction: the rates of a district read a
-- row per community instead of its requests.
ALTER TABLE service_requests ADD COLUMN received_month date;
-- Requests received before: their month in the default city time zone.
UPDATE service_requests SET received_month = date_trunc('month', received_at AT TIME ZONE 'Asia/Shanghai')::date;
ALTER TABLE service_requests ALTER COLUMN received_month SET NOT NULL;

CREATE TABLE service_request_counts (
    community_id uuid NOT NULL,
    month        date NOT NULL CHECK (extract(day FROM month) = 1),
    district_id  uuid,
    received     int NOT NULL DEFAULT 0,
    responded    int NOT NULL DEFAULT 0,
    answered     int NOT NULL DEFAULT 0,
    on_time      int NOT NULL DEFAULT 0,
    resolved     int NOT NULL DEFAULT 0,
    rated        int NOT NULL DEFAULT 0,
    satisfied    int NOT NULL DEFAULT 0,
    PRIMARY KEY (community_id, month)
);
CREATE INDEX service_request_counts_by_district ON service_request_counts (district_id, month);

INSERT INTO service_request_counts (community_id, month, district_id, received, responded, answered, on_time,
        resolved, rated, satisfied)
    SELECT community_id, received_month, district_id, count(*),
        count(*) FILTER (WHERE accepted_at <= response_due),
        count(*) FILTER (WHERE answered_at IS NOT NULL),
        count(*) FILTER (WHERE answered_at IS NOT NULL AND accepted_at <= response_due
            AND coalesce(first_progress_at, answered_at) <= progress_due),
        count(*) FILTER (WHERE answered_at IS NOT NULL AND resolved),
        count(*) FILTER (WHERE satisfaction IS NOT NULL),
        count(*) FILTER (WHERE satisfaction IN ('SATISFIED', 'BASICALLY_SATISFIED'))
    FROM service_requests GROUP BY community_id, received_month, district_id;

---- create above / drop below ----

DROP TABLE service_request_counts;
ALTER TABLE service_requests DROP COLUMN received_month;
