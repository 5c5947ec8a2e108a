package grpcapi_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

func TestEventsFollowEveryChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)

	in := child(tr.community, kindBranch, "Mobile Members' Branch of Guangzhou Road")
	in.BranchBasis = pb.BranchBasis_BRANCH_BASIS_MOBILE
	created := h.create(t, in)
	group := h.create(t, child(created, kindPartyGroup, "Party Group of Members Working in Lanzhou"))

	patch := cloneOrg(created)
	patch.Name = "Mobile Members' Branch of Chengguan"
	updated, err := h.org.UpdateOrganisation(ctx, &pb.UpdateOrganisationRequest{Organisation: patch, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	moved, err := h.org.MoveOrganisation(ctx, &pb.MoveOrganisationRequest{Id: created.GetId(), NewParentId: tr.otherStreet.GetId()})
	if err != nil {
		t.Fatalf("move: %v", err)
	}
	recorded := h.record(t, created.GetId(), meeting(membersMeeting, "2025-09-12", "Contact with members away from home"))
	if _, err := h.org.DissolveOrganisation(ctx, &pb.DissolveOrganisationRequest{Id: group.GetId(), Reason: "members came home"}); err != nil {
		t.Fatalf("dissolve the party group: %v", err)
	}
	dissolved, err := h.org.DissolveOrganisation(ctx, &pb.DissolveOrganisationRequest{Id: created.GetId(), Reason: "members came home"})
	if err != nil {
		t.Fatalf("dissolve: %v", err)
	}

	about := func(evs []event) []event {
		var out []event
		for _, e := range evs {
			if subjectOrganisation(e) == created.GetId() {
				out = append(out, e)
			}
		}
		return out
	}
	evs := about(h.eventsUntil(t, "five events about the branch", func(evs []event) bool { return len(about(evs)) >= 5 }))

	type header struct{ Subject, EventType string }
	var gotHeaders []header
	for _, e := range evs {
		gotHeaders = append(gotHeaders, header{e.Subject, e.EventType})
	}
	wantHeaders := []header{
		{"gongjian.organisation.v1.organisation_created", "gongjian.organisation.v1.OrganisationCreated"},
		{"gongjian.organisation.v1.organisation_updated", "gongjian.organisation.v1.OrganisationUpdated"},
		{"gongjian.organisation.v1.organisation_moved", "gongjian.organisation.v1.OrganisationMoved"},
		{"gongjian.organisation.v1.activity_recorded", "gongjian.organisation.v1.ActivityRecorded"},
		{"gongjian.organisation.v1.organisation_dissolved", "gongjian.organisation.v1.OrganisationDissolved"},
	}
	if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
		t.Fatalf("events about the branch, in stream order (-want +got):\n%s", diff)
	}

	seen := map[string]bool{}
	for _, e := range evs {
		if id := eventID(e); id == "" || e.MsgID != id || seen[id] {
			t.Errorf("%s: Nats-Msg-Id %q, event_id %q; want them equal, set and unique", e.Subject, e.MsgID, id)
		}
		seen[eventID(e)] = true
	}

	// Each payload carries the organisation as the call that caused it left it.
	ancestors := append(append([]string(nil), moved.GetOrganisation().GetAncestorIds()...), created.GetId())
	want := []proto.Message{
		&pb.OrganisationCreated{Organisation: created},
		&pb.OrganisationUpdated{Organisation: updated.GetOrganisation(), Changed: &fieldmaskpb.FieldMask{Paths: []string{"name"}}},
		&pb.OrganisationMoved{Organisation: moved.GetOrganisation(), OldParentId: tr.community.GetId(), OldDistrictId: tr.district.GetId(), SubtreeSize: 1},
		&pb.ActivityRecorded{Activity: recorded, OrganisationAncestorIds: ancestors},
		&pb.OrganisationDissolved{Organisation: dissolved.GetOrganisation()},
	}
	var ignore cmp.Options
	for _, m := range want {
		ignore = append(ignore, protocmp.IgnoreFields(m, "event_id", "occur_time"))
	}
	type occurred interface{ GetOccurTime() *timestamppb.Timestamp }
	for i, e := range evs {
		if diff := cmp.Diff(want[i], e.Payload, protocmp.Transform(), ignore); diff != "" {
			t.Errorf("payload on %s (-want +got):\n%s", e.Subject, diff)
		}
		if p, ok := e.Payload.(occurred); !ok || p.GetOccurTime() == nil {
			t.Errorf("payload on %s has no occur_time", e.Subject)
		}
	}
}
