// Package units keeps the resident units (驻区单位, DOMAIN §3): the offices,
// enterprises, institutions and new organisations that sit in a community,
// their contacts and head counts, and their own party organisation when
// they have one. A unit with party members and no party organisation is a
// coverage gap, announced when it starts and when it ends.
package units

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// Type is what kind of body a unit is; the values are the API enum's
// names without the prefix.
type Type string

// The types of unit.
const (
	GovernmentOffice        Type = "GOVERNMENT_OFFICE"
	StateEnterprise         Type = "STATE_ENTERPRISE"
	PrivateEnterprise       Type = "PRIVATE_ENTERPRISE"
	Institution             Type = "INSTITUTION"
	NewEconomicOrganisation Type = "NEW_ECONOMIC_ORGANISATION"
	SocialOrganisation      Type = "SOCIAL_ORGANISATION"
)

// Types are the types of unit.
var Types = []Type{GovernmentOffice, StateEnterprise, PrivateEnterprise, Institution, NewEconomicOrganisation, SocialOrganisation}

// Unit is a resident unit.
type Unit struct {
	ID, Name    string
	Type        Type
	CommunityID string
	// StreetID and DistrictID are where the community sat when the unit
	// was recorded or last changed.
	StreetID, DistrictID string
	Address              string
	Contacts             []cobuild.Contact
	HeadCount            int
	PartyMemberCount     int
	PartyOrganisationID  string
	// InServiceMembers is how many of its in-service members are
	// registered with communities.
	InServiceMembers int
	Version          int64
	Created, Updated time.Time
}

// CoverageGap reports whether the unit has party members and no party
// organisation of its own.
func (u *Unit) CoverageGap() bool { return u.PartyMemberCount > 0 && u.PartyOrganisationID == "" }

// The errors of units.
var (
	ErrNotFound      = errs.New(errs.NotFound, "resident unit not found")
	ErrInvalid       = cobuild.ErrInvalid
	ErrNotUpdatable  = errs.New(errs.InvalidArgument, "field cannot be changed by an update")
	ErrPartyOrgTaken = errs.New(errs.AlreadyExists, "another unit has this party organisation")
)

// Changed is a unit recorded or changed; Before is nil for a new unit.
type Changed struct {
	Unit, Before *Unit
}

// EventName implements cobuild.Event.
func (Changed) EventName() string { return "resident_unit_changed" }

// CoverageChanged is a unit that started or stopped being a coverage gap.
type CoverageChanged struct{ Unit *Unit }

// EventName implements cobuild.Event.
func (CoverageChanged) EventName() string { return "resident_unit_coverage_changed" }

// Filter selects the units of a list.
type Filter struct {
	// CommunityID, when set, lists one community's units; AncestorID the
	// units of the communities below it ("" for the whole city).
	CommunityID, AncestorID string
	// UnitID restricts the list to one unit (a unit's own contact).
	UnitID    string
	Type      Type
	GapOnly   bool
	PageSize  int
	PageToken string
}

// Store is what units need of the database.
type Store interface {
	cobuild.Places
	InTx(ctx context.Context, fn func(Tx) error) error
	Get(ctx context.Context, id string) (*Unit, error)
	List(ctx context.Context, f Filter) ([]*Unit, string, error)
}

// Tx is a transaction over units.
type Tx interface {
	cobuild.Tx
	Lock(ctx context.Context, id string) (*Unit, error)
	Insert(ctx context.Context, u *Unit) error
	Save(ctx context.Context, u *Unit) error
}

// Service holds the rules of units.
type Service struct {
	store Store
	clock cobuild.Clock
}

// NewService returns the units service over st.
func NewService(st Store, clock cobuild.Clock) *Service { return &Service{store: st, clock: clock} }

// Get returns one unit.
func (s *Service) Get(ctx context.Context, id string) (*Unit, error) { return s.store.Get(ctx, id) }

// List lists units.
func (s *Service) List(ctx context.Context, f Filter) ([]*Unit, string, error) {
	return s.store.List(ctx, f)
}

// Create records u in its community. A request id seen before returns the
// unit it recorded.
func (s *Service) Create(ctx context.Context, u *Unit, requestID string) (*Unit, error) {
	if err := u.validate(); err != nil {
		return nil, err
	}
	if err := s.place(ctx, u); err != nil {
		return nil, err
	}
	var out *Unit
	err := s.store.InTx(ctx, func(tx Tx) (err error) {
		out, err = cobuild.Once(ctx, tx, "create_resident_unit", requestID, func(id string) (*Unit, error) { return tx.Lock(ctx, id) }, func() (*Unit, string, error) {
			now := s.clock.Now()
			u.ID, u.Version, u.Created, u.Updated = cobuild.NewID(), 1, now, now
			if err := tx.Insert(ctx, u); err != nil {
				return nil, "", err
			}
			return u, u.ID, emitChange(ctx, tx, nil, u)
		})
		return err
	})
	return out, err
}

