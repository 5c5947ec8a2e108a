package transfer

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
	"gongjian.dev/services/member/internal/member"
)

// EarlierTransfer is a transfer begun on paper before the city used the
// system, as the sending side records it: the days of its steps (calendar
// days, as midnight UTC like every date of the domain), the zero time for
// a step not taken, and the paper letter's number if it has one.
type EarlierTransfer struct {
	MemberID, ToOrgID, Reason      string
	Requested, Confirmed, Released time.Time
	LetterNumber                   string
	RequestID                      string
}

// Recorded is published, once, when a transfer begun before the
// system is recorded in it: the transfer as it stands with all its steps,
// instead of the events of steps that were taken long before, which
// consumers would otherwise take for steps taken now.
type Recorded struct{ Transfer *Transfer }

func (e Recorded) AggregateID() string { return e.Transfer.FromOrgID }

// The errors of recorded transfers.
var (
	ErrLetterNumberTaken = errs.New(errs.AlreadyExists, "another letter has this number")
)

// firstDay is the earliest day a recorded step may carry.
var firstDay = time.Date(1949, time.January, 1, 0, 0, 0, 0, time.UTC)

// drawnNumber is the form of the letter numbers the system draws: a paper
// number of this form could collide with one drawn later.
var drawnNumber = regexp.MustCompile(`^ZZ-\d{4}-\d+$`)

// validate checks what needs no member: the days are given in order, none
// in the future nor before 1949; a letter needs the member's confirmation
// before it, and a number needs a letter.
func (r EarlierTransfer) validate(today time.Time) error {
	v := member.NewValidation()
	if r.MemberID == "" {
		v.Add("member_id", "member_id is required")
	}
	if r.ToOrgID == "" {
		v.Add("to_organisation_id", "to_organisation_id is required")
	}
	if r.Requested.IsZero() {
		v.Add("requested_date", "the day the transfer was requested is required")
	}
	if !r.Released.IsZero() && r.Confirmed.IsZero() {
		v.Add("confirmed_date", "a letter is released after the member's confirmation: give the day of the confirmation")
	}
	if r.LetterNumber != "" && r.Released.IsZero() {
		v.Add("letter_number", "a letter number needs the day the letter was released")
	}
	if drawnNumber.MatchString(r.LetterNumber) {
		v.Add("letter_number", "numbers of the form ZZ-<year>-<n> are the system's own; give the paper letter's number or none")
	}
	prev, prevField := time.Time{}, ""
	for _, d := range []struct {
		field string
		day   time.Time
	}{{"requested_date", r.Requested}, {"confirmed_date", r.Confirmed}, {"released_date", r.Released}} {
		switch {
		case d.day.IsZero():
			continue
		case d.day.Before(firstDay):
			v.Add(d.field, "before 1949")
		case d.day.After(today):
			v.Add(d.field, "in the future")
		case !prev.IsZero() && d.day.Before(prev):
			v.Add(d.field, "before the %s", prevField)
		}
		prev, prevField = d.day, d.field
	}
	return v.Err()
}

