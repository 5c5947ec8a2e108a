package gateway

import (
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func TestGetOrganisationAnswersLowerCamelJSONWithoutUnpopulatedFields(t *testing.T) {
	t.Parallel()
	gw := startGateway(t, startBackend(t, nil).addr, nil)
	got := call(t, gw, http.MethodGet, "/v1/organisations/org-1", "", nil)
	if got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", got.status, got.body)
	}
	want := `{"organisation": {"id": "org-1", "parentId": "parent-1",
		"kind": "ORGANISATION_KIND_BRANCH", "name": "Third Branch of Nanguan Community"}}`
	if diff := jsonDiff(t, want, got.body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestBadRequestsAre400AndNeverReachTheBackend(t *testing.T) {
	t.Parallel()
	b := startBackend(t, nil)
	gw := startGateway(t, b.addr, nil)
	tests := []struct {
		name   string
		method string
		path   string
		body   string
	}{
		{name: "malformed JSON", method: http.MethodPost, path: "/v1/organisations", body: `{"name": "Third Branch",`},
		{name: "not JSON at all", method: http.MethodPost, path: "/v1/organisations", body: `name=Third Branch`},
		{name: "an unknown field", method: http.MethodPost, path: "/v1/organisations", body: `{"name": "Third Branch", "colour": "red"}`},
		{name: "a field of the wrong type", method: http.MethodPost, path: "/v1/organisations", body: `{"name": 7}`},
		{name: "an unknown enum value", method: http.MethodPost, path: "/v1/organisations", body: `{"kind": "ORGANISATION_KIND_GUILD"}`},
		{name: "data after the JSON value", method: http.MethodPost, path: "/v1/organisations", body: `{"name": "Third Branch"} {"name": "Fourth"}`},
		{name: "an array instead of an object", method: http.MethodPost, path: "/v1/organisations", body: `[]`},
		{name: "a bad query parameter on create", method: http.MethodPost, path: "/v1/organisations?requestId=a&requestId=b", body: `{"name": "Third Branch"}`},
		{name: "a timestamp query parameter that is no timestamp", method: http.MethodGet, path: "/v1/organisations/org-1?asOfTime=yesterday"},
		{name: "a malformed query escape", method: http.MethodGet, path: "/v1/organisations/org-1?asOfTime=%zz"},
		{name: "the same field twice by both its names", method: http.MethodGet, path: "/v1/organisations/org-1?asOfTime=2024-01-01T00:00:00Z&as_of_time=2024-01-02T00:00:00Z"},
		{name: "a number query parameter that is no number", method: http.MethodGet, path: "/v1/organisations?pageSize=many"},
		{name: "an enum query parameter that does not exist", method: http.MethodGet, path: "/v1/organisations?kind=ORGANISATION_KIND_GUILD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := call(t, gw, tt.method, tt.path, tt.body, nil)
			if got.status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400: %s", got.status, got.body)
			}
			var body errorBody
			if err := json.Unmarshal(got.body, &body); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, got.body)
			}
			if body.Status != "INVALID_ARGUMENT" || body.Code != 3 || body.Message == "" {
				t.Errorf("body = %+v, want code 3 INVALID_ARGUMENT with a message", body)
			}
		})
	}
	t.Cleanup(func() {
		if n := b.orgs.creates.Load(); n != 0 {
			t.Errorf("backend received %d creates, want none", n)
		}
	})
}

func TestAWellFormedCreateReachesTheBackend(t *testing.T) {
	t.Parallel()
	b := startBackend(t, nil)
	gw := startGateway(t, b.addr, nil)
	got := call(t, gw, http.MethodPost, "/v1/organisations?requestId=r-1",
		`{"parentId": "parent-1", "kind": "ORGANISATION_KIND_BRANCH", "name": "Third Branch"}`, nil)
	if got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", got.status, got.body)
	}
	want := `{"organisation": {"id": "created-1", "parentId": "parent-1", "kind": "ORGANISATION_KIND_BRANCH", "name": "Third Branch"}}`
	if diff := jsonDiff(t, want, got.body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if n := b.orgs.creates.Load(); n != 1 {
		t.Errorf("backend received %d creates, want 1", n)
	}
}

