package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"gongjian.dev/deploy/local/internal/perf"
	"gongjian.dev/deploy/local/internal/stack"
	"gongjian.dev/deploy/local/internal/supervisor"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/pgcluster"
	"gongjian.dev/pkg/pgdb"
)

// connsPerService is how many gRPC connections the load generator opens to
// each service, as several clients would.
const connsPerService = 4

// system is the running system a measurement gets.
type system struct {
	cfg settings
	dir string
	// dbURL is the database of the services (each in its own schema).
	dbURL   string
	cluster *pgcluster.Cluster
	sup     *supervisor.Supervisor
	// conns are the gRPC connections to each service by name.
	conns map[string][]*grpc.ClientConn
	// gateway is the REST gateway's base URL; httpc its client.
	gateway string
	httpc   *http.Client
	issuer  *devissuer.Issuer
	js      jetstream.JetStream
	meter   *perf.Meter
	city    *city
	// memberSeed is what member-seed reported.
	memberSeed seedResult
	// bin holds the built commands; addrs are the services' gRPC
	// addresses and secrets their keys, by service.
	bin     string
	addrs   map[string]string
	secrets map[string]map[string]string
	// rows are the rows measured so far by name: ceilings for later ones.
	rows map[string]perf.Row
	// pprof are the services' profile addresses (with PERF_PROFILE).
	pprof map[string]string
	// logLines counts each process's output lines.
	logLines map[string]*atomic.Int64

	mu      sync.Mutex
	tokens  map[string]grpc.CallOption
	pools   map[string]*pgxpool.Pool
	closers []func()
}

func (s *system) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s perf: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// load is a closed-loop load of the configured clients and duration.
func (s *system) load() perf.Load {
	return perf.Load{Workers: s.cfg.Clients, Duration: time.Duration(s.cfg.Seconds) * time.Second}
}

// run applies l to call with the system's CPU meter.
func (s *system) run(ctx context.Context, l perf.Load, call perf.Call) perf.Result {
	return perf.Run(ctx, l, s.meter, call)
}

// runProfiled is run, and with PERF_PROFILE a CPU profile of service
// taken meanwhile into the run's profiles folder as <name>.pprof.
func (s *system) runProfiled(ctx context.Context, service, name string, l perf.Load, call perf.Call) perf.Result {
	addr := s.pprof[service]
	if addr == "" {
		return s.run(ctx, l, call)
	}
	done := make(chan error, 1)
	go func() { done <- s.saveProfile(ctx, addr, name, max(1, int(l.Duration.Seconds())-1)) }()
	res := s.run(ctx, l, call)
	if err := <-done; err != nil {
		s.logf("profile of %s: %v", name, err)
	}
	return res
}

func (s *system) saveProfile(ctx context.Context, addr, name string, seconds int) error {
	return s.saveDebug(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds), name+".pprof")
}

// saveDebug writes what url answers into the run's profiles folder as file.
func (s *system) saveDebug(ctx context.Context, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	dir := filepath.Join(s.dir, "profiles")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, strings.ReplaceAll(file, " ", "-")))
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// row is a measured row; it fails when every call failed.
func (s *system) row(name string, res perf.Result) (perf.Row, error) {
	if res.Calls > 0 && res.Errors == res.Calls {
		return perf.Row{}, fmt.Errorf("every call failed: %w", res.FirstError)
	}
	if res.Errors > 0 {
		s.logf("%s: %d of %d calls failed, the first: %v", name, res.Errors, res.Calls, res.FirstError)
	}
	return res.Row(name), nil
}

// conn is one of the connections to service, chosen by the worker.
func (s *system) conn(service string, worker int) *grpc.ClientConn {
	cs := s.conns[service]
	return cs[worker%len(cs)]
}

// token returns call options carrying a token for c, issued once.
func (s *system) token(c devissuer.Claims) (grpc.CallOption, error) {
	if c.Subject == "" {
		c.Subject = "perf-" + string(c.Role) + "-" + c.ScopeOrgID + c.MemberID
	}
	key := strings.Join([]string{c.Subject, string(c.Role), c.ScopeOrgID, c.MemberID}, "|")
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[key]; ok {
		return t, nil
	}
	c.TTL = 4 * time.Hour
	raw, err := s.issuer.Issue(c)
	if err != nil {
		return nil, err
	}
	t := grpc.PerRPCCredentials(auth.BearerToken(raw, false))
	s.tokens[key] = t
	return t, nil
}

// bearer is the Authorization header's value for c.
func (s *system) bearer(c devissuer.Claims) (string, error) {
	c.TTL = 4 * time.Hour
	if c.Subject == "" {
		c.Subject = "perf-" + string(c.Role)
	}
	raw, err := s.issuer.Issue(c)
	return "Bearer " + raw, err
}

