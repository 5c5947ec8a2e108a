package grpcapi_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/wiring"
)

// TestMonthlyReportsAreDueOnTheDistrictsDay: on 2026-06-17, with the
// default due day (the 10th of the next month), January to May have
// closed; June is open; July has not begun. A late report is taken and
// marked late; a month with no report is found missed once.
func TestMonthlyReportsAreDueOnTheDistrictsDay(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	u := h.unit(t, tr.community.GetId(), "同江市供电公司")
	a := h.agreement(t, tr.community.GetId(), u.GetId(), "2026-01-01", "2026-12-31")
	c := tr.community.GetId()

	feb, err := h.reports.CreateUnitReport(servicetest.Ctx(t), &pb.CreateUnitReportRequest{UnitReport: reportOf(u.GetId(), c, "2026-02")})
	if err != nil {
		t.Fatal(err)
	}
	if r := feb.GetUnitReport(); !r.GetLate() || r.GetDueDate() != "2026-03-10" || r.GetAgreementId() != a.GetId() {
		t.Errorf("February filed in June: %+v; want late, due 2026-03-10, under the agreement", r)
	}
	jun, err := h.reports.CreateUnitReport(servicetest.Ctx(t), &pb.CreateUnitReportRequest{UnitReport: reportOf(u.GetId(), c, "2026-06")})
	if err != nil {
		t.Fatal(err)
	}
	if r := jun.GetUnitReport(); r.GetLate() || r.GetDueDate() != "2026-07-10" {
		t.Errorf("June filed in June: %+v; want on time, due 2026-07-10", r)
	}

	if err := h.Service.Sweep(servicetest.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	missed := waitEvents[*pb.UnitReportMissed](t, h, 4)
	var months []string
	for _, m := range missed {
		months = append(months, m.GetMonth())
		if m.GetUnitId() != u.GetId() || m.GetCommunityId() != c || m.GetDistrictId() != tr.district.GetId() || m.GetAgreementId() != a.GetId() {
			t.Errorf("missed event %+v does not name the unit, community, district and agreement", m)
		}
	}
	if diff := cmp.Diff([]string{"2026-01", "2026-03", "2026-04", "2026-05"}, sorted(months)); diff != "" {
		t.Errorf("missed months (-want +got):\n%s", diff)
	}

	// March, late; a second sweep finds nothing new.
	if _, err := h.reports.CreateUnitReport(servicetest.Ctx(t), &pb.CreateUnitReportRequest{UnitReport: reportOf(u.GetId(), c, "2026-03")}); err != nil {
		t.Fatal(err)
	}
	if err := h.Service.Sweep(servicetest.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	list, err := h.reports.ListMissedReports(servicetest.Ctx(t), &pb.ListMissedReportsRequest{UnitId: u.GetId(), Month: "2026-03"})
	if err != nil || len(list.GetMissedReports()) != 1 || list.GetMissedReports()[0].GetReportId() == "" {
		t.Errorf("March's miss lists the late report: %v, %v", list, err)
	}
	late, err := h.reports.ListUnitReports(servicetest.Ctx(t), &pb.ListUnitReportsRequest{CommunityId: c, LateOnly: true})
	if err != nil || len(late.GetUnitReports()) != 2 {
		t.Errorf("late reports: %v, %v; want February and March", late, err)
	}

	// A month closes on the district's day: the 20th, set now, closes June
	// on 2026-07-20, not the 10th.
	if _, err := h.settings.UpdateCoBuildingSettings(servicetest.Ctx(t), &pb.UpdateCoBuildingSettingsRequest{DistrictId: tr.district.GetId(),
		Settings: &pb.CoBuildingSettings{ReportDueDay: 20, CommunityMeetingMonths: 6, CountyMeetingMonths: 3}}); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(day0.AddDate(0, 1, 0)) // 2026-07-17
	if err := h.Service.Sweep(servicetest.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(day0.AddDate(0, 1, 4)) // 2026-07-21: June is reported, so nothing is missed.
	if err := h.Service.Sweep(servicetest.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := h.count(t, `SELECT count(*) FROM missed_reports`); n != 4 {
		t.Errorf("%d missed months after the sweeps, want still 4", n)
	}
	jul, err := h.reports.CreateUnitReport(servicetest.Ctx(t), &pb.CreateUnitReportRequest{UnitReport: reportOf(u.GetId(), c, "2026-07")})
	if err != nil || jul.GetUnitReport().GetDueDate() != "2026-08-20" {
		t.Errorf("July under the district's day: %v, %v; want due 2026-08-20", jul, err)
	}
	if n := len(eventsOf[*pb.UnitReportMissed](t, h)); n != 4 {
		t.Errorf("%d missed events on the stream, want 4", n)
	}
}

func TestBadReportsAreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	u := h.unit(t, tr.community.GetId(), "同江市自来水公司")
	other := h.unit(t, tr.community.GetId(), "没有协议的单位")
	h.agreement(t, tr.community.GetId(), u.GetId(), "2026-03-01", "2026-12-31")
	c := tr.community.GetId()
	if _, err := h.reports.CreateUnitReport(servicetest.Ctx(t), &pb.CreateUnitReportRequest{UnitReport: reportOf(u.GetId(), c, "2026-05")}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		in   *pb.UnitReport
		want refusal
	}{
		{"a month that has not begun", reportOf(u.GetId(), c, "2026-07"), refusal{codes.InvalidArgument, []string{"unit_report.month"}}},
		{"a month before the agreement", reportOf(u.GetId(), c, "2026-02"), refusal{codes.FailedPrecondition, []string{"unit_report.unit_id"}}},
		{"a unit without an agreement", reportOf(other.GetId(), c, "2026-05"), refusal{codes.FailedPrecondition, []string{"unit_report.unit_id"}}},
		{"a month reported before", reportOf(u.GetId(), c, "2026-05"), refusal{codes.AlreadyExists, []string{"unit_report.month"}}},
		{"a month that is no month", reportOf(u.GetId(), c, "2026-13"), refusal{codes.InvalidArgument, []string{"unit_report.month"}}},
		{"no area", func() *pb.UnitReport { r := reportOf(u.GetId(), c, "2026-04"); r.Items = nil; return r }(),
			refusal{codes.InvalidArgument, []string{"unit_report.items"}}},
		{"more party members than people", func() *pb.UnitReport {
			r := reportOf(u.GetId(), c, "2026-04")
			r.Items[0].MemberAttendance = 41
			return r
		}(), refusal{codes.InvalidArgument, []string{"unit_report.items.member_attendance"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.reports.CreateUnitReport(servicetest.Ctx(t), &pb.CreateUnitReportRequest{UnitReport: tt.in})
			if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if n := h.count(t, `SELECT count(*) FROM unit_reports`); n != 1 {
		t.Errorf("%d reports written, want only May's", n)
	}
	_, err := h.settings.UpdateCoBuildingSettings(servicetest.Ctx(t), &pb.UpdateCoBuildingSettingsRequest{DistrictId: tr.district.GetId(),
		Settings: &pb.CoBuildingSettings{ReportDueDay: 31, CommunityMeetingMonths: 5, CountyMeetingMonths: 3}})
	if diff := cmp.Diff(refusal{codes.InvalidArgument, []string{"settings.community_meeting_months", "settings.report_due_day"}}, refusalOf(err)); diff != "" {
		t.Errorf("bad settings (-want +got):\n%s", diff)
	}
	r, err := h.reports.ListUnitReports(servicetest.Ctx(t), &pb.ListUnitReportsRequest{UnitId: u.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	upd, err := h.reports.UpdateUnitReport(servicetest.Ctx(t), &pb.UpdateUnitReportRequest{
		UnitReport: &pb.UnitReport{Id: r.GetUnitReports()[0].GetId(), Summary: "更正后的总结"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"summary"}}})
	if err != nil || upd.GetUnitReport().GetSummary() != "更正后的总结" || upd.GetUnitReport().GetVersion() != 2 || len(upd.GetUnitReport().GetItems()) != 1 {
		t.Errorf("a correction: %v, %v", upd, err)
	}
}

// TestTheMissedReportSweepReportsEachMonthOnceAcrossReplicas: two replicas
// of the service on one database and one NATS sweep at once, several times
// over; each missed month is recorded and published exactly once.
func TestTheMissedReportSweepReportsEachMonthOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	second := servicetest.Start(t, wiring.Spec(&wiring.Config{SweepInterval: 1}), servicetest.WithPool(h.Pool),
		servicetest.WithNATS(h.NC.ConnectedUrl()), servicetest.WithClock(h.clock.Now))
	tr := h.tree(t)
	const units = 40
	for i := range units {
		u := h.unit(t, []string{tr.community.GetId(), tr.neighbour.GetId()}[i%2], fmt.Sprintf("单位%02d", i))
		h.agreement(t, tr.community.GetId(), u.GetId(), "2026-01-01", "2026-12-31")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		sweep := []func(ctx contextT) error{h.Service.Sweep, second.Service.Sweep}[i%2]
		wg.Add(1)
		go func() { defer wg.Done(); errs <- sweep(servicetest.Ctx(t)) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	const want = units * 5 // January to May
	if n := h.count(t, `SELECT count(*) FROM missed_reports`); n != want {
		t.Fatalf("%d missed months recorded, want %d", n, want)
	}
	evs := waitEvents[*pb.UnitReportMissed](t, h, want)
	seen := map[string]bool{}
	for _, e := range evs {
		key := e.GetUnitId() + "/" + e.GetMonth()
		if seen[key] {
			t.Errorf("%s published twice", key)
		}
		seen[key] = true
	}
	if len(evs) != want {
		t.Errorf("%d missed events, want %d", len(evs), want)
	}
}
