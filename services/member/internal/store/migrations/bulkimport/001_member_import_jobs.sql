-- Bulk imports of rosters too large for one call (MemberImportService):
-- a job receives its file in chunks, each batch of rows copied into the
-- staging table with the offset reached, then registers the staged rows
-- set-based, batch by batch, keeping the outcome of each row.
CREATE TABLE member_import_jobs (
    id               uuid PRIMARY KEY,
    request_id       text UNIQUE,
    organisation_id  uuid,
    -- scope_id is the root of the creator's scope, the organisation that
    -- rows must lie under (NULL for the whole city).
    scope_id         uuid,
    state            text NOT NULL CHECK (state IN ('RECEIVING', 'REGISTERING', 'DONE', 'FAILED')),
    error            text NOT NULL DEFAULT '',
    -- What reading the file has learnt: its encoding, its header, the
    -- bytes taken (to the end of the last row staged) and the line they
    -- end on.
    encoding         text NOT NULL DEFAULT '',
    header           text[],
    received_bytes   bigint NOT NULL DEFAULT 0,
    received_lines   bigint NOT NULL DEFAULT 0,
    rows_received    bigint NOT NULL DEFAULT 0,
    rows_checked     bigint NOT NULL DEFAULT 0,
    rows_registered  bigint NOT NULL DEFAULT 0,
    rows_already     bigint NOT NULL DEFAULT 0,
    rows_refused     bigint NOT NULL DEFAULT 0,
    -- registered_through is the last staged row (seq) registered.
    registered_through bigint NOT NULL DEFAULT 0,
    duplicates_marked  boolean NOT NULL DEFAULT false,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);

-- The rows of a job as read and checked on their own, ID numbers sealed
-- and hashed, waiting to be registered; then their outcome. Unlogged:
-- copied at the speed of the disk without its log. A crash of the
-- database empties it; a job whose rows are gone starts its file again
-- (see the store), and rows already registered are found registered.
CREATE UNLOGGED TABLE member_import_rows (
    job_id             uuid NOT NULL,
    seq                bigint NOT NULL,
    line               bigint NOT NULL,
    id                 uuid NOT NULL,
    name               text NOT NULL,
    sex                text NOT NULL,
    birth_date         date,
    national_id_sealed text NOT NULL,
    national_id_hash   bytea,
    phone              text NOT NULL,
    education          text NOT NULL,
    join_date          date,
    status             text NOT NULL,
    employment_status  text NOT NULL,
    employer           text NOT NULL,
    residence          jsonb NOT NULL,
    organisation_id    uuid,
    skills             text[] NOT NULL,
    hardship           boolean NOT NULL,
    category_code      text NOT NULL,
    category_name      text NOT NULL,
    problems           jsonb NOT NULL DEFAULT '[]',
    outcome            text,
    member_id          uuid,
    PRIMARY KEY (job_id, seq)
);
