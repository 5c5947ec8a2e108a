package member

import (
	"context"
	"slices"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
)

// Leaving is how a membership ended here: its Kind, the Date it ended (a
// calendar day), why, and when it was recorded. The member is kept: the
// record, its transfers and its history stay readable, and the member is
// no longer counted, listed or classified.
type Leaving struct {
	Kind   string
	Date   time.Time
	Reason string
	At     time.Time
}

// The kinds of ending.
const (
	LeftDied           = "DIED"            // 去世
	LeftWithdrew       = "WITHDREW"        // 退党
	LeftExpelled       = "EXPELLED"        // 开除党籍
	LeftRemoved        = "REMOVED"         // 除名
	LeftTreatedAsLeft  = "TREATED_AS_LEFT" // 自行脱党
	LeftTransferredOut = "TRANSFERRED_OUT" // by the receipt of a transfer out of the city
)

// endKinds are the kinds EndMembership records; a transfer out of the city
// ends a membership by its receipt only.
var endKinds = []string{LeftDied, LeftWithdrew, LeftExpelled, LeftRemoved, LeftTreatedAsLeft}

// LostContactMonths is how long a member has had no organisation life and
// paid no dues before lost contact (失联) lets them be treated as having
// left without a reviewed transfer (DOMAIN §5: six months).
const LostContactMonths = 6

// OutcomeMembershipEnded ends the open mobile record of a member whose
// membership ended; EndMobility does not take it.
const OutcomeMembershipEnded = "MEMBERSHIP_ENDED"

// MemberLeft is published when a membership ends: by EndMembership, or by
// the receipt of a transfer out of the city (TransferID).
type MemberLeft struct {
	Member     *Member
	TransferID string
}

func (e MemberLeft) AggregateID() string { return e.Member.OrganisationID }

// Live passes on a member just locked whose membership has not ended, and
// refuses one that has: a member who left is kept for the record, not
// managed.
func Live(m *Member, err error) (*Member, error) {
	if err == nil && m.Left != nil {
		return nil, ErrMemberLeft
	}
	return m, err
}

// The errors of leaving.
var (
	ErrMemberLeft = errs.WithReason(errs.FailedPrecondition, "MEMBER_LEFT",
		"the membership has ended; the member is kept for the record")
	ErrNotTreatedAsLeft = errs.WithReason(errs.FailedPrecondition, "NOT_TREATED_AS_LEFT",
		"a member is treated as having left only after the review of their flagged transfer found so, or after six months of lost contact")
	ErrHolderDied = errs.WithReason(errs.FailedPrecondition, "HOLDER_DIED",
		"the holder of this national ID number died; it is never registered again")
	ErrReadmissionDate = errs.WithReason(errs.FailedPrecondition, "READMISSION_DATE",
		"the holder of this national ID number left the party; registering it again is a readmission, which joins after the leaving")
	ErrMemberMoved = errs.New(errs.Aborted, "the member's relationship moved meanwhile; try again")
)

// EndMembershipRequest ends a membership.
type EndMembershipRequest struct {
	MemberID, Kind, Reason, Etag string
	Date                         time.Time
	// LostContactSince is, for LeftTreatedAsLeft without a reviewed
	// transfer, the day since which the member has been out of contact.
	LostContactSince time.Time
}

// validate checks what needs no member.
func (r EndMembershipRequest) validate(today time.Time) error {
	v := NewValidation()
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
		case r.Kind != LeftTreatedAsLeft:
			v.Add("lost_contact_since", "lost contact is stated only to treat a member as having left")
		case !r.Date.IsZero() && r.LostContactSince.AddDate(0, LostContactMonths, 0).After(r.Date):
			v.Add("lost_contact_since", "lost contact counts after six months: at least six months before the date")
		}
	}
	return v.Err()
}

// same reports whether l is the ending r asks for, so that a retried call
// answers the member as it is.
func (r EndMembershipRequest) same(l *Leaving) bool {
	return l != nil && l.Kind == r.Kind && l.Date.Equal(r.Date)
}

// EndMembership ends a membership, on behalf of a: in one transaction the
// member's open transfer is withdrawn with a step saying why, an open
// mobile record is ended, and the member is marked as left, kept and still
// readable; the organisation's count is published. Treating a member as
// having left (自行脱党) needs the review of their flagged transfer to have
// found so, or six months of lost contact stated. The same ending asked
// again answers the member as it is.
func (s *Service) EndMembership(ctx context.Context, r EndMembershipRequest, a Actor) (*Member, error) {
	if err := r.validate(s.clock.Today()); err != nil {
		return nil, err
	}
	var out *Member
	err := s.store.InTx(ctx, func(tx Tx) error {
		m, err := s.LockMember(ctx, tx, r.MemberID)
		if err != nil {
			return err
		}
		if m.Left != nil {
			if r.same(m.Left) {
				out = m
				return nil
			}
			return ErrMemberLeft
		}
		if r.Etag != "" && r.Etag != m.Etag() {
			return ErrEtagMismatch
		}
		if r.Date.Before(m.JoinDate) {
			return errs.Field(ErrInvalid, "date", "before the member joined the party on "+m.JoinDate.Format(time.DateOnly))
		}
		open, found, err := tx.OpenTransfer(ctx, m.ID)
		if err != nil {
			return err
		}
		if r.Kind == LeftTreatedAsLeft && r.LostContactSince.IsZero() &&
			(!found || open.Flagged.IsZero() || open.ReviewOutcome != ReviewTreatedAsLeft) {
			return ErrNotTreatedAsLeft
		}
		now := s.clock.Now()
		if found {
			if err := s.withdrawOnEnd(ctx, tx, open.ID, r, a, now); err != nil {
				return err
			}
		}
		out = m
		return s.leave(ctx, tx, m, Leaving{Kind: r.Kind, Date: r.Date, Reason: r.Reason, At: now}, "", a)
	})
	return out, err
}

