package grpcapi_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
)

func (h *harness) balancingAs() pb.BalancingServiceClient {
	return pb.NewBalancingServiceClient(h.As(cityAdmin))
}

func acceptOf(id string) *pb.AcceptBalancingProposalRequest {
	return &pb.AcceptBalancingProposalRequest{Id: id, StartDate: "2026-07-01", EndDate: "2027-06-30",
		Goals:            []*pb.Goal{{Area: pb.Area_AREA_COMMUNITY_SERVICE, Text: "每季度一次便民服务"}},
		CommunityContact: &pb.Contact{Name: "赵主任", Role: "街道联络员"}}
}

// TestBalancingSteersUnitsToTheCommunitiesWithFewest: in a district whose
// first community has two agreements and whose others have none, the
// units without an agreement go to the emptiest community of their
// street, their own on a tie; accepting signs their agreements at once.
func TestBalancingSteersUnitsToTheCommunitiesWithFewest(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := servicetest.Ctx(t)
	for _, name := range []string{"同江市税务局", "同江市财政局"} {
		u := h.unit(t, tr.community.GetId(), name)
		h.agreement(t, tr.community.GetId(), u.GetId(), "2026-01-01", "2026-12-31")
	}
	var unassigned []*pb.ResidentUnit
	for _, c := range []struct{ community, name string }{
		{tr.community.GetId(), "同江市邮政局"}, {tr.neighbour.GetId(), "新华书店"}, {tr.farCommunity.GetId(), "街津口乡卫生院"},
	} {
		h.clock.Add(time.Minute) // oldest first
		unassigned = append(unassigned, h.unit(t, c.community, c.name))
	}
	bal := h.balancingAs()
	before, err := bal.GetCoBuildingBalance(ctx, &pb.GetCoBuildingBalanceRequest{OrganisationId: tr.district.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name          string
		Units, Agreed int32
	}
	rows := func(r *pb.GetCoBuildingBalanceResponse) []row {
		var out []row
		for _, c := range r.GetCommunities() {
			out = append(out, row{c.GetName(), c.GetUnits(), c.GetLiveAgreements()})
		}
		return out
	}
	if diff := cmp.Diff([]row{{tr.farCommunity.GetName(), 1, 0}, {tr.neighbour.GetName(), 1, 0}, {tr.community.GetName(), 3, 2}},
		rows(before)); diff != "" || before.GetUnitsWithoutAgreement() != 3 {
		t.Errorf("the balance before, %d without (-want +got):\n%s", before.GetUnitsWithoutAgreement(), diff)
	}
	made, err := bal.CreateBalancingProposal(ctx, &pb.CreateBalancingProposalRequest{OrganisationId: tr.district.GetId(), RequestId: "均衡-1"})
	if err != nil {
		t.Fatal(err)
	}
	p := made.GetBalancingProposal()
	type item struct {
		Unit, Community string
		Tier            pb.BalancingTier
		Before          int32
	}
	var items []item
	for _, it := range p.GetItems() {
		items = append(items, item{it.GetUnitName(), it.GetCommunityName(), it.GetTier(), it.GetAgreementsBefore()})
	}
	want := []item{
		{"同江市邮政局", tr.neighbour.GetName(), pb.BalancingTier_BALANCING_TIER_SAME_STREET, 0},
		{"新华书店", tr.neighbour.GetName(), pb.BalancingTier_BALANCING_TIER_SAME_COMMUNITY, 1},
		{"街津口乡卫生院", tr.farCommunity.GetName(), pb.BalancingTier_BALANCING_TIER_SAME_COMMUNITY, 0},
	}
	if diff := cmp.Diff(want, items); diff != "" {
		t.Errorf("the proposal (-want +got):\n%s", diff)
	}
	again, err := bal.CreateBalancingProposal(ctx, &pb.CreateBalancingProposalRequest{OrganisationId: tr.district.GetId(), RequestId: "均衡-1"})
	if err != nil || again.GetBalancingProposal().GetId() != p.GetId() {
		t.Errorf("a retried proposal: %v, %v", again, err)
	}
	agreementsBefore := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'agreement'`)
	accepted, err := bal.AcceptBalancingProposal(ctx, acceptOf(p.GetId()))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range accepted.GetBalancingProposal().GetItems() {
		if it.GetAgreementId() == "" {
			t.Errorf("%s: no agreement", it.GetUnitName())
		}
	}
	if n := h.count(t, `SELECT count(*) FROM agreements WHERE state = 'LIVE' AND community_id = $1`, tr.neighbour.GetId()); n != 2 {
		t.Errorf("%d live agreements of the neighbour, want 2", n)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'agreement'`) - agreementsBefore; n != 3 {
		t.Errorf("%d audit records of agreements signed, want 3", n)
	}
	after, err := bal.GetCoBuildingBalance(ctx, &pb.GetCoBuildingBalanceRequest{OrganisationId: tr.district.GetId()})
	if err != nil || after.GetUnitsWithoutAgreement() != 0 {
		t.Errorf("the balance after: %v, %v", after, err)
	}
	signed := waitEvents[*pb.AgreementChanged](t, h, 5)
	changes := waitEvents[*pb.BalancingProposalChanged](t, h, 2)
	if len(signed) != 5 || len(changes) != 2 || changes[1].GetChange() != "ACCEPTED" {
		t.Errorf("%d agreement events (want 5), proposal events %v", len(signed), changes)
	}
	_, err = bal.AcceptBalancingProposal(ctx, acceptOf(p.GetId()))
	if diff := cmp.Diff(refusal{codes.FailedPrecondition, []string{"id"}}, refusalOf(err)); diff != "" {
		t.Errorf("accepting twice (-want +got):\n%s", diff)
	}
}

