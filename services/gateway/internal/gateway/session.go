package gateway

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
)

// Browser sessions. A browser never holds the bearer token where a script
// could read it: the gateway keeps it in an HttpOnly, SameSite=Strict
// cookie (Secure over HTTPS) and turns the cookie into the Authorization
// header of each API call. A write authenticated by the cookie must carry
// the header X-Requested-With, which a page of another origin cannot add
// without a CORS preflight the gateway never grants; together with
// SameSite=Strict this refuses cross-site request forgery.
const (
	sessionCookie       = "gongjian_session"
	secureSessionCookie = "__Host-gongjian_session"
	csrfHeader          = "X-Requested-With"
	// maxCookieToken keeps the cookie under the 4 KiB browsers accept.
	maxCookieToken = 3800
)

// SessionConfig configures browser sessions.
type SessionConfig struct {
	// Verifier checks the token a session holds before the gateway
	// describes it to the console (the services verify it on every call
	// regardless).
	Verifier *auth.Verifier
	// DevIssuer, when set, enables the development sign-in: the console
	// offers any role and scope, and the gateway signs the token with the
	// development issuer. Only the local launcher sets it.
	DevIssuer *devissuer.Issuer
	// DevTTL is how long a development session lasts.
	DevTTL time.Duration
	// OIDC, when set, signs people in at the city's identity provider
	// (authorisation code with PKCE).
	OIDC *OIDCConfig
}

// Sessions serves /auth/… and authenticates API calls by the session
// cookie.
type Sessions struct {
	cfg  SessionConfig
	oidc *oidcClient
	api  http.Handler // the gateway's router, for in-process calls
	log  *slog.Logger
}

// NewSessions returns the browser sessions cfg describes.
func NewSessions(cfg SessionConfig, log *slog.Logger) (*Sessions, error) {
	s := &Sessions{cfg: cfg, log: log}
	if cfg.DevTTL <= 0 {
		s.cfg.DevTTL = 8 * time.Hour
	}
	if cfg.OIDC != nil {
		c, err := newOIDCClient(*cfg.OIDC)
		if err != nil {
			return nil, err
		}
		s.oidc = c
	}
	return s, nil
}

// wrap serves /auth/… itself and hands every other request to next, with
// the session cookie turned into the Authorization header.
func (s *Sessions) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/auth/") {
			s.serveAuth(w, r)
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		token := cookieToken(r)
		if token != "" && r.Header.Get("Authorization") == "" {
			if !safeMethod(r.Method) && r.Header.Get(csrfHeader) == "" {
				s.fail(w, r, http.StatusForbidden, codes.PermissionDenied,
					"a write authenticated by the session cookie needs the header "+csrfHeader)
				return
			}
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer "+token)
		}
		// The services need the token once, in the Authorization header;
		// the cookie would otherwise travel on as grpcgateway-cookie.
		r.Header.Del("Cookie")
		next.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// cookieToken is the token of the request's session cookie, "" if none.
func cookieToken(r *http.Request) string {
	for _, name := range []string{secureSessionCookie, sessionCookie} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

// isHTTPS reports whether the browser reached us over HTTPS, directly or
// through the ingress that terminates TLS in front of the gateway.
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// setSession sets the session cookie to token until expires.
func setSession(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	secure := isHTTPS(r)
	name := sessionCookie
	if secure {
		name = secureSessionCookie // bound to this host, path / and HTTPS
	}
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: token, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteStrictMode, Expires: expires, MaxAge: int(time.Until(expires).Seconds()),
	})
}

