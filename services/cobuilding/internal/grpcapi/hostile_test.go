package grpcapi_test

import (
	"testing"

	"gongjian.dev/pkg/accesstest"
	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/auth/devissuer"
)

// TestHostileRequests sends every RPC of the service variants of a good
// request with one field made hostile, as the city's administrator over
// gRPC and REST: each is answered, refused or done, never a server error.
func TestHostileRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	s := h.fixture(t, tr.district, tr.street, tr.community)
	var reqs []accesstest.Request
	for _, op := range matrixOps {
		reqs = append(reqs, accesstest.Request{FullMethod: op.method, Req: op.req(s)})
	}
	accesstest.Hostile{
		Requests: reqs,
		GRPC:     accesstest.GRPC{Conn: h.As(cityAdmin)},
		REST:     accesstest.REST{Base: accesstest.RESTServer(t, h.As(devissuer.Claims{}), restHandlers...), Token: authtest.Token(t, cityAdmin)},
		Seed:     1,
	}.Run(t)
}
