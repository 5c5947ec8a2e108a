-- The party dues ledger (DOMAIN §5): income declarations, hardship
-- exemptions, monthly bills and the payments against them. Money is
-- integer fen. Declarations, exemptions and payments are history: rows are
-- appended, never changed or removed (a new declaration supersedes, a
-- refund or a correction is a new entry). A month is its first day.

CREATE FUNCTION dues_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is history: rows are never changed or removed', TG_TABLE_NAME;
END
$$;

-- A member's declared monthly income and employment status, in force from
-- effective_month until a later declaration's.
CREATE TABLE dues_declarations (
    id                       uuid PRIMARY KEY,
    member_id                uuid NOT NULL REFERENCES members (id),
    organisation_id          uuid NOT NULL,
    effective_month          date NOT NULL CHECK (extract(day FROM effective_month) = 1),
    monthly_income_fen       bigint NOT NULL CHECK (monthly_income_fen >= 0),
    employment_status        text NOT NULL,
    minimum_living_allowance boolean NOT NULL DEFAULT false,
    note                     text NOT NULL DEFAULT '',
    declared_by              text NOT NULL,
    declared_at              timestamptz NOT NULL
);

CREATE INDEX dues_declarations_in_force ON dues_declarations (member_id, effective_month DESC, declared_at DESC);

CREATE TRIGGER dues_declarations_append_only BEFORE UPDATE OR DELETE ON dues_declarations
    FOR EACH ROW EXECUTE FUNCTION dues_append_only();

-- Hardship exemptions (减免): the months from_month to to_month (open when
-- null) are billed nothing, with who decided and why.
CREATE TABLE dues_exemptions (
    id              uuid PRIMARY KEY,
    member_id       uuid NOT NULL REFERENCES members (id),
    organisation_id uuid NOT NULL,
    from_month      date NOT NULL CHECK (extract(day FROM from_month) = 1),
    to_month        date CHECK (to_month IS NULL OR to_month >= from_month),
    reason          text NOT NULL CHECK (reason <> ''),
    decided_by      text NOT NULL CHECK (decided_by <> ''),
    recorded_by     text NOT NULL,
    recorded_at     timestamptz NOT NULL
);

CREATE INDEX dues_exemptions_by_member ON dues_exemptions (member_id, from_month);

CREATE TRIGGER dues_exemptions_append_only BEFORE UPDATE OR DELETE ON dues_exemptions
    FOR EACH ROW EXECUTE FUNCTION dues_append_only();

-- One bill line per member and month, whichever branch generated it:
-- generating a month again, or a receiving branch generating a month the
-- sending one billed, inserts nothing (ON CONFLICT DO NOTHING). paid_fen is
-- the sum of the bill's payment entries, kept in the transaction that
-- appends them.
CREATE TABLE dues_bills (
    id                 uuid PRIMARY KEY,
    member_id          uuid NOT NULL REFERENCES members (id),
    month              date NOT NULL CHECK (extract(day FROM month) = 1),
    organisation_id    uuid NOT NULL,
    amount_fen         bigint NOT NULL CHECK (amount_fen >= 0),
    paid_fen           bigint NOT NULL DEFAULT 0 CHECK (paid_fen >= 0 AND paid_fen <= amount_fen),
    band_kind          text NOT NULL,
    rate_basis_points  bigint NOT NULL DEFAULT 0,
    monthly_income_fen bigint NOT NULL DEFAULT 0,
    declaration_id     uuid REFERENCES dues_declarations (id),
    exemption_id       uuid REFERENCES dues_exemptions (id),
    settings_version   bigint NOT NULL,
    batch_id           uuid NOT NULL,
    created_at         timestamptz NOT NULL,
    CONSTRAINT dues_bills_one_per_month UNIQUE (member_id, month)
);

CREATE INDEX dues_bills_ledger ON dues_bills (organisation_id, month, member_id);
CREATE INDEX dues_bills_unpaid ON dues_bills (organisation_id, member_id, month) WHERE paid_fen < amount_fen;

-- The entries against bills: payments (cash, bank transfer, paid on behalf
-- by the branch), refunds and corrections, each reversing one earlier
-- entry once (reverses). amount_fen is signed: payments positive, their
-- reversals negative. receipt_id groups the entries one call recorded.
CREATE TABLE dues_payments (
    id              uuid PRIMARY KEY,
    receipt_id      uuid NOT NULL,
    bill_id         uuid NOT NULL REFERENCES dues_bills (id),
    member_id       uuid NOT NULL REFERENCES members (id),
    organisation_id uuid NOT NULL,
    month           date NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('PAYMENT', 'REFUND', 'CORRECTION')),
    method          text NOT NULL CHECK (method IN ('CASH', 'BANK_TRANSFER', 'ON_BEHALF')),
    amount_fen      bigint NOT NULL CHECK (amount_fen <> 0),
    paid_on         date NOT NULL,
    receipt_number  text NOT NULL DEFAULT '',
    reverses        uuid UNIQUE REFERENCES dues_payments (id),
    reason          text NOT NULL DEFAULT '',
    recorded_by     text NOT NULL,
    recorded_at     timestamptz NOT NULL,
    CHECK ((kind = 'PAYMENT') = (reverses IS NULL)),
    CHECK ((kind = 'PAYMENT') = (amount_fen > 0))
);

-- A member's payments by date: the statement, and the last payment that
-- lost contact (失联) is computed from.
CREATE INDEX dues_payments_by_member ON dues_payments (member_id, paid_on);
CREATE INDEX dues_payments_by_bill ON dues_payments (bill_id);
CREATE INDEX dues_payments_by_receipt ON dues_payments (receipt_id);

CREATE TRIGGER dues_payments_append_only BEFORE UPDATE OR DELETE ON dues_payments
    FOR EACH ROW EXECUTE FUNCTION dues_append_only();

-- dues_last_paid_on is the day of a member's last payment that stands
-- (not refunded or corrected away), null when there is none.
CREATE FUNCTION dues_last_paid_on(member uuid) RETURNS date LANGUAGE sql STABLE AS $$
    SELECT max(p.paid_on) FROM dues_payments p
    WHERE p.member_id = member AND p.kind = 'PAYMENT'
        AND NOT EXISTS (SELECT 1 FROM dues_payments r WHERE r.reverses = p.id)
$$;

-- The month a transfer's letter says the member's dues are paid up to,
-- computed when the letter is released; null when the member had no bill.
ALTER TABLE transfers ADD COLUMN dues_paid_up_to date;
