// Package meetings keeps the joint meetings (联席会议, DOMAIN §3) and their
// issue ledger (议事台账). A community meets its resident units at least
// once in each period of its district (every half year, document 002); the
// county's coordination committee every quarter (documents 000, 001). Each
// matter a meeting agrees is split into ledger items with an owner — a unit
// or an organisation — and a deadline; the owner reports progress with
// evidence; the convener ticks the item off (销号), which needs evidence,
// or sends it back with a reason. The sweeper announces once each item past
// its deadline and each convener that held no meeting in a closed period.
package meetings

import (
	"context"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// Kind is who convenes a meeting.
type Kind string

// The kinds of meeting.
const (
	// CommunityMeeting is a community's meeting with its resident units.
	CommunityMeeting Kind = "COMMUNITY"
	// CountyMeeting is the county's (district's) coordination committee.
	CountyMeeting Kind = "COUNTY"
)

// Meeting is a joint meeting that took place.
type Meeting struct {
	ID                       string
	Kind                     Kind
	ConvenerID, DistrictID   string
	Date                     time.Time
	Title                    string
	UnitIDs, OrganisationIDs []string
	Minutes                  string
	Version                  int64
	Created, Updated         time.Time
}

// Recorded is a meeting recorded or corrected.
type Recorded struct {
	Meeting, Before *Meeting
}

// EventName implements cobuild.Event.
func (Recorded) EventName() string { return "joint_meeting_recorded" }

// Missed is a convener that held no meeting in a closed period.
type Missed struct {
	Kind                   Kind
	ConvenerID, DistrictID string
	Period                 cobuild.Period
	Detected               time.Time
}

// MissedEvent announces a missed period, once.
type MissedEvent struct{ Missed Missed }

// EventName implements cobuild.Event.
func (MissedEvent) EventName() string { return "joint_meeting_missed" }

// The errors of meetings and ledger items.
var (
	ErrNotFound     = errs.New(errs.NotFound, "joint meeting not found")
	ErrItemNotFound = errs.New(errs.NotFound, "ledger item not found")
	ErrInvalid      = cobuild.ErrInvalid
	ErrNotUpdatable = errs.New(errs.InvalidArgument, "field cannot be changed by an update")
	ErrNoUnit       = errs.New(errs.FailedPrecondition, "no such resident unit")
	ErrNoEvidence   = errs.WithReason(errs.FailedPrecondition, "NO_EVIDENCE", "the item has no progress reported with evidence")
	ErrItemClosed   = errs.WithReason(errs.FailedPrecondition, "ITEM_CLOSED", "the item was ticked off")
	ErrNotReported  = errs.WithReason(errs.FailedPrecondition, "NOT_REPORTED", "the owner has not reported since the item was last sent back")
)

// MeetingFilter selects the meetings of a list.
type MeetingFilter struct {
	ConvenerID, AncestorID, UnitID string
	PageSize                       int
	PageToken                      string
}

// Store is what meetings and ledger items need of the database.
type Store interface {
	cobuild.Places
	cobuild.SettingsReader
	InTx(ctx context.Context, fn func(Tx) error) error
	Get(ctx context.Context, id string) (*Meeting, error)
	List(ctx context.Context, f MeetingFilter) ([]*Meeting, string, error)
	GetItem(ctx context.Context, id string) (*Item, error)
	ListItems(ctx context.Context, f ItemFilter) ([]*Item, string, error)
	// MissingUnits returns the ids among ids that are no resident unit.
	MissingUnits(ctx context.Context, ids []string) ([]string, error)
}

// Tx is a transaction over meetings and ledger items.
type Tx interface {
	cobuild.Tx
	Lock(ctx context.Context, id string) (*Meeting, error)
	Insert(ctx context.Context, m *Meeting) error
	Save(ctx context.Context, m *Meeting) error
	LockItem(ctx context.Context, id string) (*Item, error)
	InsertItem(ctx context.Context, it *Item) error
	SaveItem(ctx context.Context, it *Item) error
	// MarkOverdue marks at most limit items past their deadline before
	// today, not ticked off and not marked before, that no other
	// transaction holds, and returns them: an item is returned once, ever.
	MarkOverdue(ctx context.Context, today time.Time, limit int, now time.Time) ([]*Item, error)
	// MarkMissedMeetings takes at most limit conveners that no other
	// transaction holds with closed periods not yet swept, records each
	// period in which the convener was bound (a live agreement met it) and
	// held no meeting, marks them swept, and returns the misses and how
	// many conveners it took.
	MarkMissedMeetings(ctx context.Context, today time.Time, defaults cobuild.Settings, limit int, now time.Time) ([]Missed, int, error)
}

// Service holds the rules of meetings and ledger items.
type Service struct {
	store Store
	clock cobuild.Clock
}

// NewService returns the meetings service over st.
func NewService(st Store, clock cobuild.Clock) *Service { return &Service{store: st, clock: clock} }

// Get returns one meeting.
func (s *Service) Get(ctx context.Context, id string) (*Meeting, error) { return s.store.Get(ctx, id) }

// List lists meetings.
func (s *Service) List(ctx context.Context, f MeetingFilter) ([]*Meeting, string, error) {
	return s.store.List(ctx, f)
}

// Create records a meeting that took place. A request id seen before
// returns the meeting it recorded.
func (s *Service) Create(ctx context.Context, m *Meeting, requestID string) (*Meeting, error) {
	if err := s.validate(ctx, m); err != nil {
		return nil, err
	}
	var out *Meeting
	err := s.store.InTx(ctx, func(tx Tx) (err error) {
		out, err = cobuild.Once(ctx, tx, "create_joint_meeting", requestID, func(id string) (*Meeting, error) { return tx.Lock(ctx, id) }, func() (*Meeting, string, error) {
			now := s.clock.Now()
			m.ID, m.Version, m.Created, m.Updated = cobuild.NewID(), 1, now, now
			if err := tx.Insert(ctx, m); err != nil {
				return nil, "", err
			}
			return m, m.ID, tx.Emit(ctx, Recorded{Meeting: m})
		})
		return err
	})
	return out, err
}

var meetingUpdatable = []string{"title", "unit_ids", "organisation_ids", "minutes"}

// Update corrects a meeting's title, attendees or minutes.
func (s *Service) Update(ctx context.Context, id string, in *Meeting, mask []string) (*Meeting, error) {
	if err := cobuild.CheckMask(mask, meetingUpdatable); err != nil {
		return nil, err
	}
	var out *Meeting
	err := s.store.InTx(ctx, func(tx Tx) error {
		m, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		before := *m
		for _, f := range mask {
			switch f {
			case "title":
				m.Title = in.Title
			case "unit_ids":
				m.UnitIDs = in.UnitIDs
			case "organisation_ids":
				m.OrganisationIDs = in.OrganisationIDs
			case "minutes":
				m.Minutes = in.Minutes
			}
		}
		if err := s.validate(ctx, m); err != nil {
			return err
		}
		m.Version++
		m.Updated = s.clock.Now()
		if err := tx.Save(ctx, m); err != nil {
			return err
		}
		out = m
		return tx.Emit(ctx, Recorded{Meeting: m, Before: &before})
	})
	return out, err
}

// validate checks a meeting and places its convener: a community for a
// community's meeting, a district for the county's.
func (s *Service) validate(ctx context.Context, m *Meeting) error {
	v := errs.NewValidation(ErrInvalid)
	if m.Kind != CommunityMeeting && m.Kind != CountyMeeting {
		v.Add("joint_meeting.kind", "required: COMMUNITY or COUNTY")
	}
	switch {
	case m.Date.IsZero():
		v.Add("joint_meeting.date", "required")
	case m.Date.After(s.clock.Today()):
		v.Add("joint_meeting.date", "in the future: record a meeting once it took place")
	}
	if err := v.Err(); err != nil {
		return err
	}
	find := cobuild.Community
	if m.Kind == CountyMeeting {
		find = cobuild.District
	}
	p, err := find(ctx, s.store, "joint_meeting.convener_id", m.ConvenerID)
	if err != nil {
		return err
	}
	m.DistrictID = p.DistrictID
	missing, err := s.store.MissingUnits(ctx, m.UnitIDs)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return errs.Field(ErrNoUnit, "joint_meeting.unit_ids", "no resident unit has the id "+missing[0])
	}
	for _, id := range m.OrganisationIDs {
		if _, err := s.store.Place(ctx, id); err != nil {
			return errs.Field(cobuild.ErrNoPlace, "joint_meeting.organisation_ids", "no organisation has the id "+id)
		}
	}
	return nil
}
