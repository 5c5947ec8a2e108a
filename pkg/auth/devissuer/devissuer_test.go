package devissuer_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
)

func verifier(t *testing.T, keysFile string) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(t.Context(), auth.Config{Issuer: devissuer.IssuerName, Audience: devissuer.Audience, KeysFile: keysFile})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLoadCreatesTheKeyOnceAndReusesIt(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "dev-issuer")
	first, err := devissuer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	keyInfo, err := os.Stat(filepath.Join(dir, devissuer.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := keyInfo.Mode().Perm(); perm != 0o600 {
		t.Fatalf("the private key file has mode %v, want 0600", perm)
	}
	if first.KeysFile() != filepath.Join(dir, devissuer.JWKSFileName) {
		t.Fatalf("KeysFile = %q", first.KeysFile())
	}
	var set struct {
		Keys []struct{ Kty, Crv, Kid, Alg, Use, D string }
	}
	raw, err := os.ReadFile(first.KeysFile())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || set.Keys[0].Kid != first.KeyID() || set.Keys[0].Kid == "" || set.Keys[0].Alg != "ES256" ||
		set.Keys[0].Kty != "EC" || set.Keys[0].Crv != "P-256" || set.Keys[0].D != "" {
		t.Fatalf("jwks.json = %s; want one public P-256 key with kid %q", raw, first.KeyID())
	}

	tok, err := first.Issue(devissuer.Claims{Subject: "u-1", Role: auth.CityAdmin})
	if err != nil {
		t.Fatal(err)
	}
	second, err := devissuer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if second.KeyID() != first.KeyID() {
		t.Fatalf("the second Load made a new key: kid %q, was %q", second.KeyID(), first.KeyID())
	}
	if _, err := verifier(t, second.KeysFile()).Verify(tok); err != nil {
		t.Fatalf("a token issued before a restart is refused after it: %v", err)
	}
}

func TestLoadRefusesACorruptKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, devissuer.KeyFileName), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := devissuer.Load(dir); err == nil || !strings.Contains(err.Error(), "not a PEM private key") {
		t.Fatalf("Load = %v, want an error about the key file", err)
	}
}

func TestIssuedTokensVerify(t *testing.T) {
	t.Parallel()
	iss, err := devissuer.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	v := verifier(t, iss.KeysFile())
	tests := []struct {
		name    string
		claims  devissuer.Claims
		want    *auth.Principal
		wantTTL time.Duration
	}{
		{name: "every claim reaches the principal",
			claims: devissuer.Claims{Subject: "u-1", Name: "Zhang Min", Role: auth.StreetAdmin, ScopeOrgID: "7e0c3a52-5d7e-4c1e-9a40-2f1b6c0d0003",
				Permissions: []string{auth.PermUnmaskedID}, Scopes: []string{"a.read", "b.write"}, TTL: 5 * time.Minute},
			want: &auth.Principal{Subject: "u-1", Name: "Zhang Min", Role: auth.StreetAdmin, ScopeOrgID: "7e0c3a52-5d7e-4c1e-9a40-2f1b6c0d0003",
				Permissions: []string{auth.PermUnmaskedID}, Scopes: []string{"a.read", "b.write"}},
			wantTTL: 5 * time.Minute},
		{name: "a unit's contact with its unit",
			claims:  devissuer.Claims{Subject: "u-3", Role: auth.UnitContact, ScopeOrgID: "7e0c3a52-5d7e-4c1e-9a40-2f1b6c0d0004", UnitID: "0190a0b0-0000-7000-8000-0000000000aa"},
			want:    &auth.Principal{Subject: "u-3", Role: auth.UnitContact, ScopeOrgID: "7e0c3a52-5d7e-4c1e-9a40-2f1b6c0d0004", UnitID: "0190a0b0-0000-7000-8000-0000000000aa"},
			wantTTL: devissuer.DefaultTTL},
		{name: "a member with its record and the default lifetime",
			claims:  devissuer.Claims{Subject: "u-2", Role: auth.Member, MemberID: "5a1d0f2e-8c3b-4e6a-b7d9-0c4e2f1a0001"},
			want:    &auth.Principal{Subject: "u-2", Role: auth.Member, MemberID: "5a1d0f2e-8c3b-4e6a-b7d9-0c4e2f1a0001"},
			wantTTL: devissuer.DefaultTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, err := iss.Issue(tt.claims)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(tok)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(auth.Principal{}, "TokenID")); diff != "" {
				t.Fatalf("principal (-want +got):\n%s", diff)
			}
			if got.TokenID == "" {
				t.Fatal("the token has no jti")
			}
			var rc jwt.RegisteredClaims
			if _, _, err := jwt.NewParser().ParseUnverified(tok, &rc); err != nil {
				t.Fatal(err)
			}
			if ttl := rc.ExpiresAt.Sub(rc.IssuedAt.Time); ttl != tt.wantTTL {
				t.Fatalf("lifetime %v, want %v", ttl, tt.wantTTL)
			}
			if rc.Issuer != devissuer.IssuerName || !cmp.Equal([]string(rc.Audience), []string{devissuer.Audience}) {
				t.Fatalf("iss %q aud %v", rc.Issuer, rc.Audience)
			}
		})
	}
}

func TestIssueRefusesIncompleteClaims(t *testing.T) {
	t.Parallel()
	iss, err := devissuer.NewInMemory()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		claims  devissuer.Claims
		wantErr string
	}{
		{"an unknown role", devissuer.Claims{Subject: "u-1", Role: "mayor"}, "unknown role"},
		{"no role", devissuer.Claims{Subject: "u-1"}, "unknown role"},
		{"no subject", devissuer.Claims{Role: auth.CityAdmin}, "subject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tok, err := iss.Issue(tt.claims); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Issue = %q, %v; want an error about %s", tok, err, tt.wantErr)
			}
		})
	}
}

func TestInMemoryIssuersHaveTheirOwnKeys(t *testing.T) {
	t.Parallel()
	a, errA := devissuer.NewInMemory()
	b, errB := devissuer.NewInMemory()
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if a.KeysFile() != "" {
		t.Fatalf("an in-memory issuer has the keys file %q", a.KeysFile())
	}
	if a.KeyID() == b.KeyID() {
		t.Fatal("two in-memory issuers share a key")
	}
	keysFile := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(keysFile, a.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	v := verifier(t, keysFile)
	for _, tt := range []struct {
		name   string
		issuer *devissuer.Issuer
		ok     bool
	}{{"its own token verifies", a, true}, {"the other's token does not", b, false}} {
		tok, err := tt.issuer.Issue(devissuer.Claims{Subject: "u-1", Role: auth.Inspector})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(tok); (err == nil) != tt.ok {
			t.Fatalf("%s: Verify error %v", tt.name, err)
		}
	}
}
