package member

import "time"

// MobileRegistered is published when an outflow or an inflow is registered.
type MobileRegistered struct{ Record *MobileRecord }

// MobileGranted is published when a temporary relationship and its
// certificate are granted.
type MobileGranted struct{ Record *MobileRecord }

// MobileContactLogged is published when a contact is logged.
type MobileContactLogged struct {
	Record *MobileRecord
	Entry  *ContactEntry
}

// MobileContactOverdue is published once for each contact interval an
// open record goes without a report of the member.
type MobileContactOverdue struct {
	Record *MobileRecord
	Period int
	Due    time.Time
}

// MobilityEnded is published when a record ends.
type MobilityEnded struct{ Record *MobileRecord }

// The events of a record are ordered with those of the organisation that
// keeps it.
func (e MobileRegistered) AggregateID() string     { return e.Record.OwnerOrgID() }
func (e MobileGranted) AggregateID() string        { return e.Record.OwnerOrgID() }
func (e MobileContactLogged) AggregateID() string  { return e.Record.OwnerOrgID() }
func (e MobileContactOverdue) AggregateID() string { return e.Record.OwnerOrgID() }
func (e MobilityEnded) AggregateID() string        { return e.Record.OwnerOrgID() }
