package grpcapi_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/member/internal/domain"
	memberevents "gongjian.dev/services/member/internal/events"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/wiring"
)

// lifeEvent is an activity of organisation life as the organisation
// service announces it.
func lifeEvent(activityID, orgID, date string, present []string, absent ...*orgv1.Absentee) *orgv1.ActivityRecorded {
	return &orgv1.ActivityRecorded{EventId: member.NewID(), OccurTime: timestamppb.Now(), Activity: &orgv1.Activity{
		Id: activityID, OrganisationId: orgID, Kind: orgv1.ActivityKind_ACTIVITY_KIND_MEMBERS_MEETING, Date: date,
		Topic: "学习新修订的党章", Expected: 30, Attended: int32(len(present)), AttendeeMemberIds: present,
		Absentees: absent, RecordTime: timestamppb.Now()}}
}

// publishLife publishes an activity under its event id and waits until the
// member service has applied it.
func (h *harness) publishLife(t *testing.T, ev *orgv1.ActivityRecorded) {
	t.Helper()
	h.publish(t, memberevents.ActivityRecordedSubject, ev, ev.GetEventId())
	waitFor(t, "the activity applied", func() bool {
		return h.count(t, `SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2`,
			wiring.OrganisationLifeConsumer, ev.GetEventId()) == 1
	})
}

func (h *harness) participation(t *testing.T, c pb.ParticipationServiceClient, memberID string, size int32, token string) *pb.ListParticipationResponse {
	t.Helper()
	resp, err := c.ListParticipation(callContext(t), &pb.ListParticipationRequest{MemberId: memberID, PageSize: size, PageToken: token})
	if err != nil {
		t.Fatalf("participation of %s: %v", memberID, err)
	}
	return resp
}

// TestParticipationIsBuiltFromActivitiesOnce: each member an activity names
// has it in their participation, present or absent with the reason they
// gave; an event delivered again or the same activity replayed adds
// nothing; a member reads their own, and only their own.
func TestParticipationIsBuiltFromActivitiesOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	a := h.register(t, person(tr.branch.GetId(), "王建国"))
	b := h.register(t, person(tr.branch.GetId(), "李秀英"))
	api := pb.NewParticipationServiceClient(h.as(cityAdmin))

	first := member.NewID()
	ev := lifeEvent(first, tr.branch.GetId(), "2025-03-15", []string{a.GetId(), member.NewID()},
		&orgv1.Absentee{MemberId: b.GetId(), ReasonKind: orgv1.AbsenceReason_ABSENCE_REASON_ILLNESS, Reason: "住院"},
		&orgv1.Absentee{Name: "张伟"})
	h.publishLife(t, ev)
	h.publishLife(t, ev) // the same event again: the inbox passes it over
	replay := lifeEvent(first, tr.branch.GetId(), "2025-03-15", []string{a.GetId()},
		&orgv1.Absentee{MemberId: b.GetId(), ReasonKind: orgv1.AbsenceReason_ABSENCE_REASON_ILLNESS, Reason: "住院"})
	h.publishLife(t, replay) // the activity replayed under another event id

	if n := h.count(t, `SELECT count(*) FROM participation WHERE activity_id = $1`, first); n != 2 {
		t.Errorf("%d participation rows of the activity, want 2 (the unknown id passed over)", n)
	}
	got := h.participation(t, api, b.GetId(), 0, "").GetParticipation()
	want := []*pb.Participation{{ActivityId: first, OrganisationId: tr.branch.GetId(), Kind: "MEMBERS_MEETING", Date: "2025-03-15",
		Topic: "学习新修订的党章", AbsenceReasonKind: "ILLNESS", AbsenceReason: "住院"}}
	for _, p := range got {
		p.RecordTime = nil
	}
	if diff := cmp.Diff(want, got, cmpProto); diff != "" {
		t.Errorf("the absentee's participation (-want +got):\n%s", diff)
	}

	for i, day := range []string{"2025-04-10", "2025-05-10", "2025-06-10"} {
		h.publishLife(t, lifeEvent(member.NewID(), tr.community.GetId(), day, []string{a.GetId()}))
		_ = i
	}
	t.Run("pages newest first", func(t *testing.T) {
		var days []string
		token := ""
		for range 3 {
			resp := h.participation(t, api, a.GetId(), 3, token)
			for _, p := range resp.GetParticipation() {
				if !p.GetAttended() {
					t.Errorf("%v: recorded present", p)
				}
				days = append(days, p.GetDate())
			}
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		if diff := cmp.Diff([]string{"2025-06-10", "2025-05-10", "2025-04-10", "2025-03-15"}, days); diff != "" {
			t.Errorf("days (-want +got):\n%s", diff)
		}
	})
	t.Run("a member reads their own, and nobody else's", func(t *testing.T) {
		self := pb.NewParticipationServiceClient(h.as(devissuer.Claims{Subject: "m-a", Role: auth.Member, MemberID: a.GetId()}))
		if n := len(h.participation(t, self, a.GetId(), 0, "").GetParticipation()); n != 4 {
			t.Errorf("%d entries of their own, want 4", n)
		}
		_, err := self.ListParticipation(callContext(t), &pb.ListParticipationRequest{MemberId: b.GetId()})
		if got := refusalOf(err); got.Code != codes.NotFound {
			t.Errorf("another member's: %v, want NotFound", got)
		}
		other := pb.NewParticipationServiceClient(h.as(devissuer.Claims{Subject: "sec", Role: auth.CommunitySecretary,
			ScopeOrgID: tr.otherCommunity.GetId()}))
		_, err = other.ListParticipation(callContext(t), &pb.ListParticipationRequest{MemberId: a.GetId()})
		if got := refusalOf(err); got.Code != codes.NotFound {
			t.Errorf("the secretary of another community: %v, want NotFound (out of scope)", got)
		}
	})
}

