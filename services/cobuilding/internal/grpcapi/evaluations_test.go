package grpcapi_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
)

// evaluationsAs is the evaluation API as the caller of the claims.
func (h *harness) evaluationsAs(c devissuer.Claims) pb.EvaluationServiceClient {
	return pb.NewEvaluationServiceClient(h.As(c))
}

// yearEnd is a day the 2026 evaluation is open.
var yearEnd = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func gradeOf(dir pb.EvaluationDirection, community, unit string, g pb.EvaluationGrade) *pb.RecordEvaluationRequest {
	return &pb.RecordEvaluationRequest{Evaluation: &pb.Evaluation{Year: 2026, Direction: dir, CommunityId: community, UnitId: unit,
		Grade: g, Comment: "共建活动开展一般"}}
}

// TestTwoWayEvaluationIsPublishedAndCorrected: a community grades its unit
// and the unit its community; each grade is published with the unit's
// party organisation, a second grade of the same pair and year corrects
// the first, and each write leaves its audit record.
func TestTwoWayEvaluationIsPublishedAndCorrected(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	in := unitOf(tr.community.GetId(), "同江市税务局")
	in.PartyOrganisationId = tr.unitOrg.GetId()
	ur, err := h.units.CreateResidentUnit(servicetest.Ctx(t), &pb.CreateResidentUnitRequest{ResidentUnit: in})
	if err != nil {
		t.Fatal(err)
	}
	u := ur.GetResidentUnit()
	h.agreement(t, tr.community.GetId(), u.GetId(), "2026-01-01", "2026-12-31")
	h.clock.Set(yearEnd)
	ev := h.evaluationsAs(cityAdmin)
	first, err := ev.RecordEvaluation(servicetest.Ctx(t), gradeOf(pb.EvaluationDirection_EVALUATION_DIRECTION_COMMUNITY_TO_UNIT,
		tr.community.GetId(), u.GetId(), pb.EvaluationGrade_EVALUATION_GRADE_ORDINARY))
	if err != nil || first.GetCorrected() {
		t.Fatalf("the community's grade: %v, %v", first, err)
	}
	contact := h.evaluationsAs(devissuer.Claims{Subject: "u-1", Role: auth.UnitContact, ScopeOrgID: tr.community.GetId(), UnitID: u.GetId()})
	if _, err := contact.RecordEvaluation(servicetest.Ctx(t), gradeOf(pb.EvaluationDirection_EVALUATION_DIRECTION_UNIT_TO_COMMUNITY,
		tr.community.GetId(), u.GetId(), pb.EvaluationGrade_EVALUATION_GRADE_GOOD)); err != nil {
		t.Fatalf("the unit's grade of its community: %v", err)
	}
	_, err = contact.RecordEvaluation(servicetest.Ctx(t), gradeOf(pb.EvaluationDirection_EVALUATION_DIRECTION_COMMUNITY_TO_UNIT,
		tr.community.GetId(), u.GetId(), pb.EvaluationGrade_EVALUATION_GRADE_GOOD))
	if got := refusalOf(err).Code; got != codes.PermissionDenied {
		t.Errorf("a unit's contact grading their own unit: %v, want PermissionDenied", got)
	}
	again, err := ev.RecordEvaluation(servicetest.Ctx(t), gradeOf(pb.EvaluationDirection_EVALUATION_DIRECTION_COMMUNITY_TO_UNIT,
		tr.community.GetId(), u.GetId(), pb.EvaluationGrade_EVALUATION_GRADE_FAIRLY_GOOD))
	if err != nil || !again.GetCorrected() || again.GetEvaluation().GetId() != first.GetEvaluation().GetId() || again.GetEvaluation().GetVersion() != 2 {
		t.Fatalf("the correction: %v, %v", again, err)
	}
	evs := waitEvents[*pb.UnitEvaluationPublished](t, h, 3)
	type pub struct {
		Dir       pb.EvaluationDirection
		Grade     pb.EvaluationGrade
		UnitOrg   string
		District  string
		Corrected bool
	}
	var got []pub
	for _, e := range evs {
		got = append(got, pub{e.GetDirection(), e.GetGrade(), e.GetUnitPartyOrganisationId(), e.GetDistrictId(), e.GetCorrected()})
	}
	want := []pub{
		{pb.EvaluationDirection_EVALUATION_DIRECTION_COMMUNITY_TO_UNIT, pb.EvaluationGrade_EVALUATION_GRADE_ORDINARY, tr.unitOrg.GetId(), tr.district.GetId(), false},
		{pb.EvaluationDirection_EVALUATION_DIRECTION_UNIT_TO_COMMUNITY, pb.EvaluationGrade_EVALUATION_GRADE_GOOD, tr.unitOrg.GetId(), tr.district.GetId(), false},
		{pb.EvaluationDirection_EVALUATION_DIRECTION_COMMUNITY_TO_UNIT, pb.EvaluationGrade_EVALUATION_GRADE_FAIRLY_GOOD, tr.unitOrg.GetId(), tr.district.GetId(), true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("published (-want +got):\n%s", diff)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'evaluation' AND action = 'write'`); n != 3 {
		t.Errorf("%d audit records of evaluations, want 3", n)
	}
	list, err := contact.ListEvaluations(servicetest.Ctx(t), &pb.ListEvaluationsRequest{Year: 2026})
	if err != nil || len(list.GetEvaluations()) != 2 {
		t.Errorf("the unit's evaluations: %v, %v; want 2", list, err)
	}
	ordinary, err := ev.ListEvaluations(servicetest.Ctx(t), &pb.ListEvaluationsRequest{AncestorId: tr.district.GetId(),
		Grade: pb.EvaluationGrade_EVALUATION_GRADE_ORDINARY})
	if err != nil || len(ordinary.GetEvaluations()) != 0 {
		t.Errorf("ordinary grades after the correction: %v, %v; want none", ordinary, err)
	}
}

func TestBadEvaluationsAreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	u := h.unit(t, tr.community.GetId(), "同江市税务局")
	stranger := h.unit(t, tr.neighbour.GetId(), "同江市邮政局")
	h.agreement(t, tr.community.GetId(), u.GetId(), "2026-01-01", "2026-12-31")
	ev := h.evaluationsAs(cityAdmin)
	good := pb.EvaluationGrade_EVALUATION_GRADE_GOOD
	toUnit := pb.EvaluationDirection_EVALUATION_DIRECTION_COMMUNITY_TO_UNIT
	_, err := ev.RecordEvaluation(servicetest.Ctx(t), gradeOf(toUnit, tr.community.GetId(), u.GetId(), good))
	if diff := cmp.Diff(refusal{codes.InvalidArgument, []string{"evaluation.year"}}, refusalOf(err)); diff != "" {
		t.Errorf("before the year's end (-want +got):\n%s", diff)
	}
	h.clock.Set(yearEnd)
	for _, tt := range []struct {
		name string
		req  *pb.RecordEvaluationRequest
		want refusal
	}{
		{"a unit the community has no agreement with", gradeOf(toUnit, tr.community.GetId(), stranger.GetId(), good),
			refusal{codes.FailedPrecondition, []string{"evaluation.unit_id"}}},
		{"a year the pair had no agreement in", func() *pb.RecordEvaluationRequest {
			r := gradeOf(toUnit, tr.community.GetId(), u.GetId(), good)
			r.Evaluation.Year = 2025
			return r
		}(), refusal{codes.FailedPrecondition, []string{"evaluation.unit_id"}}},
		{"no grade", gradeOf(toUnit, tr.community.GetId(), u.GetId(), 0), refusal{codes.InvalidArgument, []string{"evaluation.grade"}}},
		{"no direction", gradeOf(0, tr.community.GetId(), u.GetId(), good), refusal{codes.InvalidArgument, []string{"evaluation.direction"}}},
		{"a street for a community", gradeOf(toUnit, tr.street.GetId(), u.GetId(), good),
			refusal{codes.FailedPrecondition, []string{"evaluation.community_id"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ev.RecordEvaluation(servicetest.Ctx(t), tt.req)
			if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if n := h.count(t, `SELECT count(*) FROM evaluations`); n != 0 {
		t.Errorf("%d evaluations written", n)
	}
}
