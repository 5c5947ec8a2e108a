// Command member serves the member service: the party members of a city
// over gRPC, with its events on JetStream and its own view of the
// organisation tree, kept from the organisation service's events.
//
//	member             serve (and migrate first when MIGRATE=true)
//	member migrate     apply the database migrations and exit (the Kubernetes Job)
//	member reencrypt   seal every national ID number again under the first key of MEMBER_ID_KEYS
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
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/config"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/grpcserver"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/telemetry"
	"gongjian.dev/services/member/internal/grpcapi"
	"gongjian.dev/services/member/internal/idcrypt"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/orgview"
	"gongjian.dev/services/member/internal/store"
)

// Config is the service's configuration, from the environment.
type Config struct {
	GRPCAddr        string        `env:"GRPC_ADDR" envDefault:"127.0.0.1:9102"`
	DatabaseURL     string        `env:"DATABASE_URL,required" secret:"true"`
	NATSURL         string        `env:"NATS_URL" envDefault:"nats://127.0.0.1:4222"`
	Migrate         bool          `env:"MIGRATE" envDefault:"false"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"15s"`
	// TimeZone is the city's zone: it decides what "today" is for birth
	// and join dates.
	TimeZone string `env:"CITY_TIME_ZONE" envDefault:"Asia/Shanghai"`
	// SweepInterval is how often the service looks for what time alone
	// changed: letters past their deadline, transfers open six months,
	// overdue contact with mobile members.
	SweepInterval time.Duration `env:"SWEEP_INTERVAL" envDefault:"1m"`
	// IDKeys is the ring of keys that encrypt national ID numbers,
	// "v2:<base64 32 bytes>,v1:<base64>": the first encrypts, all decrypt.
	IDKeys string `env:"MEMBER_ID_KEYS,required" secret:"true"`
	// IDHashKey keys the hash that finds a national ID number (base64, at
	// least 32 bytes). Changing it makes every stored hash useless.
	IDHashKey string `env:"MEMBER_ID_HASH_KEY,required" secret:"true"`
	// Mutual TLS, when the three files are given.
	TLSCertFile     string `env:"TLS_CERT_FILE"`
	TLSKeyFile      string `env:"TLS_KEY_FILE" secret:"true"`
	TLSClientCAFile string `env:"TLS_CLIENT_CA_FILE"`
	// Auth says whose tokens are accepted (AUTH_ISSUER, AUTH_AUDIENCE,
	// AUTH_KEYS_FILE or AUTH_JWKS_URL).
	Auth auth.Config
}

// Stream is the JetStream stream of the service's events.
var Stream = events.StreamSpec{Name: "MEMBER", Subjects: []string{"gongjian.member.v1.>"}}

// relayLock elects the one replica that relays the outbox.
const relayLock = 0x6d656d6f7574 // "memout"

func main() { app.Main("member", run) }

func run(ctx context.Context, log *slog.Logger) error {
	// Config.
	var cfg Config
	if err := config.Load(&cfg); err != nil {
		return err
	}
	log.Info("config", config.Attrs(&cfg)...)
	ids, err := idcrypt.New(cfg.IDKeys, cfg.IDHashKey)
	if err != nil {
		return err
	}
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "migrate":
			return pgdb.Migrate(ctx, cfg.DatabaseURL, store.Schema, store.AllMigrations...)
		case "reencrypt":
			return reencrypt(ctx, log, cfg, ids)
		}
		return fmt.Errorf("unknown command %q: migrate or reencrypt", os.Args[1])
	}

	// Telemetry.
	shutdown, err := telemetry.Setup(ctx, "member")
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
	nc, js, err := events.Connect(cfg.NATSURL, "member")
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
	st := store.New(pool, ids)
	policy := grpcapi.Policy(st)
	opts := grpcserver.Options{
		AuthUnary: []grpc.UnaryServerInterceptor{auth.UnaryInterceptor(verifier, auth.OpenMethods),
			grpcapi.UnaryInterceptor(policy, st, auth.OpenMethods)},
		AuthStream: []grpc.StreamServerInterceptor{auth.StreamInterceptor(verifier, auth.OpenMethods),
			authz.StreamInterceptor(policy, st, auth.OpenMethods)},
	}
	// A roster to import is up to 10 MiB (member.MaxImportBytes).
	opts.ServerOptions = append(opts.ServerOptions, grpc.MaxRecvMsgSize(grpcapi.MaxMessage))
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
	svc := member.NewService(st, nil, loc)
	grpcapi.Register(srv, svc, st)
	if missing := authz.Uncovered(srv.GetServiceInfo(), policy, auth.OpenMethods); len(missing) > 0 {
		return fmt.Errorf("RPCs without an access rule: %v", missing)
	}
	lis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return err
	}

	// The local view of the organisation tree, once the organisation
	// service's stream exists.
	view := orgview.Consumer
	view.Logger = log
	consumeCtx, stopConsuming := context.WithCancel(ctx)
	subs := orgview.Consume(consumeCtx, js, pool, view, orgview.Apply(log), log)
	defer func() {
		stopConsuming()
		for sub := range subs {
			sub.Stop() // a running consumer finishes its message first
		}
	}()

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return relay.Run(gctx) })
	g.Go(func() error {
		return svc.RunSweeper(gctx, cfg.SweepInterval, func(err error) { log.Error("sweep", "error", err) })
	})
	g.Go(func() error { return srv.Serve(gctx, lis, cfg.ShutdownTimeout) })
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// reencrypt seals every national ID number under the current key.
func reencrypt(ctx context.Context, log *slog.Logger, cfg Config, ids *idcrypt.Sealer) error {
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, store.Schema)
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := store.New(pool, ids).Reencrypt(ctx)
	log.Info("re-encrypted national ID numbers", "count", n, "key_version", ids.Current())
	return err
}
