package pbconv

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/activities"
	"gongjian.dev/services/cobuilding/internal/agreements"
	"gongjian.dev/services/cobuilding/internal/balancing"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/evaluations"
	"gongjian.dev/services/cobuilding/internal/meetings"
	"gongjian.dev/services/cobuilding/internal/reports"
	"gongjian.dev/services/cobuilding/internal/requests"
	"gongjian.dev/services/cobuilding/internal/settings"
	"gongjian.dev/services/cobuilding/internal/units"
	"gongjian.dev/services/cobuilding/internal/venues"
	"gongjian.dev/services/cobuilding/internal/volunteers"
)

// SubjectPrefix starts the subject of every event of the service.
const SubjectPrefix = "gongjian.cobuilding.v1."

// Event is the message of a domain event, its subject and the id of what
// it is about, published as event id at the instant at.
func Event(e cobuild.Event, id string, at time.Time) (subject string, msg proto.Message, aggregate string, err error) {
	occur := timestamppb.New(at)
	switch e := e.(type) {
	case units.Changed:
		msg, aggregate = &pb.ResidentUnitChanged{EventId: id, OccurTime: occur, ResidentUnit: Unit(e.Unit), Created: e.Before == nil}, e.Unit.ID
	case units.CoverageChanged:
		u := e.Unit
		msg, aggregate = &pb.ResidentUnitCoverageChanged{EventId: id, OccurTime: occur, UnitId: u.ID, UnitName: u.Name,
			CommunityId: u.CommunityID, DistrictId: u.DistrictID, Gap: u.CoverageGap(), PartyMemberCount: int32(u.PartyMemberCount),
			PartyOrganisationId: u.PartyOrganisationID}, u.ID
	case agreements.Changed:
		msg, aggregate = &pb.AgreementChanged{EventId: id, OccurTime: occur, Agreement: Agreement(e.Agreement), Change: e.Change}, e.Agreement.ID
	case reports.Filed:
		msg, aggregate = &pb.UnitReportFiled{EventId: id, OccurTime: occur, UnitReport: Report(e.Report),
			DistrictId: e.Report.DistrictID, Corrected: e.Before != nil}, e.Report.UnitID
	case reports.MissedEvent:
		m := e.Missed
		msg, aggregate = &pb.UnitReportMissed{EventId: id, OccurTime: occur, UnitId: m.UnitID, CommunityId: m.CommunityID,
			DistrictId: m.DistrictID, Month: m.Month.String(), DueDate: cobuild.FormatDate(m.Due), AgreementId: m.AgreementID}, m.UnitID
	case meetings.Recorded:
		msg, aggregate = &pb.JointMeetingRecorded{EventId: id, OccurTime: occur, JointMeeting: Meeting(e.Meeting), Corrected: e.Before != nil}, e.Meeting.ConvenerID
	case meetings.MissedEvent:
		m := e.Missed
		msg, aggregate = &pb.JointMeetingMissed{EventId: id, OccurTime: occur, Kind: MeetingKind(m.Kind), ConvenerId: m.ConvenerID,
			DistrictId: m.DistrictID, PeriodStart: cobuild.FormatDate(m.Period.Start), PeriodEnd: cobuild.FormatDate(m.Period.End)}, m.ConvenerID
	case meetings.ItemChanged:
		msg, aggregate = &pb.LedgerItemChanged{EventId: id, OccurTime: occur, LedgerItem: Item(e.Item, cobuild.DayOf(at, time.UTC)),
			Change: e.Change, DistrictId: e.Item.DistrictID}, e.Item.ID
	case meetings.ItemOverdue:
		it := e.Item
		msg, aggregate = &pb.LedgerItemOverdue{EventId: id, OccurTime: occur, LedgerItemId: it.ID, MeetingId: it.MeetingID,
			ConvenerId: it.ConvenerID, DistrictId: it.DistrictID, OwnerUnitId: it.OwnerUnitID,
			OwnerOrganisationId: it.OwnerOrganisationID, Deadline: cobuild.FormatDate(it.Deadline), Title: it.Title}, it.ID
	case activities.Recorded:
		msg, aggregate = &pb.JointActivityRecorded{EventId: id, OccurTime: occur, JointActivity: Activity(e.Activity),
			DistrictId: e.Activity.DistrictID}, e.Activity.ID
	case settings.Updated:
		msg, aggregate = &pb.CoBuildingSettingsUpdated{EventId: id, OccurTime: occur, Settings: Settings(e.Settings)}, e.Settings.DistrictID
	// Venues, bookings, the calendar and volunteer teams.
	case venues.VenueChanged:
		msg, aggregate = &pb.VenueChanged{EventId: id, OccurTime: occur, Venue: Venue(e.Venue), Created: e.Before == nil}, e.Venue.ID
	case venues.BookingChanged:
		b := e.Booking
		msg, aggregate = &pb.BookingChanged{EventId: id, OccurTime: occur, Booking: Booking(b), Change: e.Change,
			VenueCommunityId: b.VenueCommunityID, DistrictId: b.DistrictID}, b.VenueID
	case venues.DaySet:
		msg, aggregate = &pb.CalendarDaySet{EventId: id, OccurTime: occur, CalendarDay: Day(e.Day), PreviousKind: DayKind(e.Previous)},
			cobuild.FormatDate(e.Day.Date)
	case volunteers.TeamChanged:
		msg, aggregate = &pb.VolunteerTeamChanged{EventId: id, OccurTime: occur, VolunteerTeam: Team(e.Team), Created: e.Before == nil}, e.Team.ID
	case volunteers.VolunteersChanged:
		t := e.Team
		msg, aggregate = &pb.VolunteersChanged{EventId: id, OccurTime: occur, TeamId: t.ID, CommunityId: t.CommunityID, UnitId: t.UnitID,
			DistrictId: t.DistrictID, Joined: Volunteers(e.Joined), Left: Volunteers(e.Left)}, t.ID
	case volunteers.ServiceRecorded:
		t := e.Team
		msg, aggregate = &pb.VolunteerServiceRecorded{EventId: id, OccurTime: occur, ServiceRecord: ServiceRecord(e.Service),
			CommunityId: t.CommunityID, UnitId: t.UnitID, DistrictId: t.DistrictID}, t.ID
	// The two-way evaluation, residents' requests and balancing.
	case evaluations.Published:
		v := e.Evaluation
		msg, aggregate = &pb.UnitEvaluationPublished{EventId: id, OccurTime: occur, EvaluationId: v.ID, Year: int32(v.Year),
			Direction: EvaluationDirection(v.Direction), CommunityId: v.CommunityID, UnitId: v.UnitID,
			UnitPartyOrganisationId: v.UnitPartyOrgID, DistrictId: v.DistrictID, Grade: EvaluationGrade(v.Grade),
			Comment: v.Comment, Corrected: e.Before != nil, UnitName: v.UnitName}, v.UnitID
	case requests.Changed:
		msg, aggregate = &pb.ServiceRequestChanged{EventId: id, OccurTime: occur, ServiceRequest: ServiceRequest(e.Request.WithMaskedResident()),
			Change: e.Change}, e.Request.ID
	case requests.Overdue:
		r := e.Request
		msg, aggregate = &pb.ServiceRequestOverdue{EventId: id, OccurTime: occur, ServiceRequestId: r.ID, CommunityId: r.CommunityID,
			DistrictId: r.DistrictID, Warning: pb.ServiceRequestOverdueWarning(pb.ServiceRequestOverdueWarning_value["SERVICE_REQUEST_OVERDUE_WARNING_"+e.Warning]),
			DueTime: ts(e.Due()), Kind: ServiceRequest(r).GetKind(), Handler: Handler(r.Handler)}, r.ID
	case requests.SettingsUpdated:
		msg, aggregate = &pb.ServiceRequestSettingsUpdated{EventId: id, OccurTime: occur, Settings: ServiceRequestSettings(e.Settings)}, e.Settings.DistrictID
	case balancing.Changed:
		msg, aggregate = &pb.BalancingProposalChanged{EventId: id, OccurTime: occur, BalancingProposal: BalancingProposal(e.Proposal),
			Change: e.Change}, e.Proposal.ID
	default:
		return "", nil, "", fmt.Errorf("pbconv: no message for the event %T", e)
	}
	return SubjectPrefix + e.EventName(), msg, aggregate, nil
}