// TestAStaleProposalIsRefusedWhole: a unit that signed an agreement after
// the proposal was made refuses the whole acceptance, naming the item.
func TestAStaleProposalIsRefusedWhole(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := servicetest.Ctx(t)
	first := h.unit(t, tr.neighbour.GetId(), "新华书店")
	h.clock.Add(time.Minute)
	late := h.unit(t, tr.neighbour.GetId(), "同江市邮政局")
	bal := h.balancingAs()
	made, err := bal.CreateBalancingProposal(ctx, &pb.CreateBalancingProposalRequest{OrganisationId: tr.street.GetId()})
	if err != nil || len(made.GetBalancingProposal().GetItems()) != 2 {
		t.Fatalf("the proposal: %v, %v", made, err)
	}
	h.agreement(t, tr.community.GetId(), late.GetId(), "2026-01-01", "2026-12-31")
	_, err = bal.AcceptBalancingProposal(ctx, acceptOf(made.GetBalancingProposal().GetId()))
	if diff := cmp.Diff(refusal{codes.FailedPrecondition, []string{"items[1].unit_id"}}, refusalOf(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n := h.count(t, `SELECT count(*) FROM agreements WHERE unit_id = $1`, first.GetId()); n != 0 {
		t.Errorf("the refused acceptance signed %d agreements of the first unit", n)
	}
	for _, tt := range []struct {
		name string
		call func() error
		want refusal
	}{
		{"a community is not balanced", func() error {
			_, err := bal.CreateBalancingProposal(ctx, &pb.CreateBalancingProposalRequest{OrganisationId: tr.community.GetId()})
			return err
		}, refusal{codes.FailedPrecondition, []string{"organisation_id"}}},
		{"a term that ends before it starts", func() error {
			req := acceptOf(made.GetBalancingProposal().GetId())
			req.EndDate = "2026-06-30"
			_, err := bal.AcceptBalancingProposal(ctx, req)
			return err
		}, refusal{codes.InvalidArgument, []string{"end_date"}}},
		{"no goals", func() error {
			req := acceptOf(made.GetBalancingProposal().GetId())
			req.Goals = nil
			_, err := bal.AcceptBalancingProposal(ctx, req)
			return err
		}, refusal{codes.InvalidArgument, []string{"goals"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, refusalOf(tt.call())); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestTwoProposalsOfOneUnitAcceptedAtOnceSignOneAgreement: two proposals
// made one after the other name the same unit; accepted at the same
// moment, one signs its agreement and the other, which waited for the
// unit, finds it has a live agreement now and is refused as stale.
func TestTwoProposalsOfOneUnitAcceptedAtOnceSignOneAgreement(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := servicetest.Ctx(t)
	u := h.unit(t, tr.neighbour.GetId(), "同江市图书馆")
	bal := h.balancingAs()
	var ids []string
	for _, key := range []string{"均衡-甲", "均衡-乙"} {
		made, err := bal.CreateBalancingProposal(ctx, &pb.CreateBalancingProposalRequest{OrganisationId: tr.street.GetId(), RequestId: key})
		if err != nil {
			t.Fatal(err)
		}
		if items := made.GetBalancingProposal().GetItems(); len(items) != 1 || items[0].GetUnitId() != u.GetId() {
			t.Fatalf("proposal %s: %v", key, items)
		}
		ids = append(ids, made.GetBalancingProposal().GetId())
	}
	errs := make(chan error, len(ids))
	for _, id := range ids {
		go func() {
			_, err := bal.AcceptBalancingProposal(ctx, acceptOf(id))
			errs <- err
		}()
	}
	var signed, stale int
	for range ids {
		switch err := <-errs; {
		case err == nil:
			signed++
		case servicetest.RefusalOf(err).Reason == "PROPOSAL_STALE":
			stale++
		default:
			t.Errorf("an acceptance: %v", err)
		}
	}
	if signed != 1 || stale != 1 {
		t.Errorf("%d signed, %d stale; want one of each", signed, stale)
	}
	if n := h.count(t, `SELECT count(*) FROM agreements WHERE unit_id = $1 AND state = 'LIVE'`, u.GetId()); n != 1 {
		t.Errorf("%d live agreements of the unit, want 1", n)
	}
}
