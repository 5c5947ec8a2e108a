// Package events holds what the organisation service consumes from other
// services' streams. (What it publishes is written to the outbox by the
// store; see internal/pbconv for the messages.)
package events

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/events"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/store"
)

// MemberCountSubject is where the member service reports member counts.
const MemberCountSubject = "gongjian.member.v1.organisation_member_count_changed"

// MemberCounts is the durable consumer that keeps the member counts the
// "over 50 members → general branch" rule reads.
var MemberCounts = events.ConsumerSpec{Stream: "MEMBER", Durable: "organisation-member-counts",
	FilterSubjects: []string{MemberCountSubject}}

// ApplyMemberCounts returns the handler of MemberCounts: each count is
// applied in the consumer's transaction, so an event is applied exactly
// once, with its audit record naming the consumer as the actor.
func ApplyMemberCounts(st *store.Store, loc *time.Location, log *slog.Logger) events.Handler {
	return func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		var ev memberv1.OrganisationMemberCountChanged
		if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
			log.ErrorContext(ctx, "member count event does not decode; skipped", "subject", msg.Subject(), "error", err)
			return nil
		}
		svc := org.NewService(st.Bound(tx), nil, loc)
		err := svc.ApplyMemberCount(audit.AsSystem(ctx, "member-counts"), ev.GetOrganisationId(), ev.GetMemberCount(), ev.GetOccurTime().AsTime())
		var refused *errs.Error
		if errors.As(err, &refused) && refused.Kind != errs.Internal {
			// A count the tree refuses (an organisation dissolved meanwhile,
			// or one that holds no members) is reported and passed over:
			// retrying cannot make it right.
			log.WarnContext(ctx, "member count refused", "organisation_id", ev.GetOrganisationId(), "reason", err.Error())
			return nil
		}
		return err
	}
}
