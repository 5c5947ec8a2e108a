package member

// Event is a change the member service tells the rest of the city about.
// The store turns each into its protobuf message, without the national ID
// number, and writes it to the outbox in the same transaction as the change.
// Its AggregateID is the organisation it is about: the events of one
// organisation are published in order.
type Event interface{ AggregateID() string }

// Registered is published when a member is registered.
type Registered struct{ Member *Member }

// Updated is published when a member's fields change.
type Updated struct {
	Member  *Member
	Changed []string
}

// CountChanged is published when the number of members whose relationship
// sits directly in an organisation changes.
type CountChanged struct {
	OrganisationID string
	Count          int64
}

func (e Registered) AggregateID() string   { return e.Member.OrganisationID }
func (e Updated) AggregateID() string      { return e.Member.OrganisationID }
func (e CountChanged) AggregateID() string { return e.OrganisationID }
