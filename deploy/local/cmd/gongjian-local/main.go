// Command gongjian-local runs the whole system on a developer's machine, as
// `make run` does: PostgreSQL and NATS with their data kept in one folder,
// every service built and started as its own process the way Kubernetes runs
// them, the REST gateway in front, and the demo city loaded on first start.
// Each of them is supervised: one that dies is restarted after a wait that
// doubles with each death, while the rest keep serving.
//
// Everything lives under GONGJIAN_DATA (default .data at the repository
// root); delete that folder to start afresh. The pid of every process is in
// its run folder while it runs. Ctrl-C stops the services, then NATS, then
// PostgreSQL.
//
// `gongjian-local nats -port N -store DIR` runs only NATS with JetStream;
// the launcher starts NATS that way, as a process of its own.
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
	NATSURL     string `env:"NATS_URL"`
	NATSPort    int    `env:"NATS_PORT" envDefault:"4322"`
	HTTPAddr    string `env:"HTTP_ADDR" envDefault:"127.0.0.1:8080"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == natsCommand {
		os.Exit(runNATS(os.Args[2:]))
	}
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
	pids, release, err := claimRunDir(data)
	if err != nil {
		return err
	}
	defer release()
	if err := checkFree(cfg, data, services, addrs); err != nil {
		return err
	}
	// Three supervisors, so that the deferred stops run in order: the
	// services, then NATS, then PostgreSQL.
	newSupervisor := func(output func(name, line string)) *supervisor.Supervisor {
		sup := supervisor.New(output)
		sup.Quote, sup.PIDDir = console.Humanize, pids
		sup.Logf = func(format string, args ...any) { out.Printf("launcher", format, args...) }
		return sup
	}

	// PostgreSQL.
	databaseURL, stopPostgres, err := startPostgres(ctx, cfg, data, out, newSupervisor(nil))
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

	// NATS, a process of its own.
	natsURL, stopNATS, err := startNATS(ctx, cfg, data, out, newSupervisor(out.Line))
	if err != nil {
		return err
	}
	defer stopNATS()

	// The services and the gateway, each its own process.
	bin := filepath.Join(data, "bin")
	if err := build(ctx, out, root, bin, services); err != nil {
		return err
	}
	output := &serviceOutput{console: out}
	sup := newSupervisor(output.line)
	defer func() {
		out.Printf("launcher", "stopping the services")
		if err := sup.Stop(stopGrace); err != nil {
			out.Printf("launcher", "services did not stop cleanly: %v", err)
		}
	}()
	restart := supervisor.CrashLoop
	for _, s := range services {
		env := s.Env(addrs[s.Name], databaseURL, natsURL, issuer.KeysFile(), stack.Peers(services, addrs))
		extra, err := s.Secrets(data)
		if err != nil {
			return err
		}
		for _, k := range slices.Sorted(maps.Keys(extra)) {
			env = append(env, k+"="+extra[k])
		}
		spec := supervisor.Spec{
			Name: s.Name, Path: stack.Binary(bin, s.Package),
			Env:     env,
			Ready:   supervisor.GRPCHealth(addrs[s.Name]),
			Restart: &restart,
		}
		if err := sup.Start(ctx, spec); err != nil {
			return err
		}
		out.Printf("launcher", "%s serving on %s (pid %d)", s.Name, addrs[s.Name], sup.Pid(s.Name))
	}
	gateway := gatewaySpec(bin, cfg.HTTPAddr, services, addrs, issuer.KeysFile())
	gateway.Restart = &restart
	if err := sup.Start(ctx, gateway); err != nil {
		return err
	}
	out.Printf("launcher", "gateway serving on %s (pid %d)", cfg.HTTPAddr, sup.Pid("gateway"))

	cityID := demoCity(ctx, out, output, data, addrs, issuer, loadDemo)
	printBanner(out, banner{
		data: data, httpAddr: cfg.HTTPAddr, services: services, missing: missing, addrs: addrs,
		databaseURL: databaseURL, natsURL: natsURL, cityID: cityID, pids: pids,
	})

	<-ctx.Done()
	out.Printf("launcher", "interrupted")
	return nil
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
// system needs is taken, typically by a launcher already running. The
// database port may be taken by the server of the data folder itself (left
// running, or restarted from outside): that one is adopted.
func checkFree(cfg settings, data string, services []stack.Service, addrs map[string]string) error {
	var errs []error
	if cfg.DatabaseURL == "" {
		_, port, ours := pgcluster.Running(filepath.Join(data, "postgres"))
		if !ours || port != cfg.PGPort {
			errs = append(errs, stack.CheckFree(hostPort(cfg.PGPort), "PG_PORT"))
		}
	}
	if cfg.NATSURL == "" {
		errs = append(errs, stack.CheckFree(hostPort(cfg.NATSPort), "NATS_PORT"))
	}
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
// folder with the database gongjian in it, restarted when it dies. stop
// stops the supervisor's server, then any other server on the folder.
func startPostgres(ctx context.Context, cfg settings, data string, out *console.Console, sup *supervisor.Supervisor) (string, func(), error) {
	if cfg.DatabaseURL != "" {
		out.Printf("postgres", "using DATABASE_URL")
		return cfg.DatabaseURL, func() {}, nil
	}
	pg := &postgres{
		dir: filepath.Join(data, "postgres"), port: cfg.PGPort,
		logf: func(format string, args ...any) { out.Printf("postgres", format, args...) },
	}
	stop := func() {
		if err := sup.Stop(stopGrace); err != nil {
			out.Printf("postgres", "stop: %v", err)
		}
		pg.stopStray()
	}
	if err := sup.Start(ctx, pg.spec()); err != nil {
		stop()
		return "", nil, err
	}
	cluster := pg.current.Load()
	out.Printf("launcher", "postgres running (pid %d)", cluster.Pid())
	if err := cluster.EnsureDatabase(ctx, "gongjian"); err != nil {
		stop()
		return "", nil, err
	}
	return cluster.URL("gongjian"), stop, nil
}

// startNATS uses NATS_URL when given, checking that it answers, else runs
// NATS with its store in the data folder as a child, restarted when it dies.
func startNATS(ctx context.Context, cfg settings, data string, out *console.Console, sup *supervisor.Supervisor) (string, func(), error) {
	if cfg.NATSURL != "" {
		out.Printf("nats", "using NATS_URL")
		probeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := supervisor.NATSJetStream(cfg.NATSURL)(probeCtx); err != nil {
			return "", nil, fmt.Errorf("NATS_URL %s: no JetStream there: %w", cfg.NATSURL, err)
		}
		return cfg.NATSURL, func() {}, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	stop := func() {
		if err := sup.Stop(natsGrace); err != nil {
			out.Printf("nats", "stop: %v", err)
		}
	}
	if err := sup.Start(ctx, natsSpec(self, data, cfg.NATSPort)); err != nil {
		stop()
		return "", nil, err
	}
	out.Printf("launcher", "nats running (pid %d)", sup.Pid("nats"))
	return "nats://" + hostPort(cfg.NATSPort), stop, nil
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
