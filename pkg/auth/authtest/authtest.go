// Package authtest gives a test process one development issuer, with its
// public keys in a file as the services read them, a verifier trusting it,
// and tokens from it.
package authtest

import (
	"os"
	"sync"
	"testing"
	"time"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
)

var (
	once   sync.Once
	shared *devissuer.Issuer
	err    error
)

// Issuer is the test process's development issuer.
func Issuer(t testing.TB) *devissuer.Issuer {
	t.Helper()
	once.Do(func() {
		var dir string
		if dir, err = os.MkdirTemp("", "issuer-"); err == nil {
			shared, err = devissuer.Load(dir)
		}
	})
	if err != nil {
		t.Fatalf("issuer: %v", err)
	}
	return shared
}

// Verifier accepts the issuer's tokens, as a service configured with its
// keys file does.
func Verifier(t testing.TB) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(t.Context(), auth.Config{
		Issuer: devissuer.IssuerName, Audience: devissuer.Audience, KeysFile: Issuer(t).KeysFile(), Leeway: time.Minute})
	if err != nil {
		t.Fatalf("verifier: %v", err)
	}
	return v
}

// Token is a token for the caller c; "" when c names no role (nobody).
func Token(t testing.TB, c devissuer.Claims) string {
	t.Helper()
	if c.Role == "" {
		return ""
	}
	token, err := Issuer(t).Issue(c)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return token
}
