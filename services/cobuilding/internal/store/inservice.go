package store

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/events"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// The member service's subjects of in-service registrations.
const (
	SubjectInServiceRegistered = "gongjian.member.v1.in_service_registered"
	SubjectInServiceEnded      = "gongjian.member.v1.in_service_registration_ended"
)

// InServiceConsumer is the durable consumer of in-service registrations.
func InServiceConsumer(durable string) events.ConsumerSpec {
	return events.ConsumerSpec{Stream: "MEMBER", Durable: durable,
		FilterSubjects: []string{SubjectInServiceRegistered, SubjectInServiceEnded}}
}

// InServiceHandler keeps the registrations of in-service members with
// communities, from which each unit's in-service members are counted. An
// older event delivered late never undoes a newer one.
func InServiceHandler(log *slog.Logger) events.Handler {
	return func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		var ev interface {
			proto.Message
			GetRegistration() *memberv1.Registration
		}
		ended := msg.Subject() == SubjectInServiceEnded
		if ended {
			ev = &memberv1.InServiceRegistrationEnded{}
		} else {
			ev = &memberv1.InServiceRegistered{}
		}
		err := proto.Unmarshal(msg.Data(), ev)
		if r := ev.GetRegistration(); err != nil || !cobuild.ValidID(r.GetId()) || !cobuild.ValidID(r.GetMemberId()) || !cobuild.ValidID(r.GetCommunityId()) {
			// Redelivering it cannot make it right.
			log.ErrorContext(ctx, "in-service registration event cannot be applied; skipped", "subject", msg.Subject(), "error", err)
			return nil
		}
		r := ev.GetRegistration()
		at := r.GetUpdateTime().AsTime()
		_, err = tx.Exec(ctx, `INSERT INTO in_service_registrations (id, member_id, member_organisation_id, community_id, ended, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO UPDATE SET ended = EXCLUDED.ended, updated_at = EXCLUDED.updated_at
			WHERE in_service_registrations.updated_at <= EXCLUDED.updated_at`,
			r.GetId(), r.GetMemberId(), nullable(r.GetMemberOrganisationId()), r.GetCommunityId(), ended || r.GetEndDate() != "", at)
		return err
	}
}
