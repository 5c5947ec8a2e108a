package pbconv

import (
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/reports"
)

// Report is the API's report.
func Report(r *reports.Report) *pb.UnitReport {
	items := make([]*pb.ReportItem, 0, len(r.Items))
	for _, it := range r.Items {
		items = append(items, &pb.ReportItem{Area: Area(it.Area), Text: it.Text, Activities: int32(it.Activities),
			Attendance: int32(it.Attendance), MemberAttendance: int32(it.MemberAttendance)})
	}
	return &pb.UnitReport{
		Id: r.ID, UnitId: r.UnitID, CommunityId: r.CommunityID, Month: r.Month.String(), Summary: r.Summary,
		Items: items, AgreementId: r.AgreementID, DueDate: cobuild.FormatDate(r.Due), Late: r.Late, FiledBy: r.FiledBy,
		Version: r.Version, CreateTime: ts(r.Created), UpdateTime: ts(r.Updated),
	}
}

// ReportOf is the domain's report of an API one, its month read and named
// when it is not a month.
func ReportOf(r *pb.UnitReport) (*reports.Report, error) {
	out := &reports.Report{ID: r.GetId(), UnitID: r.GetUnitId(), CommunityID: r.GetCommunityId(), Summary: r.GetSummary()}
	for _, it := range r.GetItems() {
		out.Items = append(out.Items, reports.Item{Area: AreaOf(it.GetArea()), Text: it.GetText(),
			Activities: int(it.GetActivities()), Attendance: int(it.GetAttendance()), MemberAttendance: int(it.GetMemberAttendance())})
	}
	if r.GetMonth() != "" {
		m, err := cobuild.ParseMonth("unit_report.month", r.GetMonth())
		if err != nil {
			return nil, err
		}
		out.Month = m
	}
	return out, nil
}

// Missed is the API's missed month.
func Missed(m reports.Missed) *pb.MissedReport {
	return &pb.MissedReport{UnitId: m.UnitID, CommunityId: m.CommunityID, Month: m.Month.String(),
		DueDate: cobuild.FormatDate(m.Due), AgreementId: m.AgreementID, ReportId: m.ReportID, DetectTime: ts(m.Detected)}
}
