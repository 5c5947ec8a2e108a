package auth_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
)

// TestTokenFileSendsTheTokenAndFollowsItsRenewal: the call carries the
// file's token, and a renewed file's token from the next call on.
func TestTokenFileSendsTheTokenAndFollowsItsRenewal(t *testing.T) {
	t.Parallel()
	iss, v := newIssuerAndVerifier(t)
	path := filepath.Join(t.TempDir(), "token")
	write := func(subject string, at time.Time) {
		t.Helper()
		tok := issue(t, iss, devissuer.Claims{Subject: subject, Role: auth.Service, Scopes: []string{"member.star_ratings"}})
		if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	write("svc-first", time.Now().Add(-time.Hour))
	addr, rec := startAuthServer(t, v)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.TokenFile(path, false)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	for _, want := range []string{"svc-first", "svc-renewed"} {
		if want == "svc-renewed" {
			write(want, time.Now())
		}
		if _, err := testpb.NewTestServiceClient(conn).UnaryCall(t.Context(), &testpb.SimpleRequest{}); err != nil {
			t.Fatalf("call as %s: %v", want, err)
		}
		if _, p := rec.seen(); p == nil || p.Subject != want {
			t.Fatalf("the server saw %+v, want %s", p, want)
		}
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := testpb.NewTestServiceClient(conn).UnaryCall(t.Context(), &testpb.SimpleRequest{}); err == nil {
		t.Error("a call without the token file went through")
	}
}
