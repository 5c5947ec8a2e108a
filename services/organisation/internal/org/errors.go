package org

import "gongjian.dev/pkg/errs"

// The errors of the organisation domain. Transport maps them by kind.
var (
	ErrInvalid          = errs.New(errs.InvalidArgument, "invalid organisation")
	ErrNotFound         = errs.New(errs.NotFound, "organisation not found")
	ErrParentNotFound   = errs.New(errs.FailedPrecondition, "parent organisation not found")
	ErrParentDissolved  = errs.New(errs.FailedPrecondition, "parent organisation is dissolved")
	ErrKindNotAllowed   = errs.New(errs.FailedPrecondition, "this kind of organisation cannot sit under that parent")
	ErrCityExists       = errs.New(errs.FailedPrecondition, "the city committee already exists")
	ErrCycle            = errs.New(errs.FailedPrecondition, "an organisation cannot be moved under itself or its own descendant")
	ErrDissolved        = errs.New(errs.FailedPrecondition, "organisation is dissolved")
	ErrHasChildren      = errs.New(errs.FailedPrecondition, "organisation still has live child organisations")
	ErrHasMembers       = errs.New(errs.FailedPrecondition, "organisation still has members")
	ErrCodeTaken        = errs.New(errs.AlreadyExists, "another live organisation has this code")
	ErrEtagMismatch     = errs.WithReason(errs.FailedPrecondition, "ETAG_MISMATCH", "organisation was changed by someone else; read it again")
	ErrNotCommunity     = errs.New(errs.FailedPrecondition, "organisation is not a community")
	ErrActivityNotFound = errs.New(errs.NotFound, "activity not found")
	ErrPointNotFound    = errs.New(errs.NotFound, "coverage point not found")
	ErrSiteNotFound     = errs.New(errs.NotFound, "demonstration site not found")
	ErrSiteExists       = errs.New(errs.AlreadyExists, "community is already a demonstration site")
	ErrMilestoneDone    = errs.New(errs.FailedPrecondition, "milestone already completed")
	ErrLiaisonNotFound  = errs.New(errs.NotFound, "liaison not found")
	ErrLiaisonEnded     = errs.New(errs.FailedPrecondition, "liaison already ended")
	ErrNotDistrict      = errs.New(errs.FailedPrecondition, "organisation is not a district")
	ErrInvalidSettings  = errs.New(errs.InvalidArgument, "invalid district settings")
	ErrNoMemberHere     = errs.New(errs.FailedPrecondition, "members cannot sit directly in this kind of organisation")
)