// LockMember locks a member after the organisation their relationship
// sits in, the order in which every writer that changes a count takes
// them.
func (s *Service) LockMember(ctx context.Context, tx Tx, id string) (*Member, error) {
	orgID, err := tx.MemberOrganisation(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := tx.LockOrg(ctx, orgID); err != nil {
		return nil, err
	}
	m, err := tx.Lock(ctx, id)
	if err != nil {
		return nil, err
	}
	if m.OrganisationID != orgID {
		return nil, ErrMemberMoved
	}
	return m, nil
}

// withdrawOnEnd withdraws the member's open transfer because the
// membership ends, with a step that says so.
func (s *Service) withdrawOnEnd(ctx context.Context, tx Tx, id string, r EndMembershipRequest, a Actor, now time.Time) error {
	t, err := tx.LockTransfer(ctx, id)
	if err != nil {
		return err
	}
	if err := move(t, TransferWithdrawn, OpenStates...); err != nil {
		return err
	}
	t.SuspendedFrom = ""
	why := "the membership ended (" + strings.ToLower(strings.ReplaceAll(r.Kind, "_", " ")) + " on " +
		r.Date.Format(time.DateOnly) + "): " + r.Reason
	return appendStep(ctx, tx, t, Step{Action: ActionWithdrawn, ActorSubject: a.Subject, ActorRole: a.Role, Reason: why}, now)
}

// leave marks m as having left (ended as l), ends their open mobile
// record, saves them and publishes MemberLeft (with the transfer that
// ended it, if any) and their organisation's new count.
func (s *Service) leave(ctx context.Context, tx Tx, m *Member, l Leaving, transferID string, a Actor) error {
	outcome := OutcomeMembershipEnded
	if l.Kind == LeftTransferredOut {
		outcome = OutcomeTransferred
	}
	if err := s.endMobileOnLeaving(ctx, tx, m, outcome, l.Reason, a, l.At); err != nil {
		return err
	}
	m.Left = &l
	m.Version++
	m.Updated = l.At
	if err := tx.Save(ctx, m); err != nil {
		return err
	}
	if err := tx.Emit(ctx, MemberLeft{Member: m, TransferID: transferID}); err != nil {
		return err
	}
	return s.Recount(ctx, tx, m.OrganisationID)
}

// endMobileOnLeaving ends the member's open mobile record, if any, with
// outcome: a member who left is no longer anyone's mobile member.
func (s *Service) endMobileOnLeaving(ctx context.Context, tx Tx, m *Member, outcome, reason string, a Actor, now time.Time) error {
	open, found, err := tx.OpenMobile(ctx, m.ID)
	if err != nil || !found {
		return err
	}
	rec, err := tx.LockMobile(ctx, open.ID)
	if err != nil {
		return err
	}
	rec.State = MobileEnded
	rec.Ending = MobilityEnding{Outcome: outcome, Reason: reason, At: now}
	step := MobileStep{State: MobileEnded, ActorSubject: a.Subject, ActorRole: a.Role,
		Note: "the membership ended: " + reason, At: now}
	if err := s.saveMobile(ctx, tx, rec, &step); err != nil {
		return err
	}
	if err := tx.Emit(ctx, MobilityEnded{Record: rec}); err != nil {
		return err
	}
	m.Mobile = false
	return tx.SetMemberMobile(ctx, m.ID, false)
}

// CheckFormerHolders refuses a number whose holder died, and one whose
// holder left the party unless the member registered joins after the
// leaving (a readmission), naming the district that held it.
func (s *Service) CheckFormerHolders(ctx context.Context, tx Tx, m *Member) error {
	prev, found, err := tx.LeftHolder(ctx, m.NationalID, m.ID)
	if err != nil || !found {
		return err
	}
	where := "another district"
	if d, err := tx.Org(ctx, prev.DistrictID); err == nil && d.Name != "" {
		where = d.Name
	}
	switch {
	case prev.Left.Kind == LeftDied:
		return errs.Fields(errs.Detail(ErrHolderDied, "the holder, registered in %s, died on %s", where,
			prev.Left.Date.Format(time.DateOnly)),
			errs.Violation{Field: "member.national_id", Description: "the holder died (registered in " + where + ")"})
	case prev.Left.Kind == LeftTransferredOut:
		return nil // transferred back into the city: no readmission
	case !m.JoinDate.After(prev.Left.Date):
		return errs.Fields(errs.Detail(ErrReadmissionDate, "the holder, registered in %s, left the party on %s", where,
			prev.Left.Date.Format(time.DateOnly)),
			errs.Violation{Field: "member.join_date", Description: "a readmission joins after the leaving on " +
				prev.Left.Date.Format(time.DateOnly) + " (registered in " + where + ")"})
	}
	return nil
}
