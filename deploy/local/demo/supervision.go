package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	supv1 "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// The supervision of Tongjiang (督查考核, 002): this quarter's inspection
// round with its six roving groups (六个巡回督查组), each covering a share of
// the district's communities with its own inspector; and the items the
// missed-activity rule opened for last quarter's misses across the city,
// some of them answered: the first made up with a late concentrated
// activity, its evidence submitted and accepted (销号办结), the second the
// same and then reopened by a later check (回头看). The rest stay open, due
// thirty days from the day the quarter could first be judged (after
// fifteen days' grace), and so overdue from the forty-sixth day of a
// quarter. Two groups record what they found on their visits: the first
// group's finding typed in from its paper record weeks after the visit,
// its item due counting from the visit and so already overdue (and
// escalated by the sweep) from the sixteenth day of a quarter; the second
// group's on the spot today.
const (
	supGroups     = 6
	supClosed     = 2 // items closed with evidence, the last of them reopened
	supInspectors = "inspector-tj-"
)

// SupervisionSummary says what LoadSupervision made or found.
type SupervisionSummary struct {
	Groups, Covered, MissedItems, Closed, Reopened int
	// MissedOverdue of the missed-activity items still open past their
	// deadline when loaded.
	MissedOverdue int
	// Findings the groups recorded on their visits; Overdue of their items
	// past the deadline when loaded.
	Findings, Overdue int
}

// String describes the supervision in one line.
func (s SupervisionSummary) String() string {
	return fmt.Sprintf("an inspection round with %d roving groups covering %d communities and %d findings of their visits "+
		"(%d overdue), %d items for missed quarterly activities (%d closed with evidence, %d of them reopened, %d overdue)",
		s.Groups, s.Covered, s.Findings, s.Overdue, s.MissedItems, s.Closed, s.Reopened, s.MissedOverdue)
}

// LoadSupervision loads Tongjiang's round and answers some of the items of
// last quarter's missed activities through the supervision service's API
// (conn) and the organisation service's (orgs), after Load. What exists is
// looked up first, so a second load creates nothing.
func LoadSupervision(ctx context.Context, conn, orgs grpc.ClientConnInterface, sum Summary, log *slog.Logger) (SupervisionSummary, error) {
	if sum.plan == nil {
		return SupervisionSummary{}, errors.New("demo: supervision: the city was not loaded")
	}
	var tj *node
	for _, d := range sum.plan.city.children {
		if d.key == "tj" {
			tj = d
		}
	}
	if tj == nil {
		return SupervisionSummary{}, errors.New("demo: supervision: the plan has no Tongjiang")
	}
	l := &supLoader{inspection: supv1.NewInspectionServiceClient(conn), rules: supv1.NewRuleServiceClient(conn),
		items: supv1.NewRectificationServiceClient(conn), orgs: orgv1.NewOrganisationServiceClient(orgs), today: sum.plan.today}
	start := time.Now()
	var out SupervisionSummary
	if err := l.round(ctx, tj, &out); err != nil {
		return out, fmt.Errorf("demo: supervision: round: %w", err)
	}
	if err := l.answer(ctx, sum.plan.city, &out); err != nil {
		return out, fmt.Errorf("demo: supervision: items: %w", err)
	}
	log.Info("loaded supervision", "took", time.Since(start).Round(time.Millisecond).String())
	return out, nil
}

type supLoader struct {
	inspection supv1.InspectionServiceClient
	rules      supv1.RuleServiceClient
	items      supv1.RectificationServiceClient
	orgs       orgv1.OrganisationServiceClient
	today      time.Time
}

