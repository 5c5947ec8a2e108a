package pbconv

import (
	"time"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/meetings"
)

// MeetingKind is the API's kind of meeting.
func MeetingKind(k meetings.Kind) pb.MeetingKind {
	return pb.MeetingKind(pb.MeetingKind_value["MEETING_KIND_"+string(k)])
}

// MeetingKindOf is the domain's kind of an API one ("" for none).
func MeetingKindOf(k pb.MeetingKind) meetings.Kind {
	switch k {
	case pb.MeetingKind_MEETING_KIND_COMMUNITY:
		return meetings.CommunityMeeting
	case pb.MeetingKind_MEETING_KIND_COUNTY:
		return meetings.CountyMeeting
	}
	return ""
}

// Meeting is the API's meeting.
func Meeting(m *meetings.Meeting) *pb.JointMeeting {
	return &pb.JointMeeting{
		Id: m.ID, Kind: MeetingKind(m.Kind), ConvenerId: m.ConvenerID, Date: cobuild.FormatDate(m.Date), Title: m.Title,
		UnitIds: m.UnitIDs, OrganisationIds: m.OrganisationIDs, Minutes: m.Minutes, DistrictId: m.DistrictID,
		Version: m.Version, CreateTime: ts(m.Created), UpdateTime: ts(m.Updated),
	}
}

// MeetingOf is the domain's meeting of an API one.
func MeetingOf(m *pb.JointMeeting) (*meetings.Meeting, error) {
	d, err := DateOf("joint_meeting.date", m.GetDate())
	if err != nil {
		return nil, err
	}
	return &meetings.Meeting{ID: m.GetId(), Kind: MeetingKindOf(m.GetKind()), ConvenerID: m.GetConvenerId(), Date: d,
		Title: m.GetTitle(), UnitIDs: m.GetUnitIds(), OrganisationIDs: m.GetOrganisationIds(), Minutes: m.GetMinutes()}, nil
}

// ItemStatus is the API's status of an item.
func ItemStatus(s meetings.Status) pb.LedgerItemStatus {
	return pb.LedgerItemStatus(pb.LedgerItemStatus_value["LEDGER_ITEM_STATUS_"+string(s)])
}

// ItemStatusOf is the domain's status of an API one ("" for none).
func ItemStatusOf(s pb.LedgerItemStatus) meetings.Status {
	if s == pb.LedgerItemStatus_LEDGER_ITEM_STATUS_UNSPECIFIED {
		return ""
	}
	return meetings.Status(s.String()[len("LEDGER_ITEM_STATUS_"):])
}

// Item is the API's ledger item as it stands on day today.
func Item(it *meetings.Item, today time.Time) *pb.LedgerItem {
	progress := make([]*pb.LedgerProgress, 0, len(it.Progress))
	for _, p := range it.Progress {
		progress = append(progress, &pb.LedgerProgress{Note: p.Note, Evidence: Evidence(p.Evidence), ReportedBy: p.ReportedBy,
			ReportTime: ts(p.At)})
	}
	return &pb.LedgerItem{
		Id: it.ID, MeetingId: it.MeetingID, Matter: it.Matter, Title: it.Title, OwnerUnitId: it.OwnerUnitID,
		OwnerOrganisationId: it.OwnerOrganisationID, Deadline: cobuild.FormatDate(it.Deadline), Status: ItemStatus(it.Status),
		Progress: progress, SendBackReason: it.SendBackReason, CloseNote: it.CloseNote, CloseTime: ts(it.ClosedAt),
		Overdue: it.Overdue(today), ConvenerId: it.ConvenerID, Version: it.Version,
		CreateTime: ts(it.Created), UpdateTime: ts(it.Updated),
	}
}

// ItemOf is the domain's ledger item of an API one.
func ItemOf(it *pb.LedgerItem) (*meetings.Item, error) {
	d, err := DateOf("ledger_item.deadline", it.GetDeadline())
	if err != nil {
		return nil, err
	}
	return &meetings.Item{ID: it.GetId(), MeetingID: it.GetMeetingId(), Matter: it.GetMatter(), Title: it.GetTitle(),
		OwnerUnitID: it.GetOwnerUnitId(), OwnerOrganisationID: it.GetOwnerOrganisationId(), Deadline: d}, nil
}

// Evidence is the API's evidence.
func Evidence(es []meetings.Evidence) []*pb.Evidence {
	out := make([]*pb.Evidence, 0, len(es))
	for _, e := range es {
		out = append(out, &pb.Evidence{Title: e.Title, Uri: e.URI})
	}
	return out
}

// EvidenceOf is the domain's evidence.
func EvidenceOf(es []*pb.Evidence) []meetings.Evidence {
	out := make([]meetings.Evidence, 0, len(es))
	for _, e := range es {
		out = append(out, meetings.Evidence{Title: e.GetTitle(), URI: e.GetUri()})
	}
	return out
}
