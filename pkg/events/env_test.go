package events_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/logtest"
	"gongjian.dev/pkg/natsembed"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgtest"
)

const (
	eventually = 30 * time.Second
	tick       = 10 * time.Millisecond
)

// spans records every span of the package's tests; each test picks its own
// by trace id.
var spans = tracetest.NewSpanRecorder()

// metrics collects the package's metrics when a test asks.
var metrics = sdkmetric.NewManualReader()

func TestMain(m *testing.M) {
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	otel.SetTextMapPropagator(propagation.TraceContext{})
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(metrics)))
	pgtest.Main(m)
}

// env is a database migrated with the outbox and inbox tables plus an
// "applied" table for handlers to write to, and a NATS server with a stream
// on "orders.>".
type env struct {
	pool   *pgxpool.Pool
	js     jetstream.JetStream
	stream string
}

func newEnv(t *testing.T, duplicates time.Duration) *env {
	t.Helper()
	pool := pgtest.Pool(t, "svc", outbox.Migrations)
	if _, err := pool.Exec(context.Background(), `CREATE TABLE applied (event_id text NOT NULL, value text NOT NULL)`); err != nil {
		t.Fatalf("create table: %v", err)
	}
	srv, err := natsembed.Start(natsembed.Options{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatalf("start NATS: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.URL(), nats.ReconnectBufSize(-1))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("JetStream: %v", err)
	}
	spec := events.StreamSpec{Name: "ORDERS", Subjects: []string{"orders.>"}, Duplicates: duplicates}
	if err := events.EnsureStream(context.Background(), js, spec); err != nil {
		t.Fatalf("EnsureStream: %v", err)
	}
	return &env{pool: pool, js: js, stream: spec.Name}
}

// consume starts a subscription stopped at the end of the test.
func (e *env) consume(t *testing.T, spec events.ConsumerSpec, h events.Handler) *events.Subscription {
	t.Helper()
	spec.Stream = e.stream
	if spec.Durable == "" {
		spec.Durable = "test"
	}
	if spec.Logger == nil {
		spec.Logger = testLogger(t)
	}
	sub, err := events.Consume(context.Background(), e.js, e.pool, spec, h)
	if err != nil {
		t.Fatalf("Consume: %v", err)
	}
	t.Cleanup(sub.Stop)
	return sub
}

// publish publishes value on subject with the given Nats-Msg-Id and
// reports whether the stream stored it (false: dropped as a duplicate).
func (e *env) publish(t *testing.T, subject, id, value string) bool {
	t.Helper()
	ack, err := e.js.Publish(context.Background(), subject, []byte(value), jetstream.WithMsgID(id))
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return !ack.Duplicate
}

// applied returns the number of rows handlers wrote for each value.
func (e *env) applied(t *testing.T) map[string]int {
	t.Helper()
	rows, err := e.pool.Query(context.Background(), `SELECT value, count(*) FROM applied GROUP BY value`)
	if err != nil {
		t.Fatalf("read applied: %v", err)
	}
	defer rows.Close()
	got := map[string]int{}
	for rows.Next() {
		var v string
		var n int
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatalf("scan applied: %v", err)
		}
		got[v] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read applied: %v", err)
	}
	return got
}

func (e *env) consumerInfo(t *testing.T, durable string) *jetstream.ConsumerInfo {
	t.Helper()
	c, err := e.js.Consumer(context.Background(), e.stream, durable)
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatalf("consumer info: %v", err)
	}
	return info
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(eventually)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(tick)
	}
}

func testLogger(t *testing.T) *slog.Logger { return logtest.New(t) }

// addTxColumn lets handlers record the transaction they ran in.
func (e *env) addTxColumn(t *testing.T) {
	t.Helper()
	if _, err := e.pool.Exec(context.Background(), `ALTER TABLE applied ADD COLUMN tx bigint`); err != nil {
		t.Fatalf("alter table: %v", err)
	}
}
