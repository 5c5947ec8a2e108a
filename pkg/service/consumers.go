package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"gongjian.dev/pkg/events"
)

// Running are started consumers.
type Running struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	subs []*events.Subscription
	// ready is closed once every consumer has subscribed.
	ready chan struct{}
}

// StartConsumers starts each consumer once its stream exists, trying again
// with a growing pause until it does: a service does not wait for the
// services whose events it follows to start.
func StartConsumers(ctx context.Context, js jetstream.JetStream, pool *pgxpool.Pool, log *slog.Logger, cs []Consumer) *Running {
	ctx, cancel := context.WithCancel(ctx)
	r := &Running{cancel: cancel, ready: make(chan struct{})}
	var started sync.WaitGroup
	for _, c := range cs {
		spec := c.Spec
		if spec.Logger == nil {
			spec.Logger = log
		}
		r.wg.Add(1)
		started.Add(1)
		go func() {
			defer r.wg.Done()
			defer started.Done()
			r.start(ctx, js, pool, log, spec, c.Handle)
		}()
	}
	go func() { started.Wait(); close(r.ready) }()
	return r
}

func (r *Running) start(ctx context.Context, js jetstream.JetStream, pool *pgxpool.Pool, log *slog.Logger, spec events.ConsumerSpec, h events.Handler) {
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 30*time.Second) {
		sub, err := events.Consume(ctx, js, pool, spec, h)
		if err == nil {
			r.mu.Lock()
			r.subs = append(r.subs, sub)
			r.mu.Unlock()
			return
		}
		log.InfoContext(ctx, "waiting for the stream to consume", "stream", spec.Stream, "durable", spec.Durable, "error", err.Error())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// Ready is closed once every consumer has subscribed.
func (r *Running) Ready() <-chan struct{} { return r.ready }

// Stop stops waiting for streams and stops every subscription, each after
// the message it is handling is committed and acknowledged.
func (r *Running) Stop() {
	r.cancel()
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.subs {
		s.Stop()
	}
	r.subs = nil
}
