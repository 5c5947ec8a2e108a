package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"gongjian.dev/pkg/natsembed"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/pgtest"
)

func TestEnqueueRejectsInvalidEvents(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, "svc", outbox.Migrations)
	msg := wrapperspb.String("x")
	tests := []struct {
		name string
		ev   outbox.Event
	}{
		{"an event without subject", outbox.Event{Message: msg}},
		{"an event without message", outbox.Event{Subject: "a.b"}},
		{"an event whose id is not a uuid", outbox.Event{ID: "42", Subject: "a.b", Message: msg}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := pgdb.InTx(context.Background(), pool, func(tx pgx.Tx) error {
				return outbox.Enqueue(context.Background(), tx, tt.ev)
			})
			if err == nil {
				t.Fatal("Enqueue succeeded, want an error")
			}
		})
	}
	if n := outboxCount(t, pool); n != 0 {
		t.Errorf("outbox holds %d rows after failed enqueues, want 0", n)
	}
}

func TestEnqueueStoresEventWithTraceContext(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, "svc", outbox.Migrations)
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled,
	})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	enqueue(t, ctx, pool, outbox.Event{Subject: "org.created", AggregateID: "org-1", Message: wrapperspb.String("hello")})

	var (
		id, subject, aggregate, eventType string
		payload                           []byte
		headers                           map[string]string
	)
	err := pool.QueryRow(ctx, `SELECT id::text, subject, aggregate_id, event_type, payload, headers FROM outbox`).
		Scan(&id, &subject, &aggregate, &eventType, &payload, &headers)
	if err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	if u, err := uuid.Parse(id); err != nil || u.Version() != 7 {
		t.Errorf("generated id %q is not a UUIDv7 (err %v)", id, err)
	}
	got := []string{subject, aggregate, eventType, headers["traceparent"]}
	want := []string{"org.created", "org-1", "google.protobuf.StringValue",
		"00-01000000000000000000000000000000-0200000000000000-01"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored event (-want +got):\n%s", diff)
	}
	var decoded wrapperspb.StringValue
	if err := proto.Unmarshal(payload, &decoded); err != nil || decoded.GetValue() != "hello" {
		t.Errorf("payload = %v (err %v), want \"hello\"", decoded.GetValue(), err)
	}
}

func TestRelayPublishesEveryEventOnceInOrder(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, "svc", outbox.Migrations)
	srv := startNATS(t, natsembed.Options{})
	js := connect(t, srv.URL())
	stream := createStream(t, js, "ORDERS", "orders.>")
	// Enqueue before the relay runs, in several transactions, so that it
	// drains a backlog across several batches.
	var ids []string
	for tx := 0; tx < 5; tx++ {
		evs := make([]outbox.Event, 30)
		for i := range evs {
			evs[i] = newEvent(fmt.Sprintf("orders.%d", i%3), fmt.Sprintf("e%d", len(ids)))
			ids = append(ids, evs[i].ID)
		}
		enqueue(t, context.Background(), pool, evs...)
	}
	relay := runRelay(t, pool, js, outbox.RelayOptions{BatchSize: 64})

	waitFor(t, "the outbox to drain", func() bool { return outboxCount(t, pool) == 0 })
	msgs := streamMessages(t, stream)
	if diff := cmp.Diff(ids, msgIDs(msgs)); diff != "" {
		t.Errorf("Nats-Msg-Id in stream order (-want +got):\n%s", diff)
	}
	for i, m := range msgs {
		if got := m.Header.Get(outbox.EventTypeHeader); got != "google.protobuf.StringValue" {
			t.Fatalf("message %d: %s = %q", i, outbox.EventTypeHeader, got)
		}
		var v wrapperspb.StringValue
		if err := proto.Unmarshal(m.Data, &v); err != nil || v.GetValue() != fmt.Sprintf("e%d", i) {
			t.Fatalf("message %d: payload %q (err %v), want e%d", i, v.GetValue(), err, i)
		}
	}
	if got := relay.Stats().Published; got != uint64(len(ids)) {
		t.Errorf("Stats().Published = %d, want %d", got, len(ids))
	}
}

