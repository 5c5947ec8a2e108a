// Package evaluations keeps the year-end two-way evaluation (双向评议,
// DOMAIN §3, document 002): each community grades each unit it has an
// agreement with, and each such unit grades the community — good, fairly
// good, ordinary or poor, with a comment. Every grade, and every
// correction of one, is published; the supervision service turns a unit
// graded ordinary two years running into an interview.
package evaluations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// Direction says who grades whom; the values are the API enum's names
// without the prefix.
type Direction string

// The directions.
const (
	CommunityToUnit Direction = "COMMUNITY_TO_UNIT"
	UnitToCommunity Direction = "UNIT_TO_COMMUNITY"
)

// Grade is a grade of the evaluation.
type Grade string

// The grades, best first.
const (
	Good       Grade = "GOOD"
	FairlyGood Grade = "FAIRLY_GOOD"
	Ordinary   Grade = "ORDINARY"
	Poor       Grade = "POOR"
)

// Grades are the grades, best first.
var Grades = []Grade{Good, FairlyGood, Ordinary, Poor}

// OpensOn is the day a year's evaluation opens: December 1 of the year.
func OpensOn(year int) time.Time { return time.Date(year, time.December, 1, 0, 0, 0, 0, time.UTC) }

// Evaluation is one grade of one year.
type Evaluation struct {
	ID                       string
	Year                     int
	Direction                Direction
	CommunityID, UnitID      string
	Grade                    Grade
	Comment                  string
	DistrictID               string
	By                       string
	Version                  int64
	Created, Updated         time.Time
	UnitName, UnitPartyOrgID string
}

// Published is a grade recorded or corrected (Before is then the grade it
// replaced).
type Published struct {
	Evaluation, Before *Evaluation
}

// EventName implements cobuild.Event.
func (Published) EventName() string { return "unit_evaluation_published" }

// The errors of evaluations.
var (
	ErrNotFound    = errs.New(errs.NotFound, "evaluation not found")
	ErrInvalid     = cobuild.ErrInvalid
	ErrNoUnit      = errs.New(errs.FailedPrecondition, "no such resident unit")
	ErrNoAgreement = errs.WithReason(errs.FailedPrecondition, "NO_AGREEMENT", "the community and the unit had no agreement in the year")
	ErrConcurrent  = errs.New(errs.Aborted, "the same grade was recorded at the same moment; retry")
)

// Unit is what the evaluation needs to know of a unit.
type Unit struct {
	Name, PartyOrganisationID string
}

// Filter selects the evaluations of a list.
type Filter struct {
	Year                            int
	Direction                       Direction
	Grade                           Grade
	CommunityID, UnitID, AncestorID string
	PageSize                        int
	PageToken                       string
}

// Store is what evaluations need of the database.
type Store interface {
	cobuild.Places
	InTx(ctx context.Context, fn func(Tx) error) error
	Get(ctx context.Context, id string) (*Evaluation, error)
	List(ctx context.Context, f Filter) ([]*Evaluation, string, error)
	// Unit returns a unit, or ErrNoUnit.
	Unit(ctx context.Context, id string) (Unit, error)
}

// Tx is a transaction over evaluations.
type Tx interface {
	cobuild.Tx
	// HadAgreement reports whether the pair had an agreement whose term
	// (up to the day it ended) overlaps first..last.
	HadAgreement(ctx context.Context, communityID, unitID string, first, last time.Time) (bool, error)
	// Lock returns the pair's grade of the year in the direction, locked,
	// or nil.
	Lock(ctx context.Context, year int, d Direction, communityID, unitID string) (*Evaluation, error)
	Insert(ctx context.Context, e *Evaluation) error
	Save(ctx context.Context, e *Evaluation) error
}

// Service holds the rules of the evaluation.
type Service struct {
	store Store
	clock cobuild.Clock
}

// NewService returns the evaluation service over st.
func NewService(st Store, clock cobuild.Clock) *Service { return &Service{store: st, clock: clock} }

// Get returns one evaluation.
func (s *Service) Get(ctx context.Context, id string) (*Evaluation, error) {
	return s.store.Get(ctx, id)
}

// List lists evaluations, latest year first.
func (s *Service) List(ctx context.Context, f Filter) ([]*Evaluation, string, error) {
	return s.store.List(ctx, f)
}

// Record records e by the caller by, or corrects the grade the pair
// already has for the year and direction; corrected says which.
func (s *Service) Record(ctx context.Context, e *Evaluation, by string) (out *Evaluation, corrected bool, err error) {
	if err := e.validate(s.clock.Today()); err != nil {
		return nil, false, err
	}
	c, err := cobuild.Community(ctx, s.store, "evaluation.community_id", e.CommunityID)
	if err != nil {
		return nil, false, err
	}
	u, err := s.store.Unit(ctx, e.UnitID)
	if errors.Is(err, ErrNoUnit) {
		return nil, false, errs.Field(ErrNoUnit, "evaluation.unit_id", "no resident unit has this id")
	}
	if err != nil {
		return nil, false, err
	}
	e.DistrictID, e.UnitName, e.UnitPartyOrgID, e.By = c.DistrictID, u.Name, u.PartyOrganisationID, by
	err = s.store.InTx(ctx, func(tx Tx) error {
		first := time.Date(e.Year, time.January, 1, 0, 0, 0, 0, time.UTC)
		ok, err := tx.HadAgreement(ctx, e.CommunityID, e.UnitID, first, first.AddDate(1, 0, -1))
		if err != nil {
			return err
		}
		if !ok {
			return errs.Field(ErrNoAgreement, "evaluation.unit_id", fmt.Sprintf("the community and the unit had no agreement in %d", e.Year))
		}
		before, err := tx.Lock(ctx, e.Year, e.Direction, e.CommunityID, e.UnitID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if before == nil {
			e.ID, e.Version, e.Created, e.Updated = cobuild.NewID(), 1, now, now
			if err := tx.Insert(ctx, e); err != nil {
				return err
			}
		} else {
			e.ID, e.Version, e.Created, e.Updated = before.ID, before.Version+1, before.Created, now
			before.UnitName, before.UnitPartyOrgID = u.Name, u.PartyOrganisationID
			if err := tx.Save(ctx, e); err != nil {
				return err
			}
		}
		corrected = before != nil
		return tx.Emit(ctx, Published{Evaluation: e, Before: before})
	})
	if err != nil {
		return nil, false, err
	}
	return e, corrected, nil
}

func (e *Evaluation) validate(today time.Time) error {
	v := errs.NewValidation(ErrInvalid)
	switch {
	case e.Year < 2000:
		v.Add("evaluation.year", "required: a year from 2000")
	case today.Before(OpensOn(e.Year)):
		v.Add("evaluation.year", "the evaluation of %d opens on %s", e.Year, cobuild.FormatDate(OpensOn(e.Year)))
	}
	if e.Direction != CommunityToUnit && e.Direction != UnitToCommunity {
		v.Add("evaluation.direction", "required: %s or %s", CommunityToUnit, UnitToCommunity)
	}
	valid := false
	for _, g := range Grades {
		valid = valid || e.Grade == g
	}
	if !valid {
		v.Add("evaluation.grade", "required: one of %v", Grades)
	}
	if e.CommunityID == "" {
		v.Add("evaluation.community_id", "required")
	}
	if e.UnitID == "" {
		v.Add("evaluation.unit_id", "required")
	}
	return v.Err()
}
