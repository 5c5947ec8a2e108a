package member

// TransferCompletion is published after TransferChanged in the transaction
// of a receipt: the receipt is the receiving side's act, the completion
// the fact that the member's relationship moved, and consumers may follow
// either. It carries no audit record of its own: the receipt has one.
type TransferCompletion struct{ Transfer *Transfer }

func (e TransferCompletion) AggregateID() string { return e.Transfer.FromOrgID }
