-- In-service members reporting to communities (在职党员到社区报到, DOMAIN §2
-- and §5), the communities' ratings, the annual democratic appraisal and
-- the five-star ratings. History is never rewritten: ratings, appraisals,
-- star ratings and card entries are appended, registrations and claims end
-- but stay, and triggers refuse the rest.

CREATE FUNCTION reporting_history_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is history: its rows are never changed or removed', TG_TABLE_NAME;
END
$$;

-- A member's registration with a community. At most one live registration
-- of each kind per member: the partial unique index makes it a fact of the
-- database. member_organisation_id is where the relationship sat when the
-- member registered.
CREATE TABLE registrations (
    id                     uuid PRIMARY KEY,
    member_id              uuid NOT NULL REFERENCES members (id),
    community_id           uuid NOT NULL REFERENCES orgs (id),
    kind                   text NOT NULL CHECK (kind IN ('RESIDENCE', 'UNIT_LOCATION')),
    member_organisation_id uuid NOT NULL,
    report_date            date NOT NULL,
    end_date               date,
    end_reason             text NOT NULL DEFAULT '',
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    CHECK (end_date IS NULL OR end_date >= report_date)
);

CREATE UNIQUE INDEX registrations_one_live_per_kind ON registrations (member_id, kind) WHERE end_date IS NULL;
CREATE INDEX registrations_by_community ON registrations (community_id, id);
CREATE INDEX registrations_by_member ON registrations (member_id, id);

CREATE TRIGGER registrations_kept BEFORE DELETE ON registrations
    FOR EACH ROW EXECUTE FUNCTION reporting_history_kept();

-- The service posts of a community. claimed counts the live claims; the
-- check makes "never more than its capacity" a fact of the database.
CREATE TABLE service_posts (
    id           uuid PRIMARY KEY,
    community_id uuid NOT NULL REFERENCES orgs (id),
    name         text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('PUBLICIST', 'MEDIATOR', 'LIAISON', 'SECURITY', 'SANITATION', 'OTHER')),
    description  text NOT NULL DEFAULT '',
    capacity     int NOT NULL CHECK (capacity > 0),
    claimed      int NOT NULL DEFAULT 0,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL,
    CONSTRAINT service_posts_within_capacity CHECK (claimed BETWEEN 0 AND capacity)
);

CREATE INDEX service_posts_by_community ON service_posts (community_id, id);

-- Claims of posts; a member holds a post once at a time.
CREATE TABLE post_claims (
    id              uuid PRIMARY KEY,
    post_id         uuid NOT NULL REFERENCES service_posts (id),
    member_id       uuid NOT NULL REFERENCES members (id),
    registration_id uuid NOT NULL REFERENCES registrations (id),
    claimed_at      timestamptz NOT NULL,
    released_at     timestamptz
);

CREATE UNIQUE INDEX post_claims_one_live ON post_claims (post_id, member_id) WHERE released_at IS NULL;
CREATE INDEX post_claims_live_by_member ON post_claims (member_id) WHERE released_at IS NULL;

CREATE TRIGGER post_claims_kept BEFORE DELETE ON post_claims
    FOR EACH ROW EXECUTE FUNCTION reporting_history_kept();

-- The contact card (社区联系卡): contacts and activities, as the
-- community recorded them.
CREATE TABLE card_entries (
    id              uuid PRIMARY KEY,
    member_id       uuid NOT NULL REFERENCES members (id),
    community_id    uuid NOT NULL REFERENCES orgs (id),
    registration_id uuid NOT NULL REFERENCES registrations (id),
    kind            text NOT NULL CHECK (kind IN ('CONTACT', 'ACTIVITY')),
    date            date NOT NULL,
    title           text NOT NULL,
    hours           numeric(4, 2) NOT NULL DEFAULT 0 CHECK (hours BETWEEN 0 AND 24),
    post_id         uuid REFERENCES service_posts (id),
    recorded_by     text NOT NULL,
    created_at      timestamptz NOT NULL
);

CREATE INDEX card_entries_by_member ON card_entries (member_id, date);

CREATE TRIGGER card_entries_kept BEFORE UPDATE OR DELETE ON card_entries
    FOR EACH ROW EXECUTE FUNCTION reporting_history_kept();

-- A community's ratings of a member (评议), every version: the highest
-- version of a year is current. organisation_id is the organisation the
-- rating was sent to.
CREATE TABLE community_ratings (
    id              uuid PRIMARY KEY,
    member_id       uuid NOT NULL REFERENCES members (id),
    community_id    uuid NOT NULL REFERENCES orgs (id),
    year            int NOT NULL,
    version         int NOT NULL CHECK (version > 0),
    grade           text NOT NULL CHECK (grade IN ('EXCELLENT', 'QUALIFIED', 'BASICALLY_QUALIFIED', 'UNQUALIFIED')),
    comment         text NOT NULL DEFAULT '',
    organisation_id uuid NOT NULL,
    rated_by        text NOT NULL,
    created_at      timestamptz NOT NULL,
    UNIQUE (member_id, community_id, year, version)
);

CREATE TRIGGER community_ratings_kept BEFORE UPDATE OR DELETE ON community_ratings
    FOR EACH ROW EXECUTE FUNCTION reporting_history_kept();

-- A district's minimums for in-service members (DOMAIN §5); a district
-- without a row has the defaults.
CREATE TABLE reporting_settings (
    district_id              uuid PRIMARY KEY,
    min_contacts_per_quarter int NOT NULL DEFAULT 2 CHECK (min_contacts_per_quarter >= 0),
    min_activities_per_year  int NOT NULL DEFAULT 4 CHECK (min_activities_per_year >= 0),
    updated_by               text NOT NULL,
    updated_at               timestamptz NOT NULL
);

-- The annual democratic appraisal (民主评议党员), every version: a
-- correction is a new version, the highest current.
CREATE TABLE appraisals (
    id              uuid PRIMARY KEY,
    member_id       uuid NOT NULL REFERENCES members (id),
    organisation_id uuid NOT NULL,
    year            int NOT NULL,
    version         int NOT NULL CHECK (version > 0),
    grade           text NOT NULL CHECK (grade IN ('EXCELLENT', 'QUALIFIED', 'BASICALLY_QUALIFIED', 'UNQUALIFIED')),
    comment         text NOT NULL DEFAULT '',
    recorded_by     text NOT NULL,
    created_at      timestamptz NOT NULL,
    UNIQUE (member_id, year, version)
);

CREATE TRIGGER appraisals_kept BEFORE UPDATE OR DELETE ON appraisals
    FOR EACH ROW EXECUTE FUNCTION reporting_history_kept();

-- Every star rating (五星级党员) ever given; members.star_rating is the
-- latest (by seq) of the latest year, kept in the same transaction.
CREATE TABLE star_ratings (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              uuid NOT NULL UNIQUE,
    member_id       uuid NOT NULL REFERENCES members (id),
    organisation_id uuid NOT NULL,
    year            int NOT NULL,
    stars           int NOT NULL CHECK (stars BETWEEN 0 AND 5),
    reason          text NOT NULL,
    rated_by        text NOT NULL,
    created_at      timestamptz NOT NULL
);

CREATE INDEX star_ratings_by_member ON star_ratings (member_id, year DESC, seq DESC);

CREATE TRIGGER star_ratings_kept BEFORE UPDATE OR DELETE ON star_ratings
    FOR EACH ROW EXECUTE FUNCTION reporting_history_kept();
