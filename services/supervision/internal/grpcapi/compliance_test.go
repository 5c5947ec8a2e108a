package grpcapi_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"gongjian.dev/pkg/servicetest"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/supervision/internal/wiring"
)

// reportServer answers GetComplianceReport as the organisation service
// would, with the findings it is given, and remembers who asked for what.
type reportServer struct {
	orgv1.UnimplementedComplianceServiceServer
	results []*orgv1.RuleResult

	mu    sync.Mutex
	asked []string // "<authorization> <organisation_id> <subtree>"
}

func (s *reportServer) GetComplianceReport(ctx context.Context, r *orgv1.GetComplianceReportRequest) (*orgv1.GetComplianceReportResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	subtree := "one"
	if r.GetSubtree() {
		subtree = "subtree"
	}
	s.asked = append(s.asked, firstOf(md.Get("authorization"))+" "+r.GetOrganisationId()+" "+subtree)
	return &orgv1.GetComplianceReportResponse{Results: s.results, AsOfDate: r.GetAsOfDate()}, nil
}

func firstOf(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// serveReports serves s on a loopback port for the test.
func serveReports(t *testing.T, s *reportServer) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	orgv1.RegisterComplianceServiceServer(srv, s)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// TestTheComplianceReportsFindingsOpenItemsOncePerQuarter: the service
// reads each district's compliance report with its own token, and each
// staffing, structure, premises and coverage finding makes one finding of
// its rule and one item for the organisation at fault (the quarterly
// activity left to its own rule); reading the report again and sweeping
// again makes nothing more.
func TestTheComplianceReportsFindingsOpenItemsOncePerQuarter(t *testing.T) {
	t.Parallel()
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("service-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reports := &reportServer{}
	addr := serveReports(t, reports)
	s := servicetest.Start(t, wiring.Spec(&wiring.Config{OrganisationAddr: addr, ServiceTokenFile: token,
		SweepInterval: time.Hour, ComplianceInterval: time.Hour}),
		servicetest.WithStreams(orgStream, memberStream, cobStream))
	h := &harness{Harness: s}
	c := h.city(t)
	a := h.created(t, c.street, kindCommunity, "A", "2020-01-01")
	b := h.created(t, c.street, kindCommunity, "B", "2020-01-01")
	h.known(t, a, b, c.otherCommunity)
	point := uuid.NewString()
	finding := func(o *orgv1.Organisation, reason, subject string) *orgv1.Finding {
		return &orgv1.Finding{OrganisationId: o.GetId(), OrganisationName: o.GetName(), Reason: reason, SubjectId: subject}
	}
	reports.results = []*orgv1.RuleResult{
		{Rule: orgv1.ComplianceRule_COMPLIANCE_RULE_LEADERSHIP_SIZE, Findings: []*orgv1.Finding{finding(a, "a team of two", "")}},
		{Rule: orgv1.ComplianceRule_COMPLIANCE_RULE_LEADERSHIP_AGE, Findings: []*orgv1.Finding{finding(a, "a man of 58", "")}},
		{Rule: orgv1.ComplianceRule_COMPLIANCE_RULE_COMMUNITY_HAS_BRANCH, Findings: []*orgv1.Finding{finding(b, "no branch", "")}},
		{Rule: orgv1.ComplianceRule_COMPLIANCE_RULE_PREMISES_AREA, Findings: []*orgv1.Finding{finding(b, "150 m²", "")}},
		{Rule: orgv1.ComplianceRule_COMPLIANCE_RULE_COVERAGE_GAP, Findings: []*orgv1.Finding{finding(a, "Estate 3: 12 members", point)}},
		{Rule: orgv1.ComplianceRule_COMPLIANCE_RULE_QUARTERLY_ACTIVITY, Findings: []*orgv1.Finding{finding(b, "none in the quarter", "")}},
	}
	ctx := servicetest.Ctx(t)
	counts := func() [3]int {
		return [3]int{h.count(t, `SELECT count(*) FROM findings WHERE rule_code LIKE 'compliance_%'`),
			h.count(t, `SELECT count(*) FROM items WHERE rule_code LIKE 'compliance_%'`), h.count(t, `SELECT count(*) FROM audit_log`)}
	}
	for range 2 {
		if _, err := s.Service.Compliance.Pull(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Service.Rules.Sweep(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	type key struct{ rule, org, check string }
	got := map[key]bool{}
	rows, err := h.Pool.Query(ctx, `SELECT f.rule_code, i.organisation_id::text, f.facts->>'check' FROM findings f
		JOIN items i ON i.finding_id = f.id WHERE f.rule_code LIKE 'compliance_%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.rule, &k.org, &k.check); err != nil {
			t.Fatal(err)
		}
		got[k] = true
	}
	want := map[key]bool{
		{"compliance_staffing", a.GetId(), "LEADERSHIP_SIZE"}: true, {"compliance_staffing", a.GetId(), "LEADERSHIP_AGE"}: true,
		{"compliance_structure", b.GetId(), "COMMUNITY_HAS_BRANCH"}: true, {"compliance_premises", b.GetId(), "PREMISES_AREA"}: true,
		{"compliance_coverage_gap", a.GetId(), "COVERAGE_GAP"}: true,
	}
	if len(got) != len(want) {
		t.Errorf("findings with items: %v, want %v", got, want)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("no finding %v", k)
		}
	}
	first := counts()
	if first[0] != 5 || first[1] != 5 {
		t.Errorf("compliance findings and items: %v, want 5 each", first)
	}
	reports.mu.Lock()
	asked := append([]string(nil), reports.asked...)
	reports.mu.Unlock()
	wantAsked := map[string]bool{"Bearer service-token " + c.district.GetId() + " subtree": true, "Bearer service-token " + c.other.GetId() + " subtree": true}
	// (The sweeper job read the reports too when the service started.)
	if len(asked) < 4 || !wantAsked[asked[len(asked)-1]] || !wantAsked[asked[len(asked)-2]] {
		t.Errorf("the reports asked for: %q, want each district's subtree with the service's token", asked)
	}
	// Within the interval, the reports are read at most once more.
	for range 3 {
		if _, err := s.Service.Compliance.PullDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	reports.mu.Lock()
	if n := len(reports.asked) - len(asked); n > 2 {
		t.Errorf("%d reports asked within the interval, want at most one per district", n)
	}
	reports.mu.Unlock()
	if got := counts(); got != first {
		t.Errorf("after reading and sweeping again: %v, want %v", got, first)
	}
}
