package org

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/replay"
)

// Service carries out the commands of the organisation domain.
type Service struct {
	store Store
	now   func() time.Time
	loc   *time.Location
}

// NewService returns a Service over store. now is the clock (time.Now when
// nil); loc is the city's time zone, which decides what "today" is for
// ages, activity dates and quarters (UTC when nil).
func NewService(store Store, now func() time.Time, loc *time.Location) *Service {
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Service{store: store, loc: loc, now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
}

// today is the calendar day in the city now.
func (s *Service) today() Date { return DateOf(s.now().In(s.loc)) }

// NewID returns a new time-ordered identifier.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Create adds o under its parent. A request id seen before returns the
// organisation it created.
func (s *Service) Create(ctx context.Context, o *Organisation, requestID string) (*Organisation, error) {
	if o.Details.Founded.IsZero() {
		o.Details.Founded = s.today()
	}
	if s.today().Before(o.Details.Founded) {
		return nil, errs.Field(ErrInvalid, "organisation.founding_date", "an organisation cannot be founded in the future")
	}
	if err := o.validateShape(); err != nil {
		return nil, err
	}
	var created *Organisation
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("create_organisation", requestID)
		if seen, err := replay.Seen(ctx, tx, key, &created, tx.Lock); err != nil || seen {
			return err
		}
		if err := tx.LockTree(ctx, false); err != nil {
			return err
		}
		if err := s.placeNew(ctx, tx, o); err != nil {
			return err
		}
		now := s.now()
		o.ID, o.State, o.Version, o.Created, o.Updated = NewID(), Active, 1, now, now
		o.Leadership, o.MemberCount = nil, 0
		if err := tx.Insert(ctx, o); err != nil {
			return err
		}
		if err := tx.RememberRequest(ctx, key, o.ID); err != nil {
			return err
		}
		created = o
		return tx.Emit(ctx, Created{Org: o}, now)
	})
	return created, err
}

// placeNew checks the parent of a new organisation and derives the fields
// that follow from where it sits.
func (s *Service) placeNew(ctx context.Context, tx Tx, o *Organisation) error {
	if o.Kind == City {
		if o.ParentID != "" {
			return errs.Field(ErrKindNotAllowed, "organisation.parent_id", "the city committee is the root and has no parent")
		}
		exists, err := tx.CityExists(ctx)
		if err != nil {
			return err
		}
		if exists {
			return errs.Field(ErrCityExists, "organisation.kind", "the city committee is the one root of the tree")
		}
		o.AncestorIDs, o.Depth, o.DistrictID = nil, 0, ""
		return nil
	}
	if o.ParentID == "" {
		return errs.Field(ErrInvalid, "organisation.parent_id", "parent_id is required for every organisation but the city")
	}
	parent, err := tx.Lock(ctx, o.ParentID)
	if errors.Is(err, ErrNotFound) {
		return errs.Field(ErrParentNotFound, "organisation.parent_id", "no organisation has this id")
	}
	if err != nil {
		return err
	}
	if err := checkParent(o.Kind, parent, "organisation.parent_id"); err != nil {
		return err
	}
	o.place(parent)
	return nil
}

// checkParent applies the tree's parentage rules.
func checkParent(kind Kind, parent *Organisation, field string) error {
	if parent.State == Dissolved {
		return errs.Field(ErrParentDissolved, field, "the parent organisation is dissolved")
	}
	if !kind.AllowedUnder(parent.Kind) {
		return errs.Field(ErrKindNotAllowed, field, "a "+kindWord(kind)+" cannot sit under a "+kindWord(parent.Kind)+
			"; it may sit under: "+kindWords(kind.AllowedParents()))
	}
	return nil
}

// place derives the position fields from the parent.
func (o *Organisation) place(parent *Organisation) {
	o.ParentID = parent.ID
	o.AncestorIDs = append(append([]string(nil), parent.AncestorIDs...), parent.ID)
	o.Depth = parent.Depth + 1
	o.DistrictID = parent.DistrictID
	if parent.Kind == District {
		o.DistrictID = parent.ID
	}
	if o.Kind == District {
		o.DistrictID = ""
	}
}

