package rectify

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"gongjian.dev/pkg/actor"
	"gongjian.dev/pkg/cityclock"
	"gongjian.dev/pkg/errs"
)

// Service is rectification, inspection and accountability.
type Service struct {
	store Store
	clock cityclock.Clock
}

// NewService returns the service over store; now and loc say what today is.
func NewService(store Store, now func() time.Time, loc *time.Location) *Service {
	return &Service{store: store, clock: cityclock.New(now, loc)}
}

func (s *Service) now() time.Time { return s.clock.Now() }

// Actor is who takes a step: their subject and role; Inspector is set for
// an inspector, whose reach is the organisations their groups cover.
type Actor struct {
	Subject, Role string
	Inspector     bool
	// ScopeRoot is the root of their subtree ("" for the city).
	ScopeRoot string
}

// Today is the city's date.
func (s *Service) Today() time.Time { return s.clock.Today() }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// reach checks that the actor may see the organisation: an inspector
// through their groups, anyone else through their scope. What they may not
// see answers as if it did not exist.
func (s *Service) reach(ctx context.Context, a Actor, orgID string) error {
	if a.Inspector {
		ok, err := s.store.Covers(ctx, a.Subject, orgID)
		if err != nil || ok {
			return err
		}
		return ErrNotFound
	}
	if a.ScopeRoot == "" {
		return nil
	}
	ok, err := s.store.Within(ctx, orgID, a.ScopeRoot)
	if err != nil || ok {
		return err
	}
	return ErrNotFound
}

// Reach answers not found unless the actor reaches the organisation: an
// inspector through their groups, anyone else through their scope.
func (s *Service) Reach(ctx context.Context, a Actor, orgID string) error {
	return s.reach(ctx, a, orgID)
}

