package grpcapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// TestAJointActivityAnnouncesTheMembersWhoTookPart: the event carries the
// in-service members by id, for their contact cards.
func TestAJointActivityAnnouncesTheMembersWhoTookPart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	u := h.unit(t, tr.neighbour.GetId(), "同江市卫健局")
	// One member registered in service with the organising community, one
	// with the participating unit's; a member registered with a community
	// of another street, and one never registered, are refused naming the
	// field, and nothing is recorded.
	members := []string{h.inService(t, tr.community.GetId()), h.inService(t, tr.neighbour.GetId())}
	for _, stranger := range []string{h.inService(t, tr.farCommunity.GetId()), cobuild.NewID()} {
		_, err := h.activities.CreateJointActivity(servicetest.Ctx(t), &pb.CreateJointActivityRequest{JointActivity: &pb.JointActivity{
			Title: "大型义诊", Area: pb.Area_AREA_COMMUNITY_SERVICE, Date: "2026-06-13", CommunityIds: []string{tr.community.GetId()},
			UnitIds: []string{u.GetId()}, Attendance: 120, MemberAttendance: 15, MemberIds: append(slices.Clone(members), stranger), Hours: 3}})
		if got := refusalOf(err); got.Code != codes.FailedPrecondition || !slices.Equal(got.Fields, []string{"joint_activity.member_ids"}) ||
			!strings.Contains(err.Error(), stranger) {
			t.Errorf("a member not registered with the organisers: %v", err)
		}
	}
	if n := h.count(t, `SELECT count(*) FROM joint_activities`); n != 0 {
		t.Fatalf("%d activities recorded by refused requests", n)
	}
	resp, err := h.activities.CreateJointActivity(servicetest.Ctx(t), &pb.CreateJointActivityRequest{RequestId: "义诊-1", JointActivity: &pb.JointActivity{
		Title: "大型义诊", Area: pb.Area_AREA_COMMUNITY_SERVICE, Date: "2026-06-13", CommunityIds: []string{tr.community.GetId()},
		UnitIds: []string{u.GetId()}, Attendance: 120, MemberAttendance: 15, MemberIds: members, Hours: 3}})
	if err != nil {
		t.Fatal(err)
	}
	a := resp.GetJointActivity()
	again, err := h.activities.CreateJointActivity(servicetest.Ctx(t), &pb.CreateJointActivityRequest{RequestId: "义诊-1", JointActivity: &pb.JointActivity{
		Title: "大型义诊", Area: pb.Area_AREA_COMMUNITY_SERVICE, Date: "2026-06-13", CommunityIds: []string{tr.community.GetId()}, Attendance: 1}})
	if err != nil || again.GetJointActivity().GetId() != a.GetId() {
		t.Errorf("a retried request: %v, %v; want the same activity", again, err)
	}
	evs := waitEvents[*pb.JointActivityRecorded](t, h, 1)
	if len(evs) != 1 || evs[0].GetDistrictId() != tr.district.GetId() {
		t.Fatalf("activity events: %v", evs)
	}
	if diff := cmp.Diff(members, evs[0].GetJointActivity().GetMemberIds()); diff != "" {
		t.Errorf("members in the event (-want +got):\n%s", diff)
	}
	list, err := h.activities.ListJointActivities(servicetest.Ctx(t), &pb.ListJointActivitiesRequest{UnitId: u.GetId()})
	if err != nil || len(list.GetJointActivities()) != 1 {
		t.Errorf("the unit's activities: %v, %v", list, err)
	}
	byArea, err := h.activities.ListJointActivities(servicetest.Ctx(t), &pb.ListJointActivitiesRequest{AncestorId: tr.street.GetId(), Area: pb.Area_AREA_ENVIRONMENT})
	if err != nil || len(byArea.GetJointActivities()) != 0 {
		t.Errorf("the street's environment activities: %v, %v; want none", byArea, err)
	}
}

func TestBadActivitiesAreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	far := h.unit(t, tr.farCommunity.GetId(), "街津口乡政府")
	ok := func() *pb.JointActivity {
		return &pb.JointActivity{Title: "环境整治", Area: pb.Area_AREA_ENVIRONMENT, Date: "2026-06-01",
			CommunityIds: []string{tr.community.GetId()}, Attendance: 50, MemberAttendance: 10}
	}
	for _, tt := range []struct {
		name   string
		change func(a *pb.JointActivity)
		want   refusal
	}{
		{"a unit outside the organisers' streets", func(a *pb.JointActivity) { a.UnitIds = []string{far.GetId()} },
			refusal{codes.InvalidArgument, []string{"joint_activity.unit_ids"}}},
		{"no organising community", func(a *pb.JointActivity) { a.CommunityIds = nil },
			refusal{codes.InvalidArgument, []string{"joint_activity.community_ids"}}},
		{"no area", func(a *pb.JointActivity) { a.Area = 0 }, refusal{codes.InvalidArgument, []string{"joint_activity.area"}}},
		{"more members named than took part", func(a *pb.JointActivity) {
			a.MemberIds = []string{cobuild.NewID(), cobuild.NewID()}
			a.MemberAttendance = 1
		}, refusal{codes.InvalidArgument, []string{"joint_activity.member_ids"}}},
		{"a member id that is no id", func(a *pb.JointActivity) { a.MemberIds = []string{"张三"} },
			refusal{codes.InvalidArgument, []string{"joint_activity.member_ids[0]"}}},
		{"in the future", func(a *pb.JointActivity) { a.Date = "2026-06-18" }, refusal{codes.InvalidArgument, []string{"joint_activity.date"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := ok()
			tt.change(a)
			_, err := h.activities.CreateJointActivity(servicetest.Ctx(t), &pb.CreateJointActivityRequest{JointActivity: a})
			if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if n := h.count(t, `SELECT count(*) FROM joint_activities`); n != 0 {
		t.Errorf("%d activities written", n)
	}
}

// inService registers a new member in service with the community, as the
// member service announces it, and waits until the service knows it.
func (h *harness) inService(t *testing.T, community string) string {
	t.Helper()
	member := cobuild.NewID()
	r := &memberv1.Registration{Id: cobuild.NewID(), MemberId: member, CommunityId: community,
		Kind: memberv1.RegistrationKind_REGISTRATION_KIND_UNIT_LOCATION, ReportDate: "2026-03-01", UpdateTime: timestamppb.New(day0)}
	h.publish(t, "gongjian.member.v1.in_service_registered", &memberv1.InServiceRegistered{EventId: cobuild.NewID(), Registration: r}, cobuild.NewID())
	servicetest.WaitFor(t, "the registration", func() bool {
		return h.count(t, `SELECT count(*) FROM in_service_registrations WHERE member_id = $1`, member) == 1
	})
	return member
}
