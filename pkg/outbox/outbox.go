// Package outbox implements the transactional outbox: a service writes the
// events describing a change into its own database, in the transaction that
// makes the change, and a Relay publishes them to JetStream afterwards. An
// event is published if and only if its transaction commits, and at least
// once: the relay publishes each event with its ID as Nats-Msg-Id so that the
// stream drops the copies a retry sends within its de-duplication window,
// and consumers drop the rest with their inbox (see package events).
//
// Order: the relay publishes in the order the rows were inserted. Two events
// of one aggregate keep their order as long as the transactions writing them
// are serialised, which they are when each locks the aggregate first.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/pgdb"
)

// EventTypeHeader is the NATS header carrying the protobuf full name of the
// message payload, for example "gongjian.organisation.v1.MemberTransferred".
const EventTypeHeader = "Gongjian-Event-Type"

// Event is an event to publish once the enqueuing transaction commits.
type Event struct {
	// ID identifies the event everywhere: it becomes the Nats-Msg-Id of the
	// message and the key consumers remember in their inbox. It must be a
	// UUID; when empty, Enqueue generates one (time-ordered, UUIDv7).
	ID string
	// Subject is the NATS subject to publish on.
	Subject string
	// AggregateID names the entity the event is about. It is kept with the
	// row for diagnosis.
	AggregateID string
	// Message is the payload, marshalled with protobuf.
	Message proto.Message
}

// Enqueue writes events to the outbox within tx, together with the trace
// context of ctx, and asks PostgreSQL to wake the relay when tx commits.
// Nothing is published if tx rolls back.
func Enqueue(ctx context.Context, tx pgx.Tx, evs ...Event) error {
	if len(evs) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	if err := Queue(ctx, batch, evs...); err != nil {
		return err
	}
	// PostgreSQL delivers a notification at commit and folds duplicates
	// within a transaction, so one per call is enough.
	QueueNotify(batch)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("outbox: enqueue: %w", err)
	}
	return nil
}

// Queue adds the writes of events to batch, with the trace context of
// ctx, for a caller that sends the batch within its transaction with its
// other writes: one round trip instead of one per call. The caller queues
// QueueNotify once, and learns the errors when it sends the batch.
func Queue(ctx context.Context, batch *pgx.Batch, evs ...Event) error {
	headers := traceHeaders(ctx)
	for _, ev := range evs {
		r, err := newRow(ev)
		if err != nil {
			return err
		}
		batch.Queue(insertSQL, r.id, ev.Subject, ev.AggregateID, r.eventType, r.payload, headers)
	}
	return nil
}

// QueueMany adds the writes of events to batch as one statement, in their
// order, for a transaction that writes thousands (a sweep's findings):
// what Queue does, in one round of the database's work rather than one
// per event.
func QueueMany(ctx context.Context, batch *pgx.Batch, evs ...Event) error {
	if len(evs) == 0 {
		return nil
	}
	n := len(evs)
	ids, subjects, aggregates, types, payloads := make([]uuid.UUID, n), make([]string, n), make([]string, n), make([]string, n), make([][]byte, n)
	for i, ev := range evs {
		r, err := newRow(ev)
		if err != nil {
			return err
		}
		ids[i], subjects[i], aggregates[i], types[i], payloads[i] = r.id, ev.Subject, ev.AggregateID, r.eventType, r.payload
	}
	batch.Queue(insertManySQL, ids, subjects, aggregates, types, payloads, traceHeaders(ctx))
	return nil
}

// QueueNotify adds to batch the request to wake the relay when the
// transaction commits. PostgreSQL holds one lock of the whole cluster's
// notification queue from just before such a commit flushes its WAL until
// after it, so the commits that carry a notification go one at a time
// (measured: a third of the commits per second of the same transactions
// without it). It suits a transaction committed elsewhere (an event
// consumer's); a store that commits its own transactions runs them with
// InTx, which wakes the relay once they have committed.
func QueueNotify(batch *pgx.Batch) { batch.Queue(notifySQL) }

