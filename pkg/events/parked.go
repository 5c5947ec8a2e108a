package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// parkTimeout bounds the writes of parking and of trying parked messages
// again, which run after the handler's own time may have run out.
const parkTimeout = 10 * time.Second

// gaugeTimeout bounds the count of the parked gauge.
const gaugeTimeout = time.Second

// park records msg in the dead letters (outbox.Migrations) as given up
// after deliveries, for cause. Only once it is recorded may the stream be
// told to give the message up: a message that could not be parked is
// redelivered instead.
func (p *processor) park(ctx context.Context, msg jetstream.Msg, deliveries uint64, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), parkTimeout)
	defer cancel()
	md, err := msg.Metadata()
	if err != nil {
		return fmt.Errorf("park: %w", err)
	}
	_, err = p.pool.Exec(ctx, `INSERT INTO dead_letters (consumer, event_id, stream, stream_seq, subject, deliveries, error)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (consumer, event_id) DO UPDATE SET stream = EXCLUDED.stream, stream_seq = EXCLUDED.stream_seq,
	deliveries = EXCLUDED.deliveries, error = EXCLUDED.error, parked_at = now()`,
		p.spec.Durable, eventID(msg), md.Stream, int64(md.Sequence.Stream), msg.Subject(), int64(deliveries), cause.Error())
	if err != nil {
		return fmt.Errorf("park: %w", err)
	}
	return nil
}

// ParkedMetric is the gauge of the messages each consumer has parked and
// not yet applied, by consumer: anything above zero wants an operator.
const ParkedMetric = "gongjian.events.parked"

// observeParked reports the consumer's parked messages as ParkedMetric
// whenever the meter provider collects (every minute with OTLP; never
// without a provider), counted from its dead letters. The registration
// ends with the subscription.
func (p *processor) observeParked() (metric.Registration, error) {
	meter := otel.GetMeterProvider().Meter(tracerName)
	gauge, err := meter.Int64ObservableGauge(ParkedMetric, metric.WithUnit("{message}"),
		metric.WithDescription("Messages the consumer gave up after all their deliveries, parked and not yet applied."))
	if err != nil {
		return nil, err
	}
	attrs := metric.WithAttributeSet(attribute.NewSet(attribute.String("messaging.consumer.group.name", p.spec.Durable)))
	return meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		// Briefly: a pool run dry must not hold up the collection of
		// every other metric of the process.
		ctx, cancel := context.WithTimeout(ctx, gaugeTimeout)
		defer cancel()
		var n int64
		if err := p.pool.QueryRow(ctx, `SELECT count(*) FROM dead_letters WHERE consumer = $1`, p.spec.Durable).Scan(&n); err != nil {
			return nil // not observed this time: the database is away
		}
		o.ObserveInt64(gauge, n, attrs)
		return nil
	}, gauge)
}

// Parked is a message a consumer gave up, as its dead letter records it.
type Parked struct {
	EventID    string
	Stream     string
	StreamSeq  uint64
	Subject    string
	Deliveries uint64
	Error      string
	ParkedAt   time.Time
	Retries    int
}

// ParkedMessages lists the messages the consumer durable has parked and
// not yet applied, oldest first: what an operator looks at after the
// error "events: poison message, parked".
func ParkedMessages(ctx context.Context, db *pgxpool.Pool, durable string) ([]Parked, error) {
	rows, err := db.Query(ctx, `SELECT event_id, stream, stream_seq, subject, deliveries, error, parked_at, retries
FROM dead_letters WHERE consumer = $1 ORDER BY parked_at, stream_seq`, durable)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Parked
	for rows.Next() {
		var d Parked
		var seq, deliveries int64
		if err := rows.Scan(&d.EventID, &d.Stream, &seq, &d.Subject, &deliveries, &d.Error, &d.ParkedAt, &d.Retries); err != nil {
			return nil, err
		}
		d.StreamSeq, d.Deliveries = uint64(seq), uint64(deliveries)
		out = append(out, d)
	}
	return out, rows.Err()
}

// retryParked tries each parked message of the consumer once more, read
// back from its stream by sequence and applied as a delivery would be (the
// inbox first, then the handler, in one transaction). One applied, or
// found applied already, leaves the dead letters; one that fails again
// stays, its retries counted and its error the latest. It runs when the
// consumer starts, beside the deliveries (the inbox keeps each event
// applied once): a new version of a service meets the messages the old
// one could not apply, and parked messages that fail slowly hold up no
// delivery.
func (p *processor) retryParked(stopping <-chan struct{}) {
	ctx, cancel := context.WithTimeout(p.base, parkTimeout)
	parked, err := ParkedMessages(ctx, p.pool, p.spec.Durable)
	cancel()
	if err != nil {
		p.spec.Logger.Warn("events: parked messages not read; they are tried again at the next start", "consumer", p.spec.Durable, "error", err)
		return
	}
	for _, d := range parked {
		select {
		case <-stopping:
			return
		default:
		}
		p.retryOne(d)
	}
}

