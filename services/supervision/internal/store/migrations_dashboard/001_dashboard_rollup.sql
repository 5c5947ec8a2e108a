-- The dashboard's counters rolled up per ancestor, so that a district or
-- the city reads a few dozen rows instead of joining the counters of its
-- tens of thousands of organisations to the tree (item_counts and
-- quarter_counts of migration 004, which stay as they are).
--
-- dash_items holds, for every organisation, the items of its whole
-- subtree per rule, state and escalation; dash_quarters the findings made
-- and items opened there per quarter (of the UTC date of the write, as
-- quarter_of says). The nil uuid stands for everything. Both are keyed by
-- the ancestor's id, not its path: when an organisation moves, the counts
-- of its own subtree keep their keys and only its old and new ancestors
-- change.
--
-- Writers never update them. Statement-level triggers on items and
-- findings append the deltas of every ancestor of each organisation
-- written (its path in the view of the tree, read under a share lock so
-- that a move of the subtree waits for the write, or the write for the
-- move) to the _deltas tables: inserts, so that concurrent writes into a
-- district or the city wait on no common row and cannot deadlock on one.
-- A trigger on the view moves the counts of a subtree that moved (or of an
-- organisation that reached the view after its items) between
-- ancestors, in the projection's transaction. A fold (the service's job,
-- every second) moves the deltas into the counters; a read sums both, so
-- it is exact whether or not the fold has run.
CREATE TABLE dash_items (
    ancestor_id uuid NOT NULL,
    rule_code   text NOT NULL,
    state       text NOT NULL,
    escalated   boolean NOT NULL,
    n           bigint NOT NULL,
    PRIMARY KEY (ancestor_id, rule_code, state, escalated)
);
CREATE INDEX dash_items_zero ON dash_items (ancestor_id) WHERE n = 0;

CREATE TABLE dash_items_deltas (
    ancestor_id uuid NOT NULL,
    rule_code   text NOT NULL,
    state       text NOT NULL,
    escalated   boolean NOT NULL,
    n           bigint NOT NULL
);
CREATE INDEX dash_items_deltas_by_ancestor ON dash_items_deltas (ancestor_id);

CREATE TABLE dash_quarters (
    ancestor_id  uuid NOT NULL,
    quarter      text NOT NULL,
    findings     bigint NOT NULL,
    items_opened bigint NOT NULL,
    PRIMARY KEY (ancestor_id, quarter)
);

CREATE TABLE dash_quarters_deltas (
    ancestor_id  uuid NOT NULL,
    quarter      text NOT NULL,
    findings     bigint NOT NULL,
    items_opened bigint NOT NULL
);
CREATE INDEX dash_quarters_deltas_by_ancestor ON dash_quarters_deltas (ancestor_id);

-- dash_ancestors are the ids on a path ('/<id>/…/<id>/'; none for NULL or
-- '/') and the nil uuid of everything.
CREATE FUNCTION dash_ancestors(path text) RETURNS SETOF uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT a::uuid FROM string_to_table(btrim(path, '/'), '/') AS a WHERE a <> ''
    UNION ALL SELECT '00000000-0000-0000-0000-000000000000'::uuid
$$;

