package demo_test

import (
	"testing"
	"time"

	"gongjian.dev/deploy/local/demo"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// TestReportingLoadsOnceThroughTheAPI loads the city, its members and the
// in-service members' reporting twice, and counts what the member service
// holds: the second load created nothing.
func TestReportingLoadsOnceThroughTheAPI(t *testing.T) {
	ctx := t.Context()
	conn, members := startSystem(t)
	sum, err := demo.Load(ctx, conn, time.Now(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadMembers(ctx, members, sum, testLogger(t)); err != nil {
		t.Fatal(err)
	}
	first, err := demo.LoadReporting(ctx, members, sum, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("reporting: %s", first)
	again, err := demo.LoadReporting(ctx, members, sum, testLogger(t))
	if err != nil {
		t.Fatalf("loading again: %v", err)
	}
	if again != first {
		t.Errorf("the second load found %+v, the first made %+v", again, first)
	}
	if first.Registered == 0 || first.Claims == 0 || first.FullClaims == 0 || first.Ratings == 0 {
		t.Errorf("the demo is missing a part: %+v", first)
	}

	var got demo.ReportingSummary
	mc := memberv1.NewMemberServiceClient(members)
	rc := memberv1.NewReportingServiceClient(members)
	ac := memberv1.NewAppraisalServiceClient(members)
	lastYear := int32(time.Now().Year() - 1)
	req := &memberv1.ListMembersRequest{AncestorId: sum.CityID, PageSize: 500}
	for {
		resp, err := mc.ListMembers(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range resp.GetMembers() {
			if m.GetEmploymentStatus() != memberv1.EmploymentStatus_EMPLOYMENT_STATUS_EMPLOYED {
				continue
			}
			regs, err := rc.ListRegistrations(ctx, &memberv1.ListRegistrationsRequest{MemberId: m.GetId(), IncludeEnded: true})
			if err != nil {
				t.Fatal(err)
			}
			got.Registered += len(regs.GetRegistrations())
			card, err := rc.GetContactCard(ctx, &memberv1.GetContactCardRequest{MemberId: m.GetId(), Year: lastYear})
			if err != nil {
				t.Fatal(err)
			}
			got.CardEntries += len(card.GetCard().GetEntries())
			got.Claims += len(card.GetCard().GetClaims())
			got.Ratings += len(card.GetCard().GetRatings())
			aps, err := ac.ListAppraisals(ctx, &memberv1.ListAppraisalsRequest{MemberId: m.GetId()})
			if err != nil {
				t.Fatal(err)
			}
			got.Appraisals += len(aps.GetAppraisals())
			stars, err := ac.ListStarRatings(ctx, &memberv1.ListStarRatingsRequest{MemberId: m.GetId()})
			if err != nil {
				t.Fatal(err)
			}
			got.StarRatings += len(stars.GetRatings())
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	got.Posts, got.FullClaims = first.Posts, first.FullClaims
	if got != first {
		t.Errorf("the member service holds %+v, the load says %+v", got, first)
	}
}
