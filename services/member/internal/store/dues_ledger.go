package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

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

// duesMonthLock is the first key of the advisory locks that generations
// of one month take (the second is the month, yyyymm).
const duesMonthLock = 0x64756573

// billCandidatesSQL finds the members organisation $1 bills for month $2
// who have no bill for it — or, when $4, every organisation of the
// subtree under $1 that holds memberships — those whose relationship sat
// in it that month by the completed transfers inside the city: the
// receiving branch of the latest transfer whose first billed month has
// come, else the sending branch of the earliest one whose has not, else
// where the relationship sits. They are members that month (joined by its
// end, not left before it), each with the organisation billing, the
// declaration and the exemption in force.
//
// It reads each member once, set by set: the members where the
// relationship sits (the branch's, or the subtree's path range) and,
// apart from them, those any completed transfer moved into or out of it
// (moved), whose organisation billing is worked out from all their
// transfers (tb); everyone else is billed where they sit. The declaration
// in force is the one kept on the member's row whenever it took effect
// by the month (a declaration for a later month sends that member alone
// to their declarations); the exemptions in force and the members already
// on a sheet of the month (of the organisations of the subtree or of the
// transfers: wherever a line of theirs can be) are hashed once, the
// sheets read by an index probe per organisation (a scan of the month's
// sheets, which the planner chose otherwise, read every district's).
const billCandidatesSQL = `WITH mon AS (SELECT $2::date AS m, ($2::date + interval '1 month')::date AS nxt),
	r AS (SELECT path FROM orgs WHERE id = $1),
	s AS MATERIALIZED (SELECT o.id FROM orgs o, r WHERE o.id = $1 OR ($4 AND o.path >= r.path AND o.path < r.path || '~')),
	moved AS MATERIALIZED (SELECT DISTINCT member_id FROM transfers WHERE state = 'COMPLETED' AND to_organisation_id IS NOT NULL
		AND (from_organisation_id IN (SELECT id FROM s) OR to_organisation_id IN (SELECT id FROM s))),
	tr AS MATERIALIZED (SELECT t.member_id, t.from_organisation_id, t.to_organisation_id, t.updated_at, ` + duesFrom + ` AS first_billed
		FROM transfers t WHERE t.member_id IN (SELECT member_id FROM moved) AND t.state = 'COMPLETED'
			AND t.to_organisation_id IS NOT NULL),
	tb AS (SELECT tr.member_id, coalesce(
			(array_agg(tr.to_organisation_id ORDER BY tr.updated_at DESC) FILTER (WHERE tr.first_billed <= mon.m))[1],
			(array_agg(tr.from_organisation_id ORDER BY tr.updated_at) FILTER (WHERE tr.first_billed > mon.m))[1]) AS billing
		FROM tr, mon GROUP BY tr.member_id),
	u AS (SELECT ` + candidateColumns + ` FROM members m WHERE NOT $4 AND m.organisation_id = $1
		UNION ALL
		SELECT ` + candidateColumns + ` FROM members m
			WHERE $4 AND m.path >= (SELECT path FROM r) AND m.path < (SELECT path FROM r) || '~'
		UNION ALL
		SELECT ` + candidateColumns + ` FROM members m, r WHERE m.id IN (SELECT member_id FROM moved)
			AND NOT CASE WHEN $4 THEN m.path >= r.path AND m.path < r.path || '~' ELSE m.organisation_id = $1 END),
	c AS (SELECT u.*, coalesce(tb.billing, u.organisation_id) AS billing FROM u CROSS JOIN mon
		LEFT JOIN tb ON tb.member_id = u.id
		WHERE u.join_date < mon.nxt AND (u.left_date IS NULL OR u.left_date >= mon.m)
			AND (tb.member_id IS NULL OR tb.billing IN (SELECT id FROM s))),
	ex AS (SELECT DISTINCT ON (e.member_id) e.member_id, e.id FROM dues_exemptions e, mon
		WHERE e.from_month <= mon.m AND (e.to_month IS NULL OR e.to_month >= mon.m) ORDER BY e.member_id, e.recorded_at DESC),
	done AS (SELECT l.member_id FROM (SELECT id FROM s UNION SELECT from_organisation_id FROM tr
			UNION SELECT to_organisation_id FROM tr) o, mon
		CROSS JOIN LATERAL (SELECT x.member_ids FROM dues_sheets x WHERE x.organisation_id = o.id AND x.month = mon.m
			OFFSET 0) x
		CROSS JOIN LATERAL unnest(x.member_ids) l (member_id))
	SELECT c.id::text, c.employment_status, c.billing::text,
		CASE WHEN c.dues_declared_from <= mon.m THEN c.dues_declaration_id::text ELSE coalesce(d.id::text, '') END,
		CASE WHEN c.dues_declared_from <= mon.m THEN c.dues_declared_from ELSE coalesce(d.effective_month, mon.m) END,
		CASE WHEN c.dues_declared_from <= mon.m THEN c.dues_income_fen ELSE coalesce(d.monthly_income_fen, 0) END,
		CASE WHEN c.dues_declared_from <= mon.m THEN c.dues_employment_status ELSE coalesce(d.employment_status, '') END,
		CASE WHEN c.dues_declared_from <= mon.m THEN c.dues_minimum_allowance
			ELSE coalesce(d.minimum_living_allowance, false) END,
		coalesce(ex.id::text, '')
	FROM c CROSS JOIN mon
	LEFT JOIN LATERAL (SELECT d.* FROM dues_declarations d WHERE c.dues_declared_from > mon.m AND d.member_id = c.id
		AND d.effective_month <= mon.m ORDER BY d.effective_month DESC, d.declared_at DESC LIMIT 1) d ON true
	LEFT JOIN ex ON ex.member_id = c.id
	WHERE NOT EXISTS (SELECT 1 FROM done WHERE done.member_id = c.id)`

