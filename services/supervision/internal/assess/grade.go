package assess

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"

	"gongjian.dev/pkg/errs"
)

// Result is an organisation's graded result for a period: the fact the
// rules watch (assessment_result).
type Result struct {
	OrganisationID, Name, Kind string
	ParentID, DistrictID       string
	Period, TaskListID         string
	TaskScore, DailyScore      float64
	Score                      float64
	Grade                      string
	Rank, Peers                int32
	BottomTwo                  bool
	BottomTwoCount             int32
	Graded                     time.Time
	// Correction is 1 and empty as graded; a correction makes the next.
	Correction Correction
}

// ResultQuery lists results.
type ResultQuery struct {
	OrganisationID, ParentID, Period string
	ScopeRoot, Inspector             string
}

// Grading is what grading a district's period reads, in its transaction.
type Grading struct {
	Lists []*TaskList
	// Orgs are the organisations of the lists, by id.
	Orgs map[string]*Org
	// Unreviewed counts the evidence that waits for review.
	Unreviewed int
	// Daily sums the points of the daily entries of the period, by organisation.
	Daily map[string]float64
	// BottomTwoBefore counts, by organisation, the earlier quarters of the
	// year it was in the bottom two.
	BottomTwoBefore map[string]int32
}

// Grade grades every list of a district for a period that has ended: the
// tasks' score and the daily score combine by the district's daily share;
// the grade by its bands; the rank among the organisations of the same
// kind under the same parent. Once per district and period.
func (s *Service) Grade(ctx context.Context, districtID, period string, a Actor) ([]*Result, error) {
	p, err := ParsePeriod(period)
	if err != nil {
		return nil, errs.Field(ErrInvalid, "period", err.Error())
	}
	st, err := s.Settings(ctx, districtID)
	if err != nil {
		return nil, err
	}
	if !s.today().After(p.Last()) {
		return nil, errs.Field(ErrPeriodOpen, "period", p.String()+" ends on "+p.Last().Format(time.DateOnly)+": grade it after")
	}
	var out []*Result
	err = s.store.InTx(ctx, func(tx Tx) error {
		if graded, err := tx.PeriodGraded(ctx, districtID, p.String()); err != nil || graded {
			if err == nil {
				err = errs.Field(ErrExists, "period", "the district's "+p.String()+" is graded already")
			}
			return err
		}
		g, err := tx.GradingInputs(ctx, districtID, p)
		if err != nil {
			return err
		}
		if len(g.Lists) == 0 {
			return errs.Field(ErrNothingToDo, "period", "the district has no task list for "+p.String())
		}
		if g.Unreviewed > 0 {
			return errs.Detail(ErrUnreviewed, "%d pieces of evidence wait for review", g.Unreviewed)
		}
		out = s.results(g, st, p)
		if err := tx.InsertResults(ctx, districtID, p.String(), out); err != nil {
			return err
		}
		if s.OnGraded != nil {
			return s.OnGraded(ctx, tx, out)
		}
		return nil
	})
	return out, err
}

// results scores, grades and ranks the lists of g.
func (s *Service) results(g *Grading, st *Settings, p Period) []*Result {
	now := s.now()
	out := make([]*Result, 0, len(g.Lists))
	for _, l := range g.Lists {
		o := g.Orgs[l.OrganisationID]
		r := &Result{OrganisationID: o.ID, Name: o.Name, Kind: o.Kind, ParentID: o.ParentID, DistrictID: l.DistrictID,
			Period: p.String(), TaskListID: l.ID, TaskScore: round2(l.Score()),
			DailyScore: math.Min(100, math.Max(0, 100+g.Daily[o.ID])), Graded: now, Correction: Correction{Version: 1}}
		share := float64(st.DailyShare) / 100
		r.Score = round2(r.TaskScore*(1-share) + r.DailyScore*share)
		r.Grade = st.Grade(r.Score)
		out = append(out, r)
	}
	rank(out)
	for _, r := range out {
		if r.BottomTwo {
			r.BottomTwoCount = 1
		}
		if p.Quarterly() {
			r.BottomTwoCount += g.BottomTwoBefore[r.OrganisationID]
		}
	}
	return out
}

// rank ranks results among those of the same kind under the same parent,
// best first; equal scores share a rank (1, 2, 2, 4). The last two ranks
// of three or more are the bottom two.
func rank(rs []*Result) {
	slices.SortFunc(rs, func(a, b *Result) int {
		return cmp.Or(cmp.Compare(a.ParentID, b.ParentID), cmp.Compare(a.Kind, b.Kind), cmp.Compare(b.Score, a.Score),
			cmp.Compare(a.Name, b.Name))
	})
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j].ParentID == rs[i].ParentID && rs[j].Kind == rs[i].Kind {
			j++
		}
		peers := int32(j - i)
		for k := i; k < j; k++ {
			r := rs[k]
			r.Peers, r.Rank = peers, int32(k-i+1)
			if k > i && r.Score == rs[k-1].Score {
				r.Rank = rs[k-1].Rank
			}
			r.BottomTwo = peers >= 3 && r.Rank >= peers-1
		}
		i = j
	}
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// Results lists graded results within the actor's reach: an
// organisation's, or the ranking below a parent.
func (s *Service) Results(ctx context.Context, q ResultQuery, a Actor) ([]*Result, error) {
	if q.OrganisationID == "" && q.ParentID == "" {
		return nil, errs.Fields(ErrInvalid, errs.Violation{Field: "organisation_id", Description: "name an organisation, or a parent for its ranking"},
			errs.Violation{Field: "parent_id", Description: "name an organisation, or a parent for its ranking"})
	}
	for _, id := range []string{q.OrganisationID, q.ParentID} {
		if id != "" {
			if err := s.reach(ctx, a, id); err != nil {
				return nil, err
			}
		}
	}
	if q.Period != "" {
		if _, err := ParsePeriod(q.Period); err != nil {
			return nil, errs.Field(ErrInvalid, "period", err.Error())
		}
	}
	q.ScopeRoot = a.ScopeRoot
	if a.Inspector {
		q.Inspector = a.Subject
	}
	return s.store.Results(ctx, q)
}

// Rankings are the results of the organisations directly below root in a
// period, best first; with no period, the latest graded below root.
func (s *Service) Rankings(ctx context.Context, root, period string) (string, []*Result, error) {
	if period == "" {
		latest, err := s.store.LatestPeriod(ctx, root)
		if err != nil || latest == "" {
			return "", nil, err
		}
		period = latest
	}
	rs, err := s.store.Results(ctx, ResultQuery{ParentID: root, Period: period})
	return period, rs, err
}
