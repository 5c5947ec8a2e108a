package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	organisationv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// whoami answers GetOrganisation with the caller's authorization metadata
// as the organisation's name and their cookie metadata as its code, and
// ListOrganisations with one organisation named after the request.
type whoami struct {
	organisationv1.UnimplementedOrganisationServiceServer
}

func (whoami) GetOrganisation(ctx context.Context, req *organisationv1.GetOrganisationRequest) (*organisationv1.GetOrganisationResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	return &organisationv1.GetOrganisationResponse{Organisation: &organisationv1.Organisation{
		Id: req.GetId(), Name: strings.Join(md.Get("authorization"), ","), Code: strings.Join(md.Get("grpcgateway-cookie"), ","),
	}}, nil
}

func (whoami) CreateOrganisation(ctx context.Context, req *organisationv1.CreateOrganisationRequest) (*organisationv1.CreateOrganisationResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	org := req.GetOrganisation()
	org.Id, org.Name = "created", strings.Join(md.Get("authorization"), ",")
	return &organisationv1.CreateOrganisationResponse{Organisation: org}, nil
}

func (whoami) ListOrganisations(ctx context.Context, req *organisationv1.ListOrganisationsRequest) (*organisationv1.ListOrganisationsResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	caller := "none"
	if a := md.Get("authorization"); len(a) > 0 {
		caller = "bearer"
	}
	return &organisationv1.ListOrganisationsResponse{Organisations: []*organisationv1.Organisation{{
		Id: "d-1", Name: caller + " " + req.GetKind().String() + " under " + req.GetParentId(),
	}}}, nil
}

