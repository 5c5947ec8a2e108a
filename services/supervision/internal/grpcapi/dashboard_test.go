package grpcapi_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// TestTheDashboardCountsFromItsCounters: the city's dashboard counts the
// items of each district, by state and by rule, the overdue among them,
// and the findings of the quarter; a district's counts its streets; the
// counters follow every step (opened, submitted, escalated, closed).
func TestTheDashboardCountsFromItsCounters(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 4, 20, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	a := h.created(t, c.street, kindCommunity, "A", "2025-12-15")
	b := h.created(t, c.street, kindCommunity, "B", "2025-12-15")
	h.known(t, a, b)
	ctx := servicetest.Ctx(t)
	if _, err := h.Service.Rules.Sweep(ctx, ""); err != nil { // A, B and the other district's community
		t.Fatal(err)
	}
	admin := h.clients(cityAdmin)
	manual, err := admin.items.CreateItem(ctx, &pb.CreateItemRequest{Item: &pb.RectificationItem{OrganisationId: a.GetId(),
		Title: "premises below 200 m²", Deadline: "2026-05-01"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.clients(secretary(a)).items.SubmitEvidence(ctx, &pb.SubmitEvidenceRequest{Id: manual.GetItem().GetId(),
		Evidence: []*pb.Evidence{{Description: "lease of a larger room"}}}); err != nil {
		t.Fatal(err)
	}
	clk.Set(time.Date(2026, 5, 25, 9, 0, 0, 0, time.UTC)) // past every deadline
	if _, err := h.Service.Rectify.EscalateOverdue(ctx); err != nil {
		t.Fatal(err)
	}

	dash := pb.NewDashboardServiceClient(h.as(cityAdmin))
	city, err := dash.GetDashboard(ctx, &pb.GetDashboardRequest{OrganisationId: c.city.GetId(), Quarters: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := (&pb.ItemCounts{Open: 3, Submitted: 1, Overdue: 4}); !proto.Equal(city.GetItems(), want) {
		t.Errorf("the city's items %v, want %v", city.GetItems(), want)
	}
	byBranch := map[string]*pb.ItemCounts{}
	for _, b := range city.GetByBranch() {
		byBranch[b.GetOrganisationId()] = b.GetItems()
	}
	if got := byBranch[c.district.GetId()]; got.GetOpen() != 2 || got.GetSubmitted() != 1 {
		t.Errorf("the district's items %v", got)
	}
	if got := byBranch[c.other.GetId()]; got.GetOpen() != 1 || got.GetOverdue() != 1 {
		t.Errorf("the other district's items %v", got)
	}
	byRule := map[string]*pb.ItemCounts{}
	for _, r := range city.GetByRule() {
		byRule[r.GetRuleCode()] = r.GetItems()
	}
	if byRule["quarterly_activity_missed"].GetOpen() != 3 || byRule[""].GetSubmitted() != 1 {
		t.Errorf("by rule: %v", city.GetByRule())
	}
	trend := city.GetTrend()
	if len(trend) != 2 || trend[0].GetQuarter() != "2026-Q1" || trend[1].GetQuarter() != "2026-Q2" || trend[1].GetFindings() != 3 || trend[1].GetItemsOpened() != 4 {
		t.Errorf("the trend: %v", trend)
	}

	// The item closed: the counters follow.
	if _, err := admin.items.AcceptItem(ctx, &pb.AcceptItemRequest{Id: manual.GetItem().GetId()}); err != nil {
		t.Fatal(err)
	}
	district, err := dash.GetDashboard(ctx, &pb.GetDashboardRequest{OrganisationId: c.district.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if want := (&pb.ItemCounts{Open: 2, Closed: 1, Overdue: 2}); !proto.Equal(district.GetItems(), want) {
		t.Errorf("the district's items %v, want %v", district.GetItems(), want)
	}
	if len(district.GetByBranch()) != 1 || district.GetByBranch()[0].GetOrganisationId() != c.street.GetId() {
		t.Errorf("the district's streets: %v", district.GetByBranch())
	}
	if len(district.GetTrend()) != 8 {
		t.Errorf("%d quarters by default, want 8", len(district.GetTrend()))
	}
}
