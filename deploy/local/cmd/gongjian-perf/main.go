// Command gongjian-perf is `make perf`: it starts the whole system as `make
// run` does — a durable PostgreSQL cluster (fsync and synchronous commit
// on), NATS storing every message with fsync before acknowledging it, the
// four services and the gateway each as its own process, tracing, token
// checks, access rules and audit on — seeds a city of the size it is told
// with COPY, then measures, in the same run, the machine's ceilings and the
// system's operations with its own load generator over gRPC and HTTP on
// loopback, and prints one table (operation, throughput, p50/p99, ceiling,
// ratio, the load generator's CPU share) and writes the same rows as JSON
// to .data/perf.json.
//
//	PERF_MEMBERS   members of the city (default 1,000,000)
//	PERF_ORGS      organisations of the city (default 50,000)
//	PERF_IMPORT_ROWS members of the roster the bulk import loads (default
//	               200,000, at most one and a half times PERF_MEMBERS;
//	               1500000 for the whole city's roster)
//	PERF_SECONDS   how long each measurement runs (default 15)
//	PERF_CLIENTS   concurrent callers of a closed-loop measurement (default 16)
//	PERF_ONLY      a regular expression: only the measurements it matches
//	PERF_PROFILE   true: CPU profiles of the services under the reads and
//	               writes, and of the gateway under the REST reads, and
//	               the member service's heap at its peak under the import,
//	               into .data/perf/profiles
//
// A measurement is one function registered with register (see
// measurements.go); it gets the running system and returns its rows.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"gongjian.dev/deploy/local/internal/perf"
	"gongjian.dev/deploy/local/internal/stack"
	"gongjian.dev/pkg/config"
)

// settings are read from the environment.
type settings struct {
	Members int `env:"PERF_MEMBERS" envDefault:"1000000"`
	Orgs    int `env:"PERF_ORGS" envDefault:"50000"`
	// ImportRows is the roster of the bulk import: 0 for 200,000 (one and
	// a half times Members when that is fewer).
	ImportRows int           `env:"PERF_IMPORT_ROWS"`
	Seconds    int           `env:"PERF_SECONDS" envDefault:"15"`
	Clients    int           `env:"PERF_CLIENTS" envDefault:"16"`
	Only       string        `env:"PERF_ONLY"`
	Profile    bool          `env:"PERF_PROFILE"`
	Data       string        `env:"GONGJIAN_DATA"`
	Stop       time.Duration `env:"PERF_STOP_GRACE" envDefault:"20s"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "perf:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	var cfg settings
	if err := config.Load(&cfg); err != nil {
		return err
	}
	if cfg.Members < 1000 || cfg.Orgs < 200 {
		return errors.New("PERF_MEMBERS must be at least 1000 and PERF_ORGS at least 200")
	}
	only, err := regexp.Compile(cfg.Only)
	if err != nil {
		return fmt.Errorf("PERF_ONLY: %w", err)
	}
	root, err := stack.RepoRoot(".")
	if err != nil {
		return err
	}
	data := cfg.Data
	if data == "" {
		data = filepath.Join(root, ".data")
	}
	if data, err = filepath.Abs(data); err != nil {
		return err
	}
	sys, err := start(ctx, cfg, root, filepath.Join(data, "perf"))
	if sys != nil {
		defer sys.stop()
	}
	if err != nil {
		return err
	}
	var rows []perf.Row
	for _, m := range sortedMeasurements() {
		if !only.MatchString(m.name) {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		sys.settle(ctx)
		sys.logf("measuring %s", m.name)
		got, err := m.run(ctx, sys)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		for _, r := range got {
			sys.logf("  %s: %.0f/s p50 %.2f ms p99 %.2f ms", r.Name, r.PerSecond, r.P50ms, r.P99ms)
			sys.rows[r.Name] = r
		}
		rows = append(rows, got...)
	}
	fmt.Printf("\nmake perf: %d members, %d organisations; %d s a measurement, %d clients; %s\n\n",
		cfg.Members, sys.city.orgCount, cfg.Seconds, cfg.Clients, machine())
	if err := perf.WriteTable(os.Stdout, rows); err != nil {
		return err
	}
	fmt.Println("\nclient cpu: the load generator's share of the CPU time spent by it and the system's processes" +
		" (services, gateway, NATS, PostgreSQL and its backends) during the row, read from getrusage and /proc/<pid>/stat.")
	out := filepath.Join(data, "perf.json")
	if err := perf.WriteJSON(out, rows); err != nil {
		return err
	}
	fmt.Printf("rows written to %s\n", out)
	return nil
}