// RecordEarlierTransfer records a transfer begun before the system, on
// behalf of the sending side: its steps up to where it stands (requested,
// confirmed, released) on their original days, each at the start of its
// day in the city, with a as actor and the time of recording. The target
// follows the rules of a request and the member keeps at most one open
// transfer; a letter's deadline follows from its day by the sending
// district's settings, as a release does, so that the sweeper marks an
// old letter expired, and an old request flagged, on its next pass. A
// request id seen before returns the transfer it recorded.
func (s *Service) RecordEarlierTransfer(ctx context.Context, r EarlierTransfer, a member.Actor) (*Transfer, error) {
	if err := r.validate(s.clock.Today()); err != nil {
		return nil, err
	}
	var out *Transfer
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("record_earlier_transfer/"+a.Subject, r.RequestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.LockTransfer); err != nil || seen {
			return err
		}
		m, err := tx.Lock(ctx, r.MemberID)
		if errors.Is(err, member.ErrNotFound) {
			return errs.Field(member.ErrNotFound, "member_id", "no member has this id")
		}
		if err != nil {
			return err
		}
		if m.Left != nil {
			return errs.Field(member.ErrMemberLeft, "member_id", "the membership has ended")
		}
		if r.Requested.Before(m.JoinDate) {
			return errs.Field(member.ErrInvalid, "requested_date", "before the member joined the party on "+m.JoinDate.Format(time.DateOnly))
		}
		to, err := s.transferTarget(ctx, tx, m, r.ToOrgID, "to_organisation_id")
		if err != nil {
			return err
		}
		if err := noOpenTransfer(ctx, tx, m.ID, "member_id"); err != nil {
			return err
		}
		from, err := tx.Org(ctx, m.OrganisationID)
		if err != nil {
			return err
		}
		t, err := s.recorded(ctx, tx, r, m, from, to, a)
		if err != nil {
			return err
		}
		if err := tx.InsertTransferSteps(ctx, t, t.Steps); err != nil {
			if errors.Is(err, ErrTransferOpen) { // another writer opened one since
				return errs.Field(ErrTransferOpen, "member_id", "the member already has an open transfer")
			}
			return err
		}
		if err := tx.RememberRequest(ctx, key, t.ID); err != nil {
			return err
		}
		out = t
		return tx.Emit(ctx, Recorded{Transfer: t}, t.Recorded)
	})
	return out, err
}

// transferTarget checks the organisation a member is to be transferred
// to, naming field when it refuses: it exists, may hold memberships and
// is not where the member's relationship already sits.
func (s *Service) transferTarget(ctx context.Context, tx Tx, m *member.Member, toID, field string) (*member.Org, error) {
	if m.OrganisationID == toID {
		return nil, errs.Field(ErrSameOrganisation, field, "the member's relationship already sits in this organisation")
	}
	to, err := tx.Org(ctx, toID)
	if errors.Is(err, member.ErrOrgNotFound) {
		return nil, errs.Field(member.ErrOrgNotFound, field, "no organisation has this id")
	}
	if err != nil {
		return nil, err
	}
	return to, member.CheckHolds(to, field)
}

// recorded builds the transfer r describes, with its steps.
func (s *Service) recorded(ctx context.Context, tx Tx, r EarlierTransfer, m *member.Member, from, to *member.Org, a member.Actor) (*Transfer, error) {
	now := s.clock.Now()
	note := fmt.Sprintf("recorded on %s from the paper record of a transfer begun before the system", s.clock.Today().Format(time.DateOnly))
	t := &Transfer{ID: member.NewID(), MemberID: m.ID, FromOrgID: from.ID, ToOrgID: to.ID, FromDistrictID: from.DistrictID,
		ToDistrictID: to.DistrictID, Reason: r.Reason, Created: s.clock.DayStart(r.Requested), Updated: now, Recorded: now}
	step := func(action string, day time.Time, reason string) {
		t.State = action // the steps recorded are named by the state they reach
		t.Steps = append(t.Steps, Step{State: action, Action: action, ActorSubject: a.Subject, ActorRole: a.Role,
			Reason: reason, At: s.clock.DayStart(day), Recorded: now})
	}
	first := note
	if r.Reason != "" {
		first = r.Reason + " (" + note + ")"
	}
	step(ActionRequested, r.Requested, first)
	if !r.Confirmed.IsZero() {
		step(ActionConfirmed, r.Confirmed, note)
		t.Steps[len(t.Steps)-1].OnBehalfOf = m.ID // the member confirmed on paper; the recorder is the actor
	}
	if !r.Released.IsZero() {
		released := s.clock.DayStart(r.Released)
		settings, err := tx.TransferSettings(ctx, t.FromDistrictID)
		if err != nil {
			return nil, err
		}
		t.LetterNumber, t.LetterDeadline = r.LetterNumber, settings.deadline(released, false)
		if t.LetterNumber == "" {
			n, err := tx.NextLetterNumber(ctx)
			if err != nil {
				return nil, err
			}
			t.LetterNumber = fmt.Sprintf("ZZ-%d-%06d", s.clock.Year(released), n)
		}
		step(ActionReleased, r.Released, note)
		t.Steps[len(t.Steps)-1].LetterNumber = t.LetterNumber
	}
	t.Version = int64(len(t.Steps))
	return t, nil
}
