// Package events holds what the supervision service consumes from the
// other services' streams: it keeps its projections of the facts the rules
// watch — the organisation tree (pkg/orgview), founding dates and
// organisation life from the organisation service; in-service
// registrations, stars, expired and flagged transfers and overdue contact
// from the member service — and judges the facts that arrive as events
// as they arrive. Each event is applied in the consumer's transaction,
// which records it in the inbox: a redelivered or re-published event
// changes nothing.
package events

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/cityclock"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/orgview"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/supervision/internal/rectify"
	"gongjian.dev/services/supervision/internal/rules"
	"gongjian.dev/services/supervision/internal/store"
)

// The organisation service's subjects the service follows besides the tree.
const subjectActivityRecorded = "gongjian.organisation.v1.activity_recorded"

// Organisations is the durable consumer of the organisation service's events.
var Organisations = events.ConsumerSpec{Stream: "ORGANISATION", Durable: "supervision-organisation",
	FilterSubjects: []string{orgview.SubjectCreated, orgview.SubjectUpdated, orgview.SubjectMoved, orgview.SubjectDissolved,
		subjectActivityRecorded}}

// Deps are what the handlers work with.
type Deps struct {
	Store   *store.Store
	Rules   func(rules.Store) *rules.Service
	Rectify func(rectify.Store) *rectify.Service
	Log     *slog.Logger
	Loc     *time.Location
}

// ApplyOrganisations returns the handler of Organisations: the view of
// the tree, each organisation's founding date, and the activities held —
// a concentrated activity recorded late lets the items of its missed
// quarter be closed.
func ApplyOrganisations(d Deps) events.Handler {
	tree := orgview.Handler(d.Log, nil)
	return func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		if msg.Subject() == subjectActivityRecorded {
			return applyActivity(ctx, d, tx, msg)
		}
		if err := tree(ctx, tx, msg); err != nil {
			return err
		}
		var ev interface {
			proto.Message
			GetOrganisation() *orgv1.Organisation
		}
		switch msg.Subject() {
		case orgview.SubjectCreated:
			ev = &orgv1.OrganisationCreated{}
		case orgview.SubjectUpdated:
			ev = &orgv1.OrganisationUpdated{}
		default:
			return nil
		}
		if err := proto.Unmarshal(msg.Data(), ev); err != nil || ev.GetOrganisation().GetId() == "" {
			return nil // the tree's handler has logged it
		}
		o := ev.GetOrganisation()
		founded := parseDate(o.GetFoundingDate())
		if founded.IsZero() && o.GetCreateTime() != nil {
			founded = cityclock.New(nil, d.Loc).Day(o.GetCreateTime().AsTime())
		}
		at := o.GetUpdateTime().AsTime()
		if o.GetUpdateTime() == nil {
			at = o.GetCreateTime().AsTime()
		}
		return d.Store.Tx(tx).SaveFounding(ctx, o.GetId(), founded, at)
	}
}

func applyActivity(ctx context.Context, d Deps, tx pgx.Tx, msg jetstream.Msg) error {
	var ev orgv1.ActivityRecorded
	if err := proto.Unmarshal(msg.Data(), &ev); err != nil || ev.GetActivity().GetId() == "" {
		d.Log.ErrorContext(ctx, "activity event cannot be applied; skipped", "error", err)
		return nil
	}
	a := ev.GetActivity()
	kind := trimEnum(a.GetKind().String(), "ACTIVITY_KIND_")
	at := ev.GetOccurTime().AsTime()
	ts := d.Store.Tx(tx)
	isNew, err := ts.SaveActivity(ctx, a.GetId(), a.GetOrganisationId(), kind, parseDate(a.GetDate()), at)
	if err != nil || !isNew || kind != "CONCENTRATED_ACTIVITY" {
		return err
	}
	// The items waiting for it belong to the organisation or one above it.
	orgs := append([]string{a.GetOrganisationId()}, ev.GetOrganisationAncestorIds()...)
	return d.Rectify(store.Rectify{Store: d.Store}).Remedy(ctx, ts, orgs, a.GetId(), at)
}

func parseDate(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

func trimEnum(s, prefix string) string {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):]
	}
	return s
}
