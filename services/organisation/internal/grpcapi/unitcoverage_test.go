package grpcapi_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/servicetest"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
	cobuildingv1 "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	orgevents "gongjian.dev/services/organisation/internal/events"
	"gongjian.dev/services/organisation/internal/org"
)

// cobuildingStream is the co-building service's stream, on which the tests
// publish units' coverage as that service does.
var cobuildingStream = events.StreamSpec{Name: "COBUILDING", Subjects: []string{"gongjian.cobuilding.v1.>"}}

// publishCoverage publishes a unit's coverage as the co-building service
// does, under eventID, and waits until the service has applied it.
func (h *harness) publishCoverage(t *testing.T, eventID string, ev *cobuildingv1.ResidentUnitCoverageChanged) {
	t.Helper()
	ev.EventId = eventID
	data, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.js.Publish(callContext(t), orgevents.UnitCoverageSubject, data, jetstream.WithMsgID(eventID)); err != nil {
		t.Fatal(err)
	}
	servicetest.WaitFor(t, "the coverage event applied", func() bool {
		var n int
		err := h.pool.QueryRow(callContext(t), `SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2`,
			orgevents.UnitCoverage.Durable, eventID).Scan(&n)
		return err == nil && n == 1
	})
}

// unitGaps are the resident units a compliance report names as coverage
// gaps, by unit id, with the community each is found in.
func (h *harness) unitGaps(t *testing.T, rootID string, subtree bool) map[string]string {
	t.Helper()
	rep, err := h.compliance.GetComplianceReport(callContext(t), &pb.GetComplianceReportRequest{OrganisationId: rootID, Subtree: subtree})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rep.GetResults() {
		if r.GetRule() != pb.ComplianceRule_COMPLIANCE_RULE_COVERAGE_GAP {
			continue
		}
		for _, f := range r.GetFindings() {
			if f.GetSubjectKind() == pb.FindingSubjectKind_FINDING_SUBJECT_KIND_RESIDENT_UNIT {
				out[f.GetSubjectId()] = f.GetOrganisationId()
			}
		}
	}
	return out
}