// patiently calls f until it stops answering that what it names is not
// known yet (the supervision service learns the tree from events), for at
// most a minute.
func patiently(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := f()
		c := status.Code(err)
		if (c != codes.NotFound && c != codes.FailedPrecondition && c != codes.InvalidArgument) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// round makes this quarter's round in Tongjiang with its six groups, the
// communities dealt among them in turn.
func (l *supLoader) round(ctx context.Context, tj *node, out *SupervisionSummary) error {
	var communities []string
	tj.walk(func(n *node) {
		if n.org.GetKind() == orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY {
			communities = append(communities, n.id)
		}
	})
	year, quarter := int32(l.today.Year()), int32((l.today.Month()-1)/3+1)
	rounds, err := l.inspection.ListRounds(ctx, &supv1.ListRoundsRequest{DistrictId: tj.id})
	if err != nil {
		return err
	}
	var round *supv1.InspectionRound
	for _, r := range rounds.GetRounds() {
		if r.GetYear() == year && r.GetQuarter() == quarter {
			round = r
		}
	}
	if round == nil {
		err := patiently(ctx, func() error {
			resp, err := l.inspection.CreateRound(ctx, &supv1.CreateRoundRequest{Round: &supv1.InspectionRound{
				DistrictId: tj.id, Year: year, Quarter: quarter, Name: fmt.Sprintf("%d年第%d季度党建督查", year, quarter),
				Checklist: []*supv1.ChecklistItem{
					{Code: "life", Text: "组织生活按期开展并记录（三会一课、主题党日、季度集中活动）"},
					{Code: "team", Text: "社区班子配备符合要求"},
					{Code: "premises", Text: "活动场所面积和设施达标"},
					{Code: "cobuilding", Text: "驻区单位按月报到、联席会议按期召开、议事台账按期销号"},
				}}})
			round = resp.GetRound()
			return err
		})
		if err != nil {
			return err
		}
	}
	groups, err := l.inspection.ListGroups(ctx, &supv1.ListGroupsRequest{RoundId: round.GetId()})
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, g := range groups.GetGroups() {
		have[g.GetName()] = true
	}
	for i := range supGroups {
		var covered []string
		for j := i; j < len(communities); j += supGroups {
			covered = append(covered, communities[j])
		}
		out.Groups++
		out.Covered += len(covered)
		name := fmt.Sprintf("第%d巡回督查组", i+1)
		if have[name] {
			continue
		}
		err := patiently(ctx, func() error {
			_, err := l.inspection.CreateGroup(ctx, &supv1.CreateGroupRequest{Group: &supv1.InspectionGroup{RoundId: round.GetId(),
				Name: name, Inspectors: []string{fmt.Sprintf("%s%d", supInspectors, i+1)}, OrganisationIds: covered}})
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return l.findings(ctx, round, out)
}

// supFindings are what the first two groups found on their visits: the
// first entered from paper (found on a day weeks ago, due 15 days after
// it), the second on the spot today (due in 20 days).
var supFindings = []struct {
	checklist, description, evidence string
	late                             bool
	days                             int32
}{
	{"premises", "党群服务中心活动室制度未上墙，党员活动室被挪作仓库", "活动室恢复使用的照片和制度上墙照片", true, 15},
	{"life", "三会一课记录不完整：第三季度支委会记录缺两次", "补齐的会议记录和签到表", false, 20},
}

// findings records the groups' findings of supFindings in the first
// community each covers, unless the round has them.
func (l *supLoader) findings(ctx context.Context, round *supv1.InspectionRound, out *SupervisionSummary) error {
	groups, err := l.inspection.ListGroups(ctx, &supv1.ListGroupsRequest{RoundId: round.GetId()})
	if err != nil {
		return err
	}
	slices.SortFunc(groups.GetGroups(), func(a, b *supv1.InspectionGroup) int { return strings.Compare(a.GetName(), b.GetName()) })
	have, err := l.inspection.ListInspectionFindings(ctx, &supv1.ListInspectionFindingsRequest{RoundId: round.GetId()})
	if err != nil {
		return err
	}
	start := time.Date(l.today.Year(), (l.today.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	for i, f := range supFindings {
		if i >= len(groups.GetGroups()) || len(groups.GetGroups()[i].GetOrganisationIds()) == 0 {
			break
		}
		g := groups.GetGroups()[i]
		org := g.GetOrganisationIds()[0]
		found := l.today
		if f.late {
			if found = l.today.AddDate(0, 0, -40); found.Before(start) {
				found = start
			}
		}
		due := found.AddDate(0, 0, int(f.days))
		out.Findings++
		if due.Before(l.today) {
			out.Overdue++
		}
		if slices.ContainsFunc(have.GetFindings(), func(x *supv1.InspectionFinding) bool {
			return x.GetOrganisationId() == org && x.GetDescription() == f.description
		}) {
			continue
		}
		req := &supv1.RecordInspectionFindingRequest{GroupId: g.GetId(), OrganisationId: org, ChecklistCode: f.checklist,
			Description: f.description, DeadlineDays: f.days, RequiredEvidence: f.evidence}
		if f.late {
			req.FoundOn = found.Format(time.DateOnly)
		}
		err := patiently(ctx, func() error {
			_, err := l.inspection.RecordInspectionFinding(ctx, req)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: finding: %w", g.GetName(), err)
		}
	}
	return nil
}

// answer sweeps the city so that last quarter's misses have their items,
// then makes up the first two with a late concentrated activity, submits
// it as evidence and accepts it; the second is reopened by a later check.
func (l *supLoader) answer(ctx context.Context, city *node, out *SupervisionSummary) error {
	var items []*supv1.RectificationItem
	// The service learns the tree and its activities from events: sweep
	// until the misses are found and three sweeps, three seconds apart, find
	// no more (the view may still be catching up when the first ones
	// appear, and slowly on a busy machine).
	seen, same := -1, 0
	err := patiently(ctx, func() error {
		var err error
		if _, err = l.rules.RunSweep(ctx, &supv1.RunSweepRequest{}); err == nil {
			if items, err = l.missed(ctx, city); err == nil {
				if len(items) > 0 && len(items) == seen {
					same++
				} else {
					seen, same = len(items), 0
				}
				if same < 2 {
					time.Sleep(3 * time.Second)
					err = status.Error(codes.NotFound, "the misses are still being found")
				}
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	slices.SortFunc(items, func(a, b *supv1.RectificationItem) int {
		return strings.Compare(a.GetOrganisationId(), b.GetOrganisationId())
	})
	out.MissedItems = len(items)
	for _, it := range items[min(supClosed, len(items)):] {
		if it.GetOverdue() {
			out.MissedOverdue++
		}
	}
	for i, it := range items[:min(supClosed, len(items))] {
		closed, err := l.close(ctx, it)
		if err != nil {
			return fmt.Errorf("item %s: %w", it.GetId(), err)
		}
		out.Closed++
		if i == supClosed-1 {
			if err := l.reopen(ctx, closed); err != nil {
				return fmt.Errorf("item %s: %w", it.GetId(), err)
			}
			out.Reopened++
		}
	}
	return nil
}

// missed lists the items of the missed-activity rule in the city.
func (l *supLoader) missed(ctx context.Context, city *node) ([]*supv1.RectificationItem, error) {
	var items []*supv1.RectificationItem
	for token := ""; ; {
		r, err := l.items.ListItems(ctx, &supv1.ListItemsRequest{AncestorId: city.id, RuleCode: "quarterly_activity_missed",
			PageSize: 500, PageToken: token})
		if err != nil {
			return nil, err
		}
		items = append(items, r.GetItems()...)
		if token = r.GetNextPageToken(); token == "" {
			return items, nil
		}
	}
}

// close makes the item's quarter up with a concentrated activity held
// yesterday, submits it and accepts it, each step skipped when taken.
func (l *supLoader) close(ctx context.Context, it *supv1.RectificationItem) (*supv1.RectificationItem, error) {
	steps, err := l.items.ListItemSteps(ctx, &supv1.ListItemStepsRequest{ItemId: it.GetId()})
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(steps.GetSteps(), func(s *supv1.ItemStep) bool { return s.GetKind() == supv1.StepKind_STEP_KIND_ACCEPTED }) {
		return it, nil // closed (and perhaps reopened) on an earlier load
	}
	day := l.today.AddDate(0, 0, -1).Format(time.DateOnly)
	act, err := l.orgs.RecordActivity(ctx, &orgv1.RecordActivityRequest{OrganisationId: it.GetOrganisationId(),
		RequestId: requestID("sup/" + it.GetId()), Activity: &orgv1.Activity{Kind: orgv1.ActivityKind_ACTIVITY_KIND_CONCENTRATED_ACTIVITY,
			Date: day, Topic: "补开上季度集中活动：学习党的基层组织建设要求", Expected: 20, Attended: 18}})
	if err != nil {
		return nil, err
	}
	// The supervision service learns of the activity from its event.
	err = patiently(ctx, func() error {
		r, err := l.items.GetItem(ctx, &supv1.GetItemRequest{Id: it.GetId()})
		if err == nil && r.GetItem().GetRemedyTime() == nil {
			err = status.Error(codes.FailedPrecondition, "not remedied yet")
		}
		it = r.GetItem()
		return err
	})
	if err != nil {
		return nil, err
	}
	if it.GetState() == supv1.ItemState_ITEM_STATE_OPEN {
		r, err := l.items.SubmitEvidence(ctx, &supv1.SubmitEvidenceRequest{Id: it.GetId(), Version: it.GetVersion(),
			Note: "已补开集中活动", Evidence: []*supv1.Evidence{{Description: "集中活动会议记录、签到表和照片",
				ActivityId: act.GetActivity().GetId()}}})
		if err != nil {
			return nil, err
		}
		it = r.GetItem()
	}
	r, err := l.items.AcceptItem(ctx, &supv1.AcceptItemRequest{Id: it.GetId(), Version: it.GetVersion(), Note: "材料齐全，予以销号"})
	if err != nil {
		return nil, err
	}
	return r.GetItem(), nil
}

// reopen reopens a closed item after a later check, with a new deadline.
func (l *supLoader) reopen(ctx context.Context, it *supv1.RectificationItem) error {
	if it.GetState() != supv1.ItemState_ITEM_STATE_CLOSED {
		return nil
	}
	_, err := l.items.ReopenItem(ctx, &supv1.ReopenItemRequest{Id: it.GetId(), Version: it.GetVersion(),
		Reason:   "回头看：补开的活动只有会议记录，党员参与不足，需重新组织",
		Deadline: l.today.AddDate(0, 0, 30).Format(time.DateOnly)})
	return err
}
