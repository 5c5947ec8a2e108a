package pbconv

import (
	"time"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/mobile"
)

// MobileRecord is the API message of a record; contact_overdue is as of
// now (never, for the zero time). withPerson shows the name and phone of
// someone from outside the city, and the contact phone: callers see them,
// events never do.
func MobileRecord(r *mobile.Record, now time.Time, withPerson bool) *pb.MobileRecord {
	out := &pb.MobileRecord{
		Id: r.ID, Direction: pb.MobileDirection(pb.MobileDirection_value["MOBILE_DIRECTION_"+r.Direction]),
		State:    pb.MobileState(pb.MobileState_value["MOBILE_STATE_"+r.State]),
		MemberId: r.MemberID, HomeOrganisationId: r.HomeOrgID, Place: r.Place,
		DestinationOrganisationId: r.DestinationOrgID, HostOrganisationId: r.HostOrgID, Since: date(r.Since),
		Reason: r.Reason, GroupId: r.GroupID, DistrictId: r.DistrictID,
		TemporaryPossibleDate: date(r.TemporaryFrom), LastReportTime: ts(r.LastReport),
		ContactDueTime: ts(r.ContactDue), ContactOverdue: !now.IsZero() && r.ContactOverdue(now),
		CreateTime: ts(r.Created), UpdateTime: ts(r.Updated), Etag: r.Etag(),
	}
	if r.MemberID == "" {
		out.Person = &pb.OutsidePerson{HomeOrganisation: r.Person.HomeOrganisation}
		if withPerson {
			out.Person.Name, out.Person.Phone = r.Person.Name, r.Person.Phone
		}
	}
	if withPerson {
		out.ContactPhone = r.ContactPhone
	}
	if t := r.Temporary; t.CertificateNumber != "" {
		out.Temporary = &pb.TemporaryRelationship{OrganisationId: t.OrgID, CertificateNumber: t.CertificateNumber,
			CertificateValidUntil: date(t.ValidUntil), GrantTime: ts(t.Granted)}
	}
	if r.State == mobile.Ended {
		out.Ending = &pb.MobilityEnding{Outcome: MobilityOutcome(r.Ending.Outcome), Reason: r.Ending.Reason,
			Time: ts(r.Ending.At), TransferRequested: r.TransferRequested()}
	}
	for _, s := range r.Steps {
		out.Steps = append(out.Steps, &pb.MobileStep{State: pb.MobileState(pb.MobileState_value["MOBILE_STATE_"+s.State]),
			ActorSubject: s.ActorSubject, ActorRole: s.ActorRole, Note: s.Note, Time: ts(s.At)})
	}
	return out
}

// MobilityOutcome is the API value of an outcome.
func MobilityOutcome(s string) pb.MobilityOutcome {
	return pb.MobilityOutcome(pb.MobilityOutcome_value["MOBILITY_OUTCOME_"+s])
}

// ContactEntry is the API message of a contact; withSummary false leaves
// out what was said, for events.
func ContactEntry(e *mobile.ContactEntry, withSummary bool) *pb.ContactEntry {
	out := &pb.ContactEntry{
		Id: e.ID, RecordId: e.RecordID,
		Direction:    pb.ContactDirection(pb.ContactDirection_value["CONTACT_DIRECTION_"+e.Direction]),
		Channel:      pb.ContactChannel(pb.ContactChannel_value["CONTACT_CHANNEL_"+e.Channel]),
		ContactTime:  ts(e.At),
		ActorSubject: e.ActorSubject, ActorRole: e.ActorRole, LogTime: ts(e.Logged), GroupId: e.GroupID,
	}
	if withSummary {
		out.Summary = e.Summary
	}
	return out
}

// MobileGroup is the API message of a group.
func MobileGroup(g *mobile.Group) *pb.MobileGroup {
	return &pb.MobileGroup{
		Id: g.ID, Name: g.Name, HomeOrganisationId: g.HomeOrgID, Place: g.Place,
		DestinationOrganisationId: g.DestinationOrgID, LeaderMemberId: g.LeaderID, HostOrganisationId: g.HostOrgID,
		RecordIds: g.RecordIDs, CreateTime: ts(g.Created), UpdateTime: ts(g.Updated), Etag: g.Etag(),
	}
}