func TestResidentUnitCoverageGapsOpenAndCloseInTheComplianceReport(t *testing.T) {
	t.Parallel()
	h := newHarness(t, servicetest.WithStreams(cobuildingStream))
	tr := h.tree(t)
	second := h.create(t, community(tr.street, "Xinhua Road Community", pb.CommunityForm_COMMUNITY_FORM_BRANCH))
	farStreet := h.create(t, child(tr.district, kindStreet, "Jinchuan Road Street Working Committee"))
	far := h.create(t, community(farStreet, "Lanzhou Road Community", pb.CommunityForm_COMMUNITY_FORM_BRANCH))
	unit := func(id, name string, c *pb.Organisation, gap bool, at time.Time) *cobuildingv1.ResidentUnitCoverageChanged {
		ev := &cobuildingv1.ResidentUnitCoverageChanged{OccurTime: timestamppb.New(at), UnitId: id, UnitName: name,
			CommunityId: c.GetId(), DistrictId: tr.district.GetId(), Gap: gap, PartyMemberCount: 7}
		if !gap {
			ev.PartyOrganisationId = tr.branch.GetId()
		}
		return ev
	}
	now := time.Now()
	hotel, clinic, firm, covered := org.NewID(), org.NewID(), org.NewID(), org.NewID()
	h.publishCoverage(t, org.NewID(), unit(hotel, "同江宾馆", tr.community, true, now))
	h.publishCoverage(t, org.NewID(), unit(clinic, "街道社区卫生服务中心", second, true, now))
	h.publishCoverage(t, org.NewID(), unit(firm, "三江物流有限公司", far, true, now))
	h.publishCoverage(t, org.NewID(), unit(covered, "县供电局", tr.community, false, now))

	t.Run("the gaps are listed per community, street and district", func(t *testing.T) {
		for _, c := range []struct {
			name    string
			root    string
			subtree bool
			want    map[string]string
		}{
			{"a community", tr.community.GetId(), false, map[string]string{hotel: tr.community.GetId()}},
			{"a street", tr.street.GetId(), true, map[string]string{hotel: tr.community.GetId(), clinic: second.GetId()}},
			{"a district", tr.district.GetId(), true, map[string]string{hotel: tr.community.GetId(), clinic: second.GetId(), firm: far.GetId()}},
			{"another district", tr.otherDistrict.GetId(), true, map[string]string{}},
		} {
			if diff := cmp.Diff(c.want, h.unitGaps(t, c.root, c.subtree)); diff != "" {
				t.Errorf("%s: unit gaps (-want +got):\n%s", c.name, diff)
			}
		}
	})
	t.Run("a gap closes when the unit gets a party organisation, and an older report does not reopen it", func(t *testing.T) {
		h.publishCoverage(t, org.NewID(), unit(hotel, "同江宾馆", tr.community, false, now.Add(time.Minute)))
		h.publishCoverage(t, org.NewID(), unit(hotel, "同江宾馆", tr.community, true, now.Add(30*time.Second)))
		if got := h.unitGaps(t, tr.street.GetId(), true); !cmp.Equal(got, map[string]string{clinic: second.GetId()}) {
			t.Errorf("unit gaps of the street %v, want the clinic's only", got)
		}
		var opened, closed *time.Time
		if err := h.pool.QueryRow(callContext(t), `SELECT opened_at, closed_at FROM unit_coverage WHERE unit_id = $1`, hotel).
			Scan(&opened, &closed); err != nil || opened == nil || closed == nil || !closed.After(*opened) {
			t.Errorf("the hotel's gap opened %v and closed %v (%v): want both, in order", opened, closed, err)
		}
	})
	t.Run("a report delivered twice is applied once, each change with its audit record by the consumer", func(t *testing.T) {
		id := org.NewID()
		h.publishCoverage(t, id, unit(clinic, "街道社区卫生服务中心", second, false, now.Add(time.Minute)))
		// The same event id again is dropped by the stream, or by the inbox
		// past the stream's window; the same report replayed under no id
		// (the stream sequence identifies it) is no newer than the one kept,
		// and adds nothing.
		h.publishCoverage(t, id, unit(clinic, "街道社区卫生服务中心", second, false, now.Add(time.Minute)))
		data, _ := proto.Marshal(unit(clinic, "街道社区卫生服务中心", second, false, now.Add(time.Minute)))
		ack, err := h.js.Publish(callContext(t), orgevents.UnitCoverageSubject, data)
		if err != nil {
			t.Fatal(err)
		}
		servicetest.WaitFor(t, "the replay applied", func() bool {
			var n int
			err := h.pool.QueryRow(callContext(t), `SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2`,
				orgevents.UnitCoverage.Durable, fmt.Sprintf("COBUILDING:%d", ack.Sequence)).Scan(&n)
			return err == nil && n == 1
		})
		recs := h.auditRecords(t, &auditv1.ListAuditRecordsRequest{SubjectId: clinic, SubjectType: "unit_coverage"})
		if len(recs) != 2 || slices.ContainsFunc(recs, func(r *auditv1.AuditRecord) bool { return r.GetActorSubject() != "system:unit-coverage" }) {
			t.Errorf("audit records of the clinic: %v, want two (opened, closed) by the consumer", recs)
		}
		if got := h.unitGaps(t, tr.district.GetId(), true); !cmp.Equal(got, map[string]string{firm: far.GetId()}) {
			t.Errorf("unit gaps of the district %v, want the firm's only", got)
		}
	})
	t.Run("a report that cannot be read is passed over", func(t *testing.T) {
		bad := unit("not-a-unit", "?", far, true, now)
		h.publishCoverage(t, org.NewID(), bad)
		reopened := unit(hotel, "同江宾馆", tr.community, true, now.Add(2*time.Minute))
		h.publishCoverage(t, org.NewID(), reopened)
		if got := h.unitGaps(t, tr.community.GetId(), false); !cmp.Equal(got, map[string]string{hotel: tr.community.GetId()}) {
			t.Errorf("unit gaps %v: the hotel's gap reopened by a later report", got)
		}
	})
}
