// Package cobuild is the vocabulary every part of the co-building domain
// shares (DOMAIN §3): the six areas of joint work, contacts, calendar days
// and months, where an organisation sits in the tree, a district's
// settings, and what a transaction of any part offers (its events, its
// request ids). Each part — units, agreements, reports, meetings, activities —
// is a package of its own that builds on this one.
package cobuild

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"gongjian.dev/pkg/errs"
)

// NewID is a new identifier: a time-ordered UUID.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// ValidID reports whether s is a UUID.
func ValidID(s string) bool { return uuid.Validate(s) == nil }

// ErrInvalid is bad input, with the fields named.
var ErrInvalid = errs.New(errs.InvalidArgument, "invalid request")

// Area is one of the six areas of joint work (六共, document 002). The
// values are the API enum's names without the prefix.
type Area string

// The six areas.
const (
	OrganisationBuilding Area = "ORGANISATION_BUILDING"
	Civility             Area = "CIVILITY"
	CommunityService     Area = "COMMUNITY_SERVICE"
	PublicSecurity       Area = "PUBLIC_SECURITY"
	SharedResources      Area = "SHARED_RESOURCES"
	Environment          Area = "ENVIRONMENT"
)

// Areas are the six areas in the documents' order.
var Areas = []Area{OrganisationBuilding, Civility, CommunityService, PublicSecurity, SharedResources, Environment}

// Valid reports whether a is one of the six.
func (a Area) Valid() bool {
	for _, x := range Areas {
		if a == x {
			return true
		}
	}
	return false
}

// Contact is a person to reach on one side of the work.
type Contact struct {
	Name, Role, Phone string
}

// Event is a change of the domain, written to the outbox in the
// transaction that makes it. Each part declares its own.
type Event interface {
	// EventName names the event as its subject does ("unit_report_missed").
	EventName() string
}

// Tx is what a transaction of every part offers.
type Tx interface {
	// Emit writes e to the outbox and, for a change a caller made, its
	// audit record, in this transaction.
	Emit(ctx context.Context, e Event) error
	// RequestSeen returns what a request id created before, if anything.
	RequestSeen(ctx context.Context, requestID string) (string, bool, error)
	// RememberRequest records what a request id created.
	RememberRequest(ctx context.Context, requestID, resourceID string) error
}

// Clock is the domain's time: now, and the city's zone, which decides what
// day and month it is.
type Clock struct {
	Now func() time.Time
	Loc *time.Location
}

// Today is the city's date now, as midnight UTC of that day.
func (c Clock) Today() time.Time {
	return DayOf(c.Now(), c.Loc)
}

// DayOf is the city's date of the instant t, as midnight UTC of that day.
func DayOf(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Once creates, in tx, what requestID has not created before by command,
// and remembers it; a request id seen before returns what it created
// (found by find), so that a retried call changes nothing. The id is
// scoped by command ("create_venue/<id>"), so one id reused for two
// commands cannot return the wrong resource. create returns the new thing
// and its id.
func Once[T any](ctx context.Context, tx Tx, command, requestID string, find func(id string) (T, error), create func() (T, string, error)) (T, error) {
	var zero T
	if requestID != "" {
		requestID = command + "/" + requestID
	}
	if id, ok, err := tx.RequestSeen(ctx, requestID); err != nil || ok {
		if err != nil {
			return zero, err
		}
		return find(id)
	}
	v, id, err := create()
	if err != nil {
		return zero, err
	}
	return v, tx.RememberRequest(ctx, requestID, id)
}

// ErrNotUpdatable is an update naming a field that updates do not change.
var ErrNotUpdatable = errs.New(errs.InvalidArgument, "field cannot be changed by an update")

// CheckMask refuses an update mask naming a field outside updatable.
func CheckMask(mask, updatable []string) error {
	for _, f := range mask {
		if !slices.Contains(updatable, f) {
			return errs.Field(ErrNotUpdatable, "update_mask", "cannot update "+f+"; fields: "+strings.Join(updatable, ", "))
		}
	}
	return nil
}
