// Command gongjian-local runs the whole system on a developer's machine, as
// `make run` does: PostgreSQL and NATS with their data kept in one folder,
// every service built and started as its own process the way Kubernetes runs
// them, the REST gateway in front, and the demo city loaded on first start.
//
// Everything lives under GONGJIAN_DATA (default .data at the repository
// root); delete that folder to start afresh. Ctrl-C stops the services, then
// NATS, then PostgreSQL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"gongjian.dev/deploy/local/internal/console"
	"gongjian.dev/deploy/local/internal/stack"
	"gongjian.dev/deploy/local/internal/supervisor"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/config"
	"gongjian.dev/pkg/natsembed"
	"gongjian.dev/pkg/pgcluster"
)

// stopGrace is how long a service has to stop after SIGTERM before it is
// killed, as Kubernetes' terminationGracePeriodSeconds.
const stopGrace = 20 * time.Second

// settings are read from the environment; every address can be moved.
type settings struct {
	DataDir     string `env:"GONGJIAN_DATA"`
	DatabaseURL string `env:"DATABASE_URL"`
	PGPort      int    `env:"PG_PORT" envDefault:"55432"`
	NATSPort    int    `env:"NATS_PORT" envDefault:"4322"`
	HTTPAddr    string `env:"HTTP_ADDR" envDefault:"127.0.0.1:8080"`
}

func main() {
	noDemo := flag.Bool("no-demo", false, "do not load the demo city into an empty system")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	out := console.New(os.Stdout, 12)
	err := run(ctx, out, !*noDemo)
	interrupted := ctx.Err() != nil
	stop()
	if err != nil && !interrupted {
		out.Printf("launcher", "failed: %v", err)
		os.Exit(1)
	}
	out.Printf("launcher", "stopped")
}

func run(ctx context.Context, out *console.Console, loadDemo bool) error {
	var cfg settings
	if err := config.Load(&cfg); err != nil {
		return err
	}
	root, err := stack.RepoRoot(".")
	if err != nil {
		return err
	}
	data, err := dataDir(cfg.DataDir, root)
	if err != nil {
		return err
	}
	services, missing := stack.Present(root, stack.Services)
	addrs := grpcAddrs(services)
	if err := checkFree(cfg, services, addrs); err != nil {
		return err
	}

	// PostgreSQL.
	databaseURL, stopPostgres, err := startPostgres(ctx, cfg, data, out)
	if err != nil {
		return err
	}
	defer stopPostgres()

	// The development token issuer: the services trust its keys, and
	// gongjian-token prints tokens from it for any demo role.
	issuer, err := devissuer.Load(filepath.Join(data, "auth"))
	if err != nil {
		return err
	}

	// NATS, inside this process.
	nats, err := natsembed.Start(natsembed.Options{Port: cfg.NATSPort, StoreDir: filepath.Join(data, "nats")})
	if err != nil {
		return err
	}
	out.Printf("nats", "JetStream ready on %s", nats.URL())
	defer func() {
		nats.Shutdown()
		out.Printf("nats", "stopped")
	}()

	// The services and the gateway, each its own process.
	bin := filepath.Join(data, "bin")
	if err := build(ctx, out, root, bin, services); err != nil {
		return err
	}
	output := &serviceOutput{console: out}
	sup := supervisor.New(output.line)
	sup.Quote = console.Humanize
	defer func() {
		out.Printf("launcher", "stopping the services")
		if err := sup.Stop(stopGrace); err != nil {
			out.Printf("launcher", "services did not stop cleanly: %v", err)
		}
	}()
	for _, s := range services {
		env := s.Env(addrs[s.Name], databaseURL, nats.URL(), issuer.KeysFile())
		extra, err := s.Secrets(data)
		if err != nil {
			return err
		}
		for _, k := range slices.Sorted(maps.Keys(extra)) {
			env = append(env, k+"="+extra[k])
		}
		spec := supervisor.Spec{
			Name: s.Name, Path: stack.Binary(bin, s.Package),
			Env:   env,
			Ready: supervisor.GRPCHealth(addrs[s.Name]),
		}
		if err := sup.Start(ctx, spec); err != nil {
			return err
		}
		out.Printf("launcher", "%s serving on %s", s.Name, addrs[s.Name])
	}
	if err := sup.Start(ctx, gatewaySpec(bin, cfg.HTTPAddr, services, addrs, issuer.KeysFile())); err != nil {
		return err
	}

	cityID := demoCity(ctx, out, output, data, addrs["organisation"], addrs["member"], issuer, loadDemo)
	printBanner(out, banner{
		data: data, httpAddr: cfg.HTTPAddr, services: services, missing: missing, addrs: addrs,
		databaseURL: databaseURL, natsURL: nats.URL(), cityID: cityID,
	})

	select {
	case <-ctx.Done():
		out.Printf("launcher", "interrupted")
		return nil
	case exit := <-sup.Died():
		return exit
	}
}