// DistrictOf returns the district an organisation belongs to; a district
// belongs to itself.
func (o *Organisation) DistrictOf() string {
	if o.Kind == District {
		return o.ID
	}
	return o.DistrictID
}

// Get returns an organisation now or, when at is set, as it was then.
func (s *Service) Get(ctx context.Context, id string, at *time.Time) (*Organisation, error) {
	if at != nil {
		return s.store.GetAsOf(ctx, id, *at)
	}
	return s.store.Get(ctx, id)
}

// List pages through organisations.
func (s *Service) List(ctx context.Context, f ListFilter) ([]*Organisation, string, error) {
	if f.ParentID == "" && f.AncestorID == "" && f.DistrictID == "" && f.Kind == "" && f.WithinID == "" {
		return nil, "", errs.Field(ErrInvalid, "parent_id", "one of parent_id, ancestor_id, district_id or kind is required")
	}
	f.Page.Size = page.Size(f.Page.Size)
	return s.store.List(ctx, f)
}

// History pages through the versions of an organisation, newest first.
func (s *Service) History(ctx context.Context, id string, p Page) ([]Version, string, error) {
	p.Size = page.Size(p.Size)
	return s.store.History(ctx, id, p)
}

// updatable lists the fields UpdateOrganisation may change, by API name.
var updatable = map[string]func(dst, src *Organisation){
	"name":           func(d, s *Organisation) { d.Name = s.Name },
	"code":           func(d, s *Organisation) { d.Code = s.Code },
	"founding_date":  func(d, s *Organisation) { d.Details.Founded = s.Details.Founded },
	"community_form": func(d, s *Organisation) { d.Details.CommunityForm = s.Details.CommunityForm },
	"branch_basis":   func(d, s *Organisation) { d.Details.BranchBasis = s.Details.BranchBasis },
	"town":           func(d, s *Organisation) { d.Details.Town = s.Details.Town },
	"grid":           func(d, s *Organisation) { d.Details.Grid = s.Details.Grid },
	"temporary":      func(d, s *Organisation) { d.Details.Temporary = s.Details.Temporary },
	"resident_unit":  func(d, s *Organisation) { d.Details.ResidentUnit = s.Details.ResidentUnit },
	"premises":       func(d, s *Organisation) { d.Details.Premises = s.Details.Premises },
	"funds":          func(d, s *Organisation) { d.Details.Funds = s.Details.Funds },
}

// Update changes the named fields of an organisation.
func (s *Service) Update(ctx context.Context, patch *Organisation, fields []string, etag string) (*Organisation, error) {
	if err := checkMask(fields); err != nil {
		return nil, err
	}
	return s.change(ctx, patch.ID, etag, func(tx Tx, o *Organisation) (Event, string, error) {
		for _, f := range fields {
			updatable[f](o, patch)
		}
		if err := o.validateShape(); err != nil {
			return nil, "", err
		}
		return Updated{Org: o, Changed: fields}, ChangeUpdated, nil
	})
}

func checkMask(fields []string) error {
	if len(fields) == 0 {
		return errs.Field(ErrInvalid, "update_mask", "name at least one field to change")
	}
	for _, f := range fields {
		if _, ok := updatable[f]; !ok {
			return errs.Field(ErrInvalid, "update_mask", "field "+f+" cannot be updated here (the parent changes by move, the team by SetLeadershipTeam)")
		}
	}
	return nil
}

// SetLeadership replaces the leadership team.
func (s *Service) SetLeadership(ctx context.Context, id string, team []Cadre, etag string) (*Organisation, error) {
	if err := validateTeam(team, s.today()); err != nil {
		return nil, err
	}
	return s.change(ctx, id, etag, func(tx Tx, o *Organisation) (Event, string, error) {
		o.Leadership = team
		return Updated{Org: o, Changed: []string{"leadership"}}, ChangeLeadership, nil
	})
}

