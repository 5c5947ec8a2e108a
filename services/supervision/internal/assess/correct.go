package assess

import (
	"context"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
)

// Correction is what a new version of a result says of itself: why it
// was made, by whom and when (empty as graded).
type Correction struct {
	Version   int32
	Reason    string
	By        string
	Corrected time.Time
}

// Correct corrects an organisation's graded result of a period with the
// reason: the tasks' and the daily score as they should have been. The
// score combines them by the district's daily share, the grade comes from
// its bands, and the organisation is ranked again among its peers: the
// result, and each peer whose rank changed, get a new version (never an
// edit: the earlier versions stay). OnGraded then lets the rules judge
// them in the same transaction. version, when set, must be the current
// one. An assessor of the organisation corrects it, never the
// organisation itself.
func (s *Service) Correct(ctx context.Context, orgID, period string, taskScore, dailyScore float64, reason string, version int32,
	a Actor) (*Result, []*Result, error) {
	p, err := ParsePeriod(period)
	if err != nil {
		return nil, nil, errs.Field(ErrInvalid, "period", err.Error())
	}
	v := errs.NewValidation(ErrInvalid)
	if taskScore < 0 || taskScore > 100 {
		v.Add("task_score", "from 0 to 100")
	}
	if dailyScore < 0 || dailyScore > 100 {
		v.Add("daily_score", "from 0 to 100")
	}
	if strings.TrimSpace(reason) == "" {
		v.Add("reason", "say why the result is corrected")
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	if err := s.reach(ctx, a, orgID); err != nil {
		return nil, nil, err
	}
	if err := fromAbove(a, orgID); err != nil {
		return nil, nil, err
	}
	var (
		out      *Result
		reranked []*Result
	)
	err = s.store.InTx(ctx, func(tx Tx) error {
		peers, err := tx.LockPeers(ctx, orgID, p.String())
		if err != nil {
			return err
		}
		var cur *Result
		for _, r := range peers {
			if r.OrganisationID == orgID {
				cur = r
			}
		}
		if cur == nil {
			return errs.Field(ErrNotFound, "period", "the organisation has no result graded for "+p.String())
		}
		if version != 0 && version != cur.Correction.Version {
			return ErrVersion
		}
		st, err := s.Settings(ctx, cur.DistrictID)
		if err != nil {
			return err
		}
		next := make([]*Result, len(peers))
		for i, r := range peers {
			n := *r
			next[i] = &n
		}
		now := s.now()
		var fixed *Result
		for _, r := range next {
			if r.OrganisationID == orgID {
				fixed = r
				share := float64(st.DailyShare) / 100
				r.TaskScore, r.DailyScore = round2(taskScore), round2(dailyScore)
				r.Score = round2(r.TaskScore*(1-share) + r.DailyScore*share)
				r.Grade = st.Grade(r.Score)
			}
		}
		rank(next)
		var changed []*Result
		for _, r := range next {
			old := find(peers, r.OrganisationID)
			// The count of the year's quarters in the bottom two follows
			// this quarter's place; the earlier quarters stay as they were.
			r.BottomTwoCount = old.BottomTwoCount - b2i(old.BottomTwo) + b2i(r.BottomTwo)
			why := reason
			if r != fixed {
				if r.Rank == old.Rank && r.BottomTwo == old.BottomTwo {
					continue
				}
				why = "ranked again after the correction of " + fixed.Name + "'s result: " + reason
			}
			r.Correction = Correction{Version: old.Correction.Version + 1, Reason: why, By: a.Subject, Corrected: now}
			changed = append(changed, r)
			if r != fixed {
				reranked = append(reranked, r)
			}
		}
		out = fixed
		if err := tx.InsertVersions(ctx, peers, changed); err != nil {
			return err
		}
		if s.OnGraded != nil {
			return s.OnGraded(ctx, tx, changed)
		}
		return nil
	})
	return out, reranked, err
}

// ResultVersions lists every version of an organisation's result of a
// period the actor reaches, the latest first.
func (s *Service) ResultVersions(ctx context.Context, orgID, period string, a Actor) ([]*Result, error) {
	p, err := ParsePeriod(period)
	if err != nil {
		return nil, errs.Field(ErrInvalid, "period", err.Error())
	}
	if err := s.reach(ctx, a, orgID); err != nil {
		return nil, err
	}
	vs, err := s.store.ResultVersions(ctx, orgID, p.String())
	if err == nil && len(vs) == 0 {
		err = ErrNotFound
	}
	return vs, err
}

func find(rs []*Result, orgID string) *Result {
	for _, r := range rs {
		if r.OrganisationID == orgID {
			return r
		}
	}
	return nil
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
