package member

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"gongjian.dev/pkg/errs"
)

// Transfer is one transfer of a membership relationship (组织关系转接,
// DOMAIN §2): the member, the sending and the receiving organisation. The
// member's organisation changes only when the transfer completes.
type Transfer struct {
	ID             string
	MemberID       string
	FromOrgID      string
	ToOrgID        string
	FromDistrictID string
	ToDistrictID   string
	Reason         string
	State          string
	LetterNumber   string
	LetterDeadline time.Time
	Steps          []Step
	Created        time.Time
	Updated        time.Time
	Version        int64
}

// Step is one step of a transfer as it was taken: history is appended,
// never overwritten.
type Step struct {
	State        string
	ActorSubject string
	ActorRole    string
	Reason       string
	At           time.Time
}

// Actor is who takes a step. MemberID is set when the actor is a member
// acting for themselves: they may act on their own transfers only.
type Actor struct {
	Subject  string
	Role     string
	MemberID string
}

// The states of a transfer.
const (
	TransferRequested = "REQUESTED"
	TransferConfirmed = "CONFIRMED"
	TransferReleased  = "RELEASED"
	TransferCompleted = "COMPLETED"
	TransferRejected  = "REJECTED"
	TransferWithdrawn = "WITHDRAWN"
)

// OpenStates are the states of a transfer still under way; a member has at
// most one transfer in them.
var OpenStates = []string{TransferRequested, TransferConfirmed, TransferReleased}

// Side is a party of a transfer acting through its organisation.
type Side int

// The sides.
const (
	Sender Side = iota
	Receiver
)

// RejectingSide is the side that may reject a transfer in state: the
// sender until the letter is released, the receiver after.
func RejectingSide(state string) Side {
	if state == TransferReleased {
		return Receiver
	}
	return Sender
}

// Etag is the version as the API shows it.
func (t *Transfer) Etag() string { return strconv.FormatInt(t.Version, 10) }

// Open reports whether the transfer is still under way.
func (t *Transfer) Open() bool { return slices.Contains(OpenStates, t.State) }

// TransferSettings are a district's rules for letters of introduction
// (DOMAIN §5): valid InsideDays inside the city, OutsideDays outside it,
// and never more than MaxMonths.
type TransferSettings struct {
	InsideDays  int
	OutsideDays int
	MaxMonths   int
}

// DefaultTransferSettings apply to a district that has set none.
var DefaultTransferSettings = TransferSettings{InsideDays: 10, OutsideDays: 30, MaxMonths: 3}

// deadline is when a letter issued at t stops being valid. Every transfer
// this system handles is inside the city.
func (s TransferSettings) deadline(t time.Time) time.Time {
	d := t.AddDate(0, 0, s.InsideDays)
	if limit := t.AddDate(0, s.MaxMonths, 0); d.After(limit) {
		d = limit
	}
	return d
}

// The errors of transfers.
var (
	ErrTransferNotFound = errs.New(errs.NotFound, "transfer not found")
	ErrTransferOpen     = errs.WithReason(errs.FailedPrecondition, "TRANSFER_OPEN", "the member already has an open transfer")
	ErrTransferState    = errs.WithReason(errs.FailedPrecondition, "TRANSFER_STATE", "the transfer is not in a state that allows this step")
	ErrTransferEtag     = errs.WithReason(errs.FailedPrecondition, "ETAG_MISMATCH", "transfer was changed by someone else; read it again")
	ErrLetterExpired    = errs.WithReason(errs.FailedPrecondition, "LETTER_EXPIRED", "the letter of introduction has expired; withdraw the transfer and request a new one")
	ErrSameOrganisation = errs.New(errs.InvalidArgument, "the member's relationship already sits in this organisation")
)

// TransferFilter selects transfers; the fields combine.
type TransferFilter struct {
	MemberID string
	// OrganisationID lists transfers out of or into an organisation.
	OrganisationID string
	State          string
	// Pocket lists released transfers whose letter expired before Now.
	Pocket bool
	Now    time.Time
	// WithinID keeps the list to transfers with a side in the caller's subtree.
	WithinID string
	Page     Page
}

// TransferRequest is what opens a transfer.
type TransferRequest struct {
	MemberID, ToOrgID, Reason, RequestID string
}