func TestRelayPublishesNothingForRolledBackTransaction(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, "svc", outbox.Migrations)
	srv := startNATS(t, natsembed.Options{})
	js := connect(t, srv.URL())
	stream := createStream(t, js, "ORDERS", "orders.>")
	runRelay(t, pool, js, outbox.RelayOptions{})

	errRollback := errors.New("roll back")
	err := pgdb.InTx(context.Background(), pool, func(tx pgx.Tx) error {
		if err := outbox.Enqueue(context.Background(), tx, newEvent("orders.lost", "lost")); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx = %v, want the rollback error", err)
	}
	// The relay publishes in order: once a later event is in the stream,
	// an earlier committed one would be too.
	marker := newEvent("orders.marker", "marker")
	enqueue(t, context.Background(), pool, marker)
	waitFor(t, "the marker event", func() bool { return streamMsgCount(t, stream) >= 1 })
	waitFor(t, "the outbox to drain", func() bool { return outboxCount(t, pool) == 0 })
	if diff := cmp.Diff([]string{marker.ID}, msgIDs(streamMessages(t, stream))); diff != "" {
		t.Errorf("stream messages (-want +got):\n%s", diff)
	}
}

// Two replicas run a relay with the same lock: one publishes, the other
// stands by, and takes over when the first stops.
func TestStandbyRelayTakesOverInOrder(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, "svc", outbox.Migrations)
	srv := startNATS(t, natsembed.Options{})
	js := connect(t, srv.URL())
	stream := createStream(t, js, "ORDERS", "orders.>")
	opts := outbox.RelayOptions{LockKey: 7, BatchSize: 8}
	first, stopFirst := startRelay(t, pool, js, opts)
	waitFor(t, "the first relay to be active", func() bool {
		return relayIsActive(t, pool)
	})
	second := runRelay(t, pool, js, opts)

	ids := enqueueN(t, pool, 40)
	// The rows are gone once the server commits the relay's DELETE; the
	// relay counts them once it has read the answer. Stopped in between,
	// it cannot know that the rows went, and does not count them.
	waitFor(t, "the outbox to drain", func() bool { return outboxCount(t, pool) == 0 && first.Stats().Published == 40 })
	stopFirst()
	ids = append(ids, enqueueN(t, pool, 40)...)
	waitFor(t, "the standby to drain the outbox", func() bool { return outboxCount(t, pool) == 0 })

	if diff := cmp.Diff(ids, msgIDs(streamMessages(t, stream))); diff != "" {
		t.Errorf("stream messages (-want +got):\n%s", diff)
	}
	got := []uint64{first.Stats().Published, second.Stats().Published}
	if diff := cmp.Diff([]uint64{40, 40}, got); diff != "" {
		t.Errorf("events published by each relay (-want +got):\n%s", diff)
	}
}

