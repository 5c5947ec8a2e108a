package rectify

import (
	"context"
	"time"
)

// ItemQuery lists items.
type ItemQuery struct {
	OrganisationID, AncestorID, RuleCode string
	State                                State
	// OverdueOn, when set, lists only items past their deadline on that day.
	OverdueOn time.Time
	// ScopeRoot restricts the list to a subtree ("" for the city).
	ScopeRoot string
	// Inspector, when set, restricts the list to the organisations the
	// inspector's groups cover.
	Inspector string
	After     Key
	Limit     int
}

// Key is where a page ends.
type Key struct {
	Created time.Time `json:"t"`
	ID      string    `json:"i"`
}

// Store is what rectification needs of the database.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	Item(ctx context.Context, id string) (*Item, error)
	Items(ctx context.Context, q ItemQuery) ([]*Item, error)
	Steps(ctx context.Context, itemID string) ([]*Step, error)
	Within(ctx context.Context, orgID, rootID string) (bool, error)
	DistrictOf(ctx context.Context, orgID string) (string, error)
	// FindingOrganisation is the organisation of a rule's finding; "" when
	// no finding has the id.
	FindingOrganisation(ctx context.Context, findingID string) (string, error)
	// Covers says whether a group the inspector belongs to covers the
	// organisation (lies in the subtree of one it covers).
	Covers(ctx context.Context, inspector, orgID string) (bool, error)
	Round(ctx context.Context, id string) (*Round, error)
	Rounds(ctx context.Context, root string) ([]*Round, error)
	Group(ctx context.Context, id string) (*Group, error)
	// Groups and InspectionFindings list a round's, those of within's
	// subtree alone when within is set (a group of it when it covers some
	// organisation there).
	Groups(ctx context.Context, roundID, within string) ([]*Group, error)
	InspectionFindings(ctx context.Context, roundID, within string) ([]*InspectionFinding, error)
	Interview(ctx context.Context, id string) (*Interview, error)
	Interviews(ctx context.Context, q InterviewQuery) ([]*Interview, error)
	// Overdue lists items past their deadline on today, not closed and
	// not escalated yet.
	Overdue(ctx context.Context, today time.Time, limit int) ([]string, error)
}

// Tx is what rectification writes in one transaction; each write also
// writes its event and audit record.
type Tx interface {
	RequestSeen(ctx context.Context, key string) (string, bool, error)
	RememberRequest(ctx context.Context, key, id string) error
	LockItem(ctx context.Context, id string) (*Item, error)
	InsertItem(ctx context.Context, i *Item, s *Step) error
	SaveItem(ctx context.Context, i *Item, s *Step) error
	// ItemsToRemedy locks the open items that need their fact remedied, of
	// the given organisations, opened before at.
	ItemsToRemedy(ctx context.Context, orgIDs []string, at time.Time) ([]*Item, error)
	InsertRound(ctx context.Context, r *Round) error
	InsertGroup(ctx context.Context, g *Group) error
	LockGroup(ctx context.Context, id string) (*Group, error)
	SaveGroup(ctx context.Context, g *Group) error
	InsertInspectionFinding(ctx context.Context, f *InspectionFinding) error
	InsertInterview(ctx context.Context, iv *Interview) error
	LockInterview(ctx context.Context, id string) (*Interview, error)
	SaveInterview(ctx context.Context, iv *Interview, change string) error
}
