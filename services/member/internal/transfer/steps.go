package transfer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
	"gongjian.dev/services/member/internal/member"
)

// Request is what opens a transfer: to an organisation of the
// city (ToOrgID) or out of it (Outside).
type Request struct {
	MemberID, ToOrgID, Reason, RequestID string
	Outside                              *OutsideDestination
}

// RequestTransfer opens a transfer of a member to another organisation. A
// request id seen before returns the transfer it opened.
func (s *Service) RequestTransfer(ctx context.Context, r Request, a member.Actor) (*Transfer, error) {
	v := member.NewValidation()
	if r.MemberID == "" {
		v.Add("transfer.member_id", "member_id is required")
	}
	checkDestination(v, r.ToOrgID, r.Outside)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *Transfer
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("request_transfer/"+a.Subject, r.RequestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.LockTransfer); err != nil || seen {
			return err
		}
		m, err := tx.Lock(ctx, r.MemberID)
		if err != nil {
			return err
		}
		if a.MemberID != "" && a.MemberID != m.ID {
			return member.ErrNotFound
		}
		if m.Left != nil {
			return errs.Field(member.ErrMemberLeft, "transfer.member_id", "the membership has ended")
		}
		to := &member.Org{}
		if r.Outside == nil {
			if to, err = s.transferTarget(ctx, tx, m, r.ToOrgID, "transfer.to_organisation_id"); err != nil {
				return err
			}
		}
		if err := noOpenTransfer(ctx, tx, m.ID, "transfer.member_id"); err != nil {
			return err
		}
		from, err := tx.Org(ctx, m.OrganisationID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		t := &Transfer{ID: member.NewID(), MemberID: m.ID, FromOrgID: from.ID, ToOrgID: to.ID,
			FromDistrictID: from.DistrictID, ToDistrictID: to.DistrictID, Reason: r.Reason,
			State: Requested, Created: now, Updated: now, Version: 1, Outside: r.Outside}
		step := Step{State: Requested, Action: ActionRequested, ActorSubject: a.Subject, ActorRole: a.Role,
			Reason: r.Reason, At: now}
		t.Steps = []Step{step}
		if err := tx.InsertTransfer(ctx, t, step); err != nil {
			return err
		}
		if err := tx.RememberRequest(ctx, key, t.ID); err != nil {
			return err
		}
		out = t
		return tx.Emit(ctx, Changed{Transfer: t}, now)
	})
	return out, err
}

// noOpenTransfer refuses, naming field, a member who already has an open
// transfer: a member has at most one (the database's partial unique index
// keeps it against a concurrent writer too).
func noOpenTransfer(ctx context.Context, tx Tx, memberID, field string) error {
	open, found, err := tx.OpenTransfer(ctx, memberID)
	if err != nil || !found {
		return err
	}
	return errs.Field(ErrTransferOpen, field, "the member already has the open transfer "+open.ID)
}

// StepRequest is one step asked of a transfer.
type StepRequest struct {
	ID, Reason, Etag string
	Actor            member.Actor
}

// ConfirmTransfer records the member's agreement. Given by anyone but the
// member (the sending side, for a member who signed on paper), it is
// recorded as taken on the member's behalf, and needs a reason saying why:
// the step is the member's, and the history must not say they took it.
func (s *Service) ConfirmTransfer(ctx context.Context, r StepRequest) (*Transfer, error) {
	if r.Actor.MemberID == "" && strings.TrimSpace(r.Reason) == "" {
		return nil, errs.Field(member.ErrInvalid, "reason",
			`a confirmation on the member's behalf needs a reason, such as "signed on paper"`)
	}
	return s.step(ctx, r, ActionConfirmed, false, func(_ Tx, t *Transfer, _ time.Time) error {
		return move(t, Confirmed, Requested)
	})
}

// ReleaseTransfer is the sending side issuing the letter: its number comes
// from a sequence, its deadline from the sending district's settings. A
// released letter past its deadline may be issued again, in place of the
// expired one: the member stops being a pocket member, and both letters
// stay in the steps.
func (s *Service) ReleaseTransfer(ctx context.Context, r StepRequest) (*Transfer, error) {
	return s.step(ctx, r, ActionReleased, false, func(tx Tx, t *Transfer, now time.Time) error {
		if t.State == Released && !now.After(t.LetterDeadline) {
			return errs.Detail(ErrTransferState, "the letter %s is still valid", t.LetterNumber)
		}
		if err := move(t, Released, Confirmed, Released); err != nil {
			return err
		}
		return s.issueLetter(ctx, tx, t, now)
	})
}

