// Package grpcapi is the co-building service's gRPC transport: the
// handlers of its APIs, the access policy with one rule per RPC, and the
// rule that limits a unit's contact to their own unit.
package grpcapi

import (
	"context"

	"google.golang.org/grpc"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/activities"
	"gongjian.dev/services/cobuilding/internal/agreements"
	"gongjian.dev/services/cobuilding/internal/balancing"
	"gongjian.dev/services/cobuilding/internal/evaluations"
	"gongjian.dev/services/cobuilding/internal/meetings"
	"gongjian.dev/services/cobuilding/internal/reports"
	"gongjian.dev/services/cobuilding/internal/requests"
	"gongjian.dev/services/cobuilding/internal/settings"
	"gongjian.dev/services/cobuilding/internal/units"
	"gongjian.dev/services/cobuilding/internal/venues"
	"gongjian.dev/services/cobuilding/internal/volunteers"
)

// Services are the domain services behind the API.
type Services struct {
	Units      *units.Service
	Agreements *agreements.Service
	Reports    *reports.Service
	Meetings   *meetings.Service
	Activities *activities.Service
	Settings   *settings.Service

	// Shared venues and their bookings, the official calendar, volunteer teams.
	Venues     *venues.Service
	Calendar   *venues.Calendar
	Volunteers *volunteers.Teams
	// The two-way evaluation, residents' requests and balancing.
	Evaluations *evaluations.Service
	Requests    *requests.Service
	Balancing   *balancing.Service
}

// Register returns the function that registers every API of the service.
func Register(s Services) func(grpc.ServiceRegistrar) {
	return func(srv grpc.ServiceRegistrar) {
		pb.RegisterResidentUnitServiceServer(srv, &unitAPI{svc: s.Units})
		pb.RegisterAgreementServiceServer(srv, &agreementAPI{svc: s.Agreements})
		pb.RegisterUnitReportServiceServer(srv, &reportAPI{svc: s.Reports})
		pb.RegisterJointMeetingServiceServer(srv, &meetingAPI{svc: s.Meetings})
		pb.RegisterLedgerItemServiceServer(srv, &ledgerAPI{svc: s.Meetings})
		pb.RegisterJointActivityServiceServer(srv, &activityAPI{svc: s.Activities})
		pb.RegisterSettingsServiceServer(srv, &settingsAPI{svc: s.Settings})

		pb.RegisterVenueServiceServer(srv, &venueAPI{svc: s.Venues})
		pb.RegisterBookingServiceServer(srv, &bookingAPI{svc: s.Venues})
		pb.RegisterCalendarServiceServer(srv, &calendarAPI{svc: s.Calendar})
		pb.RegisterVolunteerTeamServiceServer(srv, &teamAPI{svc: s.Volunteers})
		// The two-way evaluation, residents' requests and balancing.
		pb.RegisterEvaluationServiceServer(srv, &evaluationAPI{svc: s.Evaluations})
		pb.RegisterServiceRequestServiceServer(srv, &requestAPI{svc: s.Requests})
		pb.RegisterBalancingServiceServer(srv, &balancingAPI{svc: s.Balancing})
	}
}

// caller is who makes the call, as the records name them.
func caller(ctx context.Context) string {
	if who, ok := auth.FromContext(ctx); ok {
		return who.Subject
	}
	return ""
}

// listScope is what a list covers: for a unit's contact, their unit alone
// (unit is then set); for everyone else, the subtree asked for, or the
// caller's own.
func listScope(ctx context.Context, ancestorID string) (ancestor, unit string) {
	if who, ok := auth.FromContext(ctx); ok && who.Role == auth.UnitContact {
		return "", who.UnitID
	}
	if ancestorID != "" {
		return ancestorID, ""
	}
	return authz.ScopeRoot(ctx), ""
}

// ownUnit narrows a list's unit filter to the caller's unit when they are
// a unit's contact; asking for another unit's finds nothing.
func ownUnit(asked, own string) (string, error) {
	if own == "" {
		return asked, nil
	}
	if asked != "" && asked != own {
		return "", authz.ErrOutOfScope
	}
	return own, nil
}
