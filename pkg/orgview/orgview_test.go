package orgview_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestTheViewFollowsTheTreeAndIgnoresOlderEvents: a subtree moved takes its
// organisations along, the hook sees the new path, an older update
// delivered late changes nothing, and Within answers by the view.
func TestTheViewFollowsTheTreeAndIgnoresOlderEvents(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t, "viewtest", orgview.Migrations)
	tree := orgview.Tree{Pool: pool}
	id := func() string { return uuid.NewString() }
	city, d1, d2, street, branch := id(), id(), id(), id(), id()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	apply := func(r orgview.Record, at time.Time) {
		t.Helper()
		if err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error { return orgview.Apply(ctx, tx, r, at) }); err != nil {
			t.Fatal(err)
		}
	}
	apply(orgview.Record{ID: city, Kind: "CITY", State: "ACTIVE", Name: "city"}, t0)
	apply(orgview.Record{ID: d1, Kind: "DISTRICT", State: "ACTIVE", Name: "d1", AncestorIDs: []string{city}}, t0)
	apply(orgview.Record{ID: d2, Kind: "DISTRICT", State: "ACTIVE", Name: "d2", AncestorIDs: []string{city}}, t0)
	apply(orgview.Record{ID: street, Kind: "STREET", State: "ACTIVE", Name: "s", DistrictID: d1, AncestorIDs: []string{city, d1}}, t0)
	apply(orgview.Record{ID: branch, Kind: "BRANCH", State: "ACTIVE", Name: "b", DistrictID: d1, AncestorIDs: []string{city, d1, street}}, t0)

	var hooked string
	err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		return orgview.ApplyMove(ctx, tx, orgview.Record{ID: street, Kind: "STREET", State: "ACTIVE", Name: "s",
			DistrictID: d2, AncestorIDs: []string{city, d2}}, t0.Add(time.Hour), func(_ context.Context, _ pgx.Tx, p string) error {
			hooked = p
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "/" + city + "/" + d2 + "/" + street + "/"; hooked != want {
		t.Errorf("hook saw %q, want %q", hooked, want)
	}
	for _, c := range []struct {
		org, root string
		want      bool
	}{{branch, d2, true}, {branch, d1, false}, {street, street, true}, {branch, city, true}, {"not-an-id", city, false}} {
		if got, err := tree.Within(ctx, c.org, c.root); err != nil || got != c.want {
			t.Errorf("Within(%s, %s) = %v, %v; want %v", c.org, c.root, got, err, c.want)
		}
	}
	var district string
	if err := pool.QueryRow(ctx, `SELECT district_id::text FROM orgs WHERE id = $1`, branch).Scan(&district); err != nil || district != d2 {
		t.Errorf("the branch's district is %s (%v), want the new one", district, err)
	}
	apply(orgview.Record{ID: street, Kind: "STREET", State: "DISSOLVED", Name: "old", DistrictID: d1, AncestorIDs: []string{city, d1}}, t0.Add(time.Minute))
	var state string
	if err := pool.QueryRow(ctx, `SELECT state FROM orgs WHERE id = $1`, street).Scan(&state); err != nil || state != "ACTIVE" {
		t.Errorf("an older event changed the view: state %s (%v)", state, err)
	}
}
