package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/dues"
)

// The dues ledger in PostgreSQL (migrations_dues).

const declarationColumns = `id::text, member_id::text, organisation_id::text, effective_month, monthly_income_fen,
	employment_status, minimum_living_allowance, note, declared_by, declared_at`

func scanDeclaration(row pgx.Row) (dues.Declaration, error) {
	var d dues.Declaration
	err := row.Scan(&d.ID, &d.MemberID, &d.OrganisationID, &d.EffectiveMonth, &d.MonthlyIncomeFen, &d.EmploymentStatus,
		&d.MinimumLivingAllowance, &d.Note, &d.DeclaredBy, &d.Declared)
	d.Declared = d.Declared.UTC()
	return d, err
}

// InsertDeclaration implements dues.LedgerTx.
func (t *txStore) InsertDeclaration(ctx context.Context, d *dues.Declaration) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO dues_declarations (`+columnNames(declarationColumns)+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, d.ID, d.MemberID, d.OrganisationID, d.EffectiveMonth,
		d.MonthlyIncomeFen, d.EmploymentStatus, d.MinimumLivingAllowance, d.Note, d.DeclaredBy, d.Declared)
	return err
}

// Declaration implements dues.LedgerTx.
func (t *txStore) Declaration(ctx context.Context, id string) (*dues.Declaration, error) {
	d, err := scanDeclaration(t.tx.QueryRow(ctx, `SELECT `+declarationColumns+` FROM dues_declarations WHERE id = $1`, id))
	return &d, interpretError(err, dues.ErrBillNotFound)
}

const exemptionColumns = `id::text, member_id::text, organisation_id::text, from_month, to_month, reason, decided_by,
	recorded_by, recorded_at`

func scanExemption(row pgx.Row) (dues.Exemption, error) {
	var (
		e  dues.Exemption
		to *time.Time
	)
	err := row.Scan(&e.ID, &e.MemberID, &e.OrganisationID, &e.From, &to, &e.Reason, &e.DecidedBy, &e.RecordedBy, &e.Recorded)
	e.To, e.Recorded = utc(to), e.Recorded.UTC()
	return e, err
}

// InsertExemption implements dues.LedgerTx.
func (t *txStore) InsertExemption(ctx context.Context, e *dues.Exemption) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO dues_exemptions (`+columnNames(exemptionColumns)+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, e.ID, e.MemberID, e.OrganisationID, e.From, nullableTime(e.To),
		e.Reason, e.DecidedBy, e.RecordedBy, e.Recorded)
	return err
}

// Exemption implements dues.LedgerTx.
func (t *txStore) Exemption(ctx context.Context, id string) (*dues.Exemption, error) {
	e, err := scanExemption(t.tx.QueryRow(ctx, `SELECT `+exemptionColumns+` FROM dues_exemptions WHERE id = $1`, id))
	return &e, interpretError(err, dues.ErrBillNotFound)
}

// columnNames are the bare names of a column list written for SELECT.
func columnNames(cols string) string {
	out := []byte{}
	for i := 0; i < len(cols); i++ {
		if cols[i] == ':' && i+1 < len(cols) && cols[i+1] == ':' {
			for i < len(cols) && cols[i] != ',' {
				i++
			}
			if i < len(cols) {
				out = append(out, ',')
			}
			continue
		}
		out = append(out, cols[i])
	}
	return string(out)
}

// duesFrom is the first month the receiving branch of completed transfer t
// bills: the month after the dues its letter says were paid up to, or,
// when the member had no bill, the month after the one it completed in
// ($3 is the city's time zone).
const duesFrom = `coalesce((t.dues_paid_up_to + interval '1 month')::date,
	(date_trunc('month', t.updated_at AT TIME ZONE $3) + interval '1 month')::date)`

