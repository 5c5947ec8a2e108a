package auth_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/grpcserver"
)

func TestUnaryCallsNeedAValidToken(t *testing.T) {
	t.Parallel()
	iss, v := newIssuerAndVerifier(t)
	other, err := devissuer.NewInMemory()
	if err != nil {
		t.Fatal(err)
	}
	valid := issue(t, iss, devissuer.Claims{
		Subject: "u-1", Name: "Li Wei", Role: auth.GridLeader, ScopeOrgID: "7e0c3a52-5d7e-4c1e-9a40-2f1b6c0d0007",
		Permissions: []string{auth.PermUnmaskedID}, Scopes: []string{"organisation.read", "organisation.write"},
	})
	validPrincipal := &auth.Principal{
		Subject: "u-1", Name: "Li Wei", Role: auth.GridLeader, ScopeOrgID: "7e0c3a52-5d7e-4c1e-9a40-2f1b6c0d0007",
		Permissions: []string{auth.PermUnmaskedID}, Scopes: []string{"organisation.read", "organisation.write"},
	}
	claims := func(change func(jwt.MapClaims)) string { return sign(t, iss, validClaims(change)) }
	ago := func(d time.Duration) int64 { return time.Now().Add(-d).Unix() }

	tests := []struct {
		name          string
		authorization []string
		code          codes.Code
		msg           string          // the client's message when refused
		want          *auth.Principal // the handler's Principal when code is OK
	}{
		{name: "a valid token reaches the handler with its principal",
			authorization: []string{"Bearer " + valid}, code: codes.OK, want: validPrincipal},
		{name: "the scheme is case-insensitive",
			authorization: []string{"bearer " + valid}, code: codes.OK, want: validPrincipal},
		{name: "an expiry within the leeway is accepted",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["exp"] = ago(10 * time.Second) })},
			code:          codes.OK, want: &auth.Principal{Subject: "u-1", Name: "Li Wei", Role: auth.GridLeader, ScopeOrgID: "7e0c3a52-5d7e-4c1e-9a40-2f1b6c0d0007", TokenID: "t-1"}},
		{name: "a system's scopes are read from the space-separated scope claim",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) {
				c["role"], c["scope"], c["name"] = "system", "organisation.read  member.read", nil
				delete(c, "scope_org")
			})},
			code: codes.OK, want: &auth.Principal{Subject: "u-1", Role: auth.System, Scopes: []string{"organisation.read", "member.read"}, TokenID: "t-1"}},
		{name: "no token is refused", code: codes.Unauthenticated, msg: "missing bearer token"},
		{name: "an empty bearer token is refused", authorization: []string{"Bearer "}, code: codes.Unauthenticated, msg: "invalid token: authorization is not a bearer token"},
		{name: "another scheme is refused", authorization: []string{"Basic dXNlcjpwYXNz"}, code: codes.Unauthenticated, msg: "invalid token: authorization is not a bearer token"},
		{name: "a token without a scheme is refused", authorization: []string{valid}, code: codes.Unauthenticated, msg: "invalid token: authorization is not a bearer token"},
		{name: "a malformed token is refused", authorization: []string{"Bearer not.a.jwt"}, code: codes.Unauthenticated, msg: "invalid token: malformed"},
		{name: "two authorization values are refused",
			authorization: []string{"Bearer " + valid, "Bearer " + valid}, code: codes.Unauthenticated, msg: "invalid token: more than one authorization header"},
		{name: "an expired token is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["exp"] = ago(time.Minute) })}, code: codes.Unauthenticated, msg: "token expired"},
		{name: "a token without exp is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { delete(c, "exp") })}, code: codes.Unauthenticated, msg: "invalid token: missing claim"},
		{name: "a token not valid yet is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["nbf"] = ago(-time.Minute) })}, code: codes.Unauthenticated, msg: "invalid token: not valid yet"},
		{name: "a token issued in the future is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["iat"] = ago(-time.Minute) })}, code: codes.Unauthenticated, msg: "invalid token: not valid yet"},
		{name: "a token signed by another issuer's key is refused",
			authorization: []string{"Bearer " + issue(t, other, devissuer.Claims{Subject: "u-1", Role: auth.CityAdmin})}, code: codes.Unauthenticated, msg: "invalid token: bad signature or unknown key"},
		{name: "a token signed by another key under the issuer's kid is refused",
			authorization: []string{"Bearer " + forgedWithKID(t, iss.KeyID())}, code: codes.Unauthenticated, msg: "invalid token: bad signature or unknown key"},
		{name: "a token for another audience is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["aud"] = []string{"elsewhere"} })}, code: codes.Unauthenticated, msg: "invalid token: wrong audience"},
		{name: "a token without audience is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { delete(c, "aud") })}, code: codes.Unauthenticated, msg: "invalid token: missing claim"},
		{name: "a token from another issuer is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["iss"] = "someone-else" })}, code: codes.Unauthenticated, msg: "invalid token: wrong issuer"},
		{name: "an unsigned token (alg none) is refused",
			authorization: []string{"Bearer " + unsignedToken(t, iss.KeyID(), validClaims())}, code: codes.Unauthenticated, msg: "invalid token: bad signature or unknown key"},
		{name: "HS256 keyed with the public key in PEM is refused",
			authorization: []string{"Bearer " + hmacWithPublicKey(t, iss, "pem")}, code: codes.Unauthenticated, msg: "invalid token: bad signature or unknown key"},
		{name: "HS256 keyed with the published JWK set is refused",
			authorization: []string{"Bearer " + hmacWithPublicKey(t, iss, "jwks")}, code: codes.Unauthenticated, msg: "invalid token: bad signature or unknown key"},
		{name: "an unknown role is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["role"] = "mayor" })}, code: codes.Unauthenticated, msg: "invalid token: unknown role"},
		{name: "a token without role is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { delete(c, "role") })}, code: codes.Unauthenticated, msg: "invalid token: unknown role"},
		{name: "a scoped role without scope_org is refused, not widened to the city",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { delete(c, "scope_org") })}, code: codes.Unauthenticated, msg: "invalid token: role without scope_org"},
		{name: "a member without member_id is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["role"] = "member" })}, code: codes.Unauthenticated, msg: "invalid token: member without member_id"},
		{name: "a unit_id that is not a UUID is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["unit_id"] = "unit-7" })}, code: codes.Unauthenticated, msg: "invalid token: unit_id is not a UUID"},
		{name: "a token without subject is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { delete(c, "sub") })}, code: codes.Unauthenticated, msg: "invalid token: missing claim"},
		{name: "a scope_org that is not an organisation id is refused, not passed to SQL",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["scope_org"] = "../../" })}, code: codes.Unauthenticated, msg: "invalid token: scope_org is not an organisation id"},
		{name: "a scope_org in another spelling of a UUID is refused: it would not match the stored ids",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["scope_org"] = "{7E0C3A52-5D7E-4C1E-9A40-2F1B6C0D0007}" })}, code: codes.Unauthenticated, msg: "invalid token: scope_org is not an organisation id"},
		{name: "a scope_org that is not a string is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["scope_org"] = 7 })}, code: codes.Unauthenticated, msg: "invalid token: malformed"},
		{name: "a member_id that is not a member id is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["role"], c["member_id"] = "member", "' OR 1=1 --" })}, code: codes.Unauthenticated, msg: "invalid token: member_id is not a member id"},
		{name: "a name with a NUL is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["name"] = "Li\x00Wei" })}, code: codes.Unauthenticated, msg: "invalid token: a claim is not plain text"},
		{name: "a subject with ESC is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { c["sub"] = "u-1\x1b[2J" })}, code: codes.Unauthenticated, msg: "invalid token: a claim is not plain text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, rec := startAuthServer(t, v)
			ctx := t.Context()
			for _, a := range tt.authorization {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", a)
			}
			_, err := testpb.NewTestServiceClient(dial(t, addr)).UnaryCall(ctx, &testpb.SimpleRequest{})
			if got := status.Code(err); got != tt.code {
				t.Fatalf("code = %v (%v), want %v", got, err, tt.code)
			}
			calls, got := rec.seen()
			if tt.code != codes.OK {
				if calls != 0 {
					t.Fatalf("the handler was called %d times for a refused call", calls)
				}
				if got := status.Convert(err).Message(); got != tt.msg {
					t.Fatalf("message = %q, want %q", got, tt.msg)
				}
				for _, a := range tt.authorization {
					if _, tok, _ := strings.Cut(a, " "); len(tok) > 8 && strings.Contains(status.Convert(err).Message(), tok) {
						t.Fatalf("the error repeats the token: %q", status.Convert(err).Message())
					}
				}
				return
			}
			if calls != 1 {
				t.Fatalf("the handler was called %d times, want 1", calls)
			}
			ignoreRandomID := cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "TokenID" && tt.want.TokenID == "" }, cmp.Ignore())
			if diff := cmp.Diff(tt.want, got, ignoreRandomID); diff != "" {
				t.Fatalf("principal (-want +got):\n%s", diff)
			}
			if got.TokenID == "" {
				t.Fatal("the principal has no token id")
			}
		})
	}
}

func TestStreamingCallsNeedAValidToken(t *testing.T) {
	t.Parallel()
	iss, v := newIssuerAndVerifier(t)
	valid := issue(t, iss, devissuer.Claims{Subject: "u-2", Role: auth.Member, MemberID: "5a1d0f2e-8c3b-4e6a-b7d9-0c4e2f1a0009"})
	tests := []struct {
		name          string
		authorization string
		code          codes.Code
		want          *auth.Principal
	}{
		{name: "a valid token reaches the handler with its principal", authorization: "Bearer " + valid,
			code: codes.OK, want: &auth.Principal{Subject: "u-2", Role: auth.Member, MemberID: "5a1d0f2e-8c3b-4e6a-b7d9-0c4e2f1a0009"}},
		{name: "no token is refused", code: codes.Unauthenticated},
		{name: "a malformed token is refused", authorization: "Bearer x.y.z", code: codes.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, rec := startAuthServer(t, v)
			ctx := t.Context()
			if tt.authorization != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", tt.authorization)
			}
			stream, err := testpb.NewTestServiceClient(dial(t, addr)).StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{})
			if err == nil {
				_, err = stream.Recv()
			}
			if got := status.Code(err); got != tt.code {
				t.Fatalf("code = %v (%v), want %v", got, err, tt.code)
			}
			calls, got := rec.seen()
			wantCalls := 0
			if tt.code == codes.OK {
				wantCalls = 1
			}
			if calls != wantCalls {
				t.Fatalf("the handler was called %d times, want %d", calls, wantCalls)
			}
			if diff := cmp.Diff(tt.want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "TokenID" }, cmp.Ignore())); diff != "" {
				t.Fatalf("principal (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTheSpanGetsTheRoleButNoPersonalData(t *testing.T) {
	t.Parallel()
	iss, v := newIssuerAndVerifier(t)
	spans := tracetest.NewSpanRecorder()
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)).Tracer("test")
	traced := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		ctx, span := tracer.Start(ctx, info.FullMethod)
		defer span.End()
		return h(ctx, req)
	}
	addr, rec := startServer(t, grpcserver.Options{
		Unary: []grpc.UnaryServerInterceptor{traced, auth.UnaryInterceptor(v, auth.OpenMethods)},
	})
	tok := issue(t, iss, devissuer.Claims{Subject: "subject-4711", Name: "Wang Fang", Role: auth.Inspector})
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)
	if _, err := testpb.NewTestServiceClient(dial(t, addr)).UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	if calls, _ := rec.seen(); calls != 1 {
		t.Fatalf("handler called %d times, want 1", calls)
	}
	ended := spans.Ended()
	if len(ended) != 1 {
		t.Fatalf("%d spans, want 1", len(ended))
	}
	attrs := ended[0].Attributes()
	if !slices.Contains(attrs, attribute.String("enduser.role", "inspector")) {
		t.Fatalf("span attributes %v lack enduser.role=inspector", attrs)
	}
	for _, a := range attrs {
		if s := a.Value.Emit(); strings.Contains(s, "4711") || strings.Contains(s, "Wang") {
			t.Fatalf("span attribute %s=%q carries personal data", a.Key, s)
		}
	}
}
