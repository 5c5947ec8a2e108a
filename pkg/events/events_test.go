package events_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/logtest"
)

func TestEnsureStreamIsIdempotentAndAppliesDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0) // creates ORDERS with the default window
	ctx := context.Background()
	spec := events.StreamSpec{Name: "ORDERS", Subjects: []string{"orders.>", "refunds.>"}}
	for range 2 {
		if err := events.EnsureStream(ctx, e.js, spec); err != nil {
			t.Fatalf("EnsureStream: %v", err)
		}
	}
	s, err := e.js.Stream(ctx, "ORDERS")
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	cfg := s.CachedInfo().Config
	got := []any{cfg.Subjects, cfg.Duplicates, cfg.Storage, cfg.Replicas}
	want := []any{spec.Subjects, events.DefaultDuplicates, jetstream.FileStorage, 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stream config (-want +got):\n%s", diff)
	}
	if err := events.EnsureStream(ctx, e.js, events.StreamSpec{Name: "EMPTY"}); err == nil {
		t.Error("EnsureStream without subjects succeeded, want an error")
	}
}

// insertApplied is a handler that records each call in the applied table.
func insertApplied(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
	_, err := tx.Exec(ctx, `INSERT INTO applied (event_id, value) VALUES ($1, $2)`,
		msg.Headers().Get(events.EventIDHeader), string(msg.Data()))
	return err
}

// The duplicate is made the way it happens in production: the same event
// (same Nats-Msg-Id) is published again after the stream's de-duplication
// window has passed, so the stream holds it twice and the consumer receives
// it twice. Only the inbox stands between it and a second application.
func TestConsumeAppliesRepublishedEventOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 100*time.Millisecond) // the shortest window the server accepts
	if !e.publish(t, "orders.created", "event-1", "first") {
		t.Fatal("first publication dropped as a duplicate")
	}
	waitFor(t, "the de-duplication window to pass", func() bool {
		return e.publish(t, "orders.created", "event-1", "again")
	})
	e.publish(t, "orders.created", "event-2", "marker")

	e.consume(t, events.ConsumerSpec{}, insertApplied)
	waitFor(t, "the marker to be applied", func() bool { return e.applied(t)["marker"] == 1 })
	want := map[string]int{"first": 1, "marker": 1}
	if diff := cmp.Diff(want, e.applied(t)); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	waitFor(t, "all three messages to be acknowledged", func() bool {
		info := e.consumerInfo(t, "test")
		return info.AckFloor.Stream == 3 && info.NumAckPending == 0
	})
}

// The handler fails on the first delivery: its writes are rolled back with
// the inbox row, and the redelivery applies the event once.
func TestConsumeRedeliversAfterHandlerFailure(t *testing.T) {
	t.Parallel()
	failures := []struct {
		name string
		fail func() error
	}{
		{"an error", func() error { return errors.New("transient failure") }},
		{"a panic", func() error { panic("handler bug") }},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 0)
			var calls atomic.Int32
			e.consume(t, events.ConsumerSpec{}, func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
				if err := insertApplied(ctx, tx, msg); err != nil {
					return err
				}
				if calls.Add(1) == 1 {
					return f.fail()
				}
				return nil
			})
			e.publish(t, "orders.created", "event-1", "value")
			waitFor(t, "the event to be acknowledged", func() bool {
				return e.consumerInfo(t, "test").AckFloor.Stream == 1
			})
			if got := e.applied(t)["value"]; got != 1 {
				t.Errorf("applied %d times, want 1", got)
			}
			if got := calls.Load(); got != 2 {
				t.Errorf("handler called %d times, want 2", got)
			}
		})
	}
}

func TestConsumeGivesUpOnPoisonMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	var logs logtest.Buffer
	var poisonCalls atomic.Int32
	spec := events.ConsumerSpec{MaxDeliver: 2, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	e.consume(t, spec, func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		if msg.Subject() == "orders.poison" {
			poisonCalls.Add(1)
			return errors.New("cannot apply")
		}
		return insertApplied(ctx, tx, msg)
	})
	e.publish(t, "orders.poison", "event-1", "poison")
	e.publish(t, "orders.created", "event-2", "healthy")

	waitFor(t, "the poison message to be given up", func() bool {
		return strings.Contains(logs.String(), "poison message")
	})
	waitFor(t, "the healthy message to be applied", func() bool { return e.applied(t)["healthy"] == 1 })
	waitFor(t, "nothing to be pending", func() bool {
		info := e.consumerInfo(t, "test")
		return info.NumAckPending == 0 && info.NumPending == 0
	})
	if got := poisonCalls.Load(); got != 2 {
		t.Errorf("poison handler called %d times, want MaxDeliver = 2", got)
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("poison message not logged as an error:\n%s", logs.String())
	}
}

func TestStopWaitsForInFlightHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	started, release := make(chan struct{}), make(chan struct{})
	sub := e.consume(t, events.ConsumerSpec{}, func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		close(started)
		<-release
		return insertApplied(ctx, tx, msg)
	})
	e.publish(t, "orders.created", "event-1", "slow")
	select {
	case <-started:
	case <-time.After(eventually):
		t.Fatal("handler not called")
	}

	stopped := make(chan struct{})
	go func() { sub.Stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while the handler was running")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	select {
	case <-stopped:
	case <-time.After(eventually):
		t.Fatal("Stop did not return after the handler finished")
	}
	if got := e.applied(t)["slow"]; got != 1 {
		t.Errorf("in-flight event applied %d times when Stop returned, want 1", got)
	}
	waitFor(t, "the in-flight event to be acknowledged", func() bool {
		return e.consumerInfo(t, "test").AckFloor.Stream == 1
	})
}

func TestConsumeRejectsIncompleteSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		spec   events.ConsumerSpec
		handle events.Handler
	}{
		{"no stream", events.ConsumerSpec{Durable: "d"}, insertApplied},
		{"no durable name", events.ConsumerSpec{Stream: "S"}, insertApplied},
		{"no handler", events.ConsumerSpec{Stream: "S", Durable: "d"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := events.Consume(context.Background(), nil, nil, tt.spec, tt.handle); err == nil {
				t.Error("Consume succeeded, want an error")
			}
		})
	}
}

// insertInTx is insertApplied that also records the transaction it ran in.
func insertInTx(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
	_, err := tx.Exec(ctx, `INSERT INTO applied (event_id, value, tx) VALUES ($1, $2, txid_current())`,
		msg.Headers().Get(events.EventIDHeader), string(msg.Data()))
	return err
}

