// Package volunteers keeps the volunteer teams (志愿者服务队, DOMAIN §3,
// document 002: 21 teams, 1,300 volunteers): legal aid, health, tutoring…,
// each run by a community or a resident unit, with its volunteers — party
// members by member id, other people by name — and the services it gave,
// with the hours each volunteer gave. The event of a service carries the
// party members who served, so that other services can count it.
package volunteers

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// Kind is what a team does; the values are the API enum's names without
// the prefix.
type Kind string

// Kinds are the kinds of team.
var Kinds = []Kind{"LEGAL", "HEALTH", "TUTORING", "ELDERLY_CARE", "ENVIRONMENT", "SECURITY", "CULTURE", "OTHER"}

// Team is a volunteer team.
type Team struct {
	ID, Name string
	Kind     Kind
	// CommunityID is the community behind the team, or the community of
	// the unit behind it (UnitID).
	CommunityID, UnitID, DistrictID string
	Leader                          cobuild.Contact
	Description                     string
	// VolunteerCount, PartyMemberCount and ServiceHours are counted.
	VolunteerCount, PartyMemberCount int
	ServiceHours                     float64
	CreatedBy                        string
	Created                          time.Time
}

// Volunteer is a person in a team.
type Volunteer struct {
	ID, TeamID string
	// MemberID is the party member, if the volunteer is one; else Name.
	MemberID, Name, Skills string
	Joined, Left           time.Time
	ServiceHours           float64
}

// Service is a service a team gave.
type Service struct {
	ID, TeamID   string
	Date         time.Time
	Title        string
	VolunteerIDs []string
	// MemberIDs are the party members among the volunteers.
	MemberIDs  []string
	Hours      float64
	Served     int
	RecordedBy string
	Created    time.Time
}

// The events of teams.
type (
	// TeamChanged is a team recorded or changed; Before is nil for a new
	// one.
	TeamChanged struct{ Team, Before *Team }
	// VolunteersChanged is volunteers who joined or left a team.
	VolunteersChanged struct {
		Team         *Team
		Joined, Left []*Volunteer
	}
	// ServiceRecorded is a service recorded.
	ServiceRecorded struct {
		Team    *Team
		Service *Service
	}
)

// EventName implements cobuild.Event.
func (TeamChanged) EventName() string { return "volunteer_team_changed" }

// EventName implements cobuild.Event.
func (VolunteersChanged) EventName() string { return "volunteers_changed" }

// EventName implements cobuild.Event.
func (ServiceRecorded) EventName() string { return "volunteer_service_recorded" }

// The errors of teams.
var (
	ErrInvalid          = cobuild.ErrInvalid
	ErrNotFound         = errs.New(errs.NotFound, "volunteer team not found")
	ErrNoUnit           = errs.New(errs.FailedPrecondition, "no such resident unit")
	ErrAlreadyVolunteer = errs.WithReason(errs.AlreadyExists, "ALREADY_VOLUNTEER", "the party member is already in the team")
	ErrNotInTeam        = errs.WithReason(errs.FailedPrecondition, "NOT_IN_TEAM", "not a current volunteer of the team")
)

// Filter selects the teams of a list.
type Filter struct {
	CommunityID, UnitID, AncestorID string
	Kind                            Kind
	PageSize                        int
	PageToken                       string
}

// Store is what teams need of the database.
type Store interface {
	cobuild.Places
	InTx(ctx context.Context, fn func(Tx) error) error
	Get(ctx context.Context, id string) (*Team, error)
	List(ctx context.Context, f Filter) ([]*Team, string, error)
	// UnitCommunity is the community where a unit sits, or ErrNoUnit.
	UnitCommunity(ctx context.Context, unitID string) (string, error)
	Volunteers(ctx context.Context, teamID string, pageSize int, pageToken string) ([]*Volunteer, string, error)
	Services(ctx context.Context, teamID string, pageSize int, pageToken string) ([]*Service, string, error)
}

// Tx is a transaction over teams.
type Tx interface {
	cobuild.Tx
	// Lock returns a team and holds it until the transaction ends.
	Lock(ctx context.Context, id string) (*Team, error)
	Insert(ctx context.Context, t *Team) error
	Save(ctx context.Context, t *Team) error
	// CurrentMembers are the member ids among the team's current
	// volunteers.
	CurrentMembers(ctx context.Context, teamID string) ([]string, error)
	// CurrentVolunteers returns those of ids that are the team's current
	// volunteers.
	CurrentVolunteers(ctx context.Context, teamID string, ids []string) ([]*Volunteer, error)
	InsertVolunteers(ctx context.Context, vs []*Volunteer) error
	SaveVolunteer(ctx context.Context, v *Volunteer) error
	GetService(ctx context.Context, id string) (*Service, error)
	InsertService(ctx context.Context, s *Service) error
}

