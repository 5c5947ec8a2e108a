package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
)

// Action is a call to another service a finding asked for.
type Action struct {
	ID, FindingID, Kind string
	Payload             []byte
	Attempts            int
}

// Outcome is what became of an attempt at an action.
type Outcome int

// The outcomes of an attempt.
const (
	// Done: the other service took it.
	Done Outcome = iota
	// Retry: try again later (the other service is down, the token expired).
	Retry
	// GiveUp: it can never be made (the member left); kept with the error.
	GiveUp
)

// RunActions attempts the actions due at now, up to limit, each in its own
// transaction holding its row (replicas skip the rows another holds), and
// records the outcome: done, or a later attempt after a pause that grows
// with the attempts.
func (s *Store) RunActions(ctx context.Context, now time.Time, limit int, do func(context.Context, Action) (Outcome, error)) (int, error) {
	done := 0
	for range limit {
		found := false
		err := pgdb.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			var a Action
			err := tx.QueryRow(ctx, `SELECT id::text, finding_id::text, kind, payload, attempts FROM actions
				WHERE done_at IS NULL AND next_at <= $1 ORDER BY next_at LIMIT 1 FOR UPDATE SKIP LOCKED`, now).
				Scan(&a.ID, &a.FindingID, &a.Kind, &a.Payload, &a.Attempts)
			if pgdb.IsNoRows(err) {
				return nil
			}
			if err != nil {
				return err
			}
			found = true
			outcome, callErr := do(ctx, a)
			msg := ""
			if callErr != nil {
				msg = callErr.Error()
			}
			switch outcome {
			case Done, GiveUp:
				if outcome == Done {
					done++
				}
				_, err = tx.Exec(ctx, `UPDATE actions SET done_at = $2, attempts = attempts + 1, last_error = $3 WHERE id = $1`, a.ID, now, msg)
			default:
				pause := min(time.Duration(1<<min(a.Attempts, 10))*time.Second, 10*time.Minute)
				_, err = tx.Exec(ctx, `UPDATE actions SET attempts = attempts + 1, last_error = $2, next_at = $3 WHERE id = $1`,
					a.ID, msg, now.Add(pause))
			}
			return err
		})
		if err != nil || !found {
			return done, err
		}
	}
	return done, nil
}
