package grpcapi_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
)

// TestAnAgreementLivesOnePerPairWithItsHistory: signed, changed, renewed
// and ended, every version kept; a second live agreement for the pair is
// refused until the first ends.
func TestAnAgreementLivesOnePerPairWithItsHistory(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	// The unit sits in the neighbouring community of the same street.
	u := h.unit(t, tr.neighbour.GetId(), "同江市第一中学")
	a := h.agreement(t, tr.community.GetId(), u.GetId(), "2026-01-01", "2026-12-31")
	if a.GetState() != pb.AgreementState_AGREEMENT_STATE_LIVE || a.GetStreetId() != tr.street.GetId() || a.GetVersion() != 1 {
		t.Fatalf("signed: %+v", a)
	}
	_, err := h.agreements.CreateAgreement(servicetest.Ctx(t), &pb.CreateAgreementRequest{Agreement: agreementOf(tr.community.GetId(), u.GetId(), "2026-03-01", "2027-02-28")})
	if diff := cmp.Diff(refusal{codes.AlreadyExists, []string{"agreement.unit_id"}}, refusalOf(err)); diff != "" {
		t.Errorf("a second live agreement (-want +got):\n%s", diff)
	}
	upd, err := h.agreements.UpdateAgreement(servicetest.Ctx(t), &pb.UpdateAgreementRequest{
		Agreement:  &pb.Agreement{Id: a.GetId(), UnitContact: &pb.Contact{Name: "赵敏", Role: "办公室主任"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"unit_contact"}}})
	if err != nil || upd.GetAgreement().GetUnitContact().GetName() != "赵敏" || len(upd.GetAgreement().GetGoals()) != 2 {
		t.Fatalf("update: %v, %v", upd, err)
	}
	ren, err := h.agreements.RenewAgreement(servicetest.Ctx(t), &pb.RenewAgreementRequest{Id: a.GetId(), EndDate: "2027-12-31"})
	if err != nil || ren.GetAgreement().GetEndDate() != "2027-12-31" || ren.GetAgreement().GetRenewals() != 1 {
		t.Fatalf("renew: %v, %v", ren, err)
	}
	_, err = h.agreements.RenewAgreement(servicetest.Ctx(t), &pb.RenewAgreementRequest{Id: a.GetId(), EndDate: "2027-06-30"})
	if diff := cmp.Diff(refusal{codes.InvalidArgument, []string{"end_date"}}, refusalOf(err)); diff != "" {
		t.Errorf("a renewal that shortens the term (-want +got):\n%s", diff)
	}
	end, err := h.agreements.EndAgreement(servicetest.Ctx(t), &pb.EndAgreementRequest{Id: a.GetId(), Date: "2026-06-01", Reason: "单位搬迁"})
	if err != nil || end.GetAgreement().GetState() != pb.AgreementState_AGREEMENT_STATE_ENDED || end.GetAgreement().GetEndReason() != "单位搬迁" {
		t.Fatalf("end: %v, %v", end, err)
	}
	if _, err := h.agreements.EndAgreement(servicetest.Ctx(t), &pb.EndAgreementRequest{Id: a.GetId(), Date: "2026-06-02", Reason: "again"}); refusalOf(err).Code != codes.FailedPrecondition {
		t.Errorf("ending an ended agreement: %v, want FailedPrecondition", err)
	}
	vs, err := h.agreements.ListAgreementVersions(servicetest.Ctx(t), &pb.ListAgreementVersionsRequest{Id: a.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, v := range vs.GetVersions() {
		changes = append(changes, v.GetChange())
	}
	if diff := cmp.Diff([]string{"SIGNED", "UPDATED", "RENEWED", "ENDED"}, changes); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	if vs.GetVersions()[0].GetAgreement().GetUnitContact().GetName() != "王建国" || vs.GetVersions()[0].GetChangedBy() != "city-admin" {
		t.Errorf("the first version is not as signed: %+v", vs.GetVersions()[0])
	}
	// Ended, the pair signs again.
	again := h.agreement(t, tr.community.GetId(), u.GetId(), "2026-06-15", "2027-06-30")
	list, err := h.agreements.ListAgreements(servicetest.Ctx(t), &pb.ListAgreementsRequest{UnitId: u.GetId()})
	if err != nil || len(list.GetAgreements()) != 2 || list.GetAgreements()[0].GetId() != again.GetId() {
		t.Errorf("the unit's agreements, newest first: %v, %v", list, err)
	}
	evs := waitEvents[*pb.AgreementChanged](t, h, 5)
	if len(evs) != 5 || evs[3].GetChange() != "ENDED" || evs[3].GetAgreement().GetUnitId() != u.GetId() {
		t.Errorf("agreement events: %v", evs)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'agreement'`); n != 5 {
		t.Errorf("%d audit records of agreements, want one per change (5)", n)
	}
}

func TestBadAgreementsAreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	near := h.unit(t, tr.community.GetId(), "同江市人民医院")
	far := h.unit(t, tr.farCommunity.GetId(), "街津口边防派出所")
	c := tr.community.GetId()
	for _, tt := range []struct {
		name string
		in   *pb.Agreement
		want refusal
	}{
		{"a unit outside the community's street", agreementOf(c, far.GetId(), "2026-01-01", "2026-12-31"),
			refusal{codes.InvalidArgument, []string{"agreement.unit_id"}}},
		{"a unit nobody recorded", agreementOf(c, "0190a0b0-0000-7000-8000-000000000009", "2026-01-01", "2026-12-31"),
			refusal{codes.FailedPrecondition, []string{"agreement.unit_id"}}},
		{"a street for a community", agreementOf(tr.street.GetId(), near.GetId(), "2026-01-01", "2026-12-31"),
			refusal{codes.FailedPrecondition, []string{"agreement.community_id"}}},
		{"a term that ends before it starts", agreementOf(c, near.GetId(), "2026-01-01", "2025-12-31"),
			refusal{codes.InvalidArgument, []string{"agreement.end_date"}}},
		{"a day that is no day", agreementOf(c, near.GetId(), "2026-02-30", "2026-12-31"),
			refusal{codes.InvalidArgument, []string{"agreement.start_date"}}},
		{"signed in the future", func() *pb.Agreement {
			a := agreementOf(c, near.GetId(), "2026-01-01", "2026-12-31")
			a.SignedDate = "2026-09-01"
			return a
		}(), refusal{codes.InvalidArgument, []string{"agreement.signed_date"}}},
		{"a goal twice in one area", func() *pb.Agreement {
			a := agreementOf(c, near.GetId(), "2026-01-01", "2026-12-31")
			a.Goals = append(a.Goals, &pb.Goal{Area: pb.Area_AREA_ENVIRONMENT, Text: "again"})
			return a
		}(), refusal{codes.InvalidArgument, []string{"agreement.goals.area"}}},
		{"no contact on the unit's side", func() *pb.Agreement {
			a := agreementOf(c, near.GetId(), "2026-01-01", "2026-12-31")
			a.UnitContact = nil
			return a
		}(), refusal{codes.InvalidArgument, []string{"agreement.unit_contact.name"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.agreements.CreateAgreement(servicetest.Ctx(t), &pb.CreateAgreementRequest{Agreement: tt.in})
			if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if n := h.count(t, `SELECT count(*) FROM agreements`) + h.count(t, `SELECT count(*) FROM agreement_versions`); n != 0 {
		t.Errorf("%d rows of refused agreements written", n)
	}
}
