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
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"

	cobuildingv1 "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	organisationv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	supervisionv1 "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// pagedUnits lists n resident units of one community in pages and names
// the one unit the agreements point at.
type pagedUnits struct {
	cobuildingv1.UnimplementedResidentUnitServiceServer
	n int
}

func (p *pagedUnits) ListResidentUnits(ctx context.Context, req *cobuildingv1.ListResidentUnitsRequest) (*cobuildingv1.ListResidentUnitsResponse, error) {
	if err := authorised(ctx); err != nil {
		return nil, err
	}
	start, _ := strconv.Atoi(req.GetPageToken())
	end := min(start+int(req.GetPageSize()), p.n)
	resp := &cobuildingv1.ListResidentUnitsResponse{}
	for i := start; i < end; i++ {
		resp.ResidentUnits = append(resp.ResidentUnits, &cobuildingv1.ResidentUnit{
			Id: fmt.Sprintf("u-%04d", i), Name: fmt.Sprintf("第%d驻区单位", i+1), CommunityId: "parent-1",
			Type: cobuildingv1.UnitType_UNIT_TYPE_STATE_ENTERPRISE, HeadCount: int32(i), CoverageGap: i%2 == 0,
		})
	}
	if end < p.n {
		resp.NextPageToken = strconv.Itoa(end)
	}
	return resp, nil
}

func (p *pagedUnits) GetResidentUnit(ctx context.Context, req *cobuildingv1.GetResidentUnitRequest) (*cobuildingv1.GetResidentUnitResponse, error) {
	if req.GetId() != "u-0001" {
		return nil, status.Error(codes.NotFound, "not found")
	}
	return &cobuildingv1.GetResidentUnitResponse{ResidentUnit: &cobuildingv1.ResidentUnit{Id: "u-0001", Name: "市供电公司"}}, nil
}

// oneRoundsGroups holds one round's groups, covering two organisations.
type oneRoundsGroups struct {
	supervisionv1.UnimplementedInspectionServiceServer
}

func (oneRoundsGroups) ListGroups(ctx context.Context, req *supervisionv1.ListGroupsRequest) (*supervisionv1.ListGroupsResponse, error) {
	if req.GetRoundId() != "r-1" {
		return nil, status.Error(codes.NotFound, "no such round")
	}
	return &supervisionv1.ListGroupsResponse{Groups: []*supervisionv1.InspectionGroup{{
		Id: "g-1", RoundId: "r-1", Name: "第一督查组", Inspectors: []string{"inspector:a", "inspector:b"},
		OrganisationIds: []string{"parent-1", "elsewhere"},
	}}}, nil
}

