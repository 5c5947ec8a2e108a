package pgdb_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"gongjian.dev/pkg/pgdb"
)

var errDeclined = errors.New("transfer declined")

func TestInTx(t *testing.T) {
	t.Parallel()
	serialization := &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
	duplicate := &pgconn.PgError{Code: "23505", Message: "duplicate key value"}
	tests := []struct {
		name         string
		fail         func(attempt int) error // what fn returns after writing
		wantErr      error
		wantAttempts int
		wantRows     string
	}{
		{"commits when fn succeeds", func(int) error { return nil }, nil, 1, "1"},
		{"rolls back when fn fails", func(int) error { return errDeclined }, errDeclined, 1, "0"},
		{"retries a serialization failure", failFirst(serialization), nil, 2, "1"},
		{"retries a deadlock", failFirst(&pgconn.PgError{Code: "40P01"}), nil, 2, "1"},
		{"retries a failure a store wrapped", failFirst(fmt.Errorf("store: %w", serialization)), nil, 2, "1"},
		{"gives up after MaxAttempts", func(int) error { return serialization }, serialization, pgdb.MaxAttempts, "0"},
		{"does not retry other database errors", func(int) error { return duplicate }, duplicate, 1, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := pgtestPool(t)
			attempts := 0
			err := pgdb.InTx(context.Background(), pool, func(tx pgx.Tx) error {
				attempts++
				if _, err := tx.Exec(context.Background(), "INSERT INTO accounts (id, email) VALUES (1, 'a@example.com')"); err != nil {
					return err
				}
				return tt.fail(attempts)
			})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("InTx = %v, want %v", err, tt.wantErr)
			}
			if attempts != tt.wantAttempts {
				t.Errorf("fn ran %d times, want %d", attempts, tt.wantAttempts)
			}
			if got := queryString(t, pool, "SELECT count(*)::text FROM accounts"); got != tt.wantRows {
				t.Errorf("rows committed = %s, want %s", got, tt.wantRows)
			}
		})
	}
}

// failFirst returns err from the first attempt only.
func failFirst(err error) func(int) error {
	return func(attempt int) error {
		if attempt == 1 {
			return err
		}
		return nil
	}
}

func TestInTxRollsBackOnPanic(t *testing.T) {
	t.Parallel()
	pool := pgtestPool(t)
	recovered := func() (p any) {
		defer func() { p = recover() }()
		pgdb.InTx(context.Background(), pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(context.Background(), "INSERT INTO accounts (id, email) VALUES (1, 'a@example.com')"); err != nil {
				t.Fatal(err)
			}
			panic("boom")
		})
		return nil
	}()
	if recovered != "boom" {
		t.Errorf("panic seen by the caller = %v, want boom", recovered)
	}
	if got := queryString(t, pool, "SELECT count(*)::text FROM accounts"); got != "0" {
		t.Errorf("rows committed = %s, want 0", got)
	}
	if n := pool.Stat().AcquiredConns(); n != 0 {
		t.Errorf("%d connections still held after the panic", n)
	}
}

// TestInTxRetriesARealSerializationFailure makes two REPEATABLE READ
// transactions update one row: the one whose snapshot is older fails with
// 40001 and must succeed when run again.
func TestInTxRetriesARealSerializationFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtestPool(t)
	exec(t, pool, "INSERT INTO accounts (id, email, balance) VALUES (1, 'a@example.com', 0)")
	deposit := "UPDATE accounts SET balance = balance + 10 WHERE id = 1"

	attempts := 0
	err := pgdb.InTxWith(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		attempts++
		var balance int
		if err := tx.QueryRow(ctx, "SELECT balance FROM accounts WHERE id = 1").Scan(&balance); err != nil {
			return err
		}
		if attempts == 1 { // another deposit commits after this snapshot
			if err := pgdb.InTx(ctx, pool, func(other pgx.Tx) error {
				_, err := other.Exec(ctx, deposit)
				return err
			}); err != nil {
				t.Fatalf("concurrent deposit: %v", err)
			}
		}
		_, err := tx.Exec(ctx, deposit)
		return err
	})
	if err != nil {
		t.Fatalf("InTxWith: %v", err)
	}
	if attempts != 2 {
		t.Errorf("fn ran %d times, want 2", attempts)
	}
	if got := queryString(t, pool, "SELECT balance::text FROM accounts"); got != "20" {
		t.Errorf("balance = %s, want 20: a deposit was lost", got)
	}
}
