// Package orgview keeps the member service's local view of the organisation
// tree from the organisation service's events, so that members are
// registered, scoped and listed by subtree without calling that service.
package orgview

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/events"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/member/internal/store"
)

// The subjects of the organisation service the view follows.
const (
	SubjectCreated   = "gongjian.organisation.v1.organisation_created"
	SubjectUpdated   = "gongjian.organisation.v1.organisation_updated"
	SubjectMoved     = "gongjian.organisation.v1.organisation_moved"
	SubjectDissolved = "gongjian.organisation.v1.organisation_dissolved"
)

// Consumer is the durable consumer that keeps the view.
var Consumer = events.ConsumerSpec{Stream: "ORGANISATION", Durable: "member-orgs",
	FilterSubjects: []string{SubjectCreated, SubjectUpdated, SubjectMoved, SubjectDissolved}}

// Apply returns the handler of Consumer: each event is applied in the
// consumer's transaction, so it is applied exactly once.
func Apply(log *slog.Logger) events.Handler {
	return func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		var (
			o    *orgv1.Organisation
			at   time.Time
			move bool
		)
		switch msg.Subject() {
		case SubjectCreated:
			var ev orgv1.OrganisationCreated
			if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
				return skip(ctx, log, msg, err)
			}
			o, at = ev.GetOrganisation(), ev.GetOccurTime().AsTime()
		case SubjectUpdated:
			var ev orgv1.OrganisationUpdated
			if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
				return skip(ctx, log, msg, err)
			}
			o, at = ev.GetOrganisation(), ev.GetOccurTime().AsTime()
		case SubjectMoved:
			var ev orgv1.OrganisationMoved
			if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
				return skip(ctx, log, msg, err)
			}
			o, at, move = ev.GetOrganisation(), ev.GetOccurTime().AsTime(), true
		case SubjectDissolved:
			var ev orgv1.OrganisationDissolved
			if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
				return skip(ctx, log, msg, err)
			}
			o, at = ev.GetOrganisation(), ev.GetOccurTime().AsTime()
		default:
			return nil
		}
		if o.GetId() == "" {
			return skip(ctx, log, msg, nil)
		}
		rec := Record(o)
		if move {
			return store.ApplyMove(ctx, tx, rec, at)
		}
		return store.ApplyOrg(ctx, tx, rec, at)
	}
}

// Record is the view's record of an organisation message.
func Record(o *orgv1.Organisation) store.OrgRecord {
	return store.OrgRecord{
		ID: o.GetId(), ParentID: o.GetParentId(), Name: o.GetName(), DistrictID: o.GetDistrictId(),
		Kind:        strings.TrimPrefix(o.GetKind().String(), "ORGANISATION_KIND_"),
		State:       strings.TrimPrefix(o.GetState().String(), "ORGANISATION_STATE_"),
		AncestorIDs: o.GetAncestorIds(),
	}
}

// skip reports an event that cannot be applied and passes over it:
// redelivering it cannot make it right.
func skip(ctx context.Context, log *slog.Logger, msg jetstream.Msg, err error) error {
	log.ErrorContext(ctx, "organisation event cannot be applied; skipped", "subject", msg.Subject(), "error", err)
	return nil
}
