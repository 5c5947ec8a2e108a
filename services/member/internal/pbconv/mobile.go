package pbconv

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/mobile"
)

// The subjects of the events of mobile members.
const (
	SubjectMobileOutflowRegistered = "gongjian.member.v1.mobile_outflow_registered"
	SubjectMobileInflowRegistered  = "gongjian.member.v1.mobile_inflow_registered"
	SubjectMobileGranted           = "gongjian.member.v1.mobile_temporary_relationship_granted"
	SubjectMobileContactLogged     = "gongjian.member.v1.mobile_contact_logged"
	SubjectMobileContactOverdue    = "gongjian.member.v1.mobile_contact_overdue"
	SubjectMobilityEnded           = "gongjian.member.v1.mobility_ended"
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

// mobileEvent returns the subject and message of an event of mobile
// members; ok is false for any other event.
func mobileEvent(e member.Event, id string, at time.Time) (string, proto.Message, bool, error) {
	occur := ts(at)
	switch e := e.(type) {
	case mobile.Registered:
		rec := MobileRecord(e.Record, time.Time{}, false)
		if e.Record.Direction == mobile.Inflow {
			return SubjectMobileInflowRegistered, &pb.MobileInflowRegistered{EventId: id, OccurTime: occur, Record: rec}, true, nil
		}
		return SubjectMobileOutflowRegistered, &pb.MobileOutflowRegistered{EventId: id, OccurTime: occur, Record: rec}, true, nil
	case mobile.Granted:
		return SubjectMobileGranted, &pb.MobileTemporaryRelationshipGranted{EventId: id, OccurTime: occur,
			Record: MobileRecord(e.Record, time.Time{}, false), CertificateNumber: e.Record.Temporary.CertificateNumber}, true, nil
	case mobile.ContactLogged:
		return SubjectMobileContactLogged, &pb.MobileContactLogged{EventId: id, OccurTime: occur,
			Contact: ContactEntry(e.Entry, false), MemberId: e.Record.MemberID}, true, nil
	case mobile.ContactOverdue:
		r := e.Record
		host := r.Temporary.OrgID
		if host == "" {
			host = r.HostOrgID
		}
		return SubjectMobileContactOverdue, &pb.MobileContactOverdue{EventId: id, OccurTime: occur, RecordId: r.ID,
			MemberId: r.MemberID, HomeOrganisationId: r.HomeOrgID, HostOrganisationId: host, Period: int32(e.Period),
			DueTime: ts(e.Due), LastReportTime: ts(r.LastReport)}, true, nil
	case mobile.MobilityEnded:
		if e.Record.State != mobile.Ended {
			return "", nil, true, fmt.Errorf("pbconv: a mobility ended in state %s", e.Record.State)
		}
		return SubjectMobilityEnded, &pb.MobilityEnded{EventId: id, OccurTime: occur,
			Record: MobileRecord(e.Record, time.Time{}, false), Outcome: MobilityOutcome(e.Record.Ending.Outcome),
			TransferRequested: e.Record.TransferRequested()}, true, nil
	}
	return "", nil, false, nil
}
