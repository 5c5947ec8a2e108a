package gateway

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	organisationv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/proto/openapi"
)

// pagedOrganisations lists n branches under parent-1 in pages, and
// refuses callers without a token as the services do.
type pagedOrganisations struct {
	organisationv1.UnimplementedOrganisationServiceServer
	n int
}

func authorised(ctx context.Context) error {
	if md, _ := metadata.FromIncomingContext(ctx); len(md.Get("authorization")) == 0 {
		return status.Error(codes.Unauthenticated, "no token")
	}
	return nil
}

func (p *pagedOrganisations) ListOrganisations(ctx context.Context, req *organisationv1.ListOrganisationsRequest) (*organisationv1.ListOrganisationsResponse, error) {
	if err := authorised(ctx); err != nil {
		return nil, err
	}
	if req.GetKind() != organisationv1.OrganisationKind_ORGANISATION_KIND_BRANCH {
		return &organisationv1.ListOrganisationsResponse{}, nil
	}
	start, _ := strconv.Atoi(req.GetPageToken())
	end := min(start+int(req.GetPageSize()), p.n)
	resp := &organisationv1.ListOrganisationsResponse{}
	for i := start; i < end; i++ {
		resp.Organisations = append(resp.Organisations, &organisationv1.Organisation{
			Id: fmt.Sprintf("b-%04d", i), ParentId: "parent-1", Name: fmt.Sprintf("第%d党支部", i+1),
			Kind: organisationv1.OrganisationKind_ORGANISATION_KIND_BRANCH, MemberCount: int64(i % 40),
			State: organisationv1.OrganisationState_ORGANISATION_STATE_ACTIVE,
		})
	}
	if end < p.n {
		resp.NextPageToken = strconv.Itoa(end)
	}
	return resp, nil
}

func (p *pagedOrganisations) GetOrganisation(ctx context.Context, req *organisationv1.GetOrganisationRequest) (*organisationv1.GetOrganisationResponse, error) {
	if err := authorised(ctx); err != nil {
		return nil, err
	}
	if req.GetId() != "parent-1" {
		return nil, status.Error(codes.NotFound, "not found")
	}
	return &organisationv1.GetOrganisationResponse{Organisation: &organisationv1.Organisation{Id: "parent-1", Name: "金山社区党委"}}, nil
}

func startExportGateway(t *testing.T, n int) *httptest.Server {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	organisationv1.RegisterOrganisationServiceServer(srv, &pagedOrganisations{n: n})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	h, closeBackends, err := New(t.Context(), []Backend{{
		Name: "organisation", Addr: lis.Addr().String(),
		Register: []RegisterFunc{organisationv1.RegisterOrganisationServiceHandler},
	}}, slog.New(slog.DiscardHandler), WithExports())
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(h)
	t.Cleanup(func() { gw.Close(); _ = closeBackends() })
	return gw
}

func TestAnExportHoldsEveryRowTheFiltersSelectUnderChineseHeadings(t *testing.T) {
	t.Parallel()
	gw := startExportGateway(t, 1234) // three pages of 500
	got := call(t, gw, http.MethodGet, "/v1/exports/organisations?kind=ORGANISATION_KIND_BRANCH&pageSize=7", "",
		http.Header{"Authorization": {"Bearer t"}})
	if got.status != http.StatusOK {
		t.Fatalf("HTTP %d %s", got.status, got.body)
	}
	if ct := got.header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := got.header.Get("Content-Disposition"); !strings.Contains(cd, "filename*=UTF-8''%E7%BB%84%E7%BB%87-") {
		t.Errorf("Content-Disposition = %q, want a file named 组织-…", cd)
	}
	book, err := excelize.OpenReader(bytes.NewReader(got.body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := book.GetRows("组织")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1235 {
		t.Fatalf("%d rows, want a heading and 1234", len(rows))
	}
	if h := strings.Join(rows[0], "|"); !strings.HasPrefix(h, "组织名称|类型|上级组织|组织代码|党员数|状态") {
		t.Errorf("headings = %s", h)
	}
	want := []string{"第1234党支部", "党支部", "金山社区党委", "", "33", "正常"}
	if diff := strings.Join(rows[1234][:6], "|"); diff != strings.Join(want, "|") {
		t.Errorf("last row = %q, want %q", rows[1234][:6], want)
	}
}

func TestAnExportIsRefusedAsItsListWouldBe(t *testing.T) {
	t.Parallel()
	gw := startExportGateway(t, 3)
	got := call(t, gw, http.MethodGet, "/v1/exports/organisations?kind=ORGANISATION_KIND_BRANCH", "", nil)
	if got.status != http.StatusUnauthorized || !strings.Contains(string(got.body), `"status":"UNAUTHENTICATED"`) {
		t.Errorf("without a token: HTTP %d %s, want the list's 401", got.status, got.body)
	}
	got = call(t, gw, http.MethodGet, "/v1/exports/parishes", "", http.Header{"Authorization": {"Bearer t"}})
	if got.status != http.StatusNotFound {
		t.Errorf("an unknown export: HTTP %d, want 404", got.status)
	}
	got = call(t, gw, http.MethodPost, "/v1/exports/organisations", "", http.Header{"Authorization": {"Bearer t"}})
	if got.status != http.StatusMethodNotAllowed {
		t.Errorf("a POST: HTTP %d, want 405", got.status)
	}
}

func TestEveryExportReadsAListTheAPIServes(t *testing.T) {
	t.Parallel()
	spec := string(openapi.Spec)
	for name, l := range exportLists {
		if !strings.Contains(spec, `"`+l.route+`"`) {
			t.Errorf("export %s reads %s, which the OpenAPI description does not have", name, l.route)
		}
		if !strings.Contains(spec, `"`+l.items+`"`) {
			t.Errorf("export %s reads the field %s, which no response has", name, l.items)
		}
	}
}