// Teams holds the rules of volunteer teams.
type Teams struct {
	store Store
	clock cobuild.Clock
}

// NewTeams returns the teams service over st.
func NewTeams(st Store, clock cobuild.Clock) *Teams { return &Teams{store: st, clock: clock} }

// Get returns one team.
func (s *Teams) Get(ctx context.Context, id string) (*Team, error) { return s.store.Get(ctx, id) }

// List lists teams.
func (s *Teams) List(ctx context.Context, f Filter) ([]*Team, string, error) {
	return s.store.List(ctx, f)
}

// Volunteers lists a team's current volunteers.
func (s *Teams) Volunteers(ctx context.Context, teamID string, size int, token string) ([]*Volunteer, string, error) {
	if _, err := s.store.Get(ctx, teamID); err != nil {
		return nil, "", err
	}
	return s.store.Volunteers(ctx, teamID, size, token)
}

// Services lists a team's services, latest first.
func (s *Teams) Services(ctx context.Context, teamID string, size int, token string) ([]*Service, string, error) {
	if _, err := s.store.Get(ctx, teamID); err != nil {
		return nil, "", err
	}
	return s.store.Services(ctx, teamID, size, token)
}

// Create records a team of a community or of a unit, by the caller by. A
// request id seen before returns the team it recorded.
func (s *Teams) Create(ctx context.Context, t *Team, by, requestID string) (*Team, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	if err := s.place(ctx, t); err != nil {
		return nil, err
	}
	var out *Team
	err := s.store.InTx(ctx, func(tx Tx) (err error) {
		out, err = cobuild.Once(ctx, tx, "create_volunteer_team", requestID, func(id string) (*Team, error) { return tx.Lock(ctx, id) }, func() (*Team, string, error) {
			t.ID, t.CreatedBy, t.Created = cobuild.NewID(), by, s.clock.Now()
			if err := tx.Insert(ctx, t); err != nil {
				return nil, "", err
			}
			return t, t.ID, tx.Emit(ctx, TeamChanged{Team: t})
		})
		return err
	})
	return out, err
}

// updatable are the fields an update may name; who runs the team is fixed.
var updatable = []string{"name", "kind", "leader", "description"}

// Update changes the fields of mask to those of in.
func (s *Teams) Update(ctx context.Context, id string, in *Team, mask []string) (*Team, error) {
	if err := cobuild.CheckMask(mask, updatable); err != nil {
		return nil, err
	}
	var out *Team
	err := s.store.InTx(ctx, func(tx Tx) error {
		t, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		before := *t
		for _, f := range mask {
			switch f {
			case "name":
				t.Name = in.Name
			case "kind":
				t.Kind = in.Kind
			case "leader":
				t.Leader = in.Leader
			case "description":
				t.Description = in.Description
			}
		}
		if err := t.validate(); err != nil {
			return err
		}
		if err := tx.Save(ctx, t); err != nil {
			return err
		}
		out = t
		return tx.Emit(ctx, TeamChanged{Team: t, Before: &before})
	})
	return out, err
}

func (t *Team) validate() error {
	v := errs.NewValidation(ErrInvalid)
	if strings.TrimSpace(t.Name) == "" {
		v.Add("volunteer_team.name", "required")
	}
	if !slices.Contains(Kinds, t.Kind) {
		v.Add("volunteer_team.kind", "required: one of %v", Kinds)
	}
	switch {
	case t.CommunityID == "" && t.UnitID == "":
		v.Add("volunteer_team.community_id", "a community or a unit runs the team")
	case t.CommunityID != "" && t.UnitID != "":
		v.Add("volunteer_team.unit_id", "a community or a unit runs the team, not both")
	}
	return v.Err()
}

// place takes the team's community (a unit's) and district.
func (s *Teams) place(ctx context.Context, t *Team) error {
	field := "volunteer_team.community_id"
	if t.UnitID != "" {
		field = "volunteer_team.unit_id"
		c, err := s.store.UnitCommunity(ctx, t.UnitID)
		if errors.Is(err, ErrNoUnit) {
			return errs.Field(ErrNoUnit, field, "no resident unit has this id")
		}
		if err != nil {
			return err
		}
		t.CommunityID = c
	}
	c, err := cobuild.Community(ctx, s.store, field, t.CommunityID)
	if err != nil {
		return err
	}
	t.DistrictID = c.DistrictID
	return nil
}

