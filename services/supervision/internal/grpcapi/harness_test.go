package grpcapi_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/pgtest"
	"gongjian.dev/pkg/servicetest"
	"gongjian.dev/services/supervision/internal/wiring"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The streams of the services whose events the supervision service
// follows: the tests publish on them as those services would.
var (
	orgStream    = events.StreamSpec{Name: "ORGANISATION", Subjects: []string{"gongjian.organisation.v1.>"}}
	memberStream = events.StreamSpec{Name: "MEMBER", Subjects: []string{"gongjian.member.v1.>"}}
	cobStream    = events.StreamSpec{Name: "COBUILDING", Subjects: []string{"gongjian.cobuilding.v1.>"}}
)

// harness is the supervision service as production runs it (its own Spec
// through servicetest), with the organisation and member streams to
// publish on, and the co-building stream.
type harness struct {
	*servicetest.Harness[*wiring.Built]
}

func newHarness(t *testing.T, opts ...servicetest.Option) *harness {
	t.Helper()
	s := servicetest.Start(t, wiring.Spec(&wiring.Config{}), append([]servicetest.Option{servicetest.WithStreams(orgStream, memberStream, cobStream)}, opts...)...)
	return &harness{Harness: s}
}

func (h *harness) as(c devissuer.Claims) *grpc.ClientConn { return h.As(c) }

func (h *harness) pool() *pgxpool.Pool { return h.Pool }

// publish publishes another service's event as its outbox relay would:
// its event id as Nats-Msg-Id.
func (h *harness) publish(t *testing.T, subject string, ev proto.Message, id string) {
	t.Helper()
	data, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.JS.Publish(servicetest.Ctx(t), subject, data, jetstream.WithMsgID(id)); err != nil {
		t.Fatalf("publish %s: %v", subject, err)
	}
}

// count runs a count query on the service's database.
func (h *harness) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := h.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}
