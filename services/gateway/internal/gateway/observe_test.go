package gateway

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"gongjian.dev/pkg/logtest"
)

// traceparent is what a client that is itself traced sends.
func traceparent(tid trace.TraceID, sid trace.SpanID) http.Header {
	return http.Header{"Traceparent": {"00-" + tid.String() + "-" + sid.String() + "-01"}}
}

func TestTheClientsTraceContinuesIntoTheBackend(t *testing.T) {
	t.Parallel()
	b := startBackend(t, nil)
	gw := startGateway(t, b.addr, nil)
	tid := trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	clientSpan := trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}

	got := call(t, gw, http.MethodGet, "/v1/organisations/traced", "", traceparent(tid, clientSpan))
	if got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", got.status, got.body)
	}

	v, ok := b.orgs.seen.Load("traced")
	if !ok {
		t.Fatal("backend saw no call")
	}
	backendSpan := v.(trace.SpanContext)
	if backendSpan.TraceID() != tid {
		t.Fatalf("backend trace id = %s, want the client's %s", backendSpan.TraceID(), tid)
	}
	// Walk up from the backend's span: gRPC server span, gateway's gRPC
	// client span, gateway's HTTP server span, then the client's span.
	started := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range spans.Started() {
		if s.SpanContext().TraceID() == tid {
			started[s.SpanContext().SpanID()] = s
		}
	}
	var path []string
	for id := backendSpan.SpanID(); id != clientSpan; {
		s, ok := started[id]
		if !ok {
			t.Fatalf("span %s is not in the trace below the client's span; walked %v", id, path)
		}
		path = append(path, s.Name())
		id = s.Parent().SpanID()
	}
	want := []string{
		"gongjian.organisation.v1.OrganisationService/GetOrganisation",
		"gongjian.organisation.v1.OrganisationService/GetOrganisation",
		"GET /v1/organisations/{id}",
	}
	if strings.Join(path, " < ") != strings.Join(want, " < ") {
		t.Errorf("spans from the backend up = %q, want %q", path, want)
	}
}

func TestTheAccessLogHasOneLinePerRequestWithoutQueryOrBody(t *testing.T) {
	t.Parallel()
	var logs logtest.Buffer
	gw := startGateway(t, startBackend(t, nil).addr, newTestLogger(&logs))
	tid := trace.TraceID{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01}
	sid := trace.SpanID{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}

	call(t, gw, http.MethodGet, "/v1/organisations/org-1?asOfTime=2024-05-01T00:00:00Z", "", traceparent(tid, sid))
	call(t, gw, http.MethodPost, "/v1/organisations", `{"name": "Zhang San's branch", "parentId": "p-1"}`, traceparent(tid, sid))
	gw.Close() // waits for the requests, and so for their log lines

	type line struct {
		Msg      string   `json:"msg"`
		Method   string   `json:"method"`
		Path     string   `json:"path"`
		Status   int      `json:"status"`
		Duration *float64 `json:"duration_ms"`
		TraceID  string   `json:"trace_id"`
	}
	var got []line
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Text())
		}
		if l.Msg == "http request" {
			got = append(got, l)
		}
	}
	if len(got) != 2 {
		t.Fatalf("got %d access-log lines, want 2:\n%s", len(got), logs.String())
	}
	wantPaths := map[string]int{"/v1/organisations/org-1": http.StatusOK, "/v1/organisations": http.StatusOK}
	for _, l := range got {
		if status, ok := wantPaths[l.Path]; !ok || l.Status != status {
			t.Errorf("line %+v: unexpected path or status", l)
		}
		if l.TraceID != tid.String() {
			t.Errorf("line for %s has trace_id %q, want %s", l.Path, l.TraceID, tid)
		}
		if l.Duration == nil {
			t.Errorf("line for %s has no duration_ms", l.Path)
		}
	}
	for _, secret := range []string{"asOfTime", "2024-05-01", "Zhang San"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs.String())
		}
	}
}
