package grpcapi_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/orgview"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/member/internal/member"
)

// TestRegistrationPublishesCounts: each registration reports the new number
// of members of its organisation, counted in its transaction, and
// announces the member without the ID number.
func TestRegistrationPublishesCounts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	first := person(tr.branch.GetId(), "Li Guiying")
	h.register(t, first)
	h.register(t, person(tr.branch.GetId(), "Zhang Min"))
	h.register(t, person(tr.community.GetId(), "Wang Fang"))
	waitFor(t, "six events", func() bool { return len(h.memberEvents(t)) == 6 })
	for _, e := range h.memberEvents(t) {
		if r, ok := e.(*pb.MemberRegistered); ok && r.GetMember().GetNationalId() != "" {
			t.Errorf("an event carries the ID number: %v", r)
		}
	}
	want := map[string][]int64{tr.branch.GetId(): {1, 2}, tr.community.GetId(): {1}}
	if diff := cmp.Diff(want, counts(h.memberEvents(t))); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// TestMaskingAndReadAudit: a district administrator sees the masked number,
// a caller with the unmasking permission the number itself; every member
// returned by a get or a list leaves a read record.
func TestMaskingAndReadAudit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	in := person(tr.branch.GetId(), "Li Guiying")
	m := h.register(t, in)
	h.register(t, person(tr.branch.GetId(), "Zhang Min"))

	admin := pb.NewMemberServiceClient(h.as(devissuer.Claims{Subject: "district-admin", Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}))
	got, err := admin.GetMember(callContext(t), &pb.GetMemberRequest{Id: m.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	id := in.GetNationalId()
	if want := id[:6] + "********" + id[14:]; got.GetMember().GetNationalId() != want {
		t.Errorf("district admin sees %q, want %q", got.GetMember().GetNationalId(), want)
	}
	unmasked := pb.NewMemberServiceClient(h.as(devissuer.Claims{Subject: "records-officer", Role: auth.DistrictAdmin,
		ScopeOrgID: tr.district.GetId(), Permissions: []string{auth.PermUnmaskedID}}))
	got, err = unmasked.GetMember(callContext(t), &pb.GetMemberRequest{Id: m.GetId()})
	if err != nil || got.GetMember().GetNationalId() != id {
		t.Errorf("a caller with %s sees %q, %v; want the number", auth.PermUnmaskedID, got.GetMember().GetNationalId(), err)
	}
	list, err := admin.ListMembers(callContext(t), &pb.ListMembersRequest{OrganisationId: tr.branch.GetId()})
	if err != nil || len(list.GetMembers()) != 2 {
		t.Fatalf("list: %v %v", list, err)
	}
	for _, lm := range list.GetMembers() {
		if !strings.Contains(lm.GetNationalId(), "********") {
			t.Errorf("a list shows %q unmasked", lm.GetNationalId())
		}
	}
	reads := h.count(t, `SELECT count(*) FROM audit_log WHERE action = 'read' AND subject_type = 'member' AND actor_subject = 'district-admin'`)
	if reads != 3 {
		t.Errorf("%d read records of the district admin, want 3 (one get, two listed)", reads)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE action = 'read' AND subject_id = $1 AND organisation_id = $2`,
		m.GetId(), tr.branch.GetId()); n != 3 {
		t.Errorf("%d read records of the member, want 3", n)
	}
}

// TestOneLiveMemberPerNumber: a number registered in one district is
// refused in another, naming the district that holds it; nothing is written.
func TestOneLiveMemberPerNumber(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	first := person(tr.branch.GetId(), "Li Guiying")
	h.register(t, first)
	before := h.count(t, `SELECT (SELECT count(*) FROM members) + (SELECT count(*) FROM audit_log)`)
	again := person(tr.otherCommunity.GetId(), "Li Guiying")
	again.NationalId = strings.ToLower(first.GetNationalId())
	_, err := h.members.CreateMember(callContext(t), &pb.CreateMemberRequest{Member: again})
	if r := refusalOf(err); r.Code != codes.AlreadyExists || !cmp.Equal(r.Fields, []string{"member.national_id"}) {
		t.Fatalf("second registration: %v", err)
	}
	if !strings.Contains(err.Error(), tr.district.GetName()) {
		t.Errorf("the refusal %q does not name %q", err, tr.district.GetName())
	}
	if strings.Contains(err.Error(), first.GetNationalId()[6:14]) {
		t.Errorf("the refusal repeats the number: %v", err)
	}
	if after := h.count(t, `SELECT (SELECT count(*) FROM members) + (SELECT count(*) FROM audit_log)`); after != before {
		t.Errorf("a refused registration wrote %d rows", after-before)
	}
	// Every event written is relayed (the outbox empties), and the stream
	// then holds the first registration's two and nothing of the refusal.
	// (Counting the outbox and the stream at once raced the relay, which
	// publishes a row before it deletes it.)
	waitFor(t, "the first registration's events", func() bool {
		return h.count(t, `SELECT count(*) FROM outbox`) == 0 && len(h.memberEvents(t)) >= 2
	})
	if n := len(h.memberEvents(t)); n != 2 {
		t.Errorf("%d events, want the first registration's two", n)
	}
}

// TestOrganisationMustHoldMemberships: an unknown organisation, a
// dissolved one and a party group are refused, naming member.organisation_id.
func TestOrganisationMustHoldMemberships(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	dissolved := org(tr.community, kindBranch, "Second Branch")
	h.created(t, dissolved)
	gone := cloneOrg(dissolved)
	gone.State = orgv1.OrganisationState_ORGANISATION_STATE_DISSOLVED
	id := member.NewID()
	h.publish(t, orgview.SubjectDissolved, &orgv1.OrganisationDissolved{EventId: id, OccurTime: timestamppb.Now(), Organisation: gone}, id)
	waitFor(t, "the dissolution", func() bool {
		return h.count(t, `SELECT count(*) FROM orgs WHERE id = $1 AND state = 'DISSOLVED'`, gone.GetId()) == 1
	})
	for _, tc := range []struct{ name, orgID, says string }{
		{"an organisation the view does not hold", member.NewID(), "no organisation"},
		{"a dissolved branch", gone.GetId(), "dissolved"},
		{"a party group", tr.group.GetId(), "a party group cannot hold memberships; use its branch"},
		{"a street committee", tr.street.GetId(), "cannot hold memberships"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.members.CreateMember(callContext(t), &pb.CreateMemberRequest{Member: person(tc.orgID, "Zhao Lei")})
			r := refusalOf(err)
			if r.Code != codes.FailedPrecondition || !cmp.Equal(r.Fields, []string{"member.organisation_id"}) {
				t.Fatalf("refusal %+v (%v), want FailedPrecondition on member.organisation_id", r, err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("refusal %q does not say %q", err, tc.says)
			}
		})
	}
	if n := h.count(t, `SELECT count(*) FROM members`); n != 0 {
		t.Errorf("%d members written", n)
	}
}

// TestInputRules: a number that does not agree with the birth date, or
// fails its check character, is refused with the field named.
func TestInputRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	mismatch := person(tr.branch.GetId(), "Sun Li")
	mismatch.BirthDate = "1980-01-16"
	badCheck := person(tr.branch.GetId(), "Sun Li")
	last := badCheck.GetNationalId()[17]
	badCheck.NationalId = badCheck.GetNationalId()[:17] + map[bool]string{true: "1", false: "X"}[last == 'X']
	for name, tc := range map[string]struct {
		m     *pb.Member
		field string
	}{
		"birth date mismatch":   {mismatch, "member.birth_date"},
		"wrong check character": {badCheck, "member.national_id"},
	} {
		_, err := h.members.CreateMember(callContext(t), &pb.CreateMemberRequest{Member: tc.m})
		if r := refusalOf(err); r.Code != codes.InvalidArgument || !cmp.Equal(r.Fields, []string{tc.field}) {
			t.Errorf("%s: %+v (%v)", name, r, err)
		}
	}
}

// TestUpdateMember: named fields change with the etag; the organisation
// cannot be changed here.
func TestUpdateMember(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	m := h.register(t, person(tr.branch.GetId(), "Li Guiying"))
	resp, err := h.members.UpdateMember(callContext(t), &pb.UpdateMemberRequest{
		Member:     &pb.Member{Id: m.GetId(), Phone: "13900000000", Hardship: true, Etag: m.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"phone", "hardship"}}})
	if err != nil || resp.GetMember().GetPhone() != "13900000000" || !resp.GetMember().GetHardship() || resp.GetMember().GetName() != "Li Guiying" {
		t.Fatalf("update: %v %v", resp, err)
	}
	// The star rating keeps a history: it is set through its own call, not
	// with the registration (which would store it without a year, a reason
	// or who gave it) nor by an update.
	rated := person(tr.branch.GetId(), "Rated At Registration")
	rated.NationalId, rated.StarRating = nationalID("610102", "19800116"), 5
	_, err = h.members.CreateMember(callContext(t), &pb.CreateMemberRequest{Member: rated})
	if r := refusalOf(err); r.Code != codes.InvalidArgument || !equal(r.Fields, []string{"member.star_rating"}) {
		t.Errorf("star_rating through CreateMember: %v", err)
	}
	_, err = h.members.UpdateMember(callContext(t), &pb.UpdateMemberRequest{
		Member:     &pb.Member{Id: m.GetId(), StarRating: 5},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"star_rating"}}})
	if r := refusalOf(err); r.Code != codes.InvalidArgument && r.Code != codes.FailedPrecondition {
		t.Errorf("star_rating through UpdateMember: %v", err)
	}
	_, err = h.members.UpdateMember(callContext(t), &pb.UpdateMemberRequest{
		Member:     &pb.Member{Id: m.GetId(), Phone: "1", Etag: m.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"phone"}}})
	if r := refusalOf(err); r.Code != codes.FailedPrecondition {
		t.Errorf("a stale etag: %v", err)
	}
	_, err = h.members.UpdateMember(callContext(t), &pb.UpdateMemberRequest{
		Member:     &pb.Member{Id: m.GetId(), OrganisationId: tr.community.GetId()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"organisation_id"}}})
	if r := refusalOf(err); r.Code != codes.InvalidArgument || !cmp.Equal(r.Fields, []string{"update_mask"}) {
		t.Errorf("changing the organisation: %v", err)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE action = 'write' AND subject_id = $1 AND before IS NOT NULL`, m.GetId()); n != 1 {
		t.Errorf("%d audit records of the update with a before, want 1", n)
	}
}
