package member

import (
	"context"
	"time"
)

// BulkTx is what the sweeper of transfers and the bulk transfer jobs need
// inside a transaction.
type BulkTx interface {
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
	// EmitSteps publishes TransferChanged for each of snaps, the transfer
	// after each of its steps, as Emit would one by one, in fewer round
	// trips.
	EmitSteps(ctx context.Context, snaps []*Transfer) error

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

// BulkStore is what the bulk and listing reads need outside a transaction.
type BulkStore interface {
	// GetBulkJob reads a job with the number of its members done.
	GetBulkJob(ctx context.Context, id string) (*BulkJob, error)
	// BulkOutcomes lists the rows of a job in its order: all, or only the
	// pending ones.
	BulkOutcomes(ctx context.Context, jobID string, pendingOnly bool) ([]BulkOutcome, error)
	// ListNameOnly pages through the name-only members of a subtree.
	ListNameOnly(ctx context.Context, f NameOnlyFilter) ([]NameOnly, string, error)
}
