package grpcapi_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

func TestAUnitIsRecordedWhereItsCommunitySits(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	in := unitOf(tr.community.GetId(), "同江市税务局")
	in.PartyOrganisationId = tr.unitOrg.GetId()
	resp, err := h.units.CreateResidentUnit(servicetest.Ctx(t), &pb.CreateResidentUnitRequest{ResidentUnit: in, RequestId: "u-1"})
	if err != nil {
		t.Fatal(err)
	}
	u := resp.GetResidentUnit()
	if u.GetStreetId() != tr.street.GetId() || u.GetDistrictId() != tr.district.GetId() || u.GetCoverageGap() || u.GetVersion() != 1 {
		t.Errorf("unit %+v: want the street and district of its community, no coverage gap, version 1", u)
	}
	again, err := h.units.CreateResidentUnit(servicetest.Ctx(t), &pb.CreateResidentUnitRequest{ResidentUnit: in, RequestId: "u-1"})
	if err != nil || again.GetResidentUnit().GetId() != u.GetId() {
		t.Errorf("a retried request: %v, %v; want the same unit", again, err)
	}
	got, err := h.units.GetResidentUnit(servicetest.Ctx(t), &pb.GetResidentUnitRequest{Id: u.GetId()})
	if err != nil || got.GetResidentUnit().GetName() != "同江市税务局" || len(got.GetResidentUnit().GetContacts()) != 1 {
		t.Errorf("read back: %v, %v", got, err)
	}
	list, err := h.units.ListResidentUnits(servicetest.Ctx(t), &pb.ListResidentUnitsRequest{AncestorId: tr.district.GetId()})
	if err != nil || len(list.GetResidentUnits()) != 1 {
		t.Errorf("the district's units: %v, %v", list, err)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'resident_unit' AND subject_id = $1`, u.GetId()); n != 1 {
		t.Errorf("%d audit records of the recording, want 1", n)
	}
}

func TestBadUnitsAreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	taken := unitOf(tr.community.GetId(), "已有党组织的单位")
	taken.PartyOrganisationId = tr.unitOrg.GetId()
	if _, err := h.units.CreateResidentUnit(servicetest.Ctx(t), &pb.CreateResidentUnitRequest{ResidentUnit: taken}); err != nil {
		t.Fatal(err)
	}
	elsewhere := org(tr.outside, kindResidentUnit, "Party Branch of a Unit in Another District")
	h.created(t, elsewhere)
	for _, tt := range []struct {
		name   string
		change func(u *pb.ResidentUnit)
		want   refusal
	}{
		{"no name", func(u *pb.ResidentUnit) { u.Name = "" }, refusal{codes.InvalidArgument, []string{"resident_unit.name"}}},
		{"a unit's party organisation of another district", func(u *pb.ResidentUnit) { u.PartyOrganisationId = elsewhere.GetId() },
			refusal{codes.FailedPrecondition, []string{"resident_unit.party_organisation_id"}}},
		{"no type", func(u *pb.ResidentUnit) { u.Type = 0 }, refusal{codes.InvalidArgument, []string{"resident_unit.type"}}},
		{"a branch for a community", func(u *pb.ResidentUnit) { u.CommunityId = tr.branch.GetId() },
			refusal{codes.FailedPrecondition, []string{"resident_unit.community_id"}}},
		{"a community nobody knows", func(u *pb.ResidentUnit) { u.CommunityId = "0190a0b0-0000-7000-8000-000000000009" },
			refusal{codes.FailedPrecondition, []string{"resident_unit.community_id"}}},
		{"a branch for its party organisation", func(u *pb.ResidentUnit) { u.PartyOrganisationId = tr.branch.GetId() },
			refusal{codes.FailedPrecondition, []string{"resident_unit.party_organisation_id"}}},
		{"another unit's party organisation", func(u *pb.ResidentUnit) { u.PartyOrganisationId = tr.unitOrg.GetId() },
			refusal{codes.AlreadyExists, []string{"resident_unit.party_organisation_id"}}},
		{"more party members than people", func(u *pb.ResidentUnit) { u.HeadCount, u.PartyMemberCount = 10, 11 },
			refusal{codes.InvalidArgument, []string{"resident_unit.party_member_count"}}},
		{"a phone that is no number", func(u *pb.ResidentUnit) { u.Contacts[0].Phone = "call me" },
			refusal{codes.InvalidArgument, []string{"resident_unit.contacts[0].phone"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := unitOf(tr.community.GetId(), "某单位")
			tt.change(u)
			_, err := h.units.CreateResidentUnit(servicetest.Ctx(t), &pb.CreateResidentUnitRequest{ResidentUnit: u})
			if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if n := h.count(t, `SELECT count(*) FROM resident_units`); n != 1 {
		t.Errorf("%d units recorded, want only the first", n)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log`); n != 1 {
		t.Errorf("%d audit records, want only the first unit's", n)
	}
}

