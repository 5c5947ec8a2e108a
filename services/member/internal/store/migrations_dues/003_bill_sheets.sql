-- Bills kept as sheets: a generation writes, for each organisation it
-- bills, one row holding that month's lines as parallel arrays (the
-- branch's page of the 党费收缴台账), instead of one row per member and
-- month. A year of a city of 1,000,000 members is then some 240,000 rows
-- rather than 10,000,000, each with two index entries rather than four: no
-- design that keeps a row and a unique key per line writes a year in under
-- a minute on the machines the platform runs on (README, "Figures
-- measured").
--
-- A line's bill id is its sheet's id with the line's number (from 1) in
-- its last three bytes: sheet ids end in 000000, so a bill is found by
-- its sheet's key and its place, with no index of lines. One bill per
-- member and month holds because generations of a month take that
-- month's lock and skip the members already on a sheet of it.

CREATE FUNCTION dues_bill_id(sheet uuid, line bigint) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (left(sheet::text, 30) || lpad(to_hex(line), 6, '0'))::uuid
$$;

CREATE FUNCTION dues_sheet_of(bill uuid) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (left(bill::text, 30) || '000000')::uuid
$$;

CREATE TABLE dues_sheets (
    id                 uuid PRIMARY KEY CHECK (right(id::text, 6) = '000000'),
    organisation_id    uuid NOT NULL,
    month              date NOT NULL CHECK (extract(day FROM month) = 1),
    batch_id           uuid NOT NULL,
    settings_version   bigint NOT NULL,
    created_at         timestamptz NOT NULL,
    -- owing counts the lines whose payments fall short of their amount,
    -- kept by the transaction that records their payments: arrears read
    -- only the sheets with some.
    owing              int NOT NULL CHECK (owing >= 0),
    member_ids         uuid[] NOT NULL,
    amount_fen         bigint[] NOT NULL,
    band_kind          text[] NOT NULL,
    rate_basis_points  bigint[] NOT NULL,
    monthly_income_fen bigint[] NOT NULL,
    declaration_ids    uuid[] NOT NULL,
    exemption_ids      uuid[] NOT NULL,
    CHECK (cardinality(member_ids) BETWEEN 1 AND 16777215
        AND cardinality(amount_fen) = cardinality(member_ids) AND cardinality(band_kind) = cardinality(member_ids)
        AND cardinality(rate_basis_points) = cardinality(member_ids)
        AND cardinality(monthly_income_fen) = cardinality(member_ids)
        AND cardinality(declaration_ids) = cardinality(member_ids) AND cardinality(exemption_ids) = cardinality(member_ids))
);

CREATE INDEX dues_sheets_ledger ON dues_sheets (organisation_id, month);
CREATE INDEX dues_sheets_owing ON dues_sheets (organisation_id) WHERE owing > 0;

CREATE TRIGGER dues_sheets_lines_fixed BEFORE UPDATE OF id, organisation_id, month, member_ids, amount_fen, band_kind,
    rate_basis_points, monthly_income_fen, declaration_ids, exemption_ids OR DELETE ON dues_sheets
    FOR EACH ROW EXECUTE FUNCTION dues_append_only();

-- The bills already made move onto sheets, one per organisation, month
-- and generation, their lines in the order of their members' ids; the
-- payments against them name their new ids.
CREATE TABLE dues_sheets_moved AS
    SELECT organisation_id, month, batch_id, dues_sheet_of(gen_random_uuid()) AS id
    FROM dues_bills GROUP BY organisation_id, month, batch_id;

INSERT INTO dues_sheets (id, organisation_id, month, batch_id, settings_version, created_at, owing, member_ids, amount_fen,
        band_kind, rate_basis_points, monthly_income_fen, declaration_ids, exemption_ids)
    SELECT s.id, s.organisation_id, s.month, s.batch_id, min(b.settings_version), min(b.created_at),
        count(*) FILTER (WHERE b.paid_fen < b.amount_fen), array_agg(b.member_id ORDER BY b.member_id),
        array_agg(b.amount_fen ORDER BY b.member_id), array_agg(b.band_kind ORDER BY b.member_id),
        array_agg(b.rate_basis_points ORDER BY b.member_id), array_agg(b.monthly_income_fen ORDER BY b.member_id),
        array_agg(b.declaration_id ORDER BY b.member_id), array_agg(b.exemption_id ORDER BY b.member_id)
    FROM dues_bills b JOIN dues_sheets_moved s USING (organisation_id, month, batch_id)
    GROUP BY s.id, s.organisation_id, s.month, s.batch_id;

ALTER TABLE dues_payments DROP CONSTRAINT dues_payments_bill_id_fkey;
ALTER TABLE dues_payments DISABLE TRIGGER dues_payments_append_only;
UPDATE dues_payments p SET bill_id = n.new_id
    FROM (SELECT b.id AS old_id, dues_bill_id(s.id, row_number() OVER (PARTITION BY s.id ORDER BY b.member_id)) AS new_id
        FROM dues_bills b JOIN dues_sheets_moved s USING (organisation_id, month, batch_id)) n
    WHERE p.bill_id = n.old_id;
ALTER TABLE dues_payments ENABLE TRIGGER dues_payments_append_only;

DROP TABLE dues_sheets_moved;
DROP TABLE dues_bills;

-- dues_bills reads the sheets as one row per line, with what has been
-- paid against it (payments, less refunds and corrections). Filters on
-- the organisation and the month reach the sheets' index.
CREATE VIEW dues_bills AS
    SELECT dues_bill_id(s.id, l.line) AS id, s.id AS sheet_id, l.line, l.member_id, s.month, s.organisation_id,
        l.amount_fen, (SELECT coalesce(sum(p.amount_fen), 0) FROM dues_payments p
            WHERE p.bill_id = dues_bill_id(s.id, l.line))::bigint AS paid_fen,
        l.band_kind, l.rate_basis_points, l.monthly_income_fen, l.declaration_id, l.exemption_id, s.settings_version,
        s.batch_id, s.created_at, s.owing AS sheet_owing
    FROM dues_sheets s CROSS JOIN LATERAL unnest(s.member_ids, s.amount_fen, s.band_kind, s.rate_basis_points,
        s.monthly_income_fen, s.declaration_ids, s.exemption_ids) WITH ORDINALITY
        AS l (member_id, amount_fen, band_kind, rate_basis_points, monthly_income_fen, declaration_id, exemption_id, line);

-- Each member's latest declaration (by the month it takes effect, then
-- when it was made) is kept on the member's row, by a trigger on every
-- statement that records declarations: for every month from its own on
-- it is the one in force, so a month's generation reads it with the
-- member's row instead of looking up each member's declarations. Months
-- before it look them up.
ALTER TABLE members ADD COLUMN dues_declaration_id uuid,
    ADD COLUMN dues_declared_from date,
    ADD COLUMN dues_income_fen bigint,
    ADD COLUMN dues_employment_status text,
    ADD COLUMN dues_minimum_allowance boolean;

UPDATE members m SET dues_declaration_id = d.id, dues_declared_from = d.effective_month,
        dues_income_fen = d.monthly_income_fen, dues_employment_status = d.employment_status,
        dues_minimum_allowance = d.minimum_living_allowance
    FROM (SELECT DISTINCT ON (member_id) * FROM dues_declarations
        ORDER BY member_id, effective_month DESC, declared_at DESC) d
    WHERE d.member_id = m.id;

CREATE FUNCTION dues_keep_declarations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE members m SET dues_declaration_id = d.id, dues_declared_from = d.effective_month,
            dues_income_fen = d.monthly_income_fen, dues_employment_status = d.employment_status,
            dues_minimum_allowance = d.minimum_living_allowance
        FROM (SELECT DISTINCT ON (x.member_id) x.* FROM dues_declarations x
            WHERE x.member_id IN (SELECT member_id FROM declared)
            ORDER BY x.member_id, x.effective_month DESC, x.declared_at DESC) d
        WHERE m.id = d.member_id AND m.dues_declaration_id IS DISTINCT FROM d.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER dues_declarations_kept AFTER INSERT ON dues_declarations
    REFERENCING NEW TABLE AS declared FOR EACH STATEMENT EXECUTE FUNCTION dues_keep_declarations();
