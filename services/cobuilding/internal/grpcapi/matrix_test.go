package grpcapi_test

import (
	"context"
	"slices"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"gongjian.dev/pkg/accesstest"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// side is one district of the matrix fixture: a community with a unit, its
// agreement, a report, a meeting with a ledger item the unit owns, and an
// activity.
type side struct {
	district, street, community string
	unit, agreement, report     string
	meeting, item, activity     string

	venue, booking, spareBooking string
	team, volunteer, spare       string
	// The two-way evaluation, residents' requests and balancing.
	evaluation, request, proposal string
}

// unitAccess is what a unit's contact may do with an RPC.
type unitAccess int

const (
	unitNone unitAccess = iota // refused
	unitOwn                    // on their own unit's records only
	unitList                   // a list, narrowed to their unit
)

type matrixOp struct {
	method string
	roles  []auth.Role
	scope  string // the OAuth scope a system needs; "" for none
	unit   unitAccess
	req    func(s side) proto.Message
}

func (op matrixOp) FullMethod() string           { return op.method }
func (op matrixOp) Request(s side) proto.Message { return op.req(s) }

var (
	staffReaders = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary, auth.GridLeader, auth.Inspector}
	staffWriters = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary}
	areaReaders  = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.Inspector}
	areaWriters  = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin}
)

const (
	read  = "cobuilding.read"
	write = "cobuilding.write"
)

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

