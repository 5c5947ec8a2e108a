// Package mobile holds the rules of mobile members (流动党员, DOMAIN §2 and
// §5): outflow (where to, since when) and inflow (a member of the city, or
// someone from outside by name and home organisation); after six months
// away a temporary relationship with a branch near where they are and a
// numbered activity certificate; the two-way contact log (双向联系) and its
// overdue periods, each reported once by the sweep; the end of mobility
// (returned, settled elsewhere — which asks for a transfer —,
// transferred, or the end of the membership); groups that left together
// managed together (集出集管). The membership relationship never moves with
// a mobility; a member with an open record is mobile for the category
// rules.
package mobile

import (
	"context"
	"time"

	"gongjian.dev/services/member/internal/member"
)

// Service carries out the commands of mobile members.
type Service struct {
	store   Store
	clock   member.Clock
	members *member.Service
	// heardFrom is told, in the transaction of a member's own report, that
	// the member was heard from (a report counts as contact for lost
	// contact); nil tells no one.
	heardFrom func(ctx context.Context, tx Tx, memberID string) error
}

// OnReport has fn told, in the transaction of each member's report logged
// from now on, that the member was heard from.
func (s *Service) OnReport(fn func(ctx context.Context, tx Tx, memberID string) error) {
	s.heardFrom = fn
}

// NewService returns a Service over store that reclassifies members
// through the kernel's service, on its clock.
func NewService(store Store, members *member.Service) *Service {
	return &Service{store: store, clock: members.Clock(), members: members}
}

// Now is the service's clock, for callers that show time-dependent state.
func (s *Service) Now() time.Time { return s.clock.Now() }
