package audit_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/pgdb"
)

// insufficientPrivilege is the SQLSTATE the append-only triggers raise.
const insufficientPrivilege = "42501"

func TestTheDatabaseRefusesToChangeOrRemoveRecords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, sql string
	}{
		{"an update of a record", `UPDATE audit_log SET actor_subject = 'someone-else'`},
		{"an update that matches no record", `UPDATE audit_log SET actor_subject = 'x' WHERE id = -1`},
		{"a delete of one record", `DELETE FROM audit_log WHERE subject_id = 'm-1'`},
		{"a delete of every record", `DELETE FROM audit_log`},
		{"a truncate", `TRUNCATE audit_log`},
		{"a truncate that would restart the ids", `TRUNCATE audit_log RESTART IDENTITY CASCADE`},
		{"an upsert over an existing record", `INSERT INTO audit_log (id, actor_subject, actor_role, action, subject_type, subject_id)
			SELECT id, 'x', 'x', 'write', 'x', 'x' FROM audit_log
			ON CONFLICT (id) DO UPDATE SET actor_subject = excluded.actor_subject`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := newPool(t)
			ctx := auth.WithPrincipal(callContext(t), secretary)
			if err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error { return audit.Write(ctx, tx, member) }); err != nil {
				t.Fatalf("Write: %v", err)
			}
			before := readAll(t, pool)

			_, err := pool.Exec(ctx, tt.sql)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != insufficientPrivilege || !strings.Contains(pgErr.Message, "append-only") {
				t.Fatalf("%s: error %v, want SQLSTATE %s saying the log is append-only", tt.sql, err, insufficientPrivilege)
			}
			if diff := cmp.Diff(before, readAll(t, pool)); diff != "" {
				t.Errorf("audit_log changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestTheDatabaseRefusesAnUnknownAction(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	_, err := pool.Exec(callContext(t), `INSERT INTO audit_log (actor_subject, actor_role, action, subject_type, subject_id)
		VALUES ('u', 'r', 'delete', 'member', 'm-1')`)
	if !pgdb.IsCheckViolation(err, "audit_log_action_known") {
		t.Fatalf("insert with action delete: %v, want a violation of audit_log_action_known", err)
	}
}
