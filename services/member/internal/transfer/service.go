// Package transfer holds the rules of transfers of the membership
// relationship (组织关系转接, DOMAIN §2 and §5): the member, the sending
// and the receiving side, each step taken by its own party and kept with
// who, when and why; at most one open transfer per member; letters valid
// the sending district's days (10 inside the city, 30 outside, three
// months at most) and the pocket members (口袋党员) of letters that expired;
// transfers open six months flagged for the 自行脱党 review, never acted on
// by the software; transfers begun on paper recorded with their dates;
// transfers out of the city completed by the receipt slip, which ends the
// membership here without deleting the member; bulk transfers of a whole
// organisation, one member at a time; and name-only members (挂名党员).
package transfer

import (
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/mobile"
)

// Service carries out the commands of transfers.
type Service struct {
	store   Store
	clock   member.Clock
	members *member.Service
	mobile  *mobile.Service
}

// NewService returns a Service over store that changes members through
// the kernel's service (a completed transfer) and ends their mobility
// through mobile's (a receipt from outside the city), on their clock.
func NewService(store Store, members *member.Service, mobile *mobile.Service) *Service {
	return &Service{store: store, clock: members.Clock(), members: members, mobile: mobile}
}
