package pgdb_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/pgtest"
)

// sent counts what a pool sends to PostgreSQL: each statement sent alone,
// each batch and each copy is one round trip.
type sent struct{ n atomic.Int64 }

func (s *sent) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	s.n.Add(1)
	return ctx
}
func (s *sent) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (s *sent) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	s.n.Add(1)
	return ctx
}
func (s *sent) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (s *sent) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}
func (s *sent) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	s.n.Add(1)
	return ctx
}
func (s *sent) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}

// countedPool is a pool of the accounts schema whose round trips are counted.
func countedPool(t *testing.T) (*pgxpool.Pool, *sent) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.URL(t, "billing", accounts, ledger))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = "billing"
	cfg.MaxConns = 1 // every transaction on the one connection: a dirty one would show
	s := &sent{}
	cfg.ConnConfig.Tracer = s
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pool.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	return pool, s
}

// TestATransactionsBeginGoesWithItsFirstStatement holds each way a
// transaction can start to one round trip for BEGIN and its first
// statement together, and checks that the transaction is one: its writes
// commit together, or none does.
func TestATransactionsBeginGoesWithItsFirstStatement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	insert := "INSERT INTO accounts (id, email) VALUES ($1, $2)"
	tests := []struct {
		name       string
		fn         func(tx pgx.Tx) error
		roundTrips int64 // with the commit
		wantRows   string
	}{
		{"nothing sent, nothing begun", func(pgx.Tx) error { return nil }, 0, "0"},
		{"an Exec first", func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, insert, 1, "a@example.com")
			return err
		}, 2, "1"},
		{"a QueryRow first, then an Exec", func(tx pgx.Tx) error {
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM accounts WHERE id > $1", 0).Scan(&n); err != nil || n != 0 {
				return errors.Join(err, errors.New("counted wrongly"))
			}
			_, err := tx.Exec(ctx, insert, 1, "a@example.com")
			return err
		}, 3, "1"},
		{"a QueryRow with no row first: the transaction goes on", func(tx pgx.Tx) error {
			var email string
			if err := tx.QueryRow(ctx, "SELECT email FROM accounts WHERE id = $1", 7).Scan(&email); !errors.Is(err, pgx.ErrNoRows) {
				return errors.Join(err, errors.New("want no rows"))
			}
			_, err := tx.Exec(ctx, insert, 1, "a@example.com")
			return err
		}, 3, "1"},
		{"a Query first, read to the end, then an Exec", func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, "SELECT g FROM generate_series(1, $1::int) g", 3)
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
			if err != nil || len(ids) != 3 {
				return errors.Join(err, errors.New("want three rows"))
			}
			for _, id := range ids {
				if _, err := tx.Exec(ctx, insert, id, strings.Repeat("x", int(id))+"@example.com"); err != nil {
					return err
				}
			}
			return nil
		}, 5, "3"},
		{"a batch first", func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			b.Queue(insert, 1, "a@example.com")
			b.Queue(insert, 2, "b@example.com")
			return tx.SendBatch(ctx, b).Close()
		}, 2, "2"},
		{"a statement of several commands first: BEGIN alone before it", func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO accounts (id, email) VALUES (1, 'a@example.com'); INSERT INTO accounts (id, email) VALUES (2, 'b@example.com')")
			return err
		}, 3, "2"},
		{"a copy first: BEGIN alone before it", func(tx pgx.Tx) error {
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"accounts"}, []string{"id", "email"}, pgx.CopyFromRows([][]any{{1, "a@example.com"}}))
			return err
		}, 3, "1"},
		{"a savepoint rolled back keeps what came before", func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, insert, 1, "a@example.com"); err != nil {
				return err
			}
			sp, err := tx.Begin(ctx)
			if err != nil {
				return err
			}
			if _, err := sp.Exec(ctx, insert, 2, "b@example.com"); err != nil {
				return err
			}
			return sp.Rollback(ctx)
		}, 5, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool, sent := countedPool(t)
			before := sent.n.Load()
			if err := pgdb.InTx(ctx, pool, tt.fn); err != nil {
				t.Fatalf("InTx: %v", err)
			}
			if got := sent.n.Load() - before; got != tt.roundTrips {
				t.Errorf("%d round trips, want %d", got, tt.roundTrips)
			}
			if got := queryString(t, pool, "SELECT count(*)::text FROM accounts"); got != tt.wantRows {
				t.Errorf("rows committed = %s, want %s", got, tt.wantRows)
			}
		})
	}
}

