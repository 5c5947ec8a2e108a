package auth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/errs"
)

func TestNewVerifierRefusesIncompleteConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	notJSON := write("not-json", "hello")
	empty := write("empty.json", `{"keys":[]}`)
	iss, err := devissuer.Load(filepath.Join(dir, "issuer"))
	if err != nil {
		t.Fatal(err)
	}
	base := auth.Config{Issuer: devissuer.IssuerName, Audience: devissuer.Audience}
	with := func(change func(*auth.Config)) auth.Config { c := base; change(&c); return c }
	tests := []struct {
		name    string
		cfg     auth.Config
		wantErr string // "" for a config that works
	}{
		{"a keys file works", with(func(c *auth.Config) { c.KeysFile = iss.KeysFile() }), ""},
		{"neither keys file nor URL", base, "set AUTH_KEYS_FILE or AUTH_JWKS_URL"},
		{"both keys file and URL", with(func(c *auth.Config) { c.KeysFile, c.JWKSURL = iss.KeysFile(), "https://idp.example/jwks" }), "not both"},
		{"a missing keys file", with(func(c *auth.Config) { c.KeysFile = filepath.Join(dir, "absent.json") }), "reading the keys file"},
		{"a keys file that is not a JWK set", with(func(c *auth.Config) { c.KeysFile = notJSON }), "is not a JWK set"},
		{"a keys file without keys", with(func(c *auth.Config) { c.KeysFile = empty }), "holds no usable key"},
		{"a URL that is not http(s)", with(func(c *auth.Config) { c.JWKSURL = "ftp://idp.example/jwks" }), "not an http(s) URL"},
		{"a URL without host", with(func(c *auth.Config) { c.JWKSURL = "https:///jwks" }), "not an http(s) URL"},
		{"no issuer", with(func(c *auth.Config) { c.KeysFile, c.Issuer = iss.KeysFile(), "" }), "issuer and audience are required"},
		{"no audience", with(func(c *auth.Config) { c.KeysFile, c.Audience = iss.KeysFile(), "" }), "issuer and audience are required"},
		{"a negative leeway", with(func(c *auth.Config) { c.KeysFile, c.Leeway = iss.KeysFile(), -time.Second }), "leeway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := auth.NewVerifier(t.Context(), tt.cfg)
			if tt.wantErr == "" {
				if err != nil || v == nil {
					t.Fatalf("NewVerifier = %v, %v; want a verifier", v, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewVerifier error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestVerifyAcceptsOnlyTheAllowedAlgorithmsAndKeys runs against a JWK set
// as a provider might publish it: several key types, one meant for
// encryption.
func TestVerifyAcceptsOnlyTheAllowedAlgorithmsAndKeys(t *testing.T) {
	t.Parallel()
	rsa2048 := must(rsa.GenerateKey(rand.Reader, 2048))
	rsa1024 := must(rsa.GenerateKey(rand.Reader, 1024))
	_, ed := must2(ed25519.GenerateKey(rand.Reader))
	p384 := must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	enc := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	sig := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))

	store := jwkset.NewMemoryStorage()
	for kid, k := range map[string]struct {
		pub crypto.PublicKey
		use jwkset.USE
	}{
		"rsa2048": {rsa2048.Public(), jwkset.UseSig}, "rsa1024": {rsa1024.Public(), jwkset.UseSig},
		"ed": {ed.Public(), ""}, "p384": {p384.Public(), jwkset.UseSig},
		"enc": {enc.Public(), jwkset.UseEnc}, "sig": {sig.Public(), jwkset.UseSig},
	} {
		jwk, err := jwkset.NewJWKFromKey(k.pub, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid, USE: k.use}})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.KeyWrite(t.Context(), jwk); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := store.JSONPublic(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	keysFile := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(keysFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(t.Context(), auth.Config{Issuer: devissuer.IssuerName, Audience: devissuer.Audience, KeysFile: keysFile})
	if err != nil {
		t.Fatal(err)
	}
	signedClaims := func(c jwt.MapClaims, method jwt.SigningMethod, kid string, key crypto.PrivateKey) string {
		tok := jwt.NewWithClaims(method, c)
		if kid != "" {
			tok.Header["kid"] = kid
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	signed := func(method jwt.SigningMethod, kid string, key crypto.PrivateKey) string {
		return signedClaims(validClaims(), method, kid, key)
	}
	expired := validClaims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })
	oversized := validClaims(func(c jwt.MapClaims) { c["name"] = strings.Repeat("a", 17<<10) })
	tests := []struct {
		name    string
		token   string
		wantErr *errs.Error // nil: accepted
	}{
		{"ES256 is accepted", signed(jwt.SigningMethodES256, "sig", sig), nil},
		{"RS256 with a 2048-bit key is accepted", signed(jwt.SigningMethodRS256, "rsa2048", rsa2048), nil},
		{"EdDSA is accepted", signed(jwt.SigningMethodEdDSA, "ed", ed), nil},
		{"RS256 with a 1024-bit key is refused", signed(jwt.SigningMethodRS256, "rsa1024", rsa1024), auth.ErrInvalidToken},
		{"ES384 is not among the allowed algorithms", signed(jwt.SigningMethodES384, "p384", p384), auth.ErrInvalidToken},
		{"PS256 is not among the allowed algorithms", signed(jwt.SigningMethodPS256, "rsa2048", rsa2048), auth.ErrInvalidToken},
		{"a key published for encryption is refused", signed(jwt.SigningMethodES256, "enc", enc), auth.ErrInvalidToken},
		{"a token without kid is refused", signed(jwt.SigningMethodES256, "", sig), auth.ErrInvalidToken},
		{"a kid naming another key is refused", signed(jwt.SigningMethodES256, "rsa2048", sig), auth.ErrInvalidToken},
		{"an expired token says so", signedClaims(expired, jwt.SigningMethodES256, "sig", sig), auth.ErrTokenExpired},
		{"an empty token is no token", "", auth.ErrNoToken},
		{"an oversized token is refused, even if signed", signedClaims(oversized, jwt.SigningMethodES256, "sig", sig), auth.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := v.Verify(tt.token)
			if tt.wantErr == nil {
				if err != nil || p.Role != auth.GridLeader || p.Subject != "u-1" {
					t.Fatalf("Verify = %+v, %v; want the grid leader u-1", p, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
			}
			if e, ok := errs.As(err); !ok || e.Kind != errs.Unauthenticated {
				t.Fatalf("Verify error %v is not of kind Unauthenticated", err)
			}
			if p != nil {
				t.Fatalf("a refused token gave the principal %+v", p)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}
