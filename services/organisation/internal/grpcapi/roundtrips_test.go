package grpcapi_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/pgtest"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/organisation/internal/store"
	"gongjian.dev/services/organisation/internal/wiring"
)

// TestCreatingAnOrganisationMakesFewRoundTrips counts the round trips a
// CreateOrganisation makes to PostgreSQL, as a district administrator
// makes it (the access check included), and holds it to the count it has
// reached: the new row, its first version, the request id, the event's
// outbox row and its audit record go in one batch at the end of the
// transaction. Before they did, the call made 9 (11 with a request id),
// then 6 (7); now BEGIN goes with the first statement and COMMIT with the
// batch, and the call makes 4 (5) — the tree's lock with BEGIN, the
// parent's lock, the batch with COMMIT, and the access check's lookup
// outside the transaction (and the request id's lookup).
func TestCreatingAnOrganisationMakesFewRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := callContext(t)
	pool, rt := pgtest.CountingPool(t, store.Schema, wiring.Spec(&wiring.Config{}).Migrations...)
	h := newHarness(t, servicetest.WithPool(pool))
	tr := h.tree(t)
	admin := pb.NewOrganisationServiceClient(h.as(devissuer.Claims{Subject: "da", Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}))

	const limit = 5
	method := pb.OrganisationService_CreateOrganisation_FullMethodName
	for i, req := range []*pb.CreateOrganisationRequest{
		{Organisation: child(tr.community, kindBranch, "Second Branch of Guangzhou Road Community")},
		{Organisation: child(tr.community, kindBranch, "Third Branch of Guangzhou Road Community"), RequestId: "rt-1"},
	} {
		rt.Take(method)
		if _, err := admin.CreateOrganisation(ctx, req); err != nil {
			t.Fatal(err)
		}
		n := rt.Take(method)
		t.Logf("CreateOrganisation #%d: %d round trips", i+1, n)
		if n == 0 || n > limit {
			t.Errorf("CreateOrganisation #%d made %d round trips to PostgreSQL, want 1 to %d", i+1, n, limit)
		}
	}
	// The deferred writes still fail the call when the database refuses
	// them: a code already taken is answered naming the field, and the
	// organisation is not made.
	coded := child(tr.community, kindBranch, "Fourth Branch of Guangzhou Road Community")
	coded.Code = "RT-4"
	if _, err := admin.CreateOrganisation(ctx, &pb.CreateOrganisationRequest{Organisation: coded}); err != nil {
		t.Fatal(err)
	}
	before := h.count(t, "organisations")
	coded.Name = "Fifth Branch of Guangzhou Road Community"
	_, err := admin.CreateOrganisation(ctx, &pb.CreateOrganisationRequest{Organisation: coded})
	if got := refusalOf(err); got.Code == codes.OK || !slices.Equal(got.Fields, []string{"organisation.code"}) {
		t.Errorf("a code taken, found when the deferred writes are sent: %+v", got)
	}
	if after := h.count(t, "organisations"); after != before {
		t.Errorf("%d organisations after the refusal, %d before", after, before)
	}
}
