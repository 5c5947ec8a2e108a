package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	"gongjian.dev/pkg/app"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/config"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/telemetry"
)

// natsWait is how long a starting service waits for NATS to answer.
const natsWait = time.Minute

// Main runs the service named by spec with the command line's subcommand:
//
//	<name>           serve (and migrate first when MIGRATE=true)
//	<name> migrate   apply the database migrations and exit (the Kubernetes Job)
//	<name> <other>   one of spec.Commands
func Main[T any](spec Spec[T]) {
	app.Main(spec.Name, func(ctx context.Context, log *slog.Logger) error {
		return Run(ctx, log, spec, os.Args[1:])
	})
}

// Run is Main without the process around it.
func Run[T any](ctx context.Context, log *slog.Logger, spec Spec[T], args []string) error {
	var base Base
	if err := config.Load(&base); err != nil {
		return err
	}
	if base.GRPCAddr == "" {
		base.GRPCAddr = spec.Addr
	}
	if spec.Config != nil {
		if err := config.Load(spec.Config); err != nil {
			return err
		}
	}
	log.Info("config", append(config.Attrs(&base), config.Attrs(spec.Config)...)...)
	loc, err := base.location()
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return runCommand(ctx, log, spec, base, loc, args[0])
	}
	return serve(ctx, log, spec, base, loc)
}

// runCommand runs `migrate` or one of the spec's commands.
func runCommand[T any](ctx context.Context, log *slog.Logger, spec Spec[T], base Base, loc *time.Location, name string) error {
	if name == "migrate" {
		return pgdb.Migrate(ctx, base.DatabaseURL, spec.Schema, spec.Migrations...)
	}
	cmd, ok := spec.Commands[name]
	if !ok {
		names := append([]string{"migrate"}, sortedKeys(spec.Commands)...)
		return fmt.Errorf("unknown command %q: %v", name, names)
	}
	pool, err := pgdb.Open(ctx, base.DatabaseURL, spec.Schema)
	if err != nil {
		return err
	}
	defer pool.Close()
	return cmd(ctx, Deps{Log: log, Pool: pool, Location: loc, Dial: base.TLS.Dialer()})
}

// serve runs the service until ctx ends. The deferred closes run in
// reverse: the servers and consumers stop first, then NATS is drained, then
// the pool closes, then telemetry is flushed.
func serve[T any](ctx context.Context, log *slog.Logger, spec Spec[T], base Base, loc *time.Location) error {
	// Telemetry.
	shutdown, err := telemetry.Setup(ctx, spec.Name)
	if err != nil {
		return err
	}
	defer func() { _ = shutdown(context.Background()) }()

	// Database.
	if base.Migrate {
		if err := pgdb.Migrate(ctx, base.DatabaseURL, spec.Schema, spec.Migrations...); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	pool, err := pgdb.Open(ctx, base.DatabaseURL, spec.Schema)
	if err != nil {
		return err
	}
	defer pool.Close()

	// Events.
	nc, js, err := events.Connect(base.NATSURL, spec.Name)
	if err != nil {
		return err
	}
	defer func() { _ = nc.Drain() }()
	if err := events.EnsureStreamWaiting(ctx, js, spec.Stream, natsWait, log); err != nil {
		return err
	}

	// The service's own parts, on a server as every service's.
	deps := Deps{Log: log, Pool: pool, JS: js, Location: loc, Dial: base.TLS.Dialer()}
	_, parts, err := spec.Wire(ctx, deps)
	if err != nil {
		return err
	}
	verifier, err := auth.NewVerifier(ctx, base.Auth)
	if err != nil {
		return err
	}
	var extra []grpc.ServerOption
	if creds, err := base.TLS.serverOption(); err != nil {
		return err
	} else if creds != nil {
		extra = append(extra, creds)
	}
	srv, err := NewServer(log, verifier, pool, parts, extra...)
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", base.GRPCAddr)
	if err != nil {
		return err
	}

	// Consumers, each once its stream exists; stopped after the server.
	consumers := StartConsumers(ctx, js, pool, log, parts.Consumers)
	defer consumers.Stop()

	g, gctx := errgroup.WithContext(ctx)
	relay := outbox.NewRelay(pool, js, outbox.RelayOptions{Logger: log, LockKey: spec.RelayLock})
	g.Go(func() error { return relay.Run(gctx) })
	for _, job := range parts.Jobs {
		g.Go(func() error {
			if err := job.Run(gctx); err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("%s: %w", job.Name, err)
			}
			return nil
		})
	}
	g.Go(func() error { return WatchDatabase(gctx, pool, srv, log) })
	if base.PprofAddr != "" {
		g.Go(func() error { return app.ServePprof(gctx, base.PprofAddr, log) })
	}
	g.Go(func() error { return srv.Serve(gctx, lis, base.ShutdownTimeout) })
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return slices.Clip(keys)
}
