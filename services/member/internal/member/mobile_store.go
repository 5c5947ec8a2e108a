package member

import (
	"context"
	"time"
)

// MobileTx is what the mobile commands need inside a transaction.
type MobileTx interface {
	// OpenMobile finds the member's open mobile record, if any.
	OpenMobile(ctx context.Context, memberID string) (*MobileRecord, bool, error)
	// PeekMobile reads a record without locking it, to learn what to lock
	// first; LockMobile locks it and reads its steps.
	PeekMobile(ctx context.Context, id string) (*MobileRecord, error)
	LockMobile(ctx context.Context, id string) (*MobileRecord, error)
	// InsertMobile writes a new record with its first step; SaveMobile
	// writes r, whose Version was advanced by one, and appends step unless
	// it is nil.
	InsertMobile(ctx context.Context, r *MobileRecord, step MobileStep) error
	SaveMobile(ctx context.Context, r *MobileRecord, step *MobileStep) error
	// SetMemberMobile records whether a member of this city is mobile.
	SetMemberMobile(ctx context.Context, memberID string, mobile bool) error
	// MobileSettings are a district's rules for mobile members, or the defaults.
	MobileSettings(ctx context.Context, districtID string) (MobileSettings, error)
	// NextCertificateNumber draws the next activity certificate number of the city.
	NextCertificateNumber(ctx context.Context) (int64, error)
	// InsertContact appends an entry to a record's contact log.
	InsertContact(ctx context.Context, e *ContactEntry) error
	// ContactsOfBatch reads the entries one call logged.
	ContactsOfBatch(ctx context.Context, batchID string) ([]*ContactEntry, error)
	// InsertMobileGroup writes a new group; LockMobileGroup locks one;
	// SaveMobileGroup writes g, whose Version was advanced by one.
	InsertMobileGroup(ctx context.Context, g *MobileGroup) error
	LockMobileGroup(ctx context.Context, id string) (*MobileGroup, error)
	SaveMobileGroup(ctx context.Context, g *MobileGroup) error
	// LockGroupRecords locks the records of a group, in id order.
	LockGroupRecords(ctx context.Context, groupID string) ([]*MobileRecord, error)
	// LockOverdue locks up to limit open records whose next overdue period
	// has begun at now, skipping those another transaction holds.
	LockOverdue(ctx context.Context, now time.Time, limit int) ([]*MobileRecord, error)
	// MarkOverdue records that periods overdue periods of a record were
	// reported and when the next begins.
	MarkOverdue(ctx context.Context, r *MobileRecord) error
}

// MobileStore is what the mobile reads need outside a transaction.
type MobileStore interface {
	GetMobile(ctx context.Context, id string) (*MobileRecord, error)
	ListMobile(ctx context.Context, f MobileFilter) ([]*MobileRecord, string, error)
	ListContacts(ctx context.Context, recordID string, p Page) ([]*ContactEntry, string, error)
	// GetMobileGroup returns a group with its records, without their steps.
	GetMobileGroup(ctx context.Context, id string) (*MobileGroup, []*MobileRecord, error)
}
