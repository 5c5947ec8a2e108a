package grpcapi_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
)

func (h *harness) meeting(t testing.TB, kind pb.MeetingKind, convener, date string, units ...string) *pb.JointMeeting {
	t.Helper()
	resp, err := h.meetings.CreateJointMeeting(servicetest.Ctx(t), &pb.CreateJointMeetingRequest{JointMeeting: &pb.JointMeeting{
		Kind: kind, ConvenerId: convener, Date: date, Title: "驻区单位联席会议", UnitIds: units, Minutes: "通报党建工作，议定事项三项"}})
	if err != nil {
		t.Fatalf("meeting: %v", err)
	}
	return resp.GetJointMeeting()
}

// TestALedgerItemIsTrackedUntilTickedOffOnEvidence: an item the meeting
// agreed is reported on by its owner, sent back, reported again with
// evidence and ticked off; it cannot be ticked off without evidence.
func TestALedgerItemIsTrackedUntilTickedOffOnEvidence(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	u := h.unit(t, tr.community.GetId(), "同江市城管局")
	m := h.meeting(t, pb.MeetingKind_MEETING_KIND_COMMUNITY, tr.community.GetId(), "2026-06-10", u.GetId())
	if m.GetDistrictId() != tr.district.GetId() {
		t.Errorf("meeting %+v: want the district of its community", m)
	}
	resp, err := h.ledger.CreateLedgerItem(servicetest.Ctx(t), &pb.CreateLedgerItemRequest{LedgerItem: &pb.LedgerItem{
		MeetingId: m.GetId(), Matter: "居民楼外墙墙皮脱落", Title: "修复3号楼外墙", OwnerUnitId: u.GetId(), Deadline: "2026-07-15"}})
	if err != nil {
		t.Fatal(err)
	}
	it := resp.GetLedgerItem()
	if it.GetStatus() != pb.LedgerItemStatus_LEDGER_ITEM_STATUS_OPEN || it.GetConvenerId() != tr.community.GetId() {
		t.Fatalf("new item %+v", it)
	}
	_, err = h.ledger.CloseLedgerItem(servicetest.Ctx(t), &pb.CloseLedgerItemRequest{Id: it.GetId()})
	if diff := cmp.Diff(refusal{codes.FailedPrecondition, []string{"ledger_item.evidence"}}, refusalOf(err)); diff != "" {
		t.Errorf("ticking off with no evidence (-want +got):\n%s", diff)
	}
	if _, err := h.ledger.ReportLedgerProgress(servicetest.Ctx(t), &pb.ReportLedgerProgressRequest{Id: it.GetId(), Note: "已联系施工队"}); err != nil {
		t.Fatal(err)
	}
	_, err = h.ledger.CloseLedgerItem(servicetest.Ctx(t), &pb.CloseLedgerItemRequest{Id: it.GetId()})
	if diff := cmp.Diff(refusal{codes.FailedPrecondition, []string{"ledger_item.evidence"}}, refusalOf(err)); diff != "" {
		t.Errorf("ticking off on a report without evidence (-want +got):\n%s", diff)
	}
	back, err := h.ledger.SendBackLedgerItem(servicetest.Ctx(t), &pb.SendBackLedgerItemRequest{Id: it.GetId(), Reason: "请提供照片"})
	if err != nil || back.GetLedgerItem().GetStatus() != pb.LedgerItemStatus_LEDGER_ITEM_STATUS_SENT_BACK {
		t.Fatalf("send back: %v, %v", back, err)
	}
	if _, err := h.ledger.ReportLedgerProgress(servicetest.Ctx(t), &pb.ReportLedgerProgressRequest{Id: it.GetId(), Note: "已修复",
		Evidence: []*pb.Evidence{{Title: "修复后照片", Uri: "https://files.example/3.jpg"}}}); err != nil {
		t.Fatal(err)
	}
	closed, err := h.ledger.CloseLedgerItem(servicetest.Ctx(t), &pb.CloseLedgerItemRequest{Id: it.GetId(), Note: "销号"})
	if err != nil {
		t.Fatal(err)
	}
	c := closed.GetLedgerItem()
	if c.GetStatus() != pb.LedgerItemStatus_LEDGER_ITEM_STATUS_CLOSED || len(c.GetProgress()) != 2 || c.GetCloseTime() == nil || c.GetOverdue() {
		t.Errorf("ticked off: %+v", c)
	}
	if _, err := h.ledger.ReportLedgerProgress(servicetest.Ctx(t), &pb.ReportLedgerProgressRequest{Id: it.GetId(), Note: "again"}); refusalOf(err).Code != codes.FailedPrecondition {
		t.Errorf("reporting on a closed item: %v, want FailedPrecondition", err)
	}
	var changes []string
	for _, e := range waitEvents[*pb.LedgerItemChanged](t, h, 5) {
		changes = append(changes, e.GetChange())
	}
	if diff := cmp.Diff([]string{"CREATED", "REPORTED", "SENT_BACK", "REPORTED", "CLOSED"}, changes); diff != "" {
		t.Errorf("item events (-want +got):\n%s", diff)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'ledger_item'`); n != 5 {
		t.Errorf("%d audit records of the item, want 5", n)
	}
}

func TestBadMeetingsAndItemsAreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	m := h.meeting(t, pb.MeetingKind_MEETING_KIND_COMMUNITY, tr.community.GetId(), "2026-06-10")
	for _, tt := range []struct {
		name string
		in   *pb.JointMeeting
		want refusal
	}{
		{"a meeting in the future", &pb.JointMeeting{Kind: pb.MeetingKind_MEETING_KIND_COMMUNITY, ConvenerId: tr.community.GetId(), Date: "2026-07-01"},
			refusal{codes.InvalidArgument, []string{"joint_meeting.date"}}},
		{"a county meeting convened by a community", &pb.JointMeeting{Kind: pb.MeetingKind_MEETING_KIND_COUNTY, ConvenerId: tr.community.GetId(), Date: "2026-06-01"},
			refusal{codes.FailedPrecondition, []string{"joint_meeting.convener_id"}}},
		{"a unit nobody recorded", &pb.JointMeeting{Kind: pb.MeetingKind_MEETING_KIND_COMMUNITY, ConvenerId: tr.community.GetId(), Date: "2026-06-01",
			UnitIds: []string{"0190a0b0-0000-7000-8000-000000000009"}}, refusal{codes.FailedPrecondition, []string{"joint_meeting.unit_ids"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.meetings.CreateJointMeeting(servicetest.Ctx(t), &pb.CreateJointMeetingRequest{JointMeeting: tt.in})
			if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, tt := range []struct {
		name string
		in   *pb.LedgerItem
		want refusal
	}{
		{"no owner", &pb.LedgerItem{MeetingId: m.GetId(), Matter: "m", Title: "t", Deadline: "2026-07-01"},
			refusal{codes.InvalidArgument, []string{"ledger_item.owner_unit_id"}}},
		{"two owners", &pb.LedgerItem{MeetingId: m.GetId(), Matter: "m", Title: "t", Deadline: "2026-07-01",
			OwnerOrganisationId: tr.branch.GetId(), OwnerUnitId: "0190a0b0-0000-7000-8000-000000000009"},
			refusal{codes.InvalidArgument, []string{"ledger_item.owner_unit_id"}}},
		{"a meeting nobody recorded", &pb.LedgerItem{MeetingId: "0190a0b0-0000-7000-8000-000000000009", Matter: "m", Title: "t",
			Deadline: "2026-07-01", OwnerOrganisationId: tr.branch.GetId()}, refusal{codes.NotFound, []string{"ledger_item.meeting_id"}}},
		{"no deadline", &pb.LedgerItem{MeetingId: m.GetId(), Matter: "m", Title: "t", OwnerOrganisationId: tr.branch.GetId()},
			refusal{codes.InvalidArgument, []string{"ledger_item.deadline"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.ledger.CreateLedgerItem(servicetest.Ctx(t), &pb.CreateLedgerItemRequest{LedgerItem: tt.in})
			if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if n := h.count(t, `SELECT count(*) FROM ledger_items`) + h.count(t, `SELECT count(*) FROM joint_meetings`); n != 1 {
		t.Errorf("%d rows written, want the one meeting", n)
	}
}

// TestTheSweeperFindsOverdueItemsAndMissedMeetingsOnce: an item past its
// deadline, and a community and a county that held no meeting in a closed
// period while an agreement bound them, are each announced once.
func TestTheSweeperFindsOverdueItemsAndMissedMeetingsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	u := h.unit(t, tr.community.GetId(), "同江市交通局")
	// Bound since the second half of 2025: its community's half-year
	// periods 2025-H2 and 2026-H1; the county's quarters from 2025-Q3.
	h.agreement(t, tr.community.GetId(), u.GetId(), "2025-07-01", "2027-06-30")
	// The community met in 2025-H2 (nothing to find); the county met in
	// 2025-Q4 and 2026-Q1 only.
	h.meeting(t, pb.MeetingKind_MEETING_KIND_COMMUNITY, tr.community.GetId(), "2025-11-20", u.GetId())
	h.meeting(t, pb.MeetingKind_MEETING_KIND_COUNTY, tr.district.GetId(), "2025-12-01")
	m := h.meeting(t, pb.MeetingKind_MEETING_KIND_COUNTY, tr.district.GetId(), "2026-02-01")
	item, err := h.ledger.CreateLedgerItem(servicetest.Ctx(t), &pb.CreateLedgerItemRequest{LedgerItem: &pb.LedgerItem{
		MeetingId: m.GetId(), Matter: "雨天内涝", Title: "疏通排水管", OwnerOrganisationId: tr.branch.GetId(), Deadline: "2026-06-30"}})
	if err != nil {
		t.Fatal(err)
	}
	// 2026-07-02: 2026-H1 and 2026-Q2 have closed; the item is overdue.
	h.clock.Set(day0.AddDate(0, 0, 15))
	for range 3 {
		if err := h.Service.Sweep(servicetest.Ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	overdue := waitEvents[*pb.LedgerItemOverdue](t, h, 1)
	if len(overdue) != 1 || overdue[0].GetLedgerItemId() != item.GetLedgerItem().GetId() || overdue[0].GetOwnerOrganisationId() != tr.branch.GetId() {
		t.Errorf("overdue events %v", overdue)
	}
	missed := waitEvents[*pb.JointMeetingMissed](t, h, 3)
	var got []string
	for _, e := range missed {
		got = append(got, e.GetKind().String()+" "+e.GetPeriodStart()+".."+e.GetPeriodEnd())
	}
	want := []string{
		"MEETING_KIND_COMMUNITY 2026-01-01..2026-06-30",
		"MEETING_KIND_COUNTY 2025-07-01..2025-09-30",
		"MEETING_KIND_COUNTY 2026-04-01..2026-06-30",
	}
	if diff := cmp.Diff(want, sorted(got)); diff != "" {
		t.Errorf("missed meetings (-want +got):\n%s", diff)
	}
	got2, err := h.ledger.GetLedgerItem(servicetest.Ctx(t), &pb.GetLedgerItemRequest{Id: item.GetLedgerItem().GetId()})
	if err != nil || !got2.GetLedgerItem().GetOverdue() {
		t.Errorf("the item reads overdue: %v, %v", got2, err)
	}
	list, err := h.ledger.ListLedgerItems(servicetest.Ctx(t), &pb.ListLedgerItemsRequest{AncestorId: tr.district.GetId(), OverdueOnly: true})
	if err != nil || len(list.GetLedgerItems()) != 1 {
		t.Errorf("overdue items of the district: %v, %v", list, err)
	}
}
