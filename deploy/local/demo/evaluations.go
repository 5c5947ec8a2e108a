package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	cobuildingv1 "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
)

// Tongjiang's year-end two-way evaluation (双向评议) of last year and the
// year before. A year's evaluation opens on December 1 of that year and
// grades only pairs whose agreement overlaps the year. The agreements of
// the co-building year begin on its first day, which lies in last year, so
// every community grades each of its units for last year and each unit
// its community. None of them reaches back to the year before: the units
// graded that year are the first two of each community, which signed an
// earlier one-year agreement over that year and filed its twelve monthly
// reports. Three of those units are graded ordinary both years, which the
// supervision service turns into interviews.
const (
	coPastPerCommunity = 2 // units of each community with an agreement the year before
	coOrdinaryTwice    = 3 // units graded ordinary both years
	coEvalStream       = coSeedStream + 3
)

// EvaluationsSummary says what the two-way evaluation of the load is,
// read back from the service.
type EvaluationsSummary struct {
	// LastYear and YearBefore are the years graded; Graded* count their
	// grades in both directions, Ordinary* the units graded ordinary by
	// their community.
	LastYear, YearBefore                 int
	GradedLastYear, GradedYearBefore     int
	OrdinaryLastYear, OrdinaryYearBefore int
	// OrdinaryTwice are units graded ordinary both years.
	OrdinaryTwice int
	// PastAgreements were signed over the year before, with PastReports.
	PastAgreements, PastReports int
}

// String describes the evaluation in one line.
func (s EvaluationsSummary) String() string {
	return fmt.Sprintf("two-way evaluation: %d grades of %d (%d units ordinary), %d grades of %d (%d ordinary) under %d earlier agreements "+
		"with %d reports, %d units ordinary both years",
		s.GradedLastYear, s.LastYear, s.OrdinaryLastYear, s.GradedYearBefore, s.YearBefore, s.OrdinaryYearBefore,
		s.PastAgreements, s.PastReports, s.OrdinaryTwice)
}

// coGrade is one grade of the plan.
type coGrade struct {
	year      int
	direction cobuildingv1.EvaluationDirection
	unit      *coUnit
	grade     cobuildingv1.EvaluationGrade
	comment   string
}

var coGradeComments = map[cobuildingv1.EvaluationGrade]string{
	cobuildingv1.EvaluationGrade_EVALUATION_GRADE_GOOD:        "履行共建协议认真，服务群众成效明显",
	cobuildingv1.EvaluationGrade_EVALUATION_GRADE_FAIRLY_GOOD: "能够履行共建协议，参与社区活动较积极",
	cobuildingv1.EvaluationGrade_EVALUATION_GRADE_ORDINARY:    "参与共建不够主动，协议事项落实较慢",
	cobuildingv1.EvaluationGrade_EVALUATION_GRADE_POOR:        "协议事项基本未落实",
}

// drawGrade draws a grade: mostly good or fairly good.
func drawGrade(r *rand.Rand) cobuildingv1.EvaluationGrade {
	switch n := r.IntN(100); {
	case n < 50:
		return cobuildingv1.EvaluationGrade_EVALUATION_GRADE_GOOD
	case n < 88:
		return cobuildingv1.EvaluationGrade_EVALUATION_GRADE_FAIRLY_GOOD
	case n < 97:
		return cobuildingv1.EvaluationGrade_EVALUATION_GRADE_ORDINARY
	}
	return cobuildingv1.EvaluationGrade_EVALUATION_GRADE_POOR
}

// pastUnits are the units with an agreement over the year before: the
// first of each community's; the first coOrdinaryTwice of them are graded
// ordinary both years.
func (cp *coPlan) pastUnits() []*coUnit {
	var out []*coUnit
	for _, c := range cp.communities {
		units := cp.unitsOf(c)
		out = append(out, units[:min(len(units), coPastPerCommunity)]...)
	}
	return out
}