// pool is a pool on the services' database in schema.
func (s *system) pool(ctx context.Context, schema string) (*pgxpool.Pool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pools[schema]; ok {
		return p, nil
	}
	p, err := pgdb.Open(ctx, s.dbURL, schema)
	if err != nil {
		return nil, err
	}
	s.pools[schema] = p
	return p, nil
}

// ceiling is a row measured earlier, by name; a zero row (which Against
// ignores) when it was not measured in this run (PERF_ONLY).
func (s *system) ceiling(name string) perf.Row {
	r, ok := s.rows[name]
	if !ok {
		s.logf("the ceiling %q was not measured in this run", name)
	}
	return r
}

// logCount is how many lines the services and the gateway have logged.
func (s *system) logCount() int64 {
	var n int64
	for _, c := range s.logLines {
		n += c.Load()
	}
	return n
}

// start builds and starts everything, and seeds the city. On error the
// returned system (when not nil) still needs stopping.
func start(ctx context.Context, cfg settings, root, dir string) (*system, error) {
	s := &system{cfg: cfg, dir: dir, rows: map[string]perf.Row{}, logLines: map[string]*atomic.Int64{},
		tokens: map[string]grpc.CallOption{}, pools: map[string]*pgxpool.Pool{}, conns: map[string][]*grpc.ClientConn{}}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	services, _ := stack.Present(root, stack.Services)
	bin := filepath.Join(dir, "bin")
	s.bin = bin
	packages := []string{stack.Gateway, "./deploy/local/cmd/gongjian-local", "./services/member/cmd/member-seed",
		"./services/member/cmd/member-bulkload"}
	for _, sv := range services {
		packages = append(packages, sv.Package)
	}
	s.logf("building %v", packages)
	if err := stack.Build(ctx, root, bin, os.Stderr, packages...); err != nil {
		return nil, err
	}

	// PostgreSQL, durable.
	tuning := pgcluster.ProductionTuning()
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{Dir: filepath.Join(dir, "postgres"), Durable: true, Settings: tuning})
	if err != nil {
		return nil, err
	}
	s.cluster = cluster
	s.logf("PostgreSQL durable (fsync, synchronous commit and full-page writes on), with %v", tuning)
	if err := cluster.EnsureDatabase(ctx, "gongjian"); err != nil {
		return s, err
	}
	s.dbURL = cluster.URL("gongjian")
	s.meter = &perf.Meter{}
	s.meter.Add("postgres", cluster.Pid(), true)

	s.sup = supervisor.New(func(name, line string) {
		if c := s.logLines[name]; c != nil {
			c.Add(1)
		}
	})
	for _, name := range append([]string{"nats", "gateway"}, names(services)...) {
		s.logLines[name] = new(atomic.Int64)
	}

	// NATS with fsync before acknowledging, as production runs it (the
	// launcher's `nats` subcommand).
	natsPort, err := freePort()
	if err != nil {
		return s, err
	}
	natsURL := "nats://127.0.0.1:" + strconv.Itoa(natsPort)
	if err := s.sup.Start(ctx, supervisor.Spec{
		Name: "nats", Path: filepath.Join(bin, "gongjian-local"),
		Args: []string{"nats", "-port", strconv.Itoa(natsPort), "-store", filepath.Join(dir, "nats")},
		Env:  stack.Environ(nil), Ready: supervisor.NATSJetStream(natsURL), ReadyTimeout: 30 * time.Second,
	}); err != nil {
		return s, err
	}
	s.meter.Add("nats", s.sup.Pid("nats"), false)
	nc, js, err := events.Connect(natsURL, "perf")
	if err != nil {
		return s, err
	}
	s.closers = append(s.closers, nc.Close)
	s.js = js

	if s.issuer, err = devissuer.Load(filepath.Join(dir, "auth")); err != nil {
		return s, err
	}
	addrs := map[string]string{}
	s.addrs = addrs
	for _, sv := range services {
		p, err := freePort()
		if err != nil {
			return s, err
		}
		addrs[sv.Name] = "127.0.0.1:" + strconv.Itoa(p)
	}
	secrets := map[string]map[string]string{}
	s.secrets = secrets
	s.pprof = map[string]string{}
	for _, sv := range services {
		env := sv.Env(addrs[sv.Name], s.dbURL, natsURL, s.issuer.KeysFile(), stack.Peers(services, addrs))
		if cfg.Profile {
			p, err := freePort()
			if err != nil {
				return s, err
			}
			s.pprof[sv.Name] = "127.0.0.1:" + strconv.Itoa(p)
			env = append(env, "PPROF_ADDR="+s.pprof[sv.Name])
		}
		extra, err := sv.Secrets(dir)
		if err != nil {
			return s, err
		}
		secrets[sv.Name] = extra
		for _, k := range slices.Sorted(maps.Keys(extra)) {
			env = append(env, k+"="+extra[k])
		}
		s.logf("starting %s on %s", sv.Name, addrs[sv.Name])
		if err := s.sup.Start(ctx, supervisor.Spec{Name: sv.Name, Path: stack.Binary(bin, sv.Package), Env: env,
			Ready: supervisor.GRPCHealth(addrs[sv.Name]), ReadyTimeout: 2 * time.Minute}); err != nil {
			return s, err
		}
		s.meter.Add(sv.Name, s.sup.Pid(sv.Name), false)
		for range connsPerService {
			conn, err := grpc.NewClient("passthrough:///"+addrs[sv.Name], grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				return s, err
			}
			s.closers = append(s.closers, func() { _ = conn.Close() })
			s.conns[sv.Name] = append(s.conns[sv.Name], conn)
		}
	}
	httpPort, err := freePort()
	if err != nil {
		return s, err
	}
	httpAddr := "127.0.0.1:" + strconv.Itoa(httpPort)
	genv := map[string]string{"HTTP_ADDR": httpAddr, "AUTH_KEYS_FILE": s.issuer.KeysFile()}
	if cfg.Profile {
		p, err := freePort()
		if err != nil {
			return s, err
		}
		s.pprof["gateway"] = "127.0.0.1:" + strconv.Itoa(p)
		genv["PPROF_ADDR"] = s.pprof["gateway"]
	}
	for _, sv := range services {
		genv[sv.GatewayEnv] = addrs[sv.Name]
	}
	if err := s.sup.Start(ctx, supervisor.Spec{Name: "gateway", Path: stack.Binary(bin, stack.Gateway), Env: stack.Environ(genv),
		Ready: supervisor.HTTPOK("http://" + httpAddr + "/healthz")}); err != nil {
		return s, err
	}
	s.meter.Add("gateway", s.sup.Pid("gateway"), false)
	s.gateway = "http://" + httpAddr
	s.httpc = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4 * cfg.Clients, MaxConnsPerHost: 4 * cfg.Clients}, Timeout: time.Minute}

	// The city.
	start := time.Now()
	if s.city, err = seedOrganisations(ctx, s, cfg.Orgs); err != nil {
		return s, fmt.Errorf("seed organisations: %w", err)
	}
	s.logf("seeded %d organisations in %v", s.city.orgCount, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if s.memberSeed, err = seedMembers(ctx, bin, s.dbURL, secrets["member"], cfg.Members); err != nil {
		return s, fmt.Errorf("seed members: %w", err)
	}
	s.logf("seeded %d members in %v", cfg.Members, time.Since(start).Round(time.Millisecond))
	if err := s.city.sampleMembers(ctx, s, min(cfg.Members, 200_000)); err != nil {
		return s, err
	}
	return s, nil
}

