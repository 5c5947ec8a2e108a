package grpcapi_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/servicetest"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// TestACorrectedResultIsANewVersionTheRulesSee grades a street's four
// communities, then corrects one result: a new version with its reason
// (the first kept), its peers ranked again (a peer whose rank changed gets
// a version too), an event and an audit record each, and the rules
// judging the corrected grade — below 60 now, so an interview and an item.
func TestACorrectedResultIsANewVersionTheRulesSee(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	var comms []*orgv1.Organisation
	for _, name := range []string{"A", "B", "C", "D"} {
		comms = append(comms, h.created(t, c.street, kindCommunity, name, "2020-01-01"))
	}
	h.known(t, comms...)
	a, b, cc, d := comms[0], comms[1], comms[2], comms[3]
	ctx := servicetest.Ctx(t)
	admin := h.assessing(districtAdmin(c.district))
	h.scored(t, c.district, a, "2026-Q1", 55, 40)
	h.scored(t, c.district, b, "2026-Q1", 50, 40)
	h.scored(t, c.district, cc, "2026-Q1", 30, 0)
	h.scored(t, c.district, d, "2026-Q1", 40, 0)
	clk.Set(time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC))
	if _, err := admin.assess.GradePeriod(ctx, &pb.GradePeriodRequest{DistrictId: c.district.GetId(), Period: "2026-Q1"}); err != nil {
		t.Fatal(err)
	}
	// As graded: A 95, B 93, D 58 (bottom two), C 51 (bottom two).
	belowPass := `SELECT count(*) FROM findings WHERE rule_code = 'assessment_below_pass' AND organisation_id = $1`
	if n := h.count(t, belowPass, b.GetId()); n != 0 {
		t.Fatalf("B graded 93 has %d below-pass findings", n)
	}
	correct := &pb.CorrectResultRequest{OrganisationId: b.GetId(), Period: "2026-Q1", TaskScore: 30, DailyScore: 100,
		Reason: "the minutes of two meetings were found copied", Version: 1}

	t.Run("refused to whoever may not, and to bad input", func(t *testing.T) {
		_, err := h.assessing(secretary(b)).assess.CorrectResult(ctx, correct)
		if got := servicetest.RefusalOf(err).Code; got != codes.PermissionDenied {
			t.Errorf("the community's own secretary: %v", got)
		}
		_, err = h.assessing(districtAdmin(c.other)).assess.CorrectResult(ctx, correct)
		if got := servicetest.RefusalOf(err).Code; got != codes.NotFound {
			t.Errorf("another district's administrator: %v", got)
		}
		bad := proto.Clone(correct).(*pb.CorrectResultRequest)
		bad.Reason = ""
		_, err = admin.assess.CorrectResult(ctx, bad)
		if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"reason"}) {
			t.Errorf("no reason: %+v", got)
		}
		bad = proto.Clone(correct).(*pb.CorrectResultRequest)
		bad.Version = 2
		_, err = admin.assess.CorrectResult(ctx, bad)
		if got := servicetest.RefusalOf(err).Code; got != codes.Aborted {
			t.Errorf("a stale version: %v", got)
		}
		bad = proto.Clone(correct).(*pb.CorrectResultRequest)
		bad.Period = "2026-Q2"
		_, err = admin.assess.CorrectResult(ctx, bad)
		if got := servicetest.RefusalOf(err).Code; got != codes.NotFound {
			t.Errorf("a period not graded: %v", got)
		}
	})

	got, err := admin.assess.CorrectResult(ctx, correct)
	if err != nil {
		t.Fatal(err)
	}
	// B: 30×.7 + 100×.3 = 51, shares C's rank 3; D rises to 2.
	r := got.GetResult()
	if r.GetScore() != 51 || r.GetGrade() != "不合格" || r.GetRank() != 3 || !r.GetBottomTwo() || r.GetBottomTwoCount() != 1 ||
		r.GetVersion() != 2 || r.GetCorrectionReason() != correct.Reason {
		t.Errorf("the corrected result: %+v", r)
	}
	type ranked struct {
		org           string
		rank, version int32
		bottomTwo     bool
		count         int32
	}
	var reranked []ranked
	for _, r := range got.GetReranked() {
		reranked = append(reranked, ranked{r.GetOrganisationId(), r.GetRank(), r.GetVersion(), r.GetBottomTwo(), r.GetBottomTwoCount()})
	}
	// D leaves the bottom two; C, level with B now, shares its rank.
	if want := []ranked{{d.GetId(), 2, 2, false, 0}, {cc.GetId(), 3, 2, true, 1}}; !slices.Equal(reranked, want) {
		t.Errorf("re-ranked %v, want %v", reranked, want)
	}

	t.Run("every version is kept, the latest first", func(t *testing.T) {
		vs, err := h.assessing(secretary(b)).assess.ListResultVersions(ctx, &pb.ListResultVersionsRequest{OrganisationId: b.GetId(), Period: "2026-Q1"})
		if err != nil {
			t.Fatal(err)
		}
		var scores []float64
		for _, v := range vs.GetVersions() {
			scores = append(scores, v.GetScore())
		}
		if !slices.Equal(scores, []float64{51, 93}) || vs.GetVersions()[1].GetCorrectionReason() != "" {
			t.Errorf("versions' scores %v, want [51 93]", scores)
		}
		if _, err := h.Pool.Exec(ctx, `UPDATE assessment_result_versions SET score = 100`); err == nil {
			t.Error("a version was edited")
		}
	})
	t.Run("the rules judge the corrected grade, once", func(t *testing.T) {
		if n := h.count(t, belowPass, b.GetId()); n != 1 {
			t.Errorf("%d below-pass findings of B, want 1", n)
		}
		if n := h.count(t, `SELECT count(*) FROM findings WHERE rule_code = 'assessment_below_pass' AND organisation_id = $1
			AND (facts->>'version')::int = 2 AND (facts->>'score')::float = 51`, b.GetId()); n != 1 {
			t.Errorf("the finding does not record the corrected version's facts")
		}
		if n := h.count(t, `SELECT count(*) FROM interviews WHERE organisation_id = $1`, b.GetId()); n != 1 {
			t.Errorf("%d interviews of B, want 1", n)
		}
	})
	t.Run("an event and an audit record per new version", func(t *testing.T) {
		servicetest.EventsUntil(t, h.Stream, "the corrections of B, C and D", func(evs []servicetest.Event) bool {
			var orgs []string
			for _, e := range evs {
				if m, ok := e.Payload.(*pb.AssessmentResultCorrected); ok && m.GetPrevious().GetVersion() == 1 {
					orgs = append(orgs, m.GetResult().GetOrganisationId())
				}
			}
			slices.Sort(orgs)
			want := []string{b.GetId(), cc.GetId(), d.GetId()}
			slices.Sort(want)
			return slices.Equal(orgs, want)
		})
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'assessment_result' AND before IS NOT NULL`); n != 3 {
			t.Errorf("%d audit records with the version before, want 3", n)
		}
	})
}
