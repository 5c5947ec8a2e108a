package pbconv

import (
	"fmt"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/outbox"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/organisation/internal/org"
)

// SubjectPrefix starts every subject the organisation service publishes on.
const SubjectPrefix = "gongjian.organisation.v1."

// The subject types of the organisation service's audit records.
const (
	subjectOrganisation = "organisation"
	subjectActivity     = "activity"
	subjectPoint        = "coverage_point"
	subjectSite         = "demonstration_site"
	subjectLiaison      = "liaison"
	subjectSettings     = "district_settings"
	subjectMemberCount  = "member_count"
	subjectUnitCoverage = "unit_coverage"
)

// Record is what a domain event leaves in the transaction of its change:
// its message for the outbox and its audit record. Every write emits one
// event, so every write leaves one audit record.
type Record struct {
	// Outbox is the event to publish; its Subject is "" for a change that
	// is recorded, not published.
	Outbox outbox.Event
	Audit  audit.Entry
	// Snapshot is the key (see Snapshot) of the subject as the transaction
	// first locked it, which the store puts in Audit.Before; "" when the
	// record says what was before itself.
	Snapshot string
}

// RecordOf turns a domain event into its record: the one place where the
// organisation service's events become messages and audit records,
// stamped with the event's id and the time the domain's clock gave it.
func RecordOf(e org.Event, id string, at time.Time) (Record, error) {
	var (
		name  string
		msg   proto.Message
		occur = ts(at)
		r     Record
	)
	audited := func(kind, subjectID, orgID string, after proto.Message) {
		r.Audit = audit.Entry{Action: audit.ActionWrite, SubjectType: kind, SubjectID: subjectID, OrganisationID: orgID, After: after}
		r.Snapshot = snapshotKey(kind, subjectID)
	}
	switch e := e.(type) {
	case org.Created:
		name, msg = "organisation_created", &pb.OrganisationCreated{EventId: id, OccurTime: occur, Organisation: Organisation(e.Org)}
		audited(subjectOrganisation, e.Org.ID, e.Org.ID, Organisation(e.Org))
	case org.Updated:
		name, msg = "organisation_updated", &pb.OrganisationUpdated{EventId: id, OccurTime: occur, Organisation: Organisation(e.Org),
			Changed: &fieldmaskpb.FieldMask{Paths: e.Changed}}
		audited(subjectOrganisation, e.Org.ID, e.Org.ID, Organisation(e.Org))
	case org.Moved:
		name, msg = "organisation_moved", &pb.OrganisationMoved{EventId: id, OccurTime: occur, Organisation: Organisation(e.Org),
			OldParentId: e.OldParentID, OldDistrictId: e.OldDistrictID, SubtreeSize: e.SubtreeSize}
		audited(subjectOrganisation, e.Org.ID, e.Org.ID, Organisation(e.Org))
	case org.DissolvedEvent:
		name, msg = "organisation_dissolved", &pb.OrganisationDissolved{EventId: id, OccurTime: occur, Organisation: Organisation(e.Org)}
		audited(subjectOrganisation, e.Org.ID, e.Org.ID, Organisation(e.Org))
	case org.ActivityRecorded:
		name, msg = "activity_recorded", &pb.ActivityRecorded{EventId: id, OccurTime: occur, Activity: Activity(e.Activity),
			OrganisationAncestorIds: e.AncestorIDs}
		audited(subjectActivity, e.Activity.ID, e.Activity.OrganisationID, Activity(e.Activity))
	case org.CoveragePointChanged:
		name, msg = "coverage_point_changed", &pb.CoveragePointChanged{EventId: id, OccurTime: occur,
			CoveragePoint: CoveragePoint(e.Point), Change: e.Change}
		audited(subjectPoint, e.Point.ID, e.Point.CommunityID, CoveragePoint(e.Point))
	case org.SiteChanged:
		name, msg = "demonstration_site_changed", &pb.DemonstrationSiteChanged{EventId: id, OccurTime: occur, Site: Site(e.Site),
			Change: e.Change}
		audited(subjectSite, e.Site.ID, e.Site.CommunityID, Site(e.Site))
	case org.LiaisonChanged:
		name, msg = "liaison_changed", &pb.LiaisonChanged{EventId: id, OccurTime: occur, Liaison: Liaison(e.Liaison), Change: e.Change}
		audited(subjectLiaison, e.Liaison.ID, e.Liaison.CommunityID, Liaison(e.Liaison))
	case org.SettingsUpdated:
		name, msg = "district_settings_updated", &pb.DistrictSettingsUpdated{EventId: id, OccurTime: occur,
			Settings: Settings(e.Settings), Changed: &fieldmaskpb.FieldMask{Paths: e.Changed}}
		audited(subjectSettings, e.Settings.DistrictID, e.Settings.DistrictID, Settings(e.Settings))
	case org.MemberCountRecorded:
		name, msg = "member_count_recorded", &pb.MemberCountRecorded{EventId: id, OccurTime: occur,
			OrganisationId: e.OrganisationID, MemberCount: e.MemberCount}
		// The count before is as the organisation's message gave it when
		// these records were first written: text, empty for none.
		previous := ""
		if e.Previous != 0 {
			previous = strconv.FormatInt(e.Previous, 10)
		}
		r.Audit = audit.Entry{Action: audit.ActionWrite, SubjectType: subjectMemberCount, SubjectID: e.OrganisationID,
			OrganisationID: e.OrganisationID, Before: map[string]string{"member_count": previous},
			After: map[string]int64{"member_count": e.MemberCount}}
	case org.UnitCoverageRecorded:
		// Recorded, not published: the fact is the co-building service's.
		r.Audit = audit.Entry{Action: audit.ActionWrite, SubjectType: subjectUnitCoverage, SubjectID: e.Unit.UnitID,
			OrganisationID: e.Unit.CommunityID, After: unitCoverage(e.Unit, e.Change)}
		return r, nil
	default:
		return r, fmt.Errorf("pbconv: unknown event %T", e)
	}
	r.Outbox = outbox.Event{ID: id, Subject: SubjectPrefix + name, AggregateID: e.AggregateID(), Message: msg}
	return r, nil
}

