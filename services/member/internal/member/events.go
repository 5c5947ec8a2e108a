package member

// Event is a change of the member service, emitted by the domain in the
// transaction that makes it with the time of the domain's clock. Its audit
// record is written in that transaction and, unless the change is the
// service's own business, its message for the rest of the city too
// (pbconv.RecordOf builds both, never with the national ID number). Its
// AggregateID is the organisation it is about: the events of one
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

// Imported is published when a bulk import registers members into an
// organisation: one event for a batch's arrivals there, whose audit
// records the import writes itself, one per member.
type Imported struct {
	JobID, OrganisationID, DistrictID string
	Members                           []ImportedMember
}

// ImportedMember is a member an import registered, as consumers of
// registrations need it: no personal data.
type ImportedMember struct{ ID, Status, CategoryCode string }

func (e Imported) AggregateID() string { return e.OrganisationID }
