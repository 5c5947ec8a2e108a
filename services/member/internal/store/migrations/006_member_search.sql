-- Looking members up, and imports of rosters.
--
-- A name is found by any part of it, in any case: a secretary types a
-- surname or a given name (建国), which in Chinese is one or two
-- characters, too short for trigrams (pg_trgm extracts none from two
-- characters). So the index keeps each name's single characters and pairs
-- of characters, lower-cased; a search looks up the pairs of its text (or
-- its one character), and LIKE then keeps the names holding the text in
-- order. It needs no extension and no particular locale.
CREATE FUNCTION member_name_grams(name text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    s   text := lower(name);
    n   int := length(s);
    out text[] := '{}';
BEGIN
    -- A loop: seven times faster than generate_series and array_agg,
    -- which every insert and every change of name pays.
    FOR i IN 1..n LOOP
        out := out || substr(s, i, 1);
        IF i < n THEN
            out := out || substr(s, i, 2);
        END IF;
    END LOOP;
    RETURN out;
END
$$;

-- The grams a name must hold to contain term.
CREATE FUNCTION member_name_search_grams(term text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN length(term) < 2 THEN ARRAY[lower(term)]
        ELSE ARRAY(SELECT DISTINCT substr(lower(term), i, 2) FROM generate_series(1, length(term) - 1) AS i) END
$$;

CREATE INDEX members_by_name_grams ON members USING gin (member_name_grams(name)) WHERE left_at IS NULL;

-- Skills tags, all (@>) or any (&&) of them.
CREATE INDEX members_by_skills ON members USING gin (skills) WHERE left_at IS NULL;

-- An age band is a range of birth dates.
CREATE INDEX members_by_birth_date ON members (birth_date) WHERE left_at IS NULL;

-- Categories and employment statuses are few and large, and asked of a
-- subtree in tree order: the index starts with the value and goes on in
-- the keyset order of the lists.
CREATE INDEX members_by_category ON members (category_code, path, id) WHERE left_at IS NULL;
CREATE INDEX members_by_employment ON members (employment_status, path, id) WHERE left_at IS NULL;
CREATE INDEX members_in_hardship ON members (path, id) WHERE hardship AND left_at IS NULL;

-- The report of each import, so that a retried request gets the same
-- report without importing again (the request id points here through
-- requests). The report names rows, members and problems, never an ID
-- number or a name.
CREATE TABLE member_imports (
    id         uuid PRIMARY KEY,
    report     jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    created_by text NOT NULL
);
