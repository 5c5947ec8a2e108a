package demo_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"gongjian.dev/deploy/local/demo"
	cobuildingv1 "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	supervisionv1 "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// TestCoBuildingLoadsOnceThroughTheAPI loads the city, its members and
// Tongjiang's co-building year twice, and reads back what the services
// hold: document 002's figures, the second load having created nothing,
// the activities counted on the in-service members' cards by the member
// service, the units without a party organisation in the organisation
// service's compliance report, the residents' requests by state, kind,
// channel and handler with their rates per community, the two-way
// evaluation of the last two years, and the supervision service's
// interviews of the units graded ordinary two years running.
func TestCoBuildingLoadsOnceThroughTheAPI(t *testing.T) {
	ctx := t.Context()
	conns := startServices(t, 4)
	orgs, members, cob, sup := conns[0], conns[1], conns[2], conns[3]
	sum, err := demo.Load(ctx, orgs, time.Now(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadMembers(ctx, members, sum, testLogger(t)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	first, err := demo.LoadCoBuilding(ctx, cob, members, sum, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("co-building loaded in %s: %s", time.Since(start).Round(time.Millisecond), first)
	again, err := demo.LoadCoBuilding(ctx, cob, members, sum, testLogger(t))
	if err != nil {
		t.Fatalf("loading again: %v", err)
	}
	if again != first {
		t.Errorf("the second load found %+v, the first made %+v", again, first)
	}

	var tongjiang string
	for _, o := range listAll(t, orgs, &orgv1.ListOrganisationsRequest{Kind: orgv1.OrganisationKind_ORGANISATION_KIND_DISTRICT}) {
		if o.GetCode() == "GJ-TJ" {
			tongjiang = o.GetId()
		}
	}
	t.Run("the document's figures", func(t *testing.T) {
		want := demo.CoBuildingSummary{Units: 164, Gaps: 4, Agreements: 160, Meetings: 45, Ledgers: 10, ItemsClosed: 71,
			ItemsOpen: first.ItemsOpen, ItemsOverdue: first.ItemsOverdue, Activities: 75, Attendance: first.Attendance,
			Reports: first.Reports, MissedMonths: first.MissedMonths, Registered: first.Registered, MembersNamed: first.MembersNamed,
			Sharing: demo.SharingSummary{Venues: 16, Bookings: 64, Teams: 21, Volunteers: 1300, PartyVolunteers: first.Sharing.PartyVolunteers,
				Services: 84, ServiceHours: first.Sharing.ServiceHours},
			Requests: first.Requests, Evaluations: first.Evaluations}
		if first != want || first.ItemsOpen == 0 || first.ItemsOverdue == 0 || first.MissedMonths == 0 ||
			first.Reports+first.MissedMonths != 160*12 || first.Attendance < 4900 || first.Attendance > 5300 || first.MembersNamed == 0 ||
			first.Sharing.PartyVolunteers < 100 || first.Sharing.ServiceHours < 84*6*2 {
			t.Errorf("loaded %+v", first)
		}
	})
	t.Run("the co-building service holds what the load says, the units unevenly in the nine communities", func(t *testing.T) {
		c := coClients(cob)
		units := pages(t, func(token string) ([]*cobuildingv1.ResidentUnit, string, error) {
			r, err := c.units.ListResidentUnits(ctx, &cobuildingv1.ListResidentUnitsRequest{AncestorId: tongjiang, PageSize: 500, PageToken: token})
			return r.GetResidentUnits(), r.GetNextPageToken(), err
		})
		perCommunity := map[string]int{}
		for _, u := range units {
			perCommunity[u.GetCommunityId()]++
		}
		counts := slices.Sorted(func(yield func(int) bool) {
			for _, n := range perCommunity {
				if !yield(n) {
					return
				}
			}
		})
		if len(units) != first.Units || len(perCommunity) != 9 || counts[0]*2 > counts[len(counts)-1] {
			t.Errorf("%d units in %d communities (%v): want %d in 9, unevenly", len(units), len(perCommunity), counts, first.Units)
		}
		agreements := pages(t, func(token string) ([]*cobuildingv1.Agreement, string, error) {
			r, err := c.agreements.ListAgreements(ctx, &cobuildingv1.ListAgreementsRequest{AncestorId: tongjiang, PageSize: 500, PageToken: token})
			return r.GetAgreements(), r.GetNextPageToken(), err
		})
		reports := pages(t, func(token string) ([]*cobuildingv1.UnitReport, string, error) {
			r, err := c.reports.ListUnitReports(ctx, &cobuildingv1.ListUnitReportsRequest{AncestorId: tongjiang, PageSize: 500, PageToken: token})
			return r.GetUnitReports(), r.GetNextPageToken(), err
		})
		meetings := pages(t, func(token string) ([]*cobuildingv1.JointMeeting, string, error) {
			r, err := c.meetings.ListJointMeetings(ctx, &cobuildingv1.ListJointMeetingsRequest{AncestorId: tongjiang, PageSize: 500, PageToken: token})
			return r.GetJointMeetings(), r.GetNextPageToken(), err
		})
		items := pages(t, func(token string) ([]*cobuildingv1.LedgerItem, string, error) {
			r, err := c.items.ListLedgerItems(ctx, &cobuildingv1.ListLedgerItemsRequest{AncestorId: tongjiang, PageSize: 500, PageToken: token})
			return r.GetLedgerItems(), r.GetNextPageToken(), err
		})
		activities := pages(t, func(token string) ([]*cobuildingv1.JointActivity, string, error) {
			r, err := c.activities.ListJointActivities(ctx, &cobuildingv1.ListJointActivitiesRequest{AncestorId: tongjiang, PageSize: 500, PageToken: token})
			return r.GetJointActivities(), r.GetNextPageToken(), err
		})
		closed, attendance := 0, 0
		for _, it := range items {
			if it.GetStatus() == cobuildingv1.LedgerItemStatus_LEDGER_ITEM_STATUS_CLOSED {
				closed++
			}
		}
		for _, a := range activities {
			attendance += int(a.GetAttendance())
		}
		got := []int{len(agreements), len(reports), len(meetings), closed, len(items), len(activities), attendance}
		want := []int{first.Agreements + first.Evaluations.PastAgreements, first.Reports + first.Evaluations.PastReports, first.Meetings, first.ItemsClosed,
			first.ItemsClosed + first.ItemsOpen + first.ItemsOverdue, first.Activities, first.Attendance}
		if !slices.Equal(got, want) {
			t.Errorf("agreements, reports, meetings, items closed, items, activities, attendance: %v, want %v", got, want)
		}
	})
	t.Run("the residents' requests are in every state, kind and channel, and their rates read per community", func(t *testing.T) {
		rq := first.Requests
		if rq.Requests != 460 || rq.Received == 0 || rq.Assigned == 0 || rq.Accepted == 0 || rq.Answered == 0 || rq.Rated == 0 || rq.Closed == 0 ||
			rq.Claimed == 0 || rq.Communities != 9 || rq.ResponseRate <= 0.7 || rq.ResponseRate > 1 || rq.OnTimeRate != 1 ||
			rq.ResolutionRate < 0.8 || rq.ResolutionRate >= 1 || rq.Satisfaction < 0.8 || rq.Satisfaction >= 1 {
			t.Errorf("requests %+v", rq)
		}
		c := cobuildingv1.NewServiceRequestServiceClient(cob)
		all := pages(t, func(token string) ([]*cobuildingv1.ServiceRequest, string, error) {
			r, err := c.ListServiceRequests(ctx, &cobuildingv1.ListServiceRequestsRequest{AncestorId: tongjiang, PageSize: 500, PageToken: token})
			return r.GetServiceRequests(), r.GetNextPageToken(), err
		})
		kinds, channels, handlers := map[cobuildingv1.ServiceRequestKind]int{}, map[cobuildingv1.ServiceRequestChannel]int{}, map[string]int{}
		for _, q := range all {
			kinds[q.GetKind()]++
			channels[q.GetChannel()]++
			if h := q.GetHandler(); h != nil {
				handlers[q.GetKind().String()+"/"+h.GetKind().String()]++
			}
			if !q.GetPersonalDataMasked() {
				t.Errorf("a listed request shows its resident: %v", q)
			}
		}
		for _, k := range []string{"SERVICE_REQUEST_KIND_MICRO_WISH/HANDLER_KIND_MEMBER", "SERVICE_REQUEST_KIND_MICRO_WISH/HANDLER_KIND_VOLUNTEER_TEAM",
			"SERVICE_REQUEST_KIND_CLAIM_AND_HANDLE/HANDLER_KIND_UNIT", "SERVICE_REQUEST_KIND_HOME_VISIT/HANDLER_KIND_ORGANISATION",
			"SERVICE_REQUEST_KIND_HANDLE_ON_BEHALF/HANDLER_KIND_UNIT"} {
			if handlers[k] == 0 {
				t.Errorf("no request %s: %v", k, handlers)
			}
		}
		if len(all) != rq.Requests || len(kinds) != 5 || len(channels) != 4 {
			t.Errorf("%d requests of %d kinds through %d channels, want %d of 5 through 4", len(all), len(kinds), len(channels), rq.Requests)
		}
		rates, err := c.GetServiceRequestRates(ctx, &cobuildingv1.GetServiceRequestRatesRequest{OrganisationId: tongjiang, Month: rq.Month})
		if err != nil {
			t.Fatal(err)
		}
		received := 0
		for _, cr := range rates.GetCommunities() {
			received += int(cr.GetReceived())
			if cr.GetReceived() == 0 || cr.GetRated() == 0 || cr.GetResponseRate() <= 0 || cr.GetSatisfactionRate() <= 0.5 {
				t.Errorf("the rates of %s: %v", cr.GetCommunityName(), cr)
			}
		}
		if received != rq.Requests || int(rates.GetTotal().GetReceived()) != rq.Requests {
			t.Errorf("the communities received %d, the total %d, want %d", received, rates.GetTotal().GetReceived(), rq.Requests)
		}
	})
	t.Run("each community and each of its units grade each other for last year, some units ordinary two years running", func(t *testing.T) {
		ev := first.Evaluations
		year := time.Now().Year() - 1
		if ev.LastYear != year || ev.YearBefore != year-1 || ev.GradedLastYear != 2*first.Agreements || ev.PastAgreements != 18 ||
			ev.PastReports != 12*18 || ev.GradedYearBefore != 2*ev.PastAgreements || ev.OrdinaryYearBefore != 3 || ev.OrdinaryTwice != 3 ||
			ev.OrdinaryLastYear < 3 {
			t.Errorf("evaluations %+v", ev)
		}
		c := cobuildingv1.NewEvaluationServiceClient(cob)
		graded := map[string]int{}
		for _, e := range pages(t, func(token string) ([]*cobuildingv1.Evaluation, string, error) {
			r, err := c.ListEvaluations(ctx, &cobuildingv1.ListEvaluationsRequest{Year: int32(year), AncestorId: tongjiang, PageSize: 500, PageToken: token})
			return r.GetEvaluations(), r.GetNextPageToken(), err
		}) {
			graded[e.GetCommunityId()+e.GetDirection().String()]++
			if e.GetVersion() != 1 {
				t.Errorf("a grade corrected by the second load: %v", e)
			}
		}
		if len(graded) != 2*9 {
			t.Errorf("grades by community and direction: %v, want both directions in 9 communities", graded)
		}
	})
	t.Run("the supervision service interviews the units graded ordinary two years running", func(t *testing.T) {
		waitFor(t, "the units found graded ordinary twice", func() bool {
			subjects := map[string]bool{}
			for token := ""; ; {
				r, err := supervisionv1.NewRuleServiceClient(sup).ListFindings(ctx, &supervisionv1.ListFindingsRequest{AncestorId: tongjiang, PageSize: 500, PageToken: token})
				if err != nil {
					return false
				}
				for _, f := range r.GetFindings() {
					if f.GetRuleCode() == "unit_ordinary_two_years" {
						subjects[f.GetSubjectId()] = true
					}
				}
				if token = r.GetNextPageToken(); token == "" {
					break
				}
			}
			interviews, err := supervisionv1.NewInterviewServiceClient(sup).ListInterviews(ctx, &supervisionv1.ListInterviewsRequest{AncestorId: tongjiang, PageSize: 500})
			return err == nil && len(subjects) == first.Evaluations.OrdinaryTwice && len(interviews.GetInterviews()) >= len(subjects)
		})
	})
	t.Run("the member service counts the activities on the cards of the members they name", func(t *testing.T) {
		c := coClients(cob)
		list, err := c.activities.ListJointActivities(ctx, &cobuildingv1.ListJointActivitiesRequest{AncestorId: tongjiang, PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		var named *cobuildingv1.JointActivity
		for _, a := range list.GetJointActivities() {
			if len(a.GetMemberIds()) > 0 {
				named = a
				break
			}
		}
		if named == nil {
			t.Fatal("no activity names an in-service member")
		}
		day, _ := time.Parse(time.DateOnly, named.GetDate())
		rc := memberv1.NewReportingServiceClient(members)
		waitFor(t, "the activity on the cards", func() bool {
			for _, id := range named.GetMemberIds() {
				card, err := rc.GetContactCard(ctx, &memberv1.GetContactCardRequest{MemberId: id, Year: int32(day.Year())})
				if err != nil || !slices.ContainsFunc(card.GetCard().GetEntries(), func(e *memberv1.CardEntry) bool {
					return e.GetSourceActivityId() == named.GetId()
				}) {
					return false
				}
			}
			return true
		})
	})
	t.Run("the venues are booked under the 1+3 rule and the teams hold their volunteers", func(t *testing.T) {
		venues := pages(t, func(token string) ([]*cobuildingv1.Venue, string, error) {
			r, err := cobuildingv1.NewVenueServiceClient(cob).ListVenues(ctx, &cobuildingv1.ListVenuesRequest{AncestorId: tongjiang, PageSize: 500, PageToken: token})
			return r.GetVenues(), r.GetNextPageToken(), err
		})
		bookings := pages(t, func(token string) ([]*cobuildingv1.Booking, string, error) {
			r, err := cobuildingv1.NewBookingServiceClient(cob).ListBookings(ctx, &cobuildingv1.ListBookingsRequest{AncestorId: tongjiang, PageSize: 500, PageToken: token})
			return r.GetBookings(), r.GetNextPageToken(), err
		})
		teams := pages(t, func(token string) ([]*cobuildingv1.VolunteerTeam, string, error) {
			r, err := cobuildingv1.NewVolunteerTeamServiceClient(cob).ListVolunteerTeams(ctx, &cobuildingv1.ListVolunteerTeamsRequest{AncestorId: tongjiang, PageSize: 500, PageToken: token})
			return r.GetVolunteerTeams(), r.GetNextPageToken(), err
		})
		kinds := map[cobuildingv1.BookerKind]int{}
		for _, b := range bookings {
			kinds[b.GetBookerKind()]++
		}
		volunteers := 0
		for _, tm := range teams {
			volunteers += int(tm.GetVolunteerCount())
		}
		got := []int{len(venues), len(bookings), kinds[cobuildingv1.BookerKind_BOOKER_KIND_UNIT], kinds[cobuildingv1.BookerKind_BOOKER_KIND_RESIDENT_GROUP],
			len(teams), volunteers}
		if want := []int{16, 64, 32, 16, 21, 1300}; !slices.Equal(got, want) {
			t.Errorf("venues, bookings, of units, of residents, teams, volunteers: %v, want %v", got, want)
		}
		for _, v := range venues {
			if r := v.GetOpeningRule(); r.GetOfficeStart() != "08:30" || len(r.GetRestDays()) != 2 {
				t.Errorf("a venue not under the 1+3 rule: %v", v)
			}
		}
	})
	t.Run("the units without a party organisation are coverage gaps in the compliance report", func(t *testing.T) {
		comp := orgv1.NewComplianceServiceClient(orgs)
		waitFor(t, "the four unit gaps reported", func() bool {
			rep, err := comp.GetComplianceReport(ctx, &orgv1.GetComplianceReportRequest{OrganisationId: tongjiang, Subtree: true})
			if err != nil {
				return false
			}
			gaps := 0
			for _, r := range rep.GetResults() {
				for _, f := range r.GetFindings() {
					if f.GetSubjectKind() == orgv1.FindingSubjectKind_FINDING_SUBJECT_KIND_RESIDENT_UNIT {
						gaps++
						if !strings.Contains(f.GetOrganisationName(), "赫哲") {
							t.Errorf("a unit gap in %s, want 赫哲 only", f.GetOrganisationName())
						}
					}
				}
			}
			return gaps == first.Gaps
		})
	})
}

type coClientSet struct {
	units      cobuildingv1.ResidentUnitServiceClient
	agreements cobuildingv1.AgreementServiceClient
	reports    cobuildingv1.UnitReportServiceClient
	meetings   cobuildingv1.JointMeetingServiceClient
	items      cobuildingv1.LedgerItemServiceClient
	activities cobuildingv1.JointActivityServiceClient
}

func coClients(conn *grpc.ClientConn) coClientSet {
	return coClientSet{cobuildingv1.NewResidentUnitServiceClient(conn), cobuildingv1.NewAgreementServiceClient(conn),
		cobuildingv1.NewUnitReportServiceClient(conn), cobuildingv1.NewJointMeetingServiceClient(conn),
		cobuildingv1.NewLedgerItemServiceClient(conn), cobuildingv1.NewJointActivityServiceClient(conn)}
}

// pages reads every page of a list.
func pages[T any](t *testing.T, list func(token string) ([]T, string, error)) []T {
	t.Helper()
	var out []T
	token := ""
	for {
		xs, next, err := list(token)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, xs...)
		if next == "" {
			return out
		}
		token = next
	}
}

// waitFor polls cond for up to a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