// clearSession removes both forms of the session cookie.
func clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	if isHTTPS(r) {
		http.SetCookie(w, &http.Cookie{Name: secureSessionCookie, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	}
}

// sessionInfo is what the console learns about its session: who is
// signed in, until when, and how one signs in here.
type sessionInfo struct {
	Subject     string    `json:"subject,omitempty"`
	Name        string    `json:"name,omitempty"`
	Role        string    `json:"role,omitempty"`
	ScopeOrgID  string    `json:"scopeOrgId,omitempty"`
	MemberID    string    `json:"memberId,omitempty"`
	UnitID      string    `json:"unitId,omitempty"`
	Permissions []string  `json:"permissions,omitempty"`
	ExpireTime  time.Time `json:"expireTime,omitzero"`
	SignIn      signIn    `json:"signIn"`
}

// signIn names the ways to sign in that this gateway offers.
type signIn struct {
	Dev  bool `json:"dev"`
	OIDC bool `json:"oidc"`
}

func (s *Sessions) signIn() signIn {
	return signIn{Dev: s.cfg.DevIssuer != nil, OIDC: s.oidc != nil}
}

// serveAuth routes /auth/….
func (s *Sessions) serveAuth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	route := r.Method + " " + r.URL.Path
	setRoute(r, r.URL.Path)
	switch {
	case route == "GET /auth/session":
		s.session(w, r)
	case route == "POST /auth/logout":
		s.logout(w, r)
	case route == "POST /auth/dev/sign-in" && s.cfg.DevIssuer != nil:
		s.devSignIn(w, r)
	case route == "GET /auth/dev/organisations" && s.cfg.DevIssuer != nil:
		s.devOrganisations(w, r)
	case route == "GET /auth/dev/resident-units" && s.cfg.DevIssuer != nil:
		s.devResidentUnits(w, r)
	case route == "GET /auth/dev/members" && s.cfg.DevIssuer != nil:
		s.devMembers(w, r)
	case route == "GET /auth/login" && s.oidc != nil:
		s.oidc.login(w, r)
	case route == "GET /auth/callback" && s.oidc != nil:
		s.oidcCallback(w, r)
	default:
		s.fail(w, r, http.StatusNotFound, codes.NotFound, http.StatusText(http.StatusNotFound))
	}
}

// session describes the signed-in caller, or answers 401 with the ways
// to sign in.
func (s *Sessions) session(w http.ResponseWriter, r *http.Request) {
	s.describe(w, r, cookieToken(r))
}

// describe answers with the caller token stands for.
func (s *Sessions) describe(w http.ResponseWriter, r *http.Request, token string) {
	info := sessionInfo{SignIn: s.signIn()}
	if token == "" || s.cfg.Verifier == nil {
		writeJSON(w, http.StatusUnauthorized, info)
		return
	}
	p, exp, err := s.verify(r, token)
	if err != nil {
		clearSession(w, r)
		writeJSON(w, http.StatusUnauthorized, info)
		return
	}
	info.Subject, info.Name, info.Role = p.Subject, p.Name, string(p.Role)
	info.ScopeOrgID, info.MemberID, info.UnitID, info.Permissions = p.ScopeOrgID, p.MemberID, p.UnitID, p.Permissions
	info.ExpireTime = exp
	writeJSON(w, http.StatusOK, info)
}

// verify checks token and returns its caller and expiry.
func (s *Sessions) verify(r *http.Request, token string) (*auth.Principal, time.Time, error) {
	p, err := s.cfg.Verifier.VerifyContext(r.Context(), token)
	if err != nil {
		return nil, time.Time{}, err
	}
	exp, err := tokenExpiry(token)
	return p, exp, err
}

// logout ends the session. With an identity provider that publishes an
// end-session endpoint, the answer names it so the console can end the
// provider's session too.
func (s *Sessions) logout(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(csrfHeader) == "" {
		s.fail(w, r, http.StatusForbidden, codes.PermissionDenied, "signing out needs the header "+csrfHeader)
		return
	}
	clearSession(w, r)
	body := map[string]string{}
	if s.oidc != nil {
		if u := s.oidc.endSessionURL(r.Context()); u != "" {
			body["redirect"] = u
		}
	}
	writeJSON(w, http.StatusOK, body)
}

// fail answers in the API's error shape.
func (s *Sessions) fail(w http.ResponseWriter, r *http.Request, httpStatus int, code codes.Code, msg string) {
	writeError(r.Context(), s.log, w, newJSONMarshaler(), httpStatus, status.New(code, msg))
}

func writeJSON(w http.ResponseWriter, httpStatus int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(httpStatus)
	_ = json.NewEncoder(w).Encode(v)
}
