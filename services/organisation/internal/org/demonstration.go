package org

import (
	"context"
	"time"

	"gongjian.dev/pkg/errs"
)

// Site is a demonstration community (示范点) with its plan and ratings
// (DOMAIN §1, document 001).
type Site struct {
	ID          string
	CommunityID string
	Start, End  Date
	Milestones  []Milestone
	Ratings     []FiveGoods
	Created     time.Time
}

// Milestone is a step of the plan.
type Milestone struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Due       Date      `json:"due"`
	Completed time.Time `json:"completed,omitzero"`
	Note      string    `json:"note,omitempty"`
}

// FiveGoods is the yearly "five goods" (五个好) rating, each a grade from
// EXCELLENT to POOR.
type FiveGoods struct {
	Year                 int32  `json:"year"`
	Leadership           string `json:"leadership"`
	CadresAndMembers     string `json:"cadres_and_members"`
	Mechanisms           string `json:"mechanisms"`
	ManagementAndService string `json:"management_and_service"`
	ResidentsOpinion     string `json:"residents_opinion"`
	RatedBy              string `json:"rated_by,omitempty"`
}

// defaultPlan lays down the documents' three steps: "first year
// foundations, second year improvement, third year results" (001).
func defaultPlan(start, end Date) []Milestone {
	titles := []string{"第一年打基础 (foundations)", "第二年上台阶 (improvement)", "第三年见成效 (results)"}
	span := end.Time().Sub(start.Time())
	ms := make([]Milestone, len(titles))
	for i, t := range titles {
		ms[i] = Milestone{ID: NewID(), Title: t, Due: DateOf(start.Time().Add(span * time.Duration(i+1) / 3))}
	}
	return ms
}

// CreateSite designates a community as a demonstration site.
func (s *Service) CreateSite(ctx context.Context, site *Site) (*Site, error) {
	v := newValidation()
	if site.Start.IsZero() || site.End.IsZero() || !site.Start.Before(site.End) {
		v.Add("site.end_date", "the plan needs a start date before its end date")
	}
	for i := range site.Milestones {
		m := &site.Milestones[i]
		if m.Due.IsZero() {
			v.Add("site.milestones", "milestone %d needs a due date", i)
		}
		m.ID, m.Completed = NewID(), time.Time{}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(site.Milestones) == 0 {
		site.Milestones = defaultPlan(site.Start, site.End)
	}
	err := s.store.InTx(ctx, func(tx Tx) error {
		if _, err := s.lockLiveCommunity(ctx, tx, site.CommunityID, "site.community_id"); err != nil {
			return err
		}
		site.ID, site.Created, site.Ratings = NewID(), s.now(), nil
		if err := tx.InsertSite(ctx, site); err != nil {
			return err
		}
		return tx.Emit(ctx, SiteChanged{Site: site, Change: SiteCreated}, site.Created)
	})
	if err != nil {
		return nil, err
	}
	return site, nil
}

// GetSite returns one site.
func (s *Service) GetSite(ctx context.Context, id string) (*Site, error) {
	return s.store.GetSite(ctx, id)
}

// ListSites lists the sites of a subtree.
func (s *Service) ListSites(ctx context.Context, ancestorID string) ([]*Site, error) {
	return s.store.ListSites(ctx, ancestorID)
}

// CompleteMilestone marks a milestone reached.
func (s *Service) CompleteMilestone(ctx context.Context, siteID, milestoneID, note string) (*Site, error) {
	return s.changeSite(ctx, siteID, MilestoneCompleted, func(site *Site) error {
		for i := range site.Milestones {
			m := &site.Milestones[i]
			if m.ID != milestoneID {
				continue
			}
			if !m.Completed.IsZero() {
				return ErrMilestoneDone
			}
			m.Completed, m.Note = s.now(), note
			return nil
		}
		return errs.Field(ErrSiteNotFound, "milestone_id", "the site has no such milestone")
	})
}

// RateFiveGoods records a year's rating; a second rating of a year replaces it.
func (s *Service) RateFiveGoods(ctx context.Context, siteID string, r FiveGoods) (*Site, error) {
	return s.changeSite(ctx, siteID, SiteRated, func(site *Site) error {
		for i := range site.Ratings {
			if site.Ratings[i].Year == r.Year {
				site.Ratings[i] = r
				return nil
			}
		}
		site.Ratings = append(site.Ratings, r)
		return nil
	})
}

// changeSite locks a site, applies fn, saves it and emits change.
func (s *Service) changeSite(ctx context.Context, id, change string, fn func(*Site) error) (*Site, error) {
	var out *Site
	err := s.store.InTx(ctx, func(tx Tx) error {
		site, err := tx.LockSite(ctx, id)
		if err != nil {
			return err
		}
		if err := fn(site); err != nil {
			return err
		}
		if err := tx.SaveSite(ctx, site); err != nil {
			return err
		}
		out = site
		return tx.Emit(ctx, SiteChanged{Site: site, Change: change}, s.now())
	})
	return out, err
}

// LiaisonKind is the kind of link between a leader and a community.
type LiaisonKind string

// The kinds of liaison (documents 001, 002).
const (
	StandingCommittee LiaisonKind = "STANDING_COMMITTEE"
	Sponsor           LiaisonKind = "SPONSOR"
)

// Liaison links a city leader (联系点) or a sponsoring department leader
// (包抓) to a community.
type Liaison struct {
	ID          string
	Kind        LiaisonKind
	LeaderName  string
	LeaderTitle string
	CommunityID string
	Started     time.Time
	Ended       time.Time
}

// CreateLiaison links a leader to a live community.
func (s *Service) CreateLiaison(ctx context.Context, l *Liaison) (*Liaison, error) {
	err := s.store.InTx(ctx, func(tx Tx) error {
		if _, err := s.lockLiveCommunity(ctx, tx, l.CommunityID, "liaison.community_id"); err != nil {
			return err
		}
		l.ID, l.Started, l.Ended = NewID(), s.now(), time.Time{}
		if err := tx.InsertLiaison(ctx, l); err != nil {
			return err
		}
		return tx.Emit(ctx, LiaisonChanged{Liaison: l, Change: LiaisonCreated}, l.Started)
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// ListLiaisons lists the links of a subtree.
func (s *Service) ListLiaisons(ctx context.Context, ancestorID string, includeEnded bool) ([]*Liaison, error) {
	return s.store.ListLiaisons(ctx, ancestorID, includeEnded)
}

// EndLiaison ends a link; it stays on record.
func (s *Service) EndLiaison(ctx context.Context, id string) (*Liaison, error) {
	var out *Liaison
	err := s.store.InTx(ctx, func(tx Tx) error {
		l, err := tx.LockLiaison(ctx, id)
		if err != nil {
			return err
		}
		if !l.Ended.IsZero() {
			return ErrLiaisonEnded
		}
		l.Ended = s.now()
		if err := tx.SaveLiaison(ctx, l); err != nil {
			return err
		}
		out = l
		return tx.Emit(ctx, LiaisonChanged{Liaison: l, Change: LiaisonEnded}, l.Ended)
	})
	return out, err
}
