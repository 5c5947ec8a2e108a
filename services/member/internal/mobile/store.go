package mobile

import (
	"context"
	"time"

	"gongjian.dev/services/member/internal/member"
)

// EndTx is what ending a member's mobility needs when their membership
// ends (packages leaving and transfer).
type EndTx interface {
	member.Tx
	// OpenMobile finds the member's open mobile record, if any.
	OpenMobile(ctx context.Context, memberID string) (*Record, bool, error)
	// LockMobile locks a record and reads its steps.
	LockMobile(ctx context.Context, id string) (*Record, error)
	// SaveMobile writes r, whose Version was advanced by one, and appends
	// step unless it is nil.
	SaveMobile(ctx context.Context, r *Record, step *Step) error
	// SetMemberMobile records whether a member of this city is mobile.
	SetMemberMobile(ctx context.Context, memberID string, mobile bool) error
}

// Tx is what the mobile commands and the overdue sweep need inside a
// transaction.
type Tx interface {
	EndTx
	// PeekMobile reads a record without locking it, to learn what to lock
	// first.
	PeekMobile(ctx context.Context, id string) (*Record, error)
	// InsertMobile writes a new record with its first step.
	InsertMobile(ctx context.Context, r *Record, step Step) error
	// MobileSettings are a district's rules for mobile members, or the defaults.
	MobileSettings(ctx context.Context, districtID string) (Settings, error)
	// NextCertificateNumber draws the next activity certificate number of the city.
	NextCertificateNumber(ctx context.Context) (int64, error)
	// InsertContact appends an entry to a record's contact log.
	InsertContact(ctx context.Context, e *ContactEntry) error
	// ContactsOfBatch reads the entries one call logged.
	ContactsOfBatch(ctx context.Context, batchID string) ([]*ContactEntry, error)
	// InsertMobileGroup writes a new group; LockMobileGroup locks one;
	// SaveMobileGroup writes g, whose Version was advanced by one.
	InsertMobileGroup(ctx context.Context, g *Group) error
	LockMobileGroup(ctx context.Context, id string) (*Group, error)
	SaveMobileGroup(ctx context.Context, g *Group) error
	// LockGroupRecords locks the records of a group, in id order.
	LockGroupRecords(ctx context.Context, groupID string) ([]*Record, error)
	// LockOverdue locks up to limit open records whose next overdue period
	// has begun at now, skipping those another transaction holds.
	LockOverdue(ctx context.Context, now time.Time, limit int) ([]*Record, error)
	// MarkOverdue records that periods overdue periods of a record were
	// reported and when the next begins.
	MarkOverdue(ctx context.Context, r *Record) error
}

// Store is what mobile members need of the store: their transactions,
// and the reads outside one.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	GetMobile(ctx context.Context, id string) (*Record, error)
	ListMobile(ctx context.Context, f Filter) ([]*Record, string, error)
	ListContacts(ctx context.Context, recordID string, p member.Page) ([]*ContactEntry, string, error)
	// GetMobileGroup returns a group with its records, without their steps.
	GetMobileGroup(ctx context.Context, id string) (*Group, []*Record, error)
}
