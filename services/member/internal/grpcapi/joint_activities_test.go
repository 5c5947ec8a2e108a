package grpcapi_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/servicetest"
	cobuildingv1 "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	memberevents "gongjian.dev/services/member/internal/events"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/reporting"
	"gongjian.dev/services/member/internal/wiring"
)

// cobuildingStream is the co-building service's stream, on which the tests
// publish as that service would.
var cobuildingStream = events.StreamSpec{Name: "COBUILDING", Subjects: []string{"gongjian.cobuilding.v1.>"}}

// activityEvent is the event of a joint activity, as the co-building
// service publishes it.
func activityEvent(id, date string, communityID string, hours float64, memberIDs ...string) *cobuildingv1.JointActivityRecorded {
	return &cobuildingv1.JointActivityRecorded{EventId: member.NewID(), OccurTime: timestamppb.Now(),
		JointActivity: &cobuildingv1.JointActivity{Id: id, Title: "共驻共建：清洁家园志愿服务", Date: date,
			Area: cobuildingv1.Area_AREA_ENVIRONMENT, CommunityIds: []string{communityID}, Attendance: 120,
			MemberAttendance: int32(len(memberIDs)), MemberIds: memberIDs, Hours: hours}}
}

// publishActivity publishes ev under eventID and waits until the member
// service has applied it.
func (h *harness) publishActivity(t *testing.T, ev *cobuildingv1.JointActivityRecorded, eventID string) {
	t.Helper()
	h.publish(t, memberevents.JointActivitySubject, ev, eventID)
	waitFor(t, "the activity event applied", func() bool {
		return h.count(t, `SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2`, wiring.JointActivityConsumer, eventID) == 1
	})
}

func (h *harness) card(t *testing.T, memberID string, year int32) *pb.ContactCard {
	t.Helper()
	resp, err := h.reporting().GetContactCard(callContext(t), &pb.GetContactCardRequest{MemberId: memberID, Year: year})
	if err != nil {
		t.Fatalf("card of %s: %v", memberID, err)
	}
	return resp.GetCard()
}