// Snapshot is the key and the state of a subject as its audit records
// show it, kept by the store when a transaction first locks the subject:
// the Before of the records of its changes. ok is false for a subject
// that has none.
func Snapshot(subject any) (key string, state proto.Message, ok bool) {
	switch s := subject.(type) {
	case *org.Organisation:
		return snapshotKey(subjectOrganisation, s.ID), Organisation(s), true
	case *org.CoveragePoint:
		return snapshotKey(subjectPoint, s.ID), CoveragePoint(s), true
	case *org.Site:
		return snapshotKey(subjectSite, s.ID), Site(s), true
	case *org.Liaison:
		return snapshotKey(subjectLiaison, s.ID), Liaison(s), true
	case *org.Settings:
		return snapshotKey(subjectSettings, s.DistrictID), Settings(s), true
	}
	return "", nil, false
}

func snapshotKey(kind, id string) string { return kind + "/" + id }

// unitCoverage is the audit record's state of a unit's coverage.
func unitCoverage(u *org.UnitCoverage, change string) map[string]any {
	out := map[string]any{"unit_id": u.UnitID, "unit_name": u.UnitName, "community_id": u.CommunityID,
		"district_id": u.DistrictID, "party_members": u.PartyMembers, "gap": u.Gap, "change": change,
		"report_time": u.Updated.Format(time.RFC3339Nano)}
	if u.PartyOrganisationID != "" {
		out["party_organisation_id"] = u.PartyOrganisationID
	}
	if !u.Opened.IsZero() {
		out["open_time"] = u.Opened.Format(time.RFC3339Nano)
	}
	if !u.Closed.IsZero() {
		out["close_time"] = u.Closed.Format(time.RFC3339Nano)
	}
	return out
}
