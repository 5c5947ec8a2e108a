package mobile

import (
	"context"
	"strings"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/member/internal/member"
)

// EndMobility ends a record with its outcome. The member of this city is
// no longer mobile and is reclassified; one who settled elsewhere is asked
// to transfer (the event says so); "transferred" needs the relationship to
// have left the home organisation.
func (s *Service) EndMobility(ctx context.Context, id, outcome, reason, etag string, a member.Actor) (*Record, error) {
	if !outcomes[outcome] {
		return nil, errs.Field(member.ErrInvalid, "outcome", "the outcome is required: returned, settled elsewhere or transferred")
	}
	var out *Record
	err := s.store.InTx(ctx, func(tx Tx) error {
		peek, err := tx.PeekMobile(ctx, id)
		if err != nil {
			return err
		}
		var m *member.Member
		if peek.MemberID != "" { // the member first, as every writer locks them
			if m, err = tx.Lock(ctx, peek.MemberID); err != nil {
				return err
			}
		}
		rec, err := tx.LockMobile(ctx, id)
		if err != nil {
			return err
		}
		if etag != "" && etag != rec.Etag() {
			return ErrMobileEtag
		}
		if !rec.Open() {
			return errs.Detail(ErrMobileState, "the record has ended")
		}
		if outcome == OutcomeTransferred && m != nil && m.OrganisationID == rec.HomeOrgID {
			return errs.Field(ErrNotTransferred, "outcome", "transfer the relationship first, then end the mobility as transferred")
		}
		now := s.clock.Now()
		rec.State = Ended
		rec.Ending = MobilityEnding{Outcome: outcome, Reason: reason, At: now}
		step := Step{State: Ended, ActorSubject: a.Subject, ActorRole: a.Role,
			Note: strings.ToLower(strings.ReplaceAll(outcome, "_", " ")) + orDefault(prefixed(": ", reason), ""), At: now}
		if err := s.saveMobile(ctx, tx, rec, &step); err != nil {
			return err
		}
		if err := tx.Emit(ctx, MobilityEnded{Record: rec}, now); err != nil {
			return err
		}
		out = rec
		if m == nil {
			return nil
		}
		return s.setMobile(ctx, tx, m, false)
	})
	return out, err
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// TransferRequested reports whether an ended record asks the member to
// transfer their relationship: they settled elsewhere.
func (r *Record) TransferRequested() bool {
	return r.State == Ended && r.Ending.Outcome == OutcomeSettledElsewhere
}

// EndOnLeaving ends the open mobile record, if any, of a member whose
// membership ends as l: a member who left is no longer anyone's mobile
// member.
func (s *Service) EndOnLeaving(ctx context.Context, tx EndTx, m *member.Member, l member.Leaving, a member.Actor) error {
	outcome, reason, now := OutcomeMembershipEnded, l.Reason, l.At
	if l.Kind == member.LeftTransferredOut {
		outcome = OutcomeTransferred
	}
	open, found, err := tx.OpenMobile(ctx, m.ID)
	if err != nil || !found {
		return err
	}
	rec, err := tx.LockMobile(ctx, open.ID)
	if err != nil {
		return err
	}
	rec.State = Ended
	rec.Ending = MobilityEnding{Outcome: outcome, Reason: reason, At: now}
	step := Step{State: Ended, ActorSubject: a.Subject, ActorRole: a.Role,
		Note: "the membership ended: " + reason, At: now}
	if err := s.saveMobile(ctx, tx, rec, &step); err != nil {
		return err
	}
	if err := tx.Emit(ctx, MobilityEnded{Record: rec}, now); err != nil {
		return err
	}
	m.Mobile = false
	return tx.SetMemberMobile(ctx, m.ID, false)
}
