-- Management categories (DOMAIN §2). A scheme is kept per district (scope
-- is the district's id) or for the whole city (scope 'default'); a
-- district without a row classifies by the default. categories is the
-- ordered list of {code, name, method, rule}.
CREATE TABLE category_schemes (
    scope      text PRIMARY KEY,
    name       text NOT NULL,
    source     text NOT NULL DEFAULT '',
    categories jsonb NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text NOT NULL DEFAULT ''
);

-- A member's category: by the rules, or set by hand (category_overridden)
-- with who (category_by), when and why. '' is no category.
ALTER TABLE members
    ADD COLUMN category_code       text NOT NULL DEFAULT '',
    ADD COLUMN category_name       text NOT NULL DEFAULT '',
    ADD COLUMN category_overridden boolean NOT NULL DEFAULT false,
    ADD COLUMN category_reason     text NOT NULL DEFAULT '',
    ADD COLUMN category_by         text NOT NULL DEFAULT '',
    ADD COLUMN category_at         timestamptz;

CREATE INDEX members_by_district ON members (district_id) WHERE left_at IS NULL;
