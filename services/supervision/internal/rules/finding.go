package rules

import (
	"time"

	"github.com/google/uuid"

	"gongjian.dev/pkg/errs"
)

// ErrFindingNotFound is returned for a finding that does not exist or lies
// outside the caller's scope.
var ErrFindingNotFound = errs.New(errs.NotFound, "not found")

// Finding is what a rule found, once per rule, subject and period, with
// the rule version, the parameters in force and the facts that made it fire.
type Finding struct {
	ID             string
	RuleID         string
	RuleCode       string
	RuleVersion    int32
	DistrictID     string
	OrganisationID string
	SubjectType    string
	SubjectID      string
	Period         string
	Facts          map[string]any
	Params         map[string]any
	Severity       Severity
	Explanation    string
	Created        time.Time
}

// FollowUp is what follows one new finding, written in its transaction.
type FollowUp struct {
	Finding *Finding
	Rule    *Rule
	// Items to open for the finding's organisation.
	Items []ItemOrder
	// Interviews to schedule.
	Interviews []InterviewOrder
	// WithdrawStar asks the member service to withdraw the member's star
	// rating (the finding's subject), by a call made after the commit.
	WithdrawStar bool
	// Criticise publishes a public criticism of the subject.
	Criticise bool
	// QuarterMissed publishes QuarterlyActivityMissed.
	QuarterMissed bool
	// BarCommendation bars the organisation from commendation in the
	// finding's year.
	BarCommendation bool
}

// ItemOrder opens a rectification item.
type ItemOrder struct {
	OrganisationID   string
	Deadline         time.Time
	RequiredEvidence string
	// NeedsRemedy: the item closes only once the fact is remedied (a
	// concentrated activity held late).
	NeedsRemedy bool
}

// InterviewOrder schedules an interview of an organisation's leader.
type InterviewOrder struct {
	OrganisationID string
	DueBy          time.Time
}

// Event is something the rule engine publishes.
type Event interface{ isEvent() }

// RuleChanged reports a rule created or changed.
type RuleChanged struct{ Rule *Rule }

// OverrideSet reports a district's override set.
type OverrideSet struct{ Override *Override }

func (RuleChanged) isEvent() {}
func (OverrideSet) isEvent() {}

// NewID is a new time-ordered id.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