// TestACoverageGapIsAnnouncedWhenItOpensAndCloses: a unit with party
// members and no party organisation is a gap the organisation service
// learns of; giving it a party organisation closes it.
func TestACoverageGapIsAnnouncedWhenItOpensAndCloses(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	u := h.unit(t, tr.community.GetId(), "同江农商银行")
	if !u.GetCoverageGap() {
		t.Fatalf("a unit with 30 party members and no party organisation is no gap: %+v", u)
	}
	resp, err := h.units.UpdateResidentUnit(servicetest.Ctx(t), &pb.UpdateResidentUnitRequest{
		ResidentUnit: &pb.ResidentUnit{Id: u.GetId(), PartyOrganisationId: tr.unitOrg.GetId(), Address: "ignored"},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"party_organisation_id"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetResidentUnit(); got.GetCoverageGap() || got.GetAddress() != u.GetAddress() || got.GetVersion() != 2 {
		t.Errorf("after the update: %+v; want no gap, the address untouched, version 2", got)
	}
	evs := waitEvents[*pb.ResidentUnitCoverageChanged](t, h, 2)
	if len(evs) != 2 || !evs[0].GetGap() || evs[1].GetGap() || evs[0].GetUnitId() != u.GetId() ||
		evs[0].GetDistrictId() != tr.district.GetId() || evs[1].GetPartyOrganisationId() != tr.unitOrg.GetId() {
		t.Errorf("coverage events %v; want the gap opened, then closed", evs)
	}
	if _, err := h.units.UpdateResidentUnit(servicetest.Ctx(t), &pb.UpdateResidentUnitRequest{
		ResidentUnit: &pb.ResidentUnit{Id: u.GetId(), CommunityId: tr.neighbour.GetId()},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"community_id"}}}); refusalOf(err).Code != codes.InvalidArgument {
		t.Errorf("moving a unit by an update: %v, want InvalidArgument", err)
	}
}

// TestAUnitCountsTheInServiceMembersTheMemberServiceRegistered: a member
// whose relationship sits in the unit's party organisation (or below it)
// and who registered with a community counts, until the registration ends.
func TestAUnitCountsTheInServiceMembersTheMemberServiceRegistered(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	unitBranch := org(tr.unitOrg, kindBranch, "税务局第一党支部")
	h.created(t, unitBranch)
	in := unitOf(tr.community.GetId(), "同江市税务局")
	in.PartyOrganisationId = tr.unitOrg.GetId()
	u, err := h.units.CreateResidentUnit(servicetest.Ctx(t), &pb.CreateResidentUnitRequest{ResidentUnit: in})
	if err != nil {
		t.Fatal(err)
	}
	registration := func(id, member, org string, ended bool, at time.Time) *memberv1.Registration {
		r := &memberv1.Registration{Id: id, MemberId: member, CommunityId: tr.neighbour.GetId(), MemberOrganisationId: org,
			Kind: memberv1.RegistrationKind_REGISTRATION_KIND_RESIDENCE, ReportDate: "2026-03-01", UpdateTime: timestamppb.New(at)}
		if ended {
			r.EndDate = "2026-06-01"
		}
		return r
	}
	r1, r2, other, m1 := cobuild.NewID(), cobuild.NewID(), cobuild.NewID(), cobuild.NewID()
	for _, r := range []*memberv1.Registration{
		registration(r1, m1, tr.unitOrg.GetId(), false, day0),
		registration(r2, cobuild.NewID(), unitBranch.GetId(), false, day0),
		registration(other, cobuild.NewID(), tr.branch.GetId(), false, day0), // a member of the community's own branch
	} {
		h.publish(t, "gongjian.member.v1.in_service_registered", &memberv1.InServiceRegistered{EventId: cobuild.NewID(), Registration: r}, cobuild.NewID())
	}
	count := func() int32 {
		got, err := h.units.GetResidentUnit(servicetest.Ctx(t), &pb.GetResidentUnitRequest{Id: u.GetResidentUnit().GetId()})
		if err != nil {
			t.Fatal(err)
		}
		return got.GetResidentUnit().GetInServiceMemberCount()
	}
	servicetest.WaitFor(t, "two in-service members", func() bool { return count() == 2 })
	h.publish(t, "gongjian.member.v1.in_service_registration_ended",
		&memberv1.InServiceRegistrationEnded{EventId: cobuild.NewID(), Registration: registration(r1, m1, tr.unitOrg.GetId(), true, day0.Add(time.Hour))}, cobuild.NewID())
	servicetest.WaitFor(t, "one in-service member", func() bool { return count() == 1 })
}
