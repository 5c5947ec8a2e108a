package demo_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"gongjian.dev/deploy/local/demo"
	"gongjian.dev/deploy/local/internal/stack"
	"gongjian.dev/deploy/local/internal/supervisor"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/natsembed"
	"gongjian.dev/pkg/pgcluster"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// TestLoadGivesTheCityItsFiguresAndAFindingUnderEveryRule starts the system
// the way the launcher does (PostgreSQL, NATS, the organisation service built
// and run as its own process), loads the demo through the API, and reads it
// back as a client would.
func TestLoadGivesTheCityItsFiguresAndAFindingUnderEveryRule(t *testing.T) {
	ctx := t.Context()
	conn, members := startSystem(t)
	now := time.Now()

	start := time.Now()
	sum, err := demo.Load(ctx, conn, now, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded in %s: %s", time.Since(start).Round(time.Millisecond), sum)

	orgs := listAll(t, conn, &orgv1.ListOrganisationsRequest{AncestorId: sum.CityID})
	t.Run("every organisation of the plan is there, once", func(t *testing.T) {
		got := map[orgv1.OrganisationKind]int{orgv1.OrganisationKind_ORGANISATION_KIND_CITY: 1}
		for _, o := range orgs {
			got[o.GetKind()]++
		}
		if !maps.Equal(got, sum.Organisations) {
			t.Errorf("organisations by kind: got %v, want %v", got, sum.Organisations)
		}
	})
	t.Run("the districts keep the figures of the documents", func(t *testing.T) {
		checkFigures(t, orgs)
	})

	t.Run("demonstration sites and liaisons", func(t *testing.T) {
		checkDemonstration(t, conn, sum)
	})

	t.Run("loading again creates nothing twice", func(t *testing.T) {
		community := firstOfKind(orgs, orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY)
		before := countActivities(t, conn, community.GetId())
		again, err := demo.Load(ctx, conn, now, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		if again.CityID != sum.CityID {
			t.Errorf("second load made city %s, the first %s", again.CityID, sum.CityID)
		}
		if n := len(listAll(t, conn, &orgv1.ListOrganisationsRequest{AncestorId: sum.CityID})); n != len(orgs) {
			t.Errorf("%d organisations after loading again, %d before", n, len(orgs))
		}
		if after := countActivities(t, conn, community.GetId()); after != before {
			t.Errorf("%s has %d activities after loading again, %d before", community.GetName(), after, before)
		}
		checkDemonstration(t, conn, again)
	})

	t.Run("members", func(t *testing.T) {
		checkMembers(t, conn, members, sum)
	})

	// The rule of members in a community reads the counts the member
	// service's events bring: the report is taken once they are in.
	report := settledReport(t, conn, sum)
	t.Run("every rule has a finding, and the communities flawed on purpose are found", func(t *testing.T) {
		for _, res := range report.GetResults() {
			if res.GetFindingCount() == 0 {
				t.Errorf("%s: no finding (checked %d)", res.GetRule(), res.GetChecked())
			}
			found := findingNames(res)
			for _, name := range sum.Flawed[res.GetRule()] {
				if !found[name] {
					t.Errorf("%s: %s was flawed on purpose but is not found", res.GetRule(), name)
				}
			}
		}
		if len(report.GetResults()) != len(orgv1.ComplianceRule_name)-1 {
			t.Errorf("report has %d rules, the API names %d", len(report.GetResults()), len(orgv1.ComplianceRule_name)-1)
		}
	})
	t.Run("the demonstration communities pass every rule", func(t *testing.T) {
		for _, res := range report.GetResults() {
			found := findingNames(res)
			for _, name := range sum.Exemplary {
				if found[name] {
					t.Errorf("%s: demonstration community %s has a finding", res.GetRule(), name)
				}
			}
		}
	})
}

// settledReport is the city's compliance report once the member counts
// have reached the organisation service: every community flawed on
// purpose with too many members for a single branch is found.
func settledReport(t *testing.T, conn *grpc.ClientConn, sum demo.Summary) *orgv1.GetComplianceReportResponse {
	rule := orgv1.ComplianceRule_COMPLIANCE_RULE_GENERAL_BRANCH_OVER_THRESHOLD
	var report *orgv1.GetComplianceReportResponse
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		report = complianceReport(t, conn, sum.CityID, "")
		for _, res := range report.GetResults() {
			if res.GetRule() != rule {
				continue
			}
			found := findingNames(res)
			if !slices.ContainsFunc(sum.Flawed[rule], func(name string) bool { return !found[name] }) {
				return report
			}
		}
	}
	return report
}

// checkMembers loads the demo's members (twice) and reads them back from
// both services.
func checkMembers(t *testing.T, orgConn, conn *grpc.ClientConn, sum demo.Summary) {
	start := time.Now()
	ms, err := demo.LoadMembers(t.Context(), conn, sum, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("members loaded in %s: %s", time.Since(start).Round(time.Millisecond), ms)
	if _, err := demo.LoadMembers(t.Context(), conn, sum, testLogger(t)); err != nil {
		t.Fatalf("loading the members again: %v", err)
	}
	// The mobile members of the roll register their outflow: Jinchang's
	// 170 become assisted (协管).
	mobile, err := demo.LoadMobile(t.Context(), conn, sum, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mobile members: %s", mobile)
	wantStates := map[memberv1.TransferState]int{
		memberv1.TransferState_TRANSFER_STATE_COMPLETED: 3,
		memberv1.TransferState_TRANSFER_STATE_REQUESTED: 2,
		memberv1.TransferState_TRANSFER_STATE_RELEASED:  3,
	}
	if !maps.Equal(ms.Transfers, wantStates) || ms.Earlier != 2 || ms.Outside != 2 || ms.Left != 1 {
		t.Errorf("transfers by state: got %v (%d begun on paper, %d out of the city, %d left), want %v (2, 2, 1)",
			ms.Transfers, ms.Earlier, ms.Outside, ms.Left, wantStates)
	}
	t.Run("the sweeper finds the transfers begun on paper", func(t *testing.T) {
		checkRecordedTransfers(t, conn)
	})

	var jinchang, tongjiang string
	for _, o := range listAll(t, orgConn, &orgv1.ListOrganisationsRequest{AncestorId: sum.CityID, Kind: orgv1.OrganisationKind_ORGANISATION_KIND_DISTRICT}) {
		switch o.GetCode() {
		case "GJ-JC":
			jinchang = o.GetId()
		case "GJ-TJ":
			tongjiang = o.GetId()
		}
	}
	total := 0
	for _, n := range ms.Members {
		total += n
	}
	client := memberv1.NewMemberServiceClient(conn)
	count := func(ancestor string) int {
		req := &memberv1.ListMembersRequest{AncestorId: ancestor, PageSize: 500}
		n := 0
		for {
			resp, err := client.ListMembers(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			n += len(resp.GetMembers())
			if resp.GetNextPageToken() == "" {
				return n
			}
			req.PageToken = resp.GetNextPageToken()
		}
	}
	// The member transferred out of the city by a receipt is kept but no
	// longer listed.
	if n := count(sum.CityID); n != total-ms.Left {
		t.Errorf("%d members in the city after loading twice, want %d", n, total-ms.Left)
	}
	// Jinchang gave one member to Tongjiang and received one from it.
	if n := count(jinchang); n != ms.Members["GJ-JC"] {
		t.Errorf("%d members in Jinchang, want %d", n, ms.Members["GJ-JC"])
	}

	t.Run("Jinchang's composition under the default scheme is the document's", func(t *testing.T) {
		resp, err := memberv1.NewCategoryServiceClient(conn).GetComposition(t.Context(), &memberv1.GetCompositionRequest{
			OrganisationId: jinchang, Subtree: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, c := range resp.GetCounts() {
			got[c.GetCategoryCode()] = c.GetCount()
		}
		// 004: 1,952 members in 36 communities: 927 retired (共管), 170
		// mobile (协管), 214 in-service (双管), 128 laid-off and 173 whose
		// contracts ended, veterans and graduates (接管), and 340 residents
		// (直管). The moves in and out of Jinchang are residents both.
		want := map[string]int64{"joint": 927, "assisted": 170, "dual": 214, "takeover": 301, "direct": 340}
		if !maps.Equal(got, want) || resp.GetTotal() != 1952 {
			t.Errorf("composition %v, total %d: want %v, total 1952", got, resp.GetTotal(), want)
		}
	})

	t.Run("the member counts reach the organisation service", func(t *testing.T) {
		// Members sit in the branches, or in the communities that have none.
		holders := map[string]bool{}
		for _, c := range listAll(t, orgConn, &orgv1.ListOrganisationsRequest{AncestorId: jinchang, Kind: orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY}) {
			if len(listAll(t, orgConn, &orgv1.ListOrganisationsRequest{AncestorId: c.GetId(), Kind: orgv1.OrganisationKind_ORGANISATION_KIND_BRANCH})) == 0 {
				holders[c.GetId()] = true
			}
		}
		var got int64
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
			got = 0
			for _, o := range listAll(t, orgConn, &orgv1.ListOrganisationsRequest{AncestorId: jinchang}) {
				if o.GetKind() == orgv1.OrganisationKind_ORGANISATION_KIND_BRANCH || holders[o.GetId()] {
					got += o.GetMemberCount()
				}
			}
			if got == int64(ms.Members["GJ-JC"]) {
				return
			}
		}
		t.Errorf("Jinchang's branches and branchless communities count %d members, want %d", got, ms.Members["GJ-JC"])
	})

	t.Run("Tongjiang's units hold the document's in-service members and both services agree on every count", func(t *testing.T) {
		var units int64
		var rep *orgv1.ReconcileMemberCountsResponse
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
			units = 0
			for _, o := range listAll(t, orgConn, &orgv1.ListOrganisationsRequest{Kind: orgv1.OrganisationKind_ORGANISATION_KIND_RESIDENT_UNIT}) {
				if o.GetDistrictId() == tongjiang {
					units += o.GetMemberCount()
				}
			}
			var err error
			if rep, err = orgv1.NewComplianceServiceClient(orgConn).ReconcileMemberCounts(t.Context(),
				&orgv1.ReconcileMemberCountsRequest{OrganisationId: sum.CityID}); err != nil {
				t.Fatalf("reconcile: %v", err)
			}
			if units == 2174 && len(rep.GetDifferences()) == 0 {
				break
			}
		}
		if units != 2174 {
			t.Errorf("Tongjiang's units count %d members, want the document's 2,174", units)
		}
		if len(rep.GetDifferences()) > 0 || rep.GetCompared() < 200 {
			t.Errorf("reconciling the city compared %d organisations and found %d differences: %v",
				rep.GetCompared(), len(rep.GetDifferences()), rep.GetDifferences())
		}
	})
}

// checkRecordedTransfers waits until the member service's sweeper has
// found the two transfers the demo recorded from paper: the letter
// released 45 days ago is a pocket member of the city, the request open
// seven months is flagged for review. The lists cover the caller's scope,
// the city.
func checkRecordedTransfers(t *testing.T, conn *grpc.ClientConn) {
	client := memberv1.NewTransferServiceClient(conn)
	recorded := func(list []*memberv1.Transfer, state memberv1.TransferState) bool {
		return slices.ContainsFunc(list, func(tf *memberv1.Transfer) bool {
			return tf.GetRecordTime() != nil && tf.GetState() == state
		})
	}
	var pocket, flagged bool
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		p, err := client.ListPocketMembers(t.Context(), &memberv1.ListPocketMembersRequest{PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		f, err := client.ListTransfers(t.Context(), &memberv1.ListTransfersRequest{
			Review: memberv1.TransferReviewFilter_TRANSFER_REVIEW_FILTER_FLAGGED, PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		pocket = recorded(p.GetTransfers(), memberv1.TransferState_TRANSFER_STATE_RELEASED)
		flagged = recorded(f.GetTransfers(), memberv1.TransferState_TRANSFER_STATE_REQUESTED)
		if pocket && flagged {
			return
		}
	}
	t.Errorf("after 90 s: the recorded letter is a pocket member: %v; the recorded request is flagged: %v", pocket, flagged)
}

func checkFigures(t *testing.T, orgs []*orgv1.Organisation) {
	districts := map[string]string{} // id → code
	for _, o := range orgs {
		if o.GetKind() == orgv1.OrganisationKind_ORGANISATION_KIND_DISTRICT {
			districts[o.GetId()] = o.GetCode()
		}
	}
	type key struct {
		district string
		kind     orgv1.OrganisationKind
	}
	count, members := map[key]int{}, map[key]int64{}
	for _, o := range orgs {
		k := key{districts[o.GetDistrictId()], o.GetKind()}
		count[k]++
		members[k] += o.GetMemberCount()
	}
	community := orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY
	tests := []struct {
		name      string
		got, want int64
	}{
		{"Jinchang's communities", int64(count[key{"GJ-JC", community}]), 36},
		{"Tongjiang's communities", int64(count[key{"GJ-TJ", community}]), 9},
		{"Tongjiang's grids", int64(count[key{"GJ-TJ", orgv1.OrganisationKind_ORGANISATION_KIND_GRID}]), 120},
		{"Tongjiang's resident units", int64(count[key{"GJ-TJ", orgv1.OrganisationKind_ORGANISATION_KIND_RESIDENT_UNIT}]), 160},
		{"Shiquan's communities", int64(count[key{"GJ-SQ", community}]), 4},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

func checkDemonstration(t *testing.T, conn *grpc.ClientConn, sum demo.Summary) {
	t.Helper()
	client := orgv1.NewDemonstrationServiceClient(conn)
	sites, err := client.ListDemonstrationSites(t.Context(), &orgv1.ListDemonstrationSitesRequest{AncestorId: sum.CityID})
	if err != nil {
		t.Fatal(err)
	}
	if len(sites.GetSites()) != sum.DemonstrationSites {
		t.Errorf("%d demonstration sites, want %d", len(sites.GetSites()), sum.DemonstrationSites)
	}
	for _, s := range sites.GetSites() {
		if len(s.GetRatings()) == 0 || len(s.GetMilestones()) == 0 || s.GetMilestones()[0].GetCompleteTime() == nil {
			t.Errorf("site of %s: %d ratings, milestones %v: want ratings and the first year done",
				s.GetCommunityId(), len(s.GetRatings()), s.GetMilestones())
		}
	}
	liaisons, err := client.ListLiaisons(t.Context(), &orgv1.ListLiaisonsRequest{AncestorId: sum.CityID})
	if err != nil {
		t.Fatal(err)
	}
	if len(liaisons.GetLiaisons()) != sum.Liaisons {
		t.Errorf("%d liaisons, want %d", len(liaisons.GetLiaisons()), sum.Liaisons)
	}
}

// builtServices are the binaries of the services the tests start, built
// once for all of them (into a folder TestMain removes).
var builtServices struct {
	once sync.Once
	dir  string
	err  error
}

// serviceBinaries builds the stack's first four services once, and says
// where they are.
func serviceBinaries(root string) (string, error) {
	b := &builtServices
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "demo-services-"); b.err != nil {
			return
		}
		var pkgs []string
		for _, svc := range stack.Services[:4] {
			pkgs = append(pkgs, svc.Package)
		}
		var out strings.Builder
		if err := stack.Build(context.Background(), root, b.dir, &out, pkgs...); err != nil {
			b.err = fmt.Errorf("%w\n%s", err, out.String())
		}
	})
	return b.dir, b.err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtServices.dir != "" {
		_ = os.RemoveAll(builtServices.dir)
	}
	os.Exit(code)
}

// startSystem runs PostgreSQL, NATS, the organisation service and the
// member service as the launcher does, on free ports, and returns client
// connections to the two services.
func startSystem(t *testing.T) (*grpc.ClientConn, *grpc.ClientConn) {
	t.Helper()
	conns := startServices(t, 2)
	return conns[0], conns[1]
}

// startServices starts the first n services of the stack (the organisation
// service, the member service, the co-building service…) as the launcher
// does, and returns a connection to each, as a city administrator.
func startServices(t *testing.T, n int) []*grpc.ClientConn {
	t.Helper()
	ctx := t.Context()
	root, err := stack.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Stop() })
	if err := cluster.EnsureDatabase(ctx, "gongjian"); err != nil {
		t.Fatal(err)
	}
	nats, err := natsembed.Start(natsembed.Options{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nats.Shutdown)

	// The organisation service, and the member service after it.
	svcs := stack.Services[:n]
	bin, err := serviceBinaries(root)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := devissuer.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	token, err := issuer.Issue(devissuer.Claims{Subject: "demo-test", Role: auth.CityAdmin})
	if err != nil {
		t.Fatal(err)
	}
	out := &lastLines{max: 60}
	sup := supervisor.New(out.add)
	t.Cleanup(func() {
		if err := sup.Stop(20 * time.Second); err != nil {
			t.Errorf("stopping the services: %v", err)
		}
		if t.Failed() {
			t.Logf("last lines of the services:\n%s", out)
		}
	})
	keys := t.TempDir()
	var conns []*grpc.ClientConn
	addrs := map[string]string{}
	for _, svc := range svcs {
		addrs[svc.Name] = freeAddr(t)
	}
	for _, svc := range svcs {
		addr := addrs[svc.Name]
		env := svc.Env(addr, cluster.URL("gongjian"), nats.URL(), issuer.KeysFile(), stack.Peers(svcs, addrs))
		if svc.Name == "member" { // the sweeper's first passes come within the test
			env = append(env, "SWEEP_INTERVAL=2s")
		}
		extra, err := svc.Secrets(keys)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range extra {
			env = append(env, k+"="+v)
		}
		err = sup.Start(ctx, supervisor.Spec{
			Name: svc.Name, Path: stack.Binary(bin, svc.Package),
			Env:   env,
			Ready: supervisor.GRPCHealth(addr),
		})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithPerRPCCredentials(auth.BearerToken(token, false)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		conns = append(conns, conn)
	}
	return conns
}

func complianceReport(t *testing.T, conn *grpc.ClientConn, cityID, asOf string) *orgv1.GetComplianceReportResponse {
	t.Helper()
	resp, err := orgv1.NewComplianceServiceClient(conn).GetComplianceReport(t.Context(), &orgv1.GetComplianceReportRequest{
		OrganisationId: cityID, Subtree: true, AsOfDate: asOf,
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func findingNames(res *orgv1.RuleResult) map[string]bool {
	names := map[string]bool{}
	for _, f := range res.GetFindings() {
		names[f.GetOrganisationName()] = true
	}
	return names
}

func listAll(t *testing.T, conn *grpc.ClientConn, req *orgv1.ListOrganisationsRequest) []*orgv1.Organisation {
	t.Helper()
	client := orgv1.NewOrganisationServiceClient(conn)
	req.PageSize = 500
	var all []*orgv1.Organisation
	for {
		resp, err := client.ListOrganisations(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, resp.GetOrganisations()...)
		if resp.GetNextPageToken() == "" {
			return all
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

func countActivities(t *testing.T, conn *grpc.ClientConn, orgID string) int {
	t.Helper()
	client := orgv1.NewOrganisationServiceClient(conn)
	req := &orgv1.ListActivitiesRequest{OrganisationId: orgID, PageSize: 500}
	n := 0
	for {
		resp, err := client.ListActivities(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		n += len(resp.GetActivities())
		if resp.GetNextPageToken() == "" {
			return n
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

func firstOfKind(orgs []*orgv1.Organisation, kind orgv1.OrganisationKind) *orgv1.Organisation {
	i := slices.IndexFunc(orgs, func(o *orgv1.Organisation) bool { return o.GetKind() == kind })
	return orgs[i]
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, nil))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// lastLines keeps the end of a service's output, to show when a test fails.
type lastLines struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (l *lastLines) add(name, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf("%s | %s", name, line))
	if len(l.lines) > l.max {
		l.lines = l.lines[1:]
	}
}

func (l *lastLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