// matrixOps lists every RPC of the service. The writes an allowed caller
// makes are refused by the domain (a live agreement exists, a date in the
// future, no evidence) or change nothing the other calls rely on.
var matrixOps = []matrixOp{
	{pb.ResidentUnitService_CreateResidentUnit_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.CreateResidentUnitRequest{ResidentUnit: unitOf(s.community, "矩阵单位")}
	}},
	{pb.ResidentUnitService_GetResidentUnit_FullMethodName, staffReaders, read, unitOwn, func(s side) proto.Message {
		return &pb.GetResidentUnitRequest{Id: s.unit}
	}},
	{pb.ResidentUnitService_ListResidentUnits_FullMethodName, staffReaders, read, unitList, func(s side) proto.Message {
		return &pb.ListResidentUnitsRequest{CommunityId: s.community}
	}},
	{pb.ResidentUnitService_UpdateResidentUnit_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.UpdateResidentUnitRequest{ResidentUnit: &pb.ResidentUnit{Id: s.unit, Address: "新华路12号"}, UpdateMask: mask("address")}
	}},
	{pb.AgreementService_CreateAgreement_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.CreateAgreementRequest{Agreement: agreementOf(s.community, s.unit, "2026-01-01", "2026-12-31")}
	}},
	{pb.AgreementService_GetAgreement_FullMethodName, staffReaders, read, unitOwn, func(s side) proto.Message {
		return &pb.GetAgreementRequest{Id: s.agreement}
	}},
	{pb.AgreementService_ListAgreements_FullMethodName, staffReaders, read, unitList, func(s side) proto.Message {
		return &pb.ListAgreementsRequest{CommunityId: s.community}
	}},
	{pb.AgreementService_UpdateAgreement_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.UpdateAgreementRequest{Agreement: &pb.Agreement{Id: s.agreement, UnitContact: &pb.Contact{}}, UpdateMask: mask("unit_contact")}
	}},
	{pb.AgreementService_RenewAgreement_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.RenewAgreementRequest{Id: s.agreement, EndDate: "2026-02-01"}
	}},
	{pb.AgreementService_EndAgreement_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.EndAgreementRequest{Id: s.agreement, Date: "2026-12-01", Reason: "in the future"}
	}},
	{pb.AgreementService_ListAgreementVersions_FullMethodName, staffReaders, read, unitOwn, func(s side) proto.Message {
		return &pb.ListAgreementVersionsRequest{Id: s.agreement}
	}},
	{pb.UnitReportService_CreateUnitReport_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.CreateUnitReportRequest{UnitReport: reportOf(s.unit, s.community, "2026-05")}
	}},
	{pb.UnitReportService_GetUnitReport_FullMethodName, staffReaders, read, unitOwn, func(s side) proto.Message {
		return &pb.GetUnitReportRequest{Id: s.report}
	}},
	{pb.UnitReportService_ListUnitReports_FullMethodName, staffReaders, read, unitList, func(s side) proto.Message {
		return &pb.ListUnitReportsRequest{CommunityId: s.community}
	}},
	{pb.UnitReportService_UpdateUnitReport_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.UpdateUnitReportRequest{UnitReport: &pb.UnitReport{Id: s.report}, UpdateMask: mask("items")}
	}},
	{pb.UnitReportService_ListMissedReports_FullMethodName, staffReaders, read, unitList, func(s side) proto.Message {
		return &pb.ListMissedReportsRequest{CommunityId: s.community}
	}},
	{pb.JointMeetingService_CreateJointMeeting_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.CreateJointMeetingRequest{JointMeeting: &pb.JointMeeting{Kind: pb.MeetingKind_MEETING_KIND_COMMUNITY,
			ConvenerId: s.community, Date: "2026-12-01"}}
	}},
	{pb.JointMeetingService_GetJointMeeting_FullMethodName, staffReaders, read, unitNone, func(s side) proto.Message {
		return &pb.GetJointMeetingRequest{Id: s.meeting}
	}},
	{pb.JointMeetingService_ListJointMeetings_FullMethodName, staffReaders, read, unitList, func(s side) proto.Message {
		return &pb.ListJointMeetingsRequest{ConvenerId: s.community}
	}},
	{pb.JointMeetingService_UpdateJointMeeting_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.UpdateJointMeetingRequest{JointMeeting: &pb.JointMeeting{Id: s.meeting, Title: "联席会议"}, UpdateMask: mask("title")}
	}},
	{pb.LedgerItemService_CreateLedgerItem_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.CreateLedgerItemRequest{LedgerItem: &pb.LedgerItem{MeetingId: s.meeting, Matter: "m", Title: "no owner", Deadline: "2026-07-01"}}
	}},
	{pb.LedgerItemService_GetLedgerItem_FullMethodName, staffReaders, read, unitOwn, func(s side) proto.Message {
		return &pb.GetLedgerItemRequest{Id: s.item}
	}},
	{pb.LedgerItemService_ListLedgerItems_FullMethodName, staffReaders, read, unitList, func(s side) proto.Message {
		return &pb.ListLedgerItemsRequest{ConvenerId: s.community}
	}},
	{pb.LedgerItemService_UpdateLedgerItem_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.UpdateLedgerItemRequest{LedgerItem: &pb.LedgerItem{Id: s.item}, UpdateMask: mask("deadline")}
	}},
	{pb.LedgerItemService_ReportLedgerProgress_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.ReportLedgerProgressRequest{Id: s.item, Note: "进展"}
	}},
	{pb.LedgerItemService_CloseLedgerItem_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.CloseLedgerItemRequest{Id: s.item}
	}},
	{pb.LedgerItemService_SendBackLedgerItem_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.SendBackLedgerItemRequest{Id: s.item, Reason: "请补充证据"}
	}},
	{pb.JointActivityService_CreateJointActivity_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.CreateJointActivityRequest{JointActivity: &pb.JointActivity{Title: "t", Area: pb.Area_AREA_CIVILITY,
			Date: "2026-12-01", CommunityIds: []string{s.community}}}
	}},
	{pb.JointActivityService_GetJointActivity_FullMethodName, staffReaders, read, unitNone, func(s side) proto.Message {
		return &pb.GetJointActivityRequest{Id: s.activity}
	}},
	{pb.JointActivityService_ListJointActivities_FullMethodName, staffReaders, read, unitList, func(s side) proto.Message {
		return &pb.ListJointActivitiesRequest{CommunityId: s.community}
	}},
	{pb.SettingsService_GetCoBuildingSettings_FullMethodName, staffReaders, read, unitNone, func(s side) proto.Message {
		return &pb.GetCoBuildingSettingsRequest{DistrictId: s.district}
	}},
	{pb.SettingsService_UpdateCoBuildingSettings_FullMethodName, []auth.Role{auth.CityAdmin, auth.DistrictAdmin}, "", unitNone, func(s side) proto.Message {
		return &pb.UpdateCoBuildingSettingsRequest{DistrictId: s.district,
			Settings: &pb.CoBuildingSettings{ReportDueDay: 10, CommunityMeetingMonths: 6, CountyMeetingMonths: 3}}
	}},

	// Venues, bookings, the calendar and volunteer teams.
	{pb.VenueService_CreateVenue_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.CreateVenueRequest{Venue: venueOf(s.unit, "矩阵会议室")}
	}},
	{pb.VenueService_GetVenue_FullMethodName, staffReaders, read, unitOwn, func(s side) proto.Message {
		return &pb.GetVenueRequest{Id: s.venue}
	}},
	{pb.VenueService_ListVenues_FullMethodName, staffReaders, read, unitList, func(s side) proto.Message {
		return &pb.ListVenuesRequest{CommunityId: s.community}
	}},
	{pb.VenueService_UpdateVenue_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.UpdateVenueRequest{Venue: &pb.Venue{Id: s.venue, Address: "新华路12号二楼"}, UpdateMask: mask("address")}
	}},
	{pb.BookingService_CreateBooking_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.CreateBookingRequest{Booking: ownBookingOf(s.venue, s.unit, matrixSlot)} // taken: AlreadyExists
	}},
	{pb.BookingService_GetBooking_FullMethodName, staffReaders, read, unitOwn, func(s side) proto.Message {
		return &pb.GetBookingRequest{Id: s.booking}
	}},
	{pb.BookingService_ListBookings_FullMethodName, staffReaders, read, unitList, func(s side) proto.Message {
		return &pb.ListBookingsRequest{CommunityId: s.community}
	}},
	{pb.BookingService_CancelBooking_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.CancelBookingRequest{Id: s.spareBooking, Reason: "改期"} // the first cancels, the others find it cancelled
	}},
	{pb.CalendarService_ListCalendarDays_FullMethodName, staffReaders, read, unitList, func(s side) proto.Message {
		return &pb.ListCalendarDaysRequest{Year: 2026}
	}},
	{pb.CalendarService_SetCalendarDay_FullMethodName, []auth.Role{auth.CityAdmin}, "", unitNone, func(s side) proto.Message {
		return &pb.SetCalendarDayRequest{CalendarDay: &pb.CalendarDay{Date: "2026-10-08", Kind: pb.DayKind_DAY_KIND_HOLIDAY, Name: "国庆节"}}
	}},
	{pb.VolunteerTeamService_CreateVolunteerTeam_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.CreateVolunteerTeamRequest{VolunteerTeam: &pb.VolunteerTeam{Name: "矩阵服务队", Kind: pb.TeamKind_TEAM_KIND_LEGAL, UnitId: s.unit}}
	}},
	{pb.VolunteerTeamService_GetVolunteerTeam_FullMethodName, staffReaders, read, unitOwn, func(s side) proto.Message {
		return &pb.GetVolunteerTeamRequest{Id: s.team}
	}},
	{pb.VolunteerTeamService_ListVolunteerTeams_FullMethodName, staffReaders, read, unitList, func(s side) proto.Message {
		return &pb.ListVolunteerTeamsRequest{CommunityId: s.community}
	}},
	{pb.VolunteerTeamService_UpdateVolunteerTeam_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.UpdateVolunteerTeamRequest{VolunteerTeam: &pb.VolunteerTeam{Id: s.team, Description: "每月义务法律咨询"},
			UpdateMask: mask("description")}
	}},
	{pb.VolunteerTeamService_AddVolunteers_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.AddVolunteersRequest{TeamId: s.team, Volunteers: []*pb.Volunteer{{MemberId: s.volunteer}}} // in it: AlreadyExists
	}},
	{pb.VolunteerTeamService_RemoveVolunteer_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.RemoveVolunteerRequest{TeamId: s.team, VolunteerId: s.spare} // the first removes, the others find them gone
	}},
	{pb.VolunteerTeamService_ListVolunteers_FullMethodName, staffReaders, read, unitOwn, func(s side) proto.Message {
		return &pb.ListVolunteersRequest{TeamId: s.team}
	}},
	{pb.VolunteerTeamService_RecordVolunteerService_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.RecordVolunteerServiceRequest{ServiceRecord: &pb.ServiceRecord{TeamId: s.team, Date: "2027-12-01", Title: "未来",
			VolunteerIds: []string{s.spare}, Hours: 2}} // in the future: InvalidArgument
	}},
	{pb.VolunteerTeamService_ListVolunteerServices_FullMethodName, staffReaders, read, unitOwn, func(s side) proto.Message {
		return &pb.ListVolunteerServicesRequest{TeamId: s.team}
	}},

	// The two-way evaluation, residents' requests and balancing.
	{pb.EvaluationService_RecordEvaluation_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return gradeOf(pb.EvaluationDirection_EVALUATION_DIRECTION_UNIT_TO_COMMUNITY, s.community, s.unit, pb.EvaluationGrade_EVALUATION_GRADE_GOOD) // not open yet
	}},
	{pb.EvaluationService_GetEvaluation_FullMethodName, staffReaders, read, unitOwn, func(s side) proto.Message {
		return &pb.GetEvaluationRequest{Id: s.evaluation}
	}},
	{pb.EvaluationService_ListEvaluations_FullMethodName, staffReaders, read, unitList, func(s side) proto.Message {
		return &pb.ListEvaluationsRequest{CommunityId: s.community}
	}},
	{pb.ServiceRequestService_CreateServiceRequest_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.CreateServiceRequestRequest{ServiceRequest: requestOf(s.community, pb.ServiceRequestKind_SERVICE_REQUEST_KIND_ENQUIRY)}
	}},
	{pb.ServiceRequestService_GetServiceRequest_FullMethodName, staffReaders, read, unitOwn, func(s side) proto.Message {
		return &pb.GetServiceRequestRequest{Id: s.request}
	}},
	{pb.ServiceRequestService_ListServiceRequests_FullMethodName, staffReaders, read, unitList, func(s side) proto.Message {
		return &pb.ListServiceRequestsRequest{CommunityId: s.community}
	}},
	{pb.ServiceRequestService_AssignServiceRequest_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.AssignServiceRequestRequest{Id: s.request, Handler: &pb.Handler{Kind: pb.HandlerKind_HANDLER_KIND_UNIT, Id: s.unit}}
	}},
	{pb.ServiceRequestService_AcceptServiceRequest_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.AcceptServiceRequestRequest{Id: s.request}
	}},
	{pb.ServiceRequestService_ClaimServiceRequest_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.ClaimServiceRequestRequest{Id: s.request, Handler: &pb.Handler{Kind: pb.HandlerKind_HANDLER_KIND_UNIT, Id: s.unit}} // not claimable
	}},
	{pb.ServiceRequestService_RecordServiceRequestProgress_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.RecordServiceRequestProgressRequest{Id: s.request, Note: "已联系居民"}
	}},
	{pb.ServiceRequestService_AnswerServiceRequest_FullMethodName, staffWriters, write, unitOwn, func(s side) proto.Message {
		return &pb.AnswerServiceRequestRequest{Id: s.request} // no answer
	}},
	{pb.ServiceRequestService_RateServiceRequest_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.RateServiceRequestRequest{Id: s.request, Satisfaction: pb.Satisfaction_SATISFACTION_SATISFIED} // not answered
	}},
	{pb.ServiceRequestService_CloseServiceRequest_FullMethodName, staffWriters, write, unitNone, func(s side) proto.Message {
		return &pb.CloseServiceRequestRequest{Id: s.request} // not answered
	}},
	{pb.ServiceRequestService_GetServiceRequestRates_FullMethodName, staffReaders, read, unitNone, func(s side) proto.Message {
		return &pb.GetServiceRequestRatesRequest{OrganisationId: s.community, Month: "2026-06"}
	}},
	{pb.ServiceRequestService_GetServiceRequestSettings_FullMethodName, staffReaders, read, unitNone, func(s side) proto.Message {
		return &pb.GetServiceRequestSettingsRequest{DistrictId: s.district}
	}},
	{pb.ServiceRequestService_UpdateServiceRequestSettings_FullMethodName, []auth.Role{auth.CityAdmin, auth.DistrictAdmin}, "", unitNone, func(s side) proto.Message {
		return &pb.UpdateServiceRequestSettingsRequest{DistrictId: s.district, Settings: &pb.ServiceRequestSettings{ResponseHours: 24, ProgressDays: 3}}
	}},
	{pb.BalancingService_GetCoBuildingBalance_FullMethodName, areaReaders, read, unitNone, func(s side) proto.Message {
		return &pb.GetCoBuildingBalanceRequest{OrganisationId: s.street}
	}},
	{pb.BalancingService_CreateBalancingProposal_FullMethodName, areaWriters, write, unitNone, func(s side) proto.Message {
		return &pb.CreateBalancingProposalRequest{OrganisationId: s.street}
	}},
	{pb.BalancingService_GetBalancingProposal_FullMethodName, areaReaders, read, unitNone, func(s side) proto.Message {
		return &pb.GetBalancingProposalRequest{Id: s.proposal}
	}},
	{pb.BalancingService_AcceptBalancingProposal_FullMethodName, areaWriters, write, unitNone, func(s side) proto.Message {
		req := acceptOf(s.proposal)
		req.EndDate = req.GetStartDate() // refused: the term ends as it starts
		return req
	}},
	{auditv1.AuditService_ListAuditRecords_FullMethodName, []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.Inspector}, "audit.read", unitNone,
		func(s side) proto.Message {
			return &auditv1.ListAuditRecordsRequest{Service: "cobuilding", OrganisationId: s.community}
		}},
}

