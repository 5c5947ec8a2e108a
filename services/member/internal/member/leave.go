package member

import (
	"context"
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
	ErrHolderDied = errs.WithReason(errs.FailedPrecondition, "HOLDER_DIED",
		"the holder of this national ID number died; it is never registered again")
	ErrReadmissionDate = errs.WithReason(errs.FailedPrecondition, "READMISSION_DATE",
		"the holder of this national ID number left the party; registering it again is a readmission, which joins after the leaving")
	ErrMemberMoved = errs.New(errs.Aborted, "the member's relationship moved meanwhile; try again")
)

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

// Leave marks m as having left (ended as l), saves them and publishes
// MemberLeft (with the transfer that ended it, if any) and their
// organisation's new count. The callers first end what the membership
// held: the open transfer, the open mobile record.
func (s *Service) Leave(ctx context.Context, tx Tx, m *Member, l Leaving, transferID string) error {
	m.Left = &l
	m.Version++
	m.Updated = l.At
	if err := tx.Save(ctx, m); err != nil {
		return err
	}
	if err := tx.Emit(ctx, MemberLeft{Member: m, TransferID: transferID}, l.At); err != nil {
		return err
	}
	return s.Recount(ctx, tx, m.OrganisationID, l.At)
}
