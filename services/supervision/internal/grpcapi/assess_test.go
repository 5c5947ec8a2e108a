package grpcapi_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// assessClients are the assessment APIs as one caller.
type assessClients struct {
	assess  pb.AssessmentServiceClient
	commend pb.CommendationServiceClient
}

func (h *harness) assessing(c devissuer.Claims) assessClients {
	conn := h.as(c)
	return assessClients{pb.NewAssessmentServiceClient(conn), pb.NewCommendationServiceClient(conn)}
}

// twoTasks is a list of a graded task of 60 points and a done-or-not
// responsibility of 40.
func twoTasks(o *orgv1.Organisation, period string) *pb.TaskList {
	return &pb.TaskList{OrganisationId: o.GetId(), Period: period, Title: "Community party building " + period,
		Department: "组织部", Tasks: []*pb.Task{
			{Code: "life", Kind: pb.TaskKind_TASK_KIND_TASK, Title: "三会一课 held and recorded", Weight: 60,
				Scoring: pb.ScoringMethod_SCORING_METHOD_GRADED},
			{Code: "premises", Kind: pb.TaskKind_TASK_KIND_RESPONSIBILITY, Title: "premises open every working day", Weight: 40,
				Scoring: pb.ScoringMethod_SCORING_METHOD_DONE_OR_NOT},
		}}
}

// scored sets an organisation's list for a period and scores its tasks
// through evidence submitted by its secretary and reviewed by the
// district's administrator.
func (h *harness) scored(t *testing.T, district, o *orgv1.Organisation, period string, life, premises float64) *pb.TaskList {
	t.Helper()
	return h.scoredBy(t, districtAdmin(district), o, period, life, premises)
}

// scoredBy is scored with the list set and reviewed by assessor.
func (h *harness) scoredBy(t *testing.T, assessor devissuer.Claims, o *orgv1.Organisation, period string, life, premises float64) *pb.TaskList {
	t.Helper()
	ctx := servicetest.Ctx(t)
	admin := h.assessing(assessor)
	l, err := admin.assess.CreateTaskList(ctx, &pb.CreateTaskListRequest{TaskList: twoTasks(o, period)})
	if err != nil {
		t.Fatal(err)
	}
	for code, score := range map[string]float64{"life": life, "premises": premises} {
		e, err := h.assessing(secretary(o)).assess.SubmitTaskEvidence(ctx, &pb.SubmitTaskEvidenceRequest{
			TaskListId: l.GetTaskList().GetId(), TaskCode: code, Description: "minutes and photos", Reference: "doc-" + code})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.assess.ReviewTaskEvidence(ctx, &pb.ReviewTaskEvidenceRequest{Id: e.GetEvidence().GetId(), Score: score,
			Note: "checked on site"}); err != nil {
			t.Fatal(err)
		}
	}
	return l.GetTaskList()
}

