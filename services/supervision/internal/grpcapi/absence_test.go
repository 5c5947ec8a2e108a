package grpcapi_test

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/servicetest"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/store"
)

// inService publishes a member of the branch with stars, registered with
// the community on the day given, as the member service would.
func (h *harness) inService(t *testing.T, branch, community *orgv1.Organisation, stars int32, reported string) string {
	t.Helper()
	m := &memberv1.Member{Id: uuid.NewString(), Name: "In Service", OrganisationId: branch.GetId(), StarRating: stars}
	at := timestamppb.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	id := uuid.NewString()
	h.publish(t, "gongjian.member.v1.member_registered", &memberv1.MemberRegistered{EventId: id, OccurTime: at, Member: m}, id)
	r := &memberv1.Registration{Id: uuid.NewString(), MemberId: m.GetId(), CommunityId: community.GetId(),
		Kind: memberv1.RegistrationKind_REGISTRATION_KIND_RESIDENCE, MemberOrganisationId: branch.GetId(), ReportDate: reported}
	id = uuid.NewString()
	h.publish(t, "gongjian.member.v1.in_service_registered", &memberv1.InServiceRegistered{EventId: id, OccurTime: at, Registration: r}, id)
	return m.GetId()
}

// TestAMemberAbsentSixMonthsIsCriticisedAndLosesTheirStar: the rule is
// shipped on, and a five-star in-service member registered seven months
// ago who joined no joint activity is criticised publicly, and a call to
// the member service is queued to withdraw the star, its reason naming
// the rule, its version and the finding; so is one whose last joint
// activity was eight months ago (absent since that day); a member
// registered three months ago and one who joined an activity last month
// are not found; the call is made once whatever the sweeps.
func TestAMemberAbsentSixMonthsIsCriticisedAndLosesTheirStar(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	community := h.created(t, c.street, kindCommunity, "Community", "2020-01-01")
	branch := h.created(t, community, kindBranch, "Branch", "2020-01-01")
	h.known(t, community, branch)
	absent := h.inService(t, branch, community, 5, "2025-10-01")
	h.inService(t, branch, community, 5, "2026-02-01")
	attended := h.inService(t, branch, community, 5, "2025-01-01")
	lapsed := h.inService(t, branch, community, 5, "2025-01-01")
	h.jointActivity(t, community, "2026-04-11", attended)
	h.jointActivity(t, community, "2025-09-01", lapsed, attended)
	servicetest.WaitFor(t, "the registrations and attendance", func() bool {
		return h.count(t, `SELECT count(*) FROM in_service`) == 4 && h.count(t, `SELECT count(*) FROM inbox WHERE consumer = 'supervision-cobuilding'`) == 2
	})
	ctx := servicetest.Ctx(t)
	admin := h.clients(cityAdmin)
	rules, err := admin.rules.ListRules(ctx, &pb.ListRulesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var rule *pb.Rule
	for _, r := range rules.GetRules() {
		if r.GetCode() == "in_service_absent_six_months" {
			rule = r
		}
	}
	if rule == nil || !rule.GetEnabled() {
		t.Fatalf("the shipped rule, on now that co-building reports attendance: %v", rule)
	}
	for range 2 {
		if _, err := h.Service.Rules.Sweep(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	found := map[string]string{}
	rows, err := h.Pool.Query(ctx, `SELECT subject_id, period FROM findings WHERE rule_code = 'in_service_absent_six_months'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s, p string
		if err := rows.Scan(&s, &p); err != nil {
			t.Fatal(err)
		}
		found[s] = p
	}
	if want := map[string]string{absent: "absent since 2025-10-01", lapsed: "absent since 2025-09-01"}; !maps.Equal(found, want) {
		t.Errorf("findings %v, want %v", found, want)
	}
	var subject, period, payload string
	if err := h.Pool.QueryRow(ctx, `SELECT f.subject_id, f.period, a.payload::text FROM findings f JOIN actions a ON a.finding_id = f.id
		WHERE f.rule_code = 'in_service_absent_six_months' AND f.subject_id = $1`, absent).Scan(&subject, &period, &payload); err != nil {
		t.Fatalf("one finding with its call: %v", err)
	}
	var call store.WithdrawStar
	if err := json.Unmarshal([]byte(payload), &call); err != nil {
		t.Fatal(err)
	}
	if call.MemberID != absent || call.Year != 2026 || !strings.Contains(call.Reason, "in_service_absent_six_months v1") {
		t.Errorf("the call: %+v", call)
	}
	servicetest.EventsUntil(t, h.Stream, "the public criticism", func(evs []servicetest.Event) bool {
		return countSubject(evs, "gongjian.supervision.v1.criticism_published") == 2
	})
	// Without the member service configured, the call waits.
	if n, err := h.Service.Calls.RunOnce(ctx); n != 0 || err != nil {
		t.Errorf("calls made without a member service: %d, %v", n, err)
	}
	if n := h.count(t, `SELECT count(*) FROM actions WHERE done_at IS NULL`); n != 2 {
		t.Errorf("%d calls pending, want 2", n)
	}
}

// TestAMemberWhoLeftIsNotInServiceWhateverTheOrderOfTheEvents: a member's
// leaving applied before their in-service registration (its event
// redelivered behind) leaves the registration ended on the leaving day,
// not live: the absence rule never finds against someone who left.
func TestAMemberWhoLeftIsNotInServiceWhateverTheOrderOfTheEvents(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.city(t)
	branch := h.created(t, c.street, kindBranch, "Branch", "2020-01-01")
	community := h.created(t, c.street, kindCommunity, "Community", "2020-01-01")
	h.known(t, branch, community)
	m := &memberv1.Member{Id: uuid.NewString(), Name: "Left", OrganisationId: branch.GetId()}
	left := time.Date(2026, 3, 10, 4, 0, 0, 0, time.UTC)
	id := uuid.NewString()
	h.publish(t, "gongjian.member.v1.member_left", &memberv1.MemberLeft{EventId: id, OccurTime: timestamppb.New(left), Member: m}, id)
	servicetest.WaitFor(t, "the leaving", func() bool {
		return h.count(t, `SELECT count(*) FROM member_facts WHERE member_id = $1 AND left_on IS NOT NULL`, m.GetId()) == 1
	})
	r := &memberv1.Registration{Id: uuid.NewString(), MemberId: m.GetId(), CommunityId: community.GetId(),
		Kind: memberv1.RegistrationKind_REGISTRATION_KIND_RESIDENCE, MemberOrganisationId: branch.GetId(), ReportDate: "2025-06-01"}
	id = uuid.NewString()
	h.publish(t, "gongjian.member.v1.in_service_registered", &memberv1.InServiceRegistered{EventId: id,
		OccurTime: timestamppb.New(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)), Registration: r}, id)
	servicetest.WaitFor(t, "the registration", func() bool {
		return h.count(t, `SELECT count(*) FROM in_service WHERE registration_id = $1`, r.GetId()) == 1
	})
	if n := h.count(t, `SELECT count(*) FROM in_service WHERE registration_id = $1 AND ended = DATE '2026-03-10'`, r.GetId()); n != 1 {
		var ended *time.Time
		_ = h.Pool.QueryRow(servicetest.Ctx(t), `SELECT ended FROM in_service WHERE registration_id = $1`, r.GetId()).Scan(&ended)
		t.Errorf("the registration ended %v, want on the leaving day", ended)
	}
}