// CreateItem opens an item by hand.
func (s *Service) CreateItem(ctx context.Context, i *Item, requestID string, a Actor) (*Item, error) {
	if i.OrganisationID != "" {
		if err := s.reach(ctx, a, i.OrganisationID); err != nil {
			return nil, err
		}
	}
	v := errs.NewValidation(ErrInvalid)
	if strings.TrimSpace(i.Title) == "" {
		v.Add("item.title", "say what must be fixed")
	}
	if i.OrganisationID == "" {
		v.Add("item.organisation_id", "an item needs the organisation that owns it")
	}
	if i.Deadline.IsZero() || !i.Deadline.After(s.Today()) {
		v.Add("item.deadline", "a deadline after today is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	district, err := s.store.DistrictOf(ctx, i.OrganisationID)
	if err != nil {
		return nil, err
	}
	if district == "" {
		return nil, errs.Field(ErrNotFound, "item.organisation_id", "no organisation of the city has this id")
	}
	var out *Item
	err = s.store.InTx(ctx, func(tx Tx) error {
		key := "create_item/" + requestID
		if id, seen, err := tx.RequestSeen(ctx, key); err != nil || seen {
			if err == nil {
				out, err = s.store.Item(ctx, id)
			}
			return err
		}
		now := s.now()
		ni := &Item{ID: newID(), OrganisationID: i.OrganisationID, DistrictID: district, Source: ByHand, Title: i.Title,
			RequiredEvidence: i.RequiredEvidence, Deadline: i.Deadline, State: Open, Version: 1, Created: now, Updated: now}
		if err := tx.InsertItem(ctx, ni, &Step{Kind: Opened, Note: i.Title, At: now}); err != nil {
			return err
		}
		out = ni
		return tx.RememberRequest(ctx, key, ni.ID)
	})
	return out, err
}

// Item returns an item the actor may see.
func (s *Service) Item(ctx context.Context, id string, a Actor) (*Item, error) {
	i, err := s.store.Item(ctx, id)
	if err != nil {
		return nil, err
	}
	return i, s.reach(ctx, a, i.OrganisationID)
}

// Items lists items within the actor's reach.
func (s *Service) Items(ctx context.Context, q ItemQuery, a Actor) ([]*Item, error) {
	// An inspector names an organisation their groups cover, or a subtree
	// whose items are cut to what they cover.
	for _, id := range []string{q.OrganisationID, q.AncestorID} {
		if id != "" && (!a.Inspector || id == q.OrganisationID) {
			if err := s.reach(ctx, a, id); err != nil {
				return nil, err
			}
		}
	}
	q.ScopeRoot = a.ScopeRoot
	if a.Inspector {
		q.Inspector, q.ScopeRoot = a.Subject, ""
	}
	return s.store.Items(ctx, q)
}

// Steps lists an item's history.
func (s *Service) Steps(ctx context.Context, itemID string, a Actor) ([]*Step, error) {
	if _, err := s.Item(ctx, itemID, a); err != nil {
		return nil, err
	}
	return s.store.Steps(ctx, itemID)
}

// step takes one step of an item: it locks it, checks the actor's reach
// and the version, lets change decide, and saves the item with the step.
func (s *Service) step(ctx context.Context, id string, version int32, a Actor, change func(i *Item, st *Step) error) (*Item, error) {
	var out *Item
	err := s.store.InTx(ctx, func(tx Tx) error {
		i, err := tx.LockItem(ctx, id)
		if err != nil {
			return err
		}
		if err := s.reach(ctx, a, i.OrganisationID); err != nil {
			return err
		}
		if version != 0 && version != i.Version {
			return ErrVersion
		}
		now := s.now()
		st := &Step{At: now}
		if err := change(i, st); err != nil {
			return err
		}
		i.Version++
		i.Updated = now
		out = i
		return tx.SaveItem(ctx, i, st)
	})
	return out, err
}

// SubmitEvidence is the owner's answer. Inspectors decide; they do not answer.
func (s *Service) SubmitEvidence(ctx context.Context, id string, ev []Evidence, note string, version int32, a Actor) (*Item, error) {
	if a.Inspector {
		return nil, errs.Detail(ErrNotInspector, "an inspector decides on evidence; the owner submits it")
	}
	if len(ev) == 0 {
		return nil, errs.Field(ErrInvalid, "evidence", "submit at least one piece of evidence")
	}
	return s.step(ctx, id, version, a, func(i *Item, st *Step) error {
		if i.State != Open {
			return errs.Detail(ErrState, "evidence is submitted on an open item; this one is %s", strings.ToLower(string(i.State)))
		}
		i.State = Submitted
		st.Kind, st.Note, st.Evidence = EvidenceSubmitted, note, ev
		return nil
	})
}

// Accept closes an item whose evidence was submitted (销号办结), once its
// fact is remedied when it needs to be.
func (s *Service) Accept(ctx context.Context, id, note string, version int32, a Actor) (*Item, error) {
	return s.step(ctx, id, version, a, func(i *Item, st *Step) error {
		switch {
		case i.State == Open:
			return ErrNoEvidence
		case i.State != Submitted:
			return errs.Detail(ErrState, "the item is already closed")
		case i.NeedsRemedy && i.Remedied.IsZero():
			return errs.Detail(ErrNotRemedied, "the missed activity must be held and recorded before the item closes")
		}
		i.State = Closed
		st.Kind, st.Note = Accepted, note
		return nil
	})
}

// Return sends submitted evidence back to the owner with the reason.
func (s *Service) Return(ctx context.Context, id, reason string, version int32, a Actor) (*Item, error) {
	return s.step(ctx, id, version, a, func(i *Item, st *Step) error {
		if i.State != Submitted {
			return errs.Detail(ErrState, "only submitted evidence is returned")
		}
		i.State = Open
		st.Kind, st.Note = Returned, reason
		return nil
	})
}

// Reopen reopens a closed item a later check (回头看) found not fixed.
func (s *Service) Reopen(ctx context.Context, id, reason string, deadline time.Time, version int32, a Actor) (*Item, error) {
	if !deadline.After(s.Today()) {
		return nil, errs.Field(ErrInvalid, "deadline", "the new deadline must be after today")
	}
	return s.step(ctx, id, version, a, func(i *Item, st *Step) error {
		if i.State != Closed {
			return errs.Detail(ErrState, "only a closed item is reopened")
		}
		i.State, i.Deadline, i.Escalated = Open, deadline, time.Time{}
		st.Kind, st.Note = Reopened, reason
		return nil
	})
}

// Remedy records, in the transaction that recorded it, that a concentrated
// activity was held late in an organisation: the open items that wait for
// it, of that organisation or one above it, may now be closed. The miss
// itself stays.
func (s *Service) Remedy(ctx context.Context, tx Tx, orgIDs []string, activityID string, at time.Time) error {
	ctx = actor.AsSystem(ctx, "activity-remedies")
	items, err := tx.ItemsToRemedy(ctx, orgIDs, at)
	if err != nil {
		return err
	}
	for _, i := range items {
		i.Remedied, i.Version, i.Updated = at, i.Version+1, at
		if err := tx.SaveItem(ctx, i, &Step{Kind: Remedied, Note: "concentrated activity " + activityID + " recorded", At: at}); err != nil {
			return err
		}
	}
	return nil
}

// EscalateOverdue escalates, once each, the items past their deadline and
// not closed; safe on many replicas (each item is locked and checked).
func (s *Service) EscalateOverdue(ctx context.Context) (int, error) {
	ctx = actor.AsSystem(ctx, "overdue-items")
	today := s.Today()
	ids, err := s.store.Overdue(ctx, today, 1000)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		err := s.store.InTx(ctx, func(tx Tx) error {
			i, err := tx.LockItem(ctx, id)
			if err != nil || !i.Escalated.IsZero() || !i.Overdue(today) {
				return err
			}
			now := s.now()
			i.Escalated, i.Version, i.Updated = now, i.Version+1, now
			n++
			return tx.SaveItem(ctx, i, &Step{Kind: Escalated, Note: "deadline " + i.Deadline.Format(time.DateOnly) + " passed", At: now})
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
