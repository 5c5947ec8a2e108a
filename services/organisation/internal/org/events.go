package org

// Event is a change the organisation service tells the rest of the city
// about. The store turns each into its protobuf message and writes it to the
// outbox in the same transaction as the change.
type Event interface{ aggregateID() string }

// Created is published when an organisation is created.
type Created struct{ Org *Organisation }

// Updated is published when an organisation's fields or team change.
type Updated struct {
	Org     *Organisation
	Changed []string
}

// Moved is published when an organisation moves under another parent.
type Moved struct {
	Org           *Organisation
	OldParentID   string
	OldDistrictID string
	SubtreeSize   int64
}

// DissolvedEvent is published when an organisation is dissolved.
type DissolvedEvent struct{ Org *Organisation }

// ActivityRecorded is published when organisation life is recorded.
type ActivityRecorded struct {
	Activity    *Activity
	AncestorIDs []string
}

func (e Created) aggregateID() string          { return e.Org.ID }
func (e Updated) aggregateID() string          { return e.Org.ID }
func (e Moved) aggregateID() string            { return e.Org.ID }
func (e DissolvedEvent) aggregateID() string   { return e.Org.ID }
func (e ActivityRecorded) aggregateID() string { return e.Activity.OrganisationID }

// AggregateID is the organisation an event is about; events of one
// organisation are published in order.
func AggregateID(e Event) string { return e.aggregateID() }
