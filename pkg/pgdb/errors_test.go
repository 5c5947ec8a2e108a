package pgdb_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/pgtest"
)

func pgtestPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	return pgtest.Pool(t, "billing", accounts, ledger)
}

// verdict is what the helpers say about one error.
type verdict struct {
	Unique, UniqueNamed  bool
	ForeignKey, FKNamed  bool
	Check, CheckNamed    bool
	OtherConstraintNamed bool
	Constraint           string
	NoRows               bool
}

func judge(err error, constraint string) verdict {
	return verdict{
		Unique:               pgdb.IsUniqueViolation(err, ""),
		UniqueNamed:          pgdb.IsUniqueViolation(err, constraint),
		ForeignKey:           pgdb.IsForeignKeyViolation(err, ""),
		FKNamed:              pgdb.IsForeignKeyViolation(err, constraint),
		Check:                pgdb.IsCheckViolation(err, ""),
		CheckNamed:           pgdb.IsCheckViolation(err, constraint),
		OtherConstraintNamed: pgdb.IsUniqueViolation(err, "no_such_constraint") || pgdb.IsForeignKeyViolation(err, "no_such_constraint") || pgdb.IsCheckViolation(err, "no_such_constraint"),
		Constraint:           pgdb.ConstraintName(err),
		NoRows:               pgdb.IsNoRows(err),
	}
}

func TestErrorHelpersRecogniseRealViolations(t *testing.T) {
	t.Parallel()
	pool := pgtestPool(t)
	exec(t, pool, "INSERT INTO accounts (id, email, balance) VALUES (1, 'taken@example.com', 5)")
	noRows := func() error {
		var id int
		err := pool.QueryRow(context.Background(), "SELECT id FROM accounts WHERE id = 404").Scan(&id)
		return fmt.Errorf("store: %w", err)
	}
	tests := []struct {
		name string
		err  error
		want verdict
	}{
		{
			"a taken e-mail address",
			execErr(pool, "INSERT INTO accounts (id, email) VALUES (2, 'taken@example.com')"),
			verdict{Unique: true, UniqueNamed: true, Constraint: "accounts_email_key"},
		},
		{
			"a taken primary key",
			execErr(pool, "INSERT INTO accounts (id, email) VALUES (1, 'new@example.com')"),
			verdict{Unique: true, UniqueNamed: true, Constraint: "accounts_pkey"},
		},
		{
			"a transfer to a missing account",
			execErr(pool, "INSERT INTO transfers (account_id, amount) VALUES (404, 1)"),
			verdict{ForeignKey: true, FKNamed: true, Constraint: "transfers_account_fkey"},
		},
		{
			"a negative balance",
			execErr(pool, "UPDATE accounts SET balance = -1 WHERE id = 1"),
			verdict{Check: true, CheckNamed: true, Constraint: "accounts_balance_non_negative"},
		},
		{"no row", noRows(), verdict{NoRows: true}},
		{"another database error", execErr(pool, "SELECT 1/0"), verdict{}},
		{"an error from elsewhere", errors.New("accounts_email_key"), verdict{}},
		{"no error", nil, verdict{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, judge(tt.err, tt.want.Constraint)); diff != "" {
				t.Errorf("helpers on %v (-want +got):\n%s", tt.err, diff)
			}
		})
	}
}

func TestIsUnavailableTellsAnOutageFromAFailedStatement(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"a refused connection", &pgconn.ConnectError{}, true},
		{"the server shutting down", &pgconn.PgError{Code: "57P01"}, true},
		{"a connection exception", fmt.Errorf("query: %w", &pgconn.PgError{Code: "08006"}), true},
		{"a cut connection", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"a unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"no rows", pgx.ErrNoRows, false},
		{"the caller's deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), false},
		{"a cancelled call", context.Canceled, false},
		{"nothing", nil, false},
	} {
		if got := pgdb.IsUnavailable(c.err); got != c.want {
			t.Errorf("%s: IsUnavailable = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestIsExclusionViolationRecognisesOverlappingSpans(t *testing.T) {
	t.Parallel()
	rooms := pgdb.MigrationSet{Name: "rooms", FS: sqlFiles(map[string]string{
		"001_create_stays.sql": `CREATE TABLE stays (
			id int PRIMARY KEY,
			nights int4range NOT NULL,
			CONSTRAINT stays_no_overlap EXCLUDE USING gist (nights WITH &&)
		);`,
	})}
	pool := pgtest.Pool(t, "hotel", rooms)
	exec(t, pool, "INSERT INTO stays VALUES (1, '[1,5)')")
	overlap := execErr(pool, "INSERT INTO stays VALUES (2, '[4,8)')")
	if !pgdb.IsExclusionViolation(overlap, "stays_no_overlap") || !pgdb.IsExclusionViolation(overlap, "") {
		t.Errorf("an overlapping stay: %v, want an exclusion violation of stays_no_overlap", overlap)
	}
	if pgdb.IsExclusionViolation(overlap, "other") || pgdb.IsUniqueViolation(overlap, "") {
		t.Errorf("an overlapping stay taken for another constraint's violation: %v", overlap)
	}
	if err := execErr(pool, "INSERT INTO stays VALUES (1, '[5,6)')"); pgdb.IsExclusionViolation(err, "") {
		t.Errorf("a taken primary key taken for an exclusion violation: %v", err)
	}
	if err := execErr(pool, "INSERT INTO stays VALUES (3, '[5,8)')"); err != nil {
		t.Errorf("a stay that begins when the other ends: %v", err)
	}
}
