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
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/store"
)

// UnitCoverageSubject is where the co-building service reports that a
// resident unit became, or stopped being, a coverage gap.
const UnitCoverageSubject = "gongjian.cobuilding.v1.resident_unit_coverage_changed"

// UnitCoverage is the durable consumer that keeps the resident units'
// coverage the compliance report's coverage rule reads.
var UnitCoverage = events.ConsumerSpec{Stream: "COBUILDING", Durable: "organisation-unit-coverage",
	FilterSubjects: []string{UnitCoverageSubject}}

// ApplyUnitCoverage returns the handler of UnitCoverage: each report is
// applied in the consumer's transaction, hence once, with its audit record
// naming the consumer as the actor; an older report never undoes a newer
// one. A report that cannot be read is logged and passed over: delivering
// it again cannot make it right.
func ApplyUnitCoverage(st *store.Store, loc *time.Location, log *slog.Logger) events.Handler {
	return func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		var ev cobuildingv1.ResidentUnitCoverageChanged
		err := proto.Unmarshal(msg.Data(), &ev)
		if err != nil || uuid.Validate(ev.GetUnitId()) != nil || uuid.Validate(ev.GetCommunityId()) != nil ||
			!validOrEmpty(ev.GetDistrictId()) || !validOrEmpty(ev.GetPartyOrganisationId()) {
			log.ErrorContext(ctx, "unit coverage event cannot be applied; skipped", "subject", msg.Subject(),
				"unit_id", ev.GetUnitId(), "error", err)
			return nil
		}
		svc := org.NewService(st.Bound(tx), nil, loc)
		return svc.ApplyUnitCoverage(audit.AsSystem(ctx, "unit-coverage"), org.UnitCoverage{
			UnitID: ev.GetUnitId(), UnitName: ev.GetUnitName(), CommunityID: ev.GetCommunityId(),
			DistrictID: ev.GetDistrictId(), PartyOrganisationID: ev.GetPartyOrganisationId(),
			PartyMembers: ev.GetPartyMemberCount(), Gap: ev.GetGap(),
		}, ev.GetOccurTime().AsTime())
	}
}

func validOrEmpty(id string) bool { return id == "" || uuid.Validate(id) == nil }
