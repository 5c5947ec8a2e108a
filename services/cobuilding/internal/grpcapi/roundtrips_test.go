package grpcapi_test

import (
	"testing"

	"gongjian.dev/pkg/pgtest"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/store"
	"gongjian.dev/services/cobuilding/internal/wiring"
)

// TestAWriteMakesFewRoundTrips counts the round trips a CreateResidentUnit
// makes to PostgreSQL and holds it to the count it has reached: the
// outbox row and the audit record go with the COMMIT in one batch at the
// end of the transaction, and the relay is woken after it rather than by
// a notification inside it. Before, the audit record, the outbox row with
// its notification and the COMMIT were a round trip each: 5 round trips
// in all, 3 now.
func TestAWriteMakesFewRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := servicetest.Ctx(t)
	pool, rt := pgtest.CountingPool(t, store.Schema, wiring.Spec(&wiring.Config{}).Migrations...)
	h := newHarness(t, servicetest.WithPool(pool))
	tr := h.tree(t)

	const limit = 3
	method := pb.ResidentUnitService_CreateResidentUnit_FullMethodName
	rt.Take(method)
	created, err := h.units.CreateResidentUnit(ctx, &pb.CreateResidentUnitRequest{ResidentUnit: unitOf(tr.community.GetId(), "往返单位")})
	if err != nil {
		t.Fatal(err)
	}
	n := rt.Take(method)
	t.Logf("CreateResidentUnit: %d round trips", n)
	if n == 0 || n > limit {
		t.Errorf("CreateResidentUnit made %d round trips to PostgreSQL, want 1 to %d", n, limit)
	}
	// What the batch carried was committed with the unit: its audit
	// record and its event.
	id := created.GetResidentUnit().GetId()
	if got := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'resident_unit' AND subject_id = $1`, id); got != 1 {
		t.Errorf("%d audit records of the unit, want 1", got)
	}
	// The relay, woken after the commit, publishes the event.
	if evs := waitEvents[*pb.ResidentUnitChanged](t, h, 1); evs[0].GetResidentUnit().GetId() != id {
		t.Errorf("the unit's event names %s, want %s", evs[0].GetResidentUnit().GetId(), id)
	}
}