// Dissolve ends an organisation that has neither members nor live children.
func (s *Service) Dissolve(ctx context.Context, id, reason, etag string) (*Organisation, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, errs.Field(ErrInvalid, "reason", "say why the organisation is dissolved")
	}
	return s.change(ctx, id, etag, func(tx Tx, o *Organisation) (Event, string, error) {
		if o.MemberCount > 0 {
			return nil, "", errs.Detail(ErrHasMembers, "%d members' relationships still sit here; transfer them first", o.MemberCount)
		}
		n, err := tx.LiveChildren(ctx, o.ID)
		if err != nil {
			return nil, "", err
		}
		if n > 0 {
			return nil, "", errs.Detail(ErrHasChildren, "%d child organisations are still active; dissolve or move them first", n)
		}
		o.State, o.DissolveReason, o.DissolvedAt = Dissolved, reason, s.now()
		return DissolvedEvent{Org: o}, ChangeDissolved, nil
	})
}

// change is the shape of every edit of one organisation: lock it, check the
// etag and that it is alive, apply fn, advance the version, save with its
// history, and emit fn's event.
func (s *Service) change(ctx context.Context, id, etag string, fn func(Tx, *Organisation) (Event, string, error)) (*Organisation, error) {
	var out *Organisation
	err := s.store.InTx(ctx, func(tx Tx) error {
		o, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		if etag != "" && etag != o.Etag() {
			return ErrEtagMismatch
		}
		if o.State == Dissolved {
			return ErrDissolved
		}
		ev, change, err := fn(tx, o)
		if err != nil {
			return err
		}
		o.Version++
		o.Updated = s.now()
		if err := tx.Save(ctx, o, change); err != nil {
			return err
		}
		out = o
		return tx.Emit(ctx, ev, o.Updated)
	})
	return out, err
}

// Move puts an organisation and its subtree under another parent.
func (s *Service) Move(ctx context.Context, id, newParentID, etag string) (*Organisation, error) {
	var out *Organisation
	err := s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.LockTree(ctx, true); err != nil {
			return err
		}
		o, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		if etag != "" && etag != o.Etag() {
			return ErrEtagMismatch
		}
		if o.State == Dissolved {
			return ErrDissolved
		}
		parent, err := tx.Lock(ctx, newParentID)
		if errors.Is(err, ErrNotFound) {
			return errs.Field(ErrParentNotFound, "new_parent_id", "no organisation has this id")
		}
		if err != nil {
			return err
		}
		if parent.ID == o.ID || contains(parent.AncestorIDs, o.ID) {
			return errs.Field(ErrCycle, "new_parent_id", "the new parent lies inside the subtree being moved")
		}
		if err := checkParent(o.Kind, parent, "new_parent_id"); err != nil {
			return err
		}
		oldParent, oldDistrict := o.ParentID, o.DistrictID
		o.place(parent)
		n, err := tx.MoveSubtree(ctx, o, parent)
		if err != nil {
			return err
		}
		o.Version++
		o.Updated = s.now()
		if err := tx.Save(ctx, o, ChangeMoved); err != nil {
			return err
		}
		out = o
		return tx.Emit(ctx, Moved{Org: o, OldParentID: oldParent, OldDistrictID: oldDistrict, SubtreeSize: n}, o.Updated)
	})
	return out, err
}

// ApplyMemberCount stores a count the member service reported at a given
// time. A count older than the one kept is ignored: redelivered or
// reordered events never roll a count back.
func (s *Service) ApplyMemberCount(ctx context.Context, id string, count int64, at time.Time) error {
	_, err := s.recordCount(ctx, id, count, at.UTC().Truncate(time.Microsecond))
	return err
}

// recordCount keeps a count reported by the member service, the only
// writer of member counts: no API sets them.
func (s *Service) recordCount(ctx context.Context, id string, count int64, at time.Time) (*Organisation, error) {
	var out *Organisation
	err := s.store.InTx(ctx, func(tx Tx) error {
		o, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		if count > 0 && o.State == Dissolved {
			return errs.Field(ErrDissolved, "organisation_id", "a dissolved organisation has no members")
		}
		if count > 0 && !o.Kind.AcceptsMembers() {
			return errs.Field(ErrNoMemberHere, "organisation_id", "members sit in branches, general branches, communities and unit organisations, not in a "+kindWord(o.Kind))
		}
		applied, err := tx.SetMemberCount(ctx, id, count, at)
		if err != nil || !applied {
			out = o
			return err
		}
		previous := o.MemberCount
		o.MemberCount = count
		out = o
		return tx.Emit(ctx, MemberCountRecorded{OrganisationID: id, MemberCount: count, Previous: previous}, s.now())
	})
	return out, err
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
