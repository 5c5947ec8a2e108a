// Package events holds what the member service consumes from other
// services' streams besides its view of the organisation tree: the
// co-building service's joint activities, counted on the contact cards of
// the in-service members who took part. (What the service publishes is
// written to the outbox by the store; see internal/pbconv.)
package events

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/events"
	cobuildingv1 "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/reporting"
	"gongjian.dev/services/member/internal/store"
)

// JointActivitySubject is where the co-building service announces a joint
// activity it recorded.
const JointActivitySubject = "gongjian.cobuilding.v1.joint_activity_recorded"

// JointActivities is the durable consumer that counts joint activities on
// contact cards.
func JointActivities(durable string) events.ConsumerSpec {
	return events.ConsumerSpec{Stream: "COBUILDING", Durable: durable, FilterSubjects: []string{JointActivitySubject}}
}

// CountJointActivities returns the handler of JointActivities: each
// activity is counted in the consumer's transaction, which also records the
// event as applied, with the audit records of its card entries naming the
// consumer as the actor. The reporting rules decide per member (counted,
// or skipped with the reason); an event that cannot be read is logged and
// passed over, since delivering it again cannot make it right.
func CountJointActivities(st *store.Store, clock member.Clock, log *slog.Logger) events.Handler {
	return func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		var ev cobuildingv1.JointActivityRecorded
		a, ok := activityOf(&ev, proto.Unmarshal(msg.Data(), &ev))
		if !ok {
			log.ErrorContext(ctx, "joint activity event cannot be applied; skipped", "subject", msg.Subject(),
				"activity_id", ev.GetJointActivity().GetId())
			return nil
		}
		svc := reporting.NewService(st.Bound(tx).Reporting(), clock)
		out, err := svc.CountJointActivity(audit.AsSystem(ctx, reporting.ActivityRecorder), a)
		if err != nil {
			return err
		}
		for _, at := range out {
			if at.Skipped != "" {
				log.WarnContext(ctx, "joint activity not counted for a member", "activity_id", a.ID,
					"member_id", at.MemberID, "reason", at.Skipped)
			}
		}
		return nil
	}
}

// activityOf reads the activity of an event that decoded without err: an
// id and a date at least.
func activityOf(ev *cobuildingv1.JointActivityRecorded, err error) (reporting.JointActivity, bool) {
	ja := ev.GetJointActivity()
	if err != nil || uuid.Validate(ja.GetId()) != nil || ja.GetHours() < 0 || ja.GetHours() > 24 {
		return reporting.JointActivity{}, false
	}
	day, err := time.Parse(time.DateOnly, ja.GetDate())
	if err != nil {
		return reporting.JointActivity{}, false
	}
	return reporting.JointActivity{ID: ja.GetId(), Title: ja.GetTitle(), Date: day, Hours: ja.GetHours(),
		CommunityIDs: ja.GetCommunityIds(), MemberIDs: ja.GetMemberIds()}, true
}
