package pbconv

import (
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/volunteers"
)

// TeamKind is the API's kind of team.
func TeamKind(k volunteers.Kind) pb.TeamKind {
	return pb.TeamKind(pb.TeamKind_value["TEAM_KIND_"+string(k)])
}

// TeamKindOf is the domain's kind of team ("" for none).
func TeamKindOf(k pb.TeamKind) volunteers.Kind {
	return volunteers.Kind(enumOf(k.String(), "TEAM_KIND_"))
}

// Team is the API's team.
func Team(t *volunteers.Team) *pb.VolunteerTeam {
	return &pb.VolunteerTeam{Id: t.ID, Name: t.Name, Kind: TeamKind(t.Kind), CommunityId: t.CommunityID, UnitId: t.UnitID,
		DistrictId: t.DistrictID, Leader: Contact(t.Leader), Description: t.Description, VolunteerCount: int32(t.VolunteerCount),
		PartyMemberCount: int32(t.PartyMemberCount), ServiceHours: t.ServiceHours, CreateTime: ts(t.Created)}
}

// TeamOf is the domain's team of an API one.
func TeamOf(t *pb.VolunteerTeam) *volunteers.Team {
	out := &volunteers.Team{Name: t.GetName(), Kind: TeamKindOf(t.GetKind()), CommunityID: t.GetCommunityId(), UnitID: t.GetUnitId(),
		Description: t.GetDescription()}
	if t.GetLeader() != nil {
		out.Leader = ContactOf(t.GetLeader())
	}
	return out
}

// Volunteer is the API's volunteer.
func Volunteer(v *volunteers.Volunteer) *pb.Volunteer {
	return &pb.Volunteer{Id: v.ID, MemberId: v.MemberID, Name: v.Name, Skills: v.Skills, JoinTime: ts(v.Joined),
		ServiceHours: v.ServiceHours}
}

// Volunteers converts a list of volunteers.
func Volunteers(vs []*volunteers.Volunteer) []*pb.Volunteer {
	out := make([]*pb.Volunteer, 0, len(vs))
	for _, v := range vs {
		out = append(out, Volunteer(v))
	}
	return out
}

// VolunteersOf converts a list of API volunteers.
func VolunteersOf(vs []*pb.Volunteer) []*volunteers.Volunteer {
	out := make([]*volunteers.Volunteer, 0, len(vs))
	for _, v := range vs {
		out = append(out, &volunteers.Volunteer{MemberID: v.GetMemberId(), Name: v.GetName(), Skills: v.GetSkills()})
	}
	return out
}

// ServiceRecord is the API's service record.
func ServiceRecord(s *volunteers.Service) *pb.ServiceRecord {
	return &pb.ServiceRecord{Id: s.ID, TeamId: s.TeamID, Date: cobuild.FormatDate(s.Date), Title: s.Title,
		VolunteerIds: s.VolunteerIDs, Hours: s.Hours, Served: int32(s.Served), MemberIds: s.MemberIDs,
		RecordedBy: s.RecordedBy, CreateTime: ts(s.Created)}
}

// ServiceRecordOf is the domain's service record of an API one.
func ServiceRecordOf(s *pb.ServiceRecord) (*volunteers.Service, error) {
	d, err := DateOf("service_record.date", s.GetDate())
	if err != nil {
		return nil, err
	}
	return &volunteers.Service{TeamID: s.GetTeamId(), Date: d, Title: s.GetTitle(), VolunteerIDs: s.GetVolunteerIds(),
		Hours: s.GetHours(), Served: int(s.GetServed())}, nil
}
