package events

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"gongjian.dev/pkg/pgdb"
)

const tracerName = "gongjian.dev/pkg/events"

// Redelivery after a handler error backs off from minRetryDelay, doubling
// with each delivery, up to maxRetryDelay.
const (
	minRetryDelay = 100 * time.Millisecond
	maxRetryDelay = 30 * time.Second
)

// processor applies the messages of one subscription.
type processor struct {
	pool   *pgxpool.Pool
	js     jetstream.JetStream // reads parked messages back
	spec   ConsumerSpec
	handle Handler
	base   context.Context
}

// process applies msg once and settles it: Ack when applied or already
// applied, Nak with a delay on failure, Term once out of deliveries.
func (p *processor) process(msg jetstream.Msg) {
	ctx, span := p.startSpan(p.base, msg)
	defer span.End()
	ctx, cancel := context.WithTimeout(ctx, p.spec.AckWait)
	defer cancel()

	err := p.apply(ctx, msg)
	switch {
	case err == nil || errors.Is(err, errDuplicate):
		if err != nil {
			span.SetAttributes(attribute.Bool("gongjian.event.duplicate", true))
			p.spec.Logger.DebugContext(ctx, "events: event already applied", "subject", msg.Subject(), "event_id", eventID(msg))
		}
		p.settle(ctx, msg.Ack(), msg)
	default:
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		p.retry(ctx, msg, err)
	}
}

// processBatch applies the messages of batch in one transaction and
// acknowledges them all once it has committed. When a handler fails,
// nothing of the batch is kept: the failing message is redelivered later,
// as if it had failed alone, and each of the others is processed again in
// its own transaction (all of them when the commit failed). A batch of
// one is processed alone.
func (p *processor) processBatch(batch []jetstream.Msg) {
	if len(batch) == 1 {
		p.process(batch[0])
		return
	}
	ctx, cancel := context.WithTimeout(p.base, p.spec.AckWait)
	defer cancel()
	type item struct {
		msg       jetstream.Msg
		ctx       context.Context
		span      trace.Span
		duplicate bool
	}
	items := make([]item, len(batch))
	for i, msg := range batch {
		items[i].msg = msg
		items[i].ctx, items[i].span = p.startSpan(ctx, msg)
	}
	failed := -1
	err := pgdb.InTx(ctx, p.pool, func(tx pgx.Tx) error {
		for i := range items {
			it := &items[i]
			err := p.applyIn(it.ctx, tx, it.msg)
			it.duplicate = errors.Is(err, errDuplicate)
			if err != nil && !it.duplicate {
				failed = i
				return err
			}
		}
		return nil
	})
	if err != nil {
		// The failing message is redelivered as if it had failed alone;
		// the others are processed again, each in its own transaction.
		p.spec.Logger.DebugContext(ctx, "events: batch rolled back, applying its other messages one at a time",
			"consumer", p.spec.Durable, "messages", len(items), "error", err)
		for i, it := range items {
			it.span.SetAttributes(attribute.Int("gongjian.event.batch", len(items)))
			if i == failed {
				it.span.RecordError(err)
				it.span.SetStatus(codes.Error, err.Error())
				p.retry(it.ctx, it.msg, err)
				it.span.End()
				continue
			}
			it.span.AddEvent("batch rolled back; the message is processed again alone")
			it.span.End()
			p.process(it.msg)
		}
		return
	}
	for _, it := range items {
		it.span.SetAttributes(attribute.Int("gongjian.event.batch", len(items)))
		if it.duplicate {
			it.span.SetAttributes(attribute.Bool("gongjian.event.duplicate", true))
		}
		p.settle(it.ctx, it.msg.Ack(), it.msg)
		it.span.End()
	}
}

// startSpan starts the consumer span as a child of the trace context the
// message carries. The carrier matters: the key is stored canonicalised
// ("Traceparent") and nats.Header.Get is case-sensitive.
func (p *processor) startSpan(base context.Context, msg jetstream.Msg) (context.Context, trace.Span) {
	parent := otel.GetTextMapPropagator().Extract(base, propagation.HeaderCarrier(msg.Headers()))
	return otel.Tracer(tracerName).Start(parent, "process "+msg.Subject(),
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.operation.type", "process"),
			attribute.String("messaging.destination.name", msg.Subject()),
			attribute.String("messaging.consumer.group.name", p.spec.Durable),
			attribute.String("messaging.message.id", eventID(msg)),
		))
}

