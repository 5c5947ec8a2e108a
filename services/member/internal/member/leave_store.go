package member

import "context"

// LeaveTx is what the end of a membership and the registration of a
// number needs inside a transaction.
type LeaveTx interface {
	// MemberOrganisation reads, without locking, where a member's
	// relationship sits, to learn which organisation to lock first;
	// ErrNotFound when there is no such member.
	MemberOrganisation(ctx context.Context, memberID string) (string, error)
	// LeftHolder finds the member, other than self, who held this national
	// ID number and left: one who died if any, else the latest to leave.
	LeftHolder(ctx context.Context, nationalID, self string) (*Member, bool, error)
	// FormerlyHeld are those of the numbers that a member who left held.
	FormerlyHeld(ctx context.Context, nationalIDs []string) (map[string]bool, error)
}
