package grpcapi_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// placement is where an organisation sits in the tree.
type placement struct {
	Name      string
	Parent    string
	Ancestors []string
	District  string
	Depth     int32
}

func placementOf(o *pb.Organisation) placement {
	return placement{Name: o.GetName(), Parent: o.GetParentId(), Ancestors: o.GetAncestorIds(), District: o.GetDistrictId(), Depth: o.GetDepth()}
}

func TestMoveOrganisationCarriesItsSubtree(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	group := h.create(t, child(tr.branch, kindPartyGroup, "Party Group of Block 5"))
	second := h.create(t, child(tr.community, kindBranch, "Second Branch of Guangzhou Road Community"))

	resp, err := h.org.MoveOrganisation(callContext(t), &pb.MoveOrganisationRequest{
		Id: tr.community.GetId(), NewParentId: tr.otherStreet.GetId(), Etag: tr.community.GetEtag()})
	if err != nil {
		t.Fatalf("move the community to a street of another district: %v", err)
	}
	if got := resp.GetOrganisation().GetEtag(); got != "2" {
		t.Errorf("etag after the move = %q, want \"2\"", got)
	}

	newStreet := []string{tr.city.GetId(), tr.otherDistrict.GetId(), tr.otherStreet.GetId()}
	under := func(ids ...string) []string { return append(append([]string(nil), newStreet...), ids...) }
	d := tr.otherDistrict.GetId()
	want := []placement{
		{tr.community.GetName(), tr.otherStreet.GetId(), under(), d, 3},
		{tr.branch.GetName(), tr.community.GetId(), under(tr.community.GetId()), d, 4},
		{group.GetName(), tr.branch.GetId(), under(tr.community.GetId(), tr.branch.GetId()), d, 5},
		{second.GetName(), tr.community.GetId(), under(tr.community.GetId()), d, 4},
	}
	t.Run("every descendant reads back in its new place", func(t *testing.T) {
		var got []placement
		for _, o := range []*pb.Organisation{tr.community, tr.branch, group, second} {
			got = append(got, placementOf(h.get(t, o.GetId())))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("placements after the move (-want +got):\n%s", diff)
		}
	})

	lists := []struct {
		name string
		req  *pb.ListOrganisationsRequest
		want []placement
	}{
		{"the new street's subtree holds them in tree order", &pb.ListOrganisationsRequest{AncestorId: tr.otherStreet.GetId()}, want},
		{"the old street's subtree is empty", &pb.ListOrganisationsRequest{AncestorId: tr.street.GetId()}, nil},
		{"the new district lists them", &pb.ListOrganisationsRequest{DistrictId: d}, append([]placement{placementOf(tr.otherStreet)}, want...)},
		{"the old district keeps only its street", &pb.ListOrganisationsRequest{DistrictId: tr.district.GetId()}, []placement{placementOf(tr.street)}},
	}
	for _, tt := range lists {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, err := h.org.ListOrganisations(callContext(t), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var got []placement
			for _, o := range resp.GetOrganisations() {
				got = append(got, placementOf(o))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("listing (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMoveOrganisationRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	group := h.create(t, child(tr.branch, kindPartyGroup, "Party Group of Block 5"))
	grid := h.create(t, child(tr.community, kindGrid, "Grid 1 of Guangzhou Road"))
	const (
		cycle      = "an organisation cannot be moved under itself or its own descendant"
		notAllowed = "this kind of organisation cannot sit under that parent"
	)
	tests := []struct {
		name        string
		id, newPrnt string
		want        refusal
		message     string
	}{
		{"a community under its own branch", tr.community.GetId(), tr.branch.GetId(),
			refusal{Code: codes.FailedPrecondition, Fields: []string{"new_parent_id"}}, cycle},
		{"a branch under its own party group", tr.branch.GetId(), group.GetId(),
			refusal{Code: codes.FailedPrecondition, Fields: []string{"new_parent_id"}}, cycle},
		{"a community under itself", tr.community.GetId(), tr.community.GetId(),
			refusal{Code: codes.FailedPrecondition, Fields: []string{"new_parent_id"}}, cycle},
		{"a branch under a grid", tr.branch.GetId(), grid.GetId(),
			refusal{Code: codes.FailedPrecondition, Fields: []string{"new_parent_id"}}, notAllowed},
		{"a community under a district", tr.community.GetId(), tr.otherDistrict.GetId(),
			refusal{Code: codes.FailedPrecondition, Fields: []string{"new_parent_id"}}, notAllowed},
		{"a branch under a parent that does not exist", tr.branch.GetId(), "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c",
			refusal{Code: codes.FailedPrecondition, Fields: []string{"new_parent_id"}}, "parent organisation not found"},
		{"an organisation that does not exist", "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c", tr.street.GetId(),
			refusal{Code: codes.NotFound}, "organisation not found"},
	}
	t.Run("refusals", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				_, err := h.org.MoveOrganisation(callContext(t), &pb.MoveOrganisationRequest{Id: tt.id, NewParentId: tt.newPrnt})
				if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
					t.Errorf("MoveOrganisation (-want +got):\n%s", diff)
				}
				if got := status.Convert(err).Message(); !strings.HasPrefix(got, tt.message) {
					t.Errorf("message %q, want it to start with %q", got, tt.message)
				}
			})
		}
	})
	t.Run("the refused moves left the tree alone", func(t *testing.T) {
		for _, o := range []*pb.Organisation{tr.community, tr.branch, group} {
			if diff := cmp.Diff(placementOf(o), placementOf(h.get(t, o.GetId()))); diff != "" {
				t.Errorf("%s after the refusals (-want +got):\n%s", o.GetName(), diff)
			}
		}
	})
	t.Run("a branch moves under a street of another district", func(t *testing.T) {
		resp, err := h.org.MoveOrganisation(callContext(t), &pb.MoveOrganisationRequest{Id: tr.branch.GetId(), NewParentId: tr.otherStreet.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		want := placement{tr.branch.GetName(), tr.otherStreet.GetId(),
			[]string{tr.city.GetId(), tr.otherDistrict.GetId(), tr.otherStreet.GetId()}, tr.otherDistrict.GetId(), 3}
		if diff := cmp.Diff(want, placementOf(resp.GetOrganisation())); diff != "" {
			t.Errorf("moved branch (-want +got):\n%s", diff)
		}
		wantGroup := placement{group.GetName(), tr.branch.GetId(), append(want.Ancestors, tr.branch.GetId()), tr.otherDistrict.GetId(), 4}
		if diff := cmp.Diff(wantGroup, placementOf(h.get(t, group.GetId()))); diff != "" {
			t.Errorf("its party group (-want +got):\n%s", diff)
		}
	})
}
