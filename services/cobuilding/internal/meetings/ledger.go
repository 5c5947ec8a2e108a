package meetings

import (
	"context"
	"errors"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// Status is where a ledger item is.
type Status string

// The statuses of an item.
const (
	Open     Status = "OPEN"
	Reported Status = "REPORTED"
	SentBack Status = "SENT_BACK"
	Closed   Status = "CLOSED"
)

// The changes of an item.
const (
	ItemCreated  = "CREATED"
	ItemUpdated  = "UPDATED"
	ItemReported = "REPORTED"
	ItemClosed   = "CLOSED"
	ItemSentBack = "SENT_BACK"
)

// Evidence is something that shows progress.
type Evidence struct{ Title, URI string }

// Progress is one report of its owner on an item.
type Progress struct {
	Note       string
	Evidence   []Evidence
	ReportedBy string
	At         time.Time
}

// Item is one tracked item of a meeting's ledger.
type Item struct {
	ID, MeetingID string
	// ConvenerID and DistrictID are the meeting's.
	ConvenerID, DistrictID string
	Matter, Title          string
	// Exactly one owner: a unit or an organisation.
	OwnerUnitID, OwnerOrganisationID string
	Deadline                         time.Time
	Status                           Status
	Progress                         []Progress
	SendBackReason, CloseNote        string
	ClosedAt                         time.Time
	// OverdueAt is when the sweeper found it past its deadline.
	OverdueAt        time.Time
	Version          int64
	Created, Updated time.Time
}

// HasEvidence reports whether the owner ever reported progress with evidence.
func (it *Item) HasEvidence() bool {
	for _, p := range it.Progress {
		if len(p.Evidence) > 0 {
			return true
		}
	}
	return false
}

// Overdue reports whether the item's deadline passed before it was ticked
// off: found so by the sweeper, or, open, past it today.
func (it *Item) Overdue(today time.Time) bool {
	return !it.OverdueAt.IsZero() || (it.Status != Closed && today.After(it.Deadline))
}

// ItemChanged is an item added, changed, reported on, ticked off or sent back.
type ItemChanged struct {
	Item, Before *Item
	Change       string
}

// EventName implements cobuild.Event.
func (ItemChanged) EventName() string { return "ledger_item_changed" }

// ItemOverdue announces an item past its deadline, once.
type ItemOverdue struct{ Item *Item }

// EventName implements cobuild.Event.
func (ItemOverdue) EventName() string { return "ledger_item_overdue" }

// ItemFilter selects the items of a list.
type ItemFilter struct {
	MeetingID, ConvenerID, OwnerUnitID, AncestorID string
	Status                                         Status
	OverdueOnly                                    bool
	Today                                          time.Time
	PageSize                                       int
	PageToken                                      string
}

// GetItem returns one item.
func (s *Service) GetItem(ctx context.Context, id string) (*Item, error) {
	return s.store.GetItem(ctx, id)
}

// ListItems lists items.
func (s *Service) ListItems(ctx context.Context, f ItemFilter) ([]*Item, string, error) {
	f.Today = s.clock.Today()
	return s.store.ListItems(ctx, f)
}

// Today is the city's date, for what callers show.
func (s *Service) Today() time.Time { return s.clock.Today() }

// CreateItem adds it to its meeting's ledger. A request id seen before
// returns the item it added.
func (s *Service) CreateItem(ctx context.Context, it *Item, requestID string) (*Item, error) {
	if err := s.validateItem(ctx, it); err != nil {
		return nil, err
	}
	var out *Item
	err := s.store.InTx(ctx, func(tx Tx) (err error) {
		out, err = cobuild.Once(ctx, tx, "create_ledger_item", requestID, func(id string) (*Item, error) { return tx.LockItem(ctx, id) }, func() (*Item, string, error) {
			err := s.addItem(ctx, tx, it) // names it: read it.ID after it
			return it, it.ID, err
		})
		return err
	})
	return out, err
}

// addItem adds it to its meeting's ledger in tx.
func (s *Service) addItem(ctx context.Context, tx Tx, it *Item) error {
	m, err := tx.Lock(ctx, it.MeetingID)
	if errors.Is(err, ErrNotFound) {
		return errs.Field(ErrNotFound, "ledger_item.meeting_id", "no meeting has this id")
	}
	if err != nil {
		return err
	}
	now := s.clock.Now()
	it.ID, it.ConvenerID, it.DistrictID, it.Status = cobuild.NewID(), m.ConvenerID, m.DistrictID, Open
	it.Version, it.Created, it.Updated = 1, now, now
	if err := tx.InsertItem(ctx, it); err != nil {
		return err
	}
	return tx.Emit(ctx, ItemChanged{Item: it, Change: ItemCreated})
}

var itemUpdatable = []string{"title", "matter", "deadline", "owner_unit_id", "owner_organisation_id"}

// UpdateItem changes an open item's title, matter, deadline or owner.
func (s *Service) UpdateItem(ctx context.Context, id string, in *Item, mask []string) (*Item, error) {
	if err := cobuild.CheckMask(mask, itemUpdatable); err != nil {
		return nil, err
	}
	return s.changeItem(ctx, id, ItemUpdated, func(it *Item) error {
		for _, f := range mask {
			switch f {
			case "title":
				it.Title = in.Title
			case "matter":
				it.Matter = in.Matter
			case "deadline":
				it.Deadline = in.Deadline
			case "owner_unit_id":
				it.OwnerUnitID = in.OwnerUnitID
			case "owner_organisation_id":
				it.OwnerOrganisationID = in.OwnerOrganisationID
			}
		}
		return s.validateItem(ctx, it)
	})
}

// Report records its owner's progress on an item, with evidence.
func (s *Service) Report(ctx context.Context, id string, p Progress) (*Item, error) {
	if strings.TrimSpace(p.Note) == "" {
		return nil, errs.Field(ErrInvalid, "note", "required")
	}
	p.At = s.clock.Now()
	return s.changeItem(ctx, id, ItemReported, func(it *Item) error {
		it.Progress = append(it.Progress, p)
		it.Status = Reported
		return nil
	})
}

// Close ticks an item off (销号). It needs progress reported with evidence.
func (s *Service) Close(ctx context.Context, id, note string) (*Item, error) {
	return s.changeItem(ctx, id, ItemClosed, func(it *Item) error {
		if !it.HasEvidence() {
			return errs.Field(ErrNoEvidence, "ledger_item.evidence", "no progress was reported with evidence: the owner reports it first")
		}
		if it.Status != Reported {
			return ErrNotReported
		}
		it.Status, it.CloseNote, it.ClosedAt = Closed, note, s.clock.Now()
		return nil
	})
}

// SendBack sends a reported item back to its owner with a reason.
func (s *Service) SendBack(ctx context.Context, id, reason string) (*Item, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, errs.Field(ErrInvalid, "reason", "required")
	}
	return s.changeItem(ctx, id, ItemSentBack, func(it *Item) error {
		if it.Status != Reported {
			return ErrNotReported
		}
		it.Status, it.SendBackReason = SentBack, reason
		return nil
	})
}