-- dash_parent_path is the path of an organisation's parent ('/' for a root).
CREATE FUNCTION dash_parent_path(path text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT regexp_replace(path, '[^/]+/$', '')
$$;

-- The organisations one level below another: a dashboard's branches.
CREATE INDEX orgs_parent_path ON orgs (dash_parent_path(path) COLLATE "C", path);

-- dash_placed is where an organisation's counts go: the ancestors on its
-- path in the view, or only itself and everything while the view does not
-- hold it yet. Its rows are locked (FOR SHARE) until the writing
-- transaction ends, in the order of their ids.
CREATE FUNCTION dash_placed(ids uuid[]) RETURNS TABLE (organisation_id uuid, ancestor_id uuid) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM orgs WHERE id = ANY(ids) ORDER BY id FOR SHARE;
    RETURN QUERY SELECT i.id, a.id
      FROM unnest(ids) AS i (id) LEFT JOIN orgs o ON o.id = i.id,
           dash_ancestors(coalesce(o.path, '/' || i.id || '/')) AS a (id);
END
$$;

CREATE FUNCTION dash_items_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH c AS (SELECT organisation_id, rule_code, state, escalated_at IS NOT NULL AS escalated,
                          quarter_of(created_at) AS quarter, count(*) AS n
                     FROM new_rows GROUP BY 1, 2, 3, 4, 5),
             p AS (SELECT * FROM dash_placed((SELECT array_agg(DISTINCT organisation_id) FROM c))),
             i AS (INSERT INTO dash_items_deltas (ancestor_id, rule_code, state, escalated, n)
                   SELECT p.ancestor_id, c.rule_code, c.state, c.escalated, sum(c.n)
                     FROM c JOIN p USING (organisation_id) GROUP BY 1, 2, 3, 4)
        INSERT INTO dash_quarters_deltas (ancestor_id, quarter, findings, items_opened)
        SELECT p.ancestor_id, c.quarter, 0, sum(c.n) FROM c JOIN p USING (organisation_id) GROUP BY 1, 2;
    ELSE
        WITH c AS (SELECT organisation_id, rule_code, state, escalated, sum(n) AS n
                     FROM (SELECT organisation_id, rule_code, state, escalated_at IS NOT NULL AS escalated, 1 AS n FROM new_rows
                           UNION ALL
                           SELECT organisation_id, rule_code, state, escalated_at IS NOT NULL, -1 FROM old_rows) AS x
                    GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0),
             p AS (SELECT * FROM dash_placed((SELECT array_agg(DISTINCT organisation_id) FROM c)))
        INSERT INTO dash_items_deltas (ancestor_id, rule_code, state, escalated, n)
        SELECT p.ancestor_id, c.rule_code, c.state, c.escalated, sum(c.n)
          FROM c JOIN p USING (organisation_id) GROUP BY 1, 2, 3, 4 HAVING sum(c.n) <> 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER dash_items_insert AFTER INSERT ON items
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dash_items_changed();
CREATE TRIGGER dash_items_update AFTER UPDATE ON items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dash_items_changed();

CREATE FUNCTION dash_findings_made() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dash_quarters_deltas (ancestor_id, quarter, findings, items_opened)
    SELECT p.ancestor_id, c.quarter, sum(c.n), 0
      FROM (SELECT organisation_id, quarter_of(created_at) AS quarter, count(*) AS n FROM new_rows
             WHERE organisation_id IS NOT NULL GROUP BY 1, 2) AS c
      JOIN dash_placed((SELECT array_agg(DISTINCT organisation_id) FROM new_rows WHERE organisation_id IS NOT NULL)) p
           USING (organisation_id)
     GROUP BY 1, 2;
    RETURN NULL;
END
$$;

CREATE TRIGGER dash_findings_insert AFTER INSERT ON findings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dash_findings_made();

-- When the view places an organisation anew — it moved (its parent
-- changed), or it reached the view after items of its own were counted
-- (then only at itself and everything) — the counts of its subtree leave
-- its old ancestors and join its new ones. Its descendants' paths change
-- in the same statement, but not their parents: their counts stay within
-- the subtree that moved.
CREATE FUNCTION dash_orgs_placed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM dash_move((SELECT array_agg(id) FROM new_rows), (SELECT array_agg(NULL::text) FROM new_rows),
                          (SELECT array_agg(dash_parent_path(path)) FROM new_rows));
    ELSE
        PERFORM dash_move(array_agg(n.id), array_agg(dash_parent_path(o.path)), array_agg(dash_parent_path(n.path)))
           FROM new_rows n JOIN old_rows o USING (id)
          WHERE right(dash_parent_path(o.path), 37) <> right(dash_parent_path(n.path), 37)
         HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END
$$;

-- dash_move moves the counts of the subtrees of ids from the ancestors of
-- their old parents' paths to those of their new ones (NULL: at
-- everything only).
CREATE FUNCTION dash_move(ids uuid[], old_parents text[], new_parents text[]) RETURNS void LANGUAGE sql AS $$
    WITH m AS (SELECT * FROM unnest(ids, old_parents, new_parents) AS m (id, old_parent, new_parent)),
         a AS (SELECT m.id AS moved, a.id, -1 AS sign FROM m, dash_ancestors(m.old_parent) AS a (id)
               UNION ALL SELECT m.id, a.id, 1 FROM m, dash_ancestors(m.new_parent) AS a (id)),
         i AS (INSERT INTO dash_items_deltas (ancestor_id, rule_code, state, escalated, n)
               SELECT a.id, r.rule_code, r.state, r.escalated, sum(r.n * a.sign)
                 FROM (SELECT ancestor_id, rule_code, state, escalated, n FROM dash_items WHERE ancestor_id = ANY(ids)
                       UNION ALL SELECT ancestor_id, rule_code, state, escalated, n FROM dash_items_deltas WHERE ancestor_id = ANY(ids)) AS r
                 JOIN a ON a.moved = r.ancestor_id
                GROUP BY 1, 2, 3, 4 HAVING sum(r.n * a.sign) <> 0)
    INSERT INTO dash_quarters_deltas (ancestor_id, quarter, findings, items_opened)
    SELECT a.id, r.quarter, sum(r.findings * a.sign), sum(r.items_opened * a.sign)
      FROM (SELECT ancestor_id, quarter, findings, items_opened FROM dash_quarters WHERE ancestor_id = ANY(ids)
            UNION ALL SELECT ancestor_id, quarter, findings, items_opened FROM dash_quarters_deltas WHERE ancestor_id = ANY(ids)) AS r
      JOIN a ON a.moved = r.ancestor_id
     GROUP BY 1, 2 HAVING sum(r.findings * a.sign) <> 0 OR sum(r.items_opened * a.sign) <> 0
