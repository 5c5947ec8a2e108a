package gateway

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	organisationv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

var testConsole = fstest.MapFS{
	"index.html":             {Data: []byte(`<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="app"></div></body></html>`)},
	"assets/index-abc123.js": {Data: []byte(strings.Repeat("console.log('共建');\n", 200))},
	"favicon.svg":            {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
}

// startConsoleGateway serves the gateway with the console in front of the
// organisation service at addr.
func startConsoleGateway(t *testing.T, addr string, opts ...Option) *httptest.Server {
	t.Helper()
	h, closeBackends, err := New(t.Context(), []Backend{{
		Name: "organisation", Addr: addr,
		Register: []RegisterFunc{organisationv1.RegisterOrganisationServiceHandler},
	}}, slog.New(slog.DiscardHandler), append([]Option{WithConsole(testConsole)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		_ = closeBackends()
	})
	return srv
}

func TestTheConsoleIsServedAtTheRootWithItsRoutesFallingBackToIndex(t *testing.T) {
	t.Parallel()
	gw := startConsoleGateway(t, startBackend(t, nil).addr)
	tests := []struct {
		name, path       string
		wantStatus       int
		wantType         string
		wantCache        string
		wantBodyContains string
	}{
		{"the root is the console", "/", 200, "text/html; charset=utf-8", "no-cache", `<div id="app">`},
		{"a console route is the console", "/members/m-1/history", 200, "text/html; charset=utf-8", "no-cache", `<div id="app">`},
		{"a hashed asset is cached for a year", "/assets/index-abc123.js", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "共建"},
		{"a file at the root is revalidated", "/favicon.svg", 200, "image/svg+xml", "no-cache", "<svg"},
		{"a missing asset is 404, never the console", "/assets/index-old.js", 404, "text/plain; charset=utf-8", "", "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := call(t, gw, http.MethodGet, tt.path, "", nil)
			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d", got.status, tt.wantStatus)
			}
			if ct := got.header.Get("Content-Type"); ct != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", ct, tt.wantType)
			}
			if cc := got.header.Get("Cache-Control"); cc != tt.wantCache {
				t.Errorf("Cache-Control = %q, want %q", cc, tt.wantCache)
			}
			if !strings.Contains(string(got.body), tt.wantBodyContains) {
				t.Errorf("body does not contain %q: %.200s", tt.wantBodyContains, got.body)
			}
		})
	}
}

func TestTheConsolePageForbidsFramingAndForeignScripts(t *testing.T) {
	t.Parallel()
	gw := startConsoleGateway(t, startBackend(t, nil).addr)
	got := call(t, gw, http.MethodGet, "/", "", nil)
	csp := got.header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if got.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("X-Frame-Options = %q", got.header.Get("X-Frame-Options"))
	}
}

func TestTheConsoleIsSentCompressedAndRevalidatedByEtag(t *testing.T) {
	t.Parallel()
	gw := startConsoleGateway(t, startBackend(t, nil).addr)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, gw.URL+"/assets/index-abc123.js", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req) // the client would decompress on its own
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, testConsole["assets/index-abc123.js"].Data) {
		t.Errorf("the decompressed asset differs from the file")
	}
	if len(raw) >= len(plain) {
		t.Errorf("compressed %d bytes, plain %d", len(raw), len(plain))
	}

	again := call(t, gw, http.MethodGet, "/", "", http.Header{"If-None-Match": {resp.Header.Get("ETag")}})
	etag := call(t, gw, http.MethodGet, "/", "", nil).header.Get("ETag")
	if got := call(t, gw, http.MethodGet, "/", "", http.Header{"If-None-Match": {etag}}); got.status != http.StatusNotModified {
		t.Errorf("index.html with its etag: status %d, want 304", got.status)
	}
	if again.status != http.StatusOK {
		t.Errorf("index.html with the asset's etag: status %d, want 200", again.status)
	}
}

func TestTheAPIStaysTheAPIBesideTheConsole(t *testing.T) {
	t.Parallel()
	gw := startConsoleGateway(t, startBackend(t, nil).addr)
	tests := []struct {
		method, path string
		wantStatus   int
	}{
		{http.MethodGet, "/v1/parishes", http.StatusNotFound},
		{http.MethodGet, "/v1/organisations/org-1", http.StatusOK},
		{http.MethodPost, "/members", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		got := call(t, gw, tt.method, tt.path, "", nil)
		if got.status != tt.wantStatus {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, got.status, tt.wantStatus)
		}
		if !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: Content-Type %q, want the API's JSON", tt.method, tt.path, got.header.Get("Content-Type"))
		}
	}
}