// Add adds volunteers to a team: each a party member (by member id) not
// already in it, or a person by name.
func (s *Teams) Add(ctx context.Context, teamID string, vs []*Volunteer) ([]*Volunteer, error) {
	if err := validateVolunteers(vs); err != nil {
		return nil, err
	}
	err := s.store.InTx(ctx, func(tx Tx) error {
		t, err := tx.Lock(ctx, teamID)
		if err != nil {
			return err
		}
		in, err := tx.CurrentMembers(ctx, teamID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		for i, v := range vs {
			if v.MemberID != "" && slices.Contains(in, v.MemberID) {
				return errs.Field(ErrAlreadyVolunteer, fieldOf(i, "member_id"), "the member "+v.MemberID+" is already in the team")
			}
			v.ID, v.TeamID, v.Joined = cobuild.NewID(), teamID, now
		}
		if err := tx.InsertVolunteers(ctx, vs); err != nil {
			return err
		}
		return tx.Emit(ctx, VolunteersChanged{Team: t, Joined: vs})
	})
	return vs, err
}

func fieldOf(i int, f string) string {
	return "volunteers[" + strconv.Itoa(i) + "]." + f
}

func validateVolunteers(vs []*Volunteer) error {
	v := errs.NewValidation(ErrInvalid)
	members := map[string]bool{}
	for i, x := range vs {
		switch {
		case x.MemberID != "" && !cobuild.ValidID(x.MemberID):
			v.Add(fieldOf(i, "member_id"), "not an id")
		case x.MemberID != "" && members[x.MemberID]:
			v.Add(fieldOf(i, "member_id"), "named twice")
		case x.MemberID == "" && strings.TrimSpace(x.Name) == "":
			v.Add(fieldOf(i, "name"), "a volunteer who is not a party member is named")
		}
		if x.MemberID != "" {
			members[x.MemberID] = true
		}
	}
	if len(vs) == 0 {
		v.Add("volunteers", "at least one")
	}
	return v.Err()
}

// Remove ends a volunteer's membership of a team; their services stay.
func (s *Teams) Remove(ctx context.Context, teamID, volunteerID string) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		t, err := tx.Lock(ctx, teamID)
		if err != nil {
			return err
		}
		cur, err := tx.CurrentVolunteers(ctx, teamID, []string{volunteerID})
		if err != nil {
			return err
		}
		if len(cur) == 0 {
			return errs.Field(ErrNotInTeam, "volunteer_id", "not a current volunteer of the team")
		}
		v := cur[0]
		v.Left = s.clock.Now()
		if err := tx.SaveVolunteer(ctx, v); err != nil {
			return err
		}
		return tx.Emit(ctx, VolunteersChanged{Team: t, Left: []*Volunteer{v}})
	})
}

// Record records a service the team gave, by the caller by: the day (not
// in the future), what was done, which of its current volunteers served
// and the hours each gave. A request id seen before returns the record
// it made.
func (s *Teams) Record(ctx context.Context, sv *Service, by, requestID string) (*Service, error) {
	if err := sv.validate(s.clock.Today()); err != nil {
		return nil, err
	}
	var out *Service
	err := s.store.InTx(ctx, func(tx Tx) (err error) {
		out, err = cobuild.Once(ctx, tx, "record_volunteer_service", requestID, func(id string) (*Service, error) { return tx.GetService(ctx, id) }, func() (*Service, string, error) {
			t, err := tx.Lock(ctx, sv.TeamID)
			if err != nil {
				return nil, "", err
			}
			cur, err := tx.CurrentVolunteers(ctx, sv.TeamID, sv.VolunteerIDs)
			if err != nil {
				return nil, "", err
			}
			byID := map[string]*Volunteer{}
			for _, v := range cur {
				byID[v.ID] = v
			}
			sv.MemberIDs = nil
			for i, id := range sv.VolunteerIDs {
				v, ok := byID[id]
				if !ok {
					return nil, "", errs.Field(ErrNotInTeam, "service_record.volunteer_ids["+strconv.Itoa(i)+"]", "not a current volunteer of the team")
				}
				if v.MemberID != "" {
					sv.MemberIDs = append(sv.MemberIDs, v.MemberID)
				}
			}
			sv.ID, sv.RecordedBy, sv.Created = cobuild.NewID(), by, s.clock.Now()
			if err := tx.InsertService(ctx, sv); err != nil {
				return nil, "", err
			}
			return sv, sv.ID, tx.Emit(ctx, ServiceRecorded{Team: t, Service: sv})
		})
		return err
	})
	return out, err
}

func (sv *Service) validate(today time.Time) error {
	v := errs.NewValidation(ErrInvalid)
	if strings.TrimSpace(sv.Title) == "" {
		v.Add("service_record.title", "required")
	}
	switch {
	case sv.Date.IsZero():
		v.Add("service_record.date", "required")
	case sv.Date.After(today):
		v.Add("service_record.date", "in the future: record a service once given")
	}
	if len(sv.VolunteerIDs) == 0 {
		v.Add("service_record.volunteer_ids", "at least one volunteer served")
	}
	if sv.Hours <= 0 {
		v.Add("service_record.hours", "more than 0")
	}
	return v.Err()
}
