// Package service runs a Gongjian service. A service declares what is its
// own in a Spec — its name and address, its schema and migrations, its
// stream, its own configuration, and a Wire function that builds its
// gRPC registrations, access policy, consumers and background jobs — and
// Main does everything that is the same for every service: the typed base
// configuration, telemetry, the database pool and migrations, NATS and the
// stream, the outbox relay, token verification and mutual TLS, the check
// that every RPC has an access rule, health, the `migrate` subcommand the
// Kubernetes Job runs, and a graceful stop in the right order.
//
// The test harness (pkg/servicetest) builds a service from the same Spec,
// so tests run exactly production's interceptors and registrations.
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"

	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/pgdb"
)

// Spec is one service: everything that is its own. T is what Wire builds
// beyond the API (the domain service, the store): production ignores it,
// tests reach past the API through it.
type Spec[T any] struct {
	// Name names the service in logs, traces, NATS connections and the
	// command line.
	Name string
	// Addr is the default gRPC listen address (GRPC_ADDR overrides it).
	Addr string
	// Schema is the PostgreSQL schema the service owns; Migrations bring it
	// up to date.
	Schema     string
	Migrations []pgdb.MigrationSet
	// Stream is the JetStream stream of the service's events, declared at
	// start; the outbox relay publishes to it.
	Stream events.StreamSpec
	// RelayLock is the advisory lock that elects the one replica relaying
	// the outbox: a constant of the service's own.
	RelayLock int64
	// Config, when not nil, points to the service's own configuration
	// struct, filled from the environment with the base configuration.
	Config any
	// Commands are subcommands besides serving and `migrate` (the member
	// service's `reencrypt`). They get the database but no NATS.
	Commands map[string]Command
	// Wire builds the service on the shared dependencies.
	Wire func(ctx context.Context, d Deps) (T, *Parts, error)
}

// Command is a subcommand: it runs to completion and exits.
type Command func(ctx context.Context, d Deps) error

// Deps are what the shared setup provides a service.
type Deps struct {
	Log  *slog.Logger
	Pool *pgxpool.Pool
	// JS is nil in subcommands.
	JS jetstream.JetStream
	// Location is the city's time zone: it decides what "today" is.
	Location *time.Location
	// Now is the clock: time.Now in production, a settable one in tests.
	Now func() time.Time
	// Dial connects to another service's gRPC server.
	Dial Dialer
}

// Clock is d.Now, or time.Now when none was given.
func (d Deps) Clock() func() time.Time {
	if d.Now == nil {
		return time.Now
	}
	return d.Now
}

// Parts are what a service's Wire builds.
type Parts struct {
	// Register registers the service's gRPC APIs. The audit trail
	// (AuditService) is registered by the shared setup, with its rule.
	Register func(grpc.ServiceRegistrar)
	// Policy has one rule per RPC; a service whose registered RPC has no
	// rule refuses to start.
	Policy authz.Policy
	// Tree answers whether an organisation lies in a caller's subtree.
	Tree authz.Tree
	// Authorize, when set, builds the unary interceptor that enforces the
	// policy (Policy with the audit trail's rule) in place of authz's (the
	// member service lets a member reach their own records first).
	Authorize func(authz.Policy) grpc.UnaryServerInterceptor
	// MaxRecvMsgSize raises the largest request taken (default 4 MiB).
	MaxRecvMsgSize int
	// Consumers apply other services' events (and the service's own); each
	// starts once its stream exists.
	Consumers []Consumer
	// Jobs run in the background until the service stops: sweepers.
	Jobs []Job
}

// Consumer is a durable consumer and the handler of its events.
type Consumer struct {
	Spec   events.ConsumerSpec
	Handle events.Handler
}

// Job is a background task; it returns when ctx ends.
type Job struct {
	Name string
	Run  func(ctx context.Context) error
}

// Every is a job that runs fn at once and then every interval until the
// service stops: a sweeper. A failed run is reported through onError and
// tried again at the next tick.
func Every(name string, interval time.Duration, fn func(context.Context) error, onError func(error)) Job {
	return Job{Name: name, Run: func(ctx context.Context) error {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				onError(err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
			}
		}
	}}
}
