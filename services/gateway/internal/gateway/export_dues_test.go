package gateway

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	organisationv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// oneBranchLedger holds the May ledger of branch parent-1 and its arrears.
type oneBranchLedger struct {
	memberv1.UnimplementedDuesLedgerServiceServer
}

func (oneBranchLedger) ListDuesBills(ctx context.Context, req *memberv1.ListDuesBillsRequest) (*memberv1.ListDuesBillsResponse, error) {
	if err := authorised(ctx); err != nil {
		return nil, err
	}
	if req.GetOrganisationId() != "parent-1" || req.GetMonth() != "2026-05" {
		return nil, status.Error(codes.NotFound, "not found")
	}
	return &memberv1.ListDuesBillsResponse{Bills: []*memberv1.DuesBill{
		{MemberId: "m-1", MemberName: "张红", OrganisationId: "parent-1", Month: "2026-05", AmountFen: 4000, PaidFen: 4000,
			Kind: memberv1.DuesBandKind_DUES_BAND_KIND_IN_SERVICE, RateBasisPoints: 100, MonthlyIncomeFen: 400000},
		{MemberId: "m-2", MemberName: "李明", OrganisationId: "parent-1", Month: "2026-05", AmountFen: 15007, OwedFen: 15007,
			Kind: memberv1.DuesBandKind_DUES_BAND_KIND_IN_SERVICE, RateBasisPoints: 150, MonthlyIncomeFen: 1000500},
	}}, nil
}

func (oneBranchLedger) ListDuesArrears(ctx context.Context, req *memberv1.ListDuesArrearsRequest) (*memberv1.ListDuesArrearsResponse, error) {
	if err := authorised(ctx); err != nil {
		return nil, err
	}
	return &memberv1.ListDuesArrearsResponse{Arrears: []*memberv1.DuesArrears{
		{MemberId: "m-2", MemberName: "李明", OrganisationId: "parent-1", Months: []string{"2026-04", "2026-05"}, OwedFen: 30014},
	}}, nil
}

func startDuesExportGateway(t *testing.T) *httptest.Server {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	organisationv1.RegisterOrganisationServiceServer(srv, &pagedOrganisations{})
	memberv1.RegisterDuesLedgerServiceServer(srv, oneBranchLedger{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	addr := lis.Addr().String()
	h, closeBackends, err := New(t.Context(), []Backend{
		{Name: "organisation", Addr: addr, Register: []RegisterFunc{organisationv1.RegisterOrganisationServiceHandler}},
		{Name: "member", Addr: addr, Register: []RegisterFunc{memberv1.RegisterDuesLedgerServiceHandler}},
	}, slog.New(slog.DiscardHandler), WithExports())
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(h)
	t.Cleanup(func() { gw.Close(); _ = closeBackends() })
	return gw
}

// TestABranchsDuesLedgerAndArrearsExportInYuanWithChineseHeadings: the
// amounts in fen are written in yuan to the fen, the band by its Chinese
// name, the branch by its name.
func TestABranchsDuesLedgerAndArrearsExportInYuanWithChineseHeadings(t *testing.T) {
	t.Parallel()
	gw := startDuesExportGateway(t)
	auth := http.Header{"Authorization": {"Bearer t"}}
	got := call(t, gw, http.MethodGet, "/v1/exports/dues-ledger?organisationId=parent-1&month=2026-05", "", auth)
	if got.status != http.StatusOK {
		t.Fatalf("HTTP %d %s", got.status, got.body)
	}
	rows := sheetRows(t, got.body, "党费收缴台账")
	want := [][]string{
		{"姓名", "月份", "月收入(元)", "缴费标准", "比例(%)", "减免", "应缴(元)", "已缴(元)", "欠缴(元)", "党支部", "党员ID"},
		{"张红", "2026-05", "4000.00", "在职", "1", "否", "40.00", "40.00", "0.00", "金山社区党委", "m-1"},
		{"李明", "2026-05", "10005.00", "在职", "1.5", "否", "150.07", "0.00", "150.07", "金山社区党委", "m-2"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %q", rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d is %q, want %q", i, rows[i], want[i])
		}
	}
	got = call(t, gw, http.MethodGet, "/v1/exports/dues-arrears?organisationId=parent-1&subtree=true", "", auth)
	if got.status != http.StatusOK {
		t.Fatalf("arrears: HTTP %d %s", got.status, got.body)
	}
	rows = sheetRows(t, got.body, "党费欠缴名单")
	if len(rows) != 2 || strings.Join(rows[1], "|") != "李明|金山社区党委|2026-04、2026-05|300.14|m-2" {
		t.Errorf("arrears rows %q", rows)
	}
	got = call(t, gw, http.MethodGet, "/v1/exports/dues-ledger?organisationId=parent-1&month=2026-04", "", auth)
	if got.status != http.StatusNotFound {
		t.Errorf("a month the list refuses: HTTP %d, want its 404", got.status)
	}
}
