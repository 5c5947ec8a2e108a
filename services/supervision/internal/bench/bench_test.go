// Package bench_test measures the supervision service at a city's scale:
// a sweep of every rule over the projections of 1,500,000 members and
// 51,188 organisations, and the city's dashboard, beside the ceilings of
// the same run. The projections are seeded with COPY, as the consumers
// would have left them.
package bench_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/rules"
	"gongjian.dev/services/supervision/internal/wiring"
)

// The city of the benchmark: 17 districts of 10 streets of 25
// communities, each with 11 branches (51,188 organisations); 1,500,000
// members over the branches (BENCH_MEMBERS changes it), a third of them
// in service with a community of their district.
var shape = struct{ districts, streetsPer, communitiesPer, branchesPer int }{17, 10, 25, 11}

// What the seeded facts hold, so that a sweep finds something: 3% of the
// in-service members absent for more than six months, 10% of the
// communities without a concentrated activity in the quarter judged, and
// a few thousand facts that arrived as events.
const (
	absentShare    = 0.03
	missedShare    = 0.10
	inServiceShare = 3 // one member in three
)

type city struct {
	id          string
	districts   []string
	communities []string
	branches    []string
}

func BenchmarkCity(b *testing.B) {
	spec := wiring.Spec(&wiring.Config{SweepInterval: time.Hour, ComplianceInterval: time.Hour})
	pool := servicetest.DurablePool(b, spec)
	n := 1_500_000
	if v := os.Getenv("BENCH_MEMBERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	c := seed(b, pool, n)
	b.Logf("seeded %d organisations and %d members in %s", 1+len(c.districts)*(1+shape.streetsPer)+len(c.communities)+len(c.branches), n,
		time.Since(start).Round(time.Millisecond))
	h := servicetest.Start(b, spec, servicetest.WithPool(pool), servicetest.Loopback(),
		servicetest.WithStreams(
			events.StreamSpec{Name: "ORGANISATION", Subjects: []string{"gongjian.organisation.v1.>"}},
			events.StreamSpec{Name: "MEMBER", Subjects: []string{"gongjian.member.v1.>"}},
			events.StreamSpec{Name: "COBUILDING", Subjects: []string{"gongjian.cobuilding.v1.>"}}),
		servicetest.WithLogger(slog.New(sweptOnly{slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})})))
	ctx := context.Background()

	// Each shipped rule's set-based query over the whole city, as a sweep
	// reads it (its parameters, its condition's bounds); BENCH_EXPLAIN=1
	// logs the plan of each (EXPLAIN ANALYZE, BUFFERS).
	for _, r := range rules.Presets {
		fact, _ := rules.FactNamed(r.Fact)
		q := rules.FactQuery{Fact: r.Fact, DistrictIDs: c.districts, Today: time.Now().UTC(), Params: r.Params,
			WindowCount: r.WindowCount, AtLeast: rules.Bounds(fact, &r), Quarter: rules.JudgedQuarter(time.Now().UTC(), 15),
			NewFor: uuid.NewString()}
		if os.Getenv("BENCH_EXPLAIN") != "" {
			plans, err := h.Service.Store.ExplainFactRows(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("the plan of %s's query:\n%s", r.Code, plans)
		}
		b.Run("facts/"+r.Code, func(b *testing.B) {
			for b.Loop() {
				err := h.Service.Store.InTx(ctx, func(tx rules.Tx) error {
					if err := tx.ForSweep(ctx); err != nil {
						return err
					}
					_, err := tx.FactRows(ctx, q)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}

	// The first sweep of the city makes every finding the seeded facts
	// call for, with its items, criticisms, calls, events and audit.
	start = time.Now()
	made, err := h.Service.Rules.Sweep(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	b.Logf("the first sweep of every rule made %d findings in %s", made, first.Round(time.Millisecond))

	b.Run("sweep/every-rule-city-nothing-new", func(b *testing.B) {
		for b.Loop() {
			if made, err := h.Service.Rules.Sweep(ctx, ""); err != nil || made != 0 {
				b.Fatalf("a sweep after the first made %d findings (%v)", made, err)
			}
		}
	})
	b.Run("sweep/every-rule-city-first", func(b *testing.B) {
		// Each iteration forgets the findings of the first sweep's
		// biggest rule (the absences) and makes them again.
		for b.Loop() {
			b.StopTimer()
			forget(b, pool, "in_service_absent_six_months")
			b.StartTimer()
			if made, err := h.Service.Rules.Sweep(ctx, ""); err != nil || made == 0 {
				b.Fatalf("the sweep made %d findings (%v)", made, err)
			}
		}
	})
	// The service folds the dashboard's deltas every second (a job the
	// harness does not start): fold what the sweep wrote, as it would.
	if _, err := h.Service.Store.FoldDashboard(ctx); err != nil {
		b.Fatal(err)
	}
	dash := pb.NewDashboardServiceClient(h.As(servicetest.CityAdmin))
	b.Run("dashboard/city", func(b *testing.B) { dashboard(b, dash, c.id) })
	b.Run("dashboard/district", func(b *testing.B) { dashboard(b, dash, c.districts[0]) })
	b.Run("dashboard/community", func(b *testing.B) { dashboard(b, dash, c.communities[0]) })
	// What the dashboard read before its counters were rolled up per
	// ancestor: the organisations' counters joined to the subtree's
	// organisations, side by side.

	// What the rolled-up counters cost a write: items opened by hand, 16
	// clients at once, with and without the triggers that keep them.
	items := pb.NewRectificationServiceClient(h.As(servicetest.CityAdmin))
	for range 2 { // in turn, twice: the machine's load drifts
		b.Run("items/create", func(b *testing.B) { createItems(b, items, c.communities) })
		withoutRollup(b, pool, func() {
			b.Run("items/create-without-rolled-up-counters", func(b *testing.B) { createItems(b, items, c.communities) })
		})
	}
	servicetest.Ceilings(b, h.As(servicetest.CityAdmin), pool, 8)
}

// dashboard calls GetDashboard for org 100 times an iteration and reports
// the time of one call (ms/call), whatever the benchtime.
func dashboard(b *testing.B, dash pb.DashboardServiceClient, org string) {
	const calls = 100
	var spent time.Duration
	for b.Loop() {
		start := time.Now()
		for range calls {
			if _, err := dash.GetDashboard(context.Background(), &pb.GetDashboardRequest{OrganisationId: org}); err != nil {
				b.Fatal(err)
			}
		}
		spent += time.Since(start)
	}
	b.ReportMetric(float64(spent.Microseconds())/float64(b.N*calls)/1000, "ms/call")
}

// createItems opens items by hand in random communities, 16 at a time.
func createItems(b *testing.B, items pb.RectificationServiceClient, communities []string) {
	b.SetParallelism(8)
	b.RunParallel(func(p *testing.PB) {
		for p.Next() {
			if _, err := items.CreateItem(context.Background(), &pb.CreateItemRequest{Item: &pb.RectificationItem{
				OrganisationId: communities[rand.IntN(len(communities))], Title: "premises below 200 m²", Deadline: "2099-12-31"}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// withoutRollup runs fn with the triggers that keep the dashboard's
// rolled-up counters switched off (a benchmark's concern only: the
// counters are then short of fn's items).
func withoutRollup(b *testing.B, pool *pgxpool.Pool, fn func()) {
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `ALTER TABLE items DISABLE TRIGGER dash_items_insert, DISABLE TRIGGER dash_items_update`); err != nil {
		b.Fatal(err)
	}
	defer func() {
		if _, err := pool.Exec(ctx, `ALTER TABLE items ENABLE TRIGGER dash_items_insert, ENABLE TRIGGER dash_items_update`); err != nil {
			b.Fatal(err)
		}
	}()
	fn()
}

// forget deletes the findings of a rule and what followed them, as if
// they had never been made (the dashboard's counters are left as they are:
// a benchmark's concern only).
func forget(b *testing.B, pool *pgxpool.Pool, code string) {
	b.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`DELETE FROM actions WHERE finding_id IN (SELECT id FROM findings WHERE rule_code = '` + code + `')`,
		`DELETE FROM findings WHERE rule_code = '` + code + `'`,
		`DELETE FROM outbox`,
		`VACUUM ANALYZE findings`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
}

// seed writes the projections of the city with COPY.
func seed(b *testing.B, pool *pgxpool.Pool, members int) *city {
	b.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	c := &city{id: uuid.NewString()}
	var orgs, facts [][]any
	org := func(id, kind, districtID, path string) {
		var d any
		if districtID != "" {
			d = districtID
		}
		orgs = append(orgs, []any{id, kind, "ACTIVE", kind + " " + id[:8], d, path, now})
		facts = append(facts, []any{id, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), now})
	}
	org(c.id, "CITY", "", "/"+c.id+"/")
	districtOf := map[string]string{}
	communitiesOf := map[string][]string{}
	for range shape.districts {
		d := uuid.NewString()
		c.districts = append(c.districts, d)
		dp := "/" + c.id + "/" + d + "/"
		org(d, "DISTRICT", "", dp)
		for range shape.streetsPer {
			s := uuid.NewString()
			sp := dp + s + "/"
			org(s, "STREET", d, sp)
			for range shape.communitiesPer {
				cm := uuid.NewString()
				cp := sp + cm + "/"
				org(cm, "COMMUNITY", d, cp)
				c.communities = append(c.communities, cm)
				communitiesOf[d] = append(communitiesOf[d], cm)
				districtOf[cm] = d
				for range shape.branchesPer {
					br := uuid.NewString()
					org(br, "BRANCH", d, cp+br+"/")
					c.branches = append(c.branches, br)
					districtOf[br] = d
				}
			}
		}
	}
	copyRows(b, pool, "orgs", []string{"id", "kind", "state", "name", "district_id", "path", "updated_at"}, orgs)
	copyRows(b, pool, "org_facts", []string{"id", "founding_date", "updated_at"}, facts)

	// The quarter the rule judges today: most communities held its
	// concentrated activity, in a branch or in the community.
	q := rules.JudgedQuarter(now, 15)
	var acts [][]any
	for i, cm := range c.communities {
		if r.Float64() < missedShare {
			continue
		}
		where := cm
		if i%2 == 0 {
			where = c.branches[i*shape.branchesPer]
		}
		acts = append(acts, []any{uuid.NewString(), where, "CONCENTRATED_ACTIVITY", q.First().AddDate(0, 0, r.IntN(80)), now})
		acts = append(acts, []any{uuid.NewString(), where, "PARTY_DAY", q.First().AddDate(0, 0, r.IntN(80)), now})
	}
	copyRows(b, pool, "activities", []string{"id", "organisation_id", "kind", "day", "recorded_at"}, acts)

	// Members, a third of them in service with a community of their
	// district; nearly all joined a joint activity within five months.
	var mrows, srows, arows [][]any
	for i := range members {
		id := uuid.NewString()
		br := c.branches[i%len(c.branches)]
		mrows = append(mrows, []any{id, br, int32(r.IntN(6)), now})
		if i%inServiceShare != 0 {
			continue
		}
		list := communitiesOf[districtOf[br]]
		since := now.AddDate(0, -7-r.IntN(24), 0)
		srows = append(srows, []any{uuid.NewString(), id, list[r.IntN(len(list))], br, since, nil, now})
		if r.Float64() >= absentShare {
			arows = append(arows, []any{id, now.AddDate(0, 0, -r.IntN(150))})
		}
	}
	copyRows(b, pool, "member_facts", []string{"member_id", "organisation_id", "stars", "updated_at"}, mrows)
	copyRows(b, pool, "in_service", []string{"registration_id", "member_id", "community_id", "organisation_id", "since", "ended", "updated_at"}, srows)
	copyRows(b, pool, "joint_attendance", []string{"member_id", "last_day"}, arows)

	// Facts that arrived as events, a few thousand of each kind.
	var erows [][]any
	event := func(fact string, count int, orgs []string, vars func(i int) string) {
		for i := range count {
			erows = append(erows, []any{fact, uuid.NewString(), fmt.Sprintf("p%d", i), orgs[r.IntN(len(orgs))], vars(i), now})
		}
	}
	event(rules.FactTransferExpired, 2000, c.branches, func(int) string { return `{"outside_city": false, "days_overdue": 3}` })
	event(rules.FactTransferFlagged, 1000, c.branches, func(int) string { return `{"months_open": 6}` })
	event(rules.FactMobileContactOverdue, 5000, c.branches, func(i int) string { return fmt.Sprintf(`{"period": %d}`, 1+i%3) })
	event(rules.FactUnitReportMissed, 3000, c.communities, func(int) string { return `{"month": "2026-10", "days_late": 5}` })
	event(rules.FactJointMeetingMissed, 500, c.communities, func(int) string { return `{"kind": "COMMUNITY", "period_days": 182}` })
	event(rules.FactLedgerItemOverdue, 1000, c.communities, func(int) string { return `{"days_overdue": 4, "owned_by_unit": true}` })
	areas := []string{"STAFFING", "STRUCTURE", "PREMISES", "COVERAGE"}
	event(rules.FactComplianceFinding, 2000, c.communities, func(i int) string {
		return fmt.Sprintf(`{"area": %q, "check": "X", "reason": "seeded"}`, areas[i%len(areas)])
	})
	copyRows(b, pool, "event_facts", []string{"fact", "subject_id", "period", "organisation_id", "vars", "occurred_at"}, erows)
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return c
}

func copyRows(b *testing.B, pool *pgxpool.Pool, table string, cols []string, rows [][]any) {
	b.Helper()
	if _, err := pool.CopyFrom(context.Background(), pgx.Identifier{table}, cols, pgx.CopyFromRows(rows)); err != nil {
		b.Fatalf("copy %s: %v", table, err)
	}
}

// sweptOnly passes on the sweep's line per rule (its rows, findings, and
// the time spent reading and writing them) and nothing else.
type sweptOnly struct{ slog.Handler }

func (h sweptOnly) Handle(ctx context.Context, r slog.Record) error {
	if r.Message != "rule swept" {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h sweptOnly) WithAttrs(as []slog.Attr) slog.Handler { return sweptOnly{h.Handler.WithAttrs(as)} }
func (h sweptOnly) WithGroup(n string) slog.Handler       { return sweptOnly{h.Handler.WithGroup(n)} }