// TestATransactionWhoseFirstStatementFailsLeavesNothing: the first
// statement, refused, rolls back with its BEGIN; what fn wrote before the
// failure of a later one too; and the pool's one connection serves the
// next transaction clean.
func TestATransactionWhoseFirstStatementFailsLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := countedPool(t)
	exec(t, pool, "INSERT INTO accounts (id, email) VALUES (1, 'a@example.com')")

	err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO accounts (id, email) VALUES ($1, $2)", 2, "a@example.com")
		return err
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		t.Errorf("a duplicate e-mail first: %v, want the unique violation", err)
	}
	err = pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		var id int
		if err := tx.QueryRow(ctx, "INSERT INTO accounts (id, email) VALUES ($1, $2) RETURNING id", 3, "c@example.com").Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE accounts SET balance = $1 WHERE id = $2", -5, id)
		return err
	})
	if !errors.As(err, &pgErr) || pgErr.Code != "23514" {
		t.Errorf("a negative balance after an insert: %v, want the check violation", err)
	}
	err = pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "SELECT * FROM no_such_table WHERE id = $1", 1)
		return err
	})
	if !errors.As(err, &pgErr) || pgErr.Code != "42P01" {
		t.Errorf("a statement that does not parse first: %v, want undefined table", err)
	}
	if got := queryString(t, pool, "SELECT string_agg(id::text, ',' ORDER BY id) FROM accounts"); got != "1" {
		t.Errorf("accounts %s after three refused transactions, want only 1", got)
	}
	c, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	if status := c.Conn().PgConn().TxStatus(); status != 'I' {
		t.Errorf("the pool's connection after them has transaction status %q, want idle", status)
	}
}

// TestATransactionsOptionsGoWithItsBegin: InTxWith's options reach the
// BEGIN that travels with the first statement.
func TestATransactionsOptionsGoWithItsBegin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := countedPool(t)
	var level string
	err := pgdb.InTxWith(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT current_setting($1)", "transaction_isolation").Scan(&level); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO accounts (id, email) VALUES ($1, $2)", 1, "a@example.com")
		return err
	})
	if level != "repeatable read" {
		t.Errorf("the transaction ran at %q, want repeatable read", level)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Errorf("a write in a read-only transaction: %v, want read_only_sql_transaction", err)
	}
}

