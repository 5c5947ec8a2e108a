package transfer

// Changed is published at every step of a transfer; its state
// says which step. Events of a transfer are ordered with those of the
// sending organisation.
type Changed struct{ Transfer *Transfer }

func (e Changed) AggregateID() string { return e.Transfer.FromOrgID }

// Completion is published after Changed in the transaction
// of a receipt: the receipt is the receiving side's act, the completion
// the fact that the member's relationship moved, and consumers may follow
// either. It carries no audit record of its own: the receipt has one.
type Completion struct{ Transfer *Transfer }

func (e Completion) AggregateID() string { return e.Transfer.FromOrgID }

// JobStarted records that a bulk transfer job started, with how many
// members it takes. It is recorded, not published: each member's
// transfer publishes its steps.
type JobStarted struct{ Job *BulkJob }

// MemberSkipped records that a job kept a member out, and why. It is
// recorded, not published.
type MemberSkipped struct {
	Job     *BulkJob
	Outcome BulkOutcome
}

// AggregateID is the organisation the job transfers from.
func (e JobStarted) AggregateID() string { return e.Job.OrganisationID }

// AggregateID is the organisation the job transfers from.
func (e MemberSkipped) AggregateID() string { return e.Job.OrganisationID }
