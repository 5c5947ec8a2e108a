package rectify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
)

// Round is a quarter's inspection round of a district: its roving groups
// (six in 002) inspect every unit and community, against a checklist.
type Round struct {
	ID         string
	DistrictID string
	Year       int32
	Quarter    int32
	Name       string
	Checklist  []ChecklistItem
	CreatedBy  string
	Created    time.Time
}

// ChecklistItem is one point a round checks.
type ChecklistItem struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// Group is a roving inspection group of a round: its inspectors (by the
// subject of their tokens) and the organisations it covers, each with its
// subtree.
type Group struct {
	ID         string
	RoundID    string
	DistrictID string
	Name       string
	Inspectors []string
	Covered    []string
	Version    int32
	Updated    time.Time
}

// InspectionFinding is what an inspector found on the spot.
type InspectionFinding struct {
	ID             string
	RoundID        string
	GroupID        string
	OrganisationID string
	ChecklistCode  string
	Description    string
	Inspector      string
	ItemID         string
	Created        time.Time
	// FoundOn is the day of the visit: the day it was recorded, or an
	// earlier day of the round's quarter for a finding entered from paper.
	FoundOn time.Time
}

// CreateRound starts a district's round for a quarter.
func (s *Service) CreateRound(ctx context.Context, r *Round, a Actor) (*Round, error) {
	v := errs.NewValidation(ErrInvalid)
	if strings.TrimSpace(r.Name) == "" {
		v.Add("round.name", "a round needs a name")
	}
	if r.Quarter < 1 || r.Quarter > 4 {
		v.Add("round.quarter", "1 to 4")
	}
	seen := map[string]bool{}
	for i, c := range r.Checklist {
		if c.Code == "" || seen[c.Code] {
			v.Add(fmt.Sprintf("round.checklist[%d].code", i), "each point needs a code of its own")
		}
		seen[c.Code] = true
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if d, err := s.store.DistrictOf(ctx, r.DistrictID); err != nil || d != r.DistrictID {
		if err == nil {
			err = errs.Field(ErrInvalid, "round.district_id", "rounds are held per district")
		}
		return nil, err
	}
	nr := *r
	nr.ID, nr.CreatedBy, nr.Created = newID(), a.Subject, s.now()
	return &nr, s.store.InTx(ctx, func(tx Tx) error { return tx.InsertRound(ctx, &nr) })
}

// Round returns a round within the actor's scope.
func (s *Service) Round(ctx context.Context, id string, a Actor) (*Round, error) {
	r, err := s.store.Round(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.ScopeRoot != "" {
		// A street or a community sees the rounds of its district.
		d, err := s.store.DistrictOf(ctx, a.ScopeRoot)
		if err != nil {
			return nil, err
		}
		if d != r.DistrictID {
			if err := s.reach(ctx, Actor{ScopeRoot: a.ScopeRoot}, r.DistrictID); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// Rounds lists the rounds of the districts within root, or of the
// district root lies in; to a caller scoped within a district, that
// district's alone, whatever organisation above it they name.
func (s *Service) Rounds(ctx context.Context, root string, a Actor) ([]*Round, error) {
	if a.ScopeRoot != "" {
		root = a.ScopeRoot
	}
	if root != "" {
		d, err := s.store.DistrictOf(ctx, root)
		if err != nil {
			return nil, err
		}
		if d != "" {
			root = d
		}
	}
	return s.store.Rounds(ctx, root)
}

// checkGroup validates a group's members and cover against its round.
func (s *Service) checkGroup(ctx context.Context, g *Group, r *Round) error {
	v := errs.NewValidation(ErrInvalid)
	if strings.TrimSpace(g.Name) == "" {
		v.Add("group.name", "a group needs a name")
	}
	if len(g.Inspectors) == 0 {
		v.Add("group.inspectors", "a group needs at least one inspector")
	}
	for i, id := range g.Covered {
		ok, err := s.store.Within(ctx, id, r.DistrictID)
		if err != nil {
			return err
		}
		if !ok {
			v.Add(fmt.Sprintf("group.organisation_ids[%d]", i), "not an organisation of the round's district")
		}
	}
	return v.Err()
}

// CreateGroup adds a roving group to a round.
func (s *Service) CreateGroup(ctx context.Context, g *Group, a Actor) (*Group, error) {
	r, err := s.Round(ctx, g.RoundID, a)
	if err != nil {
		return nil, err
	}
	if err := s.checkGroup(ctx, g, r); err != nil {
		return nil, err
	}
	ng := *g
	ng.ID, ng.DistrictID, ng.Version, ng.Updated = newID(), r.DistrictID, 1, s.now()
	return &ng, s.store.InTx(ctx, func(tx Tx) error { return tx.InsertGroup(ctx, &ng) })
}

// UpdateGroup changes a group's name, inspectors or cover.
func (s *Service) UpdateGroup(ctx context.Context, patch *Group, fields []string, a Actor) (*Group, error) {
	if len(fields) == 0 {
		return nil, errs.Field(ErrInvalid, "update_mask", "name at least one field to change")
	}
	var out *Group
	err := s.store.InTx(ctx, func(tx Tx) error {
		g, err := tx.LockGroup(ctx, patch.ID)
		if err != nil {
			return err
		}
		r, err := s.Round(ctx, g.RoundID, a)
		if err != nil {
			return err
		}
		for _, f := range fields {
			switch f {
			case "name":
				g.Name = patch.Name
			case "inspectors":
				g.Inspectors = patch.Inspectors
			case "organisation_ids":
				g.Covered = patch.Covered
			default:
				return errs.Field(ErrInvalid, "update_mask", "cannot change "+f)
			}
		}
		if err := s.checkGroup(ctx, g, r); err != nil {
			return err
		}
		g.Version, g.Updated = g.Version+1, s.now()
		out = g
		return tx.SaveGroup(ctx, g)
	})
	return out, err
}

// Groups lists the groups of a round; to a street or a community, those
// that cover some organisation of theirs.
func (s *Service) Groups(ctx context.Context, roundID string, a Actor) ([]*Group, error) {
	r, err := s.Round(ctx, roundID, a)
	if err != nil {
		return nil, err
	}
	return s.store.Groups(ctx, roundID, belowDistrict(a, r))
}

// belowDistrict is the scope of a caller scoped below the round's district
// (a street, a community), whose part of the round is what lies in it; ""
// for a caller who sees the whole round.
func belowDistrict(a Actor, r *Round) string {
	if a.Inspector || a.ScopeRoot == r.DistrictID {
		return ""
	}
	return a.ScopeRoot
}

// FindingRequest is what an inspector records on the spot.
type FindingRequest struct {
	GroupID, OrganisationID, ChecklistCode, Description string
	// DeadlineDays, when above 0, opens an item with RequiredEvidence.
	DeadlineDays     int32
	RequiredEvidence string
	// FoundOn is the day of the visit when the finding is entered later
	// from the group's paper record (zero: today). It must lie in the
	// round's quarter and not after today; the item's deadline counts
	// from it, so an item entered late may already be overdue.
	FoundOn time.Time
}

// RecordFinding records an inspection finding on the spot, and opens an
// item for it when a deadline is given. The caller must be an inspector of
// the group (or an administrator over it); the organisation must be one
// the group covers.
func (s *Service) RecordFinding(ctx context.Context, r FindingRequest, a Actor) (*InspectionFinding, *Item, error) {
	if strings.TrimSpace(r.Description) == "" {
		return nil, nil, errs.Field(ErrInvalid, "description", "say what was found")
	}
	g, err := s.store.Group(ctx, r.GroupID)
	if err != nil {
		return nil, nil, err
	}
	round, err := s.store.Round(ctx, g.RoundID)
	if err != nil {
		return nil, nil, err
	}
	if a.Inspector && !slices.Contains(g.Inspectors, a.Subject) {
		return nil, nil, ErrNotInspector
	}
	if !a.Inspector {
		if err := s.reach(ctx, a, g.DistrictID); err != nil {
			return nil, nil, err
		}
	}
	if err := s.covered(ctx, g, r.OrganisationID); err != nil {
		return nil, nil, err
	}
	if r.ChecklistCode != "" && !slices.ContainsFunc(round.Checklist, func(c ChecklistItem) bool { return c.Code == r.ChecklistCode }) {
		return nil, nil, errs.Field(ErrInvalid, "checklist_code", "not a point of the round's checklist")
	}
	found, err := s.foundOn(round, r.FoundOn)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	f := &InspectionFinding{ID: newID(), RoundID: g.RoundID, GroupID: g.ID, OrganisationID: r.OrganisationID,
		ChecklistCode: r.ChecklistCode, Description: r.Description, Inspector: a.Subject, Created: now, FoundOn: found}
	var item *Item
	err = s.store.InTx(ctx, func(tx Tx) error {
		if r.DeadlineDays > 0 {
			item = &Item{ID: newID(), OrganisationID: r.OrganisationID, DistrictID: g.DistrictID, Source: FromInspection,
				InspectionFindingID: f.ID, Title: r.Description, RequiredEvidence: r.RequiredEvidence,
				Deadline: found.AddDate(0, 0, int(r.DeadlineDays)), State: Open, Version: 1, Created: now, Updated: now}
			f.ItemID = item.ID
		}
		if err := tx.InsertInspectionFinding(ctx, f); err != nil {
			return err
		}
		if item == nil {
			return nil
		}
		return tx.InsertItem(ctx, item, &Step{Kind: Opened, Note: r.Description, At: now})
	})
	return f, item, err
}

// foundOn is the day a finding was made: today, or the day of the visit
// given for a finding entered from paper, which must lie in the round's
// quarter and not after today.
func (s *Service) foundOn(round *Round, day time.Time) (time.Time, error) {
	today := s.Today()
	if day.IsZero() {
		return today, nil
	}
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, today.Location())
	if day.After(today) {
		return time.Time{}, errs.Field(ErrInvalid, "found_on", "the day of the visit cannot be after today")
	}
	start := time.Date(int(round.Year), time.Month(3*(round.Quarter-1)+1), 1, 0, 0, 0, 0, today.Location())
	if day.Before(start) || !day.Before(start.AddDate(0, 3, 0)) {
		return time.Time{}, errs.Field(ErrInvalid, "found_on", fmt.Sprintf("the day of the visit must lie in the round's quarter (%d Q%d)", round.Year, round.Quarter))
	}
	return day, nil
}

// covered refuses an organisation outside the group's cover.
func (s *Service) covered(ctx context.Context, g *Group, orgID string) error {
	for _, c := range g.Covered {
		ok, err := s.store.Within(ctx, orgID, c)
		if err != nil || ok {
			return err
		}
	}
	return errs.Field(ErrNotCovered, "organisation_id", "the group "+g.Name+" does not cover this organisation")
}

// InspectionFindings lists a round's findings; to a street or a
// community, those of its organisations.
func (s *Service) InspectionFindings(ctx context.Context, roundID string, a Actor) ([]*InspectionFinding, error) {
	r, err := s.Round(ctx, roundID, a)
	if err != nil {
		return nil, err
	}
	return s.store.InspectionFindings(ctx, roundID, belowDistrict(a, r))
}
