package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/deploy/local/internal/perf"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/outbox"
)

func init() {
	register(50, "event-lag", measureEventLag)
}

// lagRate is the event rate of the lag measurement.
const lagRate = 500

// probeStream holds the probe events; no service consumes it.
var probeStream = events.StreamSpec{Name: "PERF", Subjects: []string{"gongjian.perf.>"}}

// measureEventLag commits events into the organisation service's outbox at
// lagRate a second, each in a transaction of its own, and reads them back
// from JetStream (fsync before acknowledging) as a consumer would: the lag
// is from the commit's return to the consumer's receipt, through the
// service's relay (woken by NOTIFY).
func measureEventLag(ctx context.Context, s *system) ([]perf.Row, error) {
	if err := events.EnsureStream(ctx, s.js, probeStream); err != nil {
		return nil, err
	}
	var mu sync.Mutex
	received := map[string]time.Time{}
	committed := map[string]time.Time{}
	cons, err := s.js.OrderedConsumer(ctx, probeStream.Name, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return nil, err
	}
	sub, err := cons.Consume(func(msg jetstream.Msg) {
		at := time.Now()
		mu.Lock()
		received[msg.Headers().Get(jetstream.MsgIDHeader)] = at
		mu.Unlock()
	})
	if err != nil {
		return nil, err
	}
	defer sub.Stop()
	pool, err := s.pool(ctx, "organisation")
	if err != nil {
		return nil, err
	}
	res := s.run(ctx, perf.Load{Workers: 16, Duration: time.Duration(s.cfg.Seconds) * time.Second, Rate: lagRate},
		func(ctx context.Context, w int) error {
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			tx, err := pool.Begin(ctx)
			if err != nil {
				return err
			}
			defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
			if err := outbox.Enqueue(ctx, tx, outbox.Event{ID: id.String(), Subject: "gongjian.perf.v1.probe",
				AggregateID: id.String(), Message: timestamppb.Now()}); err != nil {
				return err
			}
			if err := tx.Commit(ctx); err != nil {
				return err
			}
			at := time.Now()
			mu.Lock()
			committed[id.String()] = at
			mu.Unlock()
			return nil
		})
	// Wait for the last events.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		done := len(received) >= len(committed)
		mu.Unlock()
		if done {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	var lags []time.Duration
	for id, c := range committed {
		if r, ok := received[id]; ok {
			lags = append(lags, max(0, r.Sub(c)))
		}
	}
	slices.Sort(lags)
	lag := perf.Result{Calls: len(lags), Elapsed: res.Elapsed, Latencies: lags, CPU: res.CPU}
	row := lag.Row("event lag, commit → consumer")
	row.Errors = len(committed) - len(lags) + res.Errors
	row.Note = fmt.Sprintf("%d events committed at %d/s, %d received; NATS fsync before ack; target p99 ≤ 50 ms", len(committed), lagRate, len(lags))
	return []perf.Row{row}, nil
}
