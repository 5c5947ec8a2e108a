package outbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

const tracerName = "gongjian.dev/pkg/outbox"

// stored is an outbox row read back for publishing.
type stored struct {
	seq       int64
	id        string
	subject   string
	eventType string
	payload   []byte
	headers   map[string]string
}

// publishError reports the first event of a batch that was not published.
type publishError struct {
	eventID string
	err     error
}

func (e *publishError) Error() string {
	return fmt.Sprintf("publish event %s: %v", e.eventID, e.err)
}

func (e *publishError) Unwrap() error { return e.err }

// relayBatch publishes the oldest events and deletes those acknowledged. It
// returns how many it published; when that is fewer than it read, the error
// is a *publishError naming the first event left in the outbox.
func (r *Relay) relayBatch(ctx context.Context, conn *pgx.Conn) (int, error) {
	evs, err := fetch(ctx, conn, r.opts.BatchSize)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	acked, pubErr := r.publish(ctx, evs)
	if acked > 0 {
		if err := deleteRows(ctx, conn, evs[:acked]); err != nil {
			return 0, err
		}
		r.published.Add(uint64(acked))
	}
	if pubErr != nil {
		return acked, pubErr
	}
	return acked, nil
}

func fetch(ctx context.Context, conn *pgx.Conn, limit int) ([]stored, error) {
	rows, err := conn.Query(ctx, `SELECT seq, id::text, subject, event_type, payload, headers
FROM outbox ORDER BY seq LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	evs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (stored, error) {
		var ev stored
		err := row.Scan(&ev.seq, &ev.id, &ev.subject, &ev.eventType, &ev.payload, &ev.headers)
		return ev, err
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return evs, nil
}

func deleteRows(ctx context.Context, conn *pgx.Conn, evs []stored) error {
	seqs := make([]int64, len(evs))
	for i, ev := range evs {
		seqs[i] = ev.seq
	}
	if _, err := conn.Exec(ctx, `DELETE FROM outbox WHERE seq = ANY($1)`, seqs); err != nil {
		return fmt.Errorf("delete published events: %w", err)
	}
	return nil
}

// inflight is a message sent and not yet acknowledged.
type inflight struct {
	ack  jetstream.PubAckFuture
	span trace.Span
}

// publish sends evs in order without waiting for each acknowledgement, then
// waits for all of them. It returns the length of the acknowledged prefix:
// events after the first failure may have been stored too, and the stream
// drops them as duplicates when they are sent again.
func (r *Relay) publish(ctx context.Context, evs []stored) (int, error) {
	sent, sendErr := r.send(evs)
	acked, ackErr := r.awaitAcks(ctx, evs, sent)
	switch {
	case ackErr != nil:
		return acked, ackErr
	case sendErr != nil:
		return acked, &publishError{eventID: evs[len(sent)].id, err: sendErr}
	}
	return acked, nil
}

// send publishes asynchronously until a publish is refused.
func (r *Relay) send(evs []stored) ([]inflight, error) {
	sent := make([]inflight, 0, len(evs))
	for _, ev := range evs {
		msg, span := message(ev)
		// No retry inside the client: it would resend a refused message
		// after later ones were stored. The relay retries in order instead.
		ack, err := r.js.PublishMsgAsync(msg, jetstream.WithMsgID(ev.id), jetstream.WithRetryAttempts(0))
		if err != nil {
			endSpan(span, err)
			return sent, err
		}
		sent = append(sent, inflight{ack: ack, span: span})
	}
	return sent, nil
}

// awaitAcks waits for every sent message, so that no span is left open, and
// returns the length of the acknowledged prefix and the first failure.
func (r *Relay) awaitAcks(ctx context.Context, evs []stored, sent []inflight) (int, error) {
	actx, cancel := context.WithTimeout(ctx, r.opts.PublishTimeout)
	defer cancel()
	acked := 0
	var first error
	for i, f := range sent {
		err := r.awaitAck(actx, f.ack)
		if err != nil && ctx.Err() == nil && actx.Err() != nil {
			err = errAckTimeout
		}
		endSpan(f.span, err)
		if err != nil && first == nil {
			first = &publishError{eventID: evs[i].id, err: err}
		}
		if err == nil && first == nil {
			acked++
		}
	}
	return acked, first
}

var errAckTimeout = errors.New("no acknowledgement within the publish timeout")

func (r *Relay) awaitAck(ctx context.Context, f jetstream.PubAckFuture) error {
	select {
	case ack := <-f.Ok():
		if ack.Duplicate {
			r.duplicates.Add(1)
		}
		return nil
	case err := <-f.Err():
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// message builds the NATS message of ev inside a new producer span, child of
// the trace context captured at enqueue; the message carries the span's
// context so the consumer's span is its child.
func message(ev stored) (*nats.Msg, trace.Span) {
	prop := otel.GetTextMapPropagator()
	parent := prop.Extract(context.Background(), propagation.MapCarrier(ev.headers))
	ctx, span := otel.Tracer(tracerName).Start(parent, "publish "+ev.subject,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.operation.type", "send"),
			attribute.String("messaging.destination.name", ev.subject),
			attribute.String("messaging.message.id", ev.id),
		))
	msg := nats.NewMsg(ev.subject)
	msg.Data = ev.payload
	prop.Inject(ctx, propagation.HeaderCarrier(msg.Header))
	msg.Header.Set(EventTypeHeader, ev.eventType)
	return msg, span
}

func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