// drawGrades draws the grades of last year and the year before.
func (cp *coPlan) drawGrades(r *rand.Rand, lastYear int) []coGrade {
	past := cp.pastUnits()
	twice := map[*coUnit]bool{}
	for i, u := range past {
		// one unit in each of coOrdinaryTwice communities
		if i%coPastPerCommunity == 0 && len(twice) < coOrdinaryTwice {
			twice[u] = true
		}
	}
	var out []coGrade
	add := func(year int, u *coUnit, ordinary bool) {
		g := drawGrade(r)
		if ordinary {
			g = cobuildingv1.EvaluationGrade_EVALUATION_GRADE_ORDINARY
		} else if g == cobuildingv1.EvaluationGrade_EVALUATION_GRADE_ORDINARY && year < lastYear {
			g = cobuildingv1.EvaluationGrade_EVALUATION_GRADE_FAIRLY_GOOD // the twice-ordinary units are the plan's
		}
		out = append(out, coGrade{year, cobuildingv1.EvaluationDirection_EVALUATION_DIRECTION_COMMUNITY_TO_UNIT, u, g, coGradeComments[g]})
		back := drawGrade(r)
		if back >= cobuildingv1.EvaluationGrade_EVALUATION_GRADE_ORDINARY {
			back = cobuildingv1.EvaluationGrade_EVALUATION_GRADE_FAIRLY_GOOD
		}
		out = append(out, coGrade{year, cobuildingv1.EvaluationDirection_EVALUATION_DIRECTION_UNIT_TO_COMMUNITY, u, back, "社区党组织服务驻区单位主动，沟通顺畅"})
	}
	for _, u := range past {
		add(lastYear-1, u, twice[u])
	}
	for _, u := range cp.units {
		if u.org == nil {
			continue
		}
		add(lastYear, u, twice[u])
	}
	// a unit graded ordinary last year that was not graded the year
	// before must not pass for a twice-ordinary one, nor must a past unit
	// graded ordinary by chance last year
	for i := range out {
		g := &out[i]
		if g.year == lastYear && g.direction == cobuildingv1.EvaluationDirection_EVALUATION_DIRECTION_COMMUNITY_TO_UNIT &&
			g.grade == cobuildingv1.EvaluationGrade_EVALUATION_GRADE_ORDINARY && !twice[g.unit] && slices.Contains(past, g.unit) {
			g.grade, g.comment = cobuildingv1.EvaluationGrade_EVALUATION_GRADE_FAIRLY_GOOD, coGradeComments[cobuildingv1.EvaluationGrade_EVALUATION_GRADE_FAIRLY_GOOD]
		}
	}
	return out
}