// TestLostContactIsFlaggedOnceAndCleared: where a branch records its life
// by member, a member with no attendance, no dues and no report of their
// own (nor a payment of dues) for six months is flagged once, however often and by however many
// replicas the sweep runs, with an event; attending clears the flag, and
// so do a payment and a mobile member's report, each with an event; the list of a
// subtree shows the flagged with the days of their last facts.
func TestLostContactIsFlaggedOnceAndCleared(t *testing.T) {
	t.Parallel()
	clock := servicetest.NewClock(time.Date(2026, time.January, 10, 2, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clock.Now))
	tr := h.tree(t)
	attends := h.register(t, person(tr.branch.GetId(), "王建国"))
	absent := h.register(t, person(tr.branch.GetId(), "李秀英"))
	mobileOne := h.register(t, person(tr.branch.GetId(), "张伟"))
	reported := h.register(t, person(tr.branch.GetId(), "刘洋"))
	elsewhere := h.register(t, person(tr.otherCommunity.GetId(), "陈静")) // no organisation life by member there
	gone := h.register(t, person(tr.branch.GetId(), "赵磊"))
	paidInMay := h.register(t, person(tr.branch.GetId(), "孙丽"))
	paysLate := h.register(t, person(tr.branch.GetId(), "周强"))
	ledger := pb.NewDuesLedgerServiceClient(h.as(cityAdmin))
	payFor := func(m *pb.Member, month, paidOn string) {
		t.Helper()
		if _, err := ledger.DeclareIncome(callContext(t), &pb.DeclareIncomeRequest{MemberId: m.GetId(), RequestId: "declare-" + m.GetId(),
			Declaration: &pb.IncomeDeclaration{EffectiveMonth: "2026-01", MonthlyIncomeFen: 300000,
				EmploymentStatus: pb.EmploymentStatus_EMPLOYMENT_STATUS_RETIRED}}); err != nil && servicetest.RefusalOf(err).Code != codes.AlreadyExists {
			t.Fatalf("declare: %v", err)
		}
		if _, err := ledger.GenerateDuesBills(callContext(t), &pb.GenerateDuesBillsRequest{OrganisationId: tr.branch.GetId(), Month: month}); err != nil {
			t.Fatalf("generate: %v", err)
		}
		bills, err := ledger.ListDuesBills(callContext(t), &pb.ListDuesBillsRequest{OrganisationId: tr.branch.GetId(), Month: month})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bills.GetBills() {
			if b.GetMemberId() == m.GetId() {
				if _, err := ledger.RecordDuesPayment(callContext(t), &pb.RecordDuesPaymentRequest{OrganisationId: tr.branch.GetId(),
					Method: pb.DuesPaymentMethod_DUES_PAYMENT_METHOD_CASH, PaidOn: paidOn, ReceiptNumber: "DF-" + paidOn,
					BillIds: []string{b.GetId()}}); err != nil {
					t.Fatalf("pay: %v", err)
				}
				return
			}
		}
		t.Fatalf("no bill of %s for %s", m.GetName(), month)
	}
	mobile := pb.NewMobileServiceClient(h.as(cityAdmin))
	records := map[string]string{}
	for _, m := range []*pb.Member{mobileOne, reported} {
		resp, err := mobile.RegisterOutflow(callContext(t), &pb.RegisterOutflowRequest{Record: &pb.MobileRecord{
			MemberId: m.GetId(), Place: "广东省深圳市南山区", Since: "2026-01-02", Reason: "外出务工"}})
		if err != nil {
			t.Fatal(err)
		}
		records[m.GetId()] = resp.GetRecord().GetId()
	}
	report := func(memberID string) {
		t.Helper()
		self := pb.NewMobileServiceClient(h.as(devissuer.Claims{Subject: "m", Role: auth.Member, MemberID: memberID}))
		if _, err := self.LogContact(callContext(t), &pb.LogContactRequest{RecordId: records[memberID], Contact: &pb.ContactEntry{
			Direction: pb.ContactDirection_CONTACT_DIRECTION_MEMBER_REPORT, Channel: pb.ContactChannel_CONTACT_CHANNEL_MESSAGE,
			Summary: "在深圳工作稳定"}}); err != nil {
			t.Fatalf("report: %v", err)
		}
	}
	h.publishLife(t, lifeEvent(member.NewID(), tr.branch.GetId(), "2026-01-05", []string{attends.GetId()},
		&orgv1.Absentee{MemberId: absent.GetId()}, &orgv1.Absentee{MemberId: mobileOne.GetId(), ReasonKind: orgv1.AbsenceReason_ABSENCE_REASON_AWAY},
		&orgv1.Absentee{MemberId: gone.GetId()}, &orgv1.Absentee{MemberId: paidInMay.GetId()}, &orgv1.Absentee{MemberId: paysLate.GetId()}))
	treatAsLeft := func(m *pb.Member) error {
		_, err := h.members.EndMembership(callContext(t), &pb.EndMembershipRequest{Id: m.GetId(),
			Kind: pb.LeavingKind_LEAVING_KIND_TREATED_AS_LEFT, Date: "2026-07-06", Reason: "失联六个月，经支部审查按自行脱党处理"})
		return err
	}
	clock.Set(time.Date(2026, time.March, 1, 2, 0, 0, 0, time.UTC))
	h.publishLife(t, lifeEvent(member.NewID(), tr.community.GetId(), "2026-03-01", []string{attends.GetId()}))
	clock.Set(time.Date(2026, time.May, 1, 2, 0, 0, 0, time.UTC))
	report(reported.GetId())
	payFor(paidInMay, "2026-05", "2026-05-01") // paid within six months: in contact

	clock.Set(time.Date(2026, time.July, 6, 2, 0, 0, 0, time.UTC))
	second := domain.New(h.st, clock.Now, nil) // another replica
	done := make(chan error, 2)
	for _, svc := range []*domain.Services{h.svc, second} {
		go func() { done <- svc.Sweep(callContext(t)) }()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	flagged := func() []string {
		resp, err := pb.NewParticipationServiceClient(h.as(cityAdmin)).ListLostContactMembers(callContext(t),
			&pb.ListLostContactMembersRequest{OrganisationId: tr.city.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range resp.GetMembers() {
			out = append(out, m.GetName()+" "+m.GetLastAttendanceDate()+"/"+m.GetLastContactDate())
		}
		return out
	}
	want := sorted([]string{"李秀英 /", "张伟 /", "赵磊 /", "周强 /"})
	if diff := cmp.Diff(want, sorted(flagged())); diff != "" {
		t.Errorf("flagged (-want +got):\n%s", diff)
	}
	t.Run("the flag lets the 自行脱党 review conclude, and nothing ends a membership by itself", func(t *testing.T) {
		if got := servicetest.RefusalOf(treatAsLeft(attends)); got.Reason != "NOT_TREATED_AS_LEFT" {
			t.Errorf("treating a member in contact as having left: %v, want NOT_TREATED_AS_LEFT", got)
		}
		if n := h.count(t, `SELECT count(*) FROM members WHERE left_at IS NOT NULL`); n != 0 {
			t.Errorf("%d memberships ended by the sweep, want none", n)
		}
		if err := treatAsLeft(gone); err != nil {
			t.Errorf("treating the flagged member as having left: %v", err)
		}
	})
	clock.Set(time.Date(2026, time.July, 7, 2, 0, 0, 0, time.UTC))
	if err := h.svc.Sweep(callContext(t)); err != nil {
		t.Fatal(err)
	}
	if n := h.count(t, `SELECT count(*) FROM lost_contacts`); n != 4 {
		t.Errorf("%d flags after the next day's sweep, want the same 4", n)
	}
	_ = elsewhere

	h.publishLife(t, lifeEvent(member.NewID(), tr.branch.GetId(), "2026-07-07", []string{absent.GetId()}))
	report(mobileOne.GetId())
	payFor(paysLate, "2026-07", "2026-07-07")
	if diff := cmp.Diff([]string(nil), flagged()); diff != "" {
		t.Errorf("flagged after attending and reporting (-want +got):\n%s", diff)
	}
	evs := servicetest.EventsUntil(t, h.stream, "the flags and their clearing", func(es []servicetest.Event) bool {
		n := 0
		for _, e := range es {
			switch e.Payload.(type) {
			case *pb.MemberLostContact, *pb.MemberContactRegained:
				n++
			}
		}
		return n >= 7
	})
	got := map[string]string{}
	for _, e := range evs {
		switch p := e.Payload.(type) {
		case *pb.MemberLostContact:
			got[p.GetMember().GetMemberId()] += "flagged;"
		case *pb.MemberContactRegained:
			got[p.GetMemberId()] += "regained by " + p.GetBy() + ";"
		}
	}
	wantEvents := map[string]string{absent.GetId(): "flagged;regained by attendance;", mobileOne.GetId(): "flagged;regained by contact;",
		gone.GetId(): "flagged;", paysLate.GetId(): "flagged;regained by payment;"}
	if diff := cmp.Diff(wantEvents, got); diff != "" {
		t.Errorf("events per member (-want +got):\n%s", diff)
	}
}

var cmpProto = protocmp.Transform()

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
