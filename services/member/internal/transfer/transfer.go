package transfer

import (
	"context"
	"slices"
	"strconv"
	"time"

	"gongjian.dev/pkg/errs"
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
	// DuesPaidUpTo is the month the letter says the member's party dues
	// are paid up to, computed when it is released (zero: no bill yet);
	// the receiving branch bills from the month after.
	DuesPaidUpTo time.Time
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
