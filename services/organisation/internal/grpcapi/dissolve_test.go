package grpcapi_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

func TestDissolveOrganisation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	group := h.create(t, child(tr.branch, kindPartyGroup, "Party Group of Block 5"))
	second := h.create(t, child(tr.community, kindBranch, "Second Branch of Guangzhou Road Community"))
	dissolve := func(o *pb.Organisation, reason string) (*pb.Organisation, error) {
		resp, err := h.org.DissolveOrganisation(callContext(t), &pb.DissolveOrganisationRequest{Id: o.GetId(), Reason: reason})
		return resp.GetOrganisation(), err
	}
	// refused checks a refusal by its code, its fields and the start of its message.
	refused := func(t *testing.T, err error, want refusal, message string) {
		t.Helper()
		if diff := cmp.Diff(want, refusalOf(err)); diff != "" {
			t.Errorf("refusal (-want +got):\n%s", diff)
		}
		if got := status.Convert(err).Message(); !strings.HasPrefix(got, message) {
			t.Errorf("message %q, want it to start with %q", got, message)
		}
	}

	t.Run("a community with live children is not dissolved", func(t *testing.T) {
		_, err := dissolve(tr.community, "merged into Nanjing Road Community")
		refused(t, err, refusal{Code: codes.FailedPrecondition}, "organisation still has live child organisations: 2 child")
	})
	t.Run("a branch with members is not dissolved", func(t *testing.T) {
		h.recordMembers(t, second.GetId(), 9)
		_, err := dissolve(second, "members transferred to the first branch")
		refused(t, err, refusal{Code: codes.FailedPrecondition}, "organisation still has members: 9 members")
	})
	t.Run("a dissolution without a reason is refused", func(t *testing.T) {
		_, err := dissolve(second, "")
		refused(t, err, refusal{Code: codes.InvalidArgument, Fields: []string{"reason"}}, "invalid request")
	})
	t.Run("an empty branch is dissolved", func(t *testing.T) {
		h.recordMembers(t, second.GetId(), 0)
		got, err := dissolve(second, "members transferred to the first branch")
		if err != nil {
			t.Fatal(err)
		}
		want := placementOf(second)
		if diff := cmp.Diff(want, placementOf(got)); diff != "" {
			t.Errorf("dissolved branch moved (-want +got):\n%s", diff)
		}
		if got.GetState() != pb.OrganisationState_ORGANISATION_STATE_DISSOLVED || got.GetDissolveReason() != "members transferred to the first branch" ||
			got.GetDissolveTime() == nil || got.GetEtag() != "2" {
			t.Errorf("dissolved branch: state %s, reason %q, dissolve_time %v, etag %q; want DISSOLVED, the reason, a time and etag 2",
				got.GetState(), got.GetDissolveReason(), got.GetDissolveTime(), got.GetEtag())
		}
	})

	lists := []struct {
		name string
		req  *pb.ListOrganisationsRequest
		want []string
	}{
		{"the dissolved branch is hidden from its parent's children",
			&pb.ListOrganisationsRequest{ParentId: tr.community.GetId()}, []string{tr.branch.GetId()}},
		{"the dissolved branch is listed when asked for",
			&pb.ListOrganisationsRequest{ParentId: tr.community.GetId(), IncludeDissolved: true}, []string{tr.branch.GetId(), second.GetId()}},
		{"the dissolved branch is hidden from the subtree",
			&pb.ListOrganisationsRequest{AncestorId: tr.street.GetId(), Kind: kindBranch}, []string{tr.branch.GetId()}},
	}
	for _, tt := range lists {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := h.org.ListOrganisations(callContext(t), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, idsOf(resp.GetOrganisations())); diff != "" {
				t.Errorf("listing (-want +got):\n%s", diff)
			}
		})
	}

	dissolvedBranch := h.get(t, second.GetId())
	renamed := cloneOrg(dissolvedBranch)
	renamed.Name = "Revived Branch"
	changes := []struct {
		name    string
		call    func() error
		want    refusal
		message string
	}{
		{"it cannot be renamed", func() error {
			_, err := h.org.UpdateOrganisation(callContext(t), &pb.UpdateOrganisationRequest{Organisation: renamed, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}})
			return err
		}, refusal{Code: codes.FailedPrecondition}, "organisation is dissolved"},
		{"it cannot be moved", func() error {
			_, err := h.org.MoveOrganisation(callContext(t), &pb.MoveOrganisationRequest{Id: second.GetId(), NewParentId: tr.otherStreet.GetId()})
			return err
		}, refusal{Code: codes.FailedPrecondition}, "organisation is dissolved"},
		{"it cannot be dissolved again", func() error {
			_, err := dissolve(second, "again")
			return err
		}, refusal{Code: codes.FailedPrecondition}, "organisation is dissolved"},
		{"nothing can be created under it", func() error {
			_, err := h.org.CreateOrganisation(callContext(t), &pb.CreateOrganisationRequest{Organisation: child(second, kindPartyGroup, "Late Party Group")})
			return err
		}, refusal{Code: codes.FailedPrecondition, Fields: []string{"organisation.parent_id"}}, "parent organisation is dissolved"},
		{"nothing can be moved under it", func() error {
			_, err := h.org.MoveOrganisation(callContext(t), &pb.MoveOrganisationRequest{Id: group.GetId(), NewParentId: second.GetId()})
			return err
		}, refusal{Code: codes.FailedPrecondition, Fields: []string{"new_parent_id"}}, "parent organisation is dissolved"},
	}
	for _, tt := range changes {
		t.Run("once dissolved, "+tt.name, func(t *testing.T) {
			refused(t, tt.call(), tt.want, tt.message)
		})
	}
	t.Run("the refused changes left the dissolved branch as it was", func(t *testing.T) {
		if diff := cmp.Diff(placementOf(dissolvedBranch), placementOf(h.get(t, second.GetId()))); diff != "" {
			t.Errorf("dissolved branch (-want +got):\n%s", diff)
		}
	})

	t.Run("a community whose children are all dissolved is dissolved", func(t *testing.T) {
		for _, o := range []*pb.Organisation{group, tr.branch, tr.community} {
			if _, err := dissolve(o, "merged into Nanjing Road Community"); err != nil {
				t.Fatalf("dissolve %s: %v", o.GetName(), err)
			}
		}
		resp, err := h.org.ListOrganisations(callContext(t), &pb.ListOrganisationsRequest{AncestorId: tr.street.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if got := idsOf(resp.GetOrganisations()); len(got) != 0 {
			t.Errorf("live organisations under the street: %v, want none", got)
		}
	})
}