// Execer runs a statement on its own: a pool or a connection.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Wake wakes the relay of db's schema after a transaction that wrote
// outbox rows has committed: a notification sent on its own, in a
// transaction that writes nothing and so neither flushes nor waits for a
// flush while it holds the notification queue's lock. It does not wait:
// one goroutine per db sends the notifications, one at a time, and the
// wakes that arrive while one is being sent make one more, not one each.
// A wake lost (the process dying after the commit, the database briefly
// away) costs only time: the relay finds the rows at its next poll
// (RelayOptions.PollInterval).
func Wake(db Execer) {
	wakersMu.Lock()
	defer wakersMu.Unlock()
	w, ok := wakers[db]
	if !ok {
		w = &waker{kick: make(chan struct{}, 1)}
		wakers[db] = w
		go w.run(db)
	}
	select {
	case w.kick <- struct{}{}:
	default: // one is pending already: it covers this commit too
	}
}

// InTx runs fn in a transaction on pool (pgdb.InTx) and, when fn reports
// that it wrote outbox rows and the transaction has committed, wakes the
// relay (Wake): the way a store that commits its own transactions sends
// its events without a notification inside them.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) (wrote bool, err error)) error {
	var wrote bool
	err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		var err error
		wrote, err = fn(tx)
		return err
	})
	if err == nil && wrote {
		Wake(pool)
	}
	return err
}

// wakerIdle is how long a waker's goroutine outlives its last wake.
const wakerIdle = time.Minute

var (
	wakersMu sync.Mutex
	wakers   = map[Execer]*waker{}
)

type waker struct{ kick chan struct{} }

func (w *waker) run(db Execer) {
	idle := time.NewTimer(wakerIdle)
	defer idle.Stop()
	for {
		select {
		case <-w.kick:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, _ = db.Exec(ctx, notifySQL)
			cancel()
			idle.Reset(wakerIdle)
		case <-idle.C:
			wakersMu.Lock()
			if len(w.kick) > 0 { // a wake came as the timer fired
				wakersMu.Unlock()
				idle.Reset(wakerIdle)
				continue
			}
			delete(wakers, db)
			wakersMu.Unlock()
			return
		}
	}
}

const (
	insertSQL = `INSERT INTO outbox (id, subject, aggregate_id, event_type, payload, headers)
VALUES ($1, $2, $3, $4, $5, $6)`
	// The rows go in in the order given, so the relay publishes them so.
	insertManySQL = `INSERT INTO outbox (id, subject, aggregate_id, event_type, payload, headers)
SELECT e.id, e.subject, e.aggregate_id, e.event_type, e.payload, $6
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[]) WITH ORDINALITY
	AS e(id, subject, aggregate_id, event_type, payload, n)
ORDER BY e.n`
	// The channel carries the schema, so that relays of services sharing a
	// database wake only for their own outbox.
	notifySQL = `SELECT pg_notify(` + channelSQL + `, '')`
	// channelSQL is the notification channel of the schema on search_path;
	// Enqueue and the relay agree on it because both run in that schema.
	// PostgreSQL limits channel names to 63 bytes.
	channelSQL = `left('outbox_' || current_schema(), 63)`
)

// row is an Event validated and encoded for insertion.
type row struct {
	id        uuid.UUID
	eventType string
	payload   []byte
}

func newRow(ev Event) (row, error) {
	if ev.Subject == "" {
		return row{}, errors.New("outbox: event without subject")
	}
	if ev.Message == nil {
		return row{}, fmt.Errorf("outbox: event on %s without message", ev.Subject)
	}
	id, err := eventID(ev.ID)
	if err != nil {
		return row{}, err
	}
	payload, err := proto.Marshal(ev.Message)
	if err != nil {
		return row{}, fmt.Errorf("outbox: marshal %s: %w", ev.Subject, err)
	}
	name := string(ev.Message.ProtoReflect().Descriptor().FullName())
	return row{id: id, eventType: name, payload: payload}, nil
}

func eventID(s string) (uuid.UUID, error) {
	if s == "" {
		return uuid.NewV7()
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.UUID{}, fmt.Errorf("outbox: event id %q: %w", s, err)
	}
	return id, nil
}

// traceHeaders captures the trace context of ctx (traceparent, tracestate,
// baggage, as the global propagator defines it).
func traceHeaders(ctx context.Context) map[string]string {
	carrier := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, carrier)
	return carrier
}
