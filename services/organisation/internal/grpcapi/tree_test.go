package grpcapi_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// ignoreAssigned leaves out what the service assigns and a test cannot know.
var ignoreAssigned = protocmp.IgnoreFields(&pb.Organisation{}, "id", "create_time", "update_time")

func TestCreateOrganisationBuildsTheTree(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	created := map[string]*pb.Organisation{}
	id := func(key string) string { return created[key].GetId() }
	ids := func(keys ...string) []string {
		var out []string
		for _, k := range keys {
			out = append(out, id(k))
		}
		return out
	}
	// Each step creates one organisation under one made by an earlier step.
	steps := []struct {
		name     string
		key      string
		in       func() *pb.Organisation
		district string   // key of the district it belongs to
		above    []string // keys of its ancestors, from the city down
	}{
		{
			name: "the city committee is the root",
			key:  "city",
			in:   func() *pb.Organisation { return city("Jinchang Municipal Party Committee") },
		},
		{
			name:  "a district sits under the city and belongs to no district",
			key:   "district",
			in:    func() *pb.Organisation { return child(created["city"], kindDistrict, "Jinchuan District Committee") },
			above: []string{"city"},
		},
		{
			name: "a street belongs to its district",
			key:  "street",
			in: func() *pb.Organisation {
				o := child(created["district"], kindStreet, "Ningyuanbao Town Committee")
				o.Town = true
				return o
			},
			district: "district",
			above:    []string{"city", "district"},
		},
		{
			name: "a community in branch form sits under a street",
			key:  "community",
			in: func() *pb.Organisation {
				return community(created["street"], "Xinhua Road Community Branch", pb.CommunityForm_COMMUNITY_FORM_BRANCH)
			},
			district: "district",
			above:    []string{"city", "district", "street"},
		},
		{
			name: "a branch sits under the community",
			key:  "branch",
			in: func() *pb.Organisation {
				o := child(created["community"], kindBranch, "Retired Members' Branch of Xinhua Road")
				o.BranchBasis = pb.BranchBasis_BRANCH_BASIS_ESTATE
				return o
			},
			district: "district",
			above:    []string{"city", "district", "street", "community"},
		},
		{
			name:     "a party group sits under the branch",
			key:      "party group",
			in:       func() *pb.Organisation { return child(created["branch"], kindPartyGroup, "Building 3 Party Group") },
			district: "district",
			above:    []string{"city", "district", "street", "community", "branch"},
		},
		{
			name: "a grid with its leader and workers sits under the community",
			key:  "grid",
			in: func() *pb.Organisation {
				o := child(created["community"], kindGrid, "Grid 2 of Xinhua Road")
				o.Grid = &pb.Grid{LeaderName: "Zhang Lan", LeaderPhone: "0935-8221234", Workers: []string{"Li Ming", "Wang Fang"}, Households: 312}
				return o
			},
			district: "district",
			above:    []string{"city", "district", "street", "community"},
		},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			in := s.in()
			got := h.create(t, in)
			want := cloneOrg(in)
			want.AncestorIds = ids(s.above...)
			want.Depth = int32(len(s.above))
			want.DistrictId = id(s.district)
			want.State = pb.OrganisationState_ORGANISATION_STATE_ACTIVE
			want.Etag = "1"
			want.FoundingDate = got.GetCreateTime().AsTime().Format(time.DateOnly) // defaults to the day it was recorded
			if diff := cmp.Diff(want, got, protocmp.Transform(), ignoreAssigned); diff != "" {
				t.Errorf("created organisation (-want +got):\n%s", diff)
			}
			if got.GetId() == "" || got.GetCreateTime() == nil || !got.GetCreateTime().AsTime().Equal(got.GetUpdateTime().AsTime()) {
				t.Errorf("id %q, create_time %v, update_time %v: want an id and equal times", got.GetId(), got.GetCreateTime(), got.GetUpdateTime())
			}
			if diff := cmp.Diff(got, h.get(t, got.GetId()), protocmp.Transform()); diff != "" {
				t.Errorf("GetOrganisation differs from the created organisation (-want +got):\n%s", diff)
			}
			created[s.key] = got
		})
	}

	t.Run("the subtree of the city lists in tree order", func(t *testing.T) {
		resp, err := h.org.ListOrganisations(callContext(t), &pb.ListOrganisationsRequest{AncestorId: id("city")})
		if err != nil {
			t.Fatal(err)
		}
		want := ids("district", "street", "community", "branch", "party group", "grid")
		if diff := cmp.Diff(want, idsOf(resp.GetOrganisations())); diff != "" {
			t.Errorf("subtree of the city (-want +got):\n%s", diff)
		}
	})
}

