-- The audit log records who changed or read what, written in the same
-- transaction as the change it describes. It is append-only: the triggers
-- below refuse UPDATE, DELETE and TRUNCATE for every role, the owner
-- included. A trigger does not stop the table's owner or a superuser from
-- dropping it, so the role a service runs as should not own the table and
-- should hold only
--
--     GRANT SELECT, INSERT ON audit_log TO <service role>;
--     GRANT USAGE ON SEQUENCE audit_log_id_seq TO <service role>;
--
-- while the migrations run as the owner.
CREATE TABLE audit_log (
    id              bigserial   PRIMARY KEY,
    -- clock_timestamp, not now(): now() is the start of the transaction,
    -- and a record says when the change was made.
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_subject   text        NOT NULL,
    actor_role      text        NOT NULL,
    actor_name      text,
    -- The full gRPC method; NULL for a background job.
    method          text,
    action          text        NOT NULL CONSTRAINT audit_log_action_known CHECK (action IN ('write', 'read')),
    subject_type    text        NOT NULL,
    subject_id      text        NOT NULL,
    -- The organisation the subject belongs to, for listings by organisation.
    organisation_id text,
    before          jsonb,
    after           jsonb,
    trace_id        text,
    request_id      text
);

-- Every listing is newest first, keyset on (at, id).
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_subject ON audit_log (subject_id, at DESC, id DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_subject, at DESC, id DESC);
CREATE INDEX audit_log_organisation ON audit_log (organisation_id, at DESC, id DESC)
    WHERE organisation_id IS NOT NULL;

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'audit records can be added and read, never changed or removed';
END
$$;

-- Statement-level, so that a statement is refused even when it matches no
-- row, and so that INSERT … ON CONFLICT DO UPDATE is refused too.
CREATE TRIGGER audit_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- TRUNCATE fires no row triggers; it has triggers of its own.
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

---- create above / drop below ----

DROP TABLE audit_log;
DROP FUNCTION audit_log_refuse_change();