// billCandidatesSQL finds the members organisation $1 bills for month $2
// who have no bill for it — or, when $4, every organisation of the
// subtree under $1 that holds memberships — those whose relationship sat
// in it that month by the completed transfers inside the city: the
// receiving branch of the latest transfer whose first billed month has
// come, else the sending branch of the earliest one whose has not, else
// where the relationship sits. They are members that month (joined by its
// end, not left before it), each with the organisation billing, the
// declaration and the exemption in force. The three ways a member belongs
// are a UNION, not an OR, so that each reads its own index (the branch's,
// the subtree's path range, the transfers') instead of every member of the
// city; and the organisation billing each is computed once (b is
// materialised) before it is matched against the subtree, not once per
// pair of member and organisation.
const billCandidatesSQL = `WITH mon AS (SELECT $2::date AS m, ($2::date + interval '1 month')::date AS nxt),
	r AS (SELECT path FROM orgs WHERE id = $1),
	s AS (SELECT o.id FROM orgs o, r WHERE o.id = $1 OR ($4 AND o.path >= r.path AND o.path < r.path || '~')),
	c AS (SELECT u.id, u.name, u.employment_status, u.organisation_id FROM mon, (
			SELECT m.id, m.name, m.employment_status, m.organisation_id, m.join_date, m.left_date
				FROM members m WHERE m.organisation_id = $1
			UNION
			SELECT m.id, m.name, m.employment_status, m.organisation_id, m.join_date, m.left_date
				FROM members m WHERE $4 AND m.path >= (SELECT path FROM r) AND m.path < (SELECT path FROM r) || '~'
			UNION
			SELECT m.id, m.name, m.employment_status, m.organisation_id, m.join_date, m.left_date
				FROM members m WHERE m.id IN (SELECT member_id FROM transfers WHERE state = 'COMPLETED'
					AND (from_organisation_id IN (SELECT id FROM s) OR to_organisation_id IN (SELECT id FROM s)))) u
		WHERE u.join_date < mon.nxt AND (u.left_date IS NULL OR u.left_date >= mon.m)),
	b AS MATERIALIZED (SELECT c.*, coalesce(
			(SELECT t.to_organisation_id FROM transfers t WHERE t.member_id = c.id AND t.state = 'COMPLETED'
				AND t.to_organisation_id IS NOT NULL AND ` + duesFrom + ` <= mon.m ORDER BY t.updated_at DESC LIMIT 1),
			(SELECT t.from_organisation_id FROM transfers t WHERE t.member_id = c.id AND t.state = 'COMPLETED'
				AND t.to_organisation_id IS NOT NULL AND ` + duesFrom + ` > mon.m ORDER BY t.updated_at LIMIT 1),
			c.organisation_id) AS billing
		FROM c, mon)
	SELECT b.id::text, b.name, b.employment_status, b.billing::text, coalesce(d.id::text, ''),
		coalesce(d.effective_month, mon.m), coalesce(d.monthly_income_fen, 0), coalesce(d.employment_status, ''),
		coalesce(d.minimum_living_allowance, false), coalesce(e.id::text, '')
	FROM b CROSS JOIN mon
	LEFT JOIN LATERAL (SELECT * FROM dues_declarations d WHERE d.member_id = b.id AND d.effective_month <= mon.m
		ORDER BY d.effective_month DESC, d.declared_at DESC LIMIT 1) d ON true
	LEFT JOIN LATERAL (SELECT e.id FROM dues_exemptions e WHERE e.member_id = b.id AND e.from_month <= mon.m
		AND (e.to_month IS NULL OR e.to_month >= mon.m) ORDER BY e.recorded_at DESC LIMIT 1) e ON true
	WHERE b.billing IN (SELECT id FROM s)
		AND NOT EXISTS (SELECT 1 FROM dues_bills x WHERE x.member_id = b.id AND x.month = mon.m)
	ORDER BY b.billing, b.id`

// BillCandidates implements dues.LedgerTx.
func (t *txStore) BillCandidates(ctx context.Context, orgID string, subtree bool, month time.Time, loc *time.Location) ([]dues.Candidate, error) {
	rows, err := t.tx.Query(ctx, billCandidatesSQL, orgID, month, loc.String(), subtree)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (dues.Candidate, error) {
		var (
			c dues.Candidate
			d dues.Declaration
		)
		err := r.Scan(&c.MemberID, &c.MemberName, &c.EmploymentStatus, &c.OrganisationID, &d.ID, &d.EffectiveMonth,
			&d.MonthlyIncomeFen, &d.EmploymentStatus, &d.MinimumLivingAllowance, &c.ExemptionID)
		if d.ID != "" {
			d.MemberID = c.MemberID
			c.Declaration = &d
		}
		return c, err
	})
}

