package store

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/pbconv"
)

// The subject types of the organisation service's audit records.
const (
	subjectOrganisation = "organisation"
	subjectActivity     = "activity"
	subjectPoint        = "coverage_point"
	subjectSite         = "demonstration_site"
	subjectLiaison      = "liaison"
	subjectSettings     = "district_settings"
	subjectMemberCount  = "member_count"
)

// remember keeps what a subject looked like when this transaction locked
// it, as the API shows it.
func (t *txStore) remember(subjectType, id string, m proto.Message) {
	key := subjectType + "/" + id
	if _, ok := t.before[key]; ok {
		return // the first lock in the transaction is the state before it
	}
	if b, err := protojson.Marshal(m); err == nil {
		t.before[key] = b
	}
}

// state is a message as the API shows it, for an audit record.
func state(m proto.Message) (json.RawMessage, error) {
	b, err := protojson.Marshal(m)
	return b, err
}

// auditEntry describes the write an event reports: what changed, in which
// organisation, before and after.
func (t *txStore) auditEntry(e org.Event) (audit.Entry, error) {
	var (
		entry = audit.Entry{Action: audit.ActionWrite}
		after proto.Message
	)
	var changed *org.Organisation
	switch e := e.(type) {
	case org.Created:
		changed = e.Org
	case org.Updated:
		changed = e.Org
	case org.Moved:
		changed = e.Org
	case org.DissolvedEvent:
		changed = e.Org
	case org.ActivityRecorded:
		entry.SubjectType, entry.SubjectID, entry.OrganisationID, after = subjectActivity, e.Activity.ID, e.Activity.OrganisationID, pbconv.Activity(e.Activity)
	case org.CoveragePointChanged:
		entry.SubjectType, entry.SubjectID, entry.OrganisationID, after = subjectPoint, e.Point.ID, e.Point.CommunityID, pbconv.CoveragePoint(e.Point)
	case org.SiteChanged:
		entry.SubjectType, entry.SubjectID, entry.OrganisationID, after = subjectSite, e.Site.ID, e.Site.CommunityID, pbconv.Site(e.Site)
	case org.LiaisonChanged:
		entry.SubjectType, entry.SubjectID, entry.OrganisationID, after = subjectLiaison, e.Liaison.ID, e.Liaison.CommunityID, pbconv.Liaison(e.Liaison)
	case org.SettingsUpdated:
		entry.SubjectType, entry.SubjectID, entry.OrganisationID, after = subjectSettings, e.Settings.DistrictID, e.Settings.DistrictID, pbconv.Settings(e.Settings)
	case org.MemberCountRecorded:
		entry.SubjectType, entry.SubjectID, entry.OrganisationID = subjectMemberCount, e.OrganisationID, e.OrganisationID
		entry.After = map[string]int64{"member_count": e.MemberCount}
		if b, ok := t.before[subjectOrganisation+"/"+e.OrganisationID]; ok {
			var o struct {
				MemberCount string `json:"memberCount"`
			}
			_ = json.Unmarshal(b, &o)
			entry.Before = map[string]string{"member_count": o.MemberCount}
		}
		return entry, nil
	default:
		return entry, fmt.Errorf("store: no audit record for %T", e)
	}
	if changed != nil {
		entry.SubjectType, entry.SubjectID, entry.OrganisationID, after = subjectOrganisation, changed.ID, changed.ID, pbconv.Organisation(changed)
	}
	a, err := state(after)
	if err != nil {
		return entry, err
	}
	entry.After = a
	key := entry.SubjectType + "/" + entry.SubjectID
	if b, ok := t.before[key]; ok {
		entry.Before = json.RawMessage(b)
	}
	return entry, nil
}
