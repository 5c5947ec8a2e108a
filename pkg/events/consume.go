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
	"go.opentelemetry.io/otel/metric"
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
	// given up as poison; default 10, -1 for no limit. A delivery that
	// failed because the database was unreachable (pgdb.IsUnavailable)
	// never gives a message up: it waits for the database to come back.
	// A message given up is parked in the dead letters and tried again
	// when the consumer next starts (ParkedMessages lists them).
	MaxDeliver int
	// Logger receives handler failures and poison messages; default
	// slog.Default().
	Logger *slog.Logger
}

// Handler applies one event within tx. Returning an error rolls tx back and
// has the message redelivered later.
type Handler func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error

// MaxBatch bounds the messages one transaction applies. A consumer that
// has fallen behind (a wave of writes upstream, a restart) applies the
// messages already waiting in its buffer together, up to MaxBatch, in one
// transaction and one durable commit; one that keeps up applies each
// message as it comes, alone.
const MaxBatch = 64

// Subscription is a running consumer.
type Subscription struct {
	cc jetstream.ConsumeContext

	// queue carries the messages the client delivers to the one worker
	// that applies them; stopping is closed by Stop, and done once the
	// worker has settled its last batch.
	queue    chan jetstream.Msg
	stopping chan struct{}
	done     chan struct{}
	once     sync.Once
	// parked reports the consumer's parked messages until Stop; retried
	// is closed once they have been tried again (retryParked).
	parked  metric.Registration
	retried chan struct{}
}

// Consume creates or updates the durable consumer of spec (explicit ack,
// from the start of the stream) and applies its messages in order with
// handle, in a transaction on pool that also records each event in the
// inbox; an event already in the inbox is acknowledged without calling
// handle. Messages waiting together are applied together, up to MaxBatch
// in one transaction, and acknowledged once it has committed; when one of
// them fails, the others are applied again one at a time, each in its own
// transaction, so that one bad message holds back no other. The
// subscription runs until Stop; ctx is used for the setup and carries its
// values, not its cancellation, into handle.
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
	p := &processor{pool: pool, js: js, spec: spec, handle: handle, base: context.WithoutCancel(ctx)}
	s := &Subscription{queue: make(chan jetstream.Msg, MaxBatch), stopping: make(chan struct{}), done: make(chan struct{}),
		retried: make(chan struct{})}
	if s.parked, err = p.observeParked(); err != nil {
		return nil, fmt.Errorf("events: the parked gauge of %s: %w", spec.Durable, err)
	}
	go func() { defer close(s.retried); p.retryParked(s.stopping) }()
	go s.work(p)
	s.cc, err = cons.Consume(s.enqueue, jetstream.ConsumeErrHandler(p.consumeError))
	if err != nil {
		s.Stop()
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
		// The processor gives a poison message up itself (MaxDeliver of
		// the spec): the server must not drop one that only met an
		// outage of the database, however long.
		MaxDeliver: -1,
	}
}

// enqueue hands a delivered message to the worker, or, once Stop was
// called, gives it back so that another replica may have it now.
func (s *Subscription) enqueue(msg jetstream.Msg) {
	select {
	case <-s.stopping:
		_ = msg.Nak()
		return
	default:
	}
	select {
	case s.queue <- msg:
	case <-s.stopping:
		_ = msg.Nak()
	}
}

// work applies the queued messages, those waiting together as one batch,
// until Stop; then it gives back what is left in the queue.
func (s *Subscription) work(p *processor) {
	defer close(s.done)
	batch := make([]jetstream.Msg, 0, MaxBatch)
	for {
		select {
		case <-s.stopping:
			s.giveBack()
			return
		default:
		}
		select {
		case <-s.stopping:
			s.giveBack()
			return
		case msg := <-s.queue:
			batch = append(batch[:0], msg)
		}
	fill:
		for len(batch) < MaxBatch {
			select {
			case msg := <-s.queue:
				batch = append(batch, msg)
			default:
				break fill
			}
		}
		p.processBatch(batch)
		clear(batch)
	}
}

func (s *Subscription) giveBack() {
	for {
		select {
		case msg := <-s.queue:
			_ = msg.Nak()
		default:
			return
		}
	}
}

// Stop stops taking messages and returns once the batch being applied, if
// any, is committed and acknowledged (or rolled back). Messages delivered
// but not started are given back (Nak) for redelivery; those still in the
// client's buffer come again after AckWait. Stop is safe to call twice.
func (s *Subscription) Stop() {
	s.once.Do(func() {
		close(s.stopping)
		if s.parked != nil {
			_ = s.parked.Unregister()
		}
	})
	if s.cc != nil {
		s.cc.Stop()
	}
	<-s.done
	<-s.retried
	s.giveBack()
}

// errDuplicate marks an event found in the inbox.
var errDuplicate = errors.New("event already applied")