// changeItem applies fn to an item not yet ticked off.
func (s *Service) changeItem(ctx context.Context, id, change string, fn func(*Item) error) (*Item, error) {
	var out *Item
	err := s.store.InTx(ctx, func(tx Tx) error {
		it, err := tx.LockItem(ctx, id)
		if err != nil {
			return err
		}
		if it.Status == Closed {
			return ErrItemClosed
		}
		before := *it
		if err := fn(it); err != nil {
			return err
		}
		it.Version++
		it.Updated = s.clock.Now()
		if err := tx.SaveItem(ctx, it); err != nil {
			return err
		}
		out = it
		return tx.Emit(ctx, ItemChanged{Item: it, Before: &before, Change: change})
	})
	return out, err
}

func (s *Service) validateItem(ctx context.Context, it *Item) error {
	v := errs.NewValidation(ErrInvalid)
	if !cobuild.ValidID(it.MeetingID) {
		v.Add("ledger_item.meeting_id", "required")
	}
	if strings.TrimSpace(it.Matter) == "" {
		v.Add("ledger_item.matter", "required")
	}
	if strings.TrimSpace(it.Title) == "" {
		v.Add("ledger_item.title", "required")
	}
	if (it.OwnerUnitID == "") == (it.OwnerOrganisationID == "") {
		v.Add("ledger_item.owner_unit_id", "exactly one owner: a unit or an organisation")
	}
	if it.Deadline.IsZero() {
		v.Add("ledger_item.deadline", "required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if it.OwnerUnitID != "" {
		missing, err := s.store.MissingUnits(ctx, []string{it.OwnerUnitID})
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return errs.Field(ErrNoUnit, "ledger_item.owner_unit_id", "no resident unit has this id")
		}
		return nil
	}
	p, err := s.store.Place(ctx, it.OwnerOrganisationID)
	if err == nil && !p.Active {
		return errs.Field(cobuild.ErrWrongPlace, "ledger_item.owner_organisation_id", "the organisation is dissolved")
	}
	if errors.Is(err, cobuild.ErrNoPlace) {
		return errs.Field(cobuild.ErrNoPlace, "ledger_item.owner_organisation_id", "no organisation has this id")
	}
	return err
}