// A consumer that starts behind — the messages were published before it
// subscribed — applies what waits together, in fewer transactions than
// messages and no more than MaxBatch in one, each message once.
func TestConsumeAppliesAWaitingBacklogInBatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	e.addTxColumn(t)
	const n = 300
	for i := range n {
		e.publish(t, "orders.created", "event-"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	e.consume(t, events.ConsumerSpec{}, insertInTx)
	waitFor(t, "every event to be acknowledged", func() bool {
		info := e.consumerInfo(t, "test")
		return info.AckFloor.Stream == n && info.NumAckPending == 0
	})
	applied := e.applied(t)
	for i := range n {
		if got := applied["v"+strconv.Itoa(i)]; got != 1 {
			t.Errorf("v%d applied %d times, want 1", i, got)
		}
	}
	var txs, largest int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(DISTINCT tx), max(c) FROM
		(SELECT tx, count(*) OVER (PARTITION BY tx) AS c FROM applied) x`).Scan(&txs, &largest); err != nil {
		t.Fatal(err)
	}
	if txs >= n/2 || largest > events.MaxBatch {
		t.Errorf("%d messages applied in %d transactions, the largest holding %d; want fewer than %d transactions, none over %d",
			n, txs, largest, n/2, events.MaxBatch)
	}
}

// One message of a backlog fails on its first delivery: the batch it was
// in is rolled back and its messages applied one at a time; every other
// message is applied once, and the failing one once on its redelivery.
func TestConsumeAppliesTheRestOfABatchAroundAFailingMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	e.addTxColumn(t)
	const n = 100
	for i := range n {
		e.publish(t, "orders.created", "event-"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	var failures atomic.Int32
	e.consume(t, events.ConsumerSpec{}, func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		if err := insertInTx(ctx, tx, msg); err != nil {
			return err
		}
		if string(msg.Data()) == "v10" && failures.Add(1) == 1 {
			return errors.New("transient failure")
		}
		return nil
	})
	waitFor(t, "every event to be acknowledged", func() bool {
		info := e.consumerInfo(t, "test")
		return info.AckFloor.Stream == n && info.NumAckPending == 0
	})
	applied := e.applied(t)
	for i := range n {
		if got := applied["v"+strconv.Itoa(i)]; got != 1 {
			t.Errorf("v%d applied %d times, want 1", i, got)
		}
	}
	if got := failures.Load(); got != 2 {
		t.Errorf("the failing message was handled %d times, want 2 (in its batch, then redelivered)", got)
	}
}

// TestAMessageIsNotGivenUpForADatabaseOutage: a handler that cannot reach
// the database past MaxDeliver deliveries keeps its message, which is
// applied once the database answers; the server is not told to drop it
// either (the consumer's MaxDeliver is unlimited there).
func TestAMessageIsNotGivenUpForADatabaseOutage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	var logs logtest.Buffer
	var calls atomic.Int32
	spec := events.ConsumerSpec{MaxDeliver: 2, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	e.consume(t, spec, func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		if calls.Add(1) <= 4 {
			return fmt.Errorf("applying: %w", &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"})
		}
		return insertApplied(ctx, tx, msg)
	})
	e.publish(t, "orders.created", "event-1", "after the outage")
	waitFor(t, "the message to be applied after the outage", func() bool { return e.applied(t)["after the outage"] == 1 })
	if got := calls.Load(); got != 5 {
		t.Errorf("handler called %d times, want 5", got)
	}
	if strings.Contains(logs.String(), "poison message") {
		t.Errorf("a message given up for an outage:\n%s", logs.String())
	}
	if info := e.consumerInfo(t, "test"); info.Config.MaxDeliver != -1 {
		t.Errorf("the server's MaxDeliver is %d, want unlimited", info.Config.MaxDeliver)
	}
}

// TestAPoisonMessageIsParkedAndTriedAgainAtTheNextStart: a message given
// up is recorded in the dead letters before the stream forgets it; each
// start of the consumer tries it again, and once a handler applies it,
// it leaves them, applied once.
func TestAPoisonMessageIsParkedAndTriedAgainAtTheNextStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	ctx := context.Background()
	var broken atomic.Bool
	broken.Store(true)
	handle := func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		if msg.Subject() == "orders.poison" && broken.Load() {
			return errors.New("cannot apply a poison order")
		}
		return insertApplied(ctx, tx, msg)
	}
	spec := events.ConsumerSpec{Durable: "parking", MaxDeliver: 2}
	parked := func() []events.Parked {
		ps, err := events.ParkedMessages(ctx, e.pool, "parking")
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	sub := e.consume(t, spec, handle)
	e.publish(t, "orders.poison", "event-1", "poison")
	e.publish(t, "orders.created", "event-2", "healthy")
	waitFor(t, "the poison message to be parked", func() bool { return len(parked()) == 1 })
	waitFor(t, "the healthy message to be applied", func() bool { return e.applied(t)["healthy"] == 1 })
	waitFor(t, "nothing to be pending", func() bool {
		info := e.consumerInfo(t, "parking")
		return info.NumAckPending == 0 && info.NumPending == 0
	})
	if got, ok := parkedGauge(t, "parking"); !ok || got != 1 {
		t.Errorf("the parked gauge reads %d (observed %v), want 1", got, ok)
	}
	p := parked()[0]
	if p.EventID != "event-1" || p.Subject != "orders.poison" || p.Stream != e.stream || p.StreamSeq != 1 ||
		p.Deliveries != 2 || p.Error != "cannot apply a poison order" || p.Retries != 0 {
		t.Fatalf("parked %+v", p)
	}
	sub.Stop()

	// Restarted with the same fault: tried once, still parked, counted.
	sub = e.consume(t, spec, handle)
	waitFor(t, "the parked message to be tried again", func() bool {
		ps := parked()
		return len(ps) == 1 && ps[0].Retries == 1
	})
	sub.Stop()
	if got := e.applied(t)["poison"]; got != 0 {
		t.Fatalf("the poison message applied %d times while its handler still fails", got)
	}

	// Restarted with the fault fixed: applied once, no longer parked.
	broken.Store(false)
	e.consume(t, spec, handle)
	waitFor(t, "the parked message to be applied", func() bool { return e.applied(t)["poison"] == 1 })
	waitFor(t, "the dead letter to be removed", func() bool { return len(parked()) == 0 })
	if got, ok := parkedGauge(t, "parking"); !ok || got != 0 {
		t.Errorf("the parked gauge reads %d (observed %v) once applied, want 0", got, ok)
	}
	var inbox int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM inbox WHERE consumer = 'parking' AND event_id = 'event-1'`).Scan(&inbox); err != nil || inbox != 1 {
		t.Fatalf("event-1 in the inbox %d times, %v; want once", inbox, err)
	}
	if got := e.applied(t); got["poison"] != 1 || got["healthy"] != 1 {
		t.Fatalf("applied %v; want each once", got)
	}
}

