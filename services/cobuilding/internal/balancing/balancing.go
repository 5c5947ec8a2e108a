// Package balancing steers resident units to the communities that have few
// of them (均衡调剂, DOMAIN §3, document 002), so that every community has
// co-building partners: how many units and live agreements each community
// of a street or district has, and proposals that send each unit without a
// live agreement to the community of its street with the fewest, nearest
// first. An administrator accepts a proposal, which signs its agreements —
// by the agreements' own rules, in one transaction.
package balancing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/agreements"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// CommunityBalance is how many units and live agreements a community has.
type CommunityBalance struct {
	CommunityID, Name, StreetID string
	Units, LiveAgreements       int
}

// Unassigned is a unit without a live agreement.
type Unassigned struct {
	UnitID, Name, CommunityID, StreetID string
	// Contact is the unit's first contact, if it has one.
	Contact *cobuild.Contact
}

// Tier says how near a proposed community is to the unit.
type Tier string

// The tiers, nearest first. Agreements bind a unit to the communities of
// its street, so there is no farther tier.
const (
	SameCommunity Tier = "SAME_COMMUNITY"
	SameStreet    Tier = "SAME_STREET"
)

// Item is one unit steered to one community.
type Item struct {
	UnitID, UnitName, UnitCommunityID string
	CommunityID, CommunityName        string
	Tier                              Tier
	// AgreementsBefore is the community's live agreements, counting the
	// units the proposal steered there before this one.
	AgreementsBefore int
	// AgreementID is the agreement signed when the proposal was accepted.
	AgreementID string
}

// State is where a proposal is.
type State string

// The states.
const (
	Proposed State = "PROPOSED"
	Accepted State = "ACCEPTED"
)

// Proposal is a set of units steered to communities.
type Proposal struct {
	ID, OrganisationID, DistrictID string
	State                          State
	Items                          []Item
	ProposedBy, AcceptedBy         string
	Created, AcceptedAt            time.Time
}

// Changed is a proposal made or accepted.
type Changed struct {
	Proposal *Proposal
	Change   string
}

// EventName implements cobuild.Event.
func (Changed) EventName() string { return "balancing_proposal_changed" }

// Terms are what every agreement of an accepted proposal says.
type Terms struct {
	Start, End       time.Time
	Goals            []agreements.Goal
	CommunityContact cobuild.Contact
}

// The errors of balancing.
var (
	ErrNotFound  = errs.New(errs.NotFound, "balancing proposal not found")
	ErrInvalid   = cobuild.ErrInvalid
	ErrAccepted  = errs.WithReason(errs.FailedPrecondition, "ALREADY_ACCEPTED", "the proposal was accepted already")
	ErrStale     = errs.WithReason(errs.FailedPrecondition, "PROPOSAL_STALE", "a unit of the proposal has a live agreement now; make a new proposal")
	ErrNoContact = errs.WithReason(errs.FailedPrecondition, "NO_UNIT_CONTACT", "a unit of the proposal has no contact to name in its agreement")
)

// Store is what balancing needs of the database.
type Store interface {
	cobuild.Places
	InTx(ctx context.Context, fn func(Tx) error) error
	Get(ctx context.Context, id string) (*Proposal, error)
	// Balance counts the units and live agreements of each active
	// community below org.
	Balance(ctx context.Context, org cobuild.Place) ([]CommunityBalance, error)
	// Unassigned lists the units below org without a live agreement,
	// oldest first.
	Unassigned(ctx context.Context, org cobuild.Place) ([]Unassigned, error)
}

// Tx is a transaction over proposals and the agreements they sign.
type Tx interface {
	cobuild.Tx
	Lock(ctx context.Context, id string) (*Proposal, error)
	Insert(ctx context.Context, p *Proposal) error
	Save(ctx context.Context, p *Proposal) error
	// UnitForAgreement is a unit's first contact (nil if none) and
	// whether it has a live agreement, the unit's row locked so that two
	// acceptances never sign for it at once.
	UnitForAgreement(ctx context.Context, unitID string) (contact *cobuild.Contact, live bool, err error)
	// InsertAgreement signs an agreement as agreements.Tx.Insert does.
	InsertAgreement(ctx context.Context, a *agreements.Agreement, by string) error
}