func startWhoami(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	organisationv1.RegisterOrganisationServiceServer(srv, whoami{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// devIssuer is a development issuer in a temporary folder and a verifier
// that trusts it, as the launcher configures the gateway.
func devIssuer(t *testing.T) (*devissuer.Issuer, *auth.Verifier) {
	t.Helper()
	iss, err := devissuer.Load(filepath.Join(t.TempDir(), "auth"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(t.Context(), auth.Config{Issuer: devissuer.IssuerName, Audience: devissuer.Audience, KeysFile: iss.KeysFile()})
	if err != nil {
		t.Fatal(err)
	}
	return iss, v
}

func startSessionGateway(t *testing.T, cfg SessionConfig) *httptest.Server {
	t.Helper()
	s, err := NewSessions(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return startConsoleGateway(t, startWhoami(t), WithSessions(s))
}

// browser is an HTTP client that keeps cookies, as a browser does.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func send(t *testing.T, c *http.Client, method, u, body string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

var xhr = http.Header{"X-Requested-With": {"XMLHttpRequest"}}

func TestADevelopmentSignInSetsAnHttpOnlyStrictCookieThatAuthenticatesAPICalls(t *testing.T) {
	t.Parallel()
	iss, v := devIssuer(t)
	gw := startSessionGateway(t, SessionConfig{Verifier: v, DevIssuer: iss, DevTTL: time.Hour})
	b := browser(t)

	resp, body := send(t, b, http.MethodGet, gw.URL+"/auth/session", "", nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), `"dev":true`) {
		t.Fatalf("before signing in: HTTP %d %s, want 401 offering the development sign-in", resp.StatusCode, body)
	}

	resp, body = send(t, b, http.MethodPost, gw.URL+"/auth/dev/sign-in",
		`{"role":"district_admin","scopeOrgId":"0193b6a0-0000-7000-8000-000000000007","name":"王芳"}`, xhr)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: HTTP %d %s", resp.StatusCode, body)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Secure || cookie.MaxAge < 3500 {
		t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Strict, not Secure over plain HTTP, an hour long", cookie)
	}
	var info sessionInfo
	if err := json.Unmarshal(body, &info); err != nil {
		t.Fatal(err)
	}
	if info.Role != "district_admin" || info.ScopeOrgID != "0193b6a0-0000-7000-8000-000000000007" || info.Name != "王芳" || time.Until(info.ExpireTime) < 50*time.Minute {
		t.Errorf("session = %+v", info)
	}
	if strings.Contains(string(body), cookie.Value) {
		t.Errorf("the token itself reached the page")
	}

	resp, body = send(t, b, http.MethodGet, gw.URL+"/v1/organisations/org-1", "", nil)
	var got struct{ Organisation organisationv1.Organisation }
	_ = json.Unmarshal(body, &got)
	if resp.StatusCode != http.StatusOK || got.Organisation.Name != "Bearer "+cookie.Value {
		t.Errorf("GET with the cookie: HTTP %d, the backend saw authorization %q", resp.StatusCode, got.Organisation.Name)
	}
	if got.Organisation.Code != "" {
		t.Errorf("the cookie travelled on to the backend: %q", got.Organisation.Code)
	}

	resp, _ = send(t, b, http.MethodPost, gw.URL+"/auth/logout", "", xhr)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("logout: HTTP %d", resp.StatusCode)
	}
	if resp, _ = send(t, b, http.MethodGet, gw.URL+"/auth/session", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after logout: HTTP %d, want 401", resp.StatusCode)
	}
}

func TestACookieAuthenticatedWriteNeedsTheCustomHeader(t *testing.T) {
	t.Parallel()
	iss, v := devIssuer(t)
	gw := startSessionGateway(t, SessionConfig{Verifier: v, DevIssuer: iss})
	b := browser(t)
	if resp, body := send(t, b, http.MethodPost, gw.URL+"/auth/dev/sign-in", `{"role":"city_admin"}`, xhr); resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: HTTP %d %s", resp.StatusCode, body)
	}
	create := `{"kind":"ORGANISATION_KIND_BRANCH","name":"x","parentId":"p"}`

	resp, body := send(t, b, http.MethodPost, gw.URL+"/v1/organisations", create, nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "X-Requested-With") {
		t.Errorf("a write without the header: HTTP %d %s, want 403 naming the header", resp.StatusCode, body)
	}
	resp, body = send(t, b, http.MethodPost, gw.URL+"/v1/organisations", create, xhr)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Bearer ") {
		t.Errorf("a write with the header: HTTP %d %s, want it to reach the backend with the token", resp.StatusCode, body)
	}
	// A caller with its own bearer token is no browser: no cookie, no CSRF.
	plain := &http.Client{}
	resp, body = send(t, plain, http.MethodPost, gw.URL+"/v1/organisations", create, http.Header{"Authorization": {"Bearer abc"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Bearer abc") {
		t.Errorf("a write with a bearer token: HTTP %d %s", resp.StatusCode, body)
	}
	if resp, _ := send(t, b, http.MethodPost, gw.URL+"/auth/dev/sign-in", `{"role":"city_admin"}`, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a sign-in without the header: HTTP %d, want 403", resp.StatusCode)
	}
}

func TestAUnitContactSignsInForTheUnitChosen(t *testing.T) {
	t.Parallel()
	iss, v := devIssuer(t)
	gw := startSessionGateway(t, SessionConfig{Verifier: v, DevIssuer: iss})
	resp, body := send(t, browser(t), http.MethodPost, gw.URL+"/auth/dev/sign-in",
		`{"role":"unit_contact","scopeOrgId":"0193b6a0-0000-7000-8000-000000000007","unitId":"0193b6a0-0000-7000-8000-0000000000aa"}`, xhr)
	var info sessionInfo
	if err := json.Unmarshal(body, &info); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || info.Role != "unit_contact" || info.UnitID != "0193b6a0-0000-7000-8000-0000000000aa" {
		t.Errorf("HTTP %d, session %+v, want the unit contact of the unit chosen", resp.StatusCode, info)
	}
}

func TestADevelopmentSignInNamesEachWrongField(t *testing.T) {
	t.Parallel()
	iss, v := devIssuer(t)
	gw := startSessionGateway(t, SessionConfig{Verifier: v, DevIssuer: iss})
	tests := []struct{ body, wantField string }{
		{`{"role":"mayor"}`, "role"},
		{`{"role":"community_secretary"}`, "scope_org_id"},
		{`{"role":"member"}`, "member_id"},
		{`{"role":"unit_contact","scopeOrgId":"0190a0b0-0000-7000-8000-000000000001"}`, "unit_id"},
		{`{"role":"city_admin","permissions":["everything"]}`, "permissions"},
	}
	for _, tt := range tests {
		resp, body := send(t, browser(t), http.MethodPost, gw.URL+"/auth/dev/sign-in", tt.body, xhr)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"field":"`+tt.wantField+`"`) {
			t.Errorf("%s: HTTP %d %s, want 400 naming %s", tt.body, resp.StatusCode, body, tt.wantField)
		}
		if len(resp.Cookies()) > 0 {
			t.Errorf("%s: a cookie was set", tt.body)
		}
	}
}

func TestTheSignInPagePicksAScopeFromTheOrganisationsWithoutASession(t *testing.T) {
	t.Parallel()
	iss, v := devIssuer(t)
	gw := startSessionGateway(t, SessionConfig{Verifier: v, DevIssuer: iss})
	resp, body := send(t, browser(t), http.MethodGet, gw.URL+"/auth/dev/organisations?parentId=city-1&kind=ORGANISATION_KIND_DISTRICT", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "bearer ORGANISATION_KIND_DISTRICT under city-1") {
		t.Errorf("HTTP %d %s", resp.StatusCode, body)
	}
}

func TestWithoutTheDevelopmentIssuerThereIsNoDevelopmentSignIn(t *testing.T) {
	t.Parallel()
	_, v := devIssuer(t)
	gw := startSessionGateway(t, SessionConfig{Verifier: v})
	for _, p := range []string{"/auth/dev/sign-in", "/auth/dev/organisations", "/auth/dev/resident-units", "/auth/dev/members"} {
		method := http.MethodPost
		if p != "/auth/dev/sign-in" {
			method = http.MethodGet
		}
		if resp, _ := send(t, browser(t), method, gw.URL+p, `{"role":"city_admin"}`, xhr); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: HTTP %d, want 404", method, p, resp.StatusCode)
		}
	}
	if _, body := send(t, browser(t), http.MethodGet, gw.URL+"/auth/session", "", nil); !strings.Contains(string(body), `"dev":false`) {
		t.Errorf("session: %s, want no development sign-in offered", body)
	}
}

func TestAnExpiredOrForgedSessionIsNoSession(t *testing.T) {
	t.Parallel()
	iss, v := devIssuer(t)
	other, _ := devIssuer(t)
	gw := startSessionGateway(t, SessionConfig{Verifier: v, DevIssuer: iss})
	expired, _ := iss.Sign(jwt.MapClaims{"iss": devissuer.IssuerName, "aud": devissuer.Audience, "sub": "x", "role": "city_admin",
		"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()})
	forged, _ := other.Issue(devissuer.Claims{Subject: "x", Role: auth.CityAdmin})
	for name, tok := range map[string]string{"expired": expired, "signed by another key": forged} {
		resp, _ := send(t, &http.Client{}, http.MethodGet, gw.URL+"/auth/session", "", http.Header{"Cookie": {sessionCookie + "=" + tok}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: HTTP %d, want 401", name, resp.StatusCode)
		}
	}
}

func TestOverHTTPSTheSessionCookieIsSecureAndHostBound(t *testing.T) {
	t.Parallel()
	iss, v := devIssuer(t)
	gw := startSessionGateway(t, SessionConfig{Verifier: v, DevIssuer: iss})
	h := xhr.Clone()
	h.Set("X-Forwarded-Proto", "https")
	resp, body := send(t, &http.Client{}, http.MethodPost, gw.URL+"/auth/dev/sign-in", `{"role":"city_admin"}`, h)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d %s", resp.StatusCode, body)
	}
	c := resp.Cookies()
	if len(c) != 1 || c[0].Name != secureSessionCookie || !c[0].Secure || !c[0].HttpOnly || c[0].Path != "/" {
		t.Errorf("cookies = %+v, want one Secure __Host- cookie", c)
	}
}

// fakeProvider is an OpenID Connect provider in the test: discovery, an
// authorisation endpoint that grants at once, and a token endpoint that
// checks the PKCE verifier against the challenge.
type fakeProvider struct {
	srv        *httptest.Server
	iss        *devissuer.Issuer
	challenges map[string]string // code → challenge
}

func startProvider(t *testing.T, iss *devissuer.Issuer) *fakeProvider {
	t.Helper()
	p := &fakeProvider{iss: iss, challenges: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize",
			"token_endpoint": p.srv.URL + "/token", "end_session_endpoint": p.srv.URL + "/logout",
		})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("response_type") != "code" {
			http.Error(w, "PKCE S256 and the code flow are required", 400)
			return
		}
		code := "code-" + q.Get("state")[:6]
		p.challenges[code] = q.Get("code_challenge")
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if ch, ok := p.challenges[r.Form.Get("code")]; !ok || pkceChallenge(r.Form.Get("code_verifier")) != ch {
			writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
			return
		}
		tok, _ := p.iss.Issue(devissuer.Claims{Subject: "u-42", Name: "李强", Role: auth.StreetAdmin, ScopeOrgID: "0193b6a0-0000-7000-8000-000000000003"})
		writeJSON(w, 200, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func TestOpenIDConnectSignsInWithTheCodeFlowAndPKCE(t *testing.T) {
	t.Parallel()
	iss, v := devIssuer(t)
	idp := startProvider(t, iss)
	s, err := NewSessions(SessionConfig{Verifier: v}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	gw := startConsoleGateway(t, startWhoami(t), WithSessions(s))
	s.oidc, err = newOIDCClient(OIDCConfig{IssuerURL: idp.srv.URL, ClientID: "console", RedirectURL: gw.URL + "/auth/callback"})
	if err != nil {
		t.Fatal(err)
	}
	b := browser(t)
	_, body := send(t, b, http.MethodGet, gw.URL+"/auth/session", "", nil)
	if !strings.Contains(string(body), `"oidc":true`) {
		t.Fatalf("session: %s, want the provider offered", body)
	}
	resp, _ := send(t, b, http.MethodGet, gw.URL+"/auth/login?return=/members", "", nil)
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), idp.srv.URL+"/authorize?") {
		t.Fatalf("login: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = send(t, b, http.MethodGet, resp.Header.Get("Location"), "", nil)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("provider: HTTP %d %s", resp.StatusCode, body)
	}
	callback := resp.Header.Get("Location")
	resp, body = send(t, b, http.MethodGet, callback, "", nil)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/members" {
		t.Fatalf("callback: HTTP %d to %q: %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, body = send(t, b, http.MethodGet, gw.URL+"/auth/session", "", nil)
	var info sessionInfo
	_ = json.Unmarshal(body, &info)
	if resp.StatusCode != http.StatusOK || info.Subject != "u-42" || info.Role != "street_admin" || info.ScopeOrgID != "0193b6a0-0000-7000-8000-000000000003" {
		t.Errorf("session after the callback: HTTP %d %+v", resp.StatusCode, info)
	}

	// The callback replayed (its flow cookie is gone) starts nothing.
	if resp, _ := send(t, browser(t), http.MethodGet, callback, "", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a replayed callback: HTTP %d, want 400", resp.StatusCode)
	}
	_, body = send(t, b, http.MethodPost, gw.URL+"/auth/logout", "", xhr)
	if !strings.Contains(string(body), idp.srv.URL+"/logout") {
		t.Errorf("logout: %s, want the provider's end-session endpoint", body)
	}
}

func TestACallbackWithAnotherSignInsStateIsRefused(t *testing.T) {
	t.Parallel()
	iss, v := devIssuer(t)
	idp := startProvider(t, iss)
	s, _ := NewSessions(SessionConfig{Verifier: v}, slog.New(slog.DiscardHandler))
	gw := startConsoleGateway(t, startWhoami(t), WithSessions(s))
	s.oidc, _ = newOIDCClient(OIDCConfig{IssuerURL: idp.srv.URL, ClientID: "console", RedirectURL: gw.URL + "/auth/callback"})
	victim, attacker := browser(t), browser(t)
	resp, _ := send(t, attacker, http.MethodGet, gw.URL+"/auth/login", "", nil)
	resp, _ = send(t, attacker, http.MethodGet, resp.Header.Get("Location"), "", nil)
	send(t, victim, http.MethodGet, gw.URL+"/auth/login", "", nil) // the victim's own flow cookie
	resp, _ = send(t, victim, http.MethodGet, resp.Header.Get("Location"), "", nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("the attacker's callback in the victim's browser: HTTP %d, want 400", resp.StatusCode)
	}
	if localPath("//evil.example/x") != "/" || localPath("https://evil.example") != "/" || localPath("/members?a=1") != "/members?a=1" {
		t.Errorf("localPath lets a foreign return through")
	}
}
