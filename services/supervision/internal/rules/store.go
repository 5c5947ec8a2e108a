package rules

import (
	"context"
	"time"
)

// FactQuery asks for the rows of a fact: the subjects of some districts
// (one, or every district where a rule runs alike) as they stand, or one
// subject.
type FactQuery struct {
	Fact        string
	DistrictIDs []string
	// SubjectID, when set, asks for that subject alone (an event's).
	SubjectID string
	Params    map[string]any
	Today     time.Time
	// Quarter is the quarter judged, for QuarterEnd facts.
	Quarter Quarter
	// WindowCount is the rule's months or years.
	WindowCount int32
	// NewFor, a rule's id, leaves out the subjects and periods that rule
	// has a finding of already (an anti-join on the findings' unique key).
	NewFor string
	// AtLeast are lower bounds of variables the condition holds only
	// above: the query may leave out the rows below them (Bounds).
	AtLeast map[string]int64
}

// FactRow is one subject's facts.
type FactRow struct {
	SubjectID      string
	OrganisationID string
	DistrictID     string
	Period         string
	Vars           map[string]any
}

// District is a district of the city.
type District struct{ ID, Name string }

// FindingQuery lists findings.
type FindingQuery struct {
	OrganisationID, AncestorID, RuleID string
	// ScopeRoot restricts the list to a subtree ("" for the city).
	ScopeRoot string
	// Inspector, when set, restricts the list to the organisations the
	// inspector's groups cover.
	Inspector string
	After     FindingKey
	Limit     int
}

// FindingKey is where a page of findings ends.
type FindingKey struct {
	Created time.Time `json:"t"`
	ID      string    `json:"i"`
}

// Store is what the rule engine needs of the database.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	Rule(ctx context.Context, id string, version int32) (*Rule, error)
	Rules(ctx context.Context) ([]*Rule, error)
	RuleVersions(ctx context.Context, id string) ([]*Rule, error)
	Overrides(ctx context.Context, ruleID string) ([]*Override, error)
	Districts(ctx context.Context) ([]District, error)
	// DistrictOf is the district an organisation lies in ("" if none).
	DistrictOf(ctx context.Context, orgID string) (string, error)
	Within(ctx context.Context, orgID, rootID string) (bool, error)
	Covers(ctx context.Context, inspector, orgID string) (bool, error)
	FactRows(ctx context.Context, q FactQuery) ([]FactRow, error)
	// Found says which of the subject-period keys have a finding of the rule.
	Found(ctx context.Context, ruleID string, keys []SubjectPeriod) (map[SubjectPeriod]bool, error)
	Findings(ctx context.Context, q FindingQuery) ([]*Finding, error)
	Finding(ctx context.Context, id string) (*Finding, error)
	// RefreshFindingStats brings the planner's statistics of the findings
	// up to date, after a sweep made many: the next rule's anti-join on
	// them is planned for the table as it is, not as it was.
	RefreshFindingStats(ctx context.Context) error
}

// SubjectPeriod keys a finding of a rule.
type SubjectPeriod struct{ Subject, Period string }

// FactReader reads the rows of a fact: the pool, or a transaction that
// has just written a projection.
type FactReader interface {
	FactRows(ctx context.Context, q FactQuery) ([]FactRow, error)
}

// Tx is what the rule engine writes in one transaction.
type Tx interface {
	FactReader
	RequestSeen(ctx context.Context, key string) (string, bool, error)
	RememberRequest(ctx context.Context, key, id string) error
	InsertRule(ctx context.Context, r *Rule) error
	LockRule(ctx context.Context, id string) (*Rule, error)
	InsertRuleVersion(ctx context.Context, r *Rule) error
	CurrentOverride(ctx context.Context, ruleID, districtID string) (*Override, error)
	InsertOverride(ctx context.Context, o *Override) error
	// TryLock takes a transaction-level advisory lock on key, false when
	// another transaction holds it: sweeps on many replicas skip what
	// another is doing.
	TryLock(ctx context.Context, key string) (bool, error)
	// ForSweep gives the transaction what a city-wide query needs (the
	// memory of its hash joins).
	ForSweep(ctx context.Context) error
	// InsertFindings inserts those of fs not found before (by rule,
	// subject and period) and returns them.
	InsertFindings(ctx context.Context, fs []*Finding) ([]*Finding, error)
	// FollowUp writes what follows new findings: items, interviews, calls
	// to make, and the events of it all.
	FollowUp(ctx context.Context, f []FollowUp) error
	Emit(ctx context.Context, evs ...Event) error
}