// loadPastAgreements signs, before the agreements of the co-building
// year, the earlier one-year agreements of the units graded the year
// before, files their twelve reports and ends each on the last day of its
// term (a pair has one live agreement at a time).
func (l *coLoader) loadPastAgreements(ctx context.Context, out *CoBuildingSummary) error {
	past := l.plan.pastUnits()
	first := time.Date(l.lastYear()-1, time.January, 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(1, 0, -1)
	err := each(ctx, past, func(ctx context.Context, u *coUnit) error {
		resp, err := l.agreements.CreateAgreement(ctx, &cobuildingv1.CreateAgreementRequest{RequestId: requestID(fmt.Sprintf("%s/agreement%d", u.key, first.Year())),
			Agreement: &cobuildingv1.Agreement{CommunityId: u.community.id, UnitId: u.id, StartDate: first.Format(dateLayout),
				EndDate: last.Format(dateLayout), SignedDate: first.AddDate(0, 0, -10).Format(dateLayout),
				Goals:            []*cobuildingv1.Goal{{Area: cobuildingv1.Area_AREA_ORGANISATION_BUILDING, Text: "每季度与社区党组织联合开展一次主题党日"}},
				CommunityContact: &cobuildingv1.Contact{Name: "社区党组织书记", Role: "书记"},
				UnitContact:      &cobuildingv1.Contact{Name: "党建联络员", Role: "联络员"}}})
		if err != nil {
			return fmt.Errorf("agreement of %s for %d: %w", u.name, first.Year(), err)
		}
		for m := range 12 {
			month := first.AddDate(0, m, 0)
			_, err := l.reports.CreateUnitReport(ctx, &cobuildingv1.CreateUnitReportRequest{RequestId: requestID(fmt.Sprintf("%s/report%s", u.key, month.Format("2006-01"))),
				UnitReport: &cobuildingv1.UnitReport{UnitId: u.id, CommunityId: u.community.id, Month: month.Format("2006-01"),
					Summary: "本月按共建协议开展工作",
					Items: []*cobuildingv1.ReportItem{{Area: cobuildingv1.Area_AREA_ORGANISATION_BUILDING, Text: "联合开展主题党日", Activities: 1,
						Attendance: 10 + u.members, MemberAttendance: u.members}}}})
			if err != nil {
				return fmt.Errorf("report of %s for %s: %w", u.name, month.Format("2006-01"), err)
			}
		}
		if a := resp.GetAgreement(); a.GetState() == cobuildingv1.AgreementState_AGREEMENT_STATE_LIVE {
			if _, err := l.agreements.EndAgreement(ctx, &cobuildingv1.EndAgreementRequest{Id: a.GetId(), Date: last.Format(dateLayout),
				Reason: "协议期满，次年续签新一轮共建协议"}); err != nil {
				return fmt.Errorf("ending the agreement of %s for %d: %w", u.name, first.Year(), err)
			}
		}
		return nil
	})
	out.Evaluations.PastAgreements, out.Evaluations.PastReports = len(past), 12*len(past)
	return err
}

// lastYear is the year before this one.
func (l *coLoader) lastYear() int { return l.plan.yesterday.AddDate(0, 0, 1).Year() - 1 }

// loadEvaluations records the grades the service does not hold yet
// (grading a pair again would correct its grade), and reads the figures
// back.
func (l *coLoader) loadEvaluations(ctx context.Context, out *CoBuildingSummary) error {
	lastYear := l.lastYear()
	sum := &out.Evaluations
	sum.LastYear, sum.YearBefore = lastYear, lastYear-1
	var err error
	have := map[string]bool{}
	for _, y := range []int{lastYear - 1, lastYear} {
		for _, e := range l.listEvaluations(ctx, y, &err) {
			have[fmt.Sprint(y, e.GetDirection(), e.GetUnitId())] = true
		}
	}
	if err != nil {
		return err
	}
	grades := l.plan.drawGrades(rand.New(rand.NewPCG(memberSeed, coEvalStream)), lastYear)
	err = each(ctx, grades, func(ctx context.Context, g coGrade) error {
		if have[fmt.Sprint(g.year, g.direction, g.unit.id)] {
			return nil
		}
		_, err := l.evaluations.RecordEvaluation(ctx, &cobuildingv1.RecordEvaluationRequest{Evaluation: &cobuildingv1.Evaluation{
			Year: int32(g.year), Direction: g.direction, CommunityId: g.unit.community.id, UnitId: g.unit.id, Grade: g.grade, Comment: g.comment}})
		if err != nil {
			return fmt.Errorf("grade of %d %s %s: %w", g.year, g.direction, g.unit.name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	ordinary := map[int]map[string]bool{lastYear - 1: {}, lastYear: {}}
	for _, y := range []int{lastYear - 1, lastYear} {
		for _, e := range l.listEvaluations(ctx, y, &err) {
			if y == lastYear {
				sum.GradedLastYear++
			} else {
				sum.GradedYearBefore++
			}
			if e.GetDirection() == cobuildingv1.EvaluationDirection_EVALUATION_DIRECTION_COMMUNITY_TO_UNIT &&
				e.GetGrade() == cobuildingv1.EvaluationGrade_EVALUATION_GRADE_ORDINARY {
				ordinary[y][e.GetUnitId()] = true
			}
		}
	}
	sum.OrdinaryLastYear, sum.OrdinaryYearBefore = len(ordinary[lastYear]), len(ordinary[lastYear-1])
	for u := range ordinary[lastYear] {
		if ordinary[lastYear-1][u] {
			sum.OrdinaryTwice++
		}
	}
	return err
}

// listEvaluations lists Tongjiang's grades of a year; an error is kept in
// *err.
func (l *coLoader) listEvaluations(ctx context.Context, year int, err *error) []*cobuildingv1.Evaluation {
	var out []*cobuildingv1.Evaluation
	for token := ""; *err == nil; {
		resp, e := l.evaluations.ListEvaluations(ctx, &cobuildingv1.ListEvaluationsRequest{Year: int32(year), AncestorId: l.plan.district.id,
			PageSize: 500, PageToken: token})
		if e != nil {
			*err = fmt.Errorf("evaluations of %d: %w", year, e)
			break
		}
		out = append(out, resp.GetEvaluations()...)
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	return out
}
