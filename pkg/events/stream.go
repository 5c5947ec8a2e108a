// Package events declares JetStream streams and runs durable consumers that
// apply each event once.
//
// Events are published by package outbox. Their identity is the Nats-Msg-Id
// header (EventIDHeader), which the relay always sets to the outbox event ID:
// the stream uses it to drop re-published copies within its de-duplication
// window, and Consume records it in the service's inbox table (created by
// outbox.Migrations) in the transaction of the handler, so that a redelivered
// or re-published event is applied once.
package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultDuplicates is the default de-duplication window of a stream. It must
// outlast a NATS outage: the outbox relay re-publishes what it could not get
// acknowledged, and only copies within the window are dropped by the server.
const DefaultDuplicates = 2 * time.Hour

// StreamSpec describes a stream.
type StreamSpec struct {
	// Name is the stream name, for example "ORGANISATION".
	Name string
	// Subjects are the subjects the stream stores, for example
	// "organisation.>".
	Subjects []string
	// Duplicates is the de-duplication window; default DefaultDuplicates.
	Duplicates time.Duration
	// Replicas is the number of copies in a cluster; default 1.
	Replicas int
}

// EnsureStream creates the stream, file-backed, or updates it to spec. It is
// idempotent, so every service declares the streams it publishes at start.
func EnsureStream(ctx context.Context, js jetstream.JetStream, spec StreamSpec) error {
	if spec.Name == "" || len(spec.Subjects) == 0 {
		return errors.New("events: a stream needs a name and subjects")
	}
	if _, err := js.CreateOrUpdateStream(ctx, streamConfig(spec)); err != nil {
		return fmt.Errorf("events: ensure stream %s: %w", spec.Name, err)
	}
	return nil
}

func streamConfig(spec StreamSpec) jetstream.StreamConfig {
	cfg := jetstream.StreamConfig{
		Name:       spec.Name,
		Subjects:   spec.Subjects,
		Storage:    jetstream.FileStorage,
		Duplicates: spec.Duplicates,
		Replicas:   spec.Replicas,
	}
	if cfg.Duplicates <= 0 {
		cfg.Duplicates = DefaultDuplicates
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	return cfg
}