// restHandlers are the gateway handlers of the service.
var restHandlers = []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
	pb.RegisterResidentUnitServiceHandler, pb.RegisterAgreementServiceHandler, pb.RegisterUnitReportServiceHandler,
	pb.RegisterJointMeetingServiceHandler, pb.RegisterLedgerItemServiceHandler, pb.RegisterJointActivityServiceHandler,
	pb.RegisterSettingsServiceHandler, auditv1.RegisterAuditServiceHandler,
	pb.RegisterVenueServiceHandler, pb.RegisterBookingServiceHandler, pb.RegisterCalendarServiceHandler,
	pb.RegisterVolunteerTeamServiceHandler,
	// The two-way evaluation, residents' requests and balancing.
	pb.RegisterEvaluationServiceHandler, pb.RegisterServiceRequestServiceHandler, pb.RegisterBalancingServiceHandler,
}

// fixture builds one side in the district's first street's community.
func (h *harness) fixture(t testing.TB, district, street, community *orgv1.Organisation) side {
	t.Helper()
	s := side{district: district.GetId(), street: street.GetId(), community: community.GetId()}
	s.unit = h.unit(t, s.community, "矩阵单位").GetId()
	s.agreement = h.agreement(t, s.community, s.unit, "2026-01-01", "2026-12-31").GetId()
	r, err := h.reports.CreateUnitReport(servicetest.Ctx(t), &pb.CreateUnitReportRequest{UnitReport: reportOf(s.unit, s.community, "2026-05")})
	if err != nil {
		t.Fatal(err)
	}
	s.report = r.GetUnitReport().GetId()
	s.meeting = h.meeting(t, pb.MeetingKind_MEETING_KIND_COMMUNITY, s.community, "2026-06-01", s.unit).GetId()
	it, err := h.ledger.CreateLedgerItem(servicetest.Ctx(t), &pb.CreateLedgerItemRequest{LedgerItem: &pb.LedgerItem{MeetingId: s.meeting,
		Matter: "停车难", Title: "开放单位停车场", OwnerUnitId: s.unit, Deadline: "2026-09-30"}})
	if err != nil {
		t.Fatal(err)
	}
	s.item = it.GetLedgerItem().GetId()
	a, err := h.activities.CreateJointActivity(servicetest.Ctx(t), &pb.CreateJointActivityRequest{JointActivity: &pb.JointActivity{
		Title: "文明小区创建", Area: pb.Area_AREA_CIVILITY, Date: "2026-06-05", CommunityIds: []string{s.community}, UnitIds: []string{s.unit},
		Attendance: 30, MemberAttendance: 8}})
	if err != nil {
		t.Fatal(err)
	}
	s.activity = a.GetJointActivity().GetId()
	h.venueFixture(t, &s)
	// The two-way evaluation, residents' requests and balancing.
	h.clock.Set(yearEnd)
	e, err := h.evaluationsAs(cityAdmin).RecordEvaluation(servicetest.Ctx(t), gradeOf(pb.EvaluationDirection_EVALUATION_DIRECTION_COMMUNITY_TO_UNIT,
		s.community, s.unit, pb.EvaluationGrade_EVALUATION_GRADE_GOOD))
	h.clock.Set(day0)
	if err != nil {
		t.Fatal(err)
	}
	s.evaluation = e.GetEvaluation().GetId()
	s.request = h.serviceRequest(t, s.community, pb.ServiceRequestKind_SERVICE_REQUEST_KIND_HANDLE_ON_BEHALF).GetId()
	if _, err := h.requestsAs(cityAdmin).AssignServiceRequest(servicetest.Ctx(t), &pb.AssignServiceRequestRequest{Id: s.request,
		Handler: &pb.Handler{Kind: pb.HandlerKind_HANDLER_KIND_UNIT, Id: s.unit}}); err != nil {
		t.Fatal(err)
	}
	bp, err := h.balancingAs().CreateBalancingProposal(servicetest.Ctx(t), &pb.CreateBalancingProposalRequest{OrganisationId: s.street})
	if err != nil {
		t.Fatal(err)
	}
	s.proposal = bp.GetBalancingProposal().GetId()
	return s
}

