package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/pgtest"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/store"
)

// TestTheDiedNumberCheckReadsAnIndex: the trigger that keeps a dead
// member's number from being registered again finds the dead holder by
// the index of left members' numbers (migration 011), not by reading
// every member: among 500 members, registering one and changing its
// number reads a handful of member rows. Asked by number and kind alone,
// as migration 010 did, it read them all, twice (1,002 rows).
func TestTheDiedNumberCheckReadsAnIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.Pool(t, store.Schema, store.AllMigrations...)
	branch := orgview.Record{ID: member.NewID(), Kind: "BRANCH", State: "ACTIVE", Name: "Branch"}
	err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		if err := orgview.Apply(ctx, tx, branch, time.Now()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO members (id, name, sex, birth_date, national_id_sealed, national_id_hash,
				join_date, status, organisation_id, path, version, created_at, updated_at)
			SELECT gen_random_uuid(), 'Li', 'FEMALE', '1980-01-15', 'sealed', decode(md5(g::text), 'hex'), '2005-07-01',
				'FULL', $1, '/', 1, now(), now() FROM generate_series(1, 500) g`, branch.ID); err != nil {
			return err
		}
		read := func() (n int64) {
			if err := tx.QueryRow(ctx, `SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)
				FROM pg_stat_xact_user_tables WHERE relname = 'members' AND schemaname = current_schema()`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := read()
		id := member.NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO members (id, name, sex, birth_date, national_id_sealed, national_id_hash,
				join_date, status, organisation_id, path, version, created_at, updated_at)
			VALUES ($1, 'Li', 'FEMALE', '1980-01-15', 'sealed', '\x01', '2005-07-01', 'FULL', $2, '/', 1, now(), now())`,
			id, branch.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE members SET national_id_hash = '\x02' WHERE id = $1`, id); err != nil {
			return err
		}
		// The update finds its row by the key: one tuple.
		if got := read() - before; got > 5 {
			t.Errorf("registering a member and changing its number read %d member rows among 500, want a handful", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
