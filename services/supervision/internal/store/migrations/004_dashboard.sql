-- Counters the dashboard reads instead of scanning items and findings:
-- kept by triggers in the transaction of every write, per organisation, so
-- that a subtree is summed from the counters of its organisations (a path
-- range of the view). Quarters are of the UTC date of the write.
CREATE TABLE item_counts (
    organisation_id uuid NOT NULL,
    rule_code       text NOT NULL,
    state           text NOT NULL,
    escalated       boolean NOT NULL,
    n               bigint NOT NULL,
    PRIMARY KEY (organisation_id, rule_code, state, escalated)
);

CREATE TABLE quarter_counts (
    organisation_id uuid NOT NULL,
    quarter         text NOT NULL,
    findings        bigint NOT NULL DEFAULT 0,
    items_opened    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (organisation_id, quarter)
);

CREATE FUNCTION quarter_of(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY') || '-Q' || extract(quarter FROM t AT TIME ZONE 'UTC')::int
$$;

CREATE FUNCTION items_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.organisation_id = NEW.organisation_id AND OLD.rule_code = NEW.rule_code AND OLD.state = NEW.state
           AND (OLD.escalated_at IS NULL) = (NEW.escalated_at IS NULL) THEN
            RETURN NULL;
        END IF;
        UPDATE item_counts SET n = n - 1 WHERE organisation_id = OLD.organisation_id AND rule_code = OLD.rule_code
            AND state = OLD.state AND escalated = (OLD.escalated_at IS NOT NULL);
    ELSE
        INSERT INTO quarter_counts (organisation_id, quarter, items_opened) VALUES (NEW.organisation_id, quarter_of(NEW.created_at), 1)
            ON CONFLICT (organisation_id, quarter) DO UPDATE SET items_opened = quarter_counts.items_opened + 1;
    END IF;
    INSERT INTO item_counts (organisation_id, rule_code, state, escalated, n)
        VALUES (NEW.organisation_id, NEW.rule_code, NEW.state, NEW.escalated_at IS NOT NULL, 1)
        ON CONFLICT (organisation_id, rule_code, state, escalated) DO UPDATE SET n = item_counts.n + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER items_counted AFTER INSERT OR UPDATE ON items FOR EACH ROW EXECUTE FUNCTION items_counted();

CREATE FUNCTION findings_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.organisation_id IS NOT NULL THEN
        INSERT INTO quarter_counts (organisation_id, quarter, findings) VALUES (NEW.organisation_id, quarter_of(NEW.created_at), 1)
            ON CONFLICT (organisation_id, quarter) DO UPDATE SET findings = quarter_counts.findings + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER findings_counted AFTER INSERT ON findings FOR EACH ROW EXECUTE FUNCTION findings_counted();

-- What was written before the counters.
INSERT INTO item_counts (organisation_id, rule_code, state, escalated, n)
    SELECT organisation_id, rule_code, state, escalated_at IS NOT NULL, count(*) FROM items GROUP BY 1, 2, 3, 4;
INSERT INTO quarter_counts (organisation_id, quarter, findings, items_opened)
    SELECT organisation_id, quarter, sum(f), sum(i) FROM (
        SELECT organisation_id, quarter_of(created_at) AS quarter, 1 AS f, 0 AS i FROM findings WHERE organisation_id IS NOT NULL
        UNION ALL
        SELECT organisation_id, quarter_of(created_at), 0, 1 FROM items) x
    GROUP BY 1, 2;