type matrixCaller = accesstest.Caller[side]

// TestAccessMatrix calls every RPC of the service as every kind of caller,
// on its own district and on another, over gRPC and over REST.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	a := h.fixture(t, tr.district, tr.street, tr.community)
	b := h.fixture(t, tr.otherDistrict, tr.otherDistrictStreet, tr.outside)
	accesstest.Matrix[side, matrixOp]{
		Own: a, Other: b, Ops: matrixOps, Want: expectedFor, Conn: h.As,
		REST: accesstest.RESTServer(t, h.As(devissuer.Claims{}), restHandlers...),
		Callers: []matrixCaller{
			{Name: "city administrator", Claims: devissuer.Claims{Role: auth.CityAdmin}},
			{Name: "district administrator", Claims: devissuer.Claims{Role: auth.DistrictAdmin}, Scope: func(s side) string { return s.district }},
			{Name: "street administrator", Claims: devissuer.Claims{Role: auth.StreetAdmin}, Scope: func(s side) string { return s.street }},
			{Name: "community secretary", Claims: devissuer.Claims{Role: auth.CommunitySecretary}, Scope: func(s side) string { return s.community }},
			{Name: "grid leader", Claims: devissuer.Claims{Role: auth.GridLeader}, Scope: func(s side) string { return s.community }},
			{Name: "the unit's contact", Claims: devissuer.Claims{Role: auth.UnitContact, UnitID: a.unit}, Scope: func(s side) string { return s.community }},
			{Name: "city inspector", Claims: devissuer.Claims{Role: auth.Inspector}},
			{Name: "a member", Claims: devissuer.Claims{Role: auth.Member, MemberID: a.unit}},
			{Name: "system reading", Claims: devissuer.Claims{Role: auth.System, Scopes: []string{read}}},
			{Name: "system writing", Claims: devissuer.Claims{Role: auth.System, Scopes: []string{write}}},
			{Name: "auditing system", Claims: devissuer.Claims{Role: auth.System, Scopes: []string{"audit.read"}}},
		},
	}.Run(t)
	t.Run("a unit's contact whose token names no unit", func(t *testing.T) {
		tp := accesstest.GRPC{Conn: h.As(devissuer.Claims{Subject: "u-x", Role: auth.UnitContact, ScopeOrgID: a.community})}
		if got := tp.Call(servicetest.Ctx(t), pb.ResidentUnitService_GetResidentUnit_FullMethodName, &pb.GetResidentUnitRequest{Id: a.unit}); got != codes.PermissionDenied {
			t.Errorf("GetResidentUnit: %v, want PermissionDenied", got)
		}
	})
	t.Run("the fixture's agreements stayed live", func(t *testing.T) {
		if n := h.count(t, `SELECT count(*) FROM agreements WHERE state = 'LIVE' AND renewals = 0`); n != 2 {
			t.Errorf("%d live, unrenewed agreements, want 2", n)
		}
	})
}

