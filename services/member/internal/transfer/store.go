package transfer

import (
	"context"
	"time"

	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/mobile"
	"gongjian.dev/services/member/internal/reporting"
)

// WithdrawTx is what withdrawing a member's open transfer needs, when the
// membership ends (package leaving): the steps of a transfer.
type WithdrawTx interface {
	member.Tx
	// OpenTransfer finds the member's open transfer, if any.
	OpenTransfer(ctx context.Context, memberID string) (*Transfer, bool, error)
	// LockTransfer locks a transfer and reads its steps.
	LockTransfer(ctx context.Context, id string) (*Transfer, error)
	// SaveTransfer writes t, whose Version was advanced by one, and
	// appends step.
	SaveTransfer(ctx context.Context, t *Transfer, step Step) error
}

// Tx is what the commands of transfers, their sweeper and the bulk
// transfer jobs need inside a transaction.
type Tx interface {
	WithdrawTx
	mobile.EndTx
	reporting.EndTx
	// PeekTransfer reads a transfer without locking it, to learn what to
	// lock first.
	PeekTransfer(ctx context.Context, id string) (*Transfer, error)
	// LockForStep takes the locks of a step at once, in the order every
	// writer takes them: the organisations of orgIDs in their order, the
	// member, then the transfer, whose steps it reads.
	LockForStep(ctx context.Context, orgIDs []string, memberID, transferID string) (*Transfer, error)
	// InsertTransfer writes a new transfer with its first step.
	InsertTransfer(ctx context.Context, t *Transfer, step Step) error
	// TransferSettings are a district's letter rules, or the defaults.
	TransferSettings(ctx context.Context, districtID string) (Settings, error)
	// SaveTransferSettings writes a district's settings, whose Version was
	// advanced by one; ErrSettingsEtag when another writer moved
	// them since they were read.
	SaveTransferSettings(ctx context.Context, s Settings) error
	// NextLetterNumber draws the next letter number of the city.
	NextLetterNumber(ctx context.Context) (int64, error)
	// DuesPaidUpTo is the month a member's party dues are paid up to
	// (zero when they have no bill), which a letter carries.
	DuesPaidUpTo(ctx context.Context, memberID string) (time.Time, error)

	// LockLettersToExpire locks, skipping rows another transaction holds,
	// at most limit released transfers not yet marked expired whose letter's
	// deadline is before now, and returns their ids.
	LockLettersToExpire(ctx context.Context, now time.Time, limit int) ([]string, error)
	// LockTransfersToFlag does the same for open transfers not yet flagged
	// that were requested longer ago than their sending district's review
	// period.
	LockTransfersToFlag(ctx context.Context, now time.Time, limit int) ([]string, error)
	// InsertTransferSteps writes a new transfer as it stands after steps,
	// with every one of them.
	InsertTransferSteps(ctx context.Context, t *Transfer, steps []Step) error

	// BulkCandidates lists the members a new job takes: ids when given (in
	// their order, whether or not they are members of the organisation),
	// else the live members of the organisation (or its subtree), in tree
	// order; at most limit+1 of them.
	BulkCandidates(ctx context.Context, orgID string, subtree bool, ids []string, limit int) ([]string, error)
	// InsertBulkJob writes a new job, a pending row for each of its
	// members and the job's audit record.
	InsertBulkJob(ctx context.Context, j *BulkJob, members []BulkOutcome) error
	// BulkJob reads a job.
	BulkJob(ctx context.Context, id string) (*BulkJob, error)
	// LockBulkMember locks the row of the member at position in a job.
	LockBulkMember(ctx context.Context, jobID string, position int) (*BulkOutcome, error)
	// SaveBulkOutcome writes the outcome of a pending row, and finishes
	// the job when it was the last; a skip gets an audit record of its own
	// (a transfer has those of its steps).
	SaveBulkOutcome(ctx context.Context, o *BulkOutcome) error
}

// Store is what transfers need of the store: their transactions, and the
// reads outside one.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	GetTransfer(ctx context.Context, id string) (*Transfer, error)
	ListTransfers(ctx context.Context, f Filter) ([]*Transfer, string, error)
	// GetBulkJob reads a job with the number of its members done.
	GetBulkJob(ctx context.Context, id string) (*BulkJob, error)
	// BulkOutcomes lists the rows of a job in its order: all, or only the
	// pending ones.
	BulkOutcomes(ctx context.Context, jobID string, pendingOnly bool) ([]BulkOutcome, error)
	// ListNameOnly pages through the name-only members of a subtree.
	ListNameOnly(ctx context.Context, f NameOnlyFilter) ([]NameOnly, string, error)
}
