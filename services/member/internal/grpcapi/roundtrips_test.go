package grpcapi_test

import (
	"testing"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/pgtest"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/store"
	"gongjian.dev/services/member/internal/wiring"
)

// TestTransferStepsMakeFewRoundTrips counts the round trips of each step of
// a transfer across districts, as the three parties make them, and holds
// each step to the count it has reached: a change that adds a round trip
// to a step (a lookup, a statement not batched) fails here, and the
// README's figures say why that matters.
func TestTransferStepsMakeFewRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := callContext(t)
	pool, rt := pgtest.CountingPool(t, store.Schema, wiring.Spec(testConfig()).Migrations...)
	h := newHarness(t, servicetest.WithPool(pool))
	tr := h.tree(t)
	m := h.register(t, person(tr.branch.GetId(), "Wang Fang"))
	sender := pb.NewTransferServiceClient(h.as(devissuer.Claims{Subject: "da-a", Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}))
	receiver := pb.NewTransferServiceClient(h.as(devissuer.Claims{Subject: "da-b", Role: auth.DistrictAdmin, ScopeOrgID: tr.otherDistrict.GetId()}))
	self := pb.NewTransferServiceClient(h.as(devissuer.Claims{Subject: "wang", Role: auth.Member, MemberID: m.GetId()}))

	// The most each step may make, as counted here: request 11, confirm 5,
	// release 9, receive 13 (38 a transfer), BEGIN going with each
	// transaction's first statement and COMMIT with its last batch. Before
	// that: 13, 7, 11, 15 (46); before a step's locks went in one batch and
	// its sides were read once a call: 13, 9, 13, 20 (55).
	limits := map[string]int{
		pb.TransferService_RequestTransfer_FullMethodName: 11,
		pb.TransferService_ConfirmTransfer_FullMethodName: 5,
		pb.TransferService_ReleaseTransfer_FullMethodName: 9, // one reads the month the dues are paid up to, for the letter
		pb.TransferService_ReceiveTransfer_FullMethodName: 13,
	}
	check := func(method string) {
		t.Helper()
		n := rt.Take(method)
		t.Logf("%s: %d round trips", method, n)
		if n == 0 || n > limits[method] {
			t.Errorf("%s made %d round trips to PostgreSQL, want 1 to %d", method, n, limits[method])
		}
	}
	rt.Take(pb.TransferService_RequestTransfer_FullMethodName)
	req, err := sender.RequestTransfer(ctx, &pb.RequestTransferRequest{RequestId: "r-1",
		Transfer: &pb.Transfer{MemberId: m.GetId(), ToOrganisationId: tr.otherCommunity.GetId(), Reason: "moved"}})
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	check(pb.TransferService_RequestTransfer_FullMethodName)
	c, err := self.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: req.GetTransfer().GetId(), Etag: req.GetTransfer().GetEtag()})
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	check(pb.TransferService_ConfirmTransfer_FullMethodName)
	rel, err := sender.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: c.GetTransfer().GetId(), Etag: c.GetTransfer().GetEtag()})
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	check(pb.TransferService_ReleaseTransfer_FullMethodName)
	done, err := receiver.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: rel.GetTransfer().GetId(), Etag: rel.GetTransfer().GetEtag()})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	if done.GetTransfer().GetState() != pb.TransferState_TRANSFER_STATE_COMPLETED {
		t.Fatalf("transfer ended %v", done.GetTransfer().GetState())
	}
	check(pb.TransferService_ReceiveTransfer_FullMethodName)
}
