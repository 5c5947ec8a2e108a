package pbconv

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/organisation/internal/org"
)

// SubjectPrefix starts every subject the organisation service publishes on.
const SubjectPrefix = "gongjian.organisation.v1."

// Event converts a domain event to its subject and message, stamped with
// the event id and the commit time.
func Event(e org.Event, id string, at time.Time) (string, proto.Message, error) {
	switch e := e.(type) {
	case org.Created:
		return SubjectPrefix + "organisation_created",
			&pb.OrganisationCreated{EventId: id, OccurTime: ts(at), Organisation: Organisation(e.Org)}, nil
	case org.Updated:
		return SubjectPrefix + "organisation_updated",
			&pb.OrganisationUpdated{EventId: id, OccurTime: ts(at), Organisation: Organisation(e.Org),
				Changed: &fieldmaskpb.FieldMask{Paths: e.Changed}}, nil
	case org.Moved:
		return SubjectPrefix + "organisation_moved",
			&pb.OrganisationMoved{EventId: id, OccurTime: ts(at), Organisation: Organisation(e.Org),
				OldParentId: e.OldParentID, OldDistrictId: e.OldDistrictID, SubtreeSize: e.SubtreeSize}, nil
	case org.DissolvedEvent:
		return SubjectPrefix + "organisation_dissolved",
			&pb.OrganisationDissolved{EventId: id, OccurTime: ts(at), Organisation: Organisation(e.Org)}, nil
	case org.ActivityRecorded:
		return SubjectPrefix + "activity_recorded",
			&pb.ActivityRecorded{EventId: id, OccurTime: ts(at), Activity: Activity(e.Activity),
				OrganisationAncestorIds: e.AncestorIDs}, nil
	case org.CoveragePointChanged:
		return SubjectPrefix + "coverage_point_changed",
			&pb.CoveragePointChanged{EventId: id, OccurTime: ts(at), CoveragePoint: CoveragePoint(e.Point), Change: e.Change}, nil
	case org.SiteChanged:
		return SubjectPrefix + "demonstration_site_changed",
			&pb.DemonstrationSiteChanged{EventId: id, OccurTime: ts(at), Site: Site(e.Site), Change: e.Change}, nil
	case org.LiaisonChanged:
		return SubjectPrefix + "liaison_changed",
			&pb.LiaisonChanged{EventId: id, OccurTime: ts(at), Liaison: Liaison(e.Liaison), Change: e.Change}, nil
	case org.SettingsUpdated:
		return SubjectPrefix + "district_settings_updated",
			&pb.DistrictSettingsUpdated{EventId: id, OccurTime: ts(at), Settings: Settings(e.Settings),
				Changed: &fieldmaskpb.FieldMask{Paths: e.Changed}}, nil
	case org.MemberCountRecorded:
		return SubjectPrefix + "member_count_recorded",
			&pb.MemberCountRecorded{EventId: id, OccurTime: ts(at), OrganisationId: e.OrganisationID, MemberCount: e.MemberCount}, nil
	}
	return "", nil, fmt.Errorf("pbconv: unknown event %T", e)
}
