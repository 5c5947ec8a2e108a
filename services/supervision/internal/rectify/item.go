// Package rectify holds the rules of rectification (整改), inspection and
// accountability (DOMAIN §4): items with an owner, a deadline and the
// evidence required, answered by the owner and accepted or returned by an
// inspector, escalated once when overdue, re-checked and reopened by a
// later round (回头看), every step kept; inspection rounds with their
// roving groups, the inspectors and the organisations each group covers;
// interviews (约谈) with their deadline to fix and follow-up. It holds the
// Store it needs; no database, transport or generated code.
package rectify

import (
	"time"

	"gongjian.dev/pkg/errs"
)

// The errors of rectification.
var (
	ErrNotFound     = errs.New(errs.NotFound, "not found")
	ErrInvalid      = errs.New(errs.InvalidArgument, "invalid request")
	ErrVersion      = errs.WithReason(errs.Aborted, "ETAG_MISMATCH", "the item changed since it was read")
	ErrState        = errs.WithReason(errs.FailedPrecondition, "ITEM_STATE", "the item is not in a state that allows this")
	ErrNoEvidence   = errs.WithReason(errs.FailedPrecondition, "NO_EVIDENCE", "the item has no evidence submitted")
	ErrNotRemedied  = errs.WithReason(errs.FailedPrecondition, "NOT_REMEDIED", "the fact the item is about is not remedied yet")
	ErrNotCovered   = errs.WithReason(errs.FailedPrecondition, "NOT_COVERED", "the organisation is not covered by the inspection group")
	ErrNotInspector = errs.WithReason(errs.PermissionDenied, "NOT_IN_GROUP", "the caller is not an inspector of the group")
)

// Source is where an item comes from.
type Source string

// The sources of items.
const (
	FromRule       Source = "RULE"
	FromInspection Source = "INSPECTION"
	ByHand         Source = "MANUAL"
)

// State is where an item stands.
type State string

// The states of an item.
const (
	Open      State = "OPEN"
	Submitted State = "SUBMITTED"
	Closed    State = "CLOSED"
)

// StepKind is what a step of an item did.
type StepKind string

// The steps of an item.
const (
	Opened            StepKind = "OPENED"
	EvidenceSubmitted StepKind = "EVIDENCE_SUBMITTED"
	Accepted          StepKind = "ACCEPTED"
	Returned          StepKind = "RETURNED"
	Reopened          StepKind = "REOPENED"
	Escalated         StepKind = "ESCALATED"
	Remedied          StepKind = "REMEDIED"
)

// Item is a rectification item.
type Item struct {
	ID                  string
	OrganisationID      string
	DistrictID          string
	Source              Source
	FindingID           string
	RuleCode            string
	InspectionFindingID string
	Title               string
	RequiredEvidence    string
	Deadline            time.Time
	State               State
	NeedsRemedy         bool
	Remedied            time.Time
	Escalated           time.Time
	Version             int32
	Created, Updated    time.Time
}

// Overdue says whether the item is past its deadline on today and not closed.
func (i *Item) Overdue(today time.Time) bool { return i.State != Closed && today.After(i.Deadline) }

// Evidence is one piece of what the owner shows.
type Evidence struct {
	Description string `json:"description"`
	Reference   string `json:"reference,omitempty"`
	ActivityID  string `json:"activity_id,omitempty"`
}

// Step is one step of an item's history.
type Step struct {
	ItemID    string
	Seq       int32
	Kind      StepKind
	Actor     string
	ActorRole string
	Note      string
	Evidence  []Evidence
	At        time.Time
}

// ItemChanged reports a step of an item.
type ItemChanged struct {
	Item *Item
	Step *Step
}
