package events

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/events"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/organisation/internal/store"
)

// The member service's subjects the view of its members follows.
const (
	MemberRegisteredSubject  = "gongjian.member.v1.member_registered"
	MemberUpdatedSubject     = "gongjian.member.v1.member_updated"
	MemberLeftSubject        = "gongjian.member.v1.member_left"
	TransferCompletedSubject = "gongjian.member.v1.transfer_completed"
	TransferRecordedSubject  = "gongjian.member.v1.transfer_recorded"
	MembersImportedSubject   = "gongjian.member.v1.members_imported"
)

// Members is the durable consumer that keeps the view of the member
// service's members which attendance ids are checked against: who is a
// member, where their relationship sits (registration, a bulk import's
// arrivals, an update, a transfer completed or recorded from paper) and
// when they left.
var Members = events.ConsumerSpec{Stream: "MEMBER", Durable: "organisation-members",
	FilterSubjects: []string{MemberRegisteredSubject, MemberUpdatedSubject, MemberLeftSubject,
		TransferCompletedSubject, TransferRecordedSubject, MembersImportedSubject}}

// ApplyMembers returns the handler of Members. Each message is kept in the
// consumer's transaction (the inbox makes a redelivery a no-op) and a
// message earlier in the stream than the one the view holds of the member
// is passed over (by stream sequence: the relay publishes in commit order,
// while a transfer recorded from paper carries its original dates), so
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
		var seq uint64
		if md, err := msg.Metadata(); err == nil {
			seq = md.Sequence.Stream
		}
		switch msg.Subject() {
		case TransferCompletedSubject, TransferRecordedSubject:
			return applyTransfer(ctx, st.Bound(tx), msg, seq, log)
		case MembersImportedSubject:
			return applyImported(ctx, st.Bound(tx), msg, seq, log)
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
			return b.SaveMemberPlace(ctx, m.GetId(), m.GetOrganisationId(), at, seq)
		}
		on, err := time.ParseInLocation(time.DateOnly, left, time.UTC)
		if err != nil {
			on = at.In(loc)
			on = time.Date(on.Year(), on.Month(), on.Day(), 0, 0, 0, 0, time.UTC)
		}
		return b.SaveMemberLeft(ctx, m.GetId(), m.GetOrganisationId(), on, at)
	}
}

// applyTransfer moves a member whose transfer completed (or was recorded
// from paper as completed) to the receiving organisation. A transfer out
// of the city names no receiving organisation here: its member_left ends
// the membership in the view.
func applyTransfer(ctx context.Context, b *store.BoundStore, msg jetstream.Msg, seq uint64, log *slog.Logger) error {
	var ev interface {
		proto.Message
		GetTransfer() *memberv1.Transfer
		GetOccurTime() *timestamppb.Timestamp
	} = &memberv1.TransferCompleted{}
	if msg.Subject() == TransferRecordedSubject {
		ev = &memberv1.TransferRecorded{}
	}
	if err := proto.Unmarshal(msg.Data(), ev); err != nil {
		log.ErrorContext(ctx, "transfer event does not decode; skipped", "subject", msg.Subject(), "error", err)
		return nil
	}
	t := ev.GetTransfer()
	if t.GetState() != memberv1.TransferState_TRANSFER_STATE_COMPLETED ||
		uuid.Validate(t.GetMemberId()) != nil || uuid.Validate(t.GetToOrganisationId()) != nil {
		return nil
	}
	return b.SaveMemberPlace(ctx, t.GetMemberId(), t.GetToOrganisationId(), ev.GetOccurTime().AsTime(), seq)
}

// applyImported keeps a bulk import's arrivals, each as a registration.
func applyImported(ctx context.Context, b *store.BoundStore, msg jetstream.Msg, seq uint64, log *slog.Logger) error {
	var ev memberv1.MembersImported
	if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
		log.ErrorContext(ctx, "members_imported does not decode; skipped", "error", err)
		return nil
	}
	at := ev.GetOccurTime().AsTime()
	for _, m := range ev.GetMembers() {
		org := m.GetOrganisationId()
		if org == "" {
			org = ev.GetOrganisationId()
		}
		if uuid.Validate(m.GetId()) != nil || uuid.Validate(org) != nil {
			continue
		}
		if err := b.SaveMemberPlace(ctx, m.GetId(), org, at, seq); err != nil {
			return err
		}
	}
	return nil
}
