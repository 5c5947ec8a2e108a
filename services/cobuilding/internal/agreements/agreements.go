// Package agreements keeps the co-building target agreements
// (共驻共建目标协议书, DOMAIN §3, document 002) between a community and a
// resident unit of its street: goals per area of joint work, the term and
// the contacts of both sides; signed, changed, renewed and ended with a
// reason, every version kept. A community and a unit have at most one live
// agreement.
package agreements

import (
	"context"
	"errors"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// State is where an agreement is in its life.
type State string

// The states.
const (
	Live  State = "LIVE"
	Ended State = "ENDED"
)

// The changes that make a version.
const (
	ChangeSigned  = "SIGNED"
	ChangeUpdated = "UPDATED"
	ChangeRenewed = "RENEWED"
	ChangeEnded   = "ENDED"
)

// Goal is what the sides set out to do in one area.
type Goal struct {
	Area cobuild.Area
	Text string
}

// Agreement is a co-building target agreement.
type Agreement struct {
	ID, CommunityID, UnitID string
	Goals                   []Goal
	// Start and End are the first and last days of the term.
	Start, End                    time.Time
	CommunityContact, UnitContact cobuild.Contact
	Signed                        time.Time
	State                         State
	EndedOn                       time.Time
	EndReason                     string
	Renewals                      int
	Version                       int64
	// StreetID and DistrictID are where the community sat when it signed.
	StreetID, DistrictID string
	Created, Updated     time.Time
}

// LastDay is the last day reports are owed under the agreement: the end of
// its term, or the day it ended.
func (a *Agreement) LastDay() time.Time {
	if a.State == Ended && a.EndedOn.Before(a.End) {
		return a.EndedOn
	}
	return a.End
}

// Version is an agreement as it was after a change.
type Version struct {
	Agreement Agreement
	Change    string
	By        string
}

// Changed is an agreement signed, updated, renewed or ended.
type Changed struct {
	Agreement, Before *Agreement
	Change            string
}

// EventName implements cobuild.Event.
func (Changed) EventName() string { return "agreement_changed" }

// The errors of agreements.
var (
	ErrNotFound    = errs.New(errs.NotFound, "agreement not found")
	ErrInvalid     = cobuild.ErrInvalid
	ErrLiveExists  = errs.New(errs.AlreadyExists, "the community and the unit already have a live agreement")
	ErrOutOfStreet = errs.WithReason(errs.InvalidArgument, "UNIT_OUTSIDE_STREET", "the unit does not sit in the community's street")
	ErrNotLive     = errs.WithReason(errs.FailedPrecondition, "AGREEMENT_ENDED", "the agreement has ended")
	ErrNoUnit      = errs.New(errs.FailedPrecondition, "no such resident unit")
)

// Filter selects the agreements of a list.
type Filter struct {
	CommunityID, UnitID, AncestorID string
	State                           State
	PageSize                        int
	PageToken                       string
}

// Store is what agreements need of the database.
type Store interface {
	cobuild.Places
	InTx(ctx context.Context, fn func(Tx) error) error
	Get(ctx context.Context, id string) (*Agreement, error)
	List(ctx context.Context, f Filter) ([]*Agreement, string, error)
	Versions(ctx context.Context, id string) ([]Version, error)
	// UnitCommunity is the community where a unit sits, or ErrNoUnit.
	UnitCommunity(ctx context.Context, unitID string) (string, error)
}

// Tx is a transaction over agreements. Insert and Save keep the version.
type Tx interface {
	cobuild.Tx
	Lock(ctx context.Context, id string) (*Agreement, error)
	Insert(ctx context.Context, a *Agreement, by string) error
	Save(ctx context.Context, a *Agreement, change, by string) error
}

// Service holds the rules of agreements.
type Service struct {
	store Store
	clock cobuild.Clock
}

// NewService returns the agreements service over st.
func NewService(st Store, clock cobuild.Clock) *Service { return &Service{store: st, clock: clock} }

// Get returns one agreement.
func (s *Service) Get(ctx context.Context, id string) (*Agreement, error) {
	return s.store.Get(ctx, id)
}

// List lists agreements.
func (s *Service) List(ctx context.Context, f Filter) ([]*Agreement, string, error) {
	return s.store.List(ctx, f)
}

// Versions lists an agreement's versions, oldest first.
func (s *Service) Versions(ctx context.Context, id string) ([]Version, error) {
	return s.store.Versions(ctx, id)
}

// Create signs a, by the caller by. The unit must sit in the street of the
// community: the street above the unit's community is the street above
// the agreement's community. A request id seen before returns the
// agreement it signed.
func (s *Service) Create(ctx context.Context, a *Agreement, by, requestID string) (*Agreement, error) {
	if err := s.Check(ctx, a); err != nil {
		return nil, err
	}
	var out *Agreement
	err := s.store.InTx(ctx, func(tx Tx) (err error) {
		out, err = cobuild.Once(ctx, tx, "create_agreement", requestID, func(id string) (*Agreement, error) { return tx.Lock(ctx, id) }, func() (*Agreement, string, error) {
			a.Sign(s.clock.Now())
			if err := tx.Insert(ctx, a, by); err != nil {
				return nil, "", err
			}
			return a, a.ID, tx.Emit(ctx, Changed{Agreement: a, Change: ChangeSigned})
		})
		return err
	})
	return out, err
}

// Check applies the rules of signing to a without signing it: its goals,
// contacts and term, and the unit in the community's street (filling in
// the street and district). Balancing signs its agreements through it.
func (s *Service) Check(ctx context.Context, a *Agreement) error {
	if err := a.validate(s.clock.Today()); err != nil {
		return err
	}
	return s.sameStreet(ctx, a)
}

// Sign makes a checked agreement a new live one, signed at now.
func (a *Agreement) Sign(now time.Time) {
	a.ID, a.State, a.Version, a.Created, a.Updated = cobuild.NewID(), Live, 1, now, now
}

func (s *Service) sameStreet(ctx context.Context, a *Agreement) error {
	c, err := cobuild.Community(ctx, s.store, "agreement.community_id", a.CommunityID)
	if err != nil {
		return err
	}
	a.StreetID, a.DistrictID = c.ParentID, c.DistrictID
	unitCommunity, err := s.store.UnitCommunity(ctx, a.UnitID)
	if errors.Is(err, ErrNoUnit) {
		return errs.Field(ErrNoUnit, "agreement.unit_id", "no resident unit has this id")
	}
	if err != nil {
		return err
	}
	uc, err := s.store.Place(ctx, unitCommunity)
	if err != nil && !errors.Is(err, cobuild.ErrNoPlace) {
		return err
	}
	if uc.ParentID == "" || uc.ParentID != c.ParentID {
		return errs.Field(ErrOutOfStreet, "agreement.unit_id", "the unit sits in a community of another street")
	}
	return nil
}

// updatable are the fields an update may name.
var updatable = []string{"goals", "community_contact", "unit_contact"}

// Update changes the goals or contacts of a live agreement.
func (s *Service) Update(ctx context.Context, id string, in *Agreement, mask []string, by string) (*Agreement, error) {
	if err := cobuild.CheckMask(mask, updatable); err != nil {
		return nil, err
	}
	return s.change(ctx, id, ChangeUpdated, by, func(a *Agreement) error {
		for _, f := range mask {
			switch f {
			case "goals":
				a.Goals = in.Goals
			case "community_contact":
				a.CommunityContact = in.CommunityContact
			case "unit_contact":
				a.UnitContact = in.UnitContact
			}
		}
		return a.validateContents()
	})
}

// Renew extends a live agreement's term to end.
func (s *Service) Renew(ctx context.Context, id string, end time.Time, by string) (*Agreement, error) {
	return s.change(ctx, id, ChangeRenewed, by, func(a *Agreement) error {
		if !end.After(a.End) {
			return errs.Field(ErrInvalid, "end_date", "the new end of the term is not after the current one ("+cobuild.FormatDate(a.End)+")")
		}
		a.End = end
		a.Renewals++
		return nil
	})
}

// End ends a live agreement on day with a reason.
func (s *Service) End(ctx context.Context, id string, day time.Time, reason, by string) (*Agreement, error) {
	today := s.clock.Today()
	return s.change(ctx, id, ChangeEnded, by, func(a *Agreement) error {
		switch {
		case strings.TrimSpace(reason) == "":
			return errs.Field(ErrInvalid, "reason", "required")
		case day.After(today):
			return errs.Field(ErrInvalid, "date", "in the future")
		case day.Before(a.Start):
			return errs.Field(ErrInvalid, "date", "before the term began ("+cobuild.FormatDate(a.Start)+")")
		}
		a.State, a.EndedOn, a.EndReason = Ended, day, reason
		return nil
	})
}

// change applies fn to the live agreement id, keeping the version.
func (s *Service) change(ctx context.Context, id, change, by string, fn func(*Agreement) error) (*Agreement, error) {
	var out *Agreement
	err := s.store.InTx(ctx, func(tx Tx) error {
		a, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		if a.State != Live {
			return ErrNotLive
		}
		before := *a
		if err := fn(a); err != nil {
			return err
		}
		a.Version++
		a.Updated = s.clock.Now()
		if err := tx.Save(ctx, a, change, by); err != nil {
			return err
		}
		out = a
		return tx.Emit(ctx, Changed{Agreement: a, Before: &before, Change: change})
	})
	return out, err
}

func (a *Agreement) validate(today time.Time) error {
	if err := a.validateContents(); err != nil {
		return err
	}
	v := errs.NewValidation(ErrInvalid)
	if a.Start.IsZero() {
		v.Add("agreement.start_date", "required")
	}
	if a.End.IsZero() {
		v.Add("agreement.end_date", "required")
	} else if !a.End.After(a.Start) {
		v.Add("agreement.end_date", "not after the start of the term")
	}
	switch {
	case a.Signed.IsZero():
		v.Add("agreement.signed_date", "required")
	case a.Signed.After(today):
		v.Add("agreement.signed_date", "in the future")
	}
	return v.Err()
}

func (a *Agreement) validateContents() error {
	v := errs.NewValidation(ErrInvalid)
	if len(a.Goals) == 0 {
		v.Add("agreement.goals", "at least one goal")
	}
	seen := map[cobuild.Area]bool{}
	for _, g := range a.Goals {
		switch {
		case !g.Area.Valid():
			v.Add("agreement.goals.area", "required: one of %v", cobuild.Areas)
		case seen[g.Area]:
			v.Add("agreement.goals.area", "%s twice: one goal per area", g.Area)
		case strings.TrimSpace(g.Text) == "":
			v.Add("agreement.goals.text", "required")
		}
		seen[g.Area] = true
	}
	if strings.TrimSpace(a.CommunityContact.Name) == "" {
		v.Add("agreement.community_contact.name", "required")
	}
	if strings.TrimSpace(a.UnitContact.Name) == "" {
		v.Add("agreement.unit_contact.name", "required")
	}
	return v.Err()
}