func (p *processor) retryOne(d Parked) {
	ctx, cancel := context.WithTimeout(p.base, p.spec.AckWait)
	defer cancel()
	attrs := []any{"consumer", p.spec.Durable, "event_id", d.EventID, "subject", d.Subject, "stream_seq", d.StreamSeq}
	var raw *jetstream.RawStreamMsg
	s, err := p.js.Stream(ctx, d.Stream)
	if err == nil {
		raw, err = s.GetMsg(ctx, d.StreamSeq)
	}
	handled := false // the handler failed: its error is the one to keep
	if err == nil {
		msg := storedMsg{raw: raw, stream: d.Stream}
		if got := eventID(msg); got != d.EventID {
			err = fmt.Errorf("the stream's message %d is event %q now, not %q", d.StreamSeq, got, d.EventID)
		} else {
			q := *p
			q.handle = func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
				err := p.handle(ctx, tx, msg)
				handled = err != nil
				return err
			}
			mctx, span := q.startSpan(ctx, msg)
			err = q.apply(mctx, msg)
			span.End()
		}
	}
	// The bookkeeping gets time of its own: the apply may have used all
	// of ctx's.
	bctx, bcancel := context.WithTimeout(p.base, parkTimeout)
	defer bcancel()
	if err == nil || errors.Is(err, errDuplicate) {
		_, derr := p.pool.Exec(bctx, `DELETE FROM dead_letters WHERE consumer = $1 AND event_id = $2`, p.spec.Durable, d.EventID)
		if derr != nil {
			p.spec.Logger.Warn("events: parked message applied, its dead letter not removed", append(attrs, "error", derr)...)
			return
		}
		p.spec.Logger.Info("events: parked message applied", attrs...)
		return
	}
	if handled {
		p.spec.Logger.Error("events: parked message failed again", append(attrs, "retries", d.Retries+1, "error", err)...)
	} else {
		// Not read back (the stream away, the message deleted), or not
		// applied for want of the database: the handler's last error
		// stays the one recorded.
		p.spec.Logger.Error("events: parked message not tried: not read back from its stream, or the database failed", append(attrs, "error", err)...)
	}
	if _, uerr := p.pool.Exec(bctx, `UPDATE dead_letters SET retries = retries + 1, retried_at = now(),
	error = CASE WHEN $4 THEN $3 ELSE error END
WHERE consumer = $1 AND event_id = $2`, p.spec.Durable, d.EventID, err.Error(), handled); uerr != nil {
		p.spec.Logger.Warn("events: parked message's retry not recorded", append(attrs, "error", uerr)...)
	}
}

// storedMsg is a message read back from its stream, handed to a handler
// as a delivery: the handler reads it and cannot settle it (there is no
// delivery to settle).
type storedMsg struct {
	raw    *jetstream.RawStreamMsg
	stream string
}

var _ jetstream.Msg = storedMsg{}

func (m storedMsg) Metadata() (*jetstream.MsgMetadata, error) {
	return &jetstream.MsgMetadata{Sequence: jetstream.SequencePair{Stream: m.raw.Sequence}, NumDelivered: 1,
		Timestamp: m.raw.Time, Stream: m.stream}, nil
}
func (m storedMsg) Data() []byte                     { return m.raw.Data }
func (m storedMsg) Headers() nats.Header             { return m.raw.Header }
func (m storedMsg) Subject() string                  { return m.raw.Subject }
func (m storedMsg) Reply() string                    { return "" }
func (m storedMsg) Ack() error                       { return errNotDelivered }
func (m storedMsg) DoubleAck(context.Context) error  { return errNotDelivered }
func (m storedMsg) Nak() error                       { return errNotDelivered }
func (m storedMsg) NakWithDelay(time.Duration) error { return errNotDelivered }
func (m storedMsg) InProgress() error                { return errNotDelivered }
func (m storedMsg) Term() error                      { return errNotDelivered }
func (m storedMsg) TermWithReason(string) error      { return errNotDelivered }

var errNotDelivered = errors.New("events: a parked message read back from its stream is not a delivery to settle")
