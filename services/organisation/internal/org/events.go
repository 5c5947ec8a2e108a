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

// The changes a CoveragePointChanged reports.
const (
	CoveragePointCreated = "created"
	CoveragePointCovered = "covered"
)

// CoveragePointChanged is published when a coverage point is registered or
// an organisation comes to cover it.
type CoveragePointChanged struct {
	Point  *CoveragePoint
	Change string
}

// The changes a SiteChanged reports.
const (
	SiteCreated        = "created"
	MilestoneCompleted = "milestone_completed"
	SiteRated          = "rated"
)

// SiteChanged is published when a community becomes a demonstration site,
// a milestone of its plan is completed or a year is rated.
type SiteChanged struct {
	Site   *Site
	Change string
}

// The changes a LiaisonChanged reports.
const (
	LiaisonCreated = "created"
	LiaisonEnded   = "ended"
)

// LiaisonChanged is published when a leader is linked to a community or the
// link ends.
type LiaisonChanged struct {
	Liaison *Liaison
	Change  string
}

// SettingsUpdated is published when a district's settings change; Changed
// names the settings the update set.
type SettingsUpdated struct {
	Settings *Settings
	Changed  []string
}

// MemberCountRecorded is published when the number of members sitting
// directly in an organisation is recorded.
type MemberCountRecorded struct {
	OrganisationID string
	MemberCount    int64
}

func (e Created) aggregateID() string              { return e.Org.ID }
func (e Updated) aggregateID() string              { return e.Org.ID }
func (e Moved) aggregateID() string                { return e.Org.ID }
func (e DissolvedEvent) aggregateID() string       { return e.Org.ID }
func (e ActivityRecorded) aggregateID() string     { return e.Activity.OrganisationID }
func (e CoveragePointChanged) aggregateID() string { return e.Point.CommunityID }
func (e SiteChanged) aggregateID() string          { return e.Site.CommunityID }
func (e LiaisonChanged) aggregateID() string       { return e.Liaison.CommunityID }
func (e SettingsUpdated) aggregateID() string      { return e.Settings.DistrictID }
func (e MemberCountRecorded) aggregateID() string  { return e.OrganisationID }

// AggregateID is the organisation an event is about: the organisation
// itself, the community of a coverage point, site or liaison, the district
// of its settings. Events of one organisation are published in order.
func AggregateID(e Event) string { return e.aggregateID() }