// RequestTransfer opens a transfer of a member to another organisation. A
// request id seen before returns the transfer it opened.
func (s *Service) RequestTransfer(ctx context.Context, r TransferRequest, a Actor) (*Transfer, error) {
	v := newValidation()
	if r.MemberID == "" {
		v.Add("transfer.member_id", "member_id is required")
	}
	if r.ToOrgID == "" {
		v.Add("transfer.to_organisation_id", "to_organisation_id is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *Transfer
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := requestKey("request_transfer/"+a.Subject, r.RequestID)
		if id, seen, err := tx.RequestSeen(ctx, key); err != nil || seen {
			if err == nil {
				out, err = tx.LockTransfer(ctx, id)
			}
			return err
		}
		m, err := tx.Lock(ctx, r.MemberID)
		if err != nil {
			return err
		}
		if a.MemberID != "" && a.MemberID != m.ID {
			return ErrNotFound
		}
		const toField = "transfer.to_organisation_id"
		if m.OrganisationID == r.ToOrgID {
			return errs.Field(ErrSameOrganisation, toField, "the member's relationship already sits in this organisation")
		}
		to, err := tx.Org(ctx, r.ToOrgID)
		if errors.Is(err, ErrOrgNotFound) {
			return errs.Field(ErrOrgNotFound, toField, "no organisation has this id")
		}
		if err != nil {
			return err
		}
		if err := checkHoldsField(to, toField); err != nil {
			return err
		}
		if open, found, err := tx.OpenTransfer(ctx, m.ID); err != nil {
			return err
		} else if found {
			return errs.Field(ErrTransferOpen, "transfer.member_id", "the member already has the open transfer "+open.ID)
		}
		from, err := tx.Org(ctx, m.OrganisationID)
		if err != nil {
			return err
		}
		now := s.now()
		t := &Transfer{ID: NewID(), MemberID: m.ID, FromOrgID: from.ID, ToOrgID: to.ID,
			FromDistrictID: from.DistrictID, ToDistrictID: to.DistrictID, Reason: r.Reason,
			State: TransferRequested, Created: now, Updated: now, Version: 1}
		step := Step{State: TransferRequested, ActorSubject: a.Subject, ActorRole: a.Role, Reason: r.Reason, At: now}
		t.Steps = []Step{step}
		if err := tx.InsertTransfer(ctx, t, step); err != nil {
			return err
		}
		if err := tx.RememberRequest(ctx, key, t.ID); err != nil {
			return err
		}
		out = t
		return tx.Emit(ctx, TransferChanged{Transfer: t})
	})
	return out, err
}

// StepRequest is one step asked of a transfer.
type StepRequest struct {
	ID, Reason, Etag string
	Actor            Actor
}

// ConfirmTransfer records the member's agreement.
func (s *Service) ConfirmTransfer(ctx context.Context, r StepRequest) (*Transfer, error) {
	return s.step(ctx, r, false, func(_ Tx, t *Transfer, _ time.Time) error {
		return s.move(t, TransferConfirmed, TransferRequested)
	})
}

// ReleaseTransfer is the sending side issuing the letter: its number comes
// from a sequence, its deadline from the sending district's settings.
func (s *Service) ReleaseTransfer(ctx context.Context, r StepRequest) (*Transfer, error) {
	return s.step(ctx, r, false, func(tx Tx, t *Transfer, now time.Time) error {
		if err := s.move(t, TransferReleased, TransferConfirmed); err != nil {
			return err
		}
		settings, err := tx.TransferSettings(ctx, t.FromDistrictID)
		if err != nil {
			return err
		}
		n, err := tx.NextLetterNumber(ctx)
		if err != nil {
			return err
		}
		t.LetterNumber = fmt.Sprintf("ZZ-%d-%06d", now.In(s.loc).Year(), n)
		t.LetterDeadline = settings.deadline(now)
		return nil
	})
}

