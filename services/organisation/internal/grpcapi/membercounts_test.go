package grpcapi_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/events"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	orgevents "gongjian.dev/services/organisation/internal/events"
)

// TestMemberCountsFollowTheMemberServicesEvents: counts published by the
// member service reach the tree once each, an older count never rolls a
// newer one back, and the compliance rule reads them.
func TestMemberCountsFollowTheMemberServicesEvents(t *testing.T) {
	t.Parallel()
	// The consumer starts before the member service's stream exists and waits for it.
	h := startHarness(t)
	ctx := callContext(t)
	js, compliance := h.js, h.compliance
	if err := events.EnsureStream(ctx, js, memberStream); err != nil {
		t.Fatal(err)
	}

	tr := h.tree(t)
	c := h.create(t, community(tr.street, "Small Community", pb.CommunityForm_COMMUNITY_FORM_BRANCH))
	publish := func(id string, count int64, at time.Time) {
		t.Helper()
		data, _ := proto.Marshal(&memberv1.OrganisationMemberCountChanged{EventId: id, OccurTime: timestamppb.New(at),
			OrganisationId: c.GetId(), MemberCount: count})
		if _, err := js.Publish(ctx, orgevents.MemberCountSubject, data, jetstream.WithMsgID(id)); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	publish("00000000-0000-7000-8000-000000000001", 60, now)
	publish("00000000-0000-7000-8000-000000000002", 10, now.Add(-time.Minute)) // older: must not win
	publish("00000000-0000-7000-8000-000000000003", 61, now.Add(time.Second))
	publish("00000000-0000-7000-8000-000000000003", 61, now.Add(time.Second)) // the same event again

	deadline := time.Now().Add(eventually)
	for h.get(t, c.GetId()).GetMemberCount() != 61 {
		if time.Now().After(deadline) {
			t.Fatalf("member count %d, want 61", h.get(t, c.GetId()).GetMemberCount())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // let a wrongly applied older event show
	if got := h.get(t, c.GetId()).GetMemberCount(); got != 61 {
		t.Fatalf("member count %d after the older event, want 61", got)
	}
	recs := h.auditRecords(t, &auditv1.ListAuditRecordsRequest{SubjectId: c.GetId(), SubjectType: "member_count"})
	if len(recs) != 2 || recs[0].GetActorSubject() != "system:member-counts" {
		t.Fatalf("audit records of the counts: %v, want two (60 and 61) by the consumer", recs)
	}
	rep, err := compliance.GetComplianceReport(ctx, &pb.GetComplianceReportRequest{OrganisationId: c.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.GetResults() {
		if r.GetRule() == pb.ComplianceRule_COMPLIANCE_RULE_GENERAL_BRANCH_OVER_THRESHOLD && r.GetFindingCount() != 1 {
			t.Errorf("the community with 61 members and no general branch: %d findings", r.GetFindingCount())
		}
	}
}
