package member

import "gongjian.dev/pkg/errs"

// The errors of the member domain. Transport maps them by kind.
var (
	ErrInvalid      = errs.New(errs.InvalidArgument, "invalid member")
	ErrNotFound     = errs.New(errs.NotFound, "member not found")
	ErrDuplicateID  = errs.New(errs.AlreadyExists, "a live member already has this national ID number")
	ErrOrgNotFound  = errs.New(errs.FailedPrecondition, "organisation not found")
	ErrOrgDissolved = errs.New(errs.FailedPrecondition, "organisation is dissolved")
	ErrOrgNoMembers = errs.New(errs.FailedPrecondition, "this kind of organisation cannot hold memberships")
	ErrNotUpdatable = errs.New(errs.InvalidArgument, "field cannot be changed by an update")
	ErrEtagMismatch = errs.WithReason(errs.FailedPrecondition, "ETAG_MISMATCH", "member was changed by someone else; read it again")
)