$$;

CREATE TRIGGER dash_orgs_insert AFTER INSERT ON orgs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dash_orgs_placed();
CREATE TRIGGER dash_orgs_update AFTER UPDATE ON orgs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dash_orgs_placed();

-- dash_fold moves the deltas committed so far into the counters, in the
-- order of their keys, and drops the item counters that fell to zero; one
-- fold at a time (the others return at once). It returns how many deltas
-- it moved.
CREATE FUNCTION dash_fold() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    items bigint;
    quarters bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('supervision_dash_fold')) THEN
        RETURN 0;
    END IF;
    WITH taken AS (DELETE FROM dash_items_deltas RETURNING *),
         sums AS (SELECT ancestor_id, rule_code, state, escalated, sum(n) AS n, count(*) AS rows FROM taken GROUP BY 1, 2, 3, 4),
         applied AS (INSERT INTO dash_items AS d (ancestor_id, rule_code, state, escalated, n)
                     SELECT ancestor_id, rule_code, state, escalated, n FROM sums WHERE n <> 0 ORDER BY 1, 2, 3, 4
                     ON CONFLICT (ancestor_id, rule_code, state, escalated) DO UPDATE SET n = d.n + excluded.n)
    SELECT coalesce(sum(rows), 0) INTO items FROM sums;
    DELETE FROM dash_items WHERE n = 0;
    WITH taken AS (DELETE FROM dash_quarters_deltas RETURNING *),
         sums AS (SELECT ancestor_id, quarter, sum(findings) AS findings, sum(items_opened) AS items_opened, count(*) AS rows
                    FROM taken GROUP BY 1, 2),
         applied AS (INSERT INTO dash_quarters AS d (ancestor_id, quarter, findings, items_opened)
                     SELECT ancestor_id, quarter, findings, items_opened FROM sums
                      WHERE findings <> 0 OR items_opened <> 0 ORDER BY 1, 2
                     ON CONFLICT (ancestor_id, quarter)
                     DO UPDATE SET findings = d.findings + excluded.findings, items_opened = d.items_opened + excluded.items_opened)
    SELECT coalesce(sum(rows), 0) INTO quarters FROM sums;
    RETURN items + quarters;
END
$$;

-- What was written before: the organisations' counters of migration 004,
-- rolled up along the view (an organisation the view does not hold, at
-- itself and everything).
INSERT INTO dash_items (ancestor_id, rule_code, state, escalated, n)
SELECT a.id, c.rule_code, c.state, c.escalated, sum(c.n)
  FROM item_counts c LEFT JOIN orgs o ON o.id = c.organisation_id,
       dash_ancestors(coalesce(o.path, '/' || c.organisation_id || '/')) AS a (id)
 GROUP BY 1, 2, 3, 4 HAVING sum(c.n) <> 0;
INSERT INTO dash_quarters (ancestor_id, quarter, findings, items_opened)
SELECT a.id, c.quarter, sum(c.findings), sum(c.items_opened)
  FROM quarter_counts c LEFT JOIN orgs o ON o.id = c.organisation_id,
       dash_ancestors(coalesce(o.path, '/' || c.organisation_id || '/')) AS a (id)
 GROUP BY 1, 2;
