package grpcapi_test

import (
	"testing"

	"gongjian.dev/pkg/pgtest"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/store"
	"gongjian.dev/services/supervision/internal/wiring"
)

// TestAWriteMakesFewRoundTrips counts the round trips a CreateRule makes
// to PostgreSQL and holds it to the count it has reached: its outbox row
// and its audit record go in one batch, and the relay is woken after the
// commit rather than by a notification inside the transaction. Before,
// the outbox row with its notification and the audit record were a round
// trip each: 5 round trips in all, 4 now.
func TestAWriteMakesFewRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := servicetest.Ctx(t)
	pool, rt := pgtest.CountingPool(t, store.Schema, wiring.Spec(&wiring.Config{}).Migrations...)
	h := newHarness(t, servicetest.WithPool(pool))
	admin := h.clients(cityAdmin)

	const limit = 4
	method := pb.RuleService_CreateRule_FullMethodName
	rt.Take(method)
	created, err := admin.rules.CreateRule(ctx, &pb.CreateRuleRequest{Rule: newRule("round_trips")})
	if err != nil {
		t.Fatal(err)
	}
	n := rt.Take(method)
	t.Logf("CreateRule: %d round trips", n)
	if n == 0 || n > limit {
		t.Errorf("CreateRule made %d round trips to PostgreSQL, want 1 to %d", n, limit)
	}
	id := created.GetRule().GetId()
	if got := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'rule' AND subject_id = $1`, id); got != 1 {
		t.Errorf("%d audit records of the rule, want 1", got)
	}
	// The relay, woken after the commit, publishes the event.
	servicetest.EventsUntil(t, h.Stream, "the rule's event", func(evs []servicetest.Event) bool {
		for _, e := range evs {
			if c, ok := e.Payload.(*pb.RuleChanged); ok && c.GetRule().GetId() == id {
				return true
			}
		}
		return false
	})
}
