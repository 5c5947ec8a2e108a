package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/transfer"
)

// LockLettersToExpire implements transfer.Tx. SKIP LOCKED lets replicas
// sweep at once: each takes the rows the others do not hold, and a row
// marked by another is no longer selected once its lock is released.
func (t *txStore) LockLettersToExpire(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return t.queryIDs(ctx, `SELECT id::text FROM transfers
		WHERE state = 'RELEASED' AND expired_at IS NULL AND letter_deadline < $1
		ORDER BY letter_deadline LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit)
}

// LockTransfersToFlag implements transfer.Tx: the review period is the
// sending district's setting, six months without one. Every period is a
// month or more, so the first condition on created_at, which the partial
// index serves, only narrows the rows the second checks.
func (t *txStore) LockTransfersToFlag(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return t.queryIDs(ctx, `SELECT t.id::text FROM transfers t
		LEFT JOIN transfer_settings s ON s.district_id = t.from_district_id
		WHERE t.flagged_at IS NULL AND t.state IN ('REQUESTED', 'CONFIRMED', 'RELEASED', 'SUSPENDED')
			AND t.created_at < $1::timestamptz - make_interval(months => 1)
			AND t.created_at + make_interval(months => coalesce(s.review_months, $3::int)) <= $1::timestamptz
		ORDER BY t.created_at LIMIT $2 FOR UPDATE OF t SKIP LOCKED`, now, limit, transfer.DefaultSettings.ReviewMonths)
}

func (t *txStore) queryIDs(ctx context.Context, sql string, args ...any) ([]string, error) {
	rows, err := t.tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// InsertTransferSteps implements transfer.Tx: the transfer and its steps in
// one round trip.
func (t *txStore) InsertTransferSteps(ctx context.Context, tr *transfer.Transfer, steps []transfer.Step) error {
	b := &pgx.Batch{}
	b.Queue(insertTransferSQL, insertTransferArgs(tr)...)
	for i, s := range steps {
		b.Queue(insertStepSQL, stepArgs(tr, int64(i+1), s)...)
	}
	err := t.tx.SendBatch(ctx, b).Close()
	if pgdb.IsUniqueViolation(err, "transfers_letter_number_key") { // a paper letter's number, recorded twice
		return errs.Field(transfer.ErrLetterNumberTaken, "letter_number", "another letter has this number")
	}
	return interpretError(err, transfer.ErrTransferNotFound)
}
