package events

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/events"
	organisationv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/participation"
	"gongjian.dev/services/member/internal/store"
)

// ActivityRecordedSubject is where the organisation service announces an
// activity of organisation life it recorded.
const ActivityRecordedSubject = "gongjian.organisation.v1.activity_recorded"

// OrganisationLife is the durable consumer that builds each member's
// participation in organisation life.
func OrganisationLife(durable string) events.ConsumerSpec {
	return events.ConsumerSpec{Stream: "ORGANISATION", Durable: durable, FilterSubjects: []string{ActivityRecordedSubject}}
}

// RecordOrganisationLife returns the handler of OrganisationLife: each
// activity's members are kept in the consumer's transaction, which also
// records the event as applied, so a redelivered or replayed event adds
// nothing; a member recorded present who was flagged lost contact is
// cleared there, with the event. An activity that names no member by id
// (records made before ids were taken) is passed over, and so is one that
// cannot be read: delivering it again cannot make it right.
func RecordOrganisationLife(st *store.Store, members *member.Service, log *slog.Logger) events.Handler {
	return func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		var ev organisationv1.ActivityRecorded
		a, ok := lifeOf(&ev, proto.Unmarshal(msg.Data(), &ev))
		if !ok {
			log.ErrorContext(ctx, "activity event cannot be applied; skipped", "subject", msg.Subject(),
				"activity_id", ev.GetActivity().GetId())
			return nil
		}
		svc := participation.NewService(st.Bound(tx).Participation(), members)
		return svc.RecordActivity(audit.AsSystem(ctx, participation.Recorder), a)
	}
}

// lifeOf reads the activity of an event that decoded without err.
func lifeOf(ev *organisationv1.ActivityRecorded, err error) (participation.Activity, bool) {
	m := ev.GetActivity()
	if err != nil || uuid.Validate(m.GetId()) != nil || uuid.Validate(m.GetOrganisationId()) != nil {
		return participation.Activity{}, false
	}
	day, err := time.Parse(time.DateOnly, m.GetDate())
	if err != nil {
		return participation.Activity{}, false
	}
	a := participation.Activity{ID: m.GetId(), OrganisationID: m.GetOrganisationId(), Date: day, Topic: m.GetTopic(),
		Kind: strings.TrimPrefix(m.GetKind().String(), "ACTIVITY_KIND_"), Recorded: m.GetRecordTime().AsTime()}
	for _, id := range m.GetAttendeeMemberIds() {
		if uuid.Validate(id) == nil {
			a.AttendeeIDs = append(a.AttendeeIDs, strings.ToLower(id))
		}
	}
	for _, ab := range m.GetAbsentees() {
		if uuid.Validate(ab.GetMemberId()) != nil {
			continue // named only: nobody here to credit
		}
		kind := ""
		if ab.GetReasonKind() != organisationv1.AbsenceReason_ABSENCE_REASON_UNSPECIFIED {
			kind = strings.TrimPrefix(ab.GetReasonKind().String(), "ABSENCE_REASON_")
		}
		a.Absentees = append(a.Absentees, participation.Absence{MemberID: strings.ToLower(ab.GetMemberId()),
			ReasonKind: kind, Reason: ab.GetReason()})
	}
	return a, true
}