// Service holds the rules of balancing.
type Service struct {
	store      Store
	agreements *agreements.Service
	clock      cobuild.Clock
}

// NewService returns the balancing service over st, signing agreements by
// the rules of ag.
func NewService(st Store, ag *agreements.Service, clock cobuild.Clock) *Service {
	return &Service{store: st, agreements: ag, clock: clock}
}

// area is the street or district balanced, naming organisation_id when it
// is neither.
func (s *Service) area(ctx context.Context, id string) (cobuild.Place, error) {
	p, err := s.store.Place(ctx, id)
	if errors.Is(err, cobuild.ErrNoPlace) {
		return p, errs.Field(cobuild.ErrNoPlace, "organisation_id", "no organisation has this id")
	}
	if err != nil {
		return p, err
	}
	if (p.Kind != cobuild.KindStreet && p.Kind != cobuild.KindDistrict) || !p.Active {
		return p, errs.Field(cobuild.ErrWrongPlace, "organisation_id", "not an active street or district")
	}
	return p, nil
}

// Balance counts the units and live agreements of each community of a
// street or district, fewest agreements first, and the units without one.
func (s *Service) Balance(ctx context.Context, orgID string) ([]CommunityBalance, int, error) {
	p, err := s.area(ctx, orgID)
	if err != nil {
		return nil, 0, err
	}
	list, err := s.store.Balance(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	unassigned, err := s.store.Unassigned(ctx, p)
	return list, len(unassigned), err
}

// Propose makes and keeps a proposal for a street or district. A request
// id seen before returns the proposal it made.
func (s *Service) Propose(ctx context.Context, orgID, by, requestID string) (*Proposal, error) {
	p, err := s.area(ctx, orgID)
	if err != nil {
		return nil, err
	}
	balance, err := s.store.Balance(ctx, p)
	if err != nil {
		return nil, err
	}
	units, err := s.store.Unassigned(ctx, p)
	if err != nil {
		return nil, err
	}
	var out *Proposal
	err = s.store.InTx(ctx, func(tx Tx) (err error) {
		out, err = cobuild.Once(ctx, tx, "create_balancing_proposal", requestID, func(id string) (*Proposal, error) { return tx.Lock(ctx, id) }, func() (*Proposal, string, error) {
			pr := &Proposal{ID: cobuild.NewID(), OrganisationID: p.ID, DistrictID: p.DistrictID, State: Proposed,
				Items: Steer(balance, units), ProposedBy: by, Created: s.clock.Now()}
			if err := tx.Insert(ctx, pr); err != nil {
				return nil, "", err
			}
			return pr, pr.ID, tx.Emit(ctx, Changed{Proposal: pr, Change: string(Proposed)})
		})
		return err
	})
	return out, err
}

// Steer sends each unit, in order, to the community of its street with the
// fewest live agreements, counting those it steered there already; on a
// tie the unit's own community first, then by name. A unit whose street
// has no community in the balance is left out.
func Steer(balance []CommunityBalance, units []Unassigned) []Item {
	load := map[string]int{}
	byStreet := map[string][]CommunityBalance{}
	for _, c := range balance {
		load[c.CommunityID] = c.LiveAgreements
		byStreet[c.StreetID] = append(byStreet[c.StreetID], c)
	}
	tier := func(u Unassigned, c CommunityBalance) Tier {
		if c.CommunityID == u.CommunityID {
			return SameCommunity
		}
		return SameStreet
	}
	var items []Item
	for _, u := range units {
		candidates := byStreet[u.StreetID]
		if len(candidates) == 0 {
			continue
		}
		best := slices.MinFunc(candidates, func(a, b CommunityBalance) int {
			return cmp.Or(cmp.Compare(load[a.CommunityID], load[b.CommunityID]),
				cmp.Compare(tier(u, a), tier(u, b)), cmp.Compare(a.Name, b.Name), cmp.Compare(a.CommunityID, b.CommunityID))
		})
		items = append(items, Item{UnitID: u.UnitID, UnitName: u.Name, UnitCommunityID: u.CommunityID, CommunityID: best.CommunityID,
			CommunityName: best.Name, Tier: tier(u, best), AgreementsBefore: load[best.CommunityID]})
		load[best.CommunityID]++
	}
	return items
}

// Get returns one proposal.
func (s *Service) Get(ctx context.Context, id string) (*Proposal, error) { return s.store.Get(ctx, id) }

// Accept signs the agreements of a proposal on terms, by the caller by,
// all in one transaction; a unit that has a live agreement since refuses
// the whole proposal.
func (s *Service) Accept(ctx context.Context, id string, terms Terms, by string) (*Proposal, error) {
	if err := terms.validate(s.clock.Today()); err != nil {
		return nil, err
	}
	var out *Proposal
	err := s.store.InTx(ctx, func(tx Tx) error {
		p, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		if p.State != Proposed {
			return errs.Field(ErrAccepted, "id", "accepted by "+p.AcceptedBy)
		}
		for i := range p.Items {
			if err := s.sign(ctx, tx, &p.Items[i], i, terms, by); err != nil {
				return err
			}
		}
		p.State, p.AcceptedBy, p.AcceptedAt = Accepted, by, s.clock.Now()
		if err := tx.Save(ctx, p); err != nil {
			return err
		}
		out = p
		return tx.Emit(ctx, Changed{Proposal: p, Change: string(Accepted)})
	})
	return out, err
}

// sign signs the agreement of item i, as CreateAgreement would.
func (s *Service) sign(ctx context.Context, tx Tx, it *Item, i int, terms Terms, by string) error {
	field := fmt.Sprintf("items[%d].unit_id", i)
	contact, live, err := tx.UnitForAgreement(ctx, it.UnitID)
	switch {
	case err != nil:
		return err
	case live:
		return errs.Field(ErrStale, field, it.UnitName+" has a live agreement now")
	case contact == nil:
		return errs.Field(ErrNoContact, field, it.UnitName+" has no contact")
	}
	a := &agreements.Agreement{CommunityID: it.CommunityID, UnitID: it.UnitID, Goals: terms.Goals, Start: terms.Start,
		End: terms.End, Signed: s.clock.Today(), CommunityContact: terms.CommunityContact, UnitContact: *contact}
	if err := s.agreements.Check(ctx, a); err != nil {
		return err
	}
	a.Sign(s.clock.Now())
	if err := tx.InsertAgreement(ctx, a, by); err != nil {
		return err
	}
	it.AgreementID = a.ID
	return tx.Emit(ctx, agreements.Changed{Agreement: a, Change: agreements.ChangeSigned})
}

func (t Terms) validate(today time.Time) error {
	v := errs.NewValidation(ErrInvalid)
	if t.Start.IsZero() {
		v.Add("start_date", "required")
	}
	switch {
	case t.End.IsZero():
		v.Add("end_date", "required")
	case !t.End.After(t.Start):
		v.Add("end_date", "not after the start of the term")
	case t.End.Before(today):
		v.Add("end_date", "the term is over already")
	}
	if len(t.Goals) == 0 {
		v.Add("goals", "at least one goal")
	}
	for _, g := range t.Goals {
		if !g.Area.Valid() || strings.TrimSpace(g.Text) == "" {
			v.Add("goals", "each goal needs an area and a text")
			break
		}
	}
	if strings.TrimSpace(t.CommunityContact.Name) == "" {
		v.Add("community_contact.name", "required")
	}
	return v.Err()
}
