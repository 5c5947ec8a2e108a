// Package assess holds the assessment of organisations (考核评价, DOMAIN §4
// and §5): task and responsibility lists per organisation and period, each
// task with its weight, deadline and scoring method; evidence submitted by
// the owner and reviewed item by item by an assessor; daily records
// (日常纪实); the grading of a district's period once it has ended — a
// score combining the tasks and the daily records, a grade by the
// district's bands, a rank among the organisations of the same kind under
// the same parent — whose results are a fact the rules watch; and the
// commendations (表彰) proposed from the results. It holds the Store it
// needs; no database, transport or generated code.
package assess

import (
	"context"
	"time"

	"github.com/google/uuid"

	"gongjian.dev/pkg/cityclock"
	"gongjian.dev/pkg/errs"
)

// The errors of assessment.
var (
	ErrNotFound     = errs.New(errs.NotFound, "not found")
	ErrInvalid      = errs.New(errs.InvalidArgument, "invalid request")
	ErrExists       = errs.New(errs.AlreadyExists, "it exists already")
	ErrVersion      = errs.WithReason(errs.Aborted, "ETAG_MISMATCH", "it changed since it was read")
	ErrGraded       = errs.WithReason(errs.FailedPrecondition, "PERIOD_GRADED", "the period is graded: its lists are closed")
	ErrPeriodOpen   = errs.WithReason(errs.FailedPrecondition, "PERIOD_OPEN", "the period has not ended yet")
	ErrUnreviewed   = errs.WithReason(errs.FailedPrecondition, "UNREVIEWED_EVIDENCE", "evidence waits for review")
	ErrState        = errs.WithReason(errs.FailedPrecondition, "STATE", "not in a state that allows this")
	ErrNotRanked    = errs.WithReason(errs.FailedPrecondition, "NOT_IN_TOP_BAND", "the organisation was not graded in the top band")
	ErrBarred       = errs.WithReason(errs.FailedPrecondition, "BARRED", "a rule's finding bars the organisation from commendation this year")
	ErrNotDistrict  = errs.WithReason(errs.FailedPrecondition, "NOT_DISTRICT", "not a district")
	ErrNothingToDo  = errs.WithReason(errs.FailedPrecondition, "NOTHING_TO_GRADE", "no task list of the period")
	ErrNotPublished = errs.WithReason(errs.FailedPrecondition, "NOTHING_APPROVED", "no approved commendation to publish")
	ErrOwnList      = errs.WithReason(errs.PermissionDenied, "OWN_ORGANISATION", "an organisation is assessed from above it, never by itself")
)

// Actor is who acts: their subject and role; Inspector is set for an
// inspector, whose reach is what their groups cover.
type Actor struct {
	Subject, Role string
	Inspector     bool
	// ScopeRoot is the root of their subtree ("" for the city).
	ScopeRoot string
}

// Org is what the view of the tree says of an organisation.
type Org struct {
	ID, Name, Kind, DistrictID, ParentID string
}

// Unit is the grading unit of an organisation's lists: its district, or
// for a district's own list the city, which grades the districts together.
func (o *Org) Unit() string {
	if o.Kind == "DISTRICT" {
		return o.ParentID
	}
	return o.DistrictID
}

// Service is assessment and commendation.
type Service struct {
	store Store
	clock cityclock.Clock
	// OnGraded evaluates, in the grading's transaction, the rules that
	// watch the results (set by the wiring; nil: none).
	OnGraded func(ctx context.Context, tx Tx, results []*Result) error
}

// NewService returns the service over store; now and loc say what today is.
func NewService(store Store, now func() time.Time, loc *time.Location) *Service {
	return &Service{store: store, clock: cityclock.New(now, loc)}
}

func (s *Service) now() time.Time   { return s.clock.Now() }
func (s *Service) today() time.Time { return s.clock.Today() }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// reach answers not found unless the actor reaches the organisation: an
// inspector through their groups, anyone else through their scope.
func (s *Service) reach(ctx context.Context, a Actor, orgID string) error {
	ok := true
	var err error
	switch {
	case a.Inspector:
		ok, err = s.store.Covers(ctx, a.Subject, orgID)
	case a.ScopeRoot != "":
		ok, err = s.store.Within(ctx, orgID, a.ScopeRoot)
	}
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

// fromAbove refuses an assessor working on the organisation they are
// scoped to: its list, reviews and daily records are set from above.
func fromAbove(a Actor, orgID string) error {
	if a.ScopeRoot != "" && a.ScopeRoot == orgID {
		return ErrOwnList
	}
	return nil
}

// org is an organisation of the view the actor reaches, named by field.
func (s *Service) org(ctx context.Context, a Actor, id, field string) (*Org, error) {
	if err := s.reach(ctx, a, id); err != nil {
		return nil, err
	}
	o, err := s.store.Org(ctx, id)
	if err != nil {
		return nil, err
	}
	if o == nil || o.Unit() == "" {
		return nil, errs.Field(ErrNotFound, field, "no organisation of a district has this id")
	}
	return o, nil
}
