package pgdb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// MaxAttempts is how many times InTx runs a transaction that keeps failing
// with a serialization failure or a deadlock.
const MaxAttempts = 5

// retryBase is the first pause between attempts; it doubles each time.
const retryBase = 5 * time.Millisecond

// InTx runs fn in a transaction with the pool's default options (READ
// COMMITTED) and commits it if fn returns nil. See InTxWith.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	return InTxWith(ctx, pool, pgx.TxOptions{}, fn)
}

// InTxWith runs fn in a transaction started with opts and commits it if fn
// returns nil. The transaction's BEGIN is sent with its first statement, in
// one round trip (a transaction that sends nothing costs none). It rolls back when fn returns an error, which it returns as
// is, or panics, which it lets continue. When the transaction fails with a
// serialization failure (40001) or a deadlock (40P01), from fn or from the
// commit, it runs fn again in a new transaction, up to MaxAttempts times in
// all: fn must therefore have no effects outside the transaction, and must
// wrap database errors rather than replace them.
func InTxWith(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	var err error
	for attempt := 1; attempt <= MaxAttempts; attempt++ {
		if err = runTx(ctx, pool, opts, fn); !retryable(err) {
			return err
		}
		if attempt < MaxAttempts && pause(ctx, attempt) != nil {
			return err
		}
	}
	return fmt.Errorf("pgdb: transaction given up after %d attempts: %w", MaxAttempts, err)
}

func runTx(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pgdb: begin: %w", err)
	}
	// Released after the commit or rollback; the pool drops a connection
	// left closed or inside a transaction.
	defer conn.Release()
	tx := newLazyTx(conn.Conn(), opts)
	// Roll back without the caller's context: a cancelled request must still
	// return its connection clean.
	rollback := func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }
	defer func() {
		if p := recover(); p != nil {
			rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		rollback()
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgdb: commit: %w", err)
	}
	return nil
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == codeSerializationFailure || pgErr.Code == codeDeadlockDetected)
}

// pause waits a jittered, doubling delay so that the transactions that
// collided do not collide again in step.
func pause(ctx context.Context, attempt int) error {
	limit := retryBase << (attempt - 1)
	timer := time.NewTimer(limit/2 + rand.N(limit/2))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// Queued is tx whose Exec only queues the statement in batch, to be sent
// by the caller with the rest of the batch (in one round trip, before the
// transaction commits): for writes that nothing in the transaction reads
// back, made by code written for one statement at a time (audit.Write,
// requestid.Remember). Its Exec answers an empty tag and no error; the
// statement's error, if any, comes when the batch is sent.
func Queued(tx pgx.Tx, batch *pgx.Batch) pgx.Tx { return queuedTx{Tx: tx, batch: batch} }

type queuedTx struct {
	pgx.Tx
	batch *pgx.Batch
}

func (q queuedTx) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	q.batch.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}
