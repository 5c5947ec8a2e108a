package roster

import (
	"context"
	"time"

	"gongjian.dev/services/member/internal/member"
)

// Tx is what an import needs inside its transaction.
type Tx interface {
	member.Tx
	// FormerlyHeld are those of the numbers that a member who left held.
	FormerlyHeld(ctx context.Context, nationalIDs []string) (map[string]bool, error)
	// Orgs reads the organisations of the view with these ids, those
	// that exist, locked (in id order, as one statement) when lock is set.
	Orgs(ctx context.Context, ids []string, lock bool) (map[string]*member.Org, error)
	// LiveHolders finds the live members that hold these national ID
	// numbers, by number.
	LiveHolders(ctx context.Context, nationalIDs []string) (map[string]Holder, error)
	// InsertMembers writes new members as Insert does, skipping each whose
	// number a live member holds by the time it is written (one whose
	// registration committed meanwhile), and returns the ids written.
	InsertMembers(ctx context.Context, ms []*member.Member) (map[string]bool, error)
	// EmitRegistered records the registration of each member at at, as
	// Emit(Registered{m}, at) does for one, in fewer round trips.
	EmitRegistered(ctx context.Context, ms []*member.Member, at time.Time) error
	// SaveImport keeps the report of an import, by its id.
	SaveImport(ctx context.Context, r *Report, by string) error
	// Report reads a kept report.
	ImportReport(ctx context.Context, id string) (*Report, error)
}

// Holder is the live member who holds a national ID number.
type Holder struct {
	MemberID       string
	OrganisationID string
	DistrictID     string
}

// Store is what an import needs of the store: its transaction.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
}
