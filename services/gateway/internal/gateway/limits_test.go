package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"gongjian.dev/pkg/grpcserver"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	organisationv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// memberMaxMessage is what the member service takes (a roster of 10 MiB
// and its fields); the organisation service keeps gRPC's 4 MiB.
const memberMaxMessage = 11 << 20

// transfers answers every transfer RPC Unimplemented: what the tests ask
// of it is refused by the server's checks before a handler runs.
type transfers struct {
	memberv1.UnimplementedTransferServiceServer
}

// hygieneStack is the gateway in front of two backends built as the
// services build theirs (grpcserver.New: text check, protovalidate, error
// mapping) with their message limits.
type hygieneStack struct {
	gw   *httptest.Server
	orgs *organisations
	imp  *importer
}

func startHygieneStack(t *testing.T) *hygieneStack {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	serve := func(register func(*grpc.Server), opts ...grpc.ServerOption) string {
		srv, err := grpcserver.New(log, grpcserver.Options{ServerOptions: opts})
		if err != nil {
			t.Fatal(err)
		}
		register(srv.Server)
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx, lis, 5*time.Second) }()
		t.Cleanup(func() { cancel(); <-done })
		return lis.Addr().String()
	}
	s := &hygieneStack{orgs: &organisations{}, imp: &importer{}}
	orgAddr := serve(func(g *grpc.Server) { organisationv1.RegisterOrganisationServiceServer(g, s.orgs) })
	memberAddr := serve(func(g *grpc.Server) {
		memberv1.RegisterMemberServiceServer(g, s.imp)
		memberv1.RegisterTransferServiceServer(g, transfers{})
	}, grpc.MaxRecvMsgSize(memberMaxMessage))
	h, closeBackends, err := New(t.Context(), []Backend{
		{Name: "organisation", Addr: orgAddr, Register: []RegisterFunc{organisationv1.RegisterOrganisationServiceHandler}},
		{Name: "member", Addr: memberAddr, Register: []RegisterFunc{memberv1.RegisterMemberServiceHandler,
			memberv1.RegisterTransferServiceHandler, RegisterMemberImportUpload}},
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	s.gw = httptest.NewServer(h)
	t.Cleanup(func() { s.gw.Close(); _ = closeBackends() })
	return s
}

// answer is an error answer as a client reads it.
type answer struct {
	status  int
	code    string
	message string
	fields  []string
}

func (s *hygieneStack) send(t *testing.T, method, path, contentType string, body io.Reader, length int64) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.gw.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = length
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.gw.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Status  string `json:"status"`
		Message string `json:"message"`
		Details []struct {
			FieldViolations []struct {
				Field string `json:"field"`
			} `json:"fieldViolations"`
		} `json:"details"`
	}
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: HTTP %d with a body that is not the error shape: %s", method, path, resp.StatusCode, raw)
		}
	}
	a := answer{status: resp.StatusCode, code: out.Status, message: out.Message}
	for _, d := range out.Details {
		for _, v := range d.FieldViolations {
			a.fields = append(a.fields, v.Field)
		}
	}
	return a
}

func (s *hygieneStack) json(t *testing.T, method, path, body string) answer {
	t.Helper()
	return s.send(t, method, path, "application/json", strings.NewReader(body), int64(len(body)))
}

