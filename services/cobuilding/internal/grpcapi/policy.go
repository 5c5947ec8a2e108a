package grpcapi

import (
	"context"

	"google.golang.org/grpc"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/errs"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
)

// Lookup finds where a record sits, so that calls about it are scoped: its
// community (or a meeting's convener) for staff, its unit for a unit's
// contact. A record that does not exist answers "".
type Lookup interface {
	authz.Tree
	CommunityOfUnit(ctx context.Context, id string) (string, error)
	AgreementSides(ctx context.Context, id string) (community, unit string, err error)
	ReportSides(ctx context.Context, id string) (community, unit string, err error)
	MeetingConvener(ctx context.Context, id string) (string, error)
	ItemSides(ctx context.Context, id string) (convener, ownerUnit, ownerOrg string, err error)
	ActivityCommunities(ctx context.Context, id string) ([]string, error)

	VenueSides(ctx context.Context, id string) (community, unit string, err error)
	BookingSides(ctx context.Context, id string) (community, unit, venueCommunity, venueUnit string, err error)
	TeamSides(ctx context.Context, id string) (community, unit string, err error)
	// The two-way evaluation, residents' requests and balancing.
	EvaluationSides(ctx context.Context, id string) (community, unit string, err error)
	RequestSides(ctx context.Context, id string) (community, handlerUnit string, err error)
	ProposalArea(ctx context.Context, id string) (string, error)
}

// The roles by what they do with co-building records. A unit's contact is
// not among them: unitRules says what they may do, on their own unit.
var (
	readers = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary,
		auth.GridLeader, auth.Inspector}
	writers      = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary}
	cityDistrict = []auth.Role{auth.CityAdmin, auth.DistrictAdmin}
	// Balancing spans the communities of a street or district: theirs.
	areaReaders = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.Inspector}
	areaWriters = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin}
	readScopes  = []string{"cobuilding.read", "cobuilding.write"}
	writeScopes = []string{"cobuilding.write"}
)

type targets = func(context.Context, any) ([]string, error)

