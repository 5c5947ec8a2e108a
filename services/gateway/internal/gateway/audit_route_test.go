package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
)

// trail answers every listing with one record naming its service.
type trail struct {
	auditv1.UnimplementedAuditServiceServer
	name string
}

func (t trail) ListAuditRecords(context.Context, *auditv1.ListAuditRecordsRequest) (*auditv1.ListAuditRecordsResponse, error) {
	return &auditv1.ListAuditRecordsResponse{AuditRecords: []*auditv1.AuditRecord{{SubjectType: t.name}}}, nil
}

func serveTrail(t *testing.T, name string) string {
	t.Helper()
	srv := grpc.NewServer()
	auditv1.RegisterAuditServiceServer(srv, trail{name: name})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// TestEachServicesAuditTrailIsRoutedByItsName: /v1/<service>/audit-records
// reaches that service's own trail; an unknown name is 404.
func TestEachServicesAuditTrailIsRoutedByItsName(t *testing.T) {
	t.Parallel()
	none := []RegisterFunc{func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error { return nil }}
	backends := []Backend{
		{Name: "organisation", Addr: serveTrail(t, "organisation"), Register: none, Audit: auditv1.RegisterAuditServiceHandler},
		{Name: "member", Addr: serveTrail(t, "member"), Register: none, Audit: auditv1.RegisterAuditServiceHandler},
	}
	h, closeAll, err := New(context.Background(), backends, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeAll() })
	gw := httptest.NewServer(h)
	t.Cleanup(gw.Close)
	for _, name := range []string{"organisation", "member"} {
		resp, err := http.Get(gw.URL + "/v1/" + name + "/audit-records")
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			AuditRecords []struct{ SubjectType string } `json:"auditRecords"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body.AuditRecords) != 1 || body.AuditRecords[0].SubjectType != name {
			t.Errorf("/v1/%s/audit-records: %d %+v, want the %s trail", name, resp.StatusCode, body, name)
		}
	}
	resp, err := http.Get(gw.URL + "/v1/cobuilding/audit-records")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown service's trail: %d, want 404", resp.StatusCode)
	}
}
