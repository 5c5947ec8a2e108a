package accesstest

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/auth/devissuer"
)

// Op is one RPC of an access matrix: its full method name and its request
// on a side of the fixture. A service's own op type carries what its
// expectations need (the roles, the OAuth scope).
type Op[S any] interface {
	FullMethod() string
	Request(side S) proto.Message
}

// Caller is one kind of caller of a matrix.
type Caller[S any] struct {
	Name   string
	Claims devissuer.Claims
	// Scope is the organisation of a side that the caller's token names as
	// scope_org; nil for a caller of the whole city, for whom every side is
	// inside.
	Scope func(side S) string
}

// Matrix is every RPC × every kind of caller × a side inside the caller's
// scope and one outside it, over gRPC and over REST.
type Matrix[S any, O Op[S]] struct {
	// Own is the side the callers' tokens are scoped to; Other is another
	// district's.
	Own, Other S
	Callers    []Caller[S]
	Ops        []O
	// Want is the code a caller should get for op on a side; a want of OK
	// accepts any code but a refusal (PermissionDenied, NotFound,
	// Unauthenticated) or a server's fault (ServersFault): the domain may
	// still refuse an allowed call.
	Want func(c Caller[S], op O, inside bool) codes.Code
	// Conn connects to the service as claims (no token for no role); REST
	// is the base URL of its REST handlers (RESTServer).
	Conn func(devissuer.Claims) *grpc.ClientConn
	REST string
}

// Run runs the matrix as subtests, and checks that nobody without a token
// gets anything.
func (m Matrix[S, O]) Run(t *testing.T) {
	t.Helper()
	for _, who := range m.Callers {
		claims := who.Claims
		claims.Subject = "u-" + who.Name
		if who.Scope != nil {
			claims.ScopeOrgID = who.Scope(m.Own)
		}
		token, err := authtest.Issuer(t).Issue(claims)
		if err != nil {
			t.Fatal(err)
		}
		for name, tp := range map[string]Transport{"gRPC": GRPC{Conn: m.Conn(claims)}, "REST": REST{Base: m.REST, Token: token}} {
			t.Run(who.Name+" over "+name, func(t *testing.T) {
				for _, op := range m.Ops {
					for _, target := range []struct {
						name   string
						side   S
						inside bool
					}{{"own district", m.Own, true}, {"other district", m.Other, who.Scope == nil}} {
						got := call(t, tp, op.FullMethod(), op.Request(target.side))
						want := m.Want(who, op, target.inside)
						refused := got == codes.PermissionDenied || got == codes.NotFound || got == codes.Unauthenticated
						if (want == codes.OK && (refused || ServersFault(got))) || (want != codes.OK && got != want) {
							t.Errorf("%s on the %s: %v, want %v", op.FullMethod(), target.name, got, want)
						}
					}
				}
			})
		}
	}
	t.Run("nobody without a token", func(t *testing.T) {
		for _, tp := range []Transport{GRPC{Conn: m.Conn(devissuer.Claims{})}, REST{Base: m.REST}} {
			for _, op := range m.Ops {
				if got := call(t, tp, op.FullMethod(), op.Request(m.Own)); got != codes.Unauthenticated {
					t.Errorf("%s without a token over %T: %v", op.FullMethod(), tp, got)
				}
			}
		}
	})
}

// callLimit bounds one call of a matrix.
const callLimit = 20 * time.Second

func call(t *testing.T, tp Transport, method string, req proto.Message) codes.Code {
	ctx, cancel := context.WithTimeout(t.Context(), callLimit)
	defer cancel()
	return tp.Call(ctx, method, req)
}