// Policy is who may call each RPC of the service, and on what: the
// community a record sits in (a meeting's convener, which is a district
// for the county's meetings). Lists that name none are restricted to the
// caller's subtree by their handler.
func Policy(l Lookup) authz.Policy {
	read := func(t targets) authz.Rule { return authz.Rule{Roles: readers, Scopes: readScopes, Targets: t} }
	write := func(t targets) authz.Rule { return authz.Rule{Roles: writers, Scopes: writeScopes, Targets: t} }
	one := func(find func(context.Context, string) (string, error), id func(any) string) targets {
		return func(ctx context.Context, req any) ([]string, error) {
			c, err := find(ctx, id(req))
			return []string{c}, err
		}
	}
	first := func(find func(context.Context, string) (string, string, error), id func(any) string) targets {
		return one(func(ctx context.Context, s string) (string, error) { c, _, err := find(ctx, s); return c, err }, id)
	}
	convenerOfItem := func(ctx context.Context, id string) (string, error) {
		c, _, _, err := l.ItemSides(ctx, id)
		return c, err
	}
	type byID interface{ GetId() string }
	reqID := func(r any) string { return r.(byID).GetId() }
	// listed are the organisations a list names, and the community of the
	// unit it names when it names no organisation.
	listed := func(unit func(any) string, orgs func(any) []string) targets {
		return func(ctx context.Context, req any) ([]string, error) {
			out := orgs(req)
			for _, o := range out {
				if o != "" {
					return out, nil
				}
			}
			c, err := l.CommunityOfUnit(ctx, unit(req))
			return append(out, c), err
		}
	}
	return authz.Policy{
		pb.ResidentUnitService_CreateResidentUnit_FullMethodName: write(authz.Target(func(r *pb.CreateResidentUnitRequest) string {
			return r.GetResidentUnit().GetCommunityId()
		})),
		pb.ResidentUnitService_GetResidentUnit_FullMethodName: read(one(l.CommunityOfUnit, reqID)),
		pb.ResidentUnitService_ListResidentUnits_FullMethodName: read(authz.Targets(func(r *pb.ListResidentUnitsRequest) []string {
			return []string{r.GetCommunityId(), r.GetAncestorId()}
		})),
		pb.ResidentUnitService_UpdateResidentUnit_FullMethodName: write(one(l.CommunityOfUnit, func(r any) string {
			return r.(*pb.UpdateResidentUnitRequest).GetResidentUnit().GetId()
		})),

		pb.AgreementService_CreateAgreement_FullMethodName: write(authz.Target(func(r *pb.CreateAgreementRequest) string {
			return r.GetAgreement().GetCommunityId()
		})),
		pb.AgreementService_GetAgreement_FullMethodName: read(first(l.AgreementSides, reqID)),
		pb.AgreementService_ListAgreements_FullMethodName: read(listed(func(r any) string { return r.(*pb.ListAgreementsRequest).GetUnitId() },
			func(r any) []string {
				q := r.(*pb.ListAgreementsRequest)
				return []string{q.GetCommunityId(), q.GetAncestorId()}
			})),
		pb.AgreementService_UpdateAgreement_FullMethodName: write(first(l.AgreementSides, func(r any) string {
			return r.(*pb.UpdateAgreementRequest).GetAgreement().GetId()
		})),
		pb.AgreementService_RenewAgreement_FullMethodName:        write(first(l.AgreementSides, reqID)),
		pb.AgreementService_EndAgreement_FullMethodName:          write(first(l.AgreementSides, reqID)),
		pb.AgreementService_ListAgreementVersions_FullMethodName: read(first(l.AgreementSides, reqID)),

		pb.UnitReportService_CreateUnitReport_FullMethodName: write(authz.Target(func(r *pb.CreateUnitReportRequest) string {
			return r.GetUnitReport().GetCommunityId()
		})),
		pb.UnitReportService_GetUnitReport_FullMethodName: read(first(l.ReportSides, reqID)),
		pb.UnitReportService_ListUnitReports_FullMethodName: read(listed(func(r any) string { return r.(*pb.ListUnitReportsRequest).GetUnitId() },
			func(r any) []string {
				q := r.(*pb.ListUnitReportsRequest)
				return []string{q.GetCommunityId(), q.GetAncestorId()}
			})),
		pb.UnitReportService_UpdateUnitReport_FullMethodName: write(first(l.ReportSides, func(r any) string {
			return r.(*pb.UpdateUnitReportRequest).GetUnitReport().GetId()
		})),
		pb.UnitReportService_ListMissedReports_FullMethodName: read(listed(func(r any) string { return r.(*pb.ListMissedReportsRequest).GetUnitId() },
			func(r any) []string {
				q := r.(*pb.ListMissedReportsRequest)
				return []string{q.GetCommunityId(), q.GetAncestorId()}
			})),

		pb.JointMeetingService_CreateJointMeeting_FullMethodName: write(authz.Target(func(r *pb.CreateJointMeetingRequest) string {
			return r.GetJointMeeting().GetConvenerId()
		})),
		pb.JointMeetingService_GetJointMeeting_FullMethodName: read(one(l.MeetingConvener, reqID)),
		pb.JointMeetingService_ListJointMeetings_FullMethodName: read(listed(func(r any) string { return r.(*pb.ListJointMeetingsRequest).GetUnitId() },
			func(r any) []string {
				q := r.(*pb.ListJointMeetingsRequest)
				return []string{q.GetConvenerId(), q.GetAncestorId()}
			})),
		pb.JointMeetingService_UpdateJointMeeting_FullMethodName: write(one(l.MeetingConvener, func(r any) string {
			return r.(*pb.UpdateJointMeetingRequest).GetJointMeeting().GetId()
		})),

		pb.LedgerItemService_CreateLedgerItem_FullMethodName: write(one(l.MeetingConvener, func(r any) string {
			return r.(*pb.CreateLedgerItemRequest).GetLedgerItem().GetMeetingId()
		})),
		pb.LedgerItemService_GetLedgerItem_FullMethodName: read(one(convenerOfItem, reqID)),
		pb.LedgerItemService_ListLedgerItems_FullMethodName: read(func(ctx context.Context, req any) ([]string, error) {
			q := req.(*pb.ListLedgerItemsRequest)
			out := []string{q.GetConvenerId(), q.GetAncestorId()}
			if q.GetMeetingId() != "" {
				c, err := l.MeetingConvener(ctx, q.GetMeetingId())
				return append(out, c), err
			}
			return listed(func(any) string { return q.GetOwnerUnitId() }, func(any) []string { return out })(ctx, req)
		}),
		pb.LedgerItemService_UpdateLedgerItem_FullMethodName: write(one(convenerOfItem, func(r any) string {
			return r.(*pb.UpdateLedgerItemRequest).GetLedgerItem().GetId()
		})),
		// The owner reports: staff of the owning organisation, or of the
		// convener for an item a unit owns (a unit's contact: unitRules).
		pb.LedgerItemService_ReportLedgerProgress_FullMethodName: write(one(func(ctx context.Context, id string) (string, error) {
			c, _, org, err := l.ItemSides(ctx, id)
			if org != "" {
				return org, err
			}
			return c, err
		}, reqID)),
		pb.LedgerItemService_CloseLedgerItem_FullMethodName:    write(one(convenerOfItem, reqID)),
		pb.LedgerItemService_SendBackLedgerItem_FullMethodName: write(one(convenerOfItem, reqID)),

		pb.JointActivityService_CreateJointActivity_FullMethodName: write(authz.Targets(func(r *pb.CreateJointActivityRequest) []string {
			return r.GetJointActivity().GetCommunityIds()
		})),
		pb.JointActivityService_GetJointActivity_FullMethodName: read(func(ctx context.Context, req any) ([]string, error) {
			return l.ActivityCommunities(ctx, reqID(req))
		}),
		pb.JointActivityService_ListJointActivities_FullMethodName: read(listed(func(r any) string { return r.(*pb.ListJointActivitiesRequest).GetUnitId() },
			func(r any) []string {
				q := r.(*pb.ListJointActivitiesRequest)
				return []string{q.GetCommunityId(), q.GetAncestorId()}
			})),

		// A district's settings are read from anywhere in it, set by its
		// administrators and the city's.
		pb.SettingsService_GetCoBuildingSettings_FullMethodName: {Roles: readers, Scopes: readScopes, OrAbove: true,
			Targets: authz.Target(func(r *pb.GetCoBuildingSettingsRequest) string { return r.GetDistrictId() })},
		pb.SettingsService_UpdateCoBuildingSettings_FullMethodName: {Roles: cityDistrict,
			Targets: authz.Target(func(r *pb.UpdateCoBuildingSettingsRequest) string { return r.GetDistrictId() })},

		// Venues sit in their unit's community; a booking in its booker's
		// (a unit's, a community's, a resident group's) and in the venue's;
		// a team in its community. The calendar is the city's: read by everyone who
		// reads, set by the city's administrators alone.
		pb.VenueService_CreateVenue_FullMethodName: write(one(l.CommunityOfUnit, func(r any) string {
			return r.(*pb.CreateVenueRequest).GetVenue().GetUnitId()
		})),
		pb.VenueService_GetVenue_FullMethodName: read(first(l.VenueSides, reqID)),
		pb.VenueService_ListVenues_FullMethodName: read(listed(func(r any) string { return r.(*pb.ListVenuesRequest).GetUnitId() },
			func(r any) []string {
				q := r.(*pb.ListVenuesRequest)
				return []string{q.GetCommunityId(), q.GetAncestorId()}
			})),
		pb.VenueService_UpdateVenue_FullMethodName: write(first(l.VenueSides, func(r any) string {
			return r.(*pb.UpdateVenueRequest).GetVenue().GetId()
		})),
		// Both the community and the unit's a booking names, so that naming
		// one's own community cannot book as a unit elsewhere.
		pb.BookingService_CreateBooking_FullMethodName: write(func(ctx context.Context, req any) ([]string, error) {
			bk := req.(*pb.CreateBookingRequest).GetBooking()
			c, err := l.CommunityOfUnit(ctx, bk.GetUnitId())
			return []string{bk.GetCommunityId(), c}, err
		}),
		pb.BookingService_GetBooking_FullMethodName: read(one(bookerOf(l), reqID)),
		pb.BookingService_ListBookings_FullMethodName: read(func(ctx context.Context, req any) ([]string, error) {
			q := req.(*pb.ListBookingsRequest)
			out := []string{q.GetCommunityId(), q.GetAncestorId()}
			if q.GetVenueId() != "" {
				c, _, err := l.VenueSides(ctx, q.GetVenueId())
				return append(out, c), err
			}
			return listed(func(any) string { return q.GetUnitId() }, func(any) []string { return out })(ctx, req)
		}),
		pb.BookingService_CancelBooking_FullMethodName:     write(one(bookerOf(l), reqID)),
		pb.CalendarService_ListCalendarDays_FullMethodName: {Roles: readers, Scopes: readScopes},
		pb.CalendarService_SetCalendarDay_FullMethodName:   {Roles: []auth.Role{auth.CityAdmin}},
		pb.VolunteerTeamService_CreateVolunteerTeam_FullMethodName: write(listed(func(r any) string {
			return r.(*pb.CreateVolunteerTeamRequest).GetVolunteerTeam().GetUnitId()
		}, func(r any) []string {
			return []string{r.(*pb.CreateVolunteerTeamRequest).GetVolunteerTeam().GetCommunityId()}
		})),
		pb.VolunteerTeamService_GetVolunteerTeam_FullMethodName: read(first(l.TeamSides, reqID)),
		pb.VolunteerTeamService_ListVolunteerTeams_FullMethodName: read(listed(func(r any) string { return r.(*pb.ListVolunteerTeamsRequest).GetUnitId() },
			func(r any) []string {
				q := r.(*pb.ListVolunteerTeamsRequest)
				return []string{q.GetCommunityId(), q.GetAncestorId()}
			})),
		pb.VolunteerTeamService_UpdateVolunteerTeam_FullMethodName: write(first(l.TeamSides, func(r any) string {
			return r.(*pb.UpdateVolunteerTeamRequest).GetVolunteerTeam().GetId()
		})),
		pb.VolunteerTeamService_AddVolunteers_FullMethodName:          write(first(l.TeamSides, teamID)),
		pb.VolunteerTeamService_RemoveVolunteer_FullMethodName:        write(first(l.TeamSides, teamID)),
		pb.VolunteerTeamService_ListVolunteers_FullMethodName:         read(first(l.TeamSides, teamID)),
		pb.VolunteerTeamService_RecordVolunteerService_FullMethodName: write(first(l.TeamSides, teamID)),
		pb.VolunteerTeamService_ListVolunteerServices_FullMethodName:  read(first(l.TeamSides, teamID)),
		// The two-way evaluation: a community's staff grade its units and
		// record its units' grades given on paper.
		pb.EvaluationService_RecordEvaluation_FullMethodName: write(authz.Target(func(r *pb.RecordEvaluationRequest) string {
			return r.GetEvaluation().GetCommunityId()
		})),
		pb.EvaluationService_GetEvaluation_FullMethodName: read(first(l.EvaluationSides, reqID)),
		pb.EvaluationService_ListEvaluations_FullMethodName: read(listed(func(r any) string { return r.(*pb.ListEvaluationsRequest).GetUnitId() },
			func(r any) []string {
				q := r.(*pb.ListEvaluationsRequest)
				return []string{q.GetCommunityId(), q.GetAncestorId()}
			})),

		// Residents' requests belong to their community; its staff handle
		// them, and a district's limits are set as its other settings are.
		pb.ServiceRequestService_CreateServiceRequest_FullMethodName: write(authz.Target(func(r *pb.CreateServiceRequestRequest) string {
			return r.GetServiceRequest().GetCommunityId()
		})),
		pb.ServiceRequestService_GetServiceRequest_FullMethodName: read(first(l.RequestSides, reqID)),
		pb.ServiceRequestService_ListServiceRequests_FullMethodName: read(listed(func(r any) string { return r.(*pb.ListServiceRequestsRequest).GetHandlerUnitId() },
			func(r any) []string {
				q := r.(*pb.ListServiceRequestsRequest)
				return []string{q.GetCommunityId(), q.GetAncestorId()}
			})),
		pb.ServiceRequestService_AssignServiceRequest_FullMethodName:         write(first(l.RequestSides, reqID)),
		pb.ServiceRequestService_AcceptServiceRequest_FullMethodName:         write(first(l.RequestSides, reqID)),
		pb.ServiceRequestService_ClaimServiceRequest_FullMethodName:          write(first(l.RequestSides, reqID)),
		pb.ServiceRequestService_RecordServiceRequestProgress_FullMethodName: write(first(l.RequestSides, reqID)),
		pb.ServiceRequestService_AnswerServiceRequest_FullMethodName:         write(first(l.RequestSides, reqID)),
		pb.ServiceRequestService_RateServiceRequest_FullMethodName:           write(first(l.RequestSides, reqID)),
		pb.ServiceRequestService_CloseServiceRequest_FullMethodName:          write(first(l.RequestSides, reqID)),
		pb.ServiceRequestService_GetServiceRequestRates_FullMethodName: read(authz.Target(func(r *pb.GetServiceRequestRatesRequest) string {
			return r.GetOrganisationId()
		})),
		pb.ServiceRequestService_GetServiceRequestSettings_FullMethodName: {Roles: readers, Scopes: readScopes, OrAbove: true,
			Targets: authz.Target(func(r *pb.GetServiceRequestSettingsRequest) string { return r.GetDistrictId() })},
		pb.ServiceRequestService_UpdateServiceRequestSettings_FullMethodName: {Roles: cityDistrict,
			Targets: authz.Target(func(r *pb.UpdateServiceRequestSettingsRequest) string { return r.GetDistrictId() })},

		// Balancing: the street or district balanced.
		pb.BalancingService_GetCoBuildingBalance_FullMethodName: {Roles: areaReaders, Scopes: readScopes,
			Targets: authz.Target(func(r *pb.GetCoBuildingBalanceRequest) string { return r.GetOrganisationId() })},
		pb.BalancingService_CreateBalancingProposal_FullMethodName: {Roles: areaWriters, Scopes: writeScopes,
			Targets: authz.Target(func(r *pb.CreateBalancingProposalRequest) string { return r.GetOrganisationId() })},
		pb.BalancingService_GetBalancingProposal_FullMethodName: {Roles: areaReaders, Scopes: readScopes,
			Targets: one(l.ProposalArea, reqID)},
		pb.BalancingService_AcceptBalancingProposal_FullMethodName: {Roles: areaWriters, Scopes: writeScopes,
			Targets: one(l.ProposalArea, reqID)},
	}
}

