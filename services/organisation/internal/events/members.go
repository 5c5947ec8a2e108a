package events

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/events"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/organisation/internal/store"
)

// The member service's subjects the view of its members follows.
const (
	MemberRegisteredSubject = "gongjian.member.v1.member_registered"
	MemberUpdatedSubject    = "gongjian.member.v1.member_updated"
	MemberLeftSubject       = "gongjian.member.v1.member_left"
)

// Members is the durable consumer that keeps the view of the member
// service's members which attendance ids are checked against: who is a
// member, where their relationship sits (registration, a completed
// transfer's member_updated) and when they left.
var Members = events.ConsumerSpec{Stream: "MEMBER", Durable: "organisation-members",
	FilterSubjects: []string{MemberRegisteredSubject, MemberUpdatedSubject, MemberLeftSubject}}

// ApplyMembers returns the handler of Members. Each message is kept in the
// consumer's transaction (the inbox makes a redelivery a no-op) and a
// message older than what the view holds of the member is passed over, so
// the view can be rebuilt by replaying the stream from its start. A
// message that cannot be read is logged and passed over: delivering it
// again cannot make it right.
func ApplyMembers(st *store.Store, loc *time.Location, log *slog.Logger) events.Handler {
	return func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		var (
			m    *memberv1.Member
			at   time.Time
			left string
			err  error
		)
		switch msg.Subject() {
		case MemberRegisteredSubject:
			var ev memberv1.MemberRegistered
			err = proto.Unmarshal(msg.Data(), &ev)
			m, at = ev.GetMember(), ev.GetOccurTime().AsTime()
		case MemberUpdatedSubject:
			var ev memberv1.MemberUpdated
			err = proto.Unmarshal(msg.Data(), &ev)
			m, at = ev.GetMember(), ev.GetOccurTime().AsTime()
		case MemberLeftSubject:
			var ev memberv1.MemberLeft
			err = proto.Unmarshal(msg.Data(), &ev)
			m, at, left = ev.GetMember(), ev.GetOccurTime().AsTime(), ev.GetDate()
		default:
			return nil
		}
		if err != nil || uuid.Validate(m.GetId()) != nil || uuid.Validate(m.GetOrganisationId()) != nil {
			log.ErrorContext(ctx, "member event cannot be applied; skipped", "subject", msg.Subject(),
				"member_id", m.GetId(), "error", err)
			return nil
		}
		b := st.Bound(tx)
		if msg.Subject() != MemberLeftSubject {
			return b.SaveMemberPlace(ctx, m.GetId(), m.GetOrganisationId(), at)
		}
		on, err := time.ParseInLocation(time.DateOnly, left, time.UTC)
		if err != nil {
			on = at.In(loc)
			on = time.Date(on.Year(), on.Month(), on.Day(), 0, 0, 0, 0, time.UTC)
		}
		return b.SaveMemberLeft(ctx, m.GetId(), m.GetOrganisationId(), on, at)
	}
}
