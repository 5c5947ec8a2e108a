// Package errs gives domain packages a small vocabulary of error kinds, so that
// a domain can declare its sentinel errors once and the transport edge can map
// every one of them to a gRPC status without a per-service switch.
//
// A domain declares:
//
//	var ErrNotFound = errs.New(errs.NotFound, "organisation not found")
//
// and returns ErrNotFound, or a wrapped form with field details:
//
//	return errs.Field(ErrBadParent, "organisation.parent_id", "a branch cannot sit under a party group")
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error the way a client needs to react to it.
type Kind int

// The kinds map one to one onto gRPC codes (see grpcserver.Status).
const (
	Internal Kind = iota
	InvalidArgument
	NotFound
	AlreadyExists
	FailedPrecondition
	Aborted
	PermissionDenied
	Unauthenticated
	Unavailable
)

// Violation names one field and what is wrong with it.
type Violation struct {
	Field       string
	Description string
}

// Error is a classified error. Message is safe to show to a client.
type Error struct {
	Kind       Kind
	Reason     string // machine-readable reason, e.g. "ETAG_MISMATCH"; optional
	Message    string
	Violations []Violation
	sentinel   *Error
}

// New declares a sentinel error of a kind.
func New(kind Kind, message string) *Error {
	return &Error{Kind: kind, Message: message}
}

// WithReason declares a sentinel with a machine-readable reason.
func WithReason(kind Kind, reason, message string) *Error {
	return &Error{Kind: kind, Reason: reason, Message: message}
}

func (e *Error) Error() string {
	if len(e.Violations) == 0 {
		return e.Message
	}
	s := e.Message
	for _, v := range e.Violations {
		s += fmt.Sprintf("; %s: %s", v.Field, v.Description)
	}
	return s
}

// Is makes a derived error match its sentinel with errors.Is.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return e == t || (e.sentinel != nil && e.sentinel == t)
}

// Field returns sentinel with one field violation attached.
func Field(sentinel *Error, field, description string) *Error {
	return Fields(sentinel, Violation{Field: field, Description: description})
}

// Fields returns sentinel with field violations attached.
func Fields(sentinel *Error, vs ...Violation) *Error {
	return &Error{
		Kind:       sentinel.Kind,
		Reason:     sentinel.Reason,
		Message:    sentinel.Message,
		Violations: append([]Violation(nil), vs...),
		sentinel:   root(sentinel),
	}
}

// Detail returns sentinel with a more specific message for the client.
func Detail(sentinel *Error, format string, args ...any) *Error {
	return &Error{
		Kind:       sentinel.Kind,
		Reason:     sentinel.Reason,
		Message:    sentinel.Message + ": " + fmt.Sprintf(format, args...),
		Violations: sentinel.Violations,
		sentinel:   root(sentinel),
	}
}

func root(e *Error) *Error {
	if e.sentinel != nil {
		return e.sentinel
	}
	return e
}

// As finds the classified error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Validation collects field violations and returns them as one error.
type Validation struct {
	sentinel   *Error
	violations []Violation
}

// NewValidation starts a collection that ends as sentinel with fields.
func NewValidation(sentinel *Error) *Validation {
	return &Validation{sentinel: sentinel}
}

// Add records a violation.
func (v *Validation) Add(field, format string, args ...any) {
	v.violations = append(v.violations, Violation{Field: field, Description: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing was added.
func (v *Validation) Err() error {
	if len(v.violations) == 0 {
		return nil
	}
	return Fields(v.sentinel, v.violations...)
}
