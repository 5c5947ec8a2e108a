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
