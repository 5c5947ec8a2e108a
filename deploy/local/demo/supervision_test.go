package demo_test

import (
	"slices"
	"testing"
	"time"

	"gongjian.dev/deploy/local/demo"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	supv1 "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// TestSupervisionLoadsOnceThroughTheAPI loads the city and Tongjiang's
// supervision twice, and reads back what the supervision service holds:
// this quarter's round with six groups, each with its inspector, covering
// every community of Tongjiang once; the items of last quarter's missed
// activities, one closed with its evidence accepted and one reopened by a
// later check; the second load having made nothing.
func TestSupervisionLoadsOnceThroughTheAPI(t *testing.T) {
	ctx := t.Context()
	conns := startServices(t, 4)
	orgs, sup := conns[0], conns[3]
	sum, err := demo.Load(ctx, orgs, time.Now(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	first, err := demo.LoadSupervision(ctx, sup, orgs, sum, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("supervision loaded: %s", first)
	again, err := demo.LoadSupervision(ctx, sup, orgs, sum, testLogger(t))
	if err != nil {
		t.Fatalf("loading again: %v", err)
	}
	if again != first {
		t.Errorf("the second load found %+v, the first made %+v", again, first)
	}
	var tongjiang string
	for _, o := range listAll(t, orgs, &orgv1.ListOrganisationsRequest{Kind: orgv1.OrganisationKind_ORGANISATION_KIND_DISTRICT}) {
		if o.GetCode() == "GJ-TJ" {
			tongjiang = o.GetId()
		}
	}
	communities := listAll(t, orgs, &orgv1.ListOrganisationsRequest{AncestorId: tongjiang, Kind: orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY})
	if first.Groups != 6 || first.Covered != len(communities) || first.MissedItems < 3 || first.Closed != 2 || first.Reopened != 1 {
		t.Errorf("loaded %+v; want 6 groups covering Tongjiang's %d communities, 2 of 3 or more items closed, 1 reopened", first, len(communities))
	}

	inspection := supv1.NewInspectionServiceClient(sup)
	rounds, err := inspection.ListRounds(ctx, &supv1.ListRoundsRequest{DistrictId: tongjiang})
	if err != nil || len(rounds.GetRounds()) != 1 {
		t.Fatalf("rounds of Tongjiang: %v, %v", rounds, err)
	}
	groups, err := inspection.ListGroups(ctx, &supv1.ListGroupsRequest{RoundId: rounds.GetRounds()[0].GetId()})
	if err != nil || len(groups.GetGroups()) != 6 {
		t.Fatalf("groups: %v, %v", groups, err)
	}
	var covered []string
	for _, g := range groups.GetGroups() {
		if len(g.GetInspectors()) != 1 {
			t.Errorf("group %s has inspectors %v, want one", g.GetName(), g.GetInspectors())
		}
		covered = append(covered, g.GetOrganisationIds()...)
	}
	slices.Sort(covered)
	if len(slices.Compact(covered)) != len(communities) {
		t.Errorf("the groups cover %d communities, want each of Tongjiang's %d once", len(covered), len(communities))
	}

	// The groups' findings: the one entered from paper is overdue and
	// escalated once the quarter is sixteen days old; the one on the spot is not.
	found, err := inspection.ListInspectionFindings(ctx, &supv1.ListInspectionFindingsRequest{RoundId: rounds.GetRounds()[0].GetId()})
	if err != nil || len(found.GetFindings()) != 2 || first.Findings != 2 {
		t.Fatalf("findings of the round: %v, %v (loaded %+v)", found, err, first)
	}
	items := supv1.NewRectificationServiceClient(sup)
	today := time.Now().UTC()
	quarterStart := time.Date(today.Year(), (today.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	wantOverdue := 0
	if today.Sub(quarterStart) >= 16*24*time.Hour {
		wantOverdue = 1
	}
	var overdue, escalated int
	for _, f := range found.GetFindings() {
		it, err := items.GetItem(ctx, &supv1.GetItemRequest{Id: f.GetItemId()})
		if err != nil {
			t.Fatalf("the item of finding %s: %v", f.GetId(), err)
		}
		if it.GetItem().GetOverdue() {
			overdue++
		}
		if it.GetItem().GetEscalateTime() != nil {
			escalated++
		}
	}
	if overdue != wantOverdue || escalated != wantOverdue || first.Overdue != wantOverdue {
		t.Errorf("%d of the findings' items overdue, %d escalated (loaded %+v); want %d", overdue, escalated, first, wantOverdue)
	}

	resp, err := items.ListItems(ctx, &supv1.ListItemsRequest{AncestorId: sum.CityID, RuleCode: "quarterly_activity_missed", PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, it := range resp.GetItems() {
		steps, err := items.ListItemSteps(ctx, &supv1.ListItemStepsRequest{ItemId: it.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		var seen []supv1.StepKind
		for _, s := range steps.GetSteps() {
			seen = append(seen, s.GetKind())
		}
		switch {
		case it.GetState() == supv1.ItemState_ITEM_STATE_CLOSED && slices.Contains(seen, supv1.StepKind_STEP_KIND_EVIDENCE_SUBMITTED):
			kinds["closed with evidence"]++
		case it.GetState() == supv1.ItemState_ITEM_STATE_OPEN && slices.Contains(seen, supv1.StepKind_STEP_KIND_REOPENED):
			kinds["reopened"]++
		case it.GetState() == supv1.ItemState_ITEM_STATE_OPEN && len(seen) == 1:
			kinds["open"]++
		default:
			t.Errorf("item %s: %v with steps %v", it.GetId(), it.GetState(), seen)
		}
	}
	if kinds["closed with evidence"] != 1 || kinds["reopened"] != 1 || kinds["open"] != first.MissedItems-2 {
		t.Errorf("items: %v", kinds)
	}
}