// updatable are the fields an update may name.
var updatable = []string{"name", "type", "address", "contacts", "head_count", "party_member_count", "party_organisation_id"}

// Update changes the fields of mask to those of in.
func (s *Service) Update(ctx context.Context, id string, in *Unit, mask []string) (*Unit, error) {
	if err := cobuild.CheckMask(mask, updatable); err != nil {
		return nil, err
	}
	var out *Unit
	err := s.store.InTx(ctx, func(tx Tx) error {
		u, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		before := *u
		apply(u, in, mask)
		if err := u.validate(); err != nil {
			return err
		}
		if err := s.place(ctx, u); err != nil {
			return err
		}
		u.Version++
		u.Updated = s.clock.Now()
		if err := tx.Save(ctx, u); err != nil {
			return err
		}
		out = u
		return emitChange(ctx, tx, &before, u)
	})
	return out, err
}

func apply(u, in *Unit, mask []string) {
	for _, f := range mask {
		switch f {
		case "name":
			u.Name = in.Name
		case "type":
			u.Type = in.Type
		case "address":
			u.Address = in.Address
		case "contacts":
			u.Contacts = in.Contacts
		case "head_count":
			u.HeadCount = in.HeadCount
		case "party_member_count":
			u.PartyMemberCount = in.PartyMemberCount
		case "party_organisation_id":
			u.PartyOrganisationID = in.PartyOrganisationID
		}
	}
}

// emitChange announces the change, and the change of coverage when the
// unit started or stopped being a gap (a new unit that is one, too).
func emitChange(ctx context.Context, tx Tx, before, u *Unit) error {
	if err := tx.Emit(ctx, Changed{Unit: u, Before: before}); err != nil {
		return err
	}
	if (before == nil && u.CoverageGap()) || (before != nil && before.CoverageGap() != u.CoverageGap()) {
		return tx.Emit(ctx, CoverageChanged{Unit: u})
	}
	return nil
}

func (u *Unit) validate() error {
	v := errs.NewValidation(ErrInvalid)
	if strings.TrimSpace(u.Name) == "" {
		v.Add("resident_unit.name", "required")
	}
	if !slices.Contains(Types, u.Type) {
		v.Add("resident_unit.type", "required: one of %v", Types)
	}
	if u.PartyOrganisationID != "" && !cobuild.ValidID(u.PartyOrganisationID) {
		v.Add("resident_unit.party_organisation_id", "not an id")
	}
	if u.HeadCount < 0 || u.PartyMemberCount < 0 {
		v.Add("resident_unit.head_count", "counts are not negative")
	}
	if u.PartyMemberCount > u.HeadCount && u.HeadCount > 0 {
		v.Add("resident_unit.party_member_count", "more party members than people in the unit")
	}
	return v.Err()
}

// place checks the unit's community and party organisation in the view of
// the tree, and takes the community's street and district.
func (s *Service) place(ctx context.Context, u *Unit) error {
	c, err := cobuild.Community(ctx, s.store, "resident_unit.community_id", u.CommunityID)
	if err != nil {
		return err
	}
	u.StreetID, u.DistrictID = c.ParentID, c.DistrictID
	if u.PartyOrganisationID == "" {
		return nil
	}
	p, err := s.store.Place(ctx, u.PartyOrganisationID)
	if err == nil && (p.Kind != cobuild.KindResidentUnit || !p.Active) {
		return errs.Field(cobuild.ErrWrongPlace, "resident_unit.party_organisation_id",
			"not an active party organisation of a resident unit (kind RESIDENT_UNIT)")
	}
	if err == nil && p.DistrictID != u.DistrictID {
		// A unit's own party organisation is of its district: one of
		// another would count that district's members as the unit's, and
		// take the organisation from the unit it belongs to.
		return errs.Field(cobuild.ErrWrongPlace, "resident_unit.party_organisation_id",
			"a party organisation of another district than the unit's community")
	}
	if errors.Is(err, cobuild.ErrNoPlace) {
		return errs.Field(cobuild.ErrNoPlace, "resident_unit.party_organisation_id", "no organisation has this id")
	}
	return err
}
