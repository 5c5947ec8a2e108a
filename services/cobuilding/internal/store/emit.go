package store

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/outbox"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/activities"
	"gongjian.dev/services/cobuilding/internal/agreements"
	"gongjian.dev/services/cobuilding/internal/balancing"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/evaluations"
	"gongjian.dev/services/cobuilding/internal/meetings"
	"gongjian.dev/services/cobuilding/internal/pbconv"
	"gongjian.dev/services/cobuilding/internal/reports"
	"gongjian.dev/services/cobuilding/internal/requests"
	"gongjian.dev/services/cobuilding/internal/settings"
	"gongjian.dev/services/cobuilding/internal/units"
	"gongjian.dev/services/cobuilding/internal/venues"
	"gongjian.dev/services/cobuilding/internal/volunteers"
)

// Emit implements cobuild.Tx: the event goes to the outbox, and the change
// a caller made to its audit record, when the transaction ends.
// This is the one place where events and audit records are built.
func (t *txStore) Emit(ctx context.Context, e cobuild.Event) error {
	id := cobuild.NewID()
	at := t.now()
	subject, msg, aggregate, err := pbconv.Event(e, id, at)
	if err != nil {
		return err
	}
	t.events = append(t.events, outbox.Event{ID: id, Subject: subject, AggregateID: aggregate, Message: msg})
	entry, ok := auditEntry(e, at)
	if !ok {
		return nil
	}
	return audit.Write(ctx, t.deferred(), entry)
}

// auditEntry is the audit record of a change a caller made: the subject
// as it was before and after. What the sweepers find (a missed month, an
// overdue item, a missed meeting) is a finding kept in its own table and
// announced, not a caller's write, and has none.
func auditEntry(e cobuild.Event, at time.Time) (audit.Entry, bool) {
	switch e := e.(type) {
	case units.Changed:
		return entry("resident_unit", e.Unit.ID, e.Unit.CommunityID, unitOrNil(e.Before), pbconv.Unit(e.Unit)), true
	case agreements.Changed:
		var before proto.Message
		if e.Before != nil {
			before = pbconv.Agreement(e.Before)
		}
		return entry("agreement", e.Agreement.ID, e.Agreement.CommunityID, before, pbconv.Agreement(e.Agreement)), true
	case reports.Filed:
		var before proto.Message
		if e.Before != nil {
			before = pbconv.Report(e.Before)
		}
		return entry("unit_report", e.Report.ID, e.Report.CommunityID, before, pbconv.Report(e.Report)), true
	case meetings.Recorded:
		var before proto.Message
		if e.Before != nil {
			before = pbconv.Meeting(e.Before)
		}
		return entry("joint_meeting", e.Meeting.ID, e.Meeting.ConvenerID, before, pbconv.Meeting(e.Meeting)), true
	case meetings.ItemChanged:
		today := cobuild.DayOf(at, nil)
		var before proto.Message
		if e.Before != nil {
			before = pbconv.Item(e.Before, today)
		}
		return entry("ledger_item", e.Item.ID, e.Item.ConvenerID, before, pbconv.Item(e.Item, today)), true
	case activities.Recorded:
		a := e.Activity
		return entry("joint_activity", a.ID, a.CommunityIDs[0], nil, pbconv.Activity(a)), true
	case settings.Updated:
		return entry("cobuilding_settings", e.Settings.DistrictID, e.Settings.DistrictID, nil, pbconv.Settings(e.Settings)), true
	// The two-way evaluation, residents' requests and balancing.
	case evaluations.Published:
		var before proto.Message
		if e.Before != nil {
			before = pbconv.Evaluation(e.Before)
		}
		return entry("evaluation", e.Evaluation.ID, e.Evaluation.CommunityID, before, pbconv.Evaluation(e.Evaluation)), true
	case requests.Changed:
		// The snapshots keep the resident's data masked: the trail says
		// who changed what, it is no second copy of the personal data.
		var before proto.Message
		if e.Before != nil {
			before = pbconv.ServiceRequest(e.Before.WithMaskedResident())
		}
		return entry("service_request", e.Request.ID, e.Request.CommunityID, before, pbconv.ServiceRequest(e.Request.WithMaskedResident())), true
	case requests.SettingsUpdated:
		return entry("service_request_settings", e.Settings.DistrictID, e.Settings.DistrictID, nil, pbconv.ServiceRequestSettings(e.Settings)), true
	case balancing.Changed:
		p := e.Proposal
		return entry("balancing_proposal", p.ID, p.OrganisationID, nil, pbconv.BalancingProposal(p)), true
	}
	return venueAuditEntry(e)
}

// venueAuditEntry is the audit record of a change to venues, bookings, the
// calendar and volunteer teams.
func venueAuditEntry(e cobuild.Event) (audit.Entry, bool) {
	switch e := e.(type) {
	case venues.VenueChanged:
		var before proto.Message
		if e.Before != nil {
			before = pbconv.Venue(e.Before)
		}
		return entry("venue", e.Venue.ID, e.Venue.CommunityID, before, pbconv.Venue(e.Venue)), true
	case venues.BookingChanged:
		return entry("booking", e.Booking.ID, e.Booking.CommunityID, nil, pbconv.Booking(e.Booking)), true
	case venues.DaySet:
		return entry("calendar_day", cobuild.FormatDate(e.Day.Date), "", nil, pbconv.Day(e.Day)), true
	case volunteers.TeamChanged:
		var before proto.Message
		if e.Before != nil {
			before = pbconv.Team(e.Before)
		}
		return entry("volunteer_team", e.Team.ID, e.Team.CommunityID, before, pbconv.Team(e.Team)), true
	case volunteers.VolunteersChanged:
		return entry("volunteer_team", e.Team.ID, e.Team.CommunityID, nil,
			&pb.VolunteersChanged{TeamId: e.Team.ID, Joined: pbconv.Volunteers(e.Joined), Left: pbconv.Volunteers(e.Left)}), true
	case volunteers.ServiceRecorded:
		return entry("volunteer_service", e.Service.ID, e.Team.CommunityID, nil, pbconv.ServiceRecord(e.Service)), true
	}
	return audit.Entry{}, false
}

func entry(subject, id, org string, before, after proto.Message) audit.Entry {
	en := audit.Entry{SubjectType: subject, SubjectID: id, OrganisationID: org, After: after}
	if before != nil {
		en.Before = before
	}
	return en
}

func unitOrNil(u *units.Unit) proto.Message {
	if u == nil {
		return nil
	}
	return pbconv.Unit(u)
}
