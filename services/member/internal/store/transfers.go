package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/transfer"
)

const transferColumns = `id::text, member_id::text, from_organisation_id::text, coalesce(to_organisation_id::text, ''),
	coalesce(from_district_id::text, ''), coalesce(to_district_id::text, ''), reason, state,
	coalesce(letter_number, ''), letter_deadline, version, created_at, updated_at, coalesce(suspended_from, ''),
	expired_at, flagged_at, review_outcome, recorded_at, outside_organisation, outside_place, receipt_number, receipt_date,
	dues_paid_up_to`

func scanTransfer(row pgx.Row) (*transfer.Transfer, error) {
	var (
		t                                    transfer.Transfer
		deadline, expired, flagged, recorded *time.Time
		outside                              transfer.OutsideDestination
		receipt                              transfer.Receipt
		receiptDate, paidUpTo                *time.Time
	)
	err := row.Scan(&t.ID, &t.MemberID, &t.FromOrgID, &t.ToOrgID, &t.FromDistrictID, &t.ToDistrictID, &t.Reason,
		&t.State, &t.LetterNumber, &deadline, &t.Version, &t.Created, &t.Updated, &t.SuspendedFrom,
		&expired, &flagged, &t.ReviewOutcome, &recorded, &outside.Organisation, &outside.Place, &receipt.Number, &receiptDate, &paidUpTo)
	if err != nil {
		return nil, err
	}
	if outside != (transfer.OutsideDestination{}) {
		t.Outside = &outside
	}
	if receiptDate != nil {
		receipt.Date = receiptDate.UTC()
		t.Receipt = &receipt
	}
	t.LetterDeadline, t.Expired, t.Flagged, t.Recorded = utc(deadline), utc(expired), utc(flagged), utc(recorded)
	t.DuesPaidUpTo = utc(paidUpTo)
	t.Created, t.Updated = t.Created.UTC(), t.Updated.UTC()
	return &t, nil
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

type rowsQuerier interface {
	querier
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func getTransfer(ctx context.Context, q rowsQuerier, id string, lock, steps bool) (*transfer.Transfer, error) {
	if uuid.Validate(id) != nil {
		return nil, transfer.ErrTransferNotFound
	}
	sql := `SELECT ` + transferColumns + ` FROM transfers WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	t, err := scanTransfer(q.QueryRow(ctx, sql, id))
	if err != nil {
		return nil, interpretError(err, transfer.ErrTransferNotFound)
	}
	if !steps {
		return t, nil
	}
	rows, err := q.Query(ctx, stepsSQL, id)
	if err != nil {
		return nil, err
	}
	t.Steps, err = collectSteps(rows)
	return t, err
}

// stepsSQL reads a transfer's steps in order.
const stepsSQL = `SELECT state, action, actor_subject, actor_role, reason, at, coalesce(letter_number, ''),
		review_outcome, recorded_at, coalesce(on_behalf_of::text, '') FROM transfer_steps WHERE transfer_id = $1 ORDER BY seq`

func collectSteps(rows pgx.Rows) ([]transfer.Step, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (transfer.Step, error) {
		var (
			s        transfer.Step
			recorded *time.Time
		)
		err := r.Scan(&s.State, &s.Action, &s.ActorSubject, &s.ActorRole, &s.Reason, &s.At, &s.LetterNumber, &s.ReviewOutcome,
			&recorded, &s.OnBehalfOf)
		s.At, s.Recorded = s.At.UTC(), utc(recorded)
		return s, err
	})
}

// LockForStep implements transfer.Tx: the locks LockOrg (for each of
// orgIDs, in their order), Lock (the member) and LockTransfer take, in
// that order, sent to PostgreSQL in one round trip instead of one each.
func (t *txStore) LockForStep(ctx context.Context, orgIDs []string, memberID, transferID string) (*transfer.Transfer, error) {
	for _, id := range orgIDs {
		if uuid.Validate(id) != nil {
			return nil, member.ErrOrgNotFound
		}
	}
	if uuid.Validate(memberID) != nil {
		return nil, member.ErrNotFound
	}
	if uuid.Validate(transferID) != nil {
		return nil, transfer.ErrTransferNotFound
	}
	b := &pgx.Batch{}
	for _, id := range orgIDs {
		b.Queue(`SELECT `+orgColumns+` FROM orgs WHERE id = $1 FOR UPDATE`, id)
	}
	b.Queue(`SELECT `+memberColumns+` FROM members WHERE id = $1 FOR UPDATE`, memberID)
	b.Queue(`SELECT `+transferColumns+` FROM transfers WHERE id = $1 FOR UPDATE`, transferID)
	b.Queue(stepsSQL, transferID)
	br := t.tx.SendBatch(ctx, b)
	tr, err := t.readStepLocks(br, len(orgIDs))
	if cerr := br.Close(); err == nil && cerr != nil {
		return nil, cerr
	}
	return tr, err
}

// readStepLocks reads the results of LockForStep's batch in its order.
func (t *txStore) readStepLocks(br pgx.BatchResults, orgs int) (*transfer.Transfer, error) {
	for range orgs {
		if _, err := scanOrg(br.QueryRow()); err != nil {
			return nil, interpretError(err, member.ErrOrgNotFound)
		}
	}
	m, err := t.store().scanMember(br.QueryRow())
	if err != nil {
		return nil, interpretError(err, member.ErrNotFound)
	}
	t.snapshot(m)
	tr, err := scanTransfer(br.QueryRow())
	if err != nil {
		return nil, interpretError(err, transfer.ErrTransferNotFound)
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	if tr.Steps, err = collectSteps(rows); err != nil {
		return nil, err
	}
	t.snapshot(tr)
	return tr, nil
}

// GetTransfer implements transfer.Store.
func (s *Store) GetTransfer(ctx context.Context, id string) (*transfer.Transfer, error) {
	return getTransfer(ctx, s.pool, id, false, true)
}

// TransferSides returns the sides of a transfer; transfer.ErrTransferNotFound
// when there is none.
func (s *Store) TransferSides(ctx context.Context, id string) (transfer.Sides, error) {
	t, err := getTransfer(ctx, s.pool, id, false, false)
	if err != nil {
		return transfer.Sides{}, err
	}
	return transfer.Sides{MemberID: t.MemberID, From: t.FromOrgID, To: t.ToOrgID, State: t.State,
		SuspendedFrom: t.SuspendedFrom}, nil
}

// PeekTransfer implements transfer.Tx.
func (t *txStore) PeekTransfer(ctx context.Context, id string) (*transfer.Transfer, error) {
	return getTransfer(ctx, t.tx, id, false, false)
}

// LockTransfer implements transfer.WithdrawTx.
func (t *txStore) LockTransfer(ctx context.Context, id string) (*transfer.Transfer, error) {
	tr, err := getTransfer(ctx, t.tx, id, true, true)
	if err == nil {
		t.snapshot(tr)
	}
	return tr, err
}

// OpenTransfer implements transfer.WithdrawTx.
func (t *txStore) OpenTransfer(ctx context.Context, memberID string) (*transfer.Transfer, bool, error) {
	tr, err := scanTransfer(t.tx.QueryRow(ctx, `SELECT `+transferColumns+` FROM transfers
		WHERE member_id = $1 AND state = ANY($2)`, memberID, transfer.OpenStates))
	if pgdb.IsNoRows(err) {
		return nil, false, nil
	}
	return tr, err == nil, err
}

const insertTransferSQL = `INSERT INTO transfers (id, member_id, from_organisation_id, to_organisation_id,
	from_district_id, to_district_id, reason, state, letter_number, letter_deadline, version, created_at, updated_at,
	suspended_from, expired_at, flagged_at, review_outcome, recorded_at, outside_organisation, outside_place)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULLIF($9, ''), $10, $11, $12, $13, NULLIF($14, ''), $15, $16, $17, $18,
		$19, $20)`

func insertTransferArgs(tr *transfer.Transfer) []any {
	var outside transfer.OutsideDestination
	if tr.Outside != nil {
		outside = *tr.Outside
	}
	return []any{tr.ID, tr.MemberID, tr.FromOrgID, nullable(tr.ToOrgID), nullable(tr.FromDistrictID), nullable(tr.ToDistrictID),
		tr.Reason, tr.State, tr.LetterNumber, nullableTime(tr.LetterDeadline), tr.Version, tr.Created, tr.Updated,
		tr.SuspendedFrom, nullableTime(tr.Expired), nullableTime(tr.Flagged), tr.ReviewOutcome, nullableTime(tr.Recorded),
		outside.Organisation, outside.Place}
}

// InsertTransfer implements transfer.Tx.
func (t *txStore) InsertTransfer(ctx context.Context, tr *transfer.Transfer, step transfer.Step) error {
	if _, err := t.tx.Exec(ctx, insertTransferSQL, insertTransferArgs(tr)...); err != nil {
		return interpretError(err, transfer.ErrTransferNotFound)
	}
	return t.appendStep(ctx, tr, step)
}

// SaveTransfer implements transfer.WithdrawTx.
func (t *txStore) SaveTransfer(ctx context.Context, tr *transfer.Transfer, step transfer.Step) error {
	tag, err := t.tx.Exec(ctx, `UPDATE transfers SET state = $2, letter_number = NULLIF($3, ''), letter_deadline = $4,
		version = $5, updated_at = $6, suspended_from = NULLIF($7, ''), expired_at = $8, flagged_at = $9,
		review_outcome = $10, receipt_number = $11, receipt_date = $12, dues_paid_up_to = $13
		WHERE id = $1 AND version = $5 - 1`,
		append([]any{tr.ID, tr.State, tr.LetterNumber, nullableTime(tr.LetterDeadline), tr.Version, tr.Updated,
			tr.SuspendedFrom, nullableTime(tr.Expired), nullableTime(tr.Flagged), tr.ReviewOutcome},
			append(receiptArgs(tr), nullableTime(tr.DuesPaidUpTo))...)...)
	if err != nil {
		return interpretError(err, transfer.ErrTransferNotFound)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("transfer version moved under a row lock")
	}
	return t.appendStep(ctx, tr, step)
}

// receiptArgs are the values of receipt_number and receipt_date.
func receiptArgs(tr *transfer.Transfer) []any {
	if tr.Receipt == nil {
		return []any{"", nil}
	}
	return []any{tr.Receipt.Number, tr.Receipt.Date}
}

const insertStepSQL = `INSERT INTO transfer_steps (transfer_id, seq, state, action, actor_subject, actor_role, reason, at,
	letter_number, review_outcome, recorded_at, on_behalf_of)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULLIF($9, ''), $10, $11, NULLIF($12, '')::uuid)`

// stepArgs are the values of insertStepSQL for step s, the seq-th of tr.
func stepArgs(tr *transfer.Transfer, seq int64, s transfer.Step) []any {
	return []any{tr.ID, seq, s.State, s.Action, s.ActorSubject, s.ActorRole, s.Reason, s.At, s.LetterNumber,
		s.ReviewOutcome, nullableTime(s.Recorded), s.OnBehalfOf}
}

func (t *txStore) appendStep(ctx context.Context, tr *transfer.Transfer, s transfer.Step) error {
	_, err := t.tx.Exec(ctx, insertStepSQL, stepArgs(tr, tr.Version, s)...)
	return err
}

// TransferSettings implements transfer.Tx.
func (t *txStore) TransferSettings(ctx context.Context, districtID string) (transfer.Settings, error) {
	s := transfer.DefaultSettings
	s.DistrictID = districtID
	if uuid.Validate(districtID) != nil {
		return s, nil
	}
	var updated *time.Time
	err := t.tx.QueryRow(ctx, `SELECT inside_days, outside_days, max_months, review_months, version, updated_by, updated_at
		FROM transfer_settings WHERE district_id = $1`, districtID).Scan(&s.InsideDays, &s.OutsideDays, &s.MaxMonths,
		&s.ReviewMonths, &s.Version, &s.UpdatedBy, &updated)
	if pgdb.IsNoRows(err) {
		d := transfer.DefaultSettings
		d.DistrictID = districtID
		return d, nil
	}
	s.Inherited, s.Updated = false, utc(updated)
	return s, err
}

// SaveTransferSettings implements transfer.Tx: an insert for a district
// that had none, else an update of the version read, so that two writers
// who read the same version cannot both write.
func (t *txStore) SaveTransferSettings(ctx context.Context, s transfer.Settings) error {
	tag, err := t.tx.Exec(ctx, `INSERT INTO transfer_settings (district_id, inside_days, outside_days, max_months,
		review_months, version, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (district_id) DO UPDATE SET inside_days = EXCLUDED.inside_days, outside_days = EXCLUDED.outside_days,
			max_months = EXCLUDED.max_months, review_months = EXCLUDED.review_months, version = EXCLUDED.version,
			updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
		WHERE transfer_settings.version = EXCLUDED.version - 1`,
		s.DistrictID, s.InsideDays, s.OutsideDays, s.MaxMonths, s.ReviewMonths, s.Version, s.UpdatedBy, s.Updated)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return transfer.ErrSettingsEtag
	}
	return nil
}

// NextLetterNumber implements transfer.Tx.
func (t *txStore) NextLetterNumber(ctx context.Context) (int64, error) {
	var n int64
	err := t.tx.QueryRow(ctx, `SELECT nextval('transfer_letter_numbers')`).Scan(&n)
	return n, err
}

// ListTransfers implements transfer.Store.
func (s *Store) ListTransfers(ctx context.Context, f transfer.Filter) ([]*transfer.Transfer, string, error) {
	var w pgdb.Where
	for _, id := range []string{f.MemberID, f.OrganisationID, f.WithinID} {
		if id != "" && uuid.Validate(id) != nil {
			return nil, "", nil
		}
	}
	if f.MemberID != "" {
		w.Add(`member_id = ?`, f.MemberID)
	}
	// The review is the sending side's: a review list names the sender only.
	sides := `from_organisation_id, to_organisation_id`
	switch f.Review {
	case transfer.ReviewFlagged:
		w.Add(`flagged_at IS NOT NULL`)
		sides = `from_organisation_id`
	case transfer.ReviewPending:
		w.Add(`flagged_at IS NOT NULL AND review_outcome = ''`)
		sides = `from_organisation_id`
	}
	if f.OrganisationID != "" {
		w.Add(`? IN (`+sides+`)`, f.OrganisationID)
	}
	if f.WithinID != "" {
		w.Add(`EXISTS (SELECT 1 FROM orgs o, orgs r WHERE o.id IN (`+sides+`)
			AND r.id = ? AND o.path >= r.path AND o.path < r.path || '~')`, f.WithinID)
	}
	if f.State != "" {
		w.Add(`state = ?`, f.State)
	}
	if f.Pocket { // the marks of the sweeper, so that the list is what TransferExpired announced
		w.Add(`expired_at IS NOT NULL AND state IN ('RELEASED', 'SUSPENDED')`)
	}
	if f.Page.Token != "" {
		k, err := page.After(f.Page.Token, idKey{})
		if err != nil {
			return nil, "", err
		}
		w.Add(`id > ?::uuid`, k.ID)
	}
	sql := `SELECT ` + transferColumns + ` FROM transfers WHERE ` + w.SQL() + ` ORDER BY id LIMIT ` + w.Arg(f.Page.Size+1)
	rows, err := s.pool.Query(ctx, sql, w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*transfer.Transfer, error) { return scanTransfer(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, f.Page.Size, func(t *transfer.Transfer) any { return idKey{ID: t.ID} })
	return list, next, nil
}