// candidateColumns are what billCandidatesSQL reads of a member.
const candidateColumns = `m.id, m.employment_status, m.organisation_id, m.join_date, m.left_date,
	m.dues_declaration_id, m.dues_declared_from, m.dues_income_fen, m.dues_employment_status, m.dues_minimum_allowance`

// BillCandidates implements dues.LedgerTx. It takes the month's lock
// first: two generations of one month, of overlapping subtrees or of the
// two branches of a transfer, follow each other, and the second skips
// whom the first billed. The candidates come in no order: InsertBills
// numbers each sheet's lines by member (sorted by the server, a
// district's month of 62,500 members spilled to disk and took a third of
// the query; sorted whole here, it took a sixth of the service's time).
func (t *txStore) BillCandidates(ctx context.Context, orgID string, subtree bool, month time.Time, loc *time.Location) ([]dues.Candidate, error) {
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, int32(duesMonthLock),
		int32(month.Year()*100+int(month.Month()))); err != nil {
		return nil, err
	}
	rows, err := t.tx.Query(ctx, billCandidatesSQL, orgID, month, loc.String(), subtree)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (dues.Candidate, error) {
		var (
			c dues.Candidate
			d dues.Declaration
		)
		err := r.Scan(&c.MemberID, &c.EmploymentStatus, &c.OrganisationID, &d.ID, &d.EffectiveMonth,
			&d.MonthlyIncomeFen, &d.EmploymentStatus, &d.MinimumLivingAllowance, &c.ExemptionID)
		if d.ID != "" {
			d.MemberID = c.MemberID
			c.Declaration = &d
		}
		return c, err
	})
}

// newSheetID is a sheet's id: a new one whose last three bytes are zero,
// where its lines' numbers go.
func newSheetID() uuid.UUID {
	id := uuid.Must(uuid.NewV7())
	id[13], id[14], id[15] = 0, 0, 0
	return id
}

// billID is the id of line (from 1) of sheet.
func billID(sheet uuid.UUID, line int) string {
	sheet[13], sheet[14], sheet[15] = byte(line>>16), byte(line>>8), byte(line)
	return sheet.String()
}

// sheetOf is the sheet of bill id, false when id is no bill's.
func sheetOf(id string) (string, bool) {
	u, err := uuid.Parse(id)
	if err != nil || u[13]|u[14]|u[15] == 0 {
		return "", false
	}
	u[13], u[14], u[15] = 0, 0, 0
	return u.String(), true
}