// InsertBills implements dues.LedgerTx: one statement over arrays, which
// skips the members already billed for the month.
func (t *txStore) InsertBills(ctx context.Context, b *dues.Batch) error {
	n := len(b.Bills)
	ids, members, kinds, decls, exs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	orgs := make([]string, n)
	amounts, rates, incomes := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, l := range b.Bills {
		ids[i], members[i], kinds[i], decls[i], exs[i] = l.ID, l.MemberID, l.Kind, l.DeclarationID, l.ExemptionID
		orgs[i] = l.OrganisationID
		amounts[i], rates[i], incomes[i] = l.AmountFen, l.RateBP, l.IncomeFen
	}
	rows, err := t.tx.Query(ctx, `INSERT INTO dues_bills (id, member_id, month, organisation_id, amount_fen, band_kind,
			rate_basis_points, monthly_income_fen, declaration_id, exemption_id, settings_version, batch_id, created_at)
		SELECT u.id, u.member_id, $9, u.org, u.amount, u.kind, u.rate, u.income, nullif(u.decl, '')::uuid,
			nullif(u.ex, '')::uuid, $10, $11, $12
		FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::text[],
			$13::uuid[]) AS u (id, member_id, amount, kind, rate, income, decl, ex, org)
		ON CONFLICT (member_id, month) DO NOTHING RETURNING id::text`,
		ids, members, amounts, kinds, rates, incomes, decls, exs, b.Month, b.SettingsVersion, b.ID, b.At, orgs)
	if err != nil {
		return err
	}
	written, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, id := range written {
		kept[id] = true
	}
	out := b.Bills[:0]
	for _, l := range b.Bills {
		if kept[l.ID] {
			out = append(out, l)
		}
	}
	b.Bills = out
	return nil
}

const billColumns = `b.id::text, b.member_id::text, m.name, b.organisation_id::text, b.month, b.amount_fen, b.paid_fen,
	b.band_kind, b.rate_basis_points, b.monthly_income_fen, coalesce(b.declaration_id::text, ''),
	coalesce(b.exemption_id::text, ''), b.settings_version, b.batch_id::text, b.created_at`

func scanBill(r pgx.Row) (dues.Bill, error) {
	var b dues.Bill
	err := r.Scan(&b.ID, &b.MemberID, &b.MemberName, &b.OrganisationID, &b.Month, &b.AmountFen, &b.PaidFen, &b.Kind,
		&b.RateBP, &b.IncomeFen, &b.DeclarationID, &b.ExemptionID, &b.SettingsVersion, &b.BatchID, &b.Created)
	b.Created = b.Created.UTC()
	return b, err
}

// LockBills implements dues.LedgerTx.
func (t *txStore) LockBills(ctx context.Context, ids []string) (map[string]*dues.Bill, error) {
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if uuid.Validate(id) == nil {
			valid = append(valid, id)
		}
	}
	rows, err := t.tx.Query(ctx, `SELECT `+billColumns+` FROM dues_bills b JOIN members m ON m.id = b.member_id
		WHERE b.id = ANY($1::uuid[]) ORDER BY b.id FOR UPDATE OF b`, valid)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (dues.Bill, error) { return scanBill(r) })
	out := make(map[string]*dues.Bill, len(list))
	for i := range list {
		out[list[i].ID] = &list[i]
	}
	return out, err
}

const payEntryColumns = `id::text, receipt_id::text, bill_id::text, member_id::text, organisation_id::text, month, kind,
	method, amount_fen, paid_on, receipt_number, coalesce(reverses::text, ''), reason, recorded_by, recorded_at`

func scanPayEntry(r pgx.Row) (dues.Entry, error) {
	var e dues.Entry
	err := r.Scan(&e.ID, &e.ReceiptID, &e.BillID, &e.MemberID, &e.OrganisationID, &e.Month, &e.Kind, &e.Method,
		&e.AmountFen, &e.PaidOn, &e.ReceiptNumber, &e.Reverses, &e.Reason, &e.RecordedBy, &e.Recorded)
	e.Recorded = e.Recorded.UTC()
	return e, err
}

func collectEntries(rows pgx.Rows, err error) ([]dues.Entry, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (dues.Entry, error) { return scanPayEntry(r) })
}

// LockEntry implements dues.LedgerTx.
func (t *txStore) LockEntry(ctx context.Context, id string) (*dues.Entry, error) {
	if uuid.Validate(id) != nil {
		return nil, dues.ErrBillNotFound
	}
	e, err := scanPayEntry(t.tx.QueryRow(ctx, `SELECT `+payEntryColumns+` FROM dues_payments WHERE id = $1 FOR UPDATE`, id))
	if err != nil {
		return nil, interpretError(err, dues.ErrBillNotFound)
	}
	return &e, nil
}