func expectedFor(who matrixCaller, op matrixOp, inside bool) codes.Code {
	role := who.Claims.Role
	switch {
	case role == auth.UnitContact:
		switch {
		case op.unit == unitNone:
			return codes.PermissionDenied
		case op.unit == unitOwn && !inside:
			return codes.NotFound
		}
		return codes.OK
	case role == auth.System || role == auth.Service:
		scopes := who.Claims.Scopes
		if op.scope == "" || !(slices.Contains(scopes, op.scope) || (op.scope == read && slices.Contains(scopes, write))) {
			return codes.PermissionDenied
		}
	case !slices.Contains(op.roles, role):
		return codes.PermissionDenied
	}
	if who.Scope != nil && !inside && !cityWide[op.method] {
		return codes.NotFound
	}
	return codes.OK
}

// cityWide are the RPCs about what is the city's, not a subtree's.
var cityWide = map[string]bool{pb.CalendarService_ListCalendarDays_FullMethodName: true}

// TestEveryRPCIsInTheAccessMatrix: a new RPC of the service, or of the
// audit trail, fails here until the matrix covers it.
func TestEveryRPCIsInTheAccessMatrix(t *testing.T) {
	t.Parallel()
	in := map[string]bool{}
	for _, op := range matrixOps {
		in[op.method] = true
	}
	var services []protoreflect.ServiceDescriptor
	protoregistry.GlobalFiles.RangeFilesByPackage("gongjian.cobuilding.v1", func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			services = append(services, f.Services().Get(i))
		}
		return true
	})
	services = append(services, auditv1.File_gongjian_audit_v1_audit_proto.Services().ByName("AuditService"))
	if len(services) < 8 {
		t.Fatalf("found %d services", len(services))
	}
	for _, sd := range services {
		for i := range sd.Methods().Len() {
			if full := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(i).Name()); !in[full] {
				t.Errorf("%s is not in the access matrix", full)
			}
		}
	}
}

