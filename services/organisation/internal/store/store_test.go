package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/pgtest"
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const rounds = 10

// testContext is a store call made by a city administrator: every write
// records who made it.
func testContext(t *testing.T) context.Context {
	ctx := auth.WithPrincipal(t.Context(), &auth.Principal{Subject: "store-test", Role: auth.CityAdmin})
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newService(t *testing.T) (*org.Service, *store.Store, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.Pool(t, store.Schema, store.AllMigrations...)
	st := store.New(pool)
	return org.NewService(st, nil, nil), st, pool
}

func create(t *testing.T, svc *org.Service, parent *org.Organisation, kind org.Kind, name string) *org.Organisation {
	t.Helper()
	o := &org.Organisation{Kind: kind, Name: name}
	if parent != nil {
		o.ParentID = parent.ID
	}
	if kind == org.Community {
		o.Details.CommunityForm = org.FormCommittee
	}
	created, err := svc.Create(testContext(t), o, "")
	if err != nil {
		t.Fatalf("create %s %q: %v", kind, name, err)
	}
	return created
}

// moveUnder takes the steps of a move through the store as the domain takes
// them, without the rules of which kind sits under which: those rules alone
// already forbid every cycle, and what is tested here is that the store's
// tree lock makes the second of two crossed moves see the first.
func moveUnder(ctx context.Context, st *store.Store, id, parentID string) error {
	return st.InTx(ctx, func(tx org.Tx) error {
		if err := tx.LockTree(ctx, true); err != nil {
			return err
		}
		o, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		parent, err := tx.Lock(ctx, parentID)
		if err != nil {
			return err
		}
		if parent.ID == o.ID || contains(parent.AncestorIDs, o.ID) {
			return org.ErrCycle
		}
		o.ParentID = parent.ID
		o.AncestorIDs = append(append([]string(nil), parent.AncestorIDs...), parent.ID)
		o.Depth = parent.Depth + 1
		o.DistrictID = parent.DistrictID
		if parent.Kind == org.District {
			o.DistrictID = parent.ID
		}
		if _, err := tx.MoveSubtree(ctx, o, parent); err != nil {
			return err
		}
		o.Version++
		o.Updated = time.Now().UTC().Truncate(time.Microsecond)
		return tx.Save(ctx, o, org.ChangeMoved)
	})
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func TestCrossedMovesNeverBothSucceed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// targets returns where a and b move, given a and b and a child of each.
		targets func(a, b, aChild, bChild string) (string, string)
	}{
		{"each under the other", func(a, b, _, _ string) (string, string) { return b, a }},
		// The two moves lock different rows before they look for a cycle;
		// the tree lock orders them, so that together they cannot close a
		// cycle of four.
		{"each under the other's child", func(_, _, aChild, bChild string) (string, string) { return bChild, aChild }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, st, pool := newService(t)
			city := create(t, svc, nil, org.City, "Jinchang Municipal Party Committee")
			district := create(t, svc, city, org.District, "Jinchuan District Committee")
			for round := range rounds {
				a := create(t, svc, district, org.Street, fmt.Sprintf("Street A%d", round))
				b := create(t, svc, district, org.Street, fmt.Sprintf("Street B%d", round))
				aChild := create(t, svc, a, org.Community, fmt.Sprintf("Community Under A%d", round))
				bChild := create(t, svc, b, org.Community, fmt.Sprintf("Community Under B%d", round))
				aTarget, bTarget := tt.targets(a.ID, b.ID, aChild.ID, bChild.ID)

				ctx := testContext(t)
				start := make(chan struct{})
				errs := make([]error, 2)
				var wg sync.WaitGroup
				for i, move := range [][2]string{{a.ID, aTarget}, {b.ID, bTarget}} {
					wg.Go(func() {
						<-start
						errs[i] = moveUnder(ctx, st, move[0], move[1])
					})
				}
				close(start)
				wg.Wait()

				succeeded, cycles := 0, 0
				for _, err := range errs {
					switch {
					case err == nil:
						succeeded++
					case errors.Is(err, org.ErrCycle):
						cycles++
					default:
						t.Fatalf("round %d: move failed: %v", round, err)
					}
				}
				if succeeded != 1 || cycles != 1 {
					t.Fatalf("round %d: %d moves succeeded and %d were refused as cycles, want one of each", round, succeeded, cycles)
				}
				checkTree(t, pool)
			}
		})
	}
}

