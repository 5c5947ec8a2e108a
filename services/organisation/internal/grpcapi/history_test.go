package grpcapi_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

func TestHistoryAndAsOf(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withClock(newClock(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)).Now))
	tr := h.tree(t)
	c := h.create(t, community(tr.street, "Guangzhou Road Community Branch", pb.CommunityForm_COMMUNITY_FORM_BRANCH))
	b := h.create(t, child(c, kindBranch, "First Branch of Guangzhou Road Community"))
	renamed := cloneOrg(c)
	renamed.Name = "Guangzhou Road Community Party Committee"
	if _, err := h.org.UpdateOrganisation(callContext(t), &pb.UpdateOrganisationRequest{
		Organisation: renamed, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}}); err != nil {
		t.Fatalf("rename: %v", err)
	}
	if _, err := h.org.MoveOrganisation(callContext(t), &pb.MoveOrganisationRequest{Id: c.GetId(), NewParentId: tr.otherStreet.GetId()}); err != nil {
		t.Fatalf("move: %v", err)
	}

	var versions []*pb.OrganisationVersion
	t.Run("the history lists three versions newest first, page by page", func(t *testing.T) {
		var token string
		for page := 0; page < 3; page++ {
			resp, err := h.org.ListOrganisationHistory(callContext(t), &pb.ListOrganisationHistoryRequest{Id: c.GetId(), PageSize: 2, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			versions = append(versions, resp.GetVersions()...)
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		type version struct {
			Number int64
			Change string
			Name   string
			Parent string
			Etag   string
		}
		var got []version
		for _, v := range versions {
			got = append(got, version{v.GetVersion(), v.GetChange(), v.GetOrganisation().GetName(), v.GetOrganisation().GetParentId(), v.GetOrganisation().GetEtag()})
		}
		want := []version{
			{3, "moved", renamed.GetName(), tr.otherStreet.GetId(), "3"},
			{2, "updated", renamed.GetName(), tr.street.GetId(), "2"},
			{1, "created", c.GetName(), tr.street.GetId(), "1"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("versions (-want +got):\n%s", diff)
		}
	})
	if len(versions) != 3 {
		t.FailNow()
	}
	moved, updated, created := versions[0], versions[1], versions[2]

	t.Run("the versions follow each other without gap or overlap", func(t *testing.T) {
		got := []*timestamppb.Timestamp{created.GetValidFrom(), created.GetValidTo(), updated.GetValidTo(), moved.GetValidTo()}
		want := []*timestamppb.Timestamp{c.GetCreateTime(), updated.GetValidFrom(), moved.GetValidFrom(), nil}
		if diff := cmp.Diff(want, got, cmp.Comparer(sameInstant)); diff != "" {
			t.Errorf("valid_from of the first, then valid_to of each (-want +got):\n%s", diff)
		}
		if !created.GetValidFrom().AsTime().Before(updated.GetValidFrom().AsTime()) || !updated.GetValidFrom().AsTime().Before(moved.GetValidFrom().AsTime()) {
			t.Errorf("valid_from not increasing: %v, %v, %v", created.GetValidFrom(), updated.GetValidFrom(), moved.GetValidFrom())
		}
	})

	oldPlace := []string{tr.city.GetId(), tr.district.GetId(), tr.street.GetId()}
	newPlace := []string{tr.city.GetId(), tr.otherDistrict.GetId(), tr.otherStreet.GetId()}
	between := updated.GetValidFrom().AsTime().Add(time.Microsecond)
	tests := []struct {
		name string
		id   string
		at   time.Time
		want placement
	}{
		{"at creation it has its first name", c.GetId(), created.GetValidFrom().AsTime(),
			placement{c.GetName(), tr.street.GetId(), oldPlace, tr.district.GetId(), 3}},
		{"between rename and move it has the new name in the old place", c.GetId(), between,
			placement{renamed.GetName(), tr.street.GetId(), oldPlace, tr.district.GetId(), 3}},
		{"the instant before the move it is still in the old place", c.GetId(), moved.GetValidFrom().AsTime().Add(-time.Microsecond),
			placement{renamed.GetName(), tr.street.GetId(), oldPlace, tr.district.GetId(), 3}},
		{"from the move on it is in the new place", c.GetId(), moved.GetValidFrom().AsTime(),
			placement{renamed.GetName(), tr.otherStreet.GetId(), newPlace, tr.otherDistrict.GetId(), 3}},
		{"its branch sat in the old place before the move", b.GetId(), between,
			placement{b.GetName(), c.GetId(), append(oldPlace[:3:3], c.GetId()), tr.district.GetId(), 4}},
		{"its branch sits in the new place after the move", b.GetId(), moved.GetValidFrom().AsTime().Add(time.Second),
			placement{b.GetName(), c.GetId(), append(newPlace[:3:3], c.GetId()), tr.otherDistrict.GetId(), 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, err := h.org.GetOrganisation(callContext(t), &pb.GetOrganisationRequest{Id: tt.id, AsOfTime: timestamppb.New(tt.at)})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, placementOf(resp.GetOrganisation())); diff != "" {
				t.Errorf("organisation as of %s (-want +got):\n%s", tt.at.Format(time.RFC3339Nano), diff)
			}
		})
	}
	t.Run("before its creation it did not exist", func(t *testing.T) {
		t.Parallel()
		_, err := h.org.GetOrganisation(callContext(t), &pb.GetOrganisationRequest{
			Id: c.GetId(), AsOfTime: timestamppb.New(created.GetValidFrom().AsTime().Add(-time.Microsecond))})
		if diff := cmp.Diff(refusal{Code: codes.NotFound}, refusalOf(err)); diff != "" {
			t.Errorf("GetOrganisation before creation (-want +got):\n%s", diff)
		}
	})
}

func sameInstant(a, b *timestamppb.Timestamp) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.AsTime().Equal(b.AsTime())
}

func TestUpdateOrganisationChecksTheEtag(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	update := func(name, etag string) (*pb.Organisation, error) {
		o := cloneOrg(tr.branch)
		o.Name, o.Etag = name, etag
		resp, err := h.org.UpdateOrganisation(callContext(t), &pb.UpdateOrganisationRequest{
			Organisation: o, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}})
		return resp.GetOrganisation(), err
	}
	first, err := update("First Branch (Retired Members)", "1")
	if err != nil {
		t.Fatalf("update with the current etag: %v", err)
	}
	if first.GetEtag() != "2" {
		t.Fatalf("etag after the update = %q, want \"2\"", first.GetEtag())
	}

	stale := refusal{Code: codes.FailedPrecondition, Reason: "ETAG_MISMATCH"}
	tests := []struct {
		name string
		call func() error
	}{
		{"an update with the etag read before the last change", func() error {
			_, err := update("First Branch (Lost Update)", "1")
			return err
		}},
		{"a move with a stale etag", func() error {
			_, err := h.org.MoveOrganisation(callContext(t), &pb.MoveOrganisationRequest{Id: tr.branch.GetId(), NewParentId: tr.otherStreet.GetId(), Etag: "1"})
			return err
		}},
		{"a dissolution with a stale etag", func() error {
			_, err := h.org.DissolveOrganisation(callContext(t), &pb.DissolveOrganisationRequest{Id: tr.branch.GetId(), Reason: "merged", Etag: "1"})
			return err
		}},
		{"a new team with a stale etag", func() error {
			_, err := h.org.SetLeadershipTeam(callContext(t), &pb.SetLeadershipTeamRequest{OrganisationId: tr.branch.GetId(), Etag: "1"})
			return err
		}},
	}
	t.Run("stale etags", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				if diff := cmp.Diff(stale, refusalOf(tt.call())); diff != "" {
					t.Errorf("refusal (-want +got):\n%s", diff)
				}
			})
		}
	})
	t.Run("nothing changed through a stale etag", func(t *testing.T) {
		got := h.get(t, tr.branch.GetId())
		if diff := cmp.Diff(placementOf(first), placementOf(got)); diff != "" || got.GetEtag() != "2" || got.GetState() != pb.OrganisationState_ORGANISATION_STATE_ACTIVE {
			t.Errorf("branch after stale calls: etag %q, state %s, placement (-want +got):\n%s", got.GetEtag(), got.GetState(), diff)
		}
	})
	t.Run("an update with the current etag succeeds", func(t *testing.T) {
		got, err := update("First Branch of Guangzhou Road", "2")
		if err != nil {
			t.Fatal(err)
		}
		if got.GetName() != "First Branch of Guangzhou Road" || got.GetEtag() != "3" {
			t.Errorf("after the update: name %q, etag %q; want the new name and etag 3", got.GetName(), got.GetEtag())
		}
	})
}
