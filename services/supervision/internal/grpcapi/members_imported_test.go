package grpcapi_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/servicetest"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// TestABulkImportsArrivalsAreKeptAsRegistrations: the member service's
// bulk import publishes one MembersImported per organisation and batch;
// each member it names is kept as a registration would keep them, once
// however often the event is delivered.
func TestABulkImportsArrivalsAreKeptAsRegistrations(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	org := uuid.NewString()
	ev := &memberv1.MembersImported{EventId: uuid.NewString(), OccurTime: timestamppb.New(time.Now()), JobId: uuid.NewString(),
		OrganisationId: org}
	for range 3 {
		ev.Members = append(ev.Members, &memberv1.Member{Id: uuid.NewString(), OrganisationId: org})
	}
	h.publish(t, "gongjian.member.v1.members_imported", ev, ev.GetEventId())
	h.publish(t, "gongjian.member.v1.members_imported", ev, uuid.NewString()) // delivered again
	servicetest.WaitFor(t, "the arrivals kept", func() bool {
		return h.count(t, `SELECT count(*) FROM member_facts WHERE organisation_id = $1 AND stars = 0`, org) == 3 &&
			h.count(t, `SELECT count(*) FROM inbox WHERE consumer = 'supervision-member'`) == 2
	})
	if n := h.count(t, `SELECT count(*) FROM member_facts`); n != 3 {
		t.Errorf("%d members kept, want the 3 imported", n)
	}
}
