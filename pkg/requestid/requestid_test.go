package requestid

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/actor"
	"gongjian.dev/pkg/auth"
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

// TestARequestIDIsTheCallersOwn: the same id chosen by two callers makes
// two resources, and neither's retry returns the other's; a background
// job's ids are its own too.
func TestARequestIDIsTheCallersOwn(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, "requestid_callers", schema)
	as := func(subject string) context.Context {
		return auth.WithPrincipal(context.Background(), &auth.Principal{Subject: subject, Role: auth.CityAdmin})
	}
	callers := map[string]context.Context{
		"0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2a": as("alice"),
		"0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2b": as("bob"),
		"0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c": actor.AsSystem(context.Background(), "sweeper"),
	}
	for res, ctx := range callers {
		err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
			if id, seen, err := Seen(ctx, tx, "create/7"); err != nil || seen {
				t.Fatalf("another caller's id seen: %q %v %v", id, seen, err)
			}
			return Remember(ctx, tx, "create/7", res)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for res, ctx := range callers {
		_ = pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
			if id, seen, err := Seen(ctx, tx, "create/7"); err != nil || !seen || id != res {
				t.Errorf("a retry: %q %v %v, want %s", id, seen, err, res)
			}
			return nil
		})
	}
	rows, _ := pool.Query(context.Background(), `SELECT request_id FROM requests ORDER BY request_id`)
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Equal(keys, []string{For("alice", "create/7"), For("bob", "create/7"), For("system:sweeper", "create/7")}) {
		t.Errorf("kept under %q, %v", keys, err)
	}
}
