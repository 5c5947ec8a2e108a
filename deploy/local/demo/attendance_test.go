package demo_test

import (
	"testing"
	"time"

	"gongjian.dev/deploy/local/demo"
	"gongjian.dev/pkg/servicetest"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// TestAttendanceLoadsOnceAndTheNeverComingLoseContact loads the city, its
// members and the branches' attendance by member twice: the second load
// records nothing new, each member named has the year in their
// participation, and the members who never came are flagged lost contact.
func TestAttendanceLoadsOnceAndTheNeverComingLoseContact(t *testing.T) {
	ctx := t.Context()
	conn, members := startSystem(t)
	sum, err := demo.Load(ctx, conn, time.Now(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadMembers(ctx, members, sum, testLogger(t)); err != nil {
		t.Fatal(err)
	}
	first, err := demo.LoadAttendance(ctx, conn, members, sum, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("attendance: %s", first)
	again, err := demo.LoadAttendance(ctx, conn, members, sum, testLogger(t))
	if err != nil {
		t.Fatalf("loading again: %v", err)
	}
	if again != first {
		t.Errorf("the second load found %+v, the first made %+v", again, first)
	}
	if first.Branches == 0 || first.Activities != 12*first.Branches || first.NeverCame == 0 {
		t.Fatalf("the demo is missing a part: %+v", first)
	}
	pc := memberv1.NewParticipationServiceClient(members)
	var lost []*memberv1.LostContactMember
	// The activities are recorded oldest first, and an absentee is judged
	// at once: a regular member absent at an early one, whose only
	// attendance so far is older than the window, is flagged until the
	// event of a later activity they came to clears it. Wait for the
	// events to settle: the never-comers flagged, no one flagged who came.
	servicetest.WaitFor(t, "the members who never came flagged, and only they", func() bool {
		resp, err := pc.ListLostContactMembers(ctx, &memberv1.ListLostContactMembersRequest{OrganisationId: sum.CityID, PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		lost = resp.GetMembers()
		for _, m := range lost {
			if m.GetLastAttendanceDate() != "" {
				return false
			}
		}
		return len(lost) >= first.NeverCame
	})
	// Participation is built from the activities' events, apart from the
	// flags: give it the time the flags had.
	named := 0
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		named = 0
		for _, m := range lost {
			if m.GetLastAttendanceDate() != "" {
				t.Fatalf("%s flagged though they attended on %s", m.GetName(), m.GetLastAttendanceDate())
			}
			resp, err := pc.ListParticipation(ctx, &memberv1.ListParticipationRequest{MemberId: m.GetMemberId(), PageSize: 50})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetParticipation()) == 12 {
				named++
			}
		}
		if named == first.NeverCame || time.Now().After(deadline) {
			break
		}
	}
	if named != first.NeverCame {
		t.Errorf("%d of the flagged were named absent at all 12 activities, want %d", named, first.NeverCame)
	}
}