func TestUnknownRoutesAre404AndWrongMethods405(t *testing.T) {
	t.Parallel()
	gw := startGateway(t, startBackend(t, nil).addr, nil)
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantBody   string
	}{
		{
			name: "an unknown API path", method: http.MethodGet, path: "/v1/parishes",
			wantStatus: http.StatusNotFound,
			wantBody:   `{"code": 5, "status": "NOT_FOUND", "message": "Not Found", "details": []}`,
		},
		{
			name: "a path outside the API", method: http.MethodGet, path: "/admin",
			wantStatus: http.StatusNotFound,
			wantBody:   `{"code": 5, "status": "NOT_FOUND", "message": "Not Found", "details": []}`,
		},
		{
			name: "the root", method: http.MethodGet, path: "/",
			wantStatus: http.StatusNotFound,
			wantBody:   `{"code": 5, "status": "NOT_FOUND", "message": "Not Found", "details": []}`,
		},
		{
			name: "an API path with a method it does not have", method: http.MethodDelete, path: "/v1/organisations/org-1",
			wantStatus: http.StatusMethodNotAllowed,
			wantBody:   `{"code": 12, "status": "UNIMPLEMENTED", "message": "Method Not Allowed", "details": []}`,
		},
		{
			name: "a post to the health check", method: http.MethodPost, path: "/healthz",
			wantStatus: http.StatusMethodNotAllowed,
			wantBody:   `{"code": 12, "status": "UNIMPLEMENTED", "message": "Method Not Allowed", "details": []}`,
		},
		{
			name: "a put to the OpenAPI description", method: http.MethodPut, path: "/openapi.json",
			wantStatus: http.StatusMethodNotAllowed,
			wantBody:   `{"code": 12, "status": "UNIMPLEMENTED", "message": "Method Not Allowed", "details": []}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := call(t, gw, tt.method, tt.path, "", nil)
			if got.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", got.status, tt.wantStatus)
			}
			if diff := jsonDiff(t, tt.wantBody, got.body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenAPIDescribesTheOrganisationsPaths(t *testing.T) {
	t.Parallel()
	gw := startGateway(t, startBackend(t, nil).addr, nil)
	got := call(t, gw, http.MethodGet, "/openapi.json", "", nil)
	if got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", got.status)
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var spec struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(got.body, &spec); err != nil {
		t.Fatalf("spec is not JSON: %v", err)
	}
	if _, ok := spec.Paths["/v1/organisations"]; !ok {
		t.Errorf("paths lack /v1/organisations; have %d paths", len(spec.Paths))
	}
}

func TestHealthzFollowsTheBackends(t *testing.T) {
	t.Parallel()
	b := startBackend(t, nil)
	gw := startGateway(t, b.addr, nil)

	got := call(t, gw, http.MethodGet, "/healthz", "", nil)
	if got.status != http.StatusOK {
		t.Errorf("serving: status = %d, want 200", got.status)
	}
	if diff := jsonDiff(t, `{"status": "ok", "backends": {"organisation": "SERVING"}}`, got.body); diff != "" {
		t.Errorf("serving: body (-want +got):\n%s", diff)
	}

	// A backend out of rotation leaves the gateway ready: its readiness
	// is its own, and it reports the backend.
	b.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	got = call(t, gw, http.MethodGet, "/healthz", "", nil)
	if got.status != http.StatusOK {
		t.Errorf("not serving: status = %d, want 200", got.status)
	}
	if diff := jsonDiff(t, `{"status": "degraded", "backends": {"organisation": "NOT_SERVING"}}`, got.body); diff != "" {
		t.Errorf("not serving: body (-want +got):\n%s", diff)
	}
}

func TestHealthzReportsABackendThatCannotBeReached(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	gw := startGateway(t, addr, nil)

	got := call(t, gw, http.MethodGet, "/healthz", "", nil)
	if got.status != http.StatusOK {
		t.Errorf("status = %d, want 200: the gateway itself is ready", got.status)
	}
	if diff := jsonDiff(t, `{"status": "degraded", "backends": {"organisation": "UNAVAILABLE"}}`, got.body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	// And an API call to it is a 503 that does not name the address and
	// says when to try again.
	got = call(t, gw, http.MethodGet, "/v1/organisations/org-1", "", nil)
	if got.status != http.StatusServiceUnavailable || strings.Contains(string(got.body), addr) {
		t.Errorf("API call: status %d body %s, want 503 without %s", got.status, got.body, addr)
	}
	if got.header.Get("Retry-After") == "" {
		t.Errorf("a 503 without Retry-After")
	}
}

func TestBackendsWithoutAddressOrHandlersAreNotServed(t *testing.T) {
	t.Parallel()
	h, closeBackends, err := New(t.Context(), []Backend{
		{Name: "member", Addr: ""},
		{Name: "cobuilding", Addr: "127.0.0.1:1"},
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(h)
	t.Cleanup(func() { gw.Close(); _ = closeBackends() })

	got := call(t, gw, http.MethodGet, "/healthz", "", nil)
	if got.status != http.StatusOK {
		t.Errorf("status = %d, want 200", got.status)
	}
	if diff := jsonDiff(t, `{"status": "ok", "backends": {}}`, got.body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}