// Reversed implements dues.LedgerTx.
func (t *txStore) Reversed(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM dues_payments WHERE reverses = $1)`, id).Scan(&ok)
	return ok, err
}

// InsertEntries implements dues.LedgerTx: the entries and their bills'
// new paid amounts in one statement.
func (t *txStore) InsertEntries(ctx context.Context, es []dues.Entry) error {
	n := len(es)
	ids, receipts, bills, members, orgs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	kinds, methods, numbers, reverses, reasons, by := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n)
	months, days, at := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	amounts := make([]int64, n)
	for i, e := range es {
		ids[i], receipts[i], bills[i], members[i], orgs[i] = e.ID, e.ReceiptID, e.BillID, e.MemberID, e.OrganisationID
		kinds[i], methods[i], numbers[i], reverses[i], reasons[i], by[i] = e.Kind, e.Method, e.ReceiptNumber, e.Reverses, e.Reason, e.RecordedBy
		months[i], days[i], at[i], amounts[i] = e.Month, e.PaidOn, e.Recorded, e.AmountFen
	}
	_, err := t.tx.Exec(ctx, `WITH e AS (
			INSERT INTO dues_payments (id, receipt_id, bill_id, member_id, organisation_id, month, kind, method,
				amount_fen, paid_on, receipt_number, reverses, reason, recorded_by, recorded_at)
			SELECT u.id, u.receipt, u.bill, u.member, u.org, u.month, u.kind, u.method, u.amount, u.day, u.number,
				nullif(u.rev, '')::uuid, u.reason, u.by, u.at
			FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::date[], $7::text[], $8::text[],
				$9::bigint[], $10::date[], $11::text[], $12::text[], $13::text[], $14::text[], $15::timestamptz[])
				AS u (id, receipt, bill, member, org, month, kind, method, amount, day, number, rev, reason, by, at)
			RETURNING bill_id, amount_fen)
		UPDATE dues_bills b SET paid_fen = b.paid_fen + s.amount
		FROM (SELECT bill_id, sum(amount_fen) AS amount FROM e GROUP BY bill_id) s WHERE b.id = s.bill_id`,
		ids, receipts, bills, members, orgs, months, kinds, methods, amounts, days, numbers, reverses, reasons, by, at)
	if pgdb.IsUniqueViolation(err, "dues_payments_reverses_key") {
		return dues.ErrReversed
	}
	return err
}

// Receipt implements dues.LedgerTx.
func (t *txStore) Receipt(ctx context.Context, receiptID string) ([]dues.Entry, error) {
	return collectEntries(t.tx.Query(ctx, `SELECT `+payEntryColumns+` FROM dues_payments WHERE receipt_id = $1
		ORDER BY kind = 'PAYMENT', id`, receiptID))
}

const paidUpToSQL = `SELECT coalesce(
	(SELECT (min(month) - interval '1 month')::date FROM dues_bills WHERE member_id = $1 AND paid_fen < amount_fen),
	(SELECT max(month) FROM dues_bills WHERE member_id = $1))`

// PaidUpTo implements dues.LedgerTx.
func (t *txStore) PaidUpTo(ctx context.Context, memberID string) (time.Time, error) {
	var m *time.Time
	err := t.tx.QueryRow(ctx, paidUpToSQL, memberID).Scan(&m)
	return utc(m), err
}

// DuesPaidUpTo implements transfer.Tx: the month a letter says the
// member's dues are paid up to.
func (t *txStore) DuesPaidUpTo(ctx context.Context, memberID string) (time.Time, error) {
	return t.PaidUpTo(ctx, memberID)
}

// ListBills implements dues.LedgerStore: a branch's bill lines of a month
// in the order of their members' ids.
func (s *Store) ListBills(ctx context.Context, f dues.BillFilter) ([]dues.Bill, string, error) {
	if uuid.Validate(f.OrganisationID) != nil {
		return nil, "", nil
	}
	after, err := page.After(f.Page.Token, idKey{ID: uuid.Nil.String()})
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+billColumns+` FROM dues_bills b JOIN members m ON m.id = b.member_id
		WHERE b.organisation_id = $1 AND b.month = $2 AND b.member_id > $3 ORDER BY b.member_id LIMIT $4`,
		f.OrganisationID, f.Month, after.ID, f.Page.Size+1)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (dues.Bill, error) { return scanBill(r) })
	if err != nil {
		return nil, "", fmt.Errorf("dues bills: %w", err)
	}
	list, next := page.Cut(list, f.Page.Size, func(b dues.Bill) any { return idKey{ID: b.MemberID} })
	return list, next, nil
}

// arrearsSQL lists the members who owe, grouped from the unpaid bills of
// the branch $1 (or of every organisation of its subtree when $2), in
// (organisation path, member) order from the page's key ($3, $4).
const arrearsSQL = `WITH r AS (SELECT path FROM orgs WHERE id = $1),
	o AS (SELECT o.id, o.path FROM orgs o, r WHERE o.id = $1 OR ($2 AND o.path >= r.path AND o.path < r.path || '~'))
	SELECT o.path, b.member_id::text, m.name, b.organisation_id::text, array_agg(b.month ORDER BY b.month),
		sum(b.amount_fen - b.paid_fen)::bigint
	FROM o JOIN dues_bills b ON b.organisation_id = o.id AND b.paid_fen < b.amount_fen
	JOIN members m ON m.id = b.member_id
	WHERE (o.path, b.member_id) > ($3, $4::uuid)
	GROUP BY o.path, b.member_id, m.name, b.organisation_id
	ORDER BY o.path, b.member_id LIMIT $5`

// ListArrears implements dues.LedgerStore.
func (s *Store) ListArrears(ctx context.Context, f dues.ArrearsFilter) ([]dues.Arrears, string, error) {
	if uuid.Validate(f.OrganisationID) != nil {
		return nil, "", nil
	}
	after, err := page.After(f.Page.Token, pathKey{ID: uuid.Nil.String()})
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, arrearsSQL, f.OrganisationID, f.Subtree, after.Path, after.ID, f.Page.Size+1)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (dues.Arrears, error) {
		var a dues.Arrears
		err := r.Scan(&a.Path, &a.MemberID, &a.MemberName, &a.OrganisationID, &a.Months, &a.OwedFen)
		return a, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("dues arrears: %w", err)
	}
	list, next := page.Cut(list, f.Page.Size, func(a dues.Arrears) any { return pathKey{Path: a.Path, ID: a.MemberID} })
	return list, next, nil
}

// Statement implements dues.LedgerStore: one round trip for the year's
// bills, entries, declarations and exemptions, and the member's paid-up
// month and last payment.
func (s *Store) Statement(ctx context.Context, st *dues.Statement) error {
	from := time.Date(st.Year, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	id := st.Member.ID
	b := &pgx.Batch{}
	b.Queue(`SELECT `+billColumns+` FROM dues_bills b JOIN members m ON m.id = b.member_id
		WHERE b.member_id = $1 AND b.month >= $2 AND b.month < $3 ORDER BY b.month`, id, from, to).Query(func(rows pgx.Rows) error {
		var err error
		st.Bills, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (dues.Bill, error) { return scanBill(r) })
		return err
	})
	b.Queue(`SELECT `+payEntryColumns+` FROM dues_payments WHERE member_id = $1 AND month >= $2 AND month < $3
		ORDER BY month, id`, id, from, to).Query(func(rows pgx.Rows) error {
		var err error
		st.Entries, err = collectEntries(rows, nil)
		return err
	})
	// The declarations of the year, and the one in force when it began.
	b.Queue(`(SELECT `+declarationColumns+` FROM dues_declarations WHERE member_id = $1 AND effective_month < $2
			ORDER BY effective_month DESC, declared_at DESC LIMIT 1)
		UNION ALL (SELECT `+declarationColumns+` FROM dues_declarations WHERE member_id = $1 AND effective_month >= $2
			AND effective_month < $3 ORDER BY effective_month, declared_at)`, id, from, to).Query(func(rows pgx.Rows) error {
		var err error
		st.Declarations, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (dues.Declaration, error) { return scanDeclaration(r) })
		return err
	})
	b.Queue(`SELECT `+exemptionColumns+` FROM dues_exemptions WHERE member_id = $1 AND from_month < $3
		AND (to_month IS NULL OR to_month >= $2) ORDER BY from_month, recorded_at`, id, from, to).Query(func(rows pgx.Rows) error {
		var err error
		st.Exemptions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (dues.Exemption, error) { return scanExemption(r) })
		return err
	})
	var upTo, last *time.Time
	b.Queue(paidUpToSQL, id).QueryRow(func(r pgx.Row) error { return r.Scan(&upTo) })
	b.Queue(`SELECT dues_last_paid_on($1)`, id).QueryRow(func(r pgx.Row) error { return r.Scan(&last) })
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	st.PaidUpTo, st.LastPaidOn = utc(upTo), utc(last)
	return nil
}

// LastDuesPaidOn is the day of a member's last payment that stands (zero
// when none): what lost contact (失联) is computed from. It reads
// dues_last_paid_on, served by dues_payments_by_member (member_id, paid_on).
func (s *Store) LastDuesPaidOn(ctx context.Context, memberID string) (time.Time, error) {
	var d *time.Time
	err := s.pool.QueryRow(ctx, `SELECT dues_last_paid_on($1)`, memberID).Scan(&d)
	return utc(d), err
}
