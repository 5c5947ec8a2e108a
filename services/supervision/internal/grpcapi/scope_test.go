package grpcapi_test

import (
	"slices"
	"testing"
	"time"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// TestAScopedCallerSeesOnlyTheirPartOfTheInspections: a district's round
// covers two streets; each street's administrator lists the round's
// findings and groups and reads only their street's; an inspector lists
// the interviews of what their group covers and no other; a district's
// administrator who names the city in ListRounds gets their district's
// rounds, not the other district's.
func TestAScopedCallerSeesOnlyTheirPartOfTheInspections(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	secondStreet := h.created(t, c.district, kindStreet, "Second street", "2000-01-01")
	mine := h.created(t, c.street, kindCommunity, "Mine", "2025-12-15")
	theirs := h.created(t, secondStreet, kindCommunity, "Theirs", "2025-12-15")
	h.known(t, mine, theirs, c.otherCommunity)
	ctx := servicetest.Ctx(t)
	g1 := h.group(t, c.district, "inspector-1", mine)
	g2 := h.group(t, c.district, "inspector-2", theirs)
	h.group(t, c.other, "inspector-3", c.otherCommunity)
	for _, f := range []struct {
		group *pb.InspectionGroup
		org   *orgv1.Organisation
		who   string
	}{{g1, mine, "inspector-1"}, {g2, theirs, "inspector-2"}} {
		if _, err := h.clients(inspector(f.who)).inspection.RecordInspectionFinding(ctx, &pb.RecordInspectionFindingRequest{
			GroupId: f.group.GetId(), OrganisationId: f.org.GetId(), Description: "no ledger kept"}); err != nil {
			t.Fatal(err)
		}
	}
	streetAdmin := func(street *orgv1.Organisation) clients {
		return h.clients(devissuer.Claims{Subject: "street-" + street.GetId()[:8], Role: auth.StreetAdmin, ScopeOrgID: street.GetId()})
	}

	t.Run("a street's administrator reads their street's findings and groups", func(t *testing.T) {
		for _, tt := range []struct {
			street *orgv1.Organisation
			org    *orgv1.Organisation
			round  string
		}{{c.street, mine, g1.GetRoundId()}, {secondStreet, theirs, g2.GetRoundId()}} {
			api := streetAdmin(tt.street).inspection
			for _, round := range []string{g1.GetRoundId(), g2.GetRoundId()} {
				fs, err := api.ListInspectionFindings(ctx, &pb.ListInspectionFindingsRequest{RoundId: round})
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range fs.GetFindings() {
					if f.GetOrganisationId() != tt.org.GetId() {
						t.Errorf("%s read a finding of %s", tt.street.GetName(), f.GetOrganisationId())
					}
				}
				if want := map[bool]int{true: 1, false: 0}[round == tt.round]; len(fs.GetFindings()) != want {
					t.Errorf("%s: %d findings of round %s, want %d", tt.street.GetName(), len(fs.GetFindings()), round, want)
				}
				gs, err := api.ListGroups(ctx, &pb.ListGroupsRequest{RoundId: round})
				if err != nil {
					t.Fatal(err)
				}
				for _, g := range gs.GetGroups() {
					if !slices.Contains(g.GetOrganisationIds(), tt.org.GetId()) {
						t.Errorf("%s read the group %s covering %v", tt.street.GetName(), g.GetName(), g.GetOrganisationIds())
					}
				}
			}
		}
		// The district's administrator reads the whole round.
		fs, err := h.clients(districtAdmin(c.district)).inspection.ListInspectionFindings(ctx, &pb.ListInspectionFindingsRequest{RoundId: g2.GetRoundId()})
		if err != nil || len(fs.GetFindings()) != 1 {
			t.Errorf("the district's administrator: %v, %v", fs, err)
		}
	})

	t.Run("an inspector lists the interviews of what their group covers", func(t *testing.T) {
		admin := h.clients(districtAdmin(c.district)).interviews
		for _, o := range []*orgv1.Organisation{mine, theirs} {
			if _, err := admin.ScheduleInterview(ctx, &pb.ScheduleInterviewRequest{Interview: &pb.Interview{
				OrganisationId: o.GetId(), Reason: "graded ordinary", DueBy: "2026-05-20"}}); err != nil {
				t.Fatal(err)
			}
		}
		for _, req := range []*pb.ListInterviewsRequest{{}, {AncestorId: c.district.GetId()}} {
			got, err := h.clients(inspector("inspector-1")).interviews.ListInterviews(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.GetInterviews()) != 1 || got.GetInterviews()[0].GetOrganisationId() != mine.GetId() {
				t.Errorf("inspector-1 listing %v: %v", req, got.GetInterviews())
			}
		}
	})

	t.Run("naming the city lists one's own district's rounds", func(t *testing.T) {
		for _, who := range []devissuer.Claims{districtAdmin(c.district),
			{Subject: "street", Role: auth.StreetAdmin, ScopeOrgID: secondStreet.GetId()}} {
			rs, err := h.clients(who).inspection.ListRounds(ctx, &pb.ListRoundsRequest{DistrictId: c.city.GetId()})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs.GetRounds() {
				if r.GetDistrictId() != c.district.GetId() {
					t.Errorf("%s read a round of %s", who.Subject, r.GetDistrictId())
				}
			}
			if len(rs.GetRounds()) != 2 {
				t.Errorf("%s: %d rounds, want the district's 2", who.Subject, len(rs.GetRounds()))
			}
		}
	})
}
