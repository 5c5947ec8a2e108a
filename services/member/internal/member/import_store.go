package member

import "context"

// ImportStore is what searches and imports need outside a transaction.
type ImportStore interface {
	// Count counts the live members a filter selects.
	Count(ctx context.Context, f ListFilter) (int64, error)
	// CountByOrganisation counts the live members directly in each
	// organisation of a subtree that has any, in tree order.
	CountByOrganisation(ctx context.Context, ancestorID string) ([]OrgCount, error)
}

// ImportTx is what an import needs inside its transaction.
type ImportTx interface {
	// Orgs reads the organisations of the view with these ids, those
	// that exist, locked (in id order, as one statement) when lock is set.
	Orgs(ctx context.Context, ids []string, lock bool) (map[string]*Org, error)
	// LiveHolders finds the live members that hold these national ID
	// numbers, by number.
	LiveHolders(ctx context.Context, nationalIDs []string) (map[string]Holder, error)
	// InsertMembers writes new members as Insert does, skipping each whose
	// number a live member holds by the time it is written (one whose
	// registration committed meanwhile), and returns the ids written.
	InsertMembers(ctx context.Context, ms []*Member) (map[string]bool, error)
	// EmitRegistered publishes the registration of each member with its
	// audit record, as Emit(Registered{m}) does for one.
	EmitRegistered(ctx context.Context, ms []*Member) error
	// SaveImport keeps the report of an import, by its id.
	SaveImport(ctx context.Context, r *ImportReport, by string) error
	// ImportReport reads a kept report.
	ImportReport(ctx context.Context, id string) (*ImportReport, error)
}

// Holder is the live member who holds a national ID number.
type Holder struct {
	MemberID       string
	OrganisationID string
	DistrictID     string
}