// TestAPoisonMessageThatCannotBeParkedIsNotGivenUp: given up unrecorded,
// a message would be lost; it is redelivered until it can be parked.
func TestAPoisonMessageThatCannotBeParkedIsNotGivenUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `ALTER TABLE dead_letters RENAME TO dead_letters_away`); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	e.consume(t, events.ConsumerSpec{MaxDeliver: 2}, func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		calls.Add(1)
		return errors.New("cannot apply")
	})
	e.publish(t, "orders.poison", "event-1", "poison")
	waitFor(t, "deliveries past MaxDeliver", func() bool { return calls.Load() >= 4 })
	if _, err := e.pool.Exec(ctx, `ALTER TABLE dead_letters_away RENAME TO dead_letters`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the message to be parked once it can be", func() bool {
		ps, err := events.ParkedMessages(ctx, e.pool, "test")
		return err == nil && len(ps) == 1 && ps[0].EventID == "event-1" && ps[0].Deliveries >= 4
	})
	waitFor(t, "nothing to be pending", func() bool {
		info := e.consumerInfo(t, "test")
		return info.NumAckPending == 0 && info.NumPending == 0
	})
}

// parkedGauge is the parked messages of consumer as the meter provider
// collects them now.
func parkedGauge(t *testing.T, consumer string) (int64, bool) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := metrics.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			g, ok := m.Data.(metricdata.Gauge[int64])
			if !ok || m.Name != events.ParkedMetric {
				continue
			}
			for _, dp := range g.DataPoints {
				if v, _ := dp.Attributes.Value("messaging.consumer.group.name"); v.AsString() == consumer {
					return dp.Value, true
				}
			}
		}
	}
	return 0, false
}

// TestAParkedMessageGoneFromItsStreamKeepsItsError: a parked message that
// cannot be read back is counted as tried, its handler's error kept.
func TestAParkedMessageGoneFromItsStreamKeepsItsError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	ctx := context.Background()
	spec := events.ConsumerSpec{Durable: "gone", MaxDeliver: 1}
	sub := e.consume(t, spec, func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		return errors.New("cannot apply")
	})
	e.publish(t, "orders.poison", "event-1", "poison")
	parked := func() []events.Parked {
		ps, err := events.ParkedMessages(ctx, e.pool, "gone")
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	waitFor(t, "the message to be parked", func() bool { return len(parked()) == 1 })
	sub.Stop()
	stream, err := e.js.Stream(ctx, e.stream)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.DeleteMsg(ctx, parked()[0].StreamSeq); err != nil {
		t.Fatal(err)
	}
	e.consume(t, spec, func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error { return insertApplied(ctx, tx, msg) })
	waitFor(t, "the parked message to be tried", func() bool {
		ps := parked()
		return len(ps) == 1 && ps[0].Retries == 1
	})
	if p := parked()[0]; p.Error != "cannot apply" {
		t.Errorf("the parked message's error became %q", p.Error)
	}
	if got := e.applied(t)["poison"]; got != 0 {
		t.Errorf("a message gone from its stream applied %d times", got)
	}
}
