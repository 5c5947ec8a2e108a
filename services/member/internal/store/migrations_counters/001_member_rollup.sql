-- Counters rolled up per ancestor, so that a district or the city is
-- counted from a few dozen rows instead of summing the counters of its
-- thousands of organisations (member_counts, migrations 009 and 012).
--
-- member_rollup holds, for every organisation, the live members of its
-- whole subtree per category, employment status and status; the nil uuid
-- stands for everything (a caller scoped to no organisation). It is keyed
-- by the ancestor's id, not its path: when an organisation moves, the
-- counts of its own subtree keep their keys and only its old and new
-- ancestors change.
--
-- Writers never update it. The statement-level triggers on member_counts
-- (which the members' triggers write in the transaction of every write,
-- already summed per statement) turn each change of an organisation's
-- counters into deltas of every ancestor on its path, appended to
-- member_rollup_deltas: an insert, so concurrent writes into one district
-- or the city wait on no common row and cannot deadlock. A fold (the
-- service's job, every second) moves the deltas into member_rollup in one
-- transaction. A count reads both, so it is exact whether or not the fold
-- has run.
CREATE TABLE member_rollup (
    ancestor_id       uuid NOT NULL,
    category_code     text NOT NULL,
    category_name     text NOT NULL,
    employment_status text NOT NULL,
    status            text NOT NULL,
    n                 bigint NOT NULL,
    PRIMARY KEY (ancestor_id, category_code, category_name, employment_status, status)
);

-- The fold leaves a counter that fell to zero; this index finds them.
CREATE INDEX member_rollup_zero ON member_rollup (ancestor_id) WHERE n = 0;

CREATE TABLE member_rollup_deltas (
    ancestor_id       uuid NOT NULL,
    category_code     text NOT NULL,
    category_name     text NOT NULL,
    employment_status text NOT NULL,
    status            text NOT NULL,
    n                 bigint NOT NULL
);

CREATE INDEX member_rollup_deltas_by_ancestor ON member_rollup_deltas (ancestor_id);

-- member_rollup_ancestors are the ids on a path ('/<id>/…/<id>/', the
-- organisation itself last) and the nil uuid of everything.
CREATE FUNCTION member_rollup_ancestors(path text) RETURNS SETOF uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT a::uuid FROM string_to_table(btrim(path, '/'), '/') AS a
    UNION ALL SELECT '00000000-0000-0000-0000-000000000000'::uuid
$$;

-- One function for the three statements: the change of each counter is
-- its new n less its old one (a counter's key never changes; a deleted
-- one had fallen to zero). Deltas that cancel out (a transfer inside a
-- district, seen from the district and the city) are not written.
CREATE FUNCTION member_rollup_after_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO member_rollup_deltas (ancestor_id, category_code, category_name, employment_status, status, n)
        SELECT a.id, c.category_code, c.category_name, c.employment_status, c.status, sum(c.n)
          FROM new_rows c, member_rollup_ancestors(c.path) AS a (id)
         GROUP BY 1, 2, 3, 4, 5 HAVING sum(c.n) <> 0;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO member_rollup_deltas (ancestor_id, category_code, category_name, employment_status, status, n)
        SELECT a.id, c.category_code, c.category_name, c.employment_status, c.status, sum(c.n)
          FROM (SELECT path, category_code, category_name, employment_status, status, n FROM new_rows
                UNION ALL
                SELECT path, category_code, category_name, employment_status, status, -n FROM old_rows) AS c,
               member_rollup_ancestors(c.path) AS a (id)
         GROUP BY 1, 2, 3, 4, 5 HAVING sum(c.n) <> 0;
    ELSE
        INSERT INTO member_rollup_deltas (ancestor_id, category_code, category_name, employment_status, status, n)
        SELECT a.id, c.category_code, c.category_name, c.employment_status, c.status, -sum(c.n)
          FROM old_rows c, member_rollup_ancestors(c.path) AS a (id)
         GROUP BY 1, 2, 3, 4, 5 HAVING sum(c.n) <> 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER member_rollup_insert AFTER INSERT ON member_counts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION member_rollup_after_counts();
CREATE TRIGGER member_rollup_update AFTER UPDATE ON member_counts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION member_rollup_after_counts();
CREATE TRIGGER member_rollup_delete AFTER DELETE ON member_counts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION member_rollup_after_counts();

-- member_rollup_fold moves the deltas committed so far into the rollup, in
-- the order of its key, and drops the counters that fell to zero; one
-- fold at a time (the others return at once). It returns how many deltas
-- it moved.
CREATE FUNCTION member_rollup_fold() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('member_rollup_fold')) THEN
        RETURN 0;
    END IF;
    WITH taken AS (DELETE FROM member_rollup_deltas RETURNING *),
         sums AS (SELECT ancestor_id, category_code, category_name, employment_status, status, sum(n) AS n, count(*) AS rows
                    FROM taken GROUP BY 1, 2, 3, 4, 5),
         applied AS (INSERT INTO member_rollup AS r (ancestor_id, category_code, category_name, employment_status, status, n)
                     SELECT ancestor_id, category_code, category_name, employment_status, status, n FROM sums
                      WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5
                     ON CONFLICT (ancestor_id, category_code, category_name, employment_status, status)
                     DO UPDATE SET n = r.n + excluded.n)
    SELECT coalesce(sum(rows), 0) INTO moved FROM sums;
    DELETE FROM member_rollup WHERE n = 0;
    RETURN moved;
END
$$;

-- The members already registered.
INSERT INTO member_rollup (ancestor_id, category_code, category_name, employment_status, status, n)
SELECT a.id, c.category_code, c.category_name, c.employment_status, c.status, sum(c.n)
  FROM member_counts c, member_rollup_ancestors(c.path) AS a (id)
 GROUP BY 1, 2, 3, 4, 5 HAVING sum(c.n) <> 0;