func TestConcurrentTreeChangesKeepPaths(t *testing.T) {
	t.Parallel()
	svc, _, pool := newService(t)
	city := create(t, svc, nil, org.City, "Jinchang Municipal Party Committee")
	d1 := create(t, svc, city, org.District, "Jinchuan District Committee")
	d2 := create(t, svc, city, org.District, "Yongchang County Committee")
	for round := range rounds {
		s1 := create(t, svc, d1, org.Street, fmt.Sprintf("Binhe Road Street %d", round))
		s2 := create(t, svc, d2, org.Street, fmt.Sprintf("Chengguan Town %d", round))
		s3 := create(t, svc, d2, org.Street, fmt.Sprintf("Hexibao Town %d", round))
		c := create(t, svc, s1, org.Community, fmt.Sprintf("Guangzhou Road Community %d", round))
		b := create(t, svc, c, org.Branch, fmt.Sprintf("First Branch %d", round))
		g := create(t, svc, b, org.PartyGroup, fmt.Sprintf("Party Group of Block %d", round))

		// Whatever order they take, these changes land in one tree: the
		// community under the second street, the branch under the third,
		// and the new organisations under them.
		ctx := testContext(t)
		start := make(chan struct{})
		var (
			wg                sync.WaitGroup
			mu                sync.Mutex
			failures          []error
			newGroup, newBrch *org.Organisation
		)
		run := func(what string, fn func() error) {
			wg.Go(func() {
				<-start
				if err := fn(); err != nil {
					mu.Lock()
					failures = append(failures, fmt.Errorf("%s: %w", what, err))
					mu.Unlock()
				}
			})
		}
		run("move the community", func() error { _, err := svc.Move(ctx, c.ID, s2.ID, ""); return err })
		run("move the branch out of it", func() error { _, err := svc.Move(ctx, b.ID, s3.ID, ""); return err })
		run("create a party group in the branch", func() (err error) {
			newGroup, err = svc.Create(ctx, &org.Organisation{ParentID: b.ID, Kind: org.PartyGroup, Name: "New Party Group"}, "")
			return err
		})
		run("create a branch in the community", func() (err error) {
			newBrch, err = svc.Create(ctx, &org.Organisation{ParentID: c.ID, Kind: org.Branch, Name: "New Branch"}, "")
			return err
		})
		close(start)
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("round %d: %v", round, errors.Join(failures...))
		}
		checkTree(t, pool)

		type place struct {
			Parent    string
			Ancestors []string
			District  string
		}
		at := func(ids ...string) []string { return append([]string{city.ID, d2.ID}, ids...) }
		want := map[string]place{
			"community":       {s2.ID, at(s2.ID), d2.ID},
			"branch":          {s3.ID, at(s3.ID), d2.ID},
			"party group":     {b.ID, at(s3.ID, b.ID), d2.ID},
			"new party group": {b.ID, at(s3.ID, b.ID), d2.ID},
			"new branch":      {c.ID, at(s2.ID, c.ID), d2.ID},
		}
		got := map[string]place{}
		for name, id := range map[string]string{"community": c.ID, "branch": b.ID, "party group": g.ID, "new party group": newGroup.ID, "new branch": newBrch.ID} {
			o, err := svc.Get(ctx, id, nil)
			if err != nil {
				t.Fatal(err)
			}
			got[name] = place{o.ParentID, o.AncestorIDs, o.DistrictID}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("round %d: places after the concurrent changes (-want +got):\n%s", round, diff)
		}
	}
}

// checkTree fails the test unless every organisation's path is its parent's
// path followed by its own id, its depth one more than its parent's, and its
// district the nearest district above it. A cycle can never satisfy this.
func checkTree(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	type node struct {
		id, parent, path, district, kind string
		depth                            int
	}
	rows, err := pool.Query(testContext(t), `SELECT id::text, coalesce(parent_id::text, ''), path, coalesce(district_id::text, ''), kind, depth FROM organisations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	nodes := map[string]node{}
	for rows.Next() {
		var n node
		if err := rows.Scan(&n.id, &n.parent, &n.path, &n.district, &n.kind, &n.depth); err != nil {
			t.Fatal(err)
		}
		nodes[n.id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.parent == "" {
			if n.path != "/"+n.id+"/" || n.depth != 0 {
				t.Errorf("root %s: path %s, depth %d", n.id, n.path, n.depth)
			}
			continue
		}
		p, ok := nodes[n.parent]
		if !ok {
			t.Errorf("%s: parent %s missing", n.id, n.parent)
			continue
		}
		wantDistrict := p.district
		if p.kind == string(org.District) {
			wantDistrict = p.id
		}
		if n.kind == string(org.District) {
			wantDistrict = ""
		}
		if !strings.HasPrefix(n.path, p.path) || n.path != p.path+n.id+"/" || n.depth != p.depth+1 || n.district != wantDistrict {
			t.Errorf("%s (%s): path %s, depth %d, district %q; parent path %s, depth %d; want district %q",
				n.id, n.kind, n.path, n.depth, n.district, p.path, p.depth, wantDistrict)
		}
	}
}
