package member

import (
	"context"
	"time"

	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/replay"
)

// Store is what the domain needs from persistence. Reads outside a
// transaction go through Store; every write happens inside InTx, whose Tx
// also takes the events to publish, so a change and its events commit together.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	Get(ctx context.Context, id string) (*Member, error)
	List(ctx context.Context, f ListFilter) ([]*Member, string, error)
	// Scheme is the scheme a district classifies by (DefaultScheme: the
	// city's default), and whether it is the default's.
	Scheme(ctx context.Context, districtID string) (*Scheme, bool, error)
	// Composition counts the live members of an organisation or its
	// subtree per category; members in none are counted under code "".
	Composition(ctx context.Context, orgID string, subtree bool) ([]CategoryCount, error)
	// Count counts the live members a filter selects.
	Count(ctx context.Context, f ListFilter) (int64, error)
	// CountByOrganisation counts the live members directly in each
	// organisation of a subtree that has any, in tree order.
	CountByOrganisation(ctx context.Context, ancestorID string) ([]OrgCount, error)
}

// Tx is one transaction. Lock methods take row locks (SELECT … FOR UPDATE).
type Tx interface {
	// LockOrg locks an organisation of the local view: registrations and
	// transfers into one organisation queue on it, so its count is exact.
	LockOrg(ctx context.Context, id string) (*Org, error)
	Org(ctx context.Context, id string) (*Org, error)
	// LiveHolder finds the live member with this national ID number, if any.
	LiveHolder(ctx context.Context, nationalID string) (*Member, bool, error)
	Lock(ctx context.Context, id string) (*Member, error)
	Insert(ctx context.Context, m *Member) error
	// Save writes m, whose Version was already advanced by one; its
	// organisation, district and path too, which only a transfer changes.
	Save(ctx context.Context, m *Member) error
	// CountMembers counts the live members directly in an organisation.
	CountMembers(ctx context.Context, orgID string) (int64, error)

	replay.Requests

	// SchemeFor is the scheme a district classifies by, as Store.Scheme,
	// read under a shared lock that LockSchemes excludes.
	SchemeFor(ctx context.Context, districtID string) (*Scheme, bool, error)
	// LockSchemes locks every scheme against change and against being read
	// by SchemeFor, until the transaction ends.
	LockSchemes(ctx context.Context) error
	// SaveScheme writes the scheme of a district or the default.
	SaveScheme(ctx context.Context, scope string, s *Scheme) error
	// LockRuleClassified locks the live members a scheme applies to whose
	// category was not set by hand, read with just the attributes rules
	// use (no personal data) and their category.
	LockRuleClassified(ctx context.Context, scope string) ([]*Member, error)
	// SaveCategories writes the new categories of members, advancing their
	// versions.
	SaveCategories(ctx context.Context, changes []CategoryChange, at time.Time) error

	// MemberOrganisation reads, without locking, where a member's
	// relationship sits, to learn which organisation to lock first;
	// ErrNotFound when there is no such member.
	MemberOrganisation(ctx context.Context, memberID string) (string, error)
	// LeftHolder finds the member, other than self, who held this national
	// ID number and left: one who died if any, else the latest to leave.
	LeftHolder(ctx context.Context, nationalID, self string) (*Member, bool, error)

	// Emit records e, which happened at at by the domain's clock: its
	// audit record, and its message to the outbox unless it is the
	// service's own business, both in this transaction.
	Emit(ctx context.Context, e Event, at time.Time) error
}

// ListFilter selects members; the fields combine.
type ListFilter struct {
	OrganisationID string
	// AncestorID lists the members of an organisation and of its subtree.
	AncestorID string
	Status     string
	// WithinID keeps the list inside the caller's subtree.
	WithinID string
	Page     Page
	Search
	// IncludeLeft selects the members who left too.
	IncludeLeft bool
}

// Page is a page request: a size and the opaque token of the previous page.
type Page struct {
	Size  int
	Token string
}

// Bounded is the page with the size every list takes: the default for
// none, never more than the most (pkg/page).
func (p Page) Bounded() Page {
	p.Size = page.Size(p.Size)
	return p
}
