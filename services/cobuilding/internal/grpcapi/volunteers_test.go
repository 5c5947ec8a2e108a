package grpcapi_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// TestAVolunteerTeamCountsItsVolunteersAndTheirHours: party members by id
// and other people by name join, a service records who served and for how
// long, and the team, its volunteers and the events add up.
func TestAVolunteerTeamCountsItsVolunteersAndTheirHours(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := servicetest.Ctx(t)
	api := h.venueAPI(cityAdmin).teams
	team, err := api.CreateVolunteerTeam(ctx, &pb.CreateVolunteerTeamRequest{RequestId: "义诊队", VolunteerTeam: &pb.VolunteerTeam{
		Name: "新华社区健康服务队", Kind: pb.TeamKind_TEAM_KIND_HEALTH, CommunityId: tr.community.GetId(),
		Leader: &pb.Contact{Name: "赵医生", Role: "队长"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := team.GetVolunteerTeam().GetId()
	if again, err := api.CreateVolunteerTeam(ctx, &pb.CreateVolunteerTeamRequest{RequestId: "义诊队", VolunteerTeam: &pb.VolunteerTeam{
		Name: "x", Kind: pb.TeamKind_TEAM_KIND_HEALTH, CommunityId: tr.community.GetId()}}); err != nil || again.GetVolunteerTeam().GetId() != id {
		t.Errorf("a retried request: %v, %v; want the same team", again, err)
	}
	up, err := api.UpdateVolunteerTeam(ctx, &pb.UpdateVolunteerTeamRequest{VolunteerTeam: &pb.VolunteerTeam{Id: id,
		Leader: &pb.Contact{Name: "钱医生", Role: "队长"}}, UpdateMask: mask("leader")})
	if err != nil || up.GetVolunteerTeam().GetLeader().GetName() != "钱医生" || up.GetVolunteerTeam().GetName() != "新华社区健康服务队" {
		t.Errorf("a new leader: %v, %v", up, err)
	}
	if _, err := api.UpdateVolunteerTeam(ctx, &pb.UpdateVolunteerTeamRequest{VolunteerTeam: &pb.VolunteerTeam{Id: id,
		CommunityId: tr.neighbour.GetId()}, UpdateMask: mask("community_id")}); status(err) != codes.InvalidArgument {
		t.Errorf("moving a team to another community: %v, want InvalidArgument", err)
	}
	m1, m2 := cobuild.NewID(), cobuild.NewID()
	added, err := api.AddVolunteers(ctx, &pb.AddVolunteersRequest{TeamId: id, Volunteers: []*pb.Volunteer{
		{MemberId: m1, Skills: "内科"}, {MemberId: m2}, {Name: "王护士", Skills: "护理"}}})
	if err != nil {
		t.Fatal(err)
	}
	vs := added.GetVolunteers()
	_, err = api.AddVolunteers(ctx, &pb.AddVolunteersRequest{TeamId: id, Volunteers: []*pb.Volunteer{{Name: "新人"}, {MemberId: m2}}})
	if diff := cmp.Diff(refusal{codes.AlreadyExists, []string{"volunteers[1].member_id"}}, refusalOf(err)); diff != "" {
		t.Errorf("a party member added twice (-want +got):\n%s", diff)
	}
	_, err = api.AddVolunteers(ctx, &pb.AddVolunteersRequest{TeamId: id, Volunteers: []*pb.Volunteer{{Skills: "无名"}}})
	if diff := cmp.Diff(refusal{codes.InvalidArgument, []string{"volunteers[0].name"}}, refusalOf(err)); diff != "" {
		t.Errorf("a volunteer with no member id and no name (-want +got):\n%s", diff)
	}
	rec, err := api.RecordVolunteerService(ctx, &pb.RecordVolunteerServiceRequest{ServiceRecord: &pb.ServiceRecord{TeamId: id,
		Date: "2026-06-13", Title: "社区义诊", VolunteerIds: []string{vs[0].GetId(), vs[2].GetId()}, Hours: 3, Served: 85}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{m1}, rec.GetServiceRecord().GetMemberIds()); diff != "" {
		t.Errorf("the party members who served (-want +got):\n%s", diff)
	}
	if _, err := api.RemoveVolunteer(ctx, &pb.RemoveVolunteerRequest{TeamId: id, VolunteerId: vs[2].GetId()}); err != nil {
		t.Fatal(err)
	}
	_, err = api.RecordVolunteerService(ctx, &pb.RecordVolunteerServiceRequest{ServiceRecord: &pb.ServiceRecord{TeamId: id,
		Date: "2026-06-14", Title: "健康讲座", VolunteerIds: []string{vs[1].GetId(), vs[2].GetId()}, Hours: 2}})
	if diff := cmp.Diff(refusal{codes.FailedPrecondition, []string{"service_record.volunteer_ids[1]"}}, refusalOf(err)); diff != "" {
		t.Errorf("a service by a volunteer who left (-want +got):\n%s", diff)
	}
	got, err := api.GetVolunteerTeam(ctx, &pb.GetVolunteerTeamRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	g := got.GetVolunteerTeam()
	if g.GetVolunteerCount() != 2 || g.GetPartyMemberCount() != 2 || g.GetServiceHours() != 6 || g.GetDistrictId() != tr.district.GetId() {
		t.Errorf("the team: %d volunteers, %d party members, %v hours, district %s; want 2, 2, 6, %s", g.GetVolunteerCount(),
			g.GetPartyMemberCount(), g.GetServiceHours(), g.GetDistrictId(), tr.district.GetId())
	}
	list, err := api.ListVolunteers(ctx, &pb.ListVolunteersRequest{TeamId: id})
	if err != nil {
		t.Fatal(err)
	}
	hours := map[string]float64{}
	for _, v := range list.GetVolunteers() {
		hours[v.GetMemberId()+v.GetName()] = v.GetServiceHours()
	}
	if diff := cmp.Diff(map[string]float64{m1: 3, m2: 0}, hours); diff != "" {
		t.Errorf("the current volunteers' hours (-want +got):\n%s", diff)
	}
	services, err := api.ListVolunteerServices(ctx, &pb.ListVolunteerServicesRequest{TeamId: id})
	if err != nil || len(services.GetServiceRecords()) != 1 {
		t.Errorf("the team's services: %v, %v", services, err)
	}
	byKind, err := api.ListVolunteerTeams(ctx, &pb.ListVolunteerTeamsRequest{AncestorId: tr.street.GetId(), Kind: pb.TeamKind_TEAM_KIND_HEALTH})
	if err != nil || len(byKind.GetVolunteerTeams()) != 1 {
		t.Errorf("the street's health teams: %v, %v", byKind, err)
	}
	served := waitEvents[*pb.VolunteerServiceRecorded](t, h, 1)
	if diff := cmp.Diff([]string{m1}, served[0].GetServiceRecord().GetMemberIds()); diff != "" || served[0].GetCommunityId() != tr.community.GetId() {
		t.Errorf("the service's event: %v (-want +got):\n%s", served[0], diff)
	}
	teams := waitEvents[*pb.VolunteerTeamChanged](t, h, 2)
	if !teams[0].GetCreated() || teams[1].GetCreated() || teams[1].GetVolunteerTeam().GetLeader().GetName() != "钱医生" {
		t.Errorf("the team's events: %v", teams)
	}
	changes := waitEvents[*pb.VolunteersChanged](t, h, 2)
	if len(changes[0].GetJoined()) != 3 || len(changes[1].GetLeft()) != 1 || changes[1].GetLeft()[0].GetName() != "王护士" {
		t.Errorf("the volunteers' events: %v", changes)
	}
}

func TestBadTeamsAreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	u := h.unit(t, tr.community.GetId(), "同江市司法局")
	api := h.venueAPI(cityAdmin).teams
	for _, tt := range []struct {
		name string
		team *pb.VolunteerTeam
		want refusal
	}{
		{"no one behind it", &pb.VolunteerTeam{Name: "t", Kind: pb.TeamKind_TEAM_KIND_LEGAL},
			refusal{codes.InvalidArgument, []string{"volunteer_team.community_id"}}},
		{"both a community and a unit", &pb.VolunteerTeam{Name: "t", Kind: pb.TeamKind_TEAM_KIND_LEGAL, CommunityId: tr.community.GetId(), UnitId: u.GetId()},
			refusal{codes.InvalidArgument, []string{"volunteer_team.unit_id"}}},
		{"a street for a community", &pb.VolunteerTeam{Name: "t", Kind: pb.TeamKind_TEAM_KIND_LEGAL, CommunityId: tr.street.GetId()},
			refusal{codes.FailedPrecondition, []string{"volunteer_team.community_id"}}},
		{"a unit that does not exist", &pb.VolunteerTeam{Name: "t", Kind: pb.TeamKind_TEAM_KIND_LEGAL, UnitId: cobuild.NewID()},
			refusal{codes.FailedPrecondition, []string{"volunteer_team.unit_id"}}},
		{"no kind", &pb.VolunteerTeam{Name: "t", CommunityId: tr.community.GetId()},
			refusal{codes.InvalidArgument, []string{"volunteer_team.kind"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := api.CreateVolunteerTeam(servicetest.Ctx(t), &pb.CreateVolunteerTeamRequest{VolunteerTeam: tt.team})
			if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if n := h.count(t, `SELECT count(*) FROM volunteer_teams`); n != 0 {
		t.Errorf("%d teams written", n)
	}
}