// TestATransactionsLastBatchCarriesItsCommit: SendAndCommit sends the
// batch a transaction ends with and its COMMIT in one round trip (with
// BEGIN too when nothing came before), refuses what comes after, and
// commits nothing when the batch is refused; a transaction its caller
// commits gets the batch alone and stays open.
func TestATransactionsLastBatchCarriesItsCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	insert := "INSERT INTO accounts (id, email) VALUES ($1, $2)"
	batch := func(ids ...int) *pgx.Batch {
		b := &pgx.Batch{}
		for _, id := range ids {
			b.Queue(insert, id, strings.Repeat("x", id)+"@example.com")
		}
		return b
	}

	t.Run("after a statement: two round trips in all", func(t *testing.T) {
		t.Parallel()
		pool, sent := countedPool(t)
		err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, insert, 1, "a@example.com"); err != nil {
				return err
			}
			return pgdb.SendAndCommit(ctx, tx, batch(2, 3))
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := sent.n.Load(); n != 2 {
			t.Errorf("%d round trips, want 2", n)
		}
		if got := queryString(t, pool, "SELECT count(*)::text FROM accounts"); got != "3" {
			t.Errorf("rows committed = %s, want 3", got)
		}
	})
	t.Run("alone: BEGIN, the batch and COMMIT in one", func(t *testing.T) {
		t.Parallel()
		pool, sent := countedPool(t)
		if err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error { return pgdb.SendAndCommit(ctx, tx, batch(1, 2)) }); err != nil {
			t.Fatal(err)
		}
		if n := sent.n.Load(); n != 1 {
			t.Errorf("%d round trips, want 1", n)
		}
		if got := queryString(t, pool, "SELECT count(*)::text FROM accounts"); got != "2" {
			t.Errorf("rows committed = %s, want 2", got)
		}
	})
	t.Run("nothing after it", func(t *testing.T) {
		t.Parallel()
		pool, _ := countedPool(t)
		err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
			if err := pgdb.SendAndCommit(ctx, tx, batch(1)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, insert, 2, "b@example.com")
			return err
		})
		if !errors.Is(err, pgx.ErrTxClosed) {
			t.Errorf("a statement after the commit: %v, want ErrTxClosed", err)
		}
		if got := queryString(t, pool, "SELECT string_agg(id::text, ',') FROM accounts"); got != "1" {
			t.Errorf("accounts %q, want only the committed 1 (nothing sent after the commit)", got)
		}
	})
	t.Run("a refused batch commits nothing", func(t *testing.T) {
		t.Parallel()
		pool, _ := countedPool(t)
		err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, insert, 1, "a@example.com"); err != nil {
				return err
			}
			b := batch(2)
			b.Queue(insert, 3, "a@example.com") // the e-mail taken by 1
			return pgdb.SendAndCommit(ctx, tx, b)
		})
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
			t.Errorf("a duplicate in the last batch: %v, want the unique violation", err)
		}
		if got := queryString(t, pool, "SELECT count(*)::text FROM accounts"); got != "0" {
			t.Errorf("rows committed = %s, want 0", got)
		}
		c, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
		if status := c.Conn().PgConn().TxStatus(); status != 'I' {
			t.Errorf("the connection after it has transaction status %q, want idle", status)
		}
	})
	t.Run("a transaction handed on as Shared stays open", func(t *testing.T) {
		t.Parallel()
		pool, _ := countedPool(t)
		err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
			if err := pgdb.SendAndCommit(ctx, pgdb.Shared(tx), batch(1)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, insert, 2, "b@example.com"); err != nil {
				return err
			}
			return errDeclined
		})
		if !errors.Is(err, errDeclined) {
			t.Fatalf("InTx = %v, want the refusal", err)
		}
		if got := queryString(t, pool, "SELECT count(*)::text FROM accounts"); got != "0" {
			t.Errorf("rows committed = %s, want 0: the transaction was still open, and rolled back", got)
		}
	})
	t.Run("a query after it answers the error as pgx does", func(t *testing.T) {
		t.Parallel()
		pool, _ := countedPool(t)
		var collected error
		_ = pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
			if err := pgdb.SendAndCommit(ctx, tx, batch(1)); err != nil {
				return err
			}
			rows, _ := tx.Query(ctx, "SELECT id FROM accounts WHERE id > $1", 0)
			_, collected = pgx.CollectRows(rows, pgx.RowTo[int32])
			return nil
		})
		if !errors.Is(collected, pgx.ErrTxClosed) {
			t.Errorf("rows of a query after the commit: %v, want ErrTxClosed", collected)
		}
	})
	t.Run("a transaction its caller commits stays open", func(t *testing.T) {
		t.Parallel()
		pool, _ := countedPool(t)
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if err := pgdb.SendAndCommit(ctx, tx, batch(1)); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if got := queryString(t, pool, "SELECT count(*)::text FROM accounts"); got != "0" {
			t.Errorf("rows committed = %s, want 0: the caller rolled back", got)
		}
	})
}

// TestAScanErrorInTheFirstQueryFreesTheConnection: rows of the first
// query left after a failed Scan, unclosed, still let the transaction roll
// back, and the pool's one connection serves the next (rather than being
// dropped, busy, for a new one).
func TestAScanErrorInTheFirstQueryFreesTheConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := countedPool(t)
	err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "SELECT 'not a number' FROM generate_series(1, $1::int)", 2)
		if err != nil {
			return err
		}
		rows.Next()
		var n int
		return rows.Scan(&n) // returned without closing the rows
	})
	if err == nil {
		t.Fatal("scanning text into an int succeeded")
	}
	if err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO accounts (id, email) VALUES ($1, $2)", 1, "a@example.com")
		return err
	}); err != nil {
		t.Errorf("the next transaction on the pool's one connection: %v", err)
	}
	if n := pool.Stat().NewConnsCount(); n != 1 {
		t.Errorf("the pool made %d connections, want its first one only: the rolled-back one was dropped", n)
	}
}
