package events

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/cityclock"
	"gongjian.dev/pkg/events"
	cobv1 "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/supervision/internal/rules"
)

// The co-building service's subjects the service follows.
const (
	cobuildingPrefix          = "gongjian.cobuilding.v1."
	subjectUnitReportMissed   = cobuildingPrefix + "unit_report_missed"
	subjectJointMeetingMissed = cobuildingPrefix + "joint_meeting_missed"
	subjectLedgerItemOverdue  = cobuildingPrefix + "ledger_item_overdue"
	subjectJointActivity      = cobuildingPrefix + "joint_activity_recorded"
)

// CoBuilding is the durable consumer of the co-building service's events:
// the misses it finds (a monthly report, a joint meeting, a ledger item's
// deadline), judged as they arrive, and the joint activities, whose
// members' attendance the in_service_attendance fact counts from.
var CoBuilding = events.ConsumerSpec{Stream: "COBUILDING", Durable: "supervision-cobuilding",
	FilterSubjects: []string{subjectUnitReportMissed, subjectJointMeetingMissed, subjectLedgerItemOverdue, subjectJointActivity}}

// ApplyCoBuilding returns the handler of CoBuilding.
func ApplyCoBuilding(d Deps) events.Handler {
	return func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		apply, ok := coBuildingAppliers[msg.Subject()]
		if !ok {
			return nil
		}
		return apply(ctx, d, tx, msg.Data())
	}
}

var coBuildingAppliers = map[string]applier{
	subjectUnitReportMissed: func(ctx context.Context, d Deps, tx pgx.Tx, data []byte) error {
		var ev cobv1.UnitReportMissed
		if err := proto.Unmarshal(data, &ev); err != nil || ev.GetUnitId() == "" {
			return skip(ctx, d, err)
		}
		at := ev.GetOccurTime().AsTime()
		vars := map[string]any{"month": ev.GetMonth(), "days_late": daysAfter(ev.GetDueDate(), at, d.Loc)}
		return eventFact(ctx, d, tx, rules.FactUnitReportMissed, ev.GetUnitId(), "report "+ev.GetMonth(), ev.GetCommunityId(), vars, at)
	},
	subjectJointMeetingMissed: func(ctx context.Context, d Deps, tx pgx.Tx, data []byte) error {
		var ev cobv1.JointMeetingMissed
		if err := proto.Unmarshal(data, &ev); err != nil || ev.GetConvenerId() == "" {
			return skip(ctx, d, err)
		}
		start, end := parseDate(ev.GetPeriodStart()), parseDate(ev.GetPeriodEnd())
		vars := map[string]any{"kind": trimEnum(ev.GetKind().String(), "MEETING_KIND_"),
			"period_days": int64(max(end.Sub(start).Hours()/24+1, 0))}
		return eventFact(ctx, d, tx, rules.FactJointMeetingMissed, ev.GetConvenerId(),
			"meetings "+ev.GetPeriodStart()+" to "+ev.GetPeriodEnd(), ev.GetConvenerId(), vars, ev.GetOccurTime().AsTime())
	},
	subjectLedgerItemOverdue: func(ctx context.Context, d Deps, tx pgx.Tx, data []byte) error {
		var ev cobv1.LedgerItemOverdue
		if err := proto.Unmarshal(data, &ev); err != nil || ev.GetLedgerItemId() == "" {
			return skip(ctx, d, err)
		}
		at := ev.GetOccurTime().AsTime()
		vars := map[string]any{"days_overdue": daysAfter(ev.GetDeadline(), at, d.Loc), "owned_by_unit": ev.GetOwnerUnitId() != ""}
		return eventFact(ctx, d, tx, rules.FactLedgerItemOverdue, ev.GetLedgerItemId(), "deadline "+ev.GetDeadline(),
			ev.GetConvenerId(), vars, at)
	},
	subjectJointActivity: func(ctx context.Context, d Deps, tx pgx.Tx, data []byte) error {
		var ev cobv1.JointActivityRecorded
		if err := proto.Unmarshal(data, &ev); err != nil {
			return skip(ctx, d, err)
		}
		a := ev.GetJointActivity()
		day := parseDate(a.GetDate())
		if day.IsZero() || len(a.GetMemberIds()) == 0 {
			return nil
		}
		return d.Store.Tx(tx).SaveAttendances(ctx, a.GetMemberIds(), day)
	},
}

// daysAfter is the whole days from a YYYY-MM-DD day to the city's day of
// at (0 if not after it, or if the day cannot be read).
func daysAfter(day string, at time.Time, loc *time.Location) int64 {
	d := parseDate(day)
	if d.IsZero() {
		return 0
	}
	return max(int64(cityclock.New(nil, loc).Day(at).Sub(d).Hours()/24), 0)
}
