package requestid

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var schema = pgdb.MigrationSet{Name: "requests", FS: fstest.MapFS{"001_requests.sql": {Data: []byte(
	`CREATE TABLE requests (request_id text PRIMARY KEY, resource_id uuid NOT NULL, created_at timestamptz NOT NULL DEFAULT now());`)}}}

func TestARequestIDReturnsWhatItCreated(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, "requestid", schema)
	ctx := context.Background()
	const res = "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c"
	err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		if _, seen, err := Seen(ctx, tx, "create/1"); err != nil || seen {
			t.Fatalf("a new id seen: %v %v", seen, err)
		}
		return Remember(ctx, tx, "create/1", res)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		if id, seen, err := Seen(ctx, tx, "create/1"); err != nil || !seen || id != res {
			t.Fatalf("seen %q %v %v, want %s", id, seen, err, res)
		}
		if _, seen, _ := Seen(ctx, tx, ""); seen {
			t.Fatal("the empty id was seen")
		}
		if err := Remember(ctx, tx, "create/1", res); !errors.Is(err, ErrInFlight) {
			t.Fatalf("remembering twice: %v, want ErrInFlight", err)
		}
		return nil
	})
}