// stop stops the services, then NATS, then PostgreSQL.
func (s *system) stop() {
	for _, p := range s.pools {
		p.Close()
	}
	for _, c := range slices.Backward(s.closers) {
		c()
	}
	if s.sup != nil {
		if err := s.sup.Stop(s.cfg.Stop); err != nil {
			s.logf("stop: %v", err)
		}
	}
	if s.cluster != nil {
		if err := s.cluster.Stop(); err != nil {
			s.logf("stop postgres: %v", err)
		}
	}
}

// seedResult is what member-seed prints.
type seedResult struct {
	Members          int     `json:"members"`
	SeedSeconds      float64 `json:"seed_seconds"`
	CeilingRows      int     `json:"ceiling_rows"`
	CeilingPerSecond float64 `json:"ceiling_per_second"`
}

// seedMembers runs member-seed with the member service's keys.
func seedMembers(ctx context.Context, bin, dbURL string, keys map[string]string, n int) (seedResult, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "member-seed"), "-members", strconv.Itoa(n),
		"-ceiling-rows", strconv.Itoa(min(n, 200_000)))
	env := map[string]string{"DATABASE_URL": dbURL}
	maps.Copy(env, keys)
	cmd.Env = stack.Environ(env)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return seedResult{}, err
	}
	var res seedResult
	return res, json.Unmarshal(out.Bytes(), &res)
}

func names(services []stack.Service) []string {
	var out []string
	for _, s := range services {
		out = append(out, s.Name)
	}
	return out
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// machine names the machine the figures come from.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s/%s, %s", runtime.NumCPU(), cpu, runtime.GOOS, runtime.GOARCH, runtime.Version())
}
