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
// later check, the rest due thirty days after the quarter's judgement day
// and, past it, overdue and escalated once; the second load having made
// nothing.
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
	// Each miss is due thirty days from the day its quarter could first be
	// judged (after fifteen days' grace), however late the sweep found it.
	// The city's day may be a day ahead of the machine's.
	var dues []string
	for _, d := range []time.Time{today, today.AddDate(0, 0, 1)} {
		judged := time.Date(d.Year(), (d.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, -3, 0)
		if d.Before(judged.AddDate(0, 3, 15)) {
			judged = judged.AddDate(0, -3, 0)
		}
		dues = append(dues, judged.AddDate(0, 3, 15+30).Format(time.DateOnly))
	}
	missedOverdue := 0
	kinds := map[string]int{}
	for _, it := range resp.GetItems() {
		if it.GetOverdue() && it.GetState() == supv1.ItemState_ITEM_STATE_OPEN {
			missedOverdue++
		}
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
		case it.GetState() == supv1.ItemState_ITEM_STATE_OPEN && !slices.Contains(seen, supv1.StepKind_STEP_KIND_REOPENED):
			// Opened, and escalated once if overdue.
			escalations := len(seen) - 1
			if seen[0] != supv1.StepKind_STEP_KIND_OPENED || slices.ContainsFunc(seen[1:], func(k supv1.StepKind) bool { return k != supv1.StepKind_STEP_KIND_ESCALATED }) ||
				escalations > 1 || (escalations == 1) != it.GetOverdue() {
				t.Errorf("open item %s (overdue %v) has steps %v, want it opened and escalated once if overdue", it.GetId(), it.GetOverdue(), seen)
			}
			kinds["open"]++
			if !slices.Contains(dues, it.GetDeadline()) {
				t.Errorf("missed-activity item %s is due %s, want one of %v", it.GetId(), it.GetDeadline(), dues)
			}
		default:
			t.Errorf("item %s: %v with steps %v", it.GetId(), it.GetState(), seen)
		}
	}
	if kinds["closed with evidence"] != 1 || kinds["reopened"] != 1 || kinds["open"] != first.MissedItems-2 {
		t.Errorf("items: %v", kinds)
	}
	// Past the deadline (with a day's margin for the city's day), every
	// miss still open is overdue; before it, none.
	switch {
	case today.Format(time.DateOnly) > dues[1]:
		if missedOverdue != first.MissedItems-2 || first.MissedOverdue != missedOverdue {
			t.Errorf("%d missed-activity items overdue (loaded %+v), want the %d left open", missedOverdue, first, first.MissedItems-2)
		}
	case today.AddDate(0, 0, 1).Format(time.DateOnly) < dues[0]:
		if missedOverdue != 0 || first.MissedOverdue != 0 {
			t.Errorf("%d missed-activity items overdue (loaded %+v) before their deadline %s", missedOverdue, first, dues[0])
		}
	}
}