// InsertBills implements dues.LedgerTx: it writes a sheet per
// organisation billed, its lines numbered in the order of their members'
// ids, with COPY, and names each bill by its sheet and number.
// BillCandidates held the month's lock and left out whoever a sheet of it
// holds, so every line is written. Each sheet's arrays are built as COPY
// asks for its row, so that a district's month holds one sheet's at a
// time.
func (t *txStore) InsertBills(ctx context.Context, b *dues.Batch) error {
	type sheet struct {
		id    uuid.UUID
		org   pgtype.UUID
		lines []int32 // of b.Bills
	}
	members := make([]uuid.UUID, len(b.Bills))
	var sheets []*sheet
	of := map[string]*sheet{}
	for i := range b.Bills {
		l := &b.Bills[i]
		m, err := uuid.Parse(l.MemberID)
		if err != nil {
			return err
		}
		members[i] = m
		s := of[l.OrganisationID]
		if s == nil {
			org, err := pgUUID(l.OrganisationID)
			if err != nil {
				return err
			}
			s = &sheet{id: newSheetID(), org: org}
			of[l.OrganisationID] = s
			sheets = append(sheets, s)
		}
		s.lines = append(s.lines, int32(i))
	}
	batch, err := pgUUID(b.ID)
	if err != nil {
		return err
	}
	next := 0
	_, err = t.tx.CopyFrom(ctx, pgx.Identifier{"dues_sheets"}, []string{"id", "organisation_id", "month", "batch_id",
		"settings_version", "created_at", "owing", "member_ids", "amount_fen", "band_kind", "rate_basis_points",
		"monthly_income_fen", "declaration_ids", "exemption_ids"}, pgx.CopyFromFunc(func() ([]any, error) {
		if next == len(sheets) {
			return nil, nil
		}
		s := sheets[next]
		next++
		slices.SortFunc(s.lines, func(x, y int32) int { return bytes.Compare(members[x][:], members[y][:]) })
		n := len(s.lines)
		ms, decls, exs := make([]pgtype.UUID, n), make([]pgtype.UUID, n), make([]pgtype.UUID, n)
		amounts, rates, pays, kinds := make([]int64, n), make([]int64, n), make([]int64, n), make([]string, n)
		var owing int32
		for j, k := range s.lines {
			l := &b.Bills[k]
			d, err := pgUUID(l.DeclarationID)
			if err != nil {
				return nil, err
			}
			e, err := pgUUID(l.ExemptionID)
			if err != nil {
				return nil, err
			}
			ms[j], decls[j], exs[j] = pgtype.UUID{Bytes: members[k], Valid: true}, d, e
			amounts[j], rates[j], pays[j], kinds[j] = l.AmountFen, l.RateBP, l.IncomeFen, l.Kind
			if l.AmountFen > 0 {
				owing++
			}
			l.ID = billID(s.id, j+1)
		}
		return []any{pgtype.UUID{Bytes: s.id, Valid: true}, s.org, b.Month, batch, b.SettingsVersion, b.At, owing,
			ms, amounts, kinds, rates, pays, decls, exs}, nil
	}))
	return err
}

// pgUUID is id for pgx, null when empty.
func pgUUID(id string) (pgtype.UUID, error) {
	if id == "" {
		return pgtype.UUID{}, nil
	}
	u, err := uuid.Parse(id)
	return pgtype.UUID{Bytes: u, Valid: err == nil}, err
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

func collectBills(rows pgx.Rows, err error) ([]dues.Bill, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (dues.Bill, error) { return scanBill(r) })
}