// bookerOf finds the side of a booking in the caller's scope: its
// booker's community, or the venue's when only that one is theirs.
func bookerOf(l Lookup) func(context.Context, string) (string, error) {
	return func(ctx context.Context, id string) (string, error) {
		booker, _, venue, _, err := l.BookingSides(ctx, id)
		root := authz.ScopeRoot(ctx)
		if err != nil || root == "" || booker == "" {
			return booker, err
		}
		if in, err := l.Within(ctx, booker, root); err != nil || in {
			return booker, err
		}
		return venue, nil
	}
}

// teamID is the team a request about a team's volunteers or services names.
func teamID(r any) string {
	switch q := r.(type) {
	case *pb.RecordVolunteerServiceRequest:
		return q.GetServiceRecord().GetTeamId()
	case interface{ GetTeamId() string }:
		return q.GetTeamId()
	}
	return ""
}

// unitRule is what a unit's contact may do with one RPC: the unit the
// request touches must be theirs. Nil unit: a list, which the handler
// narrows to their unit.
type unitRule struct {
	unit func(ctx context.Context, req any) (string, error)
}

// unitRules are the RPCs a unit's contact may call: their unit, its
// agreements, its reports (which they file and correct), the ledger items
// it owns (on which they report progress), the meetings it attended and the
// activities it organised.
func unitRules(l Lookup) map[string]unitRule {
	type byID interface{ GetId() string }
	second := func(find func(context.Context, string) (string, string, error)) unitRule {
		return unitRule{unit: func(ctx context.Context, req any) (string, error) {
			_, u, err := find(ctx, req.(byID).GetId())
			return u, err
		}}
	}
	itemOwner := unitRule{unit: func(ctx context.Context, req any) (string, error) {
		_, u, _, err := l.ItemSides(ctx, req.(byID).GetId())
		return u, err
	}}
	list := unitRule{}
	return map[string]unitRule{
		pb.ResidentUnitService_GetResidentUnit_FullMethodName: {unit: func(_ context.Context, req any) (string, error) {
			return req.(byID).GetId(), nil
		}},
		pb.ResidentUnitService_ListResidentUnits_FullMethodName: list,
		pb.ResidentUnitService_UpdateResidentUnit_FullMethodName: {unit: func(_ context.Context, req any) (string, error) {
			return req.(*pb.UpdateResidentUnitRequest).GetResidentUnit().GetId(), nil
		}},
		pb.AgreementService_GetAgreement_FullMethodName:          second(l.AgreementSides),
		pb.AgreementService_ListAgreements_FullMethodName:        list,
		pb.AgreementService_ListAgreementVersions_FullMethodName: second(l.AgreementSides),
		pb.UnitReportService_CreateUnitReport_FullMethodName: {unit: func(_ context.Context, req any) (string, error) {
			return req.(*pb.CreateUnitReportRequest).GetUnitReport().GetUnitId(), nil
		}},
		pb.UnitReportService_GetUnitReport_FullMethodName:   second(l.ReportSides),
		pb.UnitReportService_ListUnitReports_FullMethodName: list,
		pb.UnitReportService_UpdateUnitReport_FullMethodName: {unit: func(ctx context.Context, req any) (string, error) {
			_, u, err := l.ReportSides(ctx, req.(*pb.UpdateUnitReportRequest).GetUnitReport().GetId())
			return u, err
		}},
		pb.UnitReportService_ListMissedReports_FullMethodName:      list,
		pb.JointMeetingService_ListJointMeetings_FullMethodName:    list,
		pb.LedgerItemService_GetLedgerItem_FullMethodName:          itemOwner,
		pb.LedgerItemService_ListLedgerItems_FullMethodName:        list,
		pb.LedgerItemService_ReportLedgerProgress_FullMethodName:   itemOwner,
		pb.JointActivityService_ListJointActivities_FullMethodName: list,

		// Their unit's venues, and the bookings their unit made or that
		// were made of its venues; the calendar; their unit's teams.
		pb.VenueService_CreateVenue_FullMethodName: {unit: func(_ context.Context, req any) (string, error) {
			return req.(*pb.CreateVenueRequest).GetVenue().GetUnitId(), nil
		}},
		pb.VenueService_GetVenue_FullMethodName:   second(l.VenueSides),
		pb.VenueService_ListVenues_FullMethodName: list,
		pb.VenueService_UpdateVenue_FullMethodName: {unit: func(ctx context.Context, req any) (string, error) {
			_, u, err := l.VenueSides(ctx, req.(*pb.UpdateVenueRequest).GetVenue().GetId())
			return u, err
		}},
		pb.BookingService_CreateBooking_FullMethodName: {unit: func(_ context.Context, req any) (string, error) {
			return req.(*pb.CreateBookingRequest).GetBooking().GetUnitId(), nil
		}},
		pb.BookingService_GetBooking_FullMethodName:        bookingParty(l),
		pb.BookingService_ListBookings_FullMethodName:      list,
		pb.BookingService_CancelBooking_FullMethodName:     bookingParty(l),
		pb.CalendarService_ListCalendarDays_FullMethodName: list,
		pb.VolunteerTeamService_CreateVolunteerTeam_FullMethodName: {unit: func(_ context.Context, req any) (string, error) {
			return req.(*pb.CreateVolunteerTeamRequest).GetVolunteerTeam().GetUnitId(), nil
		}},
		pb.VolunteerTeamService_GetVolunteerTeam_FullMethodName:   second(l.TeamSides),
		pb.VolunteerTeamService_ListVolunteerTeams_FullMethodName: list,
		pb.VolunteerTeamService_UpdateVolunteerTeam_FullMethodName: {unit: func(ctx context.Context, req any) (string, error) {
			_, u, err := l.TeamSides(ctx, req.(*pb.UpdateVolunteerTeamRequest).GetVolunteerTeam().GetId())
			return u, err
		}},
		pb.VolunteerTeamService_AddVolunteers_FullMethodName:          teamUnit(l),
		pb.VolunteerTeamService_RemoveVolunteer_FullMethodName:        teamUnit(l),
		pb.VolunteerTeamService_ListVolunteers_FullMethodName:         teamUnit(l),
		pb.VolunteerTeamService_RecordVolunteerService_FullMethodName: teamUnit(l),
		pb.VolunteerTeamService_ListVolunteerServices_FullMethodName:  teamUnit(l),
		// The two-way evaluation: their unit's grades, given and received;
		// they record only their unit's grade of the community.
		pb.EvaluationService_RecordEvaluation_FullMethodName: {unit: func(_ context.Context, req any) (string, error) {
			return req.(*pb.RecordEvaluationRequest).GetEvaluation().GetUnitId(), nil
		}},
		pb.EvaluationService_GetEvaluation_FullMethodName:   second(l.EvaluationSides),
		pb.EvaluationService_ListEvaluations_FullMethodName: list,
		// Residents' requests their unit handles: read, accept, progress,
		// answer.
		pb.ServiceRequestService_GetServiceRequest_FullMethodName:            second(l.RequestSides),
		pb.ServiceRequestService_ListServiceRequests_FullMethodName:          list,
		pb.ServiceRequestService_AcceptServiceRequest_FullMethodName:         second(l.RequestSides),
		pb.ServiceRequestService_RecordServiceRequestProgress_FullMethodName: second(l.RequestSides),
		pb.ServiceRequestService_AnswerServiceRequest_FullMethodName:         second(l.RequestSides),
	}
}

