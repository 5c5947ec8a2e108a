package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/grpcserver"
)

// recorder remembers what the test service's handlers saw.
type recorder struct {
	mu        sync.Mutex
	calls     int
	principal *auth.Principal
}

func (r *recorder) record(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.principal, _ = auth.FromContext(ctx)
}

func (r *recorder) seen() (int, *auth.Principal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, r.principal
}

type testService struct {
	testpb.UnimplementedTestServiceServer
	rec *recorder
}

func (s testService) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	s.rec.record(ctx)
	return &testpb.SimpleResponse{}, nil
}

func (s testService) StreamingOutputCall(_ *testpb.StreamingOutputCallRequest, stream grpc.ServerStreamingServer[testpb.StreamingOutputCallResponse]) error {
	s.rec.record(stream.Context())
	return stream.Send(&testpb.StreamingOutputCallResponse{})
}

// startServer serves the test service on loopback TCP behind the platform's
// gRPC server (so that its error mapper runs too), with opts' interceptors,
// and returns the address and the recorder of its handlers.
func startServer(t *testing.T, opts grpcserver.Options) (string, *recorder) {
	t.Helper()
	s, err := grpcserver.New(slog.New(slog.NewTextHandler(io.Discard, nil)), opts)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	testpb.RegisterTestServiceServer(s.Server, testService{rec: rec})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Server.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String(), rec
}

// startAuthServer is startServer with the authentication interceptors.
func startAuthServer(t *testing.T, v *auth.Verifier) (string, *recorder) {
	t.Helper()
	return startServer(t, grpcserver.Options{
		Unary:  []grpc.UnaryServerInterceptor{auth.UnaryInterceptor(v, auth.OpenMethods)},
		Stream: []grpc.StreamServerInterceptor{auth.StreamInterceptor(v, auth.OpenMethods)},
	})
}

func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	if len(opts) == 0 {
		opts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// newIssuerAndVerifier returns a development issuer kept in a temporary
// directory and a Verifier reading its keys file.
func newIssuerAndVerifier(t *testing.T) (*devissuer.Issuer, *auth.Verifier) {
	t.Helper()
	iss, err := devissuer.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(t.Context(), auth.Config{
		Issuer: devissuer.IssuerName, Audience: devissuer.Audience, KeysFile: iss.KeysFile(), Leeway: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return iss, v
}

func issue(t *testing.T, iss *devissuer.Issuer, c devissuer.Claims) string {
	t.Helper()
	tok, err := iss.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func sign(t *testing.T, iss *devissuer.Issuer, c jwt.Claims) string {
	t.Helper()
	tok, err := iss.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// validClaims are the claims of a valid token for a grid leader, changed by
// each function of change.
func validClaims(change ...func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"iss": devissuer.IssuerName, "aud": []string{devissuer.Audience}, "sub": "u-1", "name": "Li Wei",
		"role": "grid_leader", "scope_org": "7e0c3a52-5d7e-4c1e-9a40-2f1b6c0d0007", "jti": "t-1",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	for _, f := range change {
		f(c)
	}
	return c
}

// unsignedToken crafts a token with alg "none" by hand: no library makes
// one without being told it is unsafe.
func unsignedToken(t *testing.T, kid string, c jwt.MapClaims) string {
	t.Helper()
	header, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": kid})
	payload, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc(header) + "." + enc(payload) + "."
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
