package grpcapi_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/servicetest"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	orgevents "gongjian.dev/services/organisation/internal/events"
	"gongjian.dev/services/organisation/internal/org"
)

// publishMember publishes a member event as the member service does; at
// orders it against the others of the member.
func (h *harness) publishMember(t *testing.T, subject string, msg proto.Message) {
	t.Helper()
	data, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	id := msg.ProtoReflect().Descriptor().Fields().ByName("event_id")
	eventID := msg.ProtoReflect().Get(id).String()
	if _, err := h.js.Publish(callContext(t), subject, data, jetstream.WithMsgID(eventID)); err != nil {
		t.Fatalf("publish %s: %v", subject, err)
	}
}

// registerMember has the member service announce a member of orgID, and
// waits until the view holds them.
func (h *harness) registerMember(t *testing.T, orgID string) string {
	t.Helper()
	id := org.NewID()
	h.publishMember(t, orgevents.MemberRegisteredSubject, &memberv1.MemberRegistered{EventId: org.NewID(),
		OccurTime: timestamppb.Now(), Member: &memberv1.Member{Id: id, OrganisationId: orgID}})
	h.waitMemberIn(t, id, orgID)
	return id
}

func (h *harness) waitMemberIn(t *testing.T, memberID, orgID string) {
	t.Helper()
	servicetest.WaitFor(t, "member "+memberID+" in "+orgID, func() bool {
		var got string
		_ = h.pool.QueryRow(callContext(t), `SELECT organisation_id::text FROM member_view WHERE member_id = $1`, memberID).Scan(&got)
		return got == orgID
	})
}

