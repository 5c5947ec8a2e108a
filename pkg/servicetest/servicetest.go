// Package servicetest starts a service for a test or a benchmark exactly as
// pkg/service runs it in production — the same Spec, the same Wire, the same
// server with its interceptors, the outbox relay and the consumers — on a
// real PostgreSQL database cloned from the migrated template and a real
// NATS server of the test's own, and connects to it as any caller a token
// describes.
//
//	h := servicetest.Start(t, wiring.Spec(cfg), servicetest.WithClock(clk.Now))
//	client := pb.NewThingServiceClient(h.As(servicetest.CityAdmin))
package servicetest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/logtest"
	"gongjian.dev/pkg/natsembed"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgtest"
	"gongjian.dev/pkg/service"
)

// CityAdmin is the caller of tests that are not about access: the city
// organisation department, which may do everything everywhere.
var CityAdmin = devissuer.Claims{Subject: "city-admin", Name: "City Admin", Role: auth.CityAdmin}

// Harness is a running service.
type Harness[T any] struct {
	// Service is what the service's Wire built besides its API.
	Service T
	Pool    *pgxpool.Pool
	NC      *nats.Conn
	JS      jetstream.JetStream
	// Stream is the service's own stream.
	Stream jetstream.Stream
	Log    *slog.Logger
	// Addr is the server's TCP address with Loopback, else "".
	Addr string
	// Consumers are the service's running consumers.
	Consumers *service.Running

	t    testing.TB
	dial func(context.Context, string) (net.Conn, error)
	name string
}

type options struct {
	now      func() time.Time
	loc      *time.Location
	log      *slog.Logger
	streams  []events.StreamSpec
	natsURL  string
	pool     *pgxpool.Pool
	loopback bool
	jobs     bool
	relay    bool
}

// Option changes how a service is started.
type Option func(*options)

// WithClock makes the service read the time from now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLocation sets the city's time zone (default UTC).
func WithLocation(loc *time.Location) Option { return func(o *options) { o.loc = loc } }

