package grpcapi_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// TestItemsAreAnsweredByTheirOwnersAndDecidedByTheirInspectors: another
// community's secretary, and an inspector whose group does not cover the
// item, find no such item; an inspector records findings only in an
// organisation their group covers; an overdue item is escalated once; a
// closed item is reopened by a later check; every step is kept.
func TestItemsAreAnsweredByTheirOwnersAndDecidedByTheirInspectors(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	mine := h.created(t, c.street, kindCommunity, "Mine", "2025-12-15")
	theirs := h.created(t, c.street, kindCommunity, "Theirs", "2025-12-15")
	h.known(t, mine, theirs)
	ctx := servicetest.Ctx(t)
	g := h.group(t, c.district, "inspector-1", mine)
	h.group(t, c.district, "inspector-2", theirs)
	insp := h.clients(inspector("inspector-1"))

	// An inspector records on the spot in what the group covers, and opens an item.
	_, err := insp.inspection.RecordInspectionFinding(ctx, &pb.RecordInspectionFindingRequest{GroupId: g.GetId(),
		OrganisationId: theirs.GetId(), Description: "no ledger kept", DeadlineDays: 10})
	if got := servicetest.RefusalOf(err); got.Code != codes.FailedPrecondition || got.Reason != "NOT_COVERED" || !slices.Equal(got.Fields, []string{"organisation_id"}) {
		t.Errorf("a finding outside the group's cover: %+v", got)
	}
	_, err = h.clients(inspector("inspector-2")).inspection.RecordInspectionFinding(ctx, &pb.RecordInspectionFindingRequest{GroupId: g.GetId(),
		OrganisationId: mine.GetId(), Description: "no ledger kept", DeadlineDays: 10})
	if got := servicetest.RefusalOf(err); got.Code != codes.PermissionDenied {
		t.Errorf("an inspector of another group: %+v", got)
	}
	rec, err := insp.inspection.RecordInspectionFinding(ctx, &pb.RecordInspectionFindingRequest{GroupId: g.GetId(),
		OrganisationId: mine.GetId(), ChecklistCode: "life", Description: "no ledger of organisation life kept", DeadlineDays: 10,
		RequiredEvidence: "the ledger, brought up to date"})
	if err != nil || rec.GetItem().GetDeadline() != "2026-05-14" || rec.GetItem().GetSource() != pb.ItemSource_ITEM_SOURCE_INSPECTION {
		t.Fatalf("a finding on the spot: %v, %v", rec, err)
	}
	item := rec.GetItem()

	// Someone else's item is nobody else's business.
	other := h.clients(secretary(theirs))
	_, err = other.items.SubmitEvidence(ctx, &pb.SubmitEvidenceRequest{Id: item.GetId(), Evidence: []*pb.Evidence{{Description: "x"}}})
	if got := servicetest.RefusalOf(err).Code; got != codes.NotFound {
		t.Errorf("another community's secretary answering the item: %v", got)
	}
	_, err = h.clients(inspector("inspector-2")).items.AcceptItem(ctx, &pb.AcceptItemRequest{Id: item.GetId()})
	if got := servicetest.RefusalOf(err).Code; got != codes.NotFound {
		t.Errorf("an inspector whose group does not cover it closing it: %v", got)
	}
	_, err = h.clients(secretary(mine)).items.AcceptItem(ctx, &pb.AcceptItemRequest{Id: item.GetId()})
	if got := servicetest.RefusalOf(err).Code; got != codes.PermissionDenied {
		t.Errorf("the owner closing their own item: %v", got)
	}
	if got, err := other.items.ListItems(ctx, &pb.ListItemsRequest{}); err != nil || len(got.GetItems()) != 0 {
		t.Errorf("another community's list: %v, %v", got, err)
	}

	// Overdue: escalated once.
	clk.Set(time.Date(2026, 5, 20, 9, 0, 0, 0, time.UTC))
	for range 2 {
		if _, err := h.Service.Rectify.EscalateOverdue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	overdue, err := h.clients(cityAdmin).items.ListItems(ctx, &pb.ListItemsRequest{OverdueOnly: true})
	if err != nil || len(overdue.GetItems()) != 1 || overdue.GetItems()[0].GetEscalateTime() == nil {
		t.Fatalf("overdue items: %v, %v", overdue, err)
	}
	servicetest.EventsUntil(t, h.Stream, "the escalation", func(evs []servicetest.Event) bool {
		return countSubject(evs, "gongjian.supervision.v1.rectification_item_escalated") == 1
	})

	// Answered, returned, answered again, closed, then reopened by a later check.
	owner := h.clients(secretary(mine))
	submit := func() {
		t.Helper()
		if _, err := owner.items.SubmitEvidence(ctx, &pb.SubmitEvidenceRequest{Id: item.GetId(),
			Evidence: []*pb.Evidence{{Description: "ledger", Reference: "photo 12"}}}); err != nil {
			t.Fatal(err)
		}
	}
	submit()
	if _, err := insp.items.ReturnItem(ctx, &pb.ReturnItemRequest{Id: item.GetId(), Reason: "the ledger misses March"}); err != nil {
		t.Fatal(err)
	}
	submit()
	if _, err := insp.items.AcceptItem(ctx, &pb.AcceptItemRequest{Id: item.GetId()}); err != nil {
		t.Fatal(err)
	}
	_, err = insp.items.ReopenItem(ctx, &pb.ReopenItemRequest{Id: item.GetId(), Reason: "回头看: the ledger stopped again", Deadline: "2026-05-01"})
	if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"deadline"}) {
		t.Errorf("a reopening with a past deadline: %+v", got)
	}
	re, err := insp.items.ReopenItem(ctx, &pb.ReopenItemRequest{Id: item.GetId(), Reason: "回头看: the ledger stopped again", Deadline: "2026-06-30"})
	if err != nil || re.GetItem().GetState() != pb.ItemState_ITEM_STATE_OPEN || re.GetItem().GetOverdue() {
		t.Fatalf("reopen: %v, %v", re, err)
	}
	steps, err := insp.items.ListItemSteps(ctx, &pb.ListItemStepsRequest{ItemId: item.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, s := range steps.GetSteps() {
		kinds = append(kinds, s.GetKind().String())
	}
	want := []string{"STEP_KIND_OPENED", "STEP_KIND_ESCALATED", "STEP_KIND_EVIDENCE_SUBMITTED", "STEP_KIND_RETURNED",
		"STEP_KIND_EVIDENCE_SUBMITTED", "STEP_KIND_ACCEPTED", "STEP_KIND_REOPENED"}
	if !slices.Equal(kinds, want) {
		t.Errorf("steps %v, want %v", kinds, want)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'rectification_item' AND subject_id = $1`, item.GetId()); n != len(want) {
		t.Errorf("%d audit records of the item's %d steps", n, len(want))
	}
}

// TestAnInterviewIsHeldAndFollowedUp: scheduled, held with its deadline
// to fix, then followed up; a follow-up before it was held is refused.
func TestAnInterviewIsHeldAndFollowedUp(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	unit := h.created(t, c.street, kindCommunity, "Unit", "2025-12-15")
	h.known(t, unit)
	ctx := servicetest.Ctx(t)
	admin := h.clients(districtAdmin(c.district))
	iv, err := admin.interviews.ScheduleInterview(ctx, &pb.ScheduleInterviewRequest{Interview: &pb.Interview{
		OrganisationId: unit.GetId(), Reason: "graded ordinary two years running", DueBy: "2026-05-20"}})
	if err != nil {
		t.Fatal(err)
	}
	id := iv.GetInterview().GetId()
	// The finding that called for it is the rule follow-up's to set, or a
	// finding of this organisation; an id that is none is refused naming
	// the field, and nothing is scheduled.
	for _, finding := range []string{"not-an-id", "0190a3f0-0000-7000-8000-00000000dead"} {
		_, err := admin.interviews.ScheduleInterview(ctx, &pb.ScheduleInterviewRequest{Interview: &pb.Interview{
			OrganisationId: unit.GetId(), Reason: "a finding", DueBy: "2026-05-20", FindingId: finding}})
		if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"interview.finding_id"}) {
			t.Errorf("an interview for the finding %q: %+v", finding, got)
		}
	}
	if n := h.count(t, `SELECT count(*) FROM interviews`); n != 1 {
		t.Errorf("%d interviews, want the one scheduled", n)
	}
	_, err = admin.interviews.RecordInterviewFollowUp(ctx, &pb.RecordInterviewFollowUpRequest{Id: id, FollowedUpOn: "2026-05-04", FollowUp: "fixed"})
	if got := servicetest.RefusalOf(err); got.Code != codes.FailedPrecondition {
		t.Errorf("a follow-up before the interview: %+v", got)
	}
	if _, err := admin.interviews.RecordInterviewHeld(ctx, &pb.RecordInterviewHeldRequest{Id: id, HeldOn: "2026-05-06",
		Interviewee: "Wang, secretary", FixDeadline: "2026-06-30"}); servicetest.RefusalOf(err).Code != codes.InvalidArgument {
		t.Errorf("an interview held in the future: %v", err)
	}
	if _, err := admin.interviews.RecordInterviewHeld(ctx, &pb.RecordInterviewHeldRequest{Id: id, HeldOn: "2026-05-04",
		Interviewee: "Wang, secretary", FixDeadline: "2026-06-30", Note: "agreed a plan"}); err != nil {
		t.Fatal(err)
	}
	clk.Set(time.Date(2026, 7, 2, 9, 0, 0, 0, time.UTC))
	done, err := admin.interviews.RecordInterviewFollowUp(ctx, &pb.RecordInterviewFollowUpRequest{Id: id, FollowedUpOn: "2026-07-02", FollowUp: "the ledger is kept"})
	if got := done.GetInterview(); err != nil || got.GetState() != pb.InterviewState_INTERVIEW_STATE_FOLLOWED_UP ||
		got.GetFixDeadline() != "2026-06-30" || got.GetInterviewee() != "Wang, secretary" {
		t.Fatalf("follow-up: %v, %v", got, err)
	}
	servicetest.EventsUntil(t, h.Stream, "the interview's events", func(evs []servicetest.Event) bool {
		return countSubject(evs, "gongjian.supervision.v1.interview_scheduled") == 1 &&
			countSubject(evs, "gongjian.supervision.v1.interview_held") == 1 &&
			countSubject(evs, "gongjian.supervision.v1.interview_followed_up") == 1
	})
}

// TestAFindingEnteredFromPaperCountsItsDeadlineFromTheVisit: a roving
// group's finding typed in weeks after the visit is dated by the visit (a
// day of the round's quarter, not after today); its item is due counting
// from that day, so it can be overdue when entered, and the sweep
// escalates it once. A day outside the quarter, after today or not a day
// at all is refused naming found_on, and nothing is written.
func TestAFindingEnteredFromPaperCountsItsDeadlineFromTheVisit(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 6, 10, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	mine := h.created(t, c.street, kindCommunity, "Mine", "2025-12-15")
	h.known(t, mine)
	ctx := servicetest.Ctx(t)
	g := h.group(t, c.district, "inspector-1", mine) // the round of 2026 Q2
	insp := h.clients(inspector("inspector-1"))

	for _, day := range []string{"2026-03-31", "2026-06-11", "2026-02-30"} {
		_, err := insp.inspection.RecordInspectionFinding(ctx, &pb.RecordInspectionFindingRequest{GroupId: g.GetId(),
			OrganisationId: mine.GetId(), Description: "no ledger kept", DeadlineDays: 10, FoundOn: day})
		if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"found_on"}) {
			t.Errorf("found on %s: %+v", day, got)
		}
	}
	if got, err := insp.inspection.ListInspectionFindings(ctx, &pb.ListInspectionFindingsRequest{RoundId: g.GetRoundId()}); err != nil || len(got.GetFindings()) != 0 {
		t.Fatalf("findings after the refusals: %v, %v", got, err)
	}

	rec, err := insp.inspection.RecordInspectionFinding(ctx, &pb.RecordInspectionFindingRequest{GroupId: g.GetId(),
		OrganisationId: mine.GetId(), Description: "premises sign missing", DeadlineDays: 20, FoundOn: "2026-04-15"})
	if err != nil || rec.GetFinding().GetFoundOn() != "2026-04-15" || rec.GetItem().GetDeadline() != "2026-05-05" || !rec.GetItem().GetOverdue() {
		t.Fatalf("a finding entered from paper: %v, %v", rec, err)
	}
	today, err := insp.inspection.RecordInspectionFinding(ctx, &pb.RecordInspectionFindingRequest{GroupId: g.GetId(),
		OrganisationId: mine.GetId(), Description: "no ledger kept", DeadlineDays: 10})
	if err != nil || today.GetFinding().GetFoundOn() != "2026-06-10" || today.GetItem().GetDeadline() != "2026-06-20" {
		t.Fatalf("a finding on the spot: %v, %v", today, err)
	}
	if n, err := h.Service.Rectify.EscalateOverdue(ctx); err != nil || n != 1 {
		t.Fatalf("escalated %d, %v; want the late entry's item only", n, err)
	}
	got, err := insp.inspection.ListInspectionFindings(ctx, &pb.ListInspectionFindingsRequest{RoundId: g.GetRoundId()})
	if err != nil || len(got.GetFindings()) != 2 || got.GetFindings()[0].GetFoundOn() != "2026-04-15" {
		t.Fatalf("the round's findings: %v, %v", got, err)
	}
}
