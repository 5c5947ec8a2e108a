package auth_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
)

func TestBearerTokenAuthenticatesAServiceCall(t *testing.T) {
	t.Parallel()
	iss, v := newIssuerAndVerifier(t)
	tok := issue(t, iss, devissuer.Claims{Subject: "svc-gateway", Role: auth.Service, Scopes: []string{"organisation.read"}})
	tests := []struct {
		name       string
		requireTLS bool
		wantCalls  int
	}{
		{name: "the token is sent and the service authenticated", wantCalls: 1},
		{name: "a token that requires TLS is not sent in the clear", requireTLS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, rec := startAuthServer(t, v)
			conn, err := grpc.NewClient(addr,
				grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithPerRPCCredentials(auth.BearerToken(tok, tt.requireTLS)))
			if err == nil {
				t.Cleanup(func() { conn.Close() })
				_, err = testpb.NewTestServiceClient(conn).UnaryCall(t.Context(), &testpb.SimpleRequest{})
			}
			calls, p := rec.seen()
			if calls != tt.wantCalls || (tt.wantCalls == 1) != (err == nil) {
				t.Fatalf("call error %v, %d handler calls; want %d", err, calls, tt.wantCalls)
			}
			if tt.wantCalls == 1 && (p.Subject != "svc-gateway" || p.Role != auth.Service || !p.HasScope("organisation.read")) {
				t.Fatalf("principal %+v, want the gateway service with organisation.read", p)
			}
		})
	}
}

func TestForwardTokenCopiesTheCallersAuthorization(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		incoming metadata.MD
		outgoing metadata.MD
		want     metadata.MD
	}{
		{name: "the caller's token goes out",
			incoming: metadata.Pairs("authorization", "Bearer caller", "x-other", "in"),
			want:     metadata.Pairs("authorization", "Bearer caller")},
		{name: "other outgoing metadata is kept and an outgoing token replaced",
			incoming: metadata.Pairs("authorization", "Bearer caller"),
			outgoing: metadata.Pairs("x-request-id", "r-1", "authorization", "Bearer stale"),
			want:     metadata.Pairs("x-request-id", "r-1", "authorization", "Bearer caller")},
		{name: "without a caller's token nothing is added",
			incoming: metadata.Pairs("x-other", "in"),
			want:     nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := metadata.NewIncomingContext(context.Background(), tt.incoming)
			if tt.outgoing != nil {
				ctx = metadata.NewOutgoingContext(ctx, tt.outgoing)
			}
			got, _ := metadata.FromOutgoingContext(auth.ForwardToken(ctx))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("outgoing metadata (-want +got):\n%s", diff)
			}
		})
	}
}
