// Package activities keeps the joint activities of communities and their
// resident units in the six areas of joint work (DOMAIN §3, document 002):
// the date, the area, the organisers, how many took part, and which
// in-service members did, by member id. The event of a recorded activity
// carries those ids, so that the member service counts it on each member's
// contact card (社区联系卡) — what happened, not what was typed in.
package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// Activity is a joint activity that took place.
type Activity struct {
	ID, Title string
	Area      cobuild.Area
	Date      time.Time
	// CommunityIDs and UnitIDs are the organisers.
	CommunityIDs, UnitIDs []string
	// DistrictID is the district of the first organising community.
	DistrictID                   string
	Attendance, MemberAttendance int
	// MemberIDs are the in-service members who took part.
	MemberIDs   []string
	Description string
	Hours       float64
	RecordedBy  string
	Created     time.Time
}

// Recorded is an activity recorded.
type Recorded struct{ Activity *Activity }

// EventName implements cobuild.Event.
func (Recorded) EventName() string { return "joint_activity_recorded" }

// The errors of activities.
var (
	ErrNotFound = errs.New(errs.NotFound, "joint activity not found")
	ErrInvalid  = cobuild.ErrInvalid
	ErrNoUnit   = errs.New(errs.FailedPrecondition, "no such resident unit")
	// ErrNotRegistered refuses a member named who is not registered in
	// service with an organiser (or not yet known to be).
	ErrNotRegistered = errs.New(errs.FailedPrecondition, "member not registered in service with the organisers")
)

// Filter selects the activities of a list.
type Filter struct {
	CommunityID, UnitID, AncestorID string
	Area                            cobuild.Area
	PageSize                        int
	PageToken                       string
}

// Store is what activities need of the database.
type Store interface {
	cobuild.Places
	InTx(ctx context.Context, fn func(Tx) error) error
	Get(ctx context.Context, id string) (*Activity, error)
	List(ctx context.Context, f Filter) ([]*Activity, string, error)
	// UnitCommunities maps each unit of ids to the community where it
	// sits; a unit that does not exist is absent.
	UnitCommunities(ctx context.Context, ids []string) (map[string]string, error)
	// Unregistered answers the members of memberIDs with no in-service
	// registration (current or ended) with any of communityIDs, as the
	// member service's events told them.
	Unregistered(ctx context.Context, memberIDs, communityIDs []string) ([]string, error)
}

// Tx is a transaction over activities.
type Tx interface {
	cobuild.Tx
	Get(ctx context.Context, id string) (*Activity, error)
	Insert(ctx context.Context, a *Activity) error
}

// Service holds the rules of activities.
type Service struct {
	store Store
	clock cobuild.Clock
}

// NewService returns the activities service over st.
func NewService(st Store, clock cobuild.Clock) *Service { return &Service{store: st, clock: clock} }

// Get returns one activity.
func (s *Service) Get(ctx context.Context, id string) (*Activity, error) { return s.store.Get(ctx, id) }

// List lists activities.
func (s *Service) List(ctx context.Context, f Filter) ([]*Activity, string, error) {
	return s.store.List(ctx, f)
}

// Create records an activity, by the caller by. Each organising unit sits
// in the street of an organising community. A request id seen before
// returns the activity it recorded.
func (s *Service) Create(ctx context.Context, a *Activity, by, requestID string) (*Activity, error) {
	if err := a.validate(s.clock.Today()); err != nil {
		return nil, err
	}
	if err := s.place(ctx, a); err != nil {
		return nil, err
	}
	var out *Activity
	err := s.store.InTx(ctx, func(tx Tx) (err error) {
		out, err = cobuild.Once(ctx, tx, "create_joint_activity", requestID, func(id string) (*Activity, error) { return tx.Get(ctx, id) }, func() (*Activity, string, error) {
			a.ID, a.RecordedBy, a.Created = cobuild.NewID(), by, s.clock.Now()
			if err := tx.Insert(ctx, a); err != nil {
				return nil, "", err
			}
			return a, a.ID, tx.Emit(ctx, Recorded{Activity: a})
		})
		return err
	})
	return out, err
}

func (a *Activity) validate(today time.Time) error {
	v := errs.NewValidation(ErrInvalid)
	if strings.TrimSpace(a.Title) == "" {
		v.Add("joint_activity.title", "required")
	}
	if !a.Area.Valid() {
		v.Add("joint_activity.area", "required: one of %v", cobuild.Areas)
	}
	switch {
	case a.Date.IsZero():
		v.Add("joint_activity.date", "required")
	case a.Date.After(today):
		v.Add("joint_activity.date", "in the future: record an activity once it took place")
	}
	if len(a.CommunityIDs) == 0 {
		v.Add("joint_activity.community_ids", "at least one organising community")
	}
	if a.MemberAttendance > a.Attendance {
		v.Add("joint_activity.member_attendance", "more party members than people who took part")
	}
	if len(a.MemberIDs) > a.MemberAttendance {
		v.Add("joint_activity.member_ids", "more members named than the party members who took part (member_attendance)")
	}
	return v.Err()
}

// place checks the organisers in the view of the tree: active
// communities, and units sitting in the street of one of them; and the
// members named, each registered in service with an organising community
// or a participating unit's.
func (s *Service) place(ctx context.Context, a *Activity) error {
	communities, err := s.organisers(ctx, a)
	if err != nil || len(a.MemberIDs) == 0 {
		return err
	}
	missing, err := s.store.Unregistered(ctx, a.MemberIDs, communities)
	if err != nil || len(missing) == 0 {
		return err
	}
	more := ""
	if len(missing) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(missing)-1)
	}
	return errs.Field(ErrNotRegistered, "joint_activity.member_ids",
		"the member "+missing[0]+more+" is not registered in service with an organising community or a participating unit's")
}

// organisers checks the organising communities and units, and answers the
// communities of both.
func (s *Service) organisers(ctx context.Context, a *Activity) ([]string, error) {
	streets := map[string]bool{}
	for i, id := range a.CommunityIDs {
		c, err := cobuild.Community(ctx, s.store, "joint_activity.community_ids", id)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			a.DistrictID = c.DistrictID
		}
		streets[c.ParentID] = true
	}
	communities := slices.Clone(a.CommunityIDs)
	if len(a.UnitIDs) == 0 {
		return communities, nil
	}
	where, err := s.store.UnitCommunities(ctx, a.UnitIDs)
	if err != nil {
		return nil, err
	}
	for _, id := range a.UnitIDs {
		community, ok := where[id]
		if !ok {
			return nil, errs.Field(ErrNoUnit, "joint_activity.unit_ids", "no resident unit has the id "+id)
		}
		c, err := s.store.Place(ctx, community)
		if err != nil && !errors.Is(err, cobuild.ErrNoPlace) {
			return nil, err
		}
		if !streets[c.ParentID] {
			return nil, errs.Field(ErrInvalid, "joint_activity.unit_ids", "the unit "+id+" sits outside the streets of the organising communities")
		}
		communities = append(communities, community)
	}
	return communities, nil
}
