package grpcapi_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/servicetest"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/wiring"
)

// newRule is a valid rule over the quarterly activity.
func newRule(code string) *pb.Rule {
	params, _ := structpb.NewStruct(map[string]any{"kinds": []any{"COMMUNITY", "BRANCH"}, "grace_days": 0})
	return &pb.Rule{Code: code, Name: "Branches too", Fact: "quarterly_activity",
		Window: &pb.Window{Kind: pb.WindowKind_WINDOW_KIND_QUARTER_END}, Condition: "founded_before_quarter && concentrated_activities < 1",
		Params: params, Severity: pb.Severity_SEVERITY_LOW, Explanation: "a district's own rule", Enabled: true,
		Consequences: []*pb.Consequence{{Kind: pb.ConsequenceKind_CONSEQUENCE_KIND_OPEN_ITEM, DeadlineDays: 10}}}
}

// TestABadRuleIsRefusedNamingTheField: an expression that does not
// compile, names an unknown variable or parameter, or yields no bool, an
// unknown fact or a window the fact does not offer — each is refused with
// the field named, and nothing is saved.
func TestABadRuleIsRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin := h.clients(cityAdmin)
	tests := []struct {
		name   string
		change func(r *pb.Rule)
		field  string
	}{
		{"an expression that does not compile", func(r *pb.Rule) { r.Condition = "concentrated_activities ==" }, "rule.condition"},
		{"an unknown variable", func(r *pb.Rule) { r.Condition = "absences > 2" }, "rule.condition"},
		{"an expression that yields no bool", func(r *pb.Rule) { r.Condition = "concentrated_activities + 1" }, "rule.condition"},
		{"a parameter the rule does not have", func(r *pb.Rule) { r.Condition = "concentrated_activities < params.minimum" }, "rule.params"},
		{"an unknown fact", func(r *pb.Rule) { r.Fact = "dues_arrears" }, "rule.fact"},
		{"a window the fact does not offer", func(r *pb.Rule) { r.Window.Kind = pb.WindowKind_WINDOW_KIND_ON_EVENT }, "rule.window.kind"},
		{"no explanation", func(r *pb.Rule) { r.Explanation = "" }, "rule.explanation"},
	}
	before := h.count(t, `SELECT count(*) FROM rule_versions`)
	for _, tt := range tests {
		r := newRule("bad_rule")
		tt.change(r)
		_, err := admin.rules.CreateRule(servicetest.Ctx(t), &pb.CreateRuleRequest{Rule: r})
		got := servicetest.RefusalOf(err)
		if got.Code != codes.InvalidArgument || !slices.Contains(got.Fields, tt.field) {
			t.Errorf("%s: %+v, want InvalidArgument naming %s", tt.name, got, tt.field)
		}
		_, err = admin.rules.PreviewRule(servicetest.Ctx(t), &pb.PreviewRuleRequest{Rule: r})
		if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Contains(got.Fields, tt.field) {
			t.Errorf("%s, previewed: %+v", tt.name, got)
		}
	}
	if after := h.count(t, `SELECT count(*) FROM rule_versions`); after != before {
		t.Errorf("refused rules saved %d versions", after-before)
	}
}

