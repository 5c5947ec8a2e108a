package grpcapi_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/servicetest"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// TestTheDashboardsCountersAreExactAfterARandomMixOfWrites: a sweep makes
// findings and items, then three clients at once open items by hand,
// submit evidence, return it, accept it and reopen closed items, while a
// community moves to the other district and the overdue items escalate;
// afterwards the counters rolled up to every organisation (and to
// everything) equal the items and findings of its subtree counted one by
// one — before the fold has moved the deltas and after — and so does every
// organisation's dashboard.
func TestTheDashboardsCountersAreExactAfterARandomMixOfWrites(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 4, 20, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	a := h.created(t, c.street, kindCommunity, "A", "2025-12-15")
	b := h.created(t, c.street, kindCommunity, "B", "2025-12-15")
	ab := h.created(t, a, kindBranch, "A's branch", "2025-12-15")
	h.known(t, a, b, ab, c.otherCommunity)
	if _, err := h.Service.Rules.Sweep(servicetest.Ctx(t), ""); err != nil {
		t.Fatal(err)
	}
	owners := []*orgv1.Organisation{a, b, ab, c.otherCommunity, c.street, c.otherStreet}

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mix := itemWrites{items: pb.NewRectificationServiceClient(h.as(cityAdmin)), r: rand.New(rand.NewPCG(seed, uint64(w))), owners: owners}
			for range 25 {
				if err := mix.step(servicetest.Ctx(t)); err != nil {
					t.Errorf("client %d: %v", w, err)
					return
				}
			}
		}()
	}
	// Meanwhile community A (with its branch) moves to the other district.
	time.Sleep(200 * time.Millisecond)
	moved := &orgv1.Organisation{Id: a.GetId(), Kind: kindCommunity, Name: "A", State: orgv1.OrganisationState_ORGANISATION_STATE_ACTIVE,
		FoundingDate: a.GetFoundingDate(), ParentId: c.otherStreet.GetId(),
		AncestorIds: append(slices.Clone(c.otherStreet.GetAncestorIds()), c.otherStreet.GetId()), DistrictId: c.other.GetId(),
		CreateTime: a.GetCreateTime(), UpdateTime: timestamppb.Now()}
	id := uuid.NewString()
	h.publish(t, "gongjian.organisation.v1.organisation_moved", &orgv1.OrganisationMoved{EventId: id, OccurTime: timestamppb.Now(),
		Organisation: moved, OldParentId: c.street.GetId(), OldDistrictId: c.district.GetId(), SubtreeSize: 2}, id)
	wg.Wait()
	servicetest.WaitFor(t, "community A to move", func() bool {
		return h.count(t, `SELECT count(*) FROM orgs WHERE id = $1 AND district_id = $2`, a.GetId(), c.other.GetId()) == 1
	})
	clk.Set(time.Date(2026, 6, 25, 9, 0, 0, 0, time.UTC)) // past every deadline
	if _, err := h.Service.Rectify.EscalateOverdue(servicetest.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	if t.Failed() {
		return
	}

	h.checkDashboards(t, "after the writes")
	if _, err := h.Service.Store.FoldDashboard(servicetest.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := h.count(t, `SELECT (SELECT count(*) FROM dash_items_deltas) + (SELECT count(*) FROM dash_quarters_deltas)`); n != 0 {
		t.Fatalf("%d deltas left after a fold", n)
	}
	h.checkDashboards(t, "after the fold")
	if n := h.count(t, `SELECT count(*) FROM items i JOIN orgs o ON o.id = i.organisation_id
		WHERE o.path >= (SELECT path FROM orgs WHERE id = $1) AND i.escalated_at IS NOT NULL`, c.other.GetId()); n == 0 {
		t.Error("no escalated item in the district A moved to: the check proved little")
	}
}

// checkDashboards compares the rolled-up counters of every organisation
// with its subtree's items and findings counted by path range, and every
// organisation's dashboard with the same counts.
func (h *harness) checkDashboards(t *testing.T, when string) {
	t.Helper()
	const nothing = `'00000000-0000-0000-0000-000000000000'::uuid`
	for _, c := range []struct{ what, live, rolled string }{
		{"items", `(SELECT o.id, i.rule_code, i.state, i.escalated_at IS NOT NULL, count(*)
			  FROM orgs o JOIN orgs s ON s.path >= o.path AND s.path < o.path || '~' JOIN items i ON i.organisation_id = s.id GROUP BY 1, 2, 3, 4
			UNION ALL SELECT ` + nothing + `, rule_code, state, escalated_at IS NOT NULL, count(*) FROM items GROUP BY 2, 3, 4)`,
			`(SELECT ancestor_id, rule_code, state, escalated, sum(n)
			  FROM (SELECT * FROM dash_items UNION ALL SELECT * FROM dash_items_deltas) AS r GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0)`},
		{"quarters", `(SELECT id, quarter, sum(f), sum(i) FROM (
				SELECT o.id, quarter_of(f.created_at) AS quarter, 1 AS f, 0 AS i FROM orgs o
				  JOIN orgs s ON s.path >= o.path AND s.path < o.path || '~' JOIN findings f ON f.organisation_id = s.id
				UNION ALL SELECT ` + nothing + `, quarter_of(created_at), 1, 0 FROM findings WHERE organisation_id IS NOT NULL
				UNION ALL SELECT o.id, quarter_of(i.created_at), 0, 1 FROM orgs o
				  JOIN orgs s ON s.path >= o.path AND s.path < o.path || '~' JOIN items i ON i.organisation_id = s.id
				UNION ALL SELECT ` + nothing + `, quarter_of(created_at), 0, 1 FROM items) AS x GROUP BY 1, 2)`,
			`(SELECT ancestor_id, quarter, sum(findings), sum(items_opened)
			  FROM (SELECT * FROM dash_quarters UNION ALL SELECT * FROM dash_quarters_deltas) AS r GROUP BY 1, 2
			  HAVING sum(findings) <> 0 OR sum(items_opened) <> 0)`},
	} {
		if n := h.count(t, `SELECT count(*) FROM ((`+c.live+` EXCEPT `+c.rolled+`) UNION ALL (`+c.rolled+` EXCEPT `+c.live+`)) AS d`); n != 0 {
			if rows, err := h.Pool.Query(context.Background(), `(`+c.live+` EXCEPT `+c.rolled+`) UNION ALL (`+c.rolled+` EXCEPT `+c.live+`)`); err == nil {
				for rows.Next() {
					v, _ := rows.Values()
					t.Log(v...)
				}
				rows.Close()
			}
			t.Fatalf("%s: %d rolled-up counters of %s differ from a live count", when, n, c.what)
		}
	}
	rows, err := h.Pool.Query(context.Background(), `SELECT o.id::text,
			count(i.id) FILTER (WHERE i.state = 'OPEN'), count(i.id) FILTER (WHERE i.state = 'SUBMITTED'),
			count(i.id) FILTER (WHERE i.state = 'CLOSED'), count(i.id) FILTER (WHERE i.state <> 'CLOSED' AND i.escalated_at IS NOT NULL)
		FROM orgs o LEFT JOIN orgs s ON s.path >= o.path AND s.path < o.path || '~' LEFT JOIN items i ON i.organisation_id = s.id
		GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for rows.Next() {
		var id string
		var open, submitted, closed, overdue int64
		if err := rows.Scan(&id, &open, &submitted, &closed, &overdue); err != nil {
			t.Fatal(err)
		}
		want[id] = fmt.Sprint(open, submitted, closed, overdue)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	dash := pb.NewDashboardServiceClient(h.as(cityAdmin))
	for id, w := range want {
		d, err := dash.GetDashboard(servicetest.Ctx(t), &pb.GetDashboardRequest{OrganisationId: id})
		if err != nil {
			t.Fatalf("%s: dashboard of %s: %v", when, id, err)
		}
		it := d.GetItems()
		if got := fmt.Sprint(it.GetOpen(), it.GetSubmitted(), it.GetClosed(), it.GetOverdue()); got != w {
			t.Fatalf("%s: the dashboard of %s counts open, submitted, closed, overdue %s, want %s", when, id, got, w)
		}
		for _, br := range d.GetByBranch() {
			it := br.GetItems()
			if got := fmt.Sprint(it.GetOpen(), it.GetSubmitted(), it.GetClosed(), it.GetOverdue()); got != want[br.GetOrganisationId()] {
				t.Fatalf("%s: the dashboard of %s counts %s under %s, want %s", when, id, got, br.GetOrganisationId(), want[br.GetOrganisationId()])
			}
		}
	}
}

// itemWrites is one client's random mix of the writes that change the
// dashboard's counters, on items it opened itself.
type itemWrites struct {
	items  pb.RectificationServiceClient
	r      *rand.Rand
	owners []*orgv1.Organisation
	// open, submitted and closed are the client's items by state.
	open, submitted, closed []string
}

func (w *itemWrites) step(ctx context.Context) error {
	items := w.items
	switch k := w.r.IntN(100); {
	case k < 35 || len(w.open)+len(w.submitted)+len(w.closed) == 0:
		o := w.owners[w.r.IntN(len(w.owners))]
		deadline := []string{"2026-05-01", "2026-12-31"}[w.r.IntN(2)]
		resp, err := items.CreateItem(ctx, &pb.CreateItemRequest{Item: &pb.RectificationItem{OrganisationId: o.GetId(),
			Title: "premises below 200 m²", Deadline: deadline}})
		if err != nil {
			return fmt.Errorf("create: %w", err)
		}
		w.open = append(w.open, resp.GetItem().GetId())
	case k < 60 && len(w.open) > 0:
		id := take(w.r, &w.open)
		if _, err := items.SubmitEvidence(ctx, &pb.SubmitEvidenceRequest{Id: id,
			Evidence: []*pb.Evidence{{Description: "lease of a larger room"}}}); err != nil {
			return fmt.Errorf("submit: %w", err)
		}
		w.submitted = append(w.submitted, id)
	case k < 70 && len(w.submitted) > 0:
		id := take(w.r, &w.submitted)
		if _, err := items.ReturnItem(ctx, &pb.ReturnItemRequest{Id: id, Reason: "the lease is not signed"}); err != nil {
			return fmt.Errorf("return: %w", err)
		}
		w.open = append(w.open, id)
	case k < 90 && len(w.submitted) > 0:
		id := take(w.r, &w.submitted)
		if _, err := items.AcceptItem(ctx, &pb.AcceptItemRequest{Id: id}); err != nil {
			return fmt.Errorf("accept: %w", err)
		}
		w.closed = append(w.closed, id)
	case len(w.closed) > 0:
		id := take(w.r, &w.closed)
		if _, err := items.ReopenItem(ctx, &pb.ReopenItemRequest{Id: id, Reason: "the room is still too small", Deadline: "2026-05-10"}); err != nil {
			return fmt.Errorf("reopen: %w", err)
		}
		w.open = append(w.open, id)
	}
	return nil
}

// take removes a random id of ids and returns it.
func take(r *rand.Rand, ids *[]string) string {
	i := r.IntN(len(*ids))
	id := (*ids)[i]
	*ids = append((*ids)[:i], (*ids)[i+1:]...)
	return id
}
