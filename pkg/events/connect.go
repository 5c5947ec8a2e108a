package events

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Connect opens a service's NATS connection: it keeps reconnecting for
// ever, and a publish during a reconnect fails instead of being buffered
// (ReconnectBufSize -1), which the outbox relay needs to keep its order.
// Close it with Drain.
func Connect(url, name string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true),
		nats.ReconnectBufSize(-1))
	if err != nil {
		return nil, nil, fmt.Errorf("nats: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// EnsureStreamWaiting declares a stream as EnsureStream does, waiting up to
// wait for NATS to answer (a service may start before its NATS).
func EnsureStreamWaiting(ctx context.Context, js jetstream.JetStream, spec StreamSpec, wait time.Duration, log *slog.Logger) error {
	deadline := time.Now().Add(wait)
	for {
		err := EnsureStream(ctx, js, spec)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		log.WarnContext(ctx, "waiting for NATS", "stream", spec.Name, "error", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
