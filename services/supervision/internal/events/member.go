package events

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/cityclock"
	"gongjian.dev/pkg/events"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/supervision/internal/rules"
)

// The member service's subjects the service follows.
const (
	memberPrefix            = "gongjian.member.v1."
	subjectMemberRegistered = memberPrefix + "member_registered"
	subjectMembersImported  = memberPrefix + "members_imported"
	subjectMemberUpdated    = memberPrefix + "member_updated"
	subjectMemberLeft       = memberPrefix + "member_left"
	subjectStarRatingSet    = memberPrefix + "star_rating_set"
	subjectInService        = memberPrefix + "in_service_registered"
	subjectInServiceEnded   = memberPrefix + "in_service_registration_ended"
	subjectTransferExpired  = memberPrefix + "transfer_expired"
	subjectTransferFlagged  = memberPrefix + "transfer_flagged_for_review"
	subjectContactOverdue   = memberPrefix + "mobile_contact_overdue"
)

// Members is the durable consumer of the member service's events.
var Members = events.ConsumerSpec{Stream: "MEMBER", Durable: "supervision-member",
	FilterSubjects: []string{subjectMemberRegistered, subjectMembersImported, subjectMemberUpdated, subjectMemberLeft, subjectStarRatingSet,
		subjectInService, subjectInServiceEnded, subjectTransferExpired, subjectTransferFlagged, subjectContactOverdue}}

// ApplyMembers returns the handler of Members.
func ApplyMembers(d Deps) events.Handler {
	return func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		apply, ok := memberAppliers[msg.Subject()]
		if !ok {
			return nil
		}
		return apply(ctx, d, tx, msg.Data())
	}
}

type applier func(ctx context.Context, d Deps, tx pgx.Tx, data []byte) error

