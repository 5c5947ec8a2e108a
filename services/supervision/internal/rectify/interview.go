package rectify

import (
	"context"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
)

// InterviewState is where an interview stands.
type InterviewState string

// The states of an interview.
const (
	Scheduled  InterviewState = "SCHEDULED"
	Held       InterviewState = "HELD"
	FollowedUp InterviewState = "FOLLOWED_UP"
)

// Interview is an accountability interview (约谈) of an organisation's
// leader: due by a day, held with someone, a deadline to fix (限期整改) and
// the follow-up.
type Interview struct {
	ID             string
	OrganisationID string
	DistrictID     string
	FindingID      string
	Reason         string
	DueBy          time.Time
	Interviewee    string
	HeldOn         time.Time
	FixDeadline    time.Time
	FollowUp       string
	FollowedUpOn   time.Time
	State          InterviewState
	CreatedBy      string
	Created        time.Time
	Updated        time.Time
}

// InterviewQuery lists interviews.
type InterviewQuery struct {
	OrganisationID, AncestorID, ScopeRoot string
	// Inspector, when set, restricts the list to the organisations the
	// inspector's groups cover.
	Inspector string
	After     Key
	Limit     int
}

// Schedule schedules an interview by hand.
func (s *Service) Schedule(ctx context.Context, iv *Interview, a Actor) (*Interview, error) {
	if iv.OrganisationID == "" {
		return nil, errs.Field(ErrInvalid, "interview.organisation_id", "name the organisation whose leader is interviewed")
	}
	if err := s.reach(ctx, a, iv.OrganisationID); err != nil {
		return nil, err
	}
	v := errs.NewValidation(ErrInvalid)
	if strings.TrimSpace(iv.Reason) == "" {
		v.Add("interview.reason", "say why the interview is held")
	}
	if iv.DueBy.Before(s.Today()) {
		v.Add("interview.due_by", "not before today")
	}
	if iv.FindingID != "" {
		// A finding that called for the interview is the interviewed
		// organisation's: no other, and none out of the caller's reach.
		org, err := s.store.FindingOrganisation(ctx, iv.FindingID)
		if err != nil {
			return nil, err
		}
		if org != iv.OrganisationID {
			v.Add("interview.finding_id", "no finding of this organisation has this id")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	d, err := s.store.DistrictOf(ctx, iv.OrganisationID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	n := *iv
	n.ID, n.DistrictID, n.State, n.CreatedBy, n.Created, n.Updated = newID(), d, Scheduled, a.Subject, now, now
	return &n, s.store.InTx(ctx, func(tx Tx) error { return tx.InsertInterview(ctx, &n) })
}

// Interview returns one interview within reach.
func (s *Service) Interview(ctx context.Context, id string, a Actor) (*Interview, error) {
	iv, err := s.store.Interview(ctx, id)
	if err != nil {
		return nil, err
	}
	return iv, s.reach(ctx, a, iv.OrganisationID)
}

// Interviews lists interviews within the actor's reach: an inspector
// names an organisation their groups cover, or a subtree whose interviews
// are cut to what they cover, as the items' list does.
func (s *Service) Interviews(ctx context.Context, q InterviewQuery, a Actor) ([]*Interview, error) {
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
	return s.store.Interviews(ctx, q)
}

// RecordHeld records that the interview was held: when, with whom, and the
// deadline to fix.
func (s *Service) RecordHeld(ctx context.Context, id string, heldOn time.Time, interviewee string, fixDeadline time.Time, note string, a Actor) (*Interview, error) {
	return s.changeInterview(ctx, id, a, "held", func(iv *Interview) error {
		v := errs.NewValidation(ErrInvalid)
		if heldOn.After(s.Today()) {
			v.Add("held_on", "not after today")
		}
		if strings.TrimSpace(interviewee) == "" {
			v.Add("interviewee", "who was interviewed")
		}
		if !fixDeadline.After(heldOn) {
			v.Add("fix_deadline", "after the day it was held")
		}
		if err := v.Err(); err != nil {
			return err
		}
		if iv.State != Scheduled {
			return errs.Detail(ErrState, "the interview was held already")
		}
		iv.State, iv.HeldOn, iv.Interviewee, iv.FixDeadline, iv.FollowUp = Held, heldOn, interviewee, fixDeadline, note
		return nil
	})
}

// RecordFollowUp records the follow-up after the deadline to fix.
func (s *Service) RecordFollowUp(ctx context.Context, id string, on time.Time, followUp string, a Actor) (*Interview, error) {
	if strings.TrimSpace(followUp) == "" {
		return nil, errs.Field(ErrInvalid, "follow_up", "say what the follow-up found")
	}
	return s.changeInterview(ctx, id, a, "followed_up", func(iv *Interview) error {
		if iv.State != Held {
			return errs.Detail(ErrState, "an interview is followed up once held")
		}
		iv.State, iv.FollowedUpOn, iv.FollowUp = FollowedUp, on, followUp
		return nil
	})
}

func (s *Service) changeInterview(ctx context.Context, id string, a Actor, change string, fn func(*Interview) error) (*Interview, error) {
	var out *Interview
	err := s.store.InTx(ctx, func(tx Tx) error {
		iv, err := tx.LockInterview(ctx, id)
		if err != nil {
			return err
		}
		if err := s.reach(ctx, a, iv.OrganisationID); err != nil {
			return err
		}
		if err := fn(iv); err != nil {
			return err
		}
		iv.Updated = s.now()
		out = iv
		return tx.SaveInterview(ctx, iv, change)
	})
	return out, err
}