// TestARuleIsVersionedOverriddenPerDistrictAndPreviewedWithoutWriting: a
// change is a new version and the old stays readable; a district's
// override changes its parameters or switches the rule off there; a
// preview says what a rule would find per district and writes nothing
// (every table, the outbox and the audit trail unchanged); the sweep then
// finds exactly what the preview said, naming the version.
func TestARuleIsVersionedOverriddenPerDistrictAndPreviewedWithoutWriting(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 4, 20, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	a := h.created(t, c.street, kindCommunity, "A", "2025-12-15")
	b := h.created(t, a, kindBranch, "Branch of A", "2025-12-15")
	h.known(t, a, b, c.otherCommunity)
	ctx := servicetest.Ctx(t)
	admin := h.clients(cityAdmin)

	created, err := admin.rules.CreateRule(ctx, &pb.CreateRuleRequest{Rule: newRule("branches_too"), RequestId: "r-1"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := admin.rules.CreateRule(ctx, &pb.CreateRuleRequest{Rule: newRule("branches_too"), RequestId: "r-1"})
	if err != nil || again.GetRule().GetId() != created.GetRule().GetId() {
		t.Fatalf("a retried create: %v, %v", again, err)
	}
	rule := created.GetRule()
	upd, err := admin.rules.UpdateRule(ctx, &pb.UpdateRuleRequest{Rule: &pb.Rule{Id: rule.GetId(), Severity: pb.Severity_SEVERITY_HIGH},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"severity"}}, Version: 1})
	if err != nil || upd.GetRule().GetVersion() != 2 {
		t.Fatalf("update: %v, %v", upd, err)
	}
	if _, err := admin.rules.UpdateRule(ctx, &pb.UpdateRuleRequest{Rule: &pb.Rule{Id: rule.GetId(), Name: "x"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}, Version: 1}); servicetest.RefusalOf(err).Reason != "ETAG_MISMATCH" {
		t.Errorf("an update of an old version: %v", err)
	}
	v1, err := admin.rules.GetRule(ctx, &pb.GetRuleRequest{Id: rule.GetId(), Version: 1})
	if err != nil || v1.GetRule().GetSeverity() != pb.Severity_SEVERITY_LOW {
		t.Errorf("version 1: %v, %v", v1, err)
	}
	// The other district switches the rule off.
	_, err = h.clients(districtAdmin(c.other)).rules.SetRuleOverride(ctx, &pb.SetRuleOverrideRequest{RuleId: rule.GetId(),
		DistrictId: c.other.GetId(), State: pb.OverrideState_OVERRIDE_STATE_OFF})
	if err != nil {
		t.Fatal(err)
	}
	unknown, _ := structpb.NewStruct(map[string]any{"threshold": 3})
	_, err = admin.rules.SetRuleOverride(ctx, &pb.SetRuleOverrideRequest{RuleId: rule.GetId(), DistrictId: c.district.GetId(), Params: unknown})
	if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Contains(got.Fields, "params.threshold") {
		t.Errorf("an override of an unknown parameter: %+v", got)
	}
	_, err = h.clients(districtAdmin(c.other)).rules.SetRuleOverride(ctx, &pb.SetRuleOverrideRequest{RuleId: rule.GetId(), DistrictId: c.district.GetId()})
	if servicetest.RefusalOf(err).Code != codes.NotFound {
		t.Errorf("a district overriding another's: %v", err)
	}

	tables := []string{"rules", "rule_versions", "rule_overrides", "findings", "items", "item_steps", "interviews", "actions",
		"outbox", "audit_log", "requests", "inbox"}
	countAll := func() map[string]int {
		out := map[string]int{}
		for _, tb := range tables {
			out[tb] = h.count(t, `SELECT count(*) FROM `+tb)
		}
		return out
	}
	h.Consumers.Stop() // nothing else writes while the preview runs
	before := countAll()
	preview, err := admin.rules.PreviewRule(ctx, &pb.PreviewRuleRequest{Rule: &pb.Rule{Id: rule.GetId()}})
	if err != nil {
		t.Fatal(err)
	}
	off := newRule("")
	off.Enabled = false // a rule is previewed before it is switched on
	draft, err := admin.rules.PreviewRule(ctx, &pb.PreviewRuleRequest{Rule: off, DistrictId: c.district.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if after := countAll(); !equalCounts(before, after) {
		t.Fatalf("the preview wrote: before %v, after %v", before, after)
	}
	byDistrict := map[string]*pb.DistrictPreview{}
	for _, d := range preview.GetDistricts() {
		byDistrict[d.GetDistrictId()] = d
	}
	if d := byDistrict[c.district.GetId()]; d.GetNewFindings() != 2 || d.GetItemsToOpen() != 2 || !d.GetEnabled() {
		t.Errorf("the district's preview: %v (want A and its branch)", d)
	}
	if d := byDistrict[c.other.GetId()]; d.GetEnabled() || d.GetNewFindings() != 0 || d.GetMatching() != 1 {
		t.Errorf("the other district, switched off: %v", d)
	}
	if preview.GetNewFindings() != 2 || len(preview.GetSamples()) != 2 || draft.GetNewFindings() != 2 {
		t.Errorf("preview %d (%d samples), draft %d; want 2", preview.GetNewFindings(), len(preview.GetSamples()), draft.GetNewFindings())
	}

	resp, err := admin.rules.RunSweep(ctx, &pb.RunSweepRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// The shipped quarterly rule (communities) finds A and the other
	// district's community; the district's own finds A and its branch.
	if resp.GetNewFindings() != 4 {
		t.Errorf("the sweep made %d findings, want 4", resp.GetNewFindings())
	}
	if n := h.count(t, `SELECT count(*) FROM findings WHERE rule_id = $1 AND rule_version = 2`, rule.GetId()); n != 2 {
		t.Errorf("%d findings name version 2 of the rule", n)
	}
	after, err := admin.rules.PreviewRule(ctx, &pb.PreviewRuleRequest{Rule: &pb.Rule{Id: rule.GetId()}, DistrictId: c.district.GetId()})
	if err != nil || after.GetNewFindings() != 0 || after.GetDistricts()[0].GetAlreadyFound() != 2 {
		t.Errorf("the preview after the sweep: %v, %v", after, err)
	}
}

func equalCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

// TestReplayedAndDuplicatedEventsMakeNoSecondFinding: an expired letter
// published twice (a duplicate with its own event id) is found once; a
// second replica whose consumers replay both streams from the start, with
// the inbox emptied, finds nothing more and publishes nothing more.
func TestReplayedAndDuplicatedEventsMakeNoSecondFinding(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.city(t)
	a := h.created(t, c.street, kindCommunity, "A", "2025-12-15")
	b := h.created(t, a, kindBranch, "Branch", "2025-12-15")
	h.known(t, a, b)
	transfer := &memberv1.Transfer{Id: uuid.NewString(), MemberId: uuid.NewString(), FromOrganisationId: b.GetId(),
		ToOrganisationId: uuid.NewString(), LetterNumber: "L-2026-0001", LetterDeadline: timestamppb.New(time.Now().Add(-48 * time.Hour))}
	for range 2 {
		id := uuid.NewString()
		h.publish(t, "gongjian.member.v1.transfer_expired", &memberv1.TransferExpired{EventId: id, OccurTime: timestamppb.Now(), Transfer: transfer}, id)
	}
	servicetest.WaitFor(t, "both events applied", func() bool {
		return h.count(t, `SELECT count(*) FROM inbox WHERE consumer = 'supervision-member'`) == 2
	})
	counts := func() [4]int {
		return [4]int{h.count(t, `SELECT count(*) FROM findings`), h.count(t, `SELECT count(*) FROM items`),
			h.count(t, `SELECT count(*) FROM item_steps`), h.count(t, `SELECT count(*) FROM audit_log`)}
	}
	first := counts()
	if first[0] != 1 || first[1] != 1 {
		t.Fatalf("findings and items after a duplicated event: %v, want one each", first)
	}
	published := servicetest.EventsUntil(t, h.Stream, "the finding's events", func(evs []servicetest.Event) bool {
		return countSubject(evs, "gongjian.supervision.v1.finding_made") == 1 &&
			countSubject(evs, "gongjian.supervision.v1.rectification_item_opened") == 1
	})

	// A second replica replays both streams from their first message.
	h.Consumers.Stop()
	ctx := context.Background()
	for _, durable := range []string{"supervision-member", "supervision-organisation"} {
		if err := h.JS.DeleteConsumer(ctx, map[string]string{"supervision-member": "MEMBER", "supervision-organisation": "ORGANISATION"}[durable], durable); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Pool.Exec(ctx, `DELETE FROM inbox`); err != nil {
		t.Fatal(err)
	}
	replica := servicetest.Start(t, wiring.Spec(&wiring.Config{}), servicetest.WithStreams(orgStream, memberStream), servicetest.WithPool(h.Pool),
		servicetest.WithNATS(h.NC.ConnectedUrl()))
	servicetest.WaitFor(t, "the replay", func() bool {
		return h.count(t, `SELECT count(*) FROM inbox WHERE consumer = 'supervision-member'`) == 2
	})
	if got := counts(); got != first {
		t.Errorf("after the replay: %v, want %v", got, first)
	}
	if evs := servicetest.Events(t, replica.Stream); len(evs) != len(published) {
		t.Errorf("the replay published %d events more", len(evs)-len(published))
	}
}

// TestTwoUpdatesOfARuleAtOnce: two administrators update version 1 of a
// rule at the same moment; one makes version 2, the other, which waited
// for the rule, is told its version is stale (not that the rule is gone).
func TestTwoUpdatesOfARuleAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := servicetest.Ctx(t)
	admin := h.clients(cityAdmin)
	created, err := admin.rules.CreateRule(ctx, &pb.CreateRuleRequest{Rule: newRule("updated_twice")})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetRule().GetId()
	for round := range 5 {
		version := created.GetRule().GetVersion() + int32(round)
		errs := make(chan error, 2)
		for _, sev := range []pb.Severity{pb.Severity_SEVERITY_HIGH, pb.Severity_SEVERITY_LOW} {
			go func() {
				_, err := admin.rules.UpdateRule(ctx, &pb.UpdateRuleRequest{Rule: &pb.Rule{Id: id, Severity: sev},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"severity"}}, Version: version})
				errs <- err
			}()
		}
		var ok, stale int
		for range 2 {
			switch err := <-errs; {
			case err == nil:
				ok++
			case servicetest.RefusalOf(err).Reason == "ETAG_MISMATCH":
				stale++
			default:
				t.Errorf("round %d: %v", round, err)
			}
		}
		if ok != 1 || stale != 1 {
			t.Fatalf("round %d: %d updated, %d stale; want one of each", round, ok, stale)
		}
	}
}
