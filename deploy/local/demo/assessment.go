package demo

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	supv1 "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// The city's assessment (考核评价, 002): each community's task and
// responsibility list for the last quarter that has ended, its evidence
// submitted and reviewed item by item, each district's quarter graded and
// ranked street by street; then the year's commendations the city publishes (七一:
// 11 advanced organisations and 17 advanced individuals of 联学共建),
// proposed from the communities graded in the top band and from the
// members of the communities commended.
const (
	commendedOrgs   = 11
	commendedPeople = 17
	commendTitle    = "联学共建先进党组织和先进个人"
)

// AssessmentSummary says what LoadAssessment made or found.
type AssessmentSummary struct {
	Period                      string
	Lists, Graded, Top, Below60 int
	Organisations, People       int
}

// String describes the assessment in one line.
func (s AssessmentSummary) String() string {
	return fmt.Sprintf("%d task lists of %s graded and ranked (%d in the top band, %d below 60), commendations published: "+
		"%d organisations and %d people", s.Lists, s.Period, s.Top, s.Below60, s.Organisations, s.People)
}

// LoadAssessment loads the districts' quarter of assessment and the year's
// commendations through the supervision service's API (conn) and the
// member service's (members), after Load. What exists is looked up first,
// so a second load creates nothing.
func LoadAssessment(ctx context.Context, conn, members grpc.ClientConnInterface, sum Summary, log *slog.Logger) (AssessmentSummary, error) {
	if sum.plan == nil {
		return AssessmentSummary{}, fmt.Errorf("demo: assessment: the city was not loaded")
	}
	l := &assessLoader{assess: supv1.NewAssessmentServiceClient(conn), commend: supv1.NewCommendationServiceClient(conn),
		members: memberv1.NewMemberServiceClient(members), today: sum.plan.today}
	q := time.Date(l.today.Year(), (l.today.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, -3, 0)
	out := AssessmentSummary{Period: fmt.Sprintf("%d-Q%d", q.Year(), (q.Month()-1)/3+1)}
	start := time.Now()
	var communities []*node
	sum.plan.city.walk(func(n *node) {
		if n.org.GetKind() == orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY {
			communities = append(communities, n)
		}
	})
	r := rand.New(rand.NewPCG(7, 11))
	for _, c := range communities {
		// Most communities do well; a few fall short of the pass mark.
		life, premises := float64(44+r.IntN(17)), 40.0
		if r.IntN(8) == 0 {
			life, premises = float64(20+r.IntN(15)), 0
		}
		if err := l.list(ctx, c, out.Period, q, life, premises); err != nil {
			return out, fmt.Errorf("demo: assessment: %s: %w", c.org.GetName(), err)
		}
		out.Lists++
	}
	var results []*supv1.AssessmentResult
	for _, d := range sum.plan.city.children {
		rs, err := l.grade(ctx, d, out.Period)
		if err != nil {
			return out, fmt.Errorf("demo: assessment: grading %s: %w", d.org.GetName(), err)
		}
		results = append(results, rs...)
	}
	out.Graded = len(results)
	for _, r := range results {
		if r.GetScore() >= 90 {
			out.Top++
		}
		if r.GetScore() < 60 {
			out.Below60++
		}
	}
	if err := l.commendations(ctx, sum.plan.city, results, int32(q.Year()), &out); err != nil {
		return out, fmt.Errorf("demo: commendations: %w", err)
	}
	log.Info("loaded assessment", "took", time.Since(start).Round(time.Millisecond).String())
	return out, nil
}

type assessLoader struct {
	assess  supv1.AssessmentServiceClient
	commend supv1.CommendationServiceClient
	members memberv1.MemberServiceClient
	today   time.Time
}

// list sets a community's list for the period (a task of 60 points and a
// responsibility of 40), submits evidence for each and reviews it with the
// scores given, each step skipped when taken.
func (l *assessLoader) list(ctx context.Context, c *node, period string, q time.Time, life, premises float64) error {
	var list *supv1.TaskList
	err := patiently(ctx, func() error {
		r, err := l.assess.CreateTaskList(ctx, &supv1.CreateTaskListRequest{RequestId: requestID("assess/" + period + "/" + c.id),
			TaskList: &supv1.TaskList{OrganisationId: c.id, Period: period, Title: "社区党建工作任务清单 " + period, Department: "组织部",
				Tasks: []*supv1.Task{
					{Code: "life", Kind: supv1.TaskKind_TASK_KIND_TASK, Title: "三会一课、主题党日按期开展并记录", Weight: 60,
						Scoring: supv1.ScoringMethod_SCORING_METHOD_GRADED, Deadline: q.AddDate(0, 3, -1).Format(time.DateOnly)},
					{Code: "premises", Kind: supv1.TaskKind_TASK_KIND_RESPONSIBILITY, Title: "党群活动中心每个工作日开放", Weight: 40,
						Scoring: supv1.ScoringMethod_SCORING_METHOD_DONE_OR_NOT},
				}}})
		list = r.GetTaskList()
		return err
	})
	if err != nil || list.GetGraded() {
		return err
	}
	ev, err := l.assess.ListTaskEvidence(ctx, &supv1.ListTaskEvidenceRequest{TaskListId: list.GetId()})
	if err != nil {
		return err
	}
	have := map[string]*supv1.TaskEvidence{}
	for _, e := range ev.GetEvidence() {
		have[e.GetTaskCode()] = e
	}
	for code, score := range map[string]float64{"life": life, "premises": premises} {
		e := have[code]
		if e == nil {
			r, err := l.assess.SubmitTaskEvidence(ctx, &supv1.SubmitTaskEvidenceRequest{TaskListId: list.GetId(), TaskCode: code,
				Description: "会议记录、签到表和照片", Reference: "台账-" + code})
			if err != nil {
				return err
			}
			e = r.GetEvidence()
		}
		if e.GetState() == supv1.EvidenceState_EVIDENCE_STATE_SUBMITTED {
			if _, err := l.assess.ReviewTaskEvidence(ctx, &supv1.ReviewTaskEvidenceRequest{Id: e.GetId(), Score: score,
				Note: "逐项核查台账"}); err != nil {
				return err
			}
		}
	}
	return nil
}

// grade grades a district's period (once) and returns its results.
func (l *assessLoader) grade(ctx context.Context, d *node, period string) ([]*supv1.AssessmentResult, error) {
	_, err := l.assess.GradePeriod(ctx, &supv1.GradePeriodRequest{DistrictId: d.id, Period: period})
	if err != nil && status.Code(err) != codes.AlreadyExists {
		return nil, err
	}
	var out []*supv1.AssessmentResult
	for _, s := range append([]*node{d}, d.children...) {
		r, err := l.assess.ListResults(ctx, &supv1.ListResultsRequest{ParentId: s.id, Period: period})
		if err != nil {
			return nil, err
		}
		out = append(out, r.GetResults()...)
	}
	return out, nil
}

// commendations proposes the best communities of the top band and members
// of theirs, approves every proposal and publishes the year's.
func (l *assessLoader) commendations(ctx context.Context, city *node, results []*supv1.AssessmentResult, year int32, out *AssessmentSummary) error {
	slices.SortStableFunc(results, func(a, b *supv1.AssessmentResult) int {
		return cmp.Or(cmp.Compare(b.GetScore(), a.GetScore()), cmp.Compare(a.GetOrganisationId(), b.GetOrganisationId()))
	})
	var orgs []*supv1.AssessmentResult
	for _, r := range results {
		if r.GetScore() >= 90 && len(orgs) < commendedOrgs {
			orgs = append(orgs, r)
		}
	}
	var proposals []*supv1.Commendation
	for _, r := range orgs {
		proposals = append(proposals, &supv1.Commendation{Kind: supv1.CommendationKind_COMMENDATION_KIND_ORGANISATION,
			OrganisationId: r.GetOrganisationId(), Year: year, Reason: "联学共建先进党组织：" + r.GetPeriod() + " 考核 " + r.GetGrade()})
	}
	people := 0
	for i := 0; people < commendedPeople && len(orgs) > 0 && i < 10*commendedPeople; i++ {
		r := orgs[i%len(orgs)]
		ms, err := l.members.ListMembers(ctx, &memberv1.ListMembersRequest{AncestorId: r.GetOrganisationId(), PageSize: 5})
		if err != nil {
			return err
		}
		if n := i / len(orgs); n < len(ms.GetMembers()) {
			m := ms.GetMembers()[n]
			proposals = append(proposals, &supv1.Commendation{Kind: supv1.CommendationKind_COMMENDATION_KIND_INDIVIDUAL,
				OrganisationId: r.GetOrganisationId(), MemberId: m.GetId(), PersonName: m.GetName(), Year: year,
				Reason: "联学共建先进个人：亮身份、作表率，参加联学共建活动"})
			people++
		}
	}
	for _, p := range proposals {
		key := p.GetOrganisationId()
		if p.GetMemberId() != "" {
			key = p.GetMemberId()
		}
		// The supervision service knows a person from the member service's
		// events, which may still be on their way.
		var r *supv1.ProposeCommendationResponse
		err := untilKnown(ctx, time.Now().Add(time.Minute), func() (err error) {
			r, err = l.commend.ProposeCommendation(ctx, &supv1.ProposeCommendationRequest{Commendation: p,
				RequestId: requestID(fmt.Sprintf("commend/%d/%s", year, key))})
			return err
		})
		if err != nil {
			return fmt.Errorf("proposing %s: %w", key, err)
		}
		if c := r.GetCommendation(); c.GetState() == supv1.CommendationState_COMMENDATION_STATE_PROPOSED {
			if _, err := l.commend.DecideCommendation(ctx, &supv1.DecideCommendationRequest{Id: c.GetId(), Approve: true,
				Note: "市委组织部审核通过", Version: c.GetVersion()}); err != nil {
				return fmt.Errorf("approving %s: %w", key, err)
			}
		}
	}
	_, err := l.commend.PublishCommendations(ctx, &supv1.PublishCommendationsRequest{AncestorId: city.id, Year: year, Title: commendTitle})
	if err != nil && status.Code(err) != codes.FailedPrecondition { // nothing approved left: published on an earlier load
		return err
	}
	all, err := l.commend.ListCommendations(ctx, &supv1.ListCommendationsRequest{AncestorId: city.id, Year: year,
		State: supv1.CommendationState_COMMENDATION_STATE_PUBLISHED, PageSize: 500})
	if err != nil {
		return err
	}
	for _, c := range all.GetCommendations() {
		if c.GetKind() == supv1.CommendationKind_COMMENDATION_KIND_ORGANISATION {
			out.Organisations++
		} else {
			out.People++
		}
	}
	return nil
}