// dataDir makes the data folder, readable by the postgres user that runs
// the database server inside it.
func dataDir(configured, root string) (string, error) {
	dir := configured
	if dir == "" {
		dir = filepath.Join(root, ".data")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return dir, nil
}

// grpcAddrs is each service's gRPC address, from its variable or its default.
func grpcAddrs(services []stack.Service) map[string]string {
	addrs := map[string]string{}
	for _, s := range services {
		addrs[s.Name] = s.Addr
		if v := os.Getenv(s.AddrEnv); v != "" {
			addrs[s.Name] = v
		}
	}
	return addrs
}

// checkFree fails early, naming the variable to change, when a port the
// system needs is taken, typically by a launcher already running.
func checkFree(cfg settings, services []stack.Service, addrs map[string]string) error {
	var errs []error
	if cfg.DatabaseURL == "" {
		errs = append(errs, stack.CheckFree(hostPort(cfg.PGPort), "PG_PORT"))
	}
	errs = append(errs, stack.CheckFree(hostPort(cfg.NATSPort), "NATS_PORT"))
	for _, s := range services {
		errs = append(errs, stack.CheckFree(addrs[s.Name], s.AddrEnv))
	}
	errs = append(errs, stack.CheckFree(cfg.HTTPAddr, "HTTP_ADDR"))
	return errors.Join(errs...)
}

func hostPort(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// startPostgres uses DATABASE_URL when given, else runs a server on the data
// folder with the database gongjian in it.
func startPostgres(ctx context.Context, cfg settings, data string, out *console.Console) (string, func(), error) {
	if cfg.DatabaseURL != "" {
		out.Printf("postgres", "using DATABASE_URL")
		return cfg.DatabaseURL, func() {}, nil
	}
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{
		Dir: filepath.Join(data, "postgres"), Port: cfg.PGPort, Durable: true,
		Logf: func(format string, args ...any) { out.Printf("postgres", format, args...) },
	})
	if err != nil {
		return "", nil, err
	}
	stop := func() {
		if err := cluster.Stop(); err != nil {
			out.Printf("postgres", "stop: %v", err)
		}
	}
	if err := cluster.EnsureDatabase(ctx, "gongjian"); err != nil {
		stop()
		return "", nil, err
	}
	return cluster.URL("gongjian"), stop, nil
}

// build compiles the services and the gateway in one go build.
func build(ctx context.Context, out *console.Console, root, bin string, services []stack.Service) error {
	var packages []string
	for _, s := range services {
		packages = append(packages, s.Package)
	}
	packages = append(packages, stack.Gateway)
	out.Printf("build", "go build %v", packages)
	start := time.Now()
	w := out.Writer("build")
	defer w.Close()
	if err := stack.Build(ctx, root, bin, w, packages...); err != nil {
		return err
	}
	out.Printf("build", "done in %s", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// gatewaySpec runs the REST gateway in front of the services there are.
// Its console signs people in with the development issuer, as any role.
func gatewaySpec(bin, httpAddr string, services []stack.Service, addrs map[string]string, keysFile string) supervisor.Spec {
	env := map[string]string{
		"HTTP_ADDR":             httpAddr,
		"AUTH_KEYS_FILE":        keysFile,
		"DEV_SIGNIN_ISSUER_DIR": filepath.Dir(keysFile),
	}
	for _, s := range services {
		env[s.GatewayEnv] = addrs[s.Name]
	}
	return supervisor.Spec{
		Name: "gateway", Path: stack.Binary(bin, stack.Gateway), Env: stack.Environ(env),
		Ready: supervisor.HTTPOK(fmt.Sprintf("http://%s/healthz", httpAddr)),
	}
}
