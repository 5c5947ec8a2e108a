package mobile

import "time"

// Registered is published when an outflow or an inflow is registered.
type Registered struct{ Record *Record }

// Granted is published when a temporary relationship and its
// certificate are granted.
type Granted struct{ Record *Record }

// ContactLogged is published when a contact is logged.
type ContactLogged struct {
	Record *Record
	Entry  *ContactEntry
}

// ContactOverdue is published once for each contact interval an
// open record goes without a report of the member.
type ContactOverdue struct {
	Record *Record
	Period int
	Due    time.Time
}

// MobilityEnded is published when a record ends.
type MobilityEnded struct{ Record *Record }

// The events of a record are ordered with those of the organisation that
// keeps it.
func (e Registered) AggregateID() string     { return e.Record.OwnerOrgID() }
func (e Granted) AggregateID() string        { return e.Record.OwnerOrgID() }
func (e ContactLogged) AggregateID() string  { return e.Record.OwnerOrgID() }
func (e ContactOverdue) AggregateID() string { return e.Record.OwnerOrgID() }
func (e MobilityEnded) AggregateID() string  { return e.Record.OwnerOrgID() }

// GroupRegistered records that a group's outflow was registered; it is
// recorded, not published (the outflow of each of its members is).
type GroupRegistered struct{ Group *Group }

// GroupGranted records that a group was granted its host; it is recorded,
// not published (the grant of each of its members is).
type GroupGranted struct{ Group *Group }

// AggregateID is the group's home organisation.
func (e GroupRegistered) AggregateID() string { return e.Group.HomeOrgID }

// AggregateID is the group's home organisation.
func (e GroupGranted) AggregateID() string { return e.Group.HomeOrgID }