// ReceiveTransfer is the receiving side accepting the letter: the transfer
// completes, and the member's organisation, district and path change in
// the same transaction, with the new counts of both organisations.
func (s *Service) ReceiveTransfer(ctx context.Context, r StepRequest) (*Transfer, error) {
	return s.step(ctx, r, true, func(tx Tx, t *Transfer, now time.Time) error {
		if err := s.move(t, TransferCompleted, TransferReleased); err != nil {
			return err
		}
		if now.After(t.LetterDeadline) {
			return ErrLetterExpired
		}
		to, err := tx.Org(ctx, t.ToOrgID)
		if err != nil {
			return err
		}
		if err := checkHoldsField(to, "transfer.to_organisation_id"); err != nil {
			return err
		}
		m, err := tx.Lock(ctx, t.MemberID)
		if err != nil {
			return err
		}
		if m.OrganisationID != t.FromOrgID {
			return errs.Detail(ErrTransferState, "the member's relationship no longer sits in the sending organisation")
		}
		m.OrganisationID, m.DistrictID, m.Path = to.ID, to.DistrictID, to.Path
		old := m.Category
		if err := s.classify(ctx, tx, m); err != nil { // the receiving district's scheme applies
			return err
		}
		m.Version++
		m.Updated = now
		if err := tx.Save(ctx, m); err != nil {
			return err
		}
		if err := tx.Emit(ctx, Updated{Member: m, Changed: []string{"organisation_id"}}); err != nil {
			return err
		}
		if old.Code != m.Category.Code {
			if err := tx.Emit(ctx, CategoryChanged{Member: m, Change: CategoryChange{MemberID: m.ID,
				OrganisationID: m.OrganisationID, Old: old, New: m.Category}}); err != nil {
				return err
			}
		}
		for _, id := range []string{t.FromOrgID, t.ToOrgID} {
			if err := s.recount(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// RejectTransfer refuses a transfer on behalf of side: the sender before
// the letter is released, the receiver after. A reason is required: a
// rejection has to say why.
func (s *Service) RejectTransfer(ctx context.Context, r StepRequest, side Side) (*Transfer, error) {
	if r.Reason == "" {
		return nil, errs.Field(ErrInvalid, "reason", "a rejection needs a reason")
	}
	return s.step(ctx, r, false, func(_ Tx, t *Transfer, _ time.Time) error {
		if side == Receiver {
			return s.move(t, TransferRejected, TransferReleased)
		}
		return s.move(t, TransferRejected, TransferRequested, TransferConfirmed)
	})
}

// WithdrawTransfer ends a transfer before it is received.
func (s *Service) WithdrawTransfer(ctx context.Context, r StepRequest) (*Transfer, error) {
	return s.step(ctx, r, false, func(_ Tx, t *Transfer, _ time.Time) error {
		return s.move(t, TransferWithdrawn, OpenStates...)
	})
}

// move changes t's state to next, refusing unless it is in one of from.
func (s *Service) move(t *Transfer, next string, from ...string) error {
	if !slices.Contains(from, t.State) {
		return errs.Detail(ErrTransferState, "the transfer is %s", t.State)
	}
	t.State = next
	return nil
}

// step takes one step of a transfer under row locks, in the order every
// writer takes them (organisations, member, transfer): it checks the
// actor, the etag and, through apply, the state, then appends the step.
func (s *Service) step(ctx context.Context, r StepRequest, lockOrgs bool, apply func(Tx, *Transfer, time.Time) error) (*Transfer, error) {
	var out *Transfer
	err := s.store.InTx(ctx, func(tx Tx) error {
		peek, err := tx.PeekTransfer(ctx, r.ID)
		if err != nil {
			return err
		}
		if r.Actor.MemberID != "" && r.Actor.MemberID != peek.MemberID {
			return ErrTransferNotFound
		}
		if lockOrgs {
			ids := []string{peek.FromOrgID, peek.ToOrgID}
			slices.Sort(ids)
			for _, id := range ids {
				if _, err := tx.LockOrg(ctx, id); err != nil {
					return err
				}
			}
		}
		if _, err := tx.Lock(ctx, peek.MemberID); err != nil {
			return err
		}
		t, err := tx.LockTransfer(ctx, r.ID)
		if err != nil {
			return err
		}
		if r.Etag != "" && r.Etag != t.Etag() {
			return ErrTransferEtag
		}
		now := s.now()
		if err := apply(tx, t, now); err != nil {
			return err
		}
		t.Version++
		t.Updated = now
		step := Step{State: t.State, ActorSubject: r.Actor.Subject, ActorRole: r.Actor.Role, Reason: r.Reason, At: now}
		t.Steps = append(t.Steps, step)
		if err := tx.SaveTransfer(ctx, t, step); err != nil {
			return err
		}
		out = t
		return tx.Emit(ctx, TransferChanged{Transfer: t})
	})
	return out, err
}

// GetTransfer returns a transfer with its steps.
func (s *Service) GetTransfer(ctx context.Context, id string) (*Transfer, error) {
	return s.store.GetTransfer(ctx, id)
}

// ListTransfers pages through transfers.
func (s *Service) ListTransfers(ctx context.Context, f TransferFilter) ([]*Transfer, string, error) {
	switch {
	case f.Page.Size <= 0:
		f.Page.Size = 50
	case f.Page.Size > 500:
		f.Page.Size = 500
	}
	if f.Pocket {
		f.Now = s.now()
	}
	return s.store.ListTransfers(ctx, f)
}