// TestEveryWriteLeavesOneAuditRecord: each write RPC, called by the city
// administrator, leaves exactly one audit record when it changes
// something and none when it is refused.
func TestEveryWriteLeavesOneAuditRecord(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	s := h.fixture(t, tr.district, tr.street, tr.community)
	tp := accesstest.GRPC{Conn: h.As(cityAdmin)}
	changed := 0
	for _, op := range matrixOps {
		if op.scope != write && op.method != pb.SettingsService_UpdateCoBuildingSettings_FullMethodName &&
			op.method != pb.CalendarService_SetCalendarDay_FullMethodName &&
			op.method != pb.ServiceRequestService_UpdateServiceRequestSettings_FullMethodName {
			continue
		}
		before := h.count(t, `SELECT count(*) FROM audit_log WHERE action = 'write'`)
		got := tp.Call(servicetest.Ctx(t), op.method, op.req(s))
		after := h.count(t, `SELECT count(*) FROM audit_log WHERE action = 'write'`)
		want := 0
		if got == codes.OK {
			want, changed = 1, changed+1
		}
		if after-before != want {
			t.Errorf("%s answered %v and left %d audit records, want %d", op.method, got, after-before, want)
		}
	}
	if changed < 4 {
		t.Errorf("only %d writes changed something: the test proves little", changed)
	}
}