// LockBills implements dues.LedgerTx: it locks the bills' sheets, then
// reads the lines (in a statement of its own, so that what was paid
// against them is read after the lock).
func (t *txStore) LockBills(ctx context.Context, ids []string) (map[string]*dues.Bill, error) {
	valid, sheets := make([]string, 0, len(ids)), make([]string, 0, len(ids))
	for _, id := range ids {
		if s, ok := sheetOf(id); ok {
			valid, sheets = append(valid, id), append(sheets, s)
		}
	}
	if _, err := t.tx.Exec(ctx, `SELECT 1 FROM dues_sheets WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, sheets); err != nil {
		return nil, err
	}
	list, err := collectBills(t.tx.Query(ctx, `SELECT `+billColumns+` FROM dues_bills b JOIN members m ON m.id = b.member_id
		WHERE b.sheet_id = ANY($2::uuid[]) AND b.id = ANY($1::uuid[])`, valid, sheets))
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

// InsertEntries implements dues.LedgerTx: the entries in one statement,
// then the lines owing on their sheets counted again.
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
	_, err := t.tx.Exec(ctx, `INSERT INTO dues_payments (id, receipt_id, bill_id, member_id, organisation_id, month, kind,
			method, amount_fen, paid_on, receipt_number, reverses, reason, recorded_by, recorded_at)
		SELECT u.id, u.receipt, u.bill, u.member, u.org, u.month, u.kind, u.method, u.amount, u.day, u.number,
			nullif(u.rev, '')::uuid, u.reason, u.by, u.at
		FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::date[], $7::text[], $8::text[],
			$9::bigint[], $10::date[], $11::text[], $12::text[], $13::text[], $14::text[], $15::timestamptz[])
			AS u (id, receipt, bill, member, org, month, kind, method, amount, day, number, rev, reason, by, at)`,
		ids, receipts, bills, members, orgs, months, kinds, methods, amounts, days, numbers, reverses, reasons, by, at)
	if pgdb.IsUniqueViolation(err, "dues_payments_reverses_key") {
		return dues.ErrReversed
	}
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `UPDATE dues_sheets s SET owing = (SELECT count(*) FROM dues_bills b
			WHERE b.sheet_id = s.id AND b.paid_fen < b.amount_fen)
		WHERE s.id IN (SELECT dues_sheet_of(b) FROM unnest($1::uuid[]) b)`, bills)
	return err
}

// Receipt implements dues.LedgerTx.
func (t *txStore) Receipt(ctx context.Context, receiptID string) ([]dues.Entry, error) {
	return collectEntries(t.tx.Query(ctx, `SELECT `+payEntryColumns+` FROM dues_payments WHERE receipt_id = $1
		ORDER BY kind = 'PAYMENT', id`, receiptID))
}

// memberBillsSQL is a member's ($1) bill lines, as dues_bills reads them,
// for the months from $2 to before $3: those on the sheets of the
// organisations they have belonged to (where they sit, and either end of
// their completed transfers), found by their place in each sheet.
const memberBillsSQL = `mo AS (SELECT organisation_id AS id FROM members WHERE id = $1
		UNION SELECT from_organisation_id FROM transfers WHERE member_id = $1 AND state = 'COMPLETED'
		UNION SELECT to_organisation_id FROM transfers WHERE member_id = $1 AND state = 'COMPLETED'
			AND to_organisation_id IS NOT NULL),
	b AS (SELECT dues_bill_id(s.id, p.line) AS id, $1::uuid AS member_id, s.month, s.organisation_id,
			s.amount_fen[p.line] AS amount_fen, (SELECT coalesce(sum(x.amount_fen), 0) FROM dues_payments x
				WHERE x.bill_id = dues_bill_id(s.id, p.line))::bigint AS paid_fen,
			s.band_kind[p.line] AS band_kind, s.rate_basis_points[p.line] AS rate_basis_points,
			s.monthly_income_fen[p.line] AS monthly_income_fen, s.declaration_ids[p.line] AS declaration_id,
			s.exemption_ids[p.line] AS exemption_id, s.settings_version, s.batch_id, s.created_at
		FROM dues_sheets s CROSS JOIN LATERAL (SELECT array_position(s.member_ids, $1::uuid) AS line) p
		WHERE s.organisation_id IN (SELECT id FROM mo) AND s.month >= $2 AND s.month < $3 AND p.line IS NOT NULL)`

// paidUpToSQL is the month before member $1's earliest bill that owes,
// else the month of their latest bill.
const paidUpToSQL = `WITH ` + memberBillsSQL + `
	SELECT coalesce((SELECT (min(month) - interval '1 month')::date FROM b WHERE paid_fen < amount_fen),
		(SELECT max(month) FROM b))`

// allMonths bound memberBillsSQL to every month.
var allMonthsFrom, allMonthsTo = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// PaidUpTo implements dues.LedgerTx.
func (t *txStore) PaidUpTo(ctx context.Context, memberID string) (time.Time, error) {
	var m *time.Time
	err := t.tx.QueryRow(ctx, paidUpToSQL, memberID, allMonthsFrom, allMonthsTo).Scan(&m)
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
	list, err := collectBills(rows, nil)
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
	FROM o JOIN LATERAL (SELECT b.member_id, b.organisation_id, b.month, b.amount_fen, b.paid_fen FROM dues_bills b
		WHERE b.organisation_id = o.id AND b.sheet_owing > 0 OFFSET 0) b ON b.paid_fen < b.amount_fen
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
	b.Queue(`WITH `+memberBillsSQL+` SELECT `+billColumns+` FROM b JOIN members m ON m.id = b.member_id
		ORDER BY b.month`, id, from, to).Query(func(rows pgx.Rows) error {
		var err error
		st.Bills, err = collectBills(rows, nil)
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
	b.Queue(paidUpToSQL, id, allMonthsFrom, allMonthsTo).QueryRow(func(r pgx.Row) error { return r.Scan(&upTo) })
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