var memberAppliers = map[string]applier{
	subjectMemberRegistered: func(ctx context.Context, d Deps, tx pgx.Tx, data []byte) error {
		var ev memberv1.MemberRegistered
		if err := proto.Unmarshal(data, &ev); err != nil {
			return skip(ctx, d, err)
		}
		m := ev.GetMember()
		return d.Store.Tx(tx).SaveMember(ctx, m.GetId(), m.GetOrganisationId(), m.GetStarRating(), ev.GetOccurTime().AsTime())
	},
	// A bulk import's arrivals in one organisation: each member as a
	// registration would keep them.
	subjectMembersImported: func(ctx context.Context, d Deps, tx pgx.Tx, data []byte) error {
		var ev memberv1.MembersImported
		if err := proto.Unmarshal(data, &ev); err != nil {
			return skip(ctx, d, err)
		}
		ids := make([]string, len(ev.GetMembers()))
		for i, m := range ev.GetMembers() {
			ids[i] = m.GetId()
		}
		return d.Store.Tx(tx).SaveMembers(ctx, ids, ev.GetOrganisationId(), ev.GetOccurTime().AsTime())
	},
	subjectMemberUpdated: func(ctx context.Context, d Deps, tx pgx.Tx, data []byte) error {
		var ev memberv1.MemberUpdated
		if err := proto.Unmarshal(data, &ev); err != nil {
			return skip(ctx, d, err)
		}
		m := ev.GetMember()
		return d.Store.Tx(tx).SaveMember(ctx, m.GetId(), m.GetOrganisationId(), m.GetStarRating(), ev.GetOccurTime().AsTime())
	},
	subjectStarRatingSet: func(ctx context.Context, d Deps, tx pgx.Tx, data []byte) error {
		var ev memberv1.StarRatingSet
		if err := proto.Unmarshal(data, &ev); err != nil {
			return skip(ctx, d, err)
		}
		r := ev.GetRating()
		return d.Store.Tx(tx).SaveMember(ctx, r.GetMemberId(), r.GetOrganisationId(), ev.GetCurrentStars(), ev.GetOccurTime().AsTime())
	},
	subjectMemberLeft: func(ctx context.Context, d Deps, tx pgx.Tx, data []byte) error {
		var ev memberv1.MemberLeft
		if err := proto.Unmarshal(data, &ev); err != nil {
			return skip(ctx, d, err)
		}
		at := ev.GetOccurTime().AsTime()
		return d.Store.Tx(tx).EndInService(ctx, ev.GetMember().GetId(), cityclock.New(nil, d.Loc).Day(at), at)
	},
	subjectInService:      applyRegistration,
	subjectInServiceEnded: applyRegistration,
	subjectTransferExpired: func(ctx context.Context, d Deps, tx pgx.Tx, data []byte) error {
		var ev memberv1.TransferExpired
		if err := proto.Unmarshal(data, &ev); err != nil {
			return skip(ctx, d, err)
		}
		t := ev.GetTransfer()
		overdue := int64(0)
		if t.GetLetterDeadline() != nil {
			overdue = int64(ev.GetOccurTime().AsTime().Sub(t.GetLetterDeadline().AsTime()).Hours() / 24)
		}
		vars := map[string]any{"outside_city": t.GetOutside() != nil, "days_overdue": max(overdue, 0)}
		return eventFact(ctx, d, tx, rules.FactTransferExpired, t.GetId(), "letter "+t.GetLetterNumber(), t.GetFromOrganisationId(), vars, ev.GetOccurTime().AsTime())
	},
	subjectTransferFlagged: func(ctx context.Context, d Deps, tx pgx.Tx, data []byte) error {
		var ev memberv1.TransferFlaggedForReview
		if err := proto.Unmarshal(data, &ev); err != nil {
			return skip(ctx, d, err)
		}
		t := ev.GetTransfer()
		at := ev.GetOccurTime().AsTime()
		vars := map[string]any{"months_open": int64(rules.MonthsBetween(t.GetCreateTime().AsTime(), at))}
		return eventFact(ctx, d, tx, rules.FactTransferFlagged, t.GetId(), "flagged", t.GetFromOrganisationId(), vars, at)
	},
	subjectContactOverdue: func(ctx context.Context, d Deps, tx pgx.Tx, data []byte) error {
		var ev memberv1.MobileContactOverdue
		if err := proto.Unmarshal(data, &ev); err != nil {
			return skip(ctx, d, err)
		}
		if ev.GetHomeOrganisationId() == "" {
			return nil // a member from outside the city: no organisation here answers for them
		}
		vars := map[string]any{"period": int64(ev.GetPeriod())}
		return eventFact(ctx, d, tx, rules.FactMobileContactOverdue, ev.GetRecordId(), "period "+strconv.Itoa(int(ev.GetPeriod())),
			ev.GetHomeOrganisationId(), vars, ev.GetOccurTime().AsTime())
	},
}

func applyRegistration(ctx context.Context, d Deps, tx pgx.Tx, data []byte) error {
	// Both messages carry the registration as it stands.
	var ev memberv1.InServiceRegistered
	if err := proto.Unmarshal(data, &ev); err != nil {
		return skip(ctx, d, err)
	}
	r := ev.GetRegistration()
	return d.Store.Tx(tx).SaveInService(ctx, r.GetId(), r.GetMemberId(), r.GetCommunityId(), r.GetMemberOrganisationId(),
		parseDate(r.GetReportDate()), parseDate(r.GetEndDate()), ev.GetOccurTime().AsTime())
}

// eventFact keeps a fact that arrived as an event and, when it is new,
// judges it at once by the rules that watch it.
func eventFact(ctx context.Context, d Deps, tx pgx.Tx, fact, subject, period, orgID string, vars map[string]any, at time.Time) error {
	ts := d.Store.Tx(tx)
	isNew, err := ts.SaveEventFact(ctx, fact, subject, period, orgID, vars, at)
	if err != nil || !isNew {
		return err
	}
	return d.Rules(d.Store).OnFact(ctx, ts, fact, subject, orgID)
}

func skip(ctx context.Context, d Deps, err error) error {
	// Redelivering it cannot make it right.
	d.Log.ErrorContext(ctx, "member event cannot be applied; skipped", "error", err)
	return nil
}