// TestMemberCountsOnlyWhereMembersSit: the counts the member service
// reports are kept for the organisations that hold members and passed over
// (reported in the log) for the others.
func TestMemberCountsOnlyWhereMembersSit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	group := h.create(t, child(tr.branch, kindPartyGroup, "Party Group of Block 5"))
	grid := h.create(t, child(tr.community, kindGrid, "Grid 1 of Guangzhou Road"))
	tests := []struct {
		name string
		org  *pb.Organisation
		want int64
	}{
		{"a branch holds members", tr.branch, 12},
		{"a community holds members", tr.community, 12},
		{"a party group holds none", group, 0},
		{"a grid holds none", grid, 0},
		{"a street holds none", tr.street, 0},
		{"a district holds none", tr.district, 0},
		{"the city holds none", tr.city, 0},
	}
	for _, tt := range tests {
		h.publishCount(t, tt.org.GetId(), 12)
	}
	// The consumer applies in stream order: once a later count of the
	// branch is in, every count above has been applied or passed over.
	h.recordMembers(t, tr.branch.GetId(), 13)
	for _, tt := range tests[1:] {
		if got := h.get(t, tt.org.GetId()).GetMemberCount(); got != tt.want {
			t.Errorf("%s: member_count = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestCreateOrganisationRefusesAndWritesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	coded := child(tr.branch, kindPartyGroup, "Party Group of Block 5")
	coded.Code = "JC-JC-BH-GZ-05"
	group := h.create(t, coded)
	setup := []string{tr.city.GetId(), tr.district.GetId(), tr.street.GetId(), tr.community.GetId(), tr.branch.GetId(),
		tr.otherDistrict.GetId(), tr.otherStreet.GetId(), group.GetId()}
	tables := []string{"organisations", "organisation_versions", "requests"}
	counts := func(t *testing.T) []int {
		var n []int
		for _, table := range tables {
			n = append(n, h.count(t, table))
		}
		return n
	}
	before := counts(t)

	temporary := func(tb *pb.TemporaryBranch) *pb.Organisation {
		o := child(tr.street, pb.OrganisationKind_ORGANISATION_KIND_TEMPORARY_BRANCH, "Temporary Branch of Members Working in Lanzhou")
		o.Temporary = tb
		return o
	}
	type refusedCreate struct {
		name string
		in   *pb.Organisation
		want refusal
	}
	tests := []refusedCreate{
		{
			name: "an organisation without a name",
			in:   community(tr.street, "", pb.CommunityForm_COMMUNITY_FORM_BRANCH),
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"organisation.name"}},
		},
		{
			name: "an organisation without a kind",
			in:   &pb.Organisation{ParentId: tr.street.GetId(), Name: "Unnamed Kind Organisation"},
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"organisation.kind"}},
		},
		{
			name: "a community that does not say its form",
			in:   community(tr.street, "Jinchuan Road Community", pb.CommunityForm_COMMUNITY_FORM_UNSPECIFIED),
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"organisation.community_form"}},
		},
		{
			name: "a branch that claims a community form",
			in: func() *pb.Organisation {
				o := child(tr.community, kindBranch, "Second Branch")
				o.CommunityForm = pb.CommunityForm_COMMUNITY_FORM_BRANCH
				return o
			}(),
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"organisation.community_form"}},
		},
		{
			name: "a temporary branch without its reason and end",
			in:   temporary(nil),
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"organisation.temporary"}},
		},
		{
			name: "a temporary branch ending on a day that does not exist",
			in:   temporary(&pb.TemporaryBranch{Reason: "members working on the Lanzhou metro site", Until: "2027-02-30"}),
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"organisation.temporary.until"}},
		},
		{
			name: "a resident-unit organisation that does not name its unit",
			in:   child(tr.street, pb.OrganisationKind_ORGANISATION_KIND_RESIDENT_UNIT, "Party Committee of the Nickel Works"),
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"organisation.resident_unit"}},
		},
		{
			name: "a branch carrying grid details",
			in: func() *pb.Organisation {
				o := child(tr.community, kindBranch, "Third Branch")
				o.Grid = &pb.Grid{LeaderName: "Zhao Yun"}
				return o
			}(),
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"organisation.grid"}},
		},
		{
			name: "a branch under a party group",
			in:   child(group, kindBranch, "Branch Under a Party Group"),
			want: refusal{Code: codes.FailedPrecondition, Fields: []string{"organisation.parent_id"}},
		},
		{
			name: "a street directly under the city",
			in:   child(tr.city, kindStreet, "Street Without a District"),
			want: refusal{Code: codes.FailedPrecondition, Fields: []string{"organisation.parent_id"}},
		},
		{
			name: "a parent that does not exist",
			in:   child(&pb.Organisation{Id: "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c"}, kindBranch, "Orphan Branch"),
			want: refusal{Code: codes.FailedPrecondition, Fields: []string{"organisation.parent_id"}},
		},
		{
			name: "a parent id that is not an id",
			in:   child(&pb.Organisation{Id: "guangzhou-road"}, kindBranch, "Orphan Branch"),
			want: refusal{Code: codes.FailedPrecondition, Fields: []string{"organisation.parent_id"}},
		},
		{
			name: "an organisation other than the city without a parent",
			in:   &pb.Organisation{Kind: kindBranch, Name: "Floating Branch"},
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"organisation.parent_id"}},
		},
		{
			name: "a second city",
			in:   city("Second Municipal Party Committee"),
			want: refusal{Code: codes.FailedPrecondition, Fields: []string{"organisation.kind"}},
		},
		{
			name: "a code another live organisation has",
			in: func() *pb.Organisation {
				o := child(tr.branch, kindPartyGroup, "Party Group of Block 6")
				o.Code = coded.GetCode()
				return o
			}(),
			want: refusal{Code: codes.AlreadyExists, Fields: []string{"organisation.code"}},
		},
		{
			name: "a city with a parent",
			in:   child(tr.district, pb.OrganisationKind_ORGANISATION_KIND_CITY, "City Under a District"),
			want: refusal{Code: codes.FailedPrecondition, Fields: []string{"organisation.parent_id"}},
		},
	}
	t.Run("refusals", func(t *testing.T) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				_, err := h.org.CreateOrganisation(callContext(t), &pb.CreateOrganisationRequest{Organisation: tt.in, RequestId: fmt.Sprintf("refused-%d", i)})
				if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
					t.Errorf("CreateOrganisation (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(before, counts(t)); diff != "" {
					t.Errorf("rows in %v after the refusal (-want +got):\n%s", tables, diff)
				}
			})
		}
	})

	// A refused request leaves its request id free: the corrected request
	// under the same id creates the organisation.
	formless := slices.IndexFunc(tests, func(tt refusedCreate) bool { return tt.in.GetName() == "Jinchuan Road Community" })
	corrected := community(tr.street, "Jinchuan Road Community", pb.CommunityForm_COMMUNITY_FORM_GENERAL_BRANCH)
	resp, err := h.org.CreateOrganisation(callContext(t), &pb.CreateOrganisationRequest{Organisation: corrected, RequestId: fmt.Sprintf("refused-%d", formless)})
	if err != nil {
		t.Fatalf("corrected request: %v", err)
	}
	marker := resp.GetOrganisation()
	if marker.GetName() != corrected.GetName() {
		t.Errorf("the corrected request returned %q, want the new %q", marker.GetName(), corrected.GetName())
	}

	// The relay publishes in commit order, so once the organisation created
	// after every refusal is in the stream, any event a refusal had let
	// through would be there too.
	evs := h.eventsUntil(t, "the event of the last creation", func(evs []event) bool {
		return slices.ContainsFunc(evs, func(e event) bool { return subjectOrganisation(e) == marker.GetId() })
	})
	var got []string
	for _, e := range evs {
		got = append(got, e.Subject+" "+subjectOrganisation(e))
	}
	var want []string
	for _, id := range append(setup, marker.GetId()) {
		want = append(want, "gongjian.organisation.v1.organisation_created "+id)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events in the stream (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{before[0] + 1, before[1] + 1, before[2] + 1}, counts(t)); diff != "" {
		t.Errorf("rows in %v at the end (-want +got):\n%s", tables, diff)
	}
}

func TestListAndUpdateRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	list := func(req *pb.ListOrganisationsRequest) func() error {
		return func() error { _, err := h.org.ListOrganisations(callContext(t), req); return err }
	}
	update := func(o *pb.Organisation, paths ...string) func() error {
		return func() error {
			_, err := h.org.UpdateOrganisation(callContext(t), &pb.UpdateOrganisationRequest{
				Organisation: o, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
			return err
		}
	}
	renamed := func(o *pb.Organisation, name string) *pb.Organisation {
		c := cloneOrg(o)
		c.Name = name
		return c
	}
	tests := []struct {
		name string
		call func() error
		want refusal
	}{
		{
			name: "a page of 501",
			call: list(&pb.ListOrganisationsRequest{ParentId: tr.city.GetId(), PageSize: 501}),
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"page_size"}},
		},
		{
			name: "a page token the service never issued",
			call: list(&pb.ListOrganisationsRequest{ParentId: tr.city.GetId(), PageToken: "%%not a token%%"}),
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"page_token"}},
		},
		{
			name: "a history page token the service never issued",
			call: func() error {
				_, err := h.org.ListOrganisationHistory(callContext(t), &pb.ListOrganisationHistoryRequest{Id: tr.city.GetId(), PageToken: "bm90LWEtbnVtYmVy"})
				return err
			},
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"page_token"}},
		},
		{
			name: "a listing without any filter",
			call: list(&pb.ListOrganisationsRequest{PageSize: 10}),
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"parent_id"}},
		},
		{
			name: "a listing under a parent that does not exist",
			call: list(&pb.ListOrganisationsRequest{ParentId: "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c"}),
			want: refusal{Code: codes.NotFound, Fields: []string{"parent_id"}},
		},
		{
			name: "an update of the parent through the mask",
			call: update(tr.branch, "parent_id"),
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"update_mask"}},
		},
		{
			name: "an update naming no field",
			call: update(tr.branch),
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"update_mask"}},
		},
		{
			name: "an update that takes a community's form away",
			call: func() error {
				c := cloneOrg(tr.community)
				c.CommunityForm = pb.CommunityForm_COMMUNITY_FORM_UNSPECIFIED
				return update(c, "community_form")()
			},
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"organisation.community_form"}},
		},
		{
			name: "an update without an id",
			call: update(renamed(&pb.Organisation{Kind: kindBranch}, "No Id"), "name"),
			want: refusal{Code: codes.InvalidArgument, Fields: []string{"organisation.id"}},
		},
		{
			name: "an update of an organisation that does not exist",
			call: update(renamed(&pb.Organisation{Id: "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c", Kind: kindBranch}, "Ghost"), "name"),
			want: refusal{Code: codes.NotFound},
		},
		{
			name: "an update of an organisation whose id is not an id",
			call: update(renamed(&pb.Organisation{Id: "branch-1", Kind: kindBranch}, "Ghost"), "name"),
			want: refusal{Code: codes.NotFound},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, refusalOf(tt.call())); diff != "" {
				t.Errorf("refusal (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListOrganisationsPagesInTreeOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	var want []string
	for _, name := range []string{"Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh"} {
		want = append(want, h.create(t, child(tr.community, kindBranch, name+" Branch of Guangzhou Road Community")).GetId())
	}
	want = append(want, tr.branch.GetId())
	// Siblings sit in the order of their paths, which end in their ids.
	slices.Sort(want)

	var (
		got   []string
		sizes []int
		token string
	)
	for page := 1; ; page++ {
		resp, err := h.org.ListOrganisations(callContext(t), &pb.ListOrganisationsRequest{
			ParentId: tr.community.GetId(), PageSize: 3, PageToken: token})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		got = append(got, idsOf(resp.GetOrganisations())...)
		sizes = append(sizes, len(resp.GetOrganisations()))
		token = resp.GetNextPageToken()
		if token == "" || page > 10 {
			break
		}
	}
	if diff := cmp.Diff([]int{3, 3, 1}, sizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("children over all pages (-want +got):\n%s", diff)
	}
}

func TestCreateOrganisationWithRequestIDIsIdempotent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	create := func(name string) *pb.Organisation {
		t.Helper()
		resp, err := h.org.CreateOrganisation(callContext(t), &pb.CreateOrganisationRequest{
			Organisation: child(tr.community, kindBranch, name), RequestId: "create-branch-42"})
		if err != nil {
			t.Fatalf("create %q: %v", name, err)
		}
		return resp.GetOrganisation()
	}
	first := create("Fourth Branch of Guangzhou Road Community")
	retried := create("Fourth Branch of Guangzhou Road Community")
	if diff := cmp.Diff(first, retried, protocmp.Transform()); diff != "" {
		t.Errorf("retried create (-first +retry):\n%s", diff)
	}
	other, err := h.org.CreateOrganisation(callContext(t), &pb.CreateOrganisationRequest{
		Organisation: child(tr.community, kindBranch, "Fifth Branch of Guangzhou Road Community"), RequestId: "create-branch-43"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.org.ListOrganisations(callContext(t), &pb.ListOrganisationsRequest{ParentId: tr.community.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{tr.branch.GetId(), first.GetId(), other.GetOrganisation().GetId()}
	if diff := cmp.Diff(want, idsOf(resp.GetOrganisations())); diff != "" {
		t.Errorf("branches of the community (-want +got):\n%s", diff)
	}
	evs := h.eventsUntil(t, "the event of the other creation", func(evs []event) bool {
		return slices.ContainsFunc(evs, func(e event) bool { return subjectOrganisation(e) == other.GetOrganisation().GetId() })
	})
	n := 0
	for _, e := range evs {
		if subjectOrganisation(e) == first.GetId() {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d events about the organisation created twice, want 1", n)
	}
}

func idsOf(os []*pb.Organisation) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.GetId())
	}
	return out
}
