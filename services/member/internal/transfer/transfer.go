package transfer

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
	"gongjian.dev/services/member/internal/member"
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
	// SuspendedFrom is the state a suspended transfer resumes to.
	SuspendedFrom string
	// Expired is when the sweeper found the letter past its deadline
	// without a receipt: from then on the member is a pocket member, until
	// a new letter is issued or the transfer ends.
	Expired time.Time
	// Flagged is when the sweeper flagged the transfer for review, open
	// longer than the review period; ReviewOutcome is the latest outcome
	// recorded by the review.
	Flagged       time.Time
	ReviewOutcome string
	// Recorded is when a transfer begun before the system was recorded in
	// it (RecordEarlierTransfer); zero for a transfer begun in it.
	Recorded time.Time
	// Outside is the destination of a transfer out of the city, which has
	// no ToOrgID; nil for a transfer inside it.
	Outside *OutsideDestination
	// Receipt is the receipt slip that completed a transfer out of the
	// city; nil until then.
	Receipt *Receipt
}

// Step is one step of a transfer as it was taken: history is appended,
// never overwritten. State is the state the transfer was in after it;
// Action what it did, which for an expiry, a flag or a review changes no
// state.
type Step struct {
	State         string
	Action        string
	ActorSubject  string
	ActorRole     string
	Reason        string
	At            time.Time
	LetterNumber  string // the letter a release issued
	ReviewOutcome string // the outcome a review recorded
	// Recorded is when a step taken before the system was recorded in it;
	// At is then the start of its original day in the city.
	Recorded time.Time
	// OnBehalfOf is the member a step was taken for by someone else (the
	// member's confirmation given by the sending side); the actor is who
	// took it and Reason why. "" when the member took it themselves and on
	// the organisations' own steps.
	OnBehalfOf string
}

// The states of a transfer.
const (
	Requested = "REQUESTED"
	Confirmed = "CONFIRMED"
	Released  = "RELEASED"
	Completed = "COMPLETED"
	Rejected  = "REJECTED"
	Withdrawn = "WITHDRAWN"
	Suspended = "SUSPENDED"
)

// OpenStates are the states of a transfer still under way; a member has at
// most one transfer in them. A suspended transfer is still under way.
var OpenStates = []string{Requested, Confirmed, Released, Suspended}

// The actions of steps. The steps that move a transfer are named by the
// state they reach (a receipt by RECEIVED, which completes it); the others
// change no state.
const (
	ActionRequested = Requested
	ActionConfirmed = Confirmed
	ActionReleased  = Released
	ActionReceived  = "RECEIVED"
	ActionRejected  = Rejected
	ActionWithdrawn = Withdrawn
	ActionSuspended = Suspended
	ActionResumed   = "RESUMED"
	ActionExpired   = "EXPIRED"
	ActionFlagged   = "FLAGGED_FOR_REVIEW"
	ActionReviewed  = "REVIEWED"
)

// The outcomes of the review of a flagged transfer (自行脱党 review).
const (
	ReviewContacted     = "CONTACTED"
	ReviewNotReached    = "NOT_REACHED"
	ReviewTreatedAsLeft = "TREATED_AS_LEFT"
)

// The review filters of Filter.
const (
	ReviewFlagged = "FLAGGED"
	ReviewPending = "PENDING"
)

// ReviewOutcomes are the outcomes a review may record.
var ReviewOutcomes = []string{ReviewContacted, ReviewNotReached, ReviewTreatedAsLeft}

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
	if state == Released {
		return Receiver
	}
	return Sender
}

// HoldingSide is the side that holds a transfer in state, and so may
// suspend it and resume it: the sender until the letter is released, the
// receiver after. A suspended transfer is held by the side that held the
// state it was suspended from.
func HoldingSide(state, suspendedFrom string) Side {
	if state == Suspended {
		state = suspendedFrom
	}
	return RejectingSide(state)
}

// Etag is the version as the API shows it.
func (t *Transfer) Etag() string { return strconv.FormatInt(t.Version, 10) }

// Open reports whether the transfer is still under way.
func (t *Transfer) Open() bool { return slices.Contains(OpenStates, t.State) }

// Pocket reports whether the transfer's member is a pocket member: the
// letter was found expired and the transfer has not ended since.
func (t *Transfer) Pocket() bool {
	return !t.Expired.IsZero() && (t.State == Released || t.State == Suspended)
}