func TestAJointActivityCountsOnceOnTheCardOfEachRegisteredMemberWhoTookPart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, servicetest.WithStreams(cobuildingStream))
	tr := h.tree(t)
	reg := h.register(t, inService(tr.branch.GetId(), "王建国"))
	h.registerWith(t, tr.community.GetId(), reg.GetId(), residence, since(1, 1))
	// Registered with another community only, which did not organise the
	// activity: the activity counts under that registration.
	elsewhere := h.register(t, inService(tr.branch.GetId(), "李秀英"))
	other := h.registerWith(t, tr.otherCommunity.GetId(), elsewhere.GetId(), residence, since(1, 1))
	unregistered := h.register(t, inService(tr.branch.GetId(), "张伟"))
	late := h.register(t, inService(tr.branch.GetId(), "刘洋"))
	h.registerWith(t, tr.community.GetId(), late.GetId(), residence, since(6, 1)) // after the activity
	unknown := member.NewID()

	activityID := member.NewID()
	ev := activityEvent(activityID, since(3, 15), tr.community.GetId(), 2.5,
		reg.GetId(), elsewhere.GetId(), unregistered.GetId(), late.GetId(), unknown, "not-a-member-id")
	h.publishActivity(t, ev, ev.GetEventId())

	t.Run("a registered member's card counts the activity, naming it as the source", func(t *testing.T) {
		c := h.card(t, reg.GetId(), lastYear)
		if len(c.GetEntries()) != 1 {
			t.Fatalf("card entries %v, want the activity's", c.GetEntries())
		}
		e := c.GetEntries()[0]
		want := &pb.CardEntry{Id: e.GetId(), MemberId: reg.GetId(), CommunityId: tr.community.GetId(), Kind: activity,
			Date: since(3, 15), Title: "共驻共建：清洁家园志愿服务", Hours: 2.5, SourceActivityId: activityID,
			RecordedBy: reporting.ActivityRecorder, CreateTime: e.GetCreateTime()}
		if diff := cmp.Diff(want.String(), e.String()); diff != "" {
			t.Errorf("entry (-want +got):\n%s", diff)
		}
		if c.GetTotals().GetActivities() != 1 || c.GetQuarters()[0].GetTotals().GetActivities() != 1 {
			t.Errorf("totals %v, first quarter %v: want one activity", c.GetTotals(), c.GetQuarters()[0].GetTotals())
		}
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'card_entry' AND subject_id = $1
			AND actor_subject = $2 AND actor_role = 'system-job'`, e.GetId(), "system:"+reporting.ActivityRecorder); n != 1 {
			t.Errorf("%d audit records of the entry by the consumer, want 1", n)
		}
	})
	t.Run("a member registered with another community has it counted there", func(t *testing.T) {
		c := h.card(t, elsewhere.GetId(), lastYear)
		if len(c.GetEntries()) != 1 || c.GetEntries()[0].GetCommunityId() != other.GetCommunityId() {
			t.Errorf("entries %v, want one under the registration with %s", c.GetEntries(), other.GetCommunityId())
		}
	})
	t.Run("the members who cannot have it counted are recorded as skipped, with the reason", func(t *testing.T) {
		got := map[string]string{}
		as, err := h.svc.Reporting.Attendances(callContext(t), activityID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			got[a.MemberID] = a.Skipped
			if (a.Skipped == "") != (a.EntryID != "") {
				t.Errorf("attendance %+v: an entry exactly when counted", a)
			}
		}
		want := map[string]string{reg.GetId(): "", elsewhere.GetId(): "", unregistered.GetId(): reporting.SkipNotRegistered,
			late.GetId(): reporting.SkipNotRegistered, unknown: reporting.SkipUnknownMember, "not-a-member-id": reporting.SkipUnknownMember}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("attendances (-want +got):\n%s", diff)
		}
		if c := h.card(t, late.GetId(), lastYear); len(c.GetEntries()) != 0 {
			t.Errorf("entries %v of a member who registered after the activity", c.GetEntries())
		}
	})
	t.Run("the activity replayed under another event id adds nothing, and counts a member added since", func(t *testing.T) {
		h.publishActivity(t, ev, member.NewID())
		later := activityEvent(activityID, since(3, 15), tr.community.GetId(), 2.5, reg.GetId(), unregistered.GetId())
		h.registerWith(t, tr.community.GetId(), unregistered.GetId(), residence, since(2, 1))
		h.publishActivity(t, later, later.GetEventId())
		if n := len(h.card(t, reg.GetId(), lastYear).GetEntries()); n != 1 {
			t.Errorf("%d entries after the replay, want 1", n)
		}
		// unregistered was recorded as skipped: what was recorded stays.
		if n := len(h.card(t, unregistered.GetId(), lastYear).GetEntries()); n != 0 {
			t.Errorf("%d entries of a member recorded as skipped, want 0", n)
		}
		added := activityEvent(activityID, since(3, 15), tr.community.GetId(), 2.5, reg.GetId(), late.GetId(), member.NewID())
		h.publishActivity(t, added, added.GetEventId())
		as, err := h.svc.Reporting.Attendances(callContext(t), activityID)
		if err != nil || len(as) != 7 {
			t.Errorf("%d attendances, %v: want the six and the new unknown member", len(as), err)
		}
		if n := h.count(t, `SELECT count(*) FROM card_entries WHERE source_activity_id = $1`, activityID); n != 2 {
			t.Errorf("%d entries from the activity, want 2", n)
		}
	})
	t.Run("an event that cannot be read is passed over, and the next is applied", func(t *testing.T) {
		bad := activityEvent("not-an-activity-id", since(4, 1), tr.community.GetId(), 1, reg.GetId())
		h.publishActivity(t, bad, bad.GetEventId())
		next := activityEvent(member.NewID(), since(4, 2), tr.community.GetId(), 1, reg.GetId())
		h.publishActivity(t, next, next.GetEventId())
		if n := len(h.card(t, reg.GetId(), lastYear).GetEntries()); n != 2 {
			t.Errorf("%d entries, want the two good activities", n)
		}
	})
}

// TestAJointActivityOfThousandsOfMembersIsCountedInOneDelivery: the most an
// activity names (5,000 members) is counted within the consumer's
// acknowledgement wait, so it is never redelivered for being slow.
func TestAJointActivityOfThousandsOfMembersIsCountedInOneDelivery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, servicetest.WithStreams(cobuildingStream))
	tr := h.tree(t)
	reg := h.register(t, inService(tr.branch.GetId(), "赵敏"))
	h.registerWith(t, tr.community.GetId(), reg.GetId(), residence, since(1, 1))
	ids := []string{reg.GetId()}
	for len(ids) < 5000 {
		ids = append(ids, member.NewID())
	}
	ev := activityEvent(member.NewID(), since(5, 20), tr.community.GetId(), 3, ids...)
	start := time.Now()
	h.publishActivity(t, ev, ev.GetEventId())
	t.Logf("5,000 members counted in %s", time.Since(start).Round(time.Millisecond))
	if n := h.count(t, `SELECT count(*) FROM activity_attendances WHERE activity_id = $1`, ev.GetJointActivity().GetId()); n != 5000 {
		t.Errorf("%d attendances, want 5000", n)
	}
	info, err := h.js.Consumer(callContext(t), "COBUILDING", wiring.JointActivityConsumer)
	if err != nil {
		t.Fatal(err)
	}
	if ci, err := info.Info(callContext(t)); err != nil || ci.NumRedelivered != 0 {
		t.Errorf("consumer %+v, %v: want no redelivery", ci, err)
	}
}

// TestConcurrentCountsOfOneActivityCountEachMemberOnce: the same activity
// counted by several transactions at once (an event and its replays under
// other ids, on several replicas) adds each member's entry once, and none
// of them fails.
func TestConcurrentCountsOfOneActivityCountEachMemberOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	var ids []string
	for i := range 5 {
		m := h.register(t, inService(tr.branch.GetId(), fmt.Sprintf("孙%s", []string{"磊", "静", "勇", "芳", "军"}[i])))
		h.registerWith(t, tr.community.GetId(), m.GetId(), residence, since(1, 1))
		ids = append(ids, m.GetId())
	}
	day, _ := time.Parse(time.DateOnly, since(7, 1))
	a := reporting.JointActivity{ID: member.NewID(), Title: "共建联谊活动", Date: day, Hours: 2,
		CommunityIDs: []string{tr.community.GetId()}, MemberIDs: append(ids, member.NewID())}
	ctx := audit.AsSystem(callContext(t), reporting.ActivityRecorder)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.svc.Reporting.CountJointActivity(ctx, a)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a concurrent count failed: %v", err)
		}
	}
	if n := h.count(t, `SELECT count(*) FROM card_entries WHERE source_activity_id = $1`, a.ID); n != 5 {
		t.Errorf("%d entries, want one per registered member (5)", n)
	}
	if n := h.count(t, `SELECT count(*) FROM activity_attendances WHERE activity_id = $1`, a.ID); n != 6 {
		t.Errorf("%d attendances, want 6", n)
	}
}