// apply records the event in the inbox and runs the handler, in one
// transaction. It returns errDuplicate, and commits nothing, when the event
// is in the inbox already.
func (p *processor) apply(ctx context.Context, msg jetstream.Msg) error {
	return pgdb.InTx(ctx, p.pool, func(tx pgx.Tx) error { return p.applyIn(ctx, tx, msg) })
}

// applyIn records the event in the inbox and runs the handler within tx,
// or returns errDuplicate, having written nothing, when the event is in
// the inbox already.
func (p *processor) applyIn(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
	id := eventID(msg)
	if id == "" {
		return errors.New("message without an event id or stream sequence")
	}
	tag, err := tx.Exec(ctx, `INSERT INTO inbox (consumer, event_id) VALUES ($1, $2)
ON CONFLICT DO NOTHING`, p.spec.Durable, id)
	if err != nil {
		return fmt.Errorf("record in inbox: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return errDuplicate
	}
	// The handler writes in the consumer's transaction but does not end it:
	// the inbox row of the next message may come after.
	return p.callHandler(ctx, pgdb.Shared(tx), msg)
}

// callHandler turns a panic of the handler into an error, so that one bad
// message is retried and then given up instead of crashing the service.
func (p *processor) callHandler(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("handler panicked: %v\n%s", v, debug.Stack())
		}
	}()
	return p.handle(ctx, tx, msg)
}

// retry has msg redelivered after a delay growing with its deliveries, or
// gives it up when it has had them all — unless the database was out of
// reach, which says nothing of the message. A message given up is parked
// first (park), and redelivered instead when it cannot be.
func (p *processor) retry(ctx context.Context, msg jetstream.Msg, cause error) {
	deliveries := numDelivered(msg)
	attrs := []any{"subject", msg.Subject(), "event_id", eventID(msg), "consumer", p.spec.Durable, "deliveries", deliveries, "error", cause}
	if p.spec.MaxDeliver > 0 && deliveries >= uint64(p.spec.MaxDeliver) && !pgdb.IsUnavailable(cause) {
		err := p.park(ctx, msg, deliveries, cause)
		if err == nil {
			p.spec.Logger.ErrorContext(ctx, "events: poison message, parked", attrs...)
			p.settle(ctx, msg.TermWithReason("handler failed "+strconv.FormatUint(deliveries, 10)+" times; parked"), msg)
			return
		}
		// Given up unrecorded, it would be lost: it comes again.
		attrs = append(attrs, "park_error", err)
	}
	delay := retryDelay(deliveries)
	p.spec.Logger.WarnContext(ctx, "events: handler failed, redelivering", append(attrs, "retry_in", delay)...)
	p.settle(ctx, msg.NakWithDelay(delay), msg)
}

// settle logs a failed acknowledgement; the server redelivers after AckWait
// and the inbox absorbs the copy.
func (p *processor) settle(ctx context.Context, err error, msg jetstream.Msg) {
	if err != nil {
		p.spec.Logger.WarnContext(ctx, "events: acknowledgement failed", "subject", msg.Subject(), "event_id", eventID(msg), "error", err)
	}
}

func (p *processor) consumeError(_ jetstream.ConsumeContext, err error) {
	p.spec.Logger.Warn("events: consume", "consumer", p.spec.Durable, "error", err)
}

// retryDelay is the capped exponential backoff for the given delivery count.
func retryDelay(deliveries uint64) time.Duration {
	delay := minRetryDelay
	for i := uint64(1); i < deliveries && delay < maxRetryDelay; i++ {
		delay *= 2
	}
	return min(delay, maxRetryDelay)
}

func numDelivered(msg jetstream.Msg) uint64 {
	md, err := msg.Metadata()
	if err != nil {
		return 1
	}
	return md.NumDelivered
}

// eventID is the Nats-Msg-Id of msg. A message published without one is
// identified by its stream and stream sequence, which is enough to absorb
// redeliveries (not re-publications). It is empty only for a message that
// did not come from JetStream.
func eventID(msg jetstream.Msg) string {
	if id := msg.Headers().Get(EventIDHeader); id != "" {
		return id
	}
	md, err := msg.Metadata()
	if err != nil {
		return ""
	}
	return md.Stream + ":" + strconv.FormatUint(md.Sequence.Stream, 10)
}
