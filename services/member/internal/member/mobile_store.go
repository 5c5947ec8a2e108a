package member

// MobileTx is what the mobile commands need inside a transaction.
type MobileTx interface{}

// MobileStore is what the mobile reads need outside a transaction.
type MobileStore interface{}
