package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
)

// OIDCConfig names the city's identity provider and this gateway's client
// registration there.
type OIDCConfig struct {
	// IssuerURL is the provider's issuer; its discovery document is at
	// IssuerURL/.well-known/openid-configuration.
	IssuerURL string
	// ClientID and ClientSecret are the console's registration; a public
	// client (PKCE only) has no secret.
	ClientID, ClientSecret string
	// RedirectURL is this gateway's /auth/callback as the browser reaches
	// it, registered at the provider.
	RedirectURL string
	// Scopes are asked for besides openid.
	Scopes []string
	// HTTPClient talks to the provider (http.DefaultClient when nil).
	HTTPClient *http.Client
}

// oidcClient runs the authorisation code flow with PKCE (RFC 7636, S256).
// The code is exchanged here, on the server, and the access token goes
// only into the session cookie.
type oidcClient struct {
	cfg OIDCConfig

	mu        sync.Mutex
	discovery *oidcDiscovery // nil until fetched
}

// oidcDiscovery is the part of the provider's discovery document we use.
type oidcDiscovery struct {
	Issuer             string `json:"issuer"`
	AuthorizationURL   string `json:"authorization_endpoint"`
	TokenURL           string `json:"token_endpoint"`
	EndSessionEndpoint string `json:"end_session_endpoint"`
}

// oidcFlowCookie carries state, the PKCE verifier and where to return
// between the redirect to the provider and the callback. It is Lax, not
// Strict: the callback is a navigation from the provider's site.
const oidcFlowCookie = "gongjian_oidc_flow"

func newOIDCClient(cfg OIDCConfig) (*oidcClient, error) {
	if cfg.IssuerURL == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("oidc: the issuer URL, client id and redirect URL are all required")
	}
	if _, err := url.Parse(cfg.RedirectURL); err != nil {
		return nil, fmt.Errorf("oidc: redirect URL: %w", err)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &oidcClient{cfg: cfg}, nil
}

// discover fetches the discovery document once; a provider that was down
// is asked again on the next sign-in.
func (c *oidcClient) discover(ctx context.Context) (*oidcDiscovery, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.discovery != nil {
		return c.discovery, nil
	}
	u := strings.TrimSuffix(c.cfg.IssuerURL, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oidc discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("oidc discovery: HTTP %d", resp.StatusCode)
	}
	var d oidcDiscovery
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return nil, fmt.Errorf("oidc discovery: %w", err)
	}
	if d.AuthorizationURL == "" || d.TokenURL == "" {
		return nil, errors.New("oidc discovery: no authorization or token endpoint")
	}
	c.discovery = &d
	return &d, nil
}

// login redirects the browser to the provider.
func (c *oidcClient) login(w http.ResponseWriter, r *http.Request) {
	d, err := c.discover(r.Context())
	if err != nil {
		http.Error(w, "the identity provider cannot be reached; try again shortly", http.StatusServiceUnavailable)
		return
	}
	state, verifier := rand.Text(), rand.Text()+rand.Text()
	back := localPath(r.URL.Query().Get("return"))
	http.SetCookie(w, &http.Cookie{
		Name: oidcFlowCookie, Value: state + "." + verifier + "." + base64.RawURLEncoding.EncodeToString([]byte(back)),
		Path: "/auth/", HttpOnly: true, Secure: isHTTPS(r), SameSite: http.SameSiteLaxMode, MaxAge: 600,
	})
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.cfg.ClientID},
		"redirect_uri":          {c.cfg.RedirectURL},
		"scope":                 {strings.Join(append([]string{"openid"}, c.cfg.Scopes...), " ")},
		"state":                 {state},
		"code_challenge":        {pkceChallenge(verifier)},
		"code_challenge_method": {"S256"},
	}
	target := d.AuthorizationURL
	if strings.Contains(target, "?") {
		target += "&" + q.Encode()
	} else {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// pkceChallenge is the S256 code challenge of verifier.
func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// localPath keeps a return path only if it stays on this origin.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	return p
}

// oidcCallback takes the provider's answer, exchanges the code with the
// PKCE verifier, checks the access token as the services will, and starts
// the session.
func (s *Sessions) oidcCallback(w http.ResponseWriter, r *http.Request) {
	c := s.oidc
	flow, err := r.Cookie(oidcFlowCookie)
	http.SetCookie(w, &http.Cookie{Name: oidcFlowCookie, Path: "/auth/", HttpOnly: true, Secure: isHTTPS(r), SameSite: http.SameSiteLaxMode, MaxAge: -1})
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, codes.InvalidArgument, "the sign-in took too long or was started elsewhere; sign in again")
		return
	}
	parts := strings.Split(flow.Value, ".")
	q := r.URL.Query()
	if len(parts) != 3 || q.Get("state") == "" || q.Get("state") != parts[0] {
		s.fail(w, r, http.StatusBadRequest, codes.InvalidArgument, "the sign-in's state does not match; sign in again")
		return
	}
	if e := q.Get("error"); e != "" {
		s.fail(w, r, http.StatusUnauthorized, codes.Unauthenticated, "the identity provider refused the sign-in: "+e)
		return
	}
	token, err := c.exchange(r.Context(), q.Get("code"), parts[1])
	if err != nil {
		s.log.WarnContext(r.Context(), "oidc code exchange", "error", err.Error())
		s.fail(w, r, http.StatusUnauthorized, codes.Unauthenticated, "the identity provider did not complete the sign-in")
		return
	}
	if len(token) > maxCookieToken {
		s.fail(w, r, http.StatusUnauthorized, codes.Unauthenticated, "the identity provider's token is too large for a session cookie")
		return
	}
	if s.cfg.Verifier == nil {
		s.fail(w, r, http.StatusInternalServerError, codes.Internal, "the gateway has no keys to check tokens with")
		return
	}
	_, exp, err := s.verify(r, token)
	if err != nil {
		s.log.WarnContext(r.Context(), "oidc token refused", "error", err.Error())
		s.fail(w, r, http.StatusUnauthorized, codes.Unauthenticated, "the identity provider's token is not accepted here")
		return
	}
	setSession(w, r, token, exp)
	back, _ := base64.RawURLEncoding.DecodeString(parts[2])
	http.Redirect(w, r, localPath(string(back)), http.StatusFound)
}

// exchange trades the authorisation code for the access token.
func (c *oidcClient) exchange(ctx context.Context, code, verifier string) (string, error) {
	if code == "" {
		return "", errors.New("no code")
	}
	d, err := c.discover(ctx)
	if err != nil {
		return "", err
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {c.cfg.RedirectURL},
		"client_id":     {c.cfg.ClientID},
		"code_verifier": {verifier},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.cfg.ClientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret))
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return "", fmt.Errorf("token response: HTTP %d: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		return "", fmt.Errorf("token response: HTTP %d %s", resp.StatusCode, body.Error)
	}
	return body.AccessToken, nil
}

// endSessionURL is the provider's end-session endpoint, "" if it has none.
func (c *oidcClient) endSessionURL(ctx context.Context) string {
	d, err := c.discover(ctx)
	if err != nil || d.EndSessionEndpoint == "" {
		return ""
	}
	return d.EndSessionEndpoint + "?" + url.Values{"client_id": {c.cfg.ClientID}}.Encode()
}
