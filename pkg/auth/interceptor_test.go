package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionalphapb "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
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
		Subject: "u-1", Name: "Li Wei", Role: auth.GridLeader, ScopeOrgID: "org-7",
		Permissions: []string{auth.PermUnmaskedID}, Scopes: []string{"organisation.read", "organisation.write"},
	})
	validPrincipal := &auth.Principal{
		Subject: "u-1", Name: "Li Wei", Role: auth.GridLeader, ScopeOrgID: "org-7",
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
			code:          codes.OK, want: &auth.Principal{Subject: "u-1", Name: "Li Wei", Role: auth.GridLeader, ScopeOrgID: "org-7", TokenID: "t-1"}},
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
		{name: "a token without subject is refused",
			authorization: []string{"Bearer " + claims(func(c jwt.MapClaims) { delete(c, "sub") })}, code: codes.Unauthenticated, msg: "invalid token: missing claim"},
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
	valid := issue(t, iss, devissuer.Claims{Subject: "u-2", Role: auth.Member, MemberID: "m-9"})
	tests := []struct {
		name          string
		authorization string
		code          codes.Code
		want          *auth.Principal
	}{
		{name: "a valid token reaches the handler with its principal", authorization: "Bearer " + valid,
			code: codes.OK, want: &auth.Principal{Subject: "u-2", Role: auth.Member, MemberID: "m-9"}},
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

func TestHealthAndReflectionStayOpen(t *testing.T) {
	t.Parallel()
	_, v := newIssuerAndVerifier(t)
	tests := []struct {
		name string
		call func(ctx context.Context, conn *grpc.ClientConn) error
	}{
		{name: "health check", call: func(ctx context.Context, conn *grpc.ClientConn) error {
			resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
			if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("health status %v, want SERVING", resp.GetStatus())
			}
			return err
		}},
		{name: "reflection v1", call: func(ctx context.Context, conn *grpc.ClientConn) error {
			stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
			if err != nil {
				return err
			}
			if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
				return err
			}
			resp, err := stream.Recv()
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(resp.GetListServicesResponse().GetService(), func(s *reflectionpb.ServiceResponse) bool {
				return s.GetName() == "grpc.testing.TestService"
			}) {
				t.Errorf("reflection lists %v, without the test service", resp.GetListServicesResponse().GetService())
			}
			return nil
		}},
		{name: "reflection v1alpha", call: func(ctx context.Context, conn *grpc.ClientConn) error {
			stream, err := reflectionalphapb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
			if err != nil {
				return err
			}
			if err := stream.Send(&reflectionalphapb.ServerReflectionRequest{MessageRequest: &reflectionalphapb.ServerReflectionRequest_ListServices{}}); err != nil {
				return err
			}
			resp, err := stream.Recv()
			if err == nil && len(resp.GetListServicesResponse().GetService()) == 0 {
				t.Error("reflection v1alpha lists no service")
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" answers without a token", func(t *testing.T) {
			t.Parallel()
			addr, _ := startAuthServer(t, v)
			if err := tt.call(t.Context(), dial(t, addr)); err != nil {
				t.Fatalf("call without a token: %v", err)
			}
		})
	}
}

func TestOpenMethods(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method string
		open   bool
	}{
		{healthpb.Health_Check_FullMethodName, true},
		{healthpb.Health_Watch_FullMethodName, true},
		{reflectionpb.ServerReflection_ServerReflectionInfo_FullMethodName, true},
		{reflectionalphapb.ServerReflection_ServerReflectionInfo_FullMethodName, true},
		{testpb.TestService_UnaryCall_FullMethodName, false},
		{"/grpc.health.v1.HealthAdmin/SetServing", false},
		{"/grpc.health.v1.Health", false},
		{"grpc.health.v1.Health/Check", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			if got := auth.OpenMethods(tt.method); got != tt.open {
				t.Fatalf("OpenMethods(%q) = %v, want %v", tt.method, got, tt.open)
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

// forgedWithKID signs valid claims with a fresh key, naming the kid of the
// real one.
func forgedWithKID(t *testing.T, kid string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, validClaims())
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hmacWithPublicKey signs valid claims with HS256, keyed with what an
// attacker can know of the issuer's public key: its PEM or the JWK set.
func hmacWithPublicKey(t *testing.T, iss *devissuer.Issuer, form string) string {
	t.Helper()
	secret := iss.JWKS()
	if form == "pem" {
		keys, err := keyfunc.NewJWKSetJSON(iss.JWKS())
		if err != nil {
			t.Fatal(err)
		}
		jwk, err := keys.Storage().KeyRead(t.Context(), iss.KeyID())
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKIXPublicKey(jwk.Key())
		if err != nil {
			t.Fatal(err)
		}
		secret = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, validClaims())
	tok.Header["kid"] = iss.KeyID()
	s, err := tok.SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
