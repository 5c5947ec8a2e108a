package authtest

import (
	"testing"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
)

func TestTokensOfTheSharedIssuerVerify(t *testing.T) {
	t.Parallel()
	if Issuer(t) != Issuer(t) {
		t.Fatal("the issuer is not shared")
	}
	if Token(t, devissuer.Claims{}) != "" {
		t.Fatal("nobody got a token")
	}
	p, err := Verifier(t).Verify(Token(t, devissuer.Claims{Subject: "s", Role: auth.Inspector}))
	if err != nil || p.Role != auth.Inspector || p.Subject != "s" {
		t.Fatalf("verified %+v, %v", p, err)
	}
}