// issueLetter gives t a new letter issued at now.
func (s *Service) issueLetter(ctx context.Context, tx Tx, t *Transfer, now time.Time) error {
	settings, err := tx.TransferSettings(ctx, t.FromDistrictID)
	if err != nil {
		return err
	}
	n, err := tx.NextLetterNumber(ctx)
	if err != nil {
		return err
	}
	if t.DuesPaidUpTo, err = tx.DuesPaidUpTo(ctx, t.MemberID); err != nil {
		return err
	}
	t.LetterNumber = fmt.Sprintf("ZZ-%d-%06d", s.clock.Year(now), n)
	t.LetterDeadline = settings.deadline(now, t.Outside != nil)
	t.Expired = time.Time{}
	return nil
}

// ReceiveTransfer is the receiving side accepting the letter: the transfer
// completes, and the member's organisation, district and path change in
// the same transaction, with the new counts of both organisations. An
// expired letter is not received: it is the sending side's to issue again.
func (s *Service) ReceiveTransfer(ctx context.Context, r StepRequest) (*Transfer, error) {
	return s.step(ctx, r, ActionReceived, true, func(tx Tx, t *Transfer, now time.Time) error {
		if t.Outside != nil {
			return ErrOutOfCity
		}
		if err := move(t, Completed, Released); err != nil {
			return err
		}
		if now.After(t.LetterDeadline) {
			return ErrLetterExpired
		}
		to, err := tx.Org(ctx, t.ToOrgID)
		if err != nil {
			return err
		}
		if err := member.CheckHolds(to, "transfer.to_organisation_id"); err != nil {
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
		// The receiving district's scheme applies.
		if err := s.members.Reclassify(ctx, tx, m, []string{"organisation_id"}, now); err != nil {
			return err
		}
		for _, id := range []string{t.FromOrgID, t.ToOrgID} {
			if err := s.members.Recount(ctx, tx, id, now); err != nil {
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
		return nil, errs.Field(member.ErrInvalid, "reason", "a rejection needs a reason")
	}
	return s.step(ctx, r, ActionRejected, false, func(_ Tx, t *Transfer, _ time.Time) error {
		if side == Receiver {
			return move(t, Rejected, Released)
		}
		return move(t, Rejected, Requested, Confirmed)
	})
}

// WithdrawTransfer ends a transfer before it is received, suspended or not.
func (s *Service) WithdrawTransfer(ctx context.Context, r StepRequest) (*Transfer, error) {
	return s.step(ctx, r, ActionWithdrawn, false, func(_ Tx, t *Transfer, _ time.Time) error {
		if err := move(t, Withdrawn, OpenStates...); err != nil {
			return err
		}
		t.SuspendedFrom = ""
		return nil
	})
}

// SuspendTransfer halts an open transfer on behalf of side, which must be
// the side holding it (HoldingSide); a reason is required. The transfer
// stays the member's one open transfer and takes no step but a resumption
// or a withdrawal. A released letter's deadline runs on: a suspension
// does not extend it.
func (s *Service) SuspendTransfer(ctx context.Context, r StepRequest, side Side) (*Transfer, error) {
	if r.Reason == "" {
		return nil, errs.Field(member.ErrInvalid, "reason", "a suspension needs a reason")
	}
	return s.step(ctx, r, ActionSuspended, false, func(_ Tx, t *Transfer, _ time.Time) error {
		from := t.State
		if err := move(t, Suspended, Requested, Confirmed, Released); err != nil {
			return err
		}
		if HoldingSide(from, "") != side {
			return errs.Detail(ErrTransferState, "the transfer is %s: the other side holds it", from)
		}
		t.SuspendedFrom = from
		return nil
	})
}

// ResumeTransfer returns a suspended transfer to the state it was
// suspended from, on behalf of side, which must be the side holding it.
func (s *Service) ResumeTransfer(ctx context.Context, r StepRequest, side Side) (*Transfer, error) {
	return s.step(ctx, r, ActionResumed, false, func(_ Tx, t *Transfer, _ time.Time) error {
		if t.State != Suspended {
			return errs.Detail(ErrTransferState, "the transfer is %s, not suspended", t.State)
		}
		if HoldingSide(t.State, t.SuspendedFrom) != side {
			return errs.Detail(ErrTransferState, "the other side suspended the transfer")
		}
		t.State, t.SuspendedFrom = t.SuspendedFrom, ""
		return nil
	})
}

// RecordReview records the outcome of the review of a flagged transfer
// as a step, by the sending side; a reason is required. Neither the member
// nor the transfer's state changes: treating a member as having left the
// party is recorded here and carried out by the party's own procedure.
func (s *Service) RecordReview(ctx context.Context, r StepRequest, outcome string) (*Transfer, error) {
	v := member.NewValidation()
	if !slices.Contains(ReviewOutcomes, outcome) {
		v.Add("outcome", "the outcome is required: contacted, not reached or treated as left")
	}
	if r.Reason == "" {
		v.Add("reason", "a review outcome needs a reason")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.step(ctx, r, ActionReviewed, false, func(_ Tx, t *Transfer, _ time.Time) error {
		if t.Flagged.IsZero() {
			return ErrNotFlagged
		}
		t.ReviewOutcome = outcome
		return nil
	})
}

// move changes t's state to next, refusing unless it is in one of from.
// A suspended transfer is refused as suspended, so that the caller learns
// why.
func move(t *Transfer, next string, from ...string) error {
	if !slices.Contains(from, t.State) {
		if t.State == Suspended {
			return ErrTransferSuspended
		}
		return errs.Detail(ErrTransferState, "the transfer is %s", t.State)
	}
	t.State = next
	return nil
}

// step takes one step of a transfer under row locks, in the order every
// writer takes them (organisations, member, transfer): it checks the
// actor, the etag and, through apply, the state, then appends the step.
// A receipt publishes the completion after the receipt.
func (s *Service) step(ctx context.Context, r StepRequest, action string, lockOrgs bool,
	apply func(Tx, *Transfer, time.Time) error) (*Transfer, error) {
	var out *Transfer
	err := s.store.InTx(ctx, func(tx Tx) error {
		peek, ok := rememberedSides(ctx, r.ID)
		if !ok {
			t, err := tx.PeekTransfer(ctx, r.ID)
			if err != nil {
				return err
			}
			peek = Sides{MemberID: t.MemberID, From: t.FromOrgID, To: t.ToOrgID}
		}
		if r.Actor.MemberID != "" && r.Actor.MemberID != peek.MemberID {
			return ErrTransferNotFound
		}
		var orgs []string
		if lockOrgs {
			for _, id := range []string{peek.From, peek.To} {
				if id != "" { // "": a transfer out of the city, which no organisation here receives
					orgs = append(orgs, id)
				}
			}
			slices.Sort(orgs)
		}
		t, err := tx.LockForStep(ctx, orgs, peek.MemberID, r.ID)
		if err != nil {
			return err
		}
		if r.Etag != "" && r.Etag != t.Etag() {
			return ErrTransferEtag
		}
		now := s.clock.Now()
		if err := apply(tx, t, now); err != nil {
			return err
		}
		st := Step{Action: action, ActorSubject: r.Actor.Subject, ActorRole: r.Actor.Role, Reason: r.Reason}
		if action == ActionReleased {
			st.LetterNumber = t.LetterNumber
		}
		if action == ActionReviewed {
			st.ReviewOutcome = t.ReviewOutcome
		}
		if action == ActionConfirmed && r.Actor.MemberID == "" {
			st.OnBehalfOf = t.MemberID
		}
		if err := appendStep(ctx, tx, t, st, now); err != nil {
			return err
		}
		out = t
		if t.State == Completed {
			return tx.Emit(ctx, Completion{Transfer: t}, now)
		}
		return nil
	})
	return out, err
}

// appendStep advances t's version, appends st taken at now, saves t and
// publishes the step.
func appendStep(ctx context.Context, tx WithdrawTx, t *Transfer, st Step, now time.Time) error {
	t.Version++
	t.Updated = now
	st.State, st.At = t.State, now
	t.Steps = append(t.Steps, st)
	if err := tx.SaveTransfer(ctx, t, st); err != nil {
		return err
	}
	return tx.Emit(ctx, Changed{Transfer: t}, now)
}

// WithdrawOnEnd withdraws the member's open transfer because the
// membership ends, with a step that says why.
func (s *Service) WithdrawOnEnd(ctx context.Context, tx WithdrawTx, id, why string, a member.Actor, now time.Time) error {
	t, err := tx.LockTransfer(ctx, id)
	if err != nil {
		return err
	}
	if err := move(t, Withdrawn, OpenStates...); err != nil {
		return err
	}
	t.SuspendedFrom = ""
	return appendStep(ctx, tx, t, Step{Action: ActionWithdrawn, ActorSubject: a.Subject, ActorRole: a.Role, Reason: why}, now)
}
