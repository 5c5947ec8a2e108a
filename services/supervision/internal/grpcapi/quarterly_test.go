package grpcapi_test

import (
	"testing"
	"time"

	"gongjian.dev/pkg/servicetest"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/wiring"
)

const concentrated = orgv1.ActivityKind_ACTIVITY_KIND_CONCENTRATED_ACTIVITY

// TestAMissedQuarterIsFoundOnceAndItsItemClosesOnceTheActivityIsHeld: when
// the first quarter and its grace period have passed, the community that
// held no concentrated activity — and only it — is found once, publishes
// QuarterlyActivityMissed and gets an item; the secretary's evidence is not
// enough until the activity is recorded late; then an inspector of a group
// covering the community closes it. The miss stays.
func TestAMissedQuarterIsFoundOnceAndItsItemClosesOnceTheActivityIsHeld(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	missed := h.created(t, c.street, kindCommunity, "Missed", "2025-12-15")
	held := h.created(t, c.street, kindCommunity, "Held", "2025-12-15")
	heldBranch := h.created(t, held, kindBranch, "Branch of Held", "2025-12-15")
	young := h.created(t, c.street, kindCommunity, "Founded in the quarter", "2026-02-01")
	branch := h.created(t, missed, kindBranch, "Branch of Missed", "2025-12-15")
	h.activity(t, heldBranch, concentrated, "2026-02-10") // below the community counts
	h.activity(t, missed, orgv1.ActivityKind_ACTIVITY_KIND_PARTY_LECTURE, "2026-02-11")
	h.known(t, missed, held, heldBranch, young, branch, c.otherCommunity)
	servicetest.WaitFor(t, "the activities", func() bool { return h.count(t, `SELECT count(*) FROM activities`) == 2 })
	ctx := servicetest.Ctx(t)
	sweep := func() int {
		t.Helper()
		n, err := h.Service.Rules.Sweep(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Ten days into the second quarter, within the grace period: the
	// fourth quarter of 2025 is judged, in which none of them was founded.
	if n := sweep(); n != 0 {
		t.Fatalf("within the grace period: %d findings", n)
	}
	clk.Set(time.Date(2026, 4, 20, 9, 0, 0, 0, time.UTC))
	if n := sweep(); n != 2 {
		t.Fatalf("after the grace period: %d findings, want the missed community and the other district's", n)
	}
	if n := sweep(); n != 0 {
		t.Fatalf("a second sweep made %d findings", n)
	}
	evs := servicetest.EventsUntil(t, h.Stream, "QuarterlyActivityMissed", func(evs []servicetest.Event) bool {
		return countSubject(evs, "gongjian.supervision.v1.quarterly_activity_missed") == 2
	})
	var miss *pb.QuarterlyActivityMissed
	for _, e := range evs {
		if m, ok := e.Payload.(*pb.QuarterlyActivityMissed); ok && m.GetOrganisationId() == missed.GetId() {
			miss = m
		}
	}
	if miss == nil || miss.GetQuarter() != "2026-Q1" || miss.GetDistrictId() != c.district.GetId() {
		t.Fatalf("QuarterlyActivityMissed: %v", miss)
	}

	admin := h.clients(cityAdmin)
	f, err := admin.rules.GetFinding(ctx, &pb.GetFindingRequest{Id: miss.GetFindingId()})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.GetFinding(); got.GetRuleCode() != "quarterly_activity_missed" || got.GetRuleVersion() != 1 ||
		got.GetFacts().AsMap()["concentrated_activities"] != 0.0 || got.GetFacts().AsMap()["founded_before_quarter"] != true ||
		got.GetParams().AsMap()["grace_days"] != 15.0 || got.GetExplanation() == "" {
		t.Errorf("the finding does not say why: %v", got)
	}

	list, err := h.clients(secretary(missed)).items.ListItems(ctx, &pb.ListItemsRequest{OrganisationId: missed.GetId()})
	if err != nil || len(list.GetItems()) != 1 {
		t.Fatalf("the secretary's items: %v, %v", list, err)
	}
	item := list.GetItems()[0]
	// Swept on 20 April, the item is due thirty days from 16 April, the
	// first day the quarter could be judged (its grace ends on the 15th):
	// a late sweep gives no more time.
	if item.GetState() != pb.ItemState_ITEM_STATE_OPEN || !item.GetNeedsRemedy() || item.GetDeadline() != "2026-05-16" ||
		item.GetFindingId() != miss.GetFindingId() || item.GetSource() != pb.ItemSource_ITEM_SOURCE_RULE {
		t.Fatalf("the item: %v", item)
	}

	h.group(t, c.district, "inspector-1", missed)
	insp := h.clients(inspector("inspector-1"))
	if _, err := insp.items.AcceptItem(ctx, &pb.AcceptItemRequest{Id: item.GetId()}); servicetest.RefusalOf(err).Reason != "NO_EVIDENCE" {
		t.Fatalf("closing an item without evidence: %v", err)
	}
	sub, err := h.clients(secretary(missed)).items.SubmitEvidence(ctx, &pb.SubmitEvidenceRequest{Id: item.GetId(),
		Evidence: []*pb.Evidence{{Description: "minutes of the make-up activity", Reference: "file 2026-17"}}, Note: "held late"})
	if err != nil || sub.GetItem().GetState() != pb.ItemState_ITEM_STATE_SUBMITTED {
		t.Fatalf("submit evidence: %v, %v", sub, err)
	}
	if _, err := insp.items.AcceptItem(ctx, &pb.AcceptItemRequest{Id: item.GetId()}); servicetest.RefusalOf(err).Reason != "NOT_REMEDIED" {
		t.Fatalf("closing before the activity was held: %v", err)
	}

	activityID := h.activity(t, branch, concentrated, "2026-04-22")
	servicetest.WaitFor(t, "the item remedied", func() bool {
		got, err := insp.items.GetItem(ctx, &pb.GetItemRequest{Id: item.GetId()})
		return err == nil && got.GetItem().GetRemedyTime() != nil
	})
	closed, err := insp.items.AcceptItem(ctx, &pb.AcceptItemRequest{Id: item.GetId(), Note: "checked on the spot"})
	if err != nil || closed.GetItem().GetState() != pb.ItemState_ITEM_STATE_CLOSED {
		t.Fatalf("accept: %v, %v", closed, err)
	}
	steps, err := admin.items.ListItemSteps(ctx, &pb.ListItemStepsRequest{ItemId: item.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []pb.StepKind
	for _, s := range steps.GetSteps() {
		kinds = append(kinds, s.GetKind())
	}
	want := []pb.StepKind{pb.StepKind_STEP_KIND_OPENED, pb.StepKind_STEP_KIND_EVIDENCE_SUBMITTED, pb.StepKind_STEP_KIND_REMEDIED, pb.StepKind_STEP_KIND_ACCEPTED}
	if len(kinds) != len(want) {
		t.Fatalf("steps %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("steps %v, want %v", kinds, want)
		}
	}
	if s := steps.GetSteps()[2]; s.GetActor() != "system:activity-remedies" || s.GetNote() != "concentrated activity "+activityID+" recorded" {
		t.Errorf("the remedy step: %v", s)
	}
	if s := steps.GetSteps()[3]; s.GetActor() != "inspector-1" || s.GetActorRole() != "inspector" {
		t.Errorf("the acceptance: %v", s)
	}
	if n := sweep(); n != 0 || h.count(t, `SELECT count(*) FROM findings WHERE organisation_id = $1`, missed.GetId()) != 1 {
		t.Errorf("the late activity changed the findings: %d new", n)
	}
	if _, err := h.Pool.Exec(ctx, `UPDATE item_steps SET note = 'rewritten'`); err == nil {
		t.Error("an item's history was rewritten")
	}
}

func countSubject(evs []servicetest.Event, subject string) int {
	n := 0
	for _, e := range evs {
		if e.Subject == subject {
			n++
		}
	}
	return n
}

// TestSweepsOnManyReplicasAtOnceFindEachThingOnce: three replicas sweep
// the same city at the same time, again and again; each miss is found,
// published and given an item once.
func TestSweepsOnManyReplicasAtOnceFindEachThingOnce(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 4, 20, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	var communities []*orgv1.Organisation
	for i := range 12 {
		communities = append(communities, h.created(t, c.street, kindCommunity, "Community "+string(rune('A'+i)), "2025-12-15"))
	}
	h.known(t, communities...)
	replicas := []*harness{h}
	for range 2 {
		r := servicetest.Start(t, wiring.Spec(&wiring.Config{}), servicetest.WithStreams(orgStream, memberStream), servicetest.WithPool(h.Pool),
			servicetest.WithNATS(h.NC.ConnectedUrl()), servicetest.WithClock(clk.Now))
		replicas = append(replicas, &harness{Harness: r})
	}
	errs := make(chan error, 3*5)
	for _, r := range replicas {
		go func() {
			for range 5 {
				_, err := r.Service.Rules.Sweep(servicetest.Ctx(t), "")
				errs <- err
			}
		}()
	}
	for range 3 * 5 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	want := len(communities) + 1 // and the other district's community
	if n := h.count(t, `SELECT count(*) FROM findings`); n != want {
		t.Errorf("%d findings, want %d", n, want)
	}
	if n := h.count(t, `SELECT count(*) FROM items`); n != want {
		t.Errorf("%d items, want %d", n, want)
	}
	servicetest.EventsUntil(t, h.Stream, "every miss published", func(evs []servicetest.Event) bool {
		return countSubject(evs, "gongjian.supervision.v1.quarterly_activity_missed") >= want
	})
	if evs := servicetest.Events(t, h.Stream); countSubject(evs, "gongjian.supervision.v1.quarterly_activity_missed") != want {
		t.Errorf("%d QuarterlyActivityMissed, want %d", countSubject(evs, "gongjian.supervision.v1.quarterly_activity_missed"), want)
	}
}
