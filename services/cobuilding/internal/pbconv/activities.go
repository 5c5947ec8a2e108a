package pbconv

import (
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/activities"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// Activity is the API's activity.
func Activity(a *activities.Activity) *pb.JointActivity {
	return &pb.JointActivity{
		Id: a.ID, Title: a.Title, Area: Area(a.Area), Date: cobuild.FormatDate(a.Date), CommunityIds: a.CommunityIDs,
		UnitIds: a.UnitIDs, Attendance: int32(a.Attendance), MemberAttendance: int32(a.MemberAttendance),
		MemberIds: a.MemberIDs, Description: a.Description, Hours: a.Hours, RecordedBy: a.RecordedBy,
		CreateTime: ts(a.Created),
	}
}

// ActivityOf is the domain's activity of an API one.
func ActivityOf(a *pb.JointActivity) (*activities.Activity, error) {
	d, err := DateOf("joint_activity.date", a.GetDate())
	if err != nil {
		return nil, err
	}
	return &activities.Activity{ID: a.GetId(), Title: a.GetTitle(), Area: AreaOf(a.GetArea()), Date: d,
		CommunityIDs: a.GetCommunityIds(), UnitIDs: a.GetUnitIds(), Attendance: int(a.GetAttendance()),
		MemberAttendance: int(a.GetMemberAttendance()), MemberIDs: a.GetMemberIds(), Description: a.GetDescription(),
		Hours: a.GetHours()}, nil
}
