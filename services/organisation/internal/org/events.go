package org

// Event is a change the organisation service tells the rest of the city
// about, emitted by the domain in the transaction that makes it with the
// time of the domain's clock. Its message and its audit record
// (pbconv.RecordOf builds both) are written in that transaction. Its
// AggregateID is the organisation it is about: the events of one
// organisation are published in order (an activity's, a point's, a site's
// and a liaison's are their community's or organisation's; settings',
// their district's).
type Event interface{ AggregateID() string }

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
	// Previous is the count kept before.
	Previous int64
}

func (e Created) AggregateID() string              { return e.Org.ID }
func (e Updated) AggregateID() string              { return e.Org.ID }
func (e Moved) AggregateID() string                { return e.Org.ID }
func (e DissolvedEvent) AggregateID() string       { return e.Org.ID }
func (e ActivityRecorded) AggregateID() string     { return e.Activity.OrganisationID }
func (e CoveragePointChanged) AggregateID() string { return e.Point.CommunityID }
func (e SiteChanged) AggregateID() string          { return e.Site.CommunityID }
func (e LiaisonChanged) AggregateID() string       { return e.Liaison.CommunityID }
func (e SettingsUpdated) AggregateID() string      { return e.Settings.DistrictID }
func (e MemberCountRecorded) AggregateID() string  { return e.OrganisationID }
