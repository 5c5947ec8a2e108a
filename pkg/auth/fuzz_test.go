package auth_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/textcheck"
)

// FuzzVerify puts two things in front of the verifier: any string as a
// token, and any JSON object as the claims of a token correctly signed by
// the issuer (issuer, audience and times made valid, so that the claims
// themselves are what is tried). Either way the answer is a Principal the
// services can use (ids where ids go, text that is text) or
// Unauthenticated; never a panic, never another kind of error.
func FuzzVerify(f *testing.F) {
	dir, err := os.MkdirTemp("", "fuzz-verify-")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = os.RemoveAll(dir) })
	iss, err := devissuer.Load(filepath.Join(dir, "issuer"))
	if err != nil {
		f.Fatal(err)
	}
	v, err := auth.NewVerifier(f.Context(), auth.Config{Issuer: devissuer.IssuerName, Audience: devissuer.Audience,
		KeysFile: iss.KeysFile(), Leeway: 30 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	valid, _ := iss.Issue(devissuer.Claims{Subject: "u-1", Role: auth.CityAdmin})
	for _, seed := range []struct{ token, claims string }{
		{valid, `{"sub":"u-1","role":"city_admin"}`},
		{"", `{"sub":"u-2","role":"district_admin","scope_org":"7e0c3a52-5d7e-4c1e-9a40-2f1b6c0d0007"}`},
		{"a.b.c", `{"sub":"u-3","role":"district_admin","scope_org":"../../"}`},
		{"eyJhbGciOiJub25lIn0.e30.", `{"sub":"u-4","role":"member","member_id":"5a1d0f2e-8c3b-4e6a-b7d9-0c4e2f1a0009"}`},
		{"....", `{"sub":"u-5","role":"system","scope":"member.read member.write","perms":["personal_data.unmasked"]}`},
		{"x", `{"sub":"u\u00006","name":"\u001b[2J","role":"grid_leader","scope_org":7}`},
	} {
		f.Add(seed.token, []byte(seed.claims))
	}
	f.Fuzz(func(t *testing.T, token string, claims []byte) {
		check(t, v, token)
		var c jwt.MapClaims
		if json.Unmarshal(claims, &c) != nil || c == nil {
			return
		}
		now := time.Now()
		c["iss"], c["aud"], c["iat"], c["exp"] = devissuer.IssuerName, devissuer.Audience, now.Unix(), now.Add(time.Hour).Unix()
		delete(c, "nbf")
		signed, err := iss.Sign(c)
		if err != nil {
			t.Fatal(err)
		}
		check(t, v, signed)
	})
}

func check(t *testing.T, v *auth.Verifier, token string) {
	t.Helper()
	p, err := v.Verify(token)
	if err != nil {
		if e, ok := errs.As(err); !ok || e.Kind != errs.Unauthenticated {
			t.Fatalf("Verify answered %v, not Unauthenticated", err)
		}
		return
	}
	if !p.Role.Valid() || p.Subject == "" || (p.Role.Scoped() && p.ScopeOrgID == "") {
		t.Fatalf("principal %+v accepted", p)
	}
	for _, id := range []string{p.ScopeOrgID, p.MemberID} {
		if u, err := uuid.Parse(id); id != "" && (err != nil || u.String() != id) {
			t.Fatalf("principal %+v carries %q where an id goes", p, id)
		}
	}
	for _, s := range append(append([]string{p.Subject, p.Name, p.TokenID}, p.Permissions...), p.Scopes...) {
		if !textcheck.Clean(s) {
			t.Fatalf("principal %+v carries %q", p, s)
		}
	}
}