func startAreaExportGateway(t *testing.T, units int) *httptest.Server {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	organisationv1.RegisterOrganisationServiceServer(srv, &pagedOrganisations{})
	cobuildingv1.RegisterResidentUnitServiceServer(srv, &pagedUnits{n: units})
	supervisionv1.RegisterInspectionServiceServer(srv, oneRoundsGroups{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	addr := lis.Addr().String()
	h, closeBackends, err := New(t.Context(), []Backend{
		{Name: "organisation", Addr: addr, Register: []RegisterFunc{organisationv1.RegisterOrganisationServiceHandler}},
		{Name: "cobuilding", Addr: addr, Register: []RegisterFunc{cobuildingv1.RegisterResidentUnitServiceHandler}},
		{Name: "supervision", Addr: addr, Register: []RegisterFunc{supervisionv1.RegisterInspectionServiceHandler}},
	}, slog.New(slog.DiscardHandler), WithExports())
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(h)
	t.Cleanup(func() { gw.Close(); _ = closeBackends() })
	return gw
}

func sheetRows(t *testing.T, body []byte, sheet string) [][]string {
	t.Helper()
	book, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := book.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestACoBuildingListExportsEveryPageWithItsEnumsAndOrganisationsNamed(t *testing.T) {
	t.Parallel()
	gw := startAreaExportGateway(t, 612) // two pages of 500
	got := call(t, gw, http.MethodGet, "/v1/exports/resident-units?communityId=parent-1", "", http.Header{"Authorization": {"Bearer t"}})
	if got.status != http.StatusOK {
		t.Fatalf("HTTP %d %s", got.status, got.body)
	}
	if n := got.header.Get("X-Export-Rows"); n != "612" {
		t.Errorf("X-Export-Rows = %s, want 612", n)
	}
	rows := sheetRows(t, got.body, "驻区单位")
	if len(rows) != 613 {
		t.Fatalf("%d rows, want a heading and 612", len(rows))
	}
	if h := strings.Join(rows[0][:3], "|"); h != "单位名称|单位类型|所在社区" {
		t.Errorf("headings begin %s", h)
	}
	want := "第612驻区单位|国有企业|金山社区党委"
	if got := strings.Join(rows[612][:3], "|"); got != want {
		t.Errorf("last row begins %s, want %s", got, want)
	}
	if gap := rows[611][9]; gap != "是" {
		t.Errorf("unit 611's coverage gap reads %q, want 是", gap)
	}
}

func TestARoundsGroupsExportNamesItsRoundAndEveryOrganisation(t *testing.T) {
	t.Parallel()
	gw := startAreaExportGateway(t, 0)
	got := call(t, gw, http.MethodGet, "/v1/exports/inspection-groups?roundId=r-1", "", http.Header{"Authorization": {"Bearer t"}})
	if got.status != http.StatusOK {
		t.Fatalf("HTTP %d %s", got.status, got.body)
	}
	rows := sheetRows(t, got.body, "督查组")
	if len(rows) != 2 {
		t.Fatalf("rows %v, want a heading and one group", rows)
	}
	// An organisation the caller cannot read stays an id.
	want := []string{"第一督查组", "inspector:a、inspector:b", "金山社区党委、elsewhere", "g-1"}
	if strings.Join(rows[1], "|") != strings.Join(want, "|") {
		t.Errorf("the group's row is %q, want %q", rows[1], want)
	}

	got = call(t, gw, http.MethodGet, "/v1/exports/inspection-groups", "", http.Header{"Authorization": {"Bearer t"}})
	if got.status != http.StatusBadRequest || !strings.Contains(string(got.body), `"field":"round_id"`) {
		t.Errorf("without a round: HTTP %d %s, want 400 naming round_id", got.status, got.body)
	}
	got = call(t, gw, http.MethodGet, "/v1/exports/inspection-groups?roundId=r-2", "", http.Header{"Authorization": {"Bearer t"}})
	if got.status != http.StatusNotFound {
		t.Errorf("another round: HTTP %d %s, want the list's 404", got.status, got.body)
	}
}

func TestEveryValueOfTheExportedEnumsHasAChineseLabel(t *testing.T) {
	t.Parallel()
	for _, e := range []protoreflect.EnumDescriptor{
		cobuildingv1.UnitType(0).Descriptor(), cobuildingv1.AgreementState(0).Descriptor(), cobuildingv1.Area(0).Descriptor(),
		cobuildingv1.MeetingKind(0).Descriptor(), cobuildingv1.LedgerItemStatus(0).Descriptor(),
		supervisionv1.ItemSource(0).Descriptor(), supervisionv1.ItemState(0).Descriptor(), supervisionv1.Severity(0).Descriptor(),
		supervisionv1.InterviewState(0).Descriptor(), memberv1.DuesBandKind(0).Descriptor(),
		cobuildingv1.ServiceRequestKind(0).Descriptor(), cobuildingv1.ServiceRequestChannel(0).Descriptor(),
		cobuildingv1.ServiceRequestState(0).Descriptor(), cobuildingv1.Satisfaction(0).Descriptor(),
		cobuildingv1.VenueKind(0).Descriptor(), cobuildingv1.BookerKind(0).Descriptor(), cobuildingv1.TeamKind(0).Descriptor(),
		supervisionv1.CommendationKind(0).Descriptor(), supervisionv1.CommendationState(0).Descriptor(),
	} {
		for i := range e.Values().Len() {
			v := string(e.Values().Get(i).Name())
			if strings.HasSuffix(v, "_UNSPECIFIED") {
				continue
			}
			if enumLabel(v) == v {
				t.Errorf("%s has no Chinese label", v)
			}
		}
	}
}
