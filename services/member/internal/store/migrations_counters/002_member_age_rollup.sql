-- The live members of every subtree by month of birth, rolled up per
-- ancestor as member_rollup is (001): the composition's age bands of a
-- district or the city read whole months from here (a few hundred rows)
-- and count only the members born in the one or two months a band's ends
-- cut, from the birth-date index. Kept the same way: statement-level
-- triggers on members append deltas per ancestor and month, the fold moves
-- them into the counters, a read sums both.
CREATE TABLE member_age_rollup (
    ancestor_id uuid NOT NULL,
    birth_month date NOT NULL,
    n           bigint NOT NULL,
    PRIMARY KEY (ancestor_id, birth_month)
);
CREATE INDEX member_age_rollup_zero ON member_age_rollup (ancestor_id) WHERE n = 0;

CREATE TABLE member_age_rollup_deltas (
    ancestor_id uuid NOT NULL,
    birth_month date NOT NULL,
    n           bigint NOT NULL
);
CREATE INDEX member_age_rollup_deltas_by_ancestor ON member_age_rollup_deltas (ancestor_id);

CREATE FUNCTION member_age_rollup_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO member_age_rollup_deltas (ancestor_id, birth_month, n)
        SELECT a.id, c.birth_month, sum(c.n)
          FROM (SELECT path, date_trunc('month', birth_date)::date AS birth_month, count(*) AS n
                  FROM new_rows WHERE left_at IS NULL GROUP BY 1, 2) AS c,
               member_rollup_ancestors(c.path) AS a (id)
         GROUP BY 1, 2;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Most updates (a phone, a category) move nobody: the sum is zero.
        INSERT INTO member_age_rollup_deltas (ancestor_id, birth_month, n)
        SELECT a.id, c.birth_month, sum(c.n)
          FROM (SELECT path, birth_month, sum(n) AS n
                  FROM (SELECT path, date_trunc('month', birth_date)::date AS birth_month, 1 AS n FROM new_rows WHERE left_at IS NULL
                        UNION ALL
                        SELECT path, date_trunc('month', birth_date)::date, -1 FROM old_rows WHERE left_at IS NULL) AS x
                 GROUP BY 1, 2 HAVING sum(n) <> 0) AS c,
               member_rollup_ancestors(c.path) AS a (id)
         GROUP BY 1, 2 HAVING sum(c.n) <> 0;
    ELSE
        INSERT INTO member_age_rollup_deltas (ancestor_id, birth_month, n)
        SELECT a.id, c.birth_month, -sum(c.n)
          FROM (SELECT path, date_trunc('month', birth_date)::date AS birth_month, count(*) AS n
                  FROM old_rows WHERE left_at IS NULL GROUP BY 1, 2) AS c,
               member_rollup_ancestors(c.path) AS a (id)
         GROUP BY 1, 2;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER member_age_rollup_insert AFTER INSERT ON members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION member_age_rollup_changed();
CREATE TRIGGER member_age_rollup_update AFTER UPDATE ON members
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION member_age_rollup_changed();
CREATE TRIGGER member_age_rollup_delete AFTER DELETE ON members
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION member_age_rollup_changed();

-- The fold moves the deltas of both rollups.
CREATE OR REPLACE FUNCTION member_rollup_fold() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
    aged bigint;
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
    WITH taken AS (DELETE FROM member_age_rollup_deltas RETURNING *),
         sums AS (SELECT ancestor_id, birth_month, sum(n) AS n, count(*) AS rows FROM taken GROUP BY 1, 2),
         applied AS (INSERT INTO member_age_rollup AS r (ancestor_id, birth_month, n)
                     SELECT ancestor_id, birth_month, n FROM sums WHERE n <> 0 ORDER BY 1, 2
                     ON CONFLICT (ancestor_id, birth_month) DO UPDATE SET n = r.n + excluded.n)
    SELECT coalesce(sum(rows), 0) INTO aged FROM sums;
    DELETE FROM member_age_rollup WHERE n = 0;
    RETURN moved + aged;
END
$$;

-- The members already registered.
INSERT INTO member_age_rollup (ancestor_id, birth_month, n)
SELECT a.id, c.birth_month, sum(c.n)
  FROM (SELECT path, date_trunc('month', birth_date)::date AS birth_month, count(*) AS n
          FROM members WHERE left_at IS NULL GROUP BY 1, 2) AS c,
       member_rollup_ancestors(c.path) AS a (id)
 GROUP BY 1, 2;