// Settings are a district's rules for letters of introduction
// (DOMAIN §5): valid InsideDays inside the city, OutsideDays outside it,
// and never more than MaxMonths; a transfer open ReviewMonths without
// completing is flagged for the 自行脱党 review.
type Settings struct {
	InsideDays   int
	OutsideDays  int
	MaxMonths    int
	ReviewMonths int

	DistrictID string
	// Inherited: the district set none and these are the defaults.
	Inherited bool
	// Version counts the times the district set them; 0 while inherited.
	Version   int64
	Updated   time.Time
	UpdatedBy string
}

// DefaultSettings apply to a district that has set none.
var DefaultSettings = Settings{InsideDays: 10, OutsideDays: 30, MaxMonths: 3, ReviewMonths: 6, Inherited: true}

// deadline is when a letter issued at t stops being valid: InsideDays for
// a letter to an organisation of the city, OutsideDays for one out of it,
// never more than MaxMonths.
func (s Settings) deadline(t time.Time, outside bool) time.Time {
	days := s.InsideDays
	if outside {
		days = s.OutsideDays
	}
	d := t.AddDate(0, 0, days)
	if limit := t.AddDate(0, s.MaxMonths, 0); d.After(limit) {
		d = limit
	}
	return d
}

// The errors of transfers.
var (
	ErrTransferNotFound  = errs.New(errs.NotFound, "transfer not found")
	ErrTransferOpen      = errs.WithReason(errs.FailedPrecondition, "TRANSFER_OPEN", "the member already has an open transfer")
	ErrTransferState     = errs.WithReason(errs.FailedPrecondition, "TRANSFER_STATE", "the transfer is not in a state that allows this step")
	ErrTransferEtag      = errs.WithReason(errs.FailedPrecondition, "ETAG_MISMATCH", "transfer was changed by someone else; read it again")
	ErrLetterExpired     = errs.WithReason(errs.FailedPrecondition, "LETTER_EXPIRED", "the letter of introduction has expired; the sending side may issue a new one or withdraw the transfer")
	ErrSameOrganisation  = errs.New(errs.InvalidArgument, "the member's relationship already sits in this organisation")
	ErrTransferSuspended = errs.WithReason(errs.FailedPrecondition, "TRANSFER_SUSPENDED", "the transfer is suspended; it takes no step until it is resumed")
	ErrNotFlagged        = errs.WithReason(errs.FailedPrecondition, "NOT_FLAGGED", "the transfer is not flagged for review")
)

// Filter selects transfers; the fields combine.
type Filter struct {
	MemberID string
	// OrganisationID lists transfers out of or into an organisation.
	OrganisationID string
	State          string
	// Pocket lists the transfers whose members are pocket members (see
	// Transfer.Pocket).
	Pocket bool
	// Review lists the transfers flagged for review: ReviewFlagged all of
	// them, ReviewPending those without an outcome. With OrganisationID,
	// only those sent from it: the review is the sending side's.
	Review string
	// WithinID keeps the list to transfers with a side in the caller's subtree.
	WithinID string
	Page     member.Page
}

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
				if id == "" { // a transfer out of the city: no organisation here receives it
					continue
				}
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

// GetTransfer returns a transfer with its steps.
func (s *Service) GetTransfer(ctx context.Context, id string) (*Transfer, error) {
	return s.store.GetTransfer(ctx, id)
}

// ListTransfers pages through transfers.
func (s *Service) ListTransfers(ctx context.Context, f Filter) ([]*Transfer, string, error) {
	f.Page = f.Page.Bounded()
	return s.store.ListTransfers(ctx, f)
}

// Sides are the two organisations of a transfer and its state, for
// deciding who may act on it.
type Sides struct {
	MemberID, From, To, State string
	// SuspendedFrom is the state a suspended transfer resumes to.
	SuspendedFrom string
}

// Org is the organisation of a transfer that acts for side. A transfer
// out of the city has no receiving organisation here: its sending side
// records what the receiving one does (its receipt, a letter returned),
// so it stands for both sides.
func (s Sides) Org(side Side) string {
	if side == Receiver && s.To != "" {
		return s.To
	}
	return s.From
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

// Acting is the side whose step action is: each step needs its own party
// (DOMAIN §2). The sender confirms (for the member who signed on paper),
// releases, withdraws and records the review of a flagged transfer; the
// receiver receives; who rejects, and who suspends and resumes, depends
// on the state (RejectingSide, HoldingSide). A receipt from outside the
// city is recorded by the sender: Org(Receiver) of a transfer out of the
// city is its sender.
func (s Sides) Acting(action string) Side {
	switch action {
	case ActionReceived:
		return Receiver
	case ActionRejected:
		return RejectingSide(s.State)
	case ActionSuspended, ActionResumed:
		return HoldingSide(s.State, s.SuspendedFrom)
	}
	return Sender
}
