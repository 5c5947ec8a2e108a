package auth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
)

// provider publishes a JWK set the way an OpenID Connect provider does, and
// counts how often it is fetched.
type provider struct {
	jwks    atomic.Pointer[[]byte]
	fetches atomic.Int32
}

func (p *provider) publish(jwks []byte) { p.jwks.Store(&jwks) }

func (p *provider) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	p.fetches.Add(1)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(*p.jwks.Load())
}

func TestJWKSURLFollowsKeyRotation(t *testing.T) {
	t.Parallel()
	oldKey, err := devissuer.NewInMemory()
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := devissuer.NewInMemory()
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{}
	p.publish(oldKey.JWKS())
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)

	v, err := auth.NewVerifier(t.Context(), auth.Config{
		Issuer: devissuer.IssuerName, Audience: devissuer.Audience, JWKSURL: srv.URL + "/.well-known/jwks.json",
	})
	if err != nil {
		t.Fatal(err)
	}
	claims := devissuer.Claims{Subject: "svc-org", Role: auth.Service, Scopes: []string{"organisation.read"}}
	signedByOld, signedByNew := issue(t, oldKey, claims), issue(t, newKey, claims)

	// The steps depend on each other: each is one state of the provider.
	steps := []struct {
		name        string
		publish     []byte // published before the step; nil keeps the set
		token       string
		accepted    bool
		wantFetches int32
	}{
		{name: "a token signed by the published key is accepted", token: signedByOld, accepted: true, wantFetches: 1},
		{name: "a token signed by a key published since is accepted after a refresh",
			publish: newKey.JWKS(), token: signedByNew, accepted: true, wantFetches: 2},
		{name: "a token signed by the key withdrawn by that refresh is refused", token: signedByOld, accepted: false, wantFetches: 2},
		{name: "the new key keeps working without further fetches", token: signedByNew, accepted: true, wantFetches: 2},
	}
	for _, s := range steps {
		if s.publish != nil {
			p.publish(s.publish)
		}
		got, err := v.VerifyContext(t.Context(), s.token)
		if s.accepted && (err != nil || got.Subject != "svc-org" || !got.HasScope("organisation.read")) {
			t.Fatalf("%s: Verify = %+v, %v", s.name, got, err)
		}
		if !s.accepted && !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("%s: Verify error = %v, want ErrInvalidToken", s.name, err)
		}
		if n := p.fetches.Load(); n != s.wantFetches {
			t.Fatalf("%s: the key set was fetched %d times, want %d", s.name, n, s.wantFetches)
		}
	}
}

func TestJWKSURLUnreachableAtStartIsFetchedLater(t *testing.T) {
	t.Parallel()
	iss, err := devissuer.NewInMemory()
	if err != nil {
		t.Fatal(err)
	}
	var up atomic.Bool
	p := &provider{}
	p.publish(iss.JWKS())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		p.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	v, err := auth.NewVerifier(t.Context(), auth.Config{Issuer: devissuer.IssuerName, Audience: devissuer.Audience, JWKSURL: srv.URL})
	if err != nil {
		t.Fatalf("a provider down at start stopped the verifier: %v", err)
	}
	up.Store(true)
	tok := issue(t, iss, devissuer.Claims{Subject: "u-3", Role: auth.CityAdmin})
	if p, err := v.VerifyContext(t.Context(), tok); err != nil || p.Role != auth.CityAdmin {
		t.Fatalf("Verify once the provider is up = %+v, %v", p, err)
	}
}
