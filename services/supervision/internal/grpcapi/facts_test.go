package grpcapi_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// TestTheFactsARuleCanWatchAreListed: the catalogue names each fact with
// its windows and variables, and a caller without a token is refused.
func TestTheFactsARuleCanWatchAreListed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	resp, err := pb.NewRuleServiceClient(h.as(servicetest.CityAdmin)).ListFacts(servicetest.Ctx(t), &pb.ListFactsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*pb.Fact{}
	for _, f := range resp.GetFacts() {
		byName[f.GetName()] = f
	}
	q := byName["quarterly_activity"]
	if q == nil || len(q.GetWindows()) != 1 || q.GetWindows()[0] != pb.WindowKind_WINDOW_KIND_QUARTER_END || len(q.GetVariables()) == 0 {
		t.Fatalf("quarterly_activity: %v", q)
	}
	_, err = pb.NewRuleServiceClient(h.as(devissuer.Claims{})).ListFacts(servicetest.Ctx(t), &pb.ListFactsRequest{})
	if got := servicetest.RefusalOf(err).Code; got != codes.Unauthenticated {
		t.Errorf("without a token: %v", got)
	}
	_, err = pb.NewRuleServiceClient(h.as(devissuer.Claims{Role: auth.Member, MemberID: "5a1d0f2e-8c3b-4e6a-b7d9-0c4e2f1a0002"})).ListFacts(servicetest.Ctx(t), &pb.ListFactsRequest{})
	if got := servicetest.RefusalOf(err).Code; got != codes.PermissionDenied {
		t.Errorf("a member: %v", got)
	}
}