// TestAssessmentScoresGradesRanksAndFeedsTheRules follows a street's four
// communities through two quarters: lists, evidence reviewed item by item,
// daily records, grading once the quarter has ended, grades by the
// district's bands, ranks, and what the shipped rules make of the results
// (below 60 → interview and item; twice in the bottom two → barred from
// commendation); then the commendations proposed from the results,
// decided and published, and the rankings on the dashboard.
func TestAssessmentScoresGradesRanksAndFeedsTheRules(t *testing.T) {
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

	t.Run("bad lists are refused with the field named", func(t *testing.T) {
		l := twoTasks(a, "2026-Q1")
		l.Tasks[1].Weight = 30
		_, err := admin.assess.CreateTaskList(ctx, &pb.CreateTaskListRequest{TaskList: l})
		if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"task_list.tasks"}) {
			t.Errorf("weights summing to 90: %+v", got)
		}
		l = twoTasks(a, "2026-Q1")
		l.Tasks[0].Deadline = "2026-05-01"
		_, err = admin.assess.CreateTaskList(ctx, &pb.CreateTaskListRequest{TaskList: l})
		if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"task_list.tasks[0].deadline"}) {
			t.Errorf("a deadline outside the quarter: %+v", got)
		}
		_, err = h.assessing(districtAdmin(c.other)).assess.CreateTaskList(ctx, &pb.CreateTaskListRequest{TaskList: twoTasks(a, "2026-Q1")})
		if got := servicetest.RefusalOf(err).Code; got != codes.NotFound {
			t.Errorf("another district's administrator: %v", got)
		}
	})

	// Q1: A 55+40, B 50+40, C 30+0, D 40+0; A loses 5 daily points.
	la := h.scored(t, c.district, a, "2026-Q1", 55, 40)
	h.scored(t, c.district, b, "2026-Q1", 50, 40)
	h.scored(t, c.district, cc, "2026-Q1", 30, 0)
	h.scored(t, c.district, d, "2026-Q1", 40, 0)
	if _, err := admin.assess.RecordDailyEntry(ctx, &pb.RecordDailyEntryRequest{Entry: &pb.DailyEntry{OrganisationId: a.GetId(),
		Day: "2026-03-02", Points: -5, Note: "activity room closed on a working day"}}); err != nil {
		t.Fatal(err)
	}

	t.Run("evidence and reviews are checked", func(t *testing.T) {
		_, err := admin.assess.CreateTaskList(ctx, &pb.CreateTaskListRequest{TaskList: twoTasks(a, "2026-Q1")})
		if got := servicetest.RefusalOf(err); got.Code != codes.AlreadyExists || !slices.Equal(got.Fields, []string{"task_list.period"}) {
			t.Errorf("a second list for the quarter: %+v", got)
		}
		_, err = h.assessing(secretary(b)).assess.SubmitTaskEvidence(ctx, &pb.SubmitTaskEvidenceRequest{TaskListId: la.GetId(),
			TaskCode: "life", Description: "ours"})
		if got := servicetest.RefusalOf(err).Code; got != codes.NotFound {
			t.Errorf("evidence for another community's task: %v", got)
		}
		_, err = h.assessing(secretary(a)).assess.SubmitTaskEvidence(ctx, &pb.SubmitTaskEvidenceRequest{TaskListId: la.GetId(),
			TaskCode: "no-such-task", Description: "minutes"})
		if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"task_code"}) {
			t.Errorf("evidence for a task not on the list: %+v", got)
		}
		e, err := h.assessing(secretary(a)).assess.SubmitTaskEvidence(ctx, &pb.SubmitTaskEvidenceRequest{TaskListId: la.GetId(),
			TaskCode: "premises", Description: "the opening hours posted"})
		if err != nil {
			t.Fatal(err)
		}
		for name, req := range map[string]*pb.ReviewTaskEvidenceRequest{
			"a score above the weight": {Id: e.GetEvidence().GetId(), Score: 45, Note: "more than due"},
			"half of a done-or-not":    {Id: e.GetEvidence().GetId(), Score: 20, Note: "half open"},
		} {
			_, err := admin.assess.ReviewTaskEvidence(ctx, req)
			if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"score"}) {
				t.Errorf("%s: %+v", name, got)
			}
		}
		_, err = admin.assess.GradePeriod(ctx, &pb.GradePeriodRequest{DistrictId: c.district.GetId(), Period: "2026-Q1"})
		if got := servicetest.RefusalOf(err); got.Code != codes.FailedPrecondition || got.Reason != "PERIOD_OPEN" || !slices.Equal(got.Fields, []string{"period"}) {
			t.Errorf("grading before the quarter ended: %+v", got)
		}
		clk.Set(time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC))
		_, err = admin.assess.GradePeriod(ctx, &pb.GradePeriodRequest{DistrictId: c.district.GetId(), Period: "2026-Q1"})
		if got := servicetest.RefusalOf(err); got.Code != codes.FailedPrecondition || got.Reason != "UNREVIEWED_EVIDENCE" {
			t.Errorf("grading with evidence waiting: %+v", got)
		}
		if _, err := admin.assess.ReviewTaskEvidence(ctx, &pb.ReviewTaskEvidenceRequest{Id: e.GetEvidence().GetId(), Score: 40,
			Note: "open as posted"}); err != nil {
			t.Fatal(err)
		}
	})

	graded, err := admin.assess.GradePeriod(ctx, &pb.GradePeriodRequest{DistrictId: c.district.GetId(), Period: "2026-Q1"})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name, grade    string
		score          float64
		rank, bottom2s int32
	}
	rows := func(rs []*pb.AssessmentResult) []row {
		var out []row
		for _, r := range rs {
			out = append(out, row{r.GetName(), r.GetGrade(), r.GetScore(), r.GetRank(), r.GetBottomTwoCount()})
		}
		return out
	}
	// Score = tasks × 70% + daily × 30%: A 95×.7+95×.3, B 90×.7+100×.3…
	want := []row{{"A", "优秀", 95, 1, 0}, {"B", "优秀", 93, 2, 0}, {"D", "不合格", 58, 3, 1}, {"C", "不合格", 51, 4, 1}}
	if got := rows(graded.GetResults()); !slices.Equal(got, want) {
		t.Errorf("Q1 results %v, want %v", got, want)
	}
	t.Run("a period is graded once and its lists close", func(t *testing.T) {
		_, err := admin.assess.GradePeriod(ctx, &pb.GradePeriodRequest{DistrictId: c.district.GetId(), Period: "2026-Q1"})
		if got := servicetest.RefusalOf(err).Code; got != codes.AlreadyExists {
			t.Errorf("grading again: %v", got)
		}
		_, err = h.assessing(secretary(a)).assess.SubmitTaskEvidence(ctx, &pb.SubmitTaskEvidenceRequest{TaskListId: la.GetId(),
			TaskCode: "life", Description: "late minutes"})
		if got := servicetest.RefusalOf(err); got.Code != codes.FailedPrecondition || got.Reason != "PERIOD_GRADED" {
			t.Errorf("evidence after grading: %+v", got)
		}
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'assessment_result'`); n != 4 {
			t.Errorf("%d audit records of results, want 4", n)
		}
	})

	t.Run("below 60 points: an interview and an item, once", func(t *testing.T) {
		for _, o := range []*orgv1.Organisation{cc, d} {
			if n := h.count(t, `SELECT count(*) FROM findings WHERE rule_code = 'assessment_below_pass' AND organisation_id = $1 AND period = '2026-Q1'`, o.GetId()); n != 1 {
				t.Errorf("%s: %d findings", o.GetName(), n)
			}
			if n := h.count(t, `SELECT count(*) FROM interviews WHERE organisation_id = $1`, o.GetId()); n != 1 {
				t.Errorf("%s: %d interviews", o.GetName(), n)
			}
			if n := h.count(t, `SELECT count(*) FROM items WHERE organisation_id = $1 AND rule_code = 'assessment_below_pass'`, o.GetId()); n != 1 {
				t.Errorf("%s: %d items", o.GetName(), n)
			}
		}
		if n := h.count(t, `SELECT count(*) FROM findings WHERE rule_code LIKE 'assessment%' AND organisation_id = ANY($1::uuid[])`,
			[]string{a.GetId(), b.GetId()}); n != 0 {
			t.Errorf("%d findings of A and B", n)
		}
		if _, err := h.Service.Rules.Sweep(ctx, c.district.GetId()); err != nil {
			t.Fatal(err)
		}
		if n := h.count(t, `SELECT count(*) FROM findings WHERE rule_code LIKE 'assessment%'`); n != 2 {
			t.Errorf("%d assessment findings after a sweep, want the 2 made at grading", n)
		}
	})

	// Q2: C and D in the bottom two again, so twice in the year.
	for i, o := range comms {
		h.scored(t, c.district, o, "2026-Q2", float64(60-10*i), 40)
	}
	clk.Set(time.Date(2026, 7, 3, 9, 0, 0, 0, time.UTC))
	graded, err = admin.assess.GradePeriod(ctx, &pb.GradePeriodRequest{DistrictId: c.district.GetId(), Period: "2026-Q2"})
	if err != nil {
		t.Fatal(err)
	}
	want = []row{{"A", "优秀", 100, 1, 0}, {"B", "优秀", 93, 2, 0}, {"C", "良好", 86, 3, 2}, {"D", "合格", 79, 4, 2}}
	if got := rows(graded.GetResults()); !slices.Equal(got, want) {
		t.Errorf("Q2 results %v, want %v", got, want)
	}
	t.Run("twice in the bottom two: barred from commendation", func(t *testing.T) {
		if n := h.count(t, `SELECT count(*) FROM commendation_bars WHERE year = 2026 AND organisation_id = ANY($1::uuid[])`,
			[]string{cc.GetId(), d.GetId()}); n != 2 {
			t.Errorf("%d bars, want C's and D's", n)
		}
		_, err := admin.commend.ProposeCommendation(ctx, &pb.ProposeCommendationRequest{Commendation: &pb.Commendation{
			Kind: pb.CommendationKind_COMMENDATION_KIND_ORGANISATION, OrganisationId: cc.GetId(), Year: 2026, Reason: "improved"}})
		if got := servicetest.RefusalOf(err); got.Code != codes.FailedPrecondition || got.Reason != "BARRED" {
			t.Errorf("proposing a barred organisation: %+v", got)
		}
	})

	t.Run("commendations are proposed from the results, decided and published", func(t *testing.T) {
		org := func(o *orgv1.Organisation) *pb.Commendation {
			return &pb.Commendation{Kind: pb.CommendationKind_COMMENDATION_KIND_ORGANISATION, OrganisationId: o.GetId(), Year: 2026,
				Reason: "联学共建先进党组织"}
		}
		pa, err := admin.commend.ProposeCommendation(ctx, &pb.ProposeCommendationRequest{Commendation: org(a)})
		if err != nil {
			t.Fatal(err)
		}
		if got := pa.GetCommendation(); got.GetPeriod() != "2026-Q2" || got.GetGrade() != "优秀" || got.GetRank() != 1 {
			t.Errorf("A proposed from %s %s rank %d", got.GetPeriod(), got.GetGrade(), got.GetRank())
		}
		_, err = admin.commend.ProposeCommendation(ctx, &pb.ProposeCommendationRequest{Commendation: org(a)})
		if got := servicetest.RefusalOf(err); got.Code != codes.AlreadyExists || !slices.Equal(got.Fields, []string{"commendation.organisation_id"}) {
			t.Errorf("A proposed twice: %+v", got)
		}
		_, err = h.assessing(cityAdmin).commend.ProposeCommendation(ctx, &pb.ProposeCommendationRequest{Commendation: org(c.otherCommunity)})
		if got := servicetest.RefusalOf(err); got.Code != codes.FailedPrecondition || got.Reason != "NOT_IN_TOP_BAND" {
			t.Errorf("an organisation never graded: %+v", got)
		}
		// A person is a member of the organisation, as the member
		// service's events told it: an id it never announced (not found),
		// and a member of another organisation, are refused naming the
		// member.
		ofB, elsewhere := h.memberIn(t, b), h.memberIn(t, c.otherCommunity)
		person := &pb.Commendation{Kind: pb.CommendationKind_COMMENDATION_KIND_INDIVIDUAL, OrganisationId: b.GetId(),
			MemberId: ofB, Year: 2026, Reason: "联学共建先进个人"}
		_, err = admin.commend.ProposeCommendation(ctx, &pb.ProposeCommendationRequest{Commendation: person})
		if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"commendation.person_name"}) {
			t.Errorf("a person without a name: %+v", got)
		}
		person.PersonName = "李梅"
		for id, want := range map[string]codes.Code{uuid.NewString(): codes.NotFound, elsewhere: codes.InvalidArgument} {
			stranger := proto.Clone(person).(*pb.Commendation)
			stranger.MemberId = id
			_, err = h.assessing(cityAdmin).commend.ProposeCommendation(ctx, &pb.ProposeCommendationRequest{Commendation: stranger})
			if got := servicetest.RefusalOf(err); got.Code != want || !slices.Equal(got.Fields, []string{"commendation.member_id"}) {
				t.Errorf("a person who is no member of B: %+v, want %v", got, want)
			}
		}
		pp, err := admin.commend.ProposeCommendation(ctx, &pb.ProposeCommendationRequest{Commendation: person})
		if err != nil {
			t.Fatal(err)
		}
		pb2, err := admin.commend.ProposeCommendation(ctx, &pb.ProposeCommendationRequest{Commendation: org(b)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = admin.commend.DecideCommendation(ctx, &pb.DecideCommendationRequest{Id: pa.GetCommendation().GetId(), Approve: true})
		if got := servicetest.RefusalOf(err).Code; got != codes.PermissionDenied {
			t.Errorf("a district deciding: %v", got)
		}
		city := h.assessing(cityAdmin)
		_, err = city.commend.DecideCommendation(ctx, &pb.DecideCommendationRequest{Id: pb2.GetCommendation().GetId()})
		if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"note"}) {
			t.Errorf("a rejection without its reason: %+v", got)
		}
		for _, dec := range []*pb.DecideCommendationRequest{
			{Id: pa.GetCommendation().GetId(), Approve: true, Version: 1},
			{Id: pp.GetCommendation().GetId(), Approve: true},
			{Id: pb2.GetCommendation().GetId(), Note: "one organisation per street this year"},
		} {
			if _, err := city.commend.DecideCommendation(ctx, dec); err != nil {
				t.Fatal(err)
			}
		}
		pub, err := city.commend.PublishCommendations(ctx, &pb.PublishCommendationsRequest{Year: 2026, Title: "七一 联学共建表彰"})
		if err != nil {
			t.Fatal(err)
		}
		if pub.GetOrganisations() != 1 || pub.GetIndividuals() != 1 {
			t.Errorf("published %d organisations and %d people", pub.GetOrganisations(), pub.GetIndividuals())
		}
		_, err = city.commend.PublishCommendations(ctx, &pb.PublishCommendationsRequest{Year: 2026, Title: "again"})
		if got := servicetest.RefusalOf(err); got.Code != codes.FailedPrecondition || got.Reason != "NOTHING_APPROVED" {
			t.Errorf("publishing nothing: %+v", got)
		}
		list, err := h.assessing(secretary(b)).commend.ListCommendations(ctx, &pb.ListCommendationsRequest{Year: 2026})
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]pb.CommendationState{}
		for _, cm := range list.GetCommendations() {
			states[cm.GetKind().String()] = cm.GetState()
		}
		if len(list.GetCommendations()) != 2 || states["COMMENDATION_KIND_INDIVIDUAL"] != pb.CommendationState_COMMENDATION_STATE_PUBLISHED ||
			states["COMMENDATION_KIND_ORGANISATION"] != pb.CommendationState_COMMENDATION_STATE_REJECTED {
			t.Errorf("B's secretary sees %v", list.GetCommendations())
		}
		servicetest.EventsUntil(t, h.Stream, "the publication", func(evs []servicetest.Event) bool {
			n := 0
			for _, e := range evs {
				if e.Subject == "gongjian.supervision.v1.commendation_published" {
					n++
				}
			}
			return n == 2
		})
	})

	t.Run("results and rankings within reach, and on the dashboard", func(t *testing.T) {
		own, err := h.assessing(secretary(a)).assess.ListResults(ctx, &pb.ListResultsRequest{OrganisationId: a.GetId()})
		if err != nil || len(own.GetResults()) != 2 || own.GetResults()[0].GetPeriod() != "2026-Q2" {
			t.Errorf("A's secretary's results: %v, %v", own.GetResults(), err)
		}
		_, err = h.assessing(secretary(a)).assess.ListResults(ctx, &pb.ListResultsRequest{ParentId: c.street.GetId()})
		if got := servicetest.RefusalOf(err).Code; got != codes.NotFound {
			t.Errorf("a secretary reading the street's ranking: %v", got)
		}
		dash := pb.NewDashboardServiceClient(h.as(districtAdmin(c.district)))
		for period, names := range map[string][]string{"": {"A", "B", "C", "D"}, "2026-Q1": {"A", "B", "D", "C"}} {
			got, err := dash.GetDashboard(ctx, &pb.GetDashboardRequest{OrganisationId: c.street.GetId(), AssessmentPeriod: period})
			if err != nil {
				t.Fatal(err)
			}
			var ranked []string
			for _, r := range got.GetRankings() {
				ranked = append(ranked, r.GetName())
			}
			if !slices.Equal(ranked, names) || (period == "" && got.GetAssessmentPeriod() != "2026-Q2") {
				t.Errorf("the street's rankings of %q: %v of %s", period, ranked, got.GetAssessmentPeriod())
			}
		}
	})
}

// TestTheCityRanksTheDistricts: a district's own list is set and reviewed
// from above — by the city, which grades the districts together and ranks
// them on its dashboard; a district's grading leaves its own list alone.
func TestTheCityRanksTheDistricts(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	h.known(t, c.district, c.other)
	ctx := servicetest.Ctx(t)

	_, err := h.assessing(districtAdmin(c.district)).assess.CreateTaskList(ctx, &pb.CreateTaskListRequest{TaskList: twoTasks(c.district, "2026-Q1")})
	if got := servicetest.RefusalOf(err); got.Code != codes.PermissionDenied || got.Reason != "OWN_ORGANISATION" {
		t.Errorf("a district setting its own list: %+v", got)
	}
	h.scoredBy(t, cityAdmin, c.district, "2026-Q1", 50, 40)
	h.scoredBy(t, cityAdmin, c.other, "2026-Q1", 60, 40)
	clk.Set(time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC))
	_, err = h.assessing(districtAdmin(c.district)).assess.GradePeriod(ctx, &pb.GradePeriodRequest{DistrictId: c.district.GetId(), Period: "2026-Q1"})
	if got := servicetest.RefusalOf(err); got.Code != codes.FailedPrecondition || got.Reason != "NOTHING_TO_GRADE" {
		t.Errorf("the district's grading took its own list: %+v", got)
	}
	_, err = h.assessing(districtAdmin(c.district)).assess.GradePeriod(ctx, &pb.GradePeriodRequest{DistrictId: c.city.GetId(), Period: "2026-Q1"})
	if got := servicetest.RefusalOf(err).Code; got != codes.NotFound {
		t.Errorf("a district grading the city: %v", got)
	}
	graded, err := h.assessing(cityAdmin).assess.GradePeriod(ctx, &pb.GradePeriodRequest{DistrictId: c.city.GetId(), Period: "2026-Q1"})
	if err != nil {
		t.Fatal(err)
	}
	dash, err := pb.NewDashboardServiceClient(h.as(cityAdmin)).GetDashboard(ctx, &pb.GetDashboardRequest{OrganisationId: c.city.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	for name, rs := range map[string][]*pb.AssessmentResult{"graded": graded.GetResults(), "on the dashboard": dash.GetRankings()} {
		if len(rs) != 2 || rs[0].GetOrganisationId() != c.other.GetId() || rs[0].GetRank() != 1 || rs[1].GetRank() != 2 ||
			rs[1].GetParentId() != c.city.GetId() {
			t.Errorf("%s: %v", name, rs)
		}
	}
}

// TestAPeriodIsGradedOnceWhoeverGradesIt: administrators grading the same
// period at once get one grading — one result per organisation, one event
// each — and every other caller is told it is graded already.
func TestAPeriodIsGradedOnceWhoeverGradesIt(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	var comms []*orgv1.Organisation
	for i := range 5 {
		comms = append(comms, h.created(t, c.street, kindCommunity, fmt.Sprintf("Community %d", i), "2020-01-01"))
	}
	h.known(t, comms...)
	for i, o := range comms {
		h.scored(t, c.district, o, "2026-Q1", float64(10*i), 40)
	}
	clk.Set(time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC))
	codesSeen := make([]codes.Code, 6)
	var wg sync.WaitGroup
	for i := range codesSeen {
		wg.Go(func() {
			_, err := h.assessing(districtAdmin(c.district)).assess.GradePeriod(servicetest.Ctx(t),
				&pb.GradePeriodRequest{DistrictId: c.district.GetId(), Period: "2026-Q1"})
			codesSeen[i] = servicetest.RefusalOf(err).Code
		})
	}
	wg.Wait()
	slices.Sort(codesSeen)
	if want := []codes.Code{codes.OK, codes.AlreadyExists, codes.AlreadyExists, codes.AlreadyExists, codes.AlreadyExists, codes.AlreadyExists}; !slices.Equal(codesSeen, want) {
		t.Errorf("the gradings answered %v, want one OK", codesSeen)
	}
	if n := h.count(t, `SELECT count(*) FROM assessment_results`); n != 5 {
		t.Errorf("%d results", n)
	}
	servicetest.EventsUntil(t, h.Stream, "one AssessmentGraded per community", func(evs []servicetest.Event) bool {
		n := 0
		for _, e := range evs {
			if e.Subject == "gongjian.supervision.v1.assessment_graded" {
				n++
			}
		}
		return n == 5
	})
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'assessment_result'`); n != 5 {
		t.Errorf("%d audit records of results", n)
	}
}

// memberIn publishes a member of the organisation, as the member service
// would, and waits until the service knows them.
func (h *harness) memberIn(t *testing.T, o *orgv1.Organisation) string {
	t.Helper()
	m := &memberv1.Member{Id: uuid.NewString(), Name: "Member", OrganisationId: o.GetId()}
	id := uuid.NewString()
	h.publish(t, "gongjian.member.v1.member_registered", &memberv1.MemberRegistered{EventId: id,
		OccurTime: timestamppb.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)), Member: m}, id)
	servicetest.WaitFor(t, "the member's facts", func() bool {
		return h.count(t, `SELECT count(*) FROM member_facts WHERE member_id = $1`, m.GetId()) == 1
	})
	return m.GetId()
}