// bookingParty is the caller's unit when it made the booking or offers
// the venue.
func bookingParty(l Lookup) unitRule {
	return unitRule{unit: func(ctx context.Context, req any) (string, error) {
		_, booker, _, venueUnit, err := l.BookingSides(ctx, req.(interface{ GetId() string }).GetId())
		if who, ok := auth.FromContext(ctx); ok && venueUnit == who.UnitID {
			return venueUnit, err
		}
		return booker, err
	}}
}

// teamUnit is the unit that runs the team a request names.
func teamUnit(l Lookup) unitRule {
	return unitRule{unit: func(ctx context.Context, req any) (string, error) {
		_, u, err := l.TeamSides(ctx, teamID(req))
		return u, err
	}}
}

// ErrNoUnit refuses a unit's contact whose token names no unit.
var ErrNoUnit = errs.New(errs.PermissionDenied, "the token names no resident unit (unit_id)")

// Authorize builds the interceptor that enforces the policy: for a unit's
// contact, unitRules on their own unit; for everyone else, the policy on
// the tree.
func Authorize(l Lookup) func(authz.Policy) grpc.UnaryServerInterceptor {
	rules := unitRules(l)
	return func(p authz.Policy) grpc.UnaryServerInterceptor {
		check := authz.UnaryInterceptor(p, l, auth.OpenMethods)
		return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			who, ok := auth.FromContext(ctx)
			if !ok || who.Role != auth.UnitContact || auth.OpenMethods(info.FullMethod) {
				return check(ctx, req, info, h)
			}
			rule, ok := rules[info.FullMethod]
			switch {
			case !ok:
				return nil, errs.Detail(authz.ErrRole, "the role %s may not call %s", who.Role, info.FullMethod)
			case who.UnitID == "":
				return nil, ErrNoUnit
			case rule.unit != nil:
				unit, err := rule.unit(ctx, req)
				if err != nil {
					return nil, err
				}
				if unit != who.UnitID {
					return nil, authz.ErrOutOfScope
				}
			}
			return h(ctx, req)
		}
	}
}