// relayIsActive reports whether a session holds the relays' advisory lock.
func relayIsActive(t *testing.T, pool *pgxpool.Pool) bool {
	t.Helper()
	var n int
	err := pool.QueryRow(context.Background(),
		`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n)
	if err != nil {
		t.Fatalf("read locks: %v", err)
	}
	return n > 0
}

// enqueueN enqueues n events, one transaction each, and returns their ids.
func enqueueN(t *testing.T, pool *pgxpool.Pool, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ev := newEvent("orders.x", fmt.Sprint(i))
		ids[i] = ev.ID
		enqueue(t, context.Background(), pool, ev)
	}
	return ids
}

// A relay that crashed after publishing but before deleting leaves published
// events in the outbox; the next one sends them again and the stream drops
// them by their Nats-Msg-Id.
func TestRelayResendAfterCrashIsDroppedByStream(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, "svc", outbox.Migrations)
	srv := startNATS(t, natsembed.Options{})
	js := connect(t, srv.URL())
	stream := createStream(t, js, "ORDERS", "orders.>")
	var ids []string
	for i := range 10 {
		ev := newEvent("orders.x", fmt.Sprint(i))
		ids = append(ids, ev.ID)
		enqueue(t, context.Background(), pool, ev)
		if i < 4 { // what the crashed relay got out
			if _, err := js.Publish(context.Background(), ev.Subject, nil, jetstream.WithMsgID(ev.ID)); err != nil {
				t.Fatalf("publish: %v", err)
			}
		}
	}
	relay := runRelay(t, pool, js, outbox.RelayOptions{})
	waitFor(t, "the outbox to drain", func() bool { return outboxCount(t, pool) == 0 })
	if diff := cmp.Diff(ids, msgIDs(streamMessages(t, stream))); diff != "" {
		t.Errorf("stream messages (-want +got):\n%s", diff)
	}
	if got, want := relay.Stats(), (outbox.Stats{Published: 10, Duplicates: 4}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
}

func newEvent(subject, value string) outbox.Event {
	return outbox.Event{
		ID:          uuid.NewString(),
		Subject:     subject,
		AggregateID: "agg-" + value,
		Message:     wrapperspb.String(value),
	}
}

func TestQueueManyStoresEveryEventInOrder(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, "svc", outbox.Migrations)
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{3}, SpanID: trace.SpanID{4}, TraceFlags: trace.FlagsSampled})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	evs := make([]outbox.Event, 200)
	var want []string
	for i := range evs {
		evs[i] = newEvent(fmt.Sprintf("orders.%d", i%3), fmt.Sprint(i))
		want = append(want, evs[i].ID+" "+evs[i].Subject+" "+evs[i].AggregateID)
	}
	err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		if err := outbox.QueueMany(ctx, b, evs...); err != nil {
			return err
		}
		outbox.QueueNotify(b)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		t.Fatalf("QueueMany: %v", err)
	}
	rows, err := pool.Query(ctx, `SELECT id::text || ' ' || subject || ' ' || aggregate_id, headers->>'traceparent' FROM outbox ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var got, parents []string
	for rows.Next() {
		var row, parent string
		if err := rows.Scan(&row, &parent); err != nil {
			t.Fatal(err)
		}
		got, parents = append(got, row), append(parents, parent)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outbox rows in order (-want +got):\n%s", diff)
	}
	if parents[0] != "00-03000000000000000000000000000000-0400000000000000-01" {
		t.Errorf("traceparent = %q", parents[0])
	}
}

// TestWakeAfterCommitWakesTheRelayBeforeItsPoll commits events without a
// notification in the transaction, as the services' stores do, and wakes
// the relay after the commit: the events are published long before the
// relay's poll (a minute here) would have found them, and wakes sent in a
// burst are folded, none lost.
func TestWakeAfterCommitWakesTheRelayBeforeItsPoll(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, "svc", outbox.Migrations)
	srv := startNATS(t, natsembed.Options{})
	js := connect(t, srv.URL())
	stream := createStream(t, js, "ORDERS", "orders.>")
	relay := runRelay(t, pool, js, outbox.RelayOptions{BatchSize: 64, PollInterval: time.Minute})
	// The relay's first look at the outbox comes as it starts: wait for it
	// to be waiting for a notification.
	time.Sleep(300 * time.Millisecond)

	ctx := context.Background()
	var ids []string
	for round := range 3 {
		for i := range 20 {
			ev := newEvent("orders.1", fmt.Sprintf("r%d-%d", round, i))
			ids = append(ids, ev.ID)
			err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
				b := &pgx.Batch{}
				if err := outbox.Queue(ctx, b, ev); err != nil {
					return err
				}
				return tx.SendBatch(ctx, b).Close()
			})
			if err != nil {
				t.Fatal(err)
			}
			outbox.Wake(pool)
		}
		start := time.Now()
		waitFor(t, "the woken relay to publish", func() bool { return outboxCount(t, pool) == 0 })
		if d := time.Since(start); d > 20*time.Second {
			t.Fatalf("round %d published after %s, as late as a poll", round, d)
		}
	}
	if diff := cmp.Diff(ids, msgIDs(streamMessages(t, stream))); diff != "" {
		t.Errorf("Nats-Msg-Id in stream order (-want +got):\n%s", diff)
	}
	if got := relay.Stats().Published; got != uint64(len(ids)) {
		t.Errorf("Stats().Published = %d, want %d", got, len(ids))
	}
}
