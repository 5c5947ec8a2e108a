package org

import (
	"context"
	"time"

	"gongjian.dev/pkg/replay"
)

// Store is what the domain needs from persistence. Reads outside a
// transaction go through Store; every write happens inside InTx, whose Tx
// also takes the events to publish, so a change and its events commit together.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error

	Get(ctx context.Context, id string) (*Organisation, error)
	GetAsOf(ctx context.Context, id string, at time.Time) (*Organisation, error)
	List(ctx context.Context, f ListFilter) ([]*Organisation, string, error)
	History(ctx context.Context, id string, page Page) ([]Version, string, error)
	ListActivities(ctx context.Context, f ActivityFilter) ([]*Activity, string, error)
	ListCoveragePoints(ctx context.Context, communityID string) ([]*CoveragePoint, error)
	GetSite(ctx context.Context, id string) (*Site, error)
	ListSites(ctx context.Context, ancestorID string) ([]*Site, error)
	ListLiaisons(ctx context.Context, ancestorID string, includeEnded bool) ([]*Liaison, error)
	Settings(ctx context.Context, districtID string) (*Settings, error)
	ComplianceFacts(ctx context.Context, q FactsQuery) ([]CommunityFacts, error)
	// MemberCounts are the member counts kept for the organisations of the
	// subtree of rootID that have members, and for those of also, in tree
	// order.
	MemberCounts(ctx context.Context, rootID string, also []string) ([]MemberCount, error)
}

// Tx is one transaction. Lock methods take row locks (SELECT … FOR UPDATE).
type Tx interface {
	// LockTree serialises moves against every other change of the tree's
	// shape: moves take it exclusively, creations shared.
	LockTree(ctx context.Context, exclusive bool) error
	Lock(ctx context.Context, id string) (*Organisation, error)
	CityExists(ctx context.Context) (bool, error)
	LiveChildren(ctx context.Context, id string) (int64, error)
	Insert(ctx context.Context, o *Organisation) error
	// Save writes o (whose Version was already advanced by one) and closes
	// the previous version in the history with change as the reason.
	Save(ctx context.Context, o *Organisation, change string) error
	// MoveSubtree re-roots o's subtree under newParent and returns how many
	// organisations moved with o (not counting o).
	MoveSubtree(ctx context.Context, o, newParent *Organisation) (int64, error)
	// SetMemberCount keeps count as of at, unless a later count is kept
	// already; it reports whether it did.
	SetMemberCount(ctx context.Context, id string, count int64, at time.Time) (bool, error)
	// LockUnitCoverage reads the coverage kept of a resident unit, locked;
	// found is false when none is.
	LockUnitCoverage(ctx context.Context, unitID string) (u *UnitCoverage, found bool, err error)
	SaveUnitCoverage(ctx context.Context, u *UnitCoverage) error

	replay.Requests

	// InsertActivity keeps an activity with the members it names by id.
	InsertActivity(ctx context.Context, a *Activity) error
	// MemberPlaces is what the view of the member service's events holds
	// of each of ids (an id it does not hold is absent from the map).
	MemberPlaces(ctx context.Context, ids []string) (map[string]MemberPlace, error)
	GetActivity(ctx context.Context, id string) (*Activity, error)
	InsertCoveragePoint(ctx context.Context, p *CoveragePoint) error
	LockCoveragePoint(ctx context.Context, id string) (*CoveragePoint, error)
	SaveCoveragePoint(ctx context.Context, p *CoveragePoint) error
	InsertSite(ctx context.Context, s *Site) error
	LockSite(ctx context.Context, id string) (*Site, error)
	SaveSite(ctx context.Context, s *Site) error
	InsertLiaison(ctx context.Context, l *Liaison) error
	LockLiaison(ctx context.Context, id string) (*Liaison, error)
	SaveLiaison(ctx context.Context, l *Liaison) error
	Settings(ctx context.Context, districtID string) (*Settings, error)
	SaveSettings(ctx context.Context, s *Settings) error

	// Emit records e, which happened at at by the domain's clock: its
	// message to the outbox and its audit record, in this transaction.
	Emit(ctx context.Context, e Event, at time.Time) error
}

// ListFilter selects organisations; the fields combine.
type ListFilter struct {
	ParentID         string
	AncestorID       string
	DistrictID       string
	Kind             Kind
	IncludeDissolved bool
	Page             Page
	// WithinID keeps the list inside the subtree of an organisation (itself
	// included): the caller's scope.
	WithinID string
}

// Page is a page request: a size and the opaque token of the previous page.
type Page struct {
	Size  int
	Token string
}

// Version is one version of an organisation in its history.
type Version struct {
	Number    int64
	Org       *Organisation
	ValidFrom time.Time
	ValidTo   time.Time // zero for the current version
	Change    string
}

// The changes recorded in the history.
const (
	ChangeCreated    = "created"
	ChangeUpdated    = "updated"
	ChangeMoved      = "moved"
	ChangeLeadership = "leadership_changed"
	ChangeDissolved  = "dissolved"
)
