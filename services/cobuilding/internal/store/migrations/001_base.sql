-- Client request ids of creating calls, so that a retried call returns
-- what the first one created.
CREATE TABLE requests (
    request_id  text PRIMARY KEY,
    resource_id uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A district's co-building settings; a district without a row has the
-- defaults of the domain.
CREATE TABLE district_settings (
    district_id              uuid PRIMARY KEY,
    report_due_day           int NOT NULL CHECK (report_due_day BETWEEN 1 AND 28),
    community_meeting_months int NOT NULL CHECK (community_meeting_months IN (1, 2, 3, 4, 6, 12)),
    county_meeting_months    int NOT NULL CHECK (county_meeting_months IN (1, 2, 3, 4, 6, 12)),
    updated_at               timestamptz NOT NULL
);

---- create above / drop below ----

DROP TABLE district_settings;
DROP TABLE requests;
