package member

// BulkTx is what the bulk commands need inside a transaction.
type BulkTx interface{}

// BulkStore is what the bulk reads need outside a transaction.
type BulkStore interface{}