// upload posts a roster of size bytes as a multipart form.
func (s *hygieneStack) upload(t *testing.T, size int) answer {
	t.Helper()
	var buf bytes.Buffer
	form := multipart.NewWriter(&buf)
	part, err := form.CreateFormFile("file", "roster.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = part.Write(bytes.Repeat([]byte("a"), size))
	_ = form.WriteField("organisationId", "3f1c9a52-5d7e-4c1e-9a40-2f1b6c0d0001")
	_ = form.Close()
	return s.send(t, http.MethodPost, importRoute, form.FormDataContentType(), &buf, int64(buf.Len()))
}

// internalsOf lists the marks of parser and transport internals a
// message must not carry.
var internalsOf = []string{"grpc:", "proto:", "strconv", "json:", "larger than max", "multipart:", "invalid character"}

func assertPlain(t *testing.T, a answer) {
	t.Helper()
	for _, mark := range internalsOf {
		if strings.Contains(a.message, mark) {
			t.Fatalf("message %q carries %q", a.message, mark)
		}
	}
	if a.message == "" {
		t.Fatal("no message")
	}
}

func TestBodiesOverTheLimitAre413WithAPlainMessage(t *testing.T) {
	t.Parallel()
	s := startHygieneStack(t)
	big := `{"name":"` + strings.Repeat("x", 10<<20) + `","kind":"ORGANISATION_KIND_BRANCH"}`
	tests := []struct {
		name string
		send func() answer
	}{
		{"a 10 MB JSON body with its length", func() answer {
			return s.send(t, http.MethodPost, "/v1/organisations", "application/json", strings.NewReader(big), int64(len(big)))
		}},
		{"a 10 MB JSON body sent in chunks, without a length", func() answer {
			return s.send(t, http.MethodPost, "/v1/organisations", "application/json", io.MultiReader(strings.NewReader(big)), -1)
		}},
		{"a 20 MB roster upload", func() answer { return s.upload(t, 20<<20) }},
		{"a 12 MB roster upload, within the gateway's limit but over the member service's", func() answer {
			return s.upload(t, 12<<20)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.send()
			if a.status != http.StatusRequestEntityTooLarge || a.code != "RESOURCE_EXHAUSTED" {
				t.Fatalf("got HTTP %d %s %q, want 413 RESOURCE_EXHAUSTED", a.status, a.code, a.message)
			}
			assertPlain(t, a)
		})
	}
	if n := s.orgs.creates.Load(); n != 0 {
		t.Fatalf("the backend created %d organisations from bodies over the limit", n)
	}
	s.imp.mu.Lock()
	defer s.imp.mu.Unlock()
	if len(s.imp.got) != 0 {
		t.Fatalf("the backend imported %d rosters over the limit", len(s.imp.got))
	}
}

func TestABodyInAnotherContentTypeIs415(t *testing.T) {
	t.Parallel()
	s := startHygieneStack(t)
	body := `{"name":"Third Branch","kind":"ORGANISATION_KIND_BRANCH"}`
	tests := []struct {
		name, path, contentType string
		want                    int
	}{
		{"text/plain on a JSON route", "/v1/organisations", "text/plain", http.StatusUnsupportedMediaType},
		{"a form, curl's default, on a JSON route", "/v1/organisations", "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"multipart on a JSON route", "/v1/organisations", "multipart/form-data; boundary=x", http.StatusUnsupportedMediaType},
		{"text/plain on the upload route", importRoute, "text/plain", http.StatusUnsupportedMediaType},
		{"JSON with a charset is read", "/v1/organisations", "application/json; charset=utf-8", http.StatusOK},
		{"no content type is read as JSON", "/v1/organisations", "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.send(t, http.MethodPost, tt.path, tt.contentType, strings.NewReader(body), int64(len(body)))
			if a.status != tt.want {
				t.Fatalf("got HTTP %d %q, want %d", a.status, a.message, tt.want)
			}
			if tt.want != http.StatusOK {
				assertPlain(t, a)
			}
		})
	}
}

func TestAnEmptyBodyIs400NamingTheMissingField(t *testing.T) {
	t.Parallel()
	s := startHygieneStack(t)
	for _, body := range []string{"", "  \n"} {
		a := s.send(t, http.MethodPost, "/v1/transfers", "application/json", strings.NewReader(body), int64(len(body)))
		if a.status != http.StatusBadRequest || len(a.fields) == 0 || a.fields[0] != "transfer" {
			t.Fatalf("body %q: got HTTP %d %q fields %v, want 400 naming transfer", body, a.status, a.message, a.fields)
		}
		assertPlain(t, a)
	}
}

func TestUnreadableRequestsAre400WithoutParserInternals(t *testing.T) {
	t.Parallel()
	s := startHygieneStack(t)
	tests := []struct {
		name        string
		send        func() answer
		wantMessage string
	}{
		{"a word where the body has a number", func() answer {
			return s.json(t, http.MethodPost, "/v1/organisations", `{"name":"Third Branch","depth":"deep"}`)
		}, "field depth: expected a whole number (line 1, column 32)"},
		{"a word where the query has a number", func() answer {
			return s.send(t, http.MethodGet, "/v1/organisations?pageSize=ten", "", nil, 0)
		}, "parameter page_size: expected a number"},
		{"a number too large for its field", func() answer {
			return s.send(t, http.MethodGet, "/v1/organisations?pageSize=99999999999", "", nil, 0)
		}, "parameter page_size: the number is out of range"},
		{"a value not among an enum's", func() answer {
			return s.send(t, http.MethodGet, "/v1/organisations?kind=HAMLET", "", nil, 0)
		}, "parameter kind: not one of the values the API lists"},
		{"a body that is not JSON", func() answer {
			return s.json(t, http.MethodPost, "/v1/organisations", `{"name": nope}`)
		}, "the request body is not valid JSON (at byte 11)"},
		{"a body cut short", func() answer {
			return s.json(t, http.MethodPost, "/v1/organisations", `{"name": "Third`)
		}, "the request body is not valid JSON: it ends too early"},
		{"a field the request does not have", func() answer {
			return s.json(t, http.MethodPost, "/v1/organisations", `{"name":"x","colour":"red"}`)
		}, `the request has no field "colour" (line 1, column 13)`},
		{"more after the JSON value", func() answer {
			return s.json(t, http.MethodPost, "/v1/organisations", `{"name":"x"} {}`)
		}, "unexpected data after the JSON body"},
		{"a roster upload whose form is broken", func() answer {
			body := "--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc"
			return s.send(t, http.MethodPost, importRoute, "multipart/form-data; boundary=x", strings.NewReader(body), int64(len(body)))
		}, "the upload is not a readable multipart/form-data form"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.send()
			if a.status != http.StatusBadRequest || a.message != tt.wantMessage {
				t.Fatalf("got HTTP %d %q, want 400 %q", a.status, a.message, tt.wantMessage)
			}
			assertPlain(t, a)
		})
	}
}

