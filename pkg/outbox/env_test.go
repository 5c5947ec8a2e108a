package outbox_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"gongjian.dev/pkg/logtest"
	"gongjian.dev/pkg/natsembed"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/pgtest"
)

// Generous bounds for things that normally take milliseconds.
const (
	eventually = 30 * time.Second
	tick       = 10 * time.Millisecond
)

func TestMain(m *testing.M) {
	otel.SetTextMapPropagator(propagation.TraceContext{})
	pgtest.Main(m)
}

// startNATS starts an embedded server on a store of its own.
func startNATS(t testing.TB, opts natsembed.Options) *natsembed.Server {
	t.Helper()
	if opts.StoreDir == "" {
		opts.StoreDir = t.TempDir()
	}
	srv, err := natsembed.Start(opts)
	if err != nil {
		t.Fatalf("start NATS: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// connect returns a JetStream client configured as a relay's should be:
// reconnecting forever, without a reconnect buffer.
func connect(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond),
		nats.ReconnectBufSize(-1))
	if err != nil {
		t.Fatalf("connect to NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("JetStream: %v", err)
	}
	return js
}

func createStream(t testing.TB, js jetstream.JetStream, name string, subjects ...string) jetstream.Stream {
	t.Helper()
	s, err := js.CreateStream(context.Background(), jetstream.StreamConfig{
		Name: name, Subjects: subjects, Storage: jetstream.FileStorage, Duplicates: time.Hour,
	})
	if err != nil {
		t.Fatalf("create stream: %v", err)
	}
	return s
}

// runRelay runs a relay until the test ends.
func runRelay(t *testing.T, pool *pgxpool.Pool, js jetstream.JetStream, opts outbox.RelayOptions) *outbox.Relay {
	t.Helper()
	r, _ := startRelay(t, pool, js, opts)
	return r
}

// startRelay runs a relay until stop is called or the test ends.
func startRelay(t *testing.T, pool *pgxpool.Pool, js jetstream.JetStream, opts outbox.RelayOptions) (r *outbox.Relay, stop func()) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	r = outbox.NewRelay(pool, js, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Cleanup(stop)
	return r, stop
}

func enqueue(t *testing.T, ctx context.Context, pool *pgxpool.Pool, evs ...outbox.Event) {
	t.Helper()
	err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error { return outbox.Enqueue(ctx, tx, evs...) })
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
}

// waitFor polls cond until it holds, failing the test after eventually.
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

func streamMsgCount(t *testing.T, s jetstream.Stream) uint64 {
	t.Helper()
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.State.Msgs
}

// streamMessages returns every message of the stream in stream order.
func streamMessages(t *testing.T, s jetstream.Stream) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	var msgs []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get message %d: %v", seq, err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

func outboxCount(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		t.Fatalf("count outbox: %v", err)
	}
	return n
}

// msgIDs returns the Nats-Msg-Id of each message.
func msgIDs(msgs []*jetstream.RawStreamMsg) []string {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.Header.Get(jetstream.MsgIDHeader)
	}
	return ids
}

func testLogger(t *testing.T) *slog.Logger { return logtest.New(t) }
