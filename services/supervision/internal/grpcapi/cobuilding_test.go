package grpcapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/servicetest"
	cobv1 "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/supervision/internal/wiring"
)

// coBuildingMisses are the three misses the co-building service reports,
// for a unit of community and a meeting it convened, with the subjects
// they are published on.
func coBuildingMisses(community *orgv1.Organisation, district *orgv1.Organisation, unitID, itemID string) map[string]func(id string) proto.Message {
	at := timestamppb.New(time.Date(2026, 4, 20, 2, 0, 0, 0, time.UTC))
	return map[string]func(string) proto.Message{
		"gongjian.cobuilding.v1.unit_report_missed": func(id string) proto.Message {
			return &cobv1.UnitReportMissed{EventId: id, OccurTime: at, UnitId: unitID, CommunityId: community.GetId(),
				DistrictId: district.GetId(), Month: "2026-03", DueDate: "2026-04-10", AgreementId: uuid.NewString()}
		},
		"gongjian.cobuilding.v1.joint_meeting_missed": func(id string) proto.Message {
			return &cobv1.JointMeetingMissed{EventId: id, OccurTime: at, Kind: cobv1.MeetingKind_MEETING_KIND_COMMUNITY,
				ConvenerId: community.GetId(), DistrictId: district.GetId(), PeriodStart: "2025-10-01", PeriodEnd: "2026-03-31"}
		},
		"gongjian.cobuilding.v1.ledger_item_overdue": func(id string) proto.Message {
			return &cobv1.LedgerItemOverdue{EventId: id, OccurTime: at, LedgerItemId: itemID, MeetingId: uuid.NewString(),
				ConvenerId: community.GetId(), DistrictId: district.GetId(), OwnerUnitId: unitID, Deadline: "2026-04-15",
				Title: "open the canteen to residents at weekends"}
		},
	}
}

// TestCoBuildingMissesOpenItemsForTheCommunityOnce: a missed monthly
// report, a missed joint meeting and an overdue ledger item each make one
// finding and one item for the community that answers for it (the
// community owed the report, the convener); the same misses published
// again under new event ids, and a second replica replaying the stream
// from its start with the inbox emptied, make nothing more.
func TestCoBuildingMissesOpenItemsForTheCommunityOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.city(t)
	community := h.created(t, c.street, kindCommunity, "Community", "2020-01-01")
	h.known(t, community)
	unitID, itemID := uuid.NewString(), uuid.NewString()
	misses := coBuildingMisses(community, c.district, unitID, itemID)
	for range 2 {
		for subject, ev := range misses {
			id := uuid.NewString()
			h.publish(t, subject, ev(id), id)
		}
	}
	servicetest.WaitFor(t, "the misses applied", func() bool {
		return h.count(t, `SELECT count(*) FROM inbox WHERE consumer = 'supervision-cobuilding'`) == 6
	})
	type found struct{ rule, subject, period, org, days string }
	want := map[string]found{
		"unit_report_missed":   {"unit_report_missed", unitID, "report 2026-03", community.GetId(), "10"},
		"joint_meeting_missed": {"joint_meeting_missed", community.GetId(), "meetings 2025-10-01 to 2026-03-31", community.GetId(), "182"},
		"ledger_item_overdue":  {"ledger_item_overdue", itemID, "deadline 2026-04-15", community.GetId(), "5"},
	}
	rows, err := h.Pool.Query(context.Background(), `SELECT f.rule_code, f.subject_id, f.period, i.organisation_id::text,
			coalesce(f.facts->>'days_late', f.facts->>'period_days', f.facts->>'days_overdue')
		FROM findings f JOIN items i ON i.finding_id = f.id WHERE f.rule_code <> 'quarterly_activity_missed'`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]found{}
	for rows.Next() {
		var f found
		if err := rows.Scan(&f.rule, &f.subject, &f.period, &f.org, &f.days); err != nil {
			t.Fatal(err)
		}
		if _, dup := got[f.rule]; dup {
			t.Errorf("a second finding of %s", f.rule)
		}
		got[f.rule] = f
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %+v, want %+v", k, got[k], w)
		}
	}
	if n := h.count(t, `SELECT count(*) FROM items`); n != 3 {
		t.Fatalf("%d items, want 3", n)
	}
	// A sweep judges the facts that arrived as events again, and finds
	// them found (it also judges the quarters, whose findings are not
	// this test's).
	if _, err := h.Service.Rules.Sweep(servicetest.Ctx(t), ""); err != nil {
		t.Fatal(err)
	}
	first := [3]int{h.count(t, `SELECT count(*) FROM findings`), h.count(t, `SELECT count(*) FROM items`), h.count(t, `SELECT count(*) FROM audit_log`)}

	h.Consumers.Stop()
	ctx := context.Background()
	if err := h.JS.DeleteConsumer(ctx, "COBUILDING", "supervision-cobuilding"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Pool.Exec(ctx, `DELETE FROM inbox WHERE consumer = 'supervision-cobuilding'`); err != nil {
		t.Fatal(err)
	}
	servicetest.Start(t, wiring.Spec(&wiring.Config{}), servicetest.WithStreams(orgStream, memberStream, cobStream),
		servicetest.WithPool(h.Pool), servicetest.WithNATS(h.NC.ConnectedUrl()))
	servicetest.WaitFor(t, "the replay", func() bool {
		return h.count(t, `SELECT count(*) FROM inbox WHERE consumer = 'supervision-cobuilding'`) == 6
	})
	again := [3]int{h.count(t, `SELECT count(*) FROM findings`), h.count(t, `SELECT count(*) FROM items`), h.count(t, `SELECT count(*) FROM audit_log`)}
	if again != first {
		t.Errorf("after a sweep and a replay: %v, want %v", again, first)
	}
}

// jointActivity publishes a joint activity the members joined on day.
func (h *harness) jointActivity(t *testing.T, community *orgv1.Organisation, day string, members ...string) {
	t.Helper()
	a := &cobv1.JointActivity{Id: uuid.NewString(), Title: "river clean-up", Area: cobv1.Area_AREA_ENVIRONMENT, Date: day,
		CommunityIds: []string{community.GetId()}, Attendance: int32(len(members)), MemberAttendance: int32(len(members)), MemberIds: members}
	id := uuid.NewString()
	h.publish(t, "gongjian.cobuilding.v1.joint_activity_recorded", &cobv1.JointActivityRecorded{EventId: id,
		OccurTime: timestamppb.Now(), JointActivity: a, DistrictId: community.GetDistrictId()}, id)
}