func TestControlCharactersInJSONTextAre400NamingTheField(t *testing.T) {
	t.Parallel()
	s := startHygieneStack(t)
	for name, escaped := range map[string]string{"NUL": `\u0000`, "ESC": `\u001b`, "BEL": `\u0007`} {
		t.Run(name, func(t *testing.T) {
			a := s.json(t, http.MethodPost, "/v1/organisations", `{"name":"Third`+escaped+`Branch","kind":"ORGANISATION_KIND_BRANCH"}`)
			if a.status != http.StatusBadRequest || len(a.fields) != 1 || a.fields[0] != "organisation.name" {
				t.Fatalf("got HTTP %d %q fields %v, want 400 naming organisation.name", a.status, a.message, a.fields)
			}
		})
	}
	if n := s.orgs.creates.Load(); n != 0 {
		t.Fatalf("the backend created %d organisations with control characters", n)
	}
}

func TestSizeRefusalsAre413AndOtherExhaustionStays429(t *testing.T) {
	t.Parallel()
	called := func() *request { r := &request{limit: maxBody}; r.backendCalled.Store(true); return r }
	tooLarge, _ := status.New(codes.InvalidArgument, "invalid member; content: the file has 10485761 bytes").
		WithDetails(&errdetails.ErrorInfo{Reason: reasonTooLarge, Domain: errorDomain})
	tests := []struct {
		name string
		req  *request
		st   *status.Status
		want int
	}{
		{"a backend refusing a message over its limit", called(),
			status.New(codes.ResourceExhausted, "grpc: received message larger than max (12582912 vs. 11534336)"), http.StatusRequestEntityTooLarge},
		{"the gateway refusing an answer over its own limit is the server's failure", called(),
			status.New(codes.ResourceExhausted, fmt.Sprintf("grpc: received message larger than max (17000000 vs. %d)", MaxMessage)),
			http.StatusInternalServerError},
		{"a roster file over the service's limit", called(), tooLarge, http.StatusRequestEntityTooLarge},
		{"a backend's quota", called(), status.New(codes.ResourceExhausted, "too many imports at once"), http.StatusTooManyRequests},
		{"the gateway's own size refusal", &request{limit: maxUpload},
			status.New(codes.ResourceExhausted, tooLargeMessage(maxUpload)), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, st := ofRequest(tt.req, httpStatusOf(tt.st), tt.st)
			if got != tt.want {
				t.Fatalf("HTTP %d, want %d", got, tt.want)
			}
			if got == http.StatusRequestEntityTooLarge && strings.Contains(st.Message(), "grpc:") {
				t.Fatalf("message %q carries gRPC's words", st.Message())
			}
		})
	}
}
