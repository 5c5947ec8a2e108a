-- Counters of live members, maintained on write, so that a subtree is
-- counted by summing its organisations' counters instead of counting its
-- members: a district holds tens of thousands of members, the city a
-- million, and dashboards and composition reports ask again and again.
--
-- One row per organisation (with its path, so that a subtree is one range
-- of the primary key) and per combination of the attributes the counts are
-- asked by: management category (with its name), employment status and
-- status. A trigger on members keeps them in the transaction of every
-- write: registration, import, update, reclassification, transfer, the end
-- of a membership, and the re-pathing of members when an organisation
-- moves. Writes into one organisation already queue on its lock in the
-- local view, so the counter rows add no new contention.
CREATE TABLE member_counts (
    path              text COLLATE "C" NOT NULL,
    organisation_id   uuid NOT NULL,
    category_code     text NOT NULL,
    category_name     text NOT NULL,
    employment_status text NOT NULL,
    status            text NOT NULL,
    n                 bigint NOT NULL CHECK (n >= 0),
    PRIMARY KEY (path, organisation_id, category_code, category_name, employment_status, status)
);

CREATE INDEX member_counts_by_organisation ON member_counts (organisation_id);

CREATE FUNCTION member_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.left_at IS NULL THEN
        IF TG_OP = 'UPDATE' AND NEW.left_at IS NULL
           AND NEW.path = OLD.path AND NEW.organisation_id = OLD.organisation_id
           AND NEW.category_code = OLD.category_code AND NEW.category_name = OLD.category_name
           AND NEW.employment_status = OLD.employment_status AND NEW.status = OLD.status THEN
            RETURN NULL; -- nothing counted changed
        END IF;
        UPDATE member_counts SET n = n - 1
         WHERE path = OLD.path AND organisation_id = OLD.organisation_id
           AND category_code = OLD.category_code AND category_name = OLD.category_name
           AND employment_status = OLD.employment_status AND status = OLD.status;
        DELETE FROM member_counts
         WHERE path = OLD.path AND organisation_id = OLD.organisation_id
           AND category_code = OLD.category_code AND category_name = OLD.category_name
           AND employment_status = OLD.employment_status AND status = OLD.status AND n = 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.left_at IS NULL THEN
        INSERT INTO member_counts AS c (path, organisation_id, category_code, category_name, employment_status, status, n)
        VALUES (NEW.path, NEW.organisation_id, NEW.category_code, NEW.category_name, NEW.employment_status, NEW.status, 1)
        ON CONFLICT (path, organisation_id, category_code, category_name, employment_status, status)
        DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER member_counts_insert_delete AFTER INSERT OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION member_counts_apply();

-- Most updates (a phone, a skill, a version) change nothing counted: the
-- condition spares them the function call.
CREATE TRIGGER member_counts_update AFTER UPDATE ON members
    FOR EACH ROW
    WHEN (OLD.left_at IS DISTINCT FROM NEW.left_at OR OLD.path IS DISTINCT FROM NEW.path
          OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id
          OR OLD.category_code IS DISTINCT FROM NEW.category_code OR OLD.category_name IS DISTINCT FROM NEW.category_name
          OR OLD.employment_status IS DISTINCT FROM NEW.employment_status OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION member_counts_apply();

-- The members already registered.
INSERT INTO member_counts (path, organisation_id, category_code, category_name, employment_status, status, n)
SELECT path, organisation_id, category_code, category_name, employment_status, status, count(*)
  FROM members WHERE left_at IS NULL
 GROUP BY path, organisation_id, category_code, category_name, employment_status, status;
