package transfer

import (
	"context"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/reporting"
)

// OutsideDestination is the receiving organisation of a transfer out of
// the city, as the letter names it: nobody in the system receives it.
type OutsideDestination struct {
	Organisation string
	Place        string
}

// String is the destination as a reason names it.
func (d OutsideDestination) String() string { return d.Organisation + ", " + d.Place }

// Receipt is the receipt slip (回执) the receiving organisation outside
// the city returned for a letter: its number and its date.
type Receipt struct {
	Number string
	Date   time.Time
}

// The errors of transfers out of the city.
var (
	ErrOutOfCity = errs.WithReason(errs.FailedPrecondition, "OUT_OF_CITY",
		"a transfer out of the city is not received here: the sending side records the receipt slip the receiving organisation returned (RecordTransferReceipt)")
	ErrOutsideOnly = errs.WithReason(errs.FailedPrecondition, "OUTSIDE_ONLY",
		"a receipt slip completes a transfer out of the city only; a transfer inside it is received by the receiving side (ReceiveTransfer)")
)

// checkDestination adds a violation unless exactly one destination is
// given, and an outside one in full.
func checkDestination(v *errs.Validation, toOrgID string, outside *OutsideDestination) {
	switch {
	case toOrgID == "" && outside == nil:
		v.Add("transfer.to_organisation_id", "the receiving organisation is required: to_organisation_id, or outside for one out of the city")
	case toOrgID != "" && outside != nil:
		v.Add("transfer.outside", "give to_organisation_id or outside, not both")
	case outside != nil:
		if strings.TrimSpace(outside.Organisation) == "" {
			v.Add("transfer.outside.organisation", "the receiving organisation's name is required")
		}
		if strings.TrimSpace(outside.Place) == "" {
			v.Add("transfer.outside.place", "where the receiving organisation is is required")
		}
	}
}

// ReceiptRequest records the receipt slip of a transfer out of the city.
type ReceiptRequest struct {
	ID, Number, Reason, Etag string
	Date                     time.Time
	Actor                    member.Actor
}

// RecordReceipt completes a released transfer out of the city by the
// receipt slip the receiving organisation returned, recorded by the
// sending side. The slip is dated on or after the day the letter was
// released and no later than its deadline (a slip dated in time may come
// back by post after it) nor today. In the same transaction the member's
// relationship here ends: the member is marked as having left, transferred
// out to the destination, kept and readable; an open mobile record ends
// as transferred; the sending organisation's count is published. The same
// receipt recorded again answers the transfer as it is.
func (s *Service) RecordReceipt(ctx context.Context, r ReceiptRequest) (*Transfer, error) {
	v := member.NewValidation()
	if strings.TrimSpace(r.Number) == "" {
		v.Add("receipt_number", "the receipt's number is required")
	}
	switch {
	case r.Date.IsZero():
		v.Add("receipt_date", "the receipt's date is required")
	case r.Date.After(s.clock.Today()):
		v.Add("receipt_date", "the receipt's date cannot be in the future")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *Transfer
	err := s.store.InTx(ctx, func(tx Tx) error {
		peek, err := tx.PeekTransfer(ctx, r.ID)
		if err != nil {
			return err
		}
		if peek.Outside == nil {
			return ErrOutsideOnly
		}
		if _, err := tx.LockOrg(ctx, peek.FromOrgID); err != nil {
			return err
		}
		m, err := tx.Lock(ctx, peek.MemberID)
		if err != nil {
			return err
		}
		t, err := tx.LockTransfer(ctx, r.ID)
		if err != nil {
			return err
		}
		if rc := t.Receipt; rc != nil && rc.Number == r.Number && rc.Date.Equal(r.Date) {
			out = t // the same receipt again: a retry
			return nil
		}
		if r.Etag != "" && r.Etag != t.Etag() {
			return ErrTransferEtag
		}
		if err := move(t, Completed, Released); err != nil {
			return err
		}
		if err := s.checkReceiptDate(t, r.Date); err != nil {
			return err
		}
		if m.OrganisationID != t.FromOrgID || m.Left != nil {
			return errs.Detail(ErrTransferState, "the member's relationship no longer sits in the sending organisation")
		}
		now := s.clock.Now()
		t.Receipt = &Receipt{Number: r.Number, Date: r.Date}
		why := "receipt " + r.Number + " of " + r.Date.Format(time.DateOnly) + " from " + t.Outside.String()
		if r.Reason != "" {
			why = r.Reason + " (" + why + ")"
		}
		st := Step{Action: ActionReceived, ActorSubject: r.Actor.Subject, ActorRole: r.Actor.Role, Reason: why}
		if err := appendStep(ctx, tx, t, st, now); err != nil {
			return err
		}
		if err := tx.Emit(ctx, Completion{Transfer: t}, now); err != nil {
			return err
		}
		out = t
		left := member.Leaving{Kind: member.LeftTransferredOut, Date: r.Date, At: now,
			Reason: "transferred out of the city to " + t.Outside.String() + " (letter " + t.LetterNumber + ")"}
		if err := s.mobile.EndOnLeaving(ctx, tx, m, left, r.Actor); err != nil {
			return err
		}
		if err := reporting.EndOnLeaving(ctx, tx, m, left); err != nil {
			return err
		}
		return s.members.Leave(ctx, tx, m, left, t.ID)
	})
	return out, err
}

// checkReceiptDate refuses a receipt dated before the day the current
// letter was released, or after the day of its deadline: an expired letter
// is not received, the sending side issues a new one.
func (s *Service) checkReceiptDate(t *Transfer, date time.Time) error {
	var released time.Time
	for _, st := range t.Steps {
		if st.Action == ActionReleased {
			released = st.At
		}
	}
	if day := s.clock.Day(released); date.Before(day) {
		return errs.Field(member.ErrInvalid, "receipt_date", "before the letter was released on "+day.Format(time.DateOnly))
	}
	if day := s.clock.Day(t.LetterDeadline); date.After(day) {
		return errs.Fields(errs.Detail(ErrLetterExpired, "the receipt is dated after the letter's deadline, %s", day.Format(time.DateOnly)),
			errs.Violation{Field: "receipt_date", Description: "after the letter's deadline " + day.Format(time.DateOnly)})
	}
	return nil
}
