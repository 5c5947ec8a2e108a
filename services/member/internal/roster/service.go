// Package roster holds the import of members from roster files (DOMAIN
// §2: communities keep their members in spreadsheets; the city imports
// thousands at a time): CSV in UTF-8 or GBK and .xlsx, headings as rosters
// write them, every row checked as a registration checks a member (the
// national ID number, membership dates, the number held elsewhere, a dead
// holder's number, a number twice in the file), the good rows registered
// in one transaction exactly as CreateMember registers one, and a report
// of every row that names problems, never a number or a name.
package roster

import (
	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/member/internal/member"
)

// ErrFileTooLarge has a reason so that the gateway answers it 413, as it
// answers a body over its own limit.
var ErrFileTooLarge = errs.WithReason(errs.InvalidArgument, "TOO_LARGE", "the file is larger than one import takes")

// Service imports rosters.
type Service struct {
	store   Store
	clock   member.Clock
	members *member.Service
}

// NewService returns a Service over store that registers members as the
// kernel's service does, on its clock.
func NewService(store Store, members *member.Service) *Service {
	return &Service{store: store, clock: members.Clock(), members: members}
}
