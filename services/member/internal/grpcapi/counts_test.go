package grpcapi_test

import (
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/orgview"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/member/internal/member"
)

// TestMaintainedCountsFollowEveryWrite: the counters that counts and
// compositions read (migration 009) equal the members counted one by one
// after every kind of write: registration, an update that changes the
// category, a transfer's completion, an import, a scheme that reclassifies
// a district, and a move of an organisation that re-paths its members.
func TestMaintainedCountsFollowEveryWrite(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	// check compares the counters with a count of the members themselves,
	// and the API's counts and compositions with both.
	check := func(when string) {
		t.Helper()
		if n := h.count(t, `SELECT count(*) FROM (
			SELECT path, organisation_id, category_code, category_name, employment_status, status, count(*) AS n
			  FROM members WHERE left_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6
			EXCEPT SELECT path, organisation_id, category_code, category_name, employment_status, status, n FROM member_counts
			UNION ALL
			SELECT path, organisation_id, category_code, category_name, employment_status, status, n FROM member_counts
			EXCEPT SELECT path, organisation_id, category_code, category_name, employment_status, status, count(*)
			  FROM members WHERE left_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6) AS d`); n != 0 {
			t.Fatalf("%s: %d counter rows differ from the members", when, n)
		}
		for _, root := range []string{tr.city.GetId(), tr.district.GetId(), tr.otherDistrict.GetId(), tr.community.GetId()} {
			live := h.count(t, `SELECT count(*) FROM members WHERE left_at IS NULL AND path >= (SELECT path FROM orgs WHERE id = $1)
				AND path < (SELECT path || '~' FROM orgs WHERE id = $1)`, root)
			got, err := h.members.CountMembers(callContext(t), &pb.CountMembersRequest{AncestorId: root})
			if err != nil || int(got.GetCount()) != live {
				t.Fatalf("%s: CountMembers of %s: %v %v, want %d", when, root, got, err, live)
			}
			retired := h.count(t, `SELECT count(*) FROM members WHERE left_at IS NULL AND employment_status = 'RETIRED'
				AND path >= (SELECT path FROM orgs WHERE id = $1) AND path < (SELECT path || '~' FROM orgs WHERE id = $1)`, root)
			got, err = h.members.CountMembers(callContext(t), &pb.CountMembersRequest{AncestorId: root,
				EmploymentStatus: pb.EmploymentStatus_EMPLOYMENT_STATUS_RETIRED})
			if err != nil || int(got.GetCount()) != retired {
				t.Fatalf("%s: retired members of %s: %v %v, want %d", when, root, got, err, retired)
			}
			comp, err := h.categories.GetComposition(callContext(t), &pb.GetCompositionRequest{OrganisationId: root, Subtree: true})
			if err != nil || int(comp.GetTotal()) != live {
				t.Fatalf("%s: composition of %s: %v %v, want a total of %d", when, root, comp, err, live)
			}
		}
	}
	check("before any member")

	a := h.register(t, person(tr.branch.GetId(), "Li Guiying"))
	b := h.register(t, person(tr.branch.GetId(), "Wang Fang"))
	h.register(t, person(tr.community.GetId(), "Zhou Jie"))
	h.register(t, person(tr.otherCommunity.GetId(), "Chen Hua"))
	check("after registrations")

	// Retired → employed moves the member to another category.
	if _, err := h.members.UpdateMember(callContext(t), &pb.UpdateMemberRequest{
		Member:     &pb.Member{Id: a.GetId(), EmploymentStatus: pb.EmploymentStatus_EMPLOYMENT_STATUS_EMPLOYED, Employer: "市供电公司"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"employment_status", "employer"}}}); err != nil {
		t.Fatal(err)
	}
	check("after an update of the employment")

	tf := h.released(t, tr.branch.GetId(), tr.otherCommunity.GetId())
	check("after a release")
	if _, err := h.transfers.ReceiveTransfer(callContext(t), &pb.ReceiveTransferRequest{Id: tf.GetId(), Etag: tf.GetEtag()}); err != nil {
		t.Fatal(err)
	}
	check("after a transfer to another district")

	roster := "姓名,性别,出生日期,身份证号,入党日期,党员类别,就业状态\n" +
		"王建国,男,1960-03-01," + nationalID("610102", "19600301") + ",1985-07-01,正式,退休\n" +
		"赵敏,女,1990-05-02," + nationalID("610102", "19900502") + ",2015-07-01,预备,在职\n"
	if resp, err := h.members.ImportMembers(callContext(t), &pb.ImportMembersRequest{Content: []byte(roster),
		OrganisationId: tr.branch.GetId()}); err != nil || resp.GetReport().GetTaken() != 2 {
		t.Fatalf("import: %v %v", resp, err)
	}
	check("after an import")

	if _, err := h.categories.SetScheme(callContext(t), &pb.SetSchemeRequest{DistrictId: tr.district.GetId(), Scheme: shiquanScheme()}); err != nil {
		t.Fatal(err)
	}
	check("after a new scheme reclassified the district")

	moved := cloneOrg(tr.community)
	place(moved, tr.otherStreet)
	id := member.NewID()
	h.publish(t, orgview.SubjectMoved, &orgv1.OrganisationMoved{EventId: id, OccurTime: timestamppb.Now(), Organisation: moved,
		OldParentId: tr.street.GetId(), OldDistrictId: tr.district.GetId(), SubtreeSize: 2}, id)
	waitFor(t, "the members to follow the move", func() bool {
		got, err := h.members.GetMember(callContext(t), &pb.GetMemberRequest{Id: b.GetId()})
		return err == nil && got.GetMember().GetDistrictId() == tr.otherDistrict.GetId()
	})
	check("after the community moved to the other district")
	if got, err := h.members.CountMembers(callContext(t), &pb.CountMembersRequest{AncestorId: tr.district.GetId()}); err != nil || got.GetCount() != 0 {
		t.Errorf("the old district counts %v (%v), want 0", got, err)
	}
}

// TestCountsByOrganisationAreTheCountersOfTheSubtree: every organisation
// of a subtree with live members is listed once with its own count, in
// tree order; a member who left is not counted; another subtree's are not
// there.
func TestCountsByOrganisationAreTheCountersOfTheSubtree(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	for range 3 {
		h.register(t, person(tr.branch.GetId(), "Branch Member"))
	}
	h.register(t, person(tr.community.GetId(), "Community Member"))
	h.register(t, person(tr.otherCommunity.GetId(), "Elsewhere"))
	gone := h.register(t, person(tr.branch.GetId(), "Gone"))
	if _, err := h.members.EndMembership(callContext(t), &pb.EndMembershipRequest{Id: gone.GetId(),
		Kind: pb.LeavingKind_LEAVING_KIND_DIED, Date: "2024-01-01", Reason: "病故"}); err != nil {
		t.Fatal(err)
	}
	resp, err := h.members.CountMembersByOrganisation(callContext(t), &pb.CountMembersByOrganisationRequest{AncestorId: tr.district.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range resp.GetCounts() {
		got = append(got, fmt.Sprintf("%s=%d", c.GetOrganisationId(), c.GetMemberCount()))
	}
	want := []string{tr.community.GetId() + "=1", tr.branch.GetId() + "=3"}
	if !slices.Equal(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
}
