// Package leaving holds the end of a membership (DOMAIN §2 and §5): a
// death, withdrawal (退党), expulsion (开除党籍), removal (除名), or 自行脱党 —
// only after the review of the member's flagged transfer found so, or
// after six months of lost contact (失联). In one transaction the member's
// open transfer is withdrawn with a step saying why, an open mobile record
// ends, so do their registrations with communities, and the member is
// marked as left: kept and readable, no longer
// listed, counted or managed. The software never ends a membership on its
// own. (A transfer out of the city ends one by its receipt: package
// transfer.)
package leaving

import (
	"context"
	"slices"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/mobile"
	"gongjian.dev/services/member/internal/reporting"
	"gongjian.dev/services/member/internal/transfer"
)

// The errors of leaving.
var ErrNotTreatedAsLeft = errs.WithReason(errs.FailedPrecondition, "NOT_TREATED_AS_LEFT",
	"a member is treated as having left only after the review of their flagged transfer found so, or after six months of lost contact")

// Tx is what the end of a membership needs inside its transaction.
type Tx interface {
	transfer.WithdrawTx
	mobile.EndTx
	reporting.EndTx
	// LostContactFlagged is when the member's open lost-contact flag was
	// set (package participation computes it); found is false without one.
	LostContactFlagged(ctx context.Context, memberID string) (flagged time.Time, found bool, err error)
}

// Store is what the end of a membership needs of the store.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
}

// Service ends memberships.
type Service struct {
	store     Store
	clock     member.Clock
	members   *member.Service
	transfers *transfer.Service
	mobile    *mobile.Service
}

// NewService returns a Service over store that ends what a membership
// holds through the services of members, transfers and mobile members, on
// their clock.
func NewService(store Store, members *member.Service, transfers *transfer.Service, mobile *mobile.Service) *Service {
	return &Service{store: store, clock: members.Clock(), members: members, transfers: transfers, mobile: mobile}
}

// endKinds are the kinds EndMembership records; a transfer out of the city
// ends a membership by its receipt only.
var endKinds = []string{member.LeftDied, member.LeftWithdrew, member.LeftExpelled, member.LeftRemoved, member.LeftTreatedAsLeft}

// LostContactMonths is how long a member has had no organisation life and
// paid no dues before lost contact (失联) lets them be treated as having
// left without a reviewed transfer (DOMAIN §5: six months).
const LostContactMonths = 6

// Request ends a membership.
type Request struct {
	MemberID, Kind, Reason, Etag string
	Date                         time.Time
	// LostContactSince is, for LeftTreatedAsLeft without a reviewed
	// transfer, the day since which the member has been out of contact.
	LostContactSince time.Time
}

// validate checks what needs no member.
func (r Request) validate(today time.Time) error {
	v := member.NewValidation()
	if !slices.Contains(endKinds, r.Kind) {
		v.Add("kind", "the kind is required: died, withdrew, expelled, removed or treated as left")
	}
	switch {
	case r.Date.IsZero():
		v.Add("date", "the date the membership ended is required")
	case r.Date.After(today):
		v.Add("date", "the date cannot be in the future")
	}
	if strings.TrimSpace(r.Reason) == "" {
		v.Add("reason", "a reason is required")
	}
	if !r.LostContactSince.IsZero() {
		switch {
		case r.Kind != member.LeftTreatedAsLeft:
			v.Add("lost_contact_since", "lost contact is stated only to treat a member as having left")
		case !r.Date.IsZero() && r.LostContactSince.AddDate(0, LostContactMonths, 0).After(r.Date):
			v.Add("lost_contact_since", "lost contact counts after six months: at least six months before the date")
		}
	}
	return v.Err()
}

// same reports whether l is the ending r asks for, so that a retried call
// answers the member as it is.
func (r Request) same(l *member.Leaving) bool {
	return l != nil && l.Kind == r.Kind && l.Date.Equal(r.Date)
}

// EndMembership ends a membership, on behalf of a: in one transaction the
// member's open transfer is withdrawn with a step saying why, an open
// mobile record is ended, and the member is marked as left, kept and still
// readable; the organisation's count is published. Treating a member as
// having left (自行脱党) needs the review of their flagged transfer to have
// found so, or six months of lost contact: stated, or the member flagged
// lost contact (computed from the facts) by the date. The same ending
// asked again answers the member as it is.
func (s *Service) EndMembership(ctx context.Context, r Request, a member.Actor) (*member.Member, error) {
	if err := r.validate(s.clock.Today()); err != nil {
		return nil, err
	}
	var out *member.Member
	err := s.store.InTx(ctx, func(tx Tx) error {
		m, err := s.members.LockMember(ctx, tx, r.MemberID)
		if err != nil {
			return err
		}
		if m.Left != nil {
			if r.same(m.Left) {
				out = m
				return nil
			}
			return member.ErrMemberLeft
		}
		if r.Etag != "" && r.Etag != m.Etag() {
			return member.ErrEtagMismatch
		}
		if r.Date.Before(m.JoinDate) {
			return errs.Field(member.ErrInvalid, "date", "before the member joined the party on "+m.JoinDate.Format(time.DateOnly))
		}
		open, found, err := tx.OpenTransfer(ctx, m.ID)
		if err != nil {
			return err
		}
		if r.Kind == member.LeftTreatedAsLeft && r.LostContactSince.IsZero() &&
			(!found || open.Flagged.IsZero() || open.ReviewOutcome != transfer.ReviewTreatedAsLeft) {
			// The computed flag stands for six months of lost contact: it
			// lets the review conclude, never concludes it by itself.
			flagged, lost, err := tx.LostContactFlagged(ctx, m.ID)
			if err != nil {
				return err
			}
			if !lost || s.clock.Day(flagged).After(r.Date) {
				return ErrNotTreatedAsLeft
			}
		}
		now := s.clock.Now()
		if found {
			why := "the membership ended (" + strings.ToLower(strings.ReplaceAll(r.Kind, "_", " ")) + " on " +
				r.Date.Format(time.DateOnly) + "): " + r.Reason
			if err := s.transfers.WithdrawOnEnd(ctx, tx, open.ID, why, a, now); err != nil {
				return err
			}
		}
		out = m
		l := member.Leaving{Kind: r.Kind, Date: r.Date, Reason: r.Reason, At: now}
		if err := s.mobile.EndOnLeaving(ctx, tx, m, l, a); err != nil {
			return err
		}
		if err := reporting.EndOnLeaving(ctx, tx, m, l); err != nil {
			return err
		}
		return s.members.Leave(ctx, tx, m, l, "")
	})
	return out, err
}