// TestAttendanceByMemberIsCheckedAgainstTheViewOfMembers: ids of present
// and absent members are taken when the member service's events put them
// in the organisation or below it, and refused naming the field when they
// are foreign, gone or not (yet) known; the activity and its event carry
// them, absentees with the reason they gave.
func TestAttendanceByMemberIsCheckedAgainstTheViewOfMembers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	b := tr.branch.GetId()
	other := h.create(t, child(tr.community, kindBranch, "Second Branch of Guangzhou Road Community"))
	group := h.create(t, child(tr.branch, kindPartyGroup, "First Party Group"))
	present1, present2, absent := h.registerMember(t, b), h.registerMember(t, b), h.registerMember(t, b)
	foreign := h.registerMember(t, other.GetId())
	gone := h.registerMember(t, b)
	h.publishMember(t, orgevents.MemberLeftSubject, &memberv1.MemberLeft{EventId: org.NewID(), OccurTime: timestamppb.Now(),
		Member: &memberv1.Member{Id: gone, OrganisationId: b}, Date: "2025-03-01"})
	servicetest.WaitFor(t, "the member who left", func() bool {
		var left *time.Time
		_ = h.pool.QueryRow(callContext(t), `SELECT left_on FROM member_view WHERE member_id = $1`, gone).Scan(&left)
		return left != nil
	})

	act := func(attendees []string, absentees ...*pb.Absentee) *pb.Activity {
		return &pb.Activity{Kind: membersMeeting, Date: "2025-04-10", Topic: "Studying the new regulations",
			Expected: 10, Attended: 5, AttendeeMemberIds: attendees, Absentees: absentees}
	}
	illness := &pb.Absentee{MemberId: absent, Reason: "in hospital", ReasonKind: pb.AbsenceReason_ABSENCE_REASON_ILLNESS}

	t.Run("members of the branch, present and absent with the reason they gave, are kept and announced", func(t *testing.T) {
		got := h.record(t, b, act([]string{present1, present2}, illness, &pb.Absentee{Name: "Wang Fang"}))
		if diff := cmp.Diff([]string{present1, present2}, got.GetAttendeeMemberIds()); diff != "" {
			t.Errorf("attendees (-want +got):\n%s", diff)
		}
		list, err := h.org.ListActivities(callContext(t), &pb.ListActivitiesRequest{OrganisationId: b})
		if err != nil {
			t.Fatal(err)
		}
		var read *pb.Activity
		for _, a := range list.GetActivities() {
			if a.GetId() == got.GetId() {
				read = a
			}
		}
		if !proto.Equal(read, got) {
			t.Errorf("read back %v, recorded %v", read, got)
		}
		evs := h.eventsUntil(t, "the activity's event", func(es []event) bool {
			for _, e := range es {
				if p, ok := e.Payload.(*pb.ActivityRecorded); ok && p.GetActivity().GetId() == got.GetId() {
					return true
				}
			}
			return false
		})
		for _, e := range evs {
			p, ok := e.Payload.(*pb.ActivityRecorded)
			if !ok || p.GetActivity().GetId() != got.GetId() {
				continue
			}
			a := p.GetActivity()
			if diff := cmp.Diff([]string{present1, present2}, a.GetAttendeeMemberIds()); diff != "" {
				t.Errorf("event's attendees (-want +got):\n%s", diff)
			}
			ab := a.GetAbsentees()
			if len(ab) != 2 || ab[0].GetMemberId() != absent || ab[0].GetReasonKind() != pb.AbsenceReason_ABSENCE_REASON_ILLNESS ||
				ab[0].GetReason() != "in hospital" || ab[1].GetMemberId() != "" || ab[1].GetReasonKind() != pb.AbsenceReason_ABSENCE_REASON_UNSPECIFIED {
				t.Errorf("event's absentees %v: the reasons as given, none invented", ab)
			}
		}
	})

	t.Run("a community's activity spans its branches; a party group's is its branch's", func(t *testing.T) {
		h.record(t, tr.community.GetId(), act([]string{present1, foreign}))
		h.record(t, group.GetId(), act([]string{present1}))
	})

	t.Run("a record with names only keeps working", func(t *testing.T) {
		h.record(t, b, act(nil, &pb.Absentee{Name: "Li Lei", Reason: "away on business"}))
	})

	tests := []struct {
		name string
		act  *pb.Activity
		want refusal
	}{
		{"a member of another branch", act([]string{present1, foreign}),
			refusal{Code: codes.InvalidArgument, Fields: []string{"activity.attendee_member_ids[1]"}}},
		{"a member who left before the day", act(nil, &pb.Absentee{MemberId: gone}),
			refusal{Code: codes.InvalidArgument, Fields: []string{"activity.absentees[0].member_id"}}},
		{"an id no member has (yet)", act([]string{present1, "0190f4a0-0000-7000-8000-00000000abcd"}),
			refusal{Code: codes.FailedPrecondition, Reason: "MEMBER_NOT_YET_KNOWN", Fields: []string{"activity.attendee_member_ids[1]"}}},
		{"a member both present and absent", act([]string{present1}, &pb.Absentee{MemberId: present1}),
			refusal{Code: codes.InvalidArgument, Fields: []string{"activity.absentees[0].member_id"}}},
		{"more named present than attended", &pb.Activity{Kind: membersMeeting, Date: "2025-04-10", Topic: "x",
			Expected: 3, Attended: 1, AttendeeMemberIds: []string{present1, present2}},
			refusal{Code: codes.InvalidArgument, Fields: []string{"activity.attendee_member_ids"}}},
		{"an absentee neither named nor identified", act(nil, &pb.Absentee{Reason: "ill"}),
			refusal{Code: codes.InvalidArgument, Fields: []string{"activity.absentees[0].name"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.count(t, "activities")
			_, err := h.org.RecordActivity(callContext(t), &pb.RecordActivityRequest{OrganisationId: b, Activity: tt.act})
			if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
				t.Errorf("refusal (-want +got):\n%s", diff)
			}
			if after := h.count(t, "activities"); after != before {
				t.Errorf("%d activities after a refusal, %d before", after, before)
			}
		})
	}

	t.Run("a member transferred away is foreign to the old branch, even when the transfer carries earlier dates", func(t *testing.T) {
		moved := h.registerMember(t, b)
		// A transfer recorded from paper: published after the registration,
		// dated before it. The stream's order decides.
		h.publishMember(t, orgevents.MemberUpdatedSubject, &memberv1.MemberUpdated{EventId: org.NewID(),
			OccurTime: timestamppb.New(time.Now().Add(-time.Hour)), Member: &memberv1.Member{Id: moved, OrganisationId: other.GetId()}})
		h.waitMemberIn(t, moved, other.GetId())
		_, err := h.org.RecordActivity(callContext(t), &pb.RecordActivityRequest{OrganisationId: b, Activity: act([]string{moved})})
		if got := refusalOf(err); got.Code != codes.InvalidArgument {
			t.Errorf("the transferred member at the old branch: %v, want InvalidArgument", got)
		}
		h.record(t, other.GetId(), act([]string{moved}))
	})

	t.Run("a transfer completed or recorded from paper, and a bulk import's arrivals, move members in the view", func(t *testing.T) {
		moved := h.registerMember(t, b)
		h.publishMember(t, orgevents.TransferCompletedSubject, &memberv1.TransferCompleted{EventId: org.NewID(),
			OccurTime: timestamppb.Now(), Transfer: &memberv1.Transfer{Id: org.NewID(), MemberId: moved, FromOrganisationId: b,
				ToOrganisationId: other.GetId(), State: memberv1.TransferState_TRANSFER_STATE_COMPLETED}})
		h.waitMemberIn(t, moved, other.GetId())
		_, err := h.org.RecordActivity(callContext(t), &pb.RecordActivityRequest{OrganisationId: b, Activity: act([]string{moved})})
		if got := refusalOf(err); got.Code != codes.InvalidArgument {
			t.Errorf("a member transferred away, at the old branch: %v, want InvalidArgument", got)
		}
		h.publishMember(t, orgevents.TransferRecordedSubject, &memberv1.TransferRecorded{EventId: org.NewID(),
			OccurTime: timestamppb.Now(), Transfer: &memberv1.Transfer{Id: org.NewID(), MemberId: moved, FromOrganisationId: other.GetId(),
				ToOrganisationId: b, State: memberv1.TransferState_TRANSFER_STATE_COMPLETED}})
		h.waitMemberIn(t, moved, b)
		imported := org.NewID()
		h.publishMember(t, orgevents.MembersImportedSubject, &memberv1.MembersImported{EventId: org.NewID(),
			OccurTime: timestamppb.Now(), OrganisationId: b, Members: []*memberv1.Member{{Id: imported, OrganisationId: b}}})
		h.waitMemberIn(t, imported, b)
		h.record(t, b, act([]string{moved, imported}))
	})
}
