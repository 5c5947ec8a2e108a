package member

// ReportingTx is what the reporting commands need inside a transaction.
type ReportingTx interface{}

// ReportingStore is what the reporting reads need outside a transaction.
type ReportingStore interface{}