// WithLogs sends the service's log lines, as JSON at debug level, to logs.
func WithLogs(logs *logtest.Buffer) Option {
	return func(o *options) {
		o.log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// WithLogger sends the service's log lines to log.
func WithLogger(log *slog.Logger) Option { return func(o *options) { o.log = log } }

// WithStreams declares other services' streams too, so that the test can
// publish their events.
func WithStreams(specs ...events.StreamSpec) Option {
	return func(o *options) { o.streams = append(o.streams, specs...) }
}

// WithNATS uses the NATS server at url (which the test starts, stops and
// restarts) instead of one of the harness's own.
func WithNATS(url string) Option { return func(o *options) { o.natsURL = url } }

// WithPool uses pool (a benchmark's seeded, durable database) instead of a
// fresh clone of the template.
func WithPool(pool *pgxpool.Pool) Option { return func(o *options) { o.pool = pool } }

// Loopback serves over TCP on 127.0.0.1 instead of an in-memory listener:
// benchmarks measure what a network client would see.
func Loopback() Option { return func(o *options) { o.loopback = true } }

// WithJobs runs the service's background jobs (its sweepers), which tests
// otherwise call themselves when they need them.
func WithJobs() Option { return func(o *options) { o.jobs = true } }

// WithoutRelay leaves the outbox unpublished: a test that inspects the
// outbox table itself.
func WithoutRelay() Option { return func(o *options) { o.relay = false } }

// Start starts the service of spec for one test; everything stops when the
// test ends.
func Start[T any](t testing.TB, spec service.Spec[T], opts ...Option) *Harness[T] {
	t.Helper()
	o := options{loc: time.UTC, relay: true}
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = logtest.New(t)
	}
	h := &Harness[T]{t: t, Log: o.log, name: spec.Name, Pool: o.pool}
	if h.Pool == nil {
		h.Pool = pgtest.Pool(t, spec.Schema, spec.Migrations...)
	}
	h.startNATS(o, append([]events.StreamSpec{spec.Stream}, o.streams...))
	if h.Stream = h.streamOf(spec.Stream.Name); o.relay {
		h.run("outbox relay", outbox.NewRelay(h.Pool, h.JS, outbox.RelayOptions{Logger: o.log, LockKey: spec.RelayLock}).Run)
	}
	built, parts, err := spec.Wire(Ctx(t), service.Deps{Log: o.log, Pool: h.Pool, JS: h.JS, Location: o.loc, Now: o.now,
		Dial: service.TLS{}.Dialer()})
	if err != nil {
		t.Fatalf("wire %s: %v", spec.Name, err)
	}
	h.Service = built
	srv, err := service.NewServer(o.log, authtest.Verifier(t), h.Pool, parts)
	if err != nil {
		t.Fatalf("%s server: %v", spec.Name, err)
	}
	h.listen(o.loopback, func(ctx context.Context, lis net.Listener) error { return srv.Serve(ctx, lis, 5*time.Second) })
	h.run("database health", func(ctx context.Context) error { return service.WatchDatabase(ctx, h.Pool, srv, o.log) })
	h.Consumers = service.StartConsumers(context.Background(), h.JS, h.Pool, o.log, parts.Consumers)
	t.Cleanup(h.Consumers.Stop)
	if o.jobs {
		for _, job := range parts.Jobs {
			h.run(job.Name, job.Run)
		}
	}
	return h
}

// startNATS connects to the test's NATS server, starting one unless the
// test brought its own, and declares the streams.
func (h *Harness[T]) startNATS(o options, streams []events.StreamSpec) {
	t := h.t
	t.Helper()
	url := o.natsURL
	if url == "" {
		srv, err := natsembed.Start(natsembed.Options{StoreDir: t.TempDir()})
		if err != nil {
			t.Fatalf("start NATS: %v", err)
		}
		t.Cleanup(srv.Shutdown)
		url = srv.URL()
	}
	nc, err := nats.Connect(url, nats.ReconnectBufSize(-1), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatalf("connect to NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	if h.JS, err = jetstream.New(nc); err != nil {
		t.Fatalf("JetStream: %v", err)
	}
	h.NC = nc
	for _, spec := range streams {
		if err := events.EnsureStream(Ctx(t), h.JS, spec); err != nil {
			t.Fatalf("stream %s: %v", spec.Name, err)
		}
	}
}

func (h *Harness[T]) streamOf(name string) jetstream.Stream {
	st, err := h.JS.Stream(Ctx(h.t), name)
	if err != nil {
		h.t.Fatalf("stream %s: %v", name, err)
	}
	return st
}

// run runs fn until the test ends, and fails the test if fn fails.
func (h *Harness[T]) run(name string, fn func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			h.t.Errorf("%s: %v", name, err)
		}
	})
}

// listen serves on an in-memory listener, or on loopback TCP.
func (h *Harness[T]) listen(loopback bool, serve func(context.Context, net.Listener) error) {
	var lis net.Listener
	if loopback {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			h.t.Fatal(err)
		}
		lis, h.Addr = l, l.Addr().String()
		h.dial = func(ctx context.Context, addr string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		}
	} else {
		b := bufconn.Listen(1 << 20)
		lis = b
		h.dial = func(ctx context.Context, _ string) (net.Conn, error) { return b.DialContext(ctx) }
	}
	h.run("grpc server", func(ctx context.Context) error { return serve(ctx, lis) })
}

// As connects to the service as the caller c describes (no token when c
// has no role); the connection closes when the test ends.
func (h *Harness[T]) As(c devissuer.Claims) *grpc.ClientConn {
	h.t.Helper()
	opts := []grpc.DialOption{
		grpc.WithContextDialer(h.dial),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	}
	if c.Role != "" {
		if c.Subject == "" {
			c.Subject = string(c.Role) + "-1"
		}
		opts = append(opts, grpc.WithPerRPCCredentials(auth.BearerToken(authtest.Token(h.t, c), false)))
	}
	target := "passthrough:///" + h.name
	if h.Addr != "" {
		target = "passthrough:///" + h.Addr
	}
	conn, err := grpc.NewClient(target, opts...)
	if err != nil {
		h.t.Fatalf("grpc client: %v", err)
	}
	h.t.Cleanup(func() { _ = conn.Close() })
	return conn
}
