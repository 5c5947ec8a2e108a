package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
)

// EventIDHeader is the header that identifies an event: the outbox relay sets
// it to the event ID, and consumers remember it in their inbox.
const EventIDHeader = jetstream.MsgIDHeader

// Defaults of ConsumerSpec.
const (
	DefaultAckWait    = 30 * time.Second
	DefaultMaxDeliver = 10
)

// ConsumerSpec describes a durable consumer.
type ConsumerSpec struct {
	// Stream is the stream to consume.
	Stream string
	// Durable names the consumer; replicas of a service share it, and it
	// keys the inbox, so it must not change once events were applied.
	Durable string
	// FilterSubjects restricts the subjects consumed; empty means all.
	FilterSubjects []string
	// AckWait is how long the server waits for an acknowledgement before
	// redelivering; it also bounds one handler call. Default 30s.
	AckWait time.Duration
	// MaxDeliver is how many times a message is delivered before it is
	// given up as poison; default 10, -1 for no limit.
	MaxDeliver int
	// Logger receives handler failures and poison messages; default
	// slog.Default().
	Logger *slog.Logger
}

// Handler applies one event within tx. Returning an error rolls tx back and
// has the message redelivered later.
type Handler func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error

// Subscription is a running consumer.
type Subscription struct {
	cc jetstream.ConsumeContext

	mu       sync.Mutex
	stopped  bool
	inflight sync.WaitGroup
}

// Consume creates or updates the durable consumer of spec (explicit ack,
// from the start of the stream) and applies its messages one at a time with
// handle, each in a transaction on pool that also records the event in the
// inbox; an event already in the inbox is acknowledged without calling
// handle. The subscription runs until Stop; ctx is used for the setup and
// carries its values, not its cancellation, into handle.
//
// A message whose handler fails is redelivered after a delay, behind the
// messages that follow it: handlers must not rely on strict order across a
// failure.
func Consume(ctx context.Context, js jetstream.JetStream, pool *pgxpool.Pool, spec ConsumerSpec, handle Handler) (*Subscription, error) {
	if spec.Stream == "" || spec.Durable == "" || handle == nil {
		return nil, errors.New("events: a consumer needs a stream, a durable name and a handler")
	}
	spec = specDefaults(spec)
	cons, err := js.CreateOrUpdateConsumer(ctx, spec.Stream, consumerConfig(spec))
	if err != nil {
		return nil, fmt.Errorf("events: consumer %s on %s: %w", spec.Durable, spec.Stream, err)
	}
	p := &processor{pool: pool, spec: spec, handle: handle, base: context.WithoutCancel(ctx)}
	s := &Subscription{}
	s.cc, err = cons.Consume(s.gate(p.process), jetstream.ConsumeErrHandler(p.consumeError))
	if err != nil {
		return nil, fmt.Errorf("events: consume %s: %w", spec.Durable, err)
	}
	return s, nil
}

func specDefaults(spec ConsumerSpec) ConsumerSpec {
	if spec.AckWait <= 0 {
		spec.AckWait = DefaultAckWait
	}
	if spec.MaxDeliver == 0 {
		spec.MaxDeliver = DefaultMaxDeliver
	}
	if spec.Logger == nil {
		spec.Logger = slog.Default()
	}
	return spec
}

func consumerConfig(spec ConsumerSpec) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        spec.Durable,
		AckPolicy:      jetstream.AckExplicitPolicy,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		FilterSubjects: spec.FilterSubjects,
		AckWait:        spec.AckWait,
		MaxDeliver:     spec.MaxDeliver,
	}
}

// gate wraps process so that Stop can wait for the message in flight and no
// message starts after it.
func (s *Subscription) gate(process func(jetstream.Msg)) jetstream.MessageHandler {
	return func(msg jetstream.Msg) {
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			_ = msg.Nak() // let another replica have it now
			return
		}
		s.inflight.Add(1)
		s.mu.Unlock()
		defer s.inflight.Done()
		process(msg)
	}
}

// Stop stops taking messages and returns once the message being handled, if
// any, is committed and acknowledged (or rolled back). Messages buffered but
// not started are redelivered after AckWait. Stop is safe to call twice.
func (s *Subscription) Stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.cc.Stop()
	s.inflight.Wait()
}

// errDuplicate marks an event found in the inbox.
var errDuplicate = errors.New("event already applied")
