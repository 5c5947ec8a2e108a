package grpcapi_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// TestAJointActivityAnnouncesTheMembersWhoTookPart: the event carries the
// in-service members by id, for their contact cards.
func TestAJointActivityAnnouncesTheMembersWhoTookPart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	u := h.unit(t, tr.neighbour.GetId(), "同江市卫健局")
	members := []string{cobuild.NewID(), cobuild.NewID()}
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
