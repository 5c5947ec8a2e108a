package dues

import (
	"context"
	"time"

	"gongjian.dev/services/member/internal/member"
)

// LedgerTx is what the ledger needs inside a transaction.
type LedgerTx interface {
	InsertDeclaration(ctx context.Context, d *Declaration) error
	Declaration(ctx context.Context, id string) (*Declaration, error)
	InsertExemption(ctx context.Context, e *Exemption) error
	Exemption(ctx context.Context, id string) (*Exemption, error)
	// BillCandidates are the members orgID (or, with subtree, any
	// organisation under it) bills for month who have no bill for it yet
	// (see the README's rule of transfers), each with the organisation
	// billing and the declaration and exemption in force that month; loc is
	// the city's time zone, which decides the month a transfer completed in.
	// It first takes the month's lock, held to the end of the transaction:
	// the generations of one month follow one another, so none bills a
	// member another has billed.
	BillCandidates(ctx context.Context, orgID string, subtree bool, month time.Time, loc *time.Location) ([]Candidate, error)
	// InsertBills writes the batch's bills (the candidates of
	// BillCandidates, in the same transaction) and names each (its ID).
	InsertBills(ctx context.Context, b *Batch) error
	// LockBills locks the bills of ids that exist, by id.
	LockBills(ctx context.Context, ids []string) (map[string]*Bill, error)
	// LockEntry locks a payment entry; Reversed says whether an entry
	// reverses it.
	LockEntry(ctx context.Context, id string) (*Entry, error)
	Reversed(ctx context.Context, id string) (bool, error)
	// InsertEntries appends entries and adds their amounts to their bills'
	// paid_fen.
	InsertEntries(ctx context.Context, es []Entry) error
	// Receipt is the entries one call recorded.
	Receipt(ctx context.Context, receiptID string) ([]Entry, error)
	// PaidUpTo is the month a member's dues are paid up to: the month
	// before their earliest bill that owes, else their latest bill's;
	// zero when they have none.
	PaidUpTo(ctx context.Context, memberID string) (time.Time, error)
}

// BillFilter selects the bill lines of a branch's monthly ledger.
type BillFilter struct {
	OrganisationID string
	Month          time.Time
	Page           member.Page
}

// ArrearsFilter selects the members who owe: of one branch, or of the
// subtree under it.
type ArrearsFilter struct {
	OrganisationID string
	Subtree        bool
	Page           member.Page
}

// LedgerStore is what the ledger reads outside a transaction.
type LedgerStore interface {
	Get(ctx context.Context, id string) (*member.Member, error)
	ListBills(ctx context.Context, f BillFilter) ([]Bill, string, error)
	ListArrears(ctx context.Context, f ArrearsFilter) ([]Arrears, string, error)
	// Statement fills s (Member and Year set) with the member's bills,
	// entries, declarations and exemptions of the year, the declaration in
	// force when it began, PaidUpTo and LastPaidOn.
	Statement(ctx context.Context, s *Statement) error
}
