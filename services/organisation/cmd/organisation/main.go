// Command organisation serves the organisation service: the party
// organisation tree of a city over gRPC, with its events on JetStream.
//
//	organisation           serve (and migrate first when MIGRATE=true)
//	organisation migrate   apply the database migrations and exit (the Kubernetes Job)
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"
	_ "time/tzdata" // the city's zone without relying on the image's zoneinfo

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	"gongjian.dev/pkg/app"
	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/config"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/grpcserver"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/telemetry"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	orgevents "gongjian.dev/services/organisation/internal/events"
	"gongjian.dev/services/organisation/internal/grpcapi"
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/store"
)

// Config is the service's configuration, from the environment.
type Config struct {
	GRPCAddr        string        `env:"GRPC_ADDR" envDefault:"127.0.0.1:9101"`
	DatabaseURL     string        `env:"DATABASE_URL,required" secret:"true"`
	NATSURL         string        `env:"NATS_URL" envDefault:"nats://127.0.0.1:4222"`
	Migrate         bool          `env:"MIGRATE" envDefault:"false"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"15s"`
	// TimeZone is the city's zone: it decides what "today" is for ages,
	// activity dates and quarters.
	TimeZone string `env:"CITY_TIME_ZONE" envDefault:"Asia/Shanghai"`
	// Mutual TLS, when the three files are given.
	TLSCertFile     string `env:"TLS_CERT_FILE"`
	TLSKeyFile      string `env:"TLS_KEY_FILE" secret:"true"`
	TLSClientCAFile string `env:"TLS_CLIENT_CA_FILE"`
	// Auth says whose tokens are accepted (AUTH_ISSUER, AUTH_AUDIENCE,
	// AUTH_KEYS_FILE or AUTH_JWKS_URL).
	Auth auth.Config
}

// Stream is the JetStream stream of the service's events.
var Stream = events.StreamSpec{Name: "ORGANISATION", Subjects: []string{"gongjian.organisation.v1.>"}}

// relayLock elects the one replica that relays the outbox.
const relayLock = 0x6f72676f7574 // "orgout"

func main() { app.Main("organisation", run) }

func run(ctx context.Context, log *slog.Logger) error {
	// Config.
	var cfg Config
	if err := config.Load(&cfg); err != nil {
		return err
	}
	log.Info("config", config.Attrs(&cfg)...)
	if len(os.Args) > 1 && os.Args[1] == "migrate" {
		return pgdb.Migrate(ctx, cfg.DatabaseURL, store.Schema, store.AllMigrations...)
	}

	// Telemetry.
	shutdown, err := telemetry.Setup(ctx, "organisation")
	if err != nil {
		return err
	}
	defer func() { _ = shutdown(context.Background()) }()

	// Database.
	if cfg.Migrate {
		if err := pgdb.Migrate(ctx, cfg.DatabaseURL, store.Schema, store.AllMigrations...); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, store.Schema)
	if err != nil {
		return err
	}
	defer pool.Close()

	// Events.
	nc, js, err := events.Connect(cfg.NATSURL, "organisation")
	if err != nil {
		return err
	}
	defer func() { _ = nc.Drain() }()
	if err := events.EnsureStreamWaiting(ctx, js, Stream, time.Minute, log); err != nil {
		return err
	}
	relay := outbox.NewRelay(pool, js, outbox.RelayOptions{Logger: log, LockKey: relayLock})

	// Security.
	verifier, err := auth.NewVerifier(ctx, cfg.Auth)
	if err != nil {
		return err
	}
	st := store.New(pool)
	opts := grpcserver.Options{
		AuthUnary: []grpc.UnaryServerInterceptor{auth.UnaryInterceptor(verifier, auth.OpenMethods),
			authz.UnaryInterceptor(grpcapi.Policy(st), st, auth.OpenMethods)},
		AuthStream: []grpc.StreamServerInterceptor{auth.StreamInterceptor(verifier, auth.OpenMethods),
			authz.StreamInterceptor(grpcapi.Policy(st), st, auth.OpenMethods)},
	}
	if cfg.TLSCertFile != "" {
		creds, err := auth.ServerTLS(cfg.TLSCertFile, cfg.TLSKeyFile, cfg.TLSClientCAFile)
		if err != nil {
			return err
		}
		opts.ServerOptions = append(opts.ServerOptions, grpc.Creds(creds))
	}

	// Servers.
	srv, err := grpcserver.New(log, opts)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return fmt.Errorf("CITY_TIME_ZONE: %w", err)
	}
	api := grpcapi.New(org.NewService(st, nil, loc), pool)
	pb.RegisterOrganisationServiceServer(srv, api)
	pb.RegisterDemonstrationServiceServer(srv, api)
	pb.RegisterComplianceServiceServer(srv, api)
	auditv1.RegisterAuditServiceServer(srv, audit.NewService(pool))
	if missing := authz.Uncovered(srv.GetServiceInfo(), grpcapi.Policy(st), auth.OpenMethods); len(missing) > 0 {
		return fmt.Errorf("RPCs without an access rule: %v", missing)
	}
	lis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return err
	}
	// Member counts from the member service, once its stream exists.
	counts := orgevents.MemberCounts
	counts.Logger = log
	consumeCtx, stopConsuming := context.WithCancel(ctx)
	subs := orgevents.Consume(consumeCtx, js, pool, counts, orgevents.ApplyMemberCounts(st, loc, log), log)
	defer func() {
		select { // a running consumer finishes its message first
		case sub, ok := <-subs:
			if ok {
				sub.Stop()
			}
		default:
		}
		stopConsuming()
		for sub := range subs {
			sub.Stop()
		}
	}()

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return relay.Run(gctx) })
	g.Go(func() error { return srv.Serve(gctx, lis, cfg.ShutdownTimeout) })
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
