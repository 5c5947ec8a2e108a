package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of RelayOptions.
const (
	DefaultPollInterval   = 200 * time.Millisecond
	DefaultBatchSize      = 256
	DefaultPublishTimeout = 10 * time.Second
)

const (
	// lockRetry is how often a standby replica tries to become the relay.
	lockRetry = time.Second
	// sessionRetry is the pause before reconnecting after a database error.
	sessionRetry = time.Second
	// Publish failures are retried after a capped exponential backoff.
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// RelayOptions configures a Relay. Zero values take the defaults.
type RelayOptions struct {
	// Logger receives publish failures and database errors; default
	// slog.Default().
	Logger *slog.Logger
	// PollInterval is how often the relay looks at the outbox when no
	// notification wakes it (notifications can be lost while it
	// reconnects); default 200ms.
	PollInterval time.Duration
	// BatchSize is how many events are read and published at a time;
	// default 256.
	BatchSize int
	// LockKey is the PostgreSQL advisory lock that elects the one replica
	// relaying, which keeps the publishing order. Services sharing a
	// database need distinct keys.
	LockKey int64
	// PublishTimeout bounds the wait for the acknowledgements of a batch;
	// default 10s.
	PublishTimeout time.Duration
}

// Stats counts what a Relay has done since it was created.
type Stats struct {
	// Published is the number of events acknowledged by JetStream and
	// deleted from the outbox.
	Published uint64
	// PublishErrors is the number of batches cut short by a failed publish.
	PublishErrors uint64
	// Duplicates is the number of events the stream acknowledged as
	// duplicates: sent again after a failure although it had stored them.
	Duplicates uint64
}

// Relay publishes the outbox of one schema to JetStream.
type Relay struct {
	pool *pgxpool.Pool
	js   jetstream.JetStream
	opts RelayOptions
	log  *slog.Logger

	published     atomic.Uint64
	publishErrors atomic.Uint64
	duplicates    atomic.Uint64
}

// NewRelay returns a relay that reads the outbox through pool, in the schema
// of the pool's search_path, and publishes with js.
//
// Give js a connection created with nats.ReconnectBufSize(-1): a publish
// made while disconnected then fails at once and is retried in order, instead
// of being buffered and sent on reconnection ahead of earlier events that
// were lost with the old connection.
func NewRelay(pool *pgxpool.Pool, js jetstream.JetStream, opts RelayOptions) *Relay {
	opts = withDefaults(opts)
	return &Relay{pool: pool, js: js, opts: opts, log: opts.Logger}
}

func withDefaults(opts RelayOptions) RelayOptions {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.PublishTimeout <= 0 {
		opts.PublishTimeout = DefaultPublishTimeout
	}
	return opts
}

// Stats returns the relay's counters.
func (r *Relay) Stats() Stats {
	return Stats{
		Published:     r.published.Load(),
		PublishErrors: r.publishErrors.Load(),
		Duplicates:    r.duplicates.Load(),
	}
}

// Run relays until ctx is done, then returns nil. It first waits to become
// the only relay of the schema (replicas stand by on the advisory lock), then
// publishes the outbox in order. Database errors make it reconnect; publish
// errors make it retry from the first unpublished event.
func (r *Relay) Run(ctx context.Context) error {
	for {
		err := r.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		r.log.ErrorContext(ctx, "outbox relay: database session ended, reconnecting", "error", err)
		if !sleep(ctx, sessionRetry) {
			return nil
		}
	}
}

// session holds a dedicated connection: the advisory lock and LISTEN belong
// to a session, so the connection is not the pool's, and closing it
// releases both.
func (r *Relay) session(ctx context.Context) error {
	conn, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := r.lock(ctx, conn); err != nil {
		return err
	}
	if err := listen(ctx, conn); err != nil {
		return err
	}
	r.log.InfoContext(ctx, "outbox relay: active")
	return r.loop(ctx, conn)
}

// connect opens a connection configured as the pool's (same database and
// search_path) but untraced: the relay polls several times a second, and
// each query would start a trace of its own. The spans that matter, one per
// published event, continue the trace of the enqueuing request.
func (r *Relay) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg := r.pool.Config().ConnConfig.Copy()
	cfg.Tracer = nil
	// Waiting for a notification ends at every poll interval: expire the
	// read deadline rather than send PostgreSQL a cancel request, which
	// could race with the next query.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return conn, nil
}

// lock waits until this session holds the relay's advisory lock.
func (r *Relay) lock(ctx context.Context, conn *pgx.Conn) error {
	for {
		var ok bool
		err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, r.opts.LockKey).Scan(&ok)
		if err != nil {
			return fmt.Errorf("advisory lock: %w", err)
		}
		if ok {
			return nil
		}
		if !sleep(ctx, lockRetry) {
			return ctx.Err()
		}
	}
}

func listen(ctx context.Context, conn *pgx.Conn) error {
	var channel string
	if err := conn.QueryRow(ctx, `SELECT `+channelSQL).Scan(&channel); err != nil {
		return fmt.Errorf("notification channel: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return nil
}

// loop relays batches: straight on while batches come full, after a
// notification or the poll interval otherwise, after a backoff when a
// publish failed.
func (r *Relay) loop(ctx context.Context, conn *pgx.Conn) error {
	backoff := minBackoff
	for {
		n, err := r.relayBatch(ctx, conn)
		var pubErr *publishError
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &pubErr):
			r.publishErrors.Add(1)
			r.log.WarnContext(ctx, "outbox relay: publish failed, retrying", "event_id", pubErr.eventID, "retry_in", backoff, "error", pubErr.err)
			if !sleep(ctx, backoff) {
				return ctx.Err()
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		case err != nil:
			return err
		}
		backoff = minBackoff
		if n < r.opts.BatchSize {
			if err := r.wait(ctx, conn); err != nil {
				return err
			}
		}
	}
}

// wait returns on a notification, after the poll interval, or when ctx is
// done. Only a broken connection is an error.
func (r *Relay) wait(ctx context.Context, conn *pgx.Conn) error {
	wctx, cancel := context.WithTimeout(ctx, r.opts.PollInterval)
	defer cancel()
	_, err := conn.WaitForNotification(wctx)
	if err != nil && wctx.Err() == nil {
		return fmt.Errorf("wait for notification: %w", err)
	}
	return nil
}

// sleep waits for d and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
