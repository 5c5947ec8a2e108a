package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"gongjian.dev/deploy/local/internal/perf"
)

// The ceilings' names, for the rows measured against them.
const (
	ceilingPgbench = "pgbench TPC-B"
	ceilingHealth  = "gRPC health"
	ceilingCommit  = "insert-and-commit"
	ceilingCopy    = "CopyFrom member rows"
)

func init() {
	register(10, "ceiling/pgbench", measurePgbench)
	register(11, "ceiling/grpc-health", measureHealth)
	register(12, "ceiling/insert-and-commit", measureCommit)
	register(13, "ceiling/copy", measureCopy)
}

// pgbenchScale is the TPC-B scale: small, as PERFORMANCE.md's ceiling.
const pgbenchScale = 10

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+)`)

// measurePgbench runs pgbench's TPC-B (8 clients, prepared) against the
// services' own cluster, in a database of its own.
func measurePgbench(ctx context.Context, s *system) ([]perf.Row, error) {
	if err := s.cluster.EnsureDatabase(ctx, "pgbench"); err != nil {
		return nil, err
	}
	url := s.cluster.URL("pgbench")
	dir := filepath.Join(s.dir, "pgbench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		return nil, fmt.Errorf("pgbench (Debian's postgresql-client): %w", err)
	}
	if out, err := exec.CommandContext(ctx, pgbench, "-i", "-q", "-s", strconv.Itoa(pgbenchScale), url).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgbench -i: %v: %s", err, out)
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	clientBefore := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	before := s.meter.Sample()
	cmd := exec.CommandContext(ctx, pgbench, "-c", "8", "-j", "2", "-M", "prepared", "-T", strconv.Itoa(s.cfg.Seconds),
		"-l", "--log-prefix", filepath.Join(dir, "log"), url)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("pgbench: %v: %s", err, out)
	}
	cpu := s.meter.Sample().Since(before)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	client := time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) - clientBefore
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("no tps in pgbench's output: %s", out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	lat, err := pgbenchLatencies(dir)
	if err != nil {
		return nil, err
	}
	// pgbench is the load generator here, a child of this process.
	cpu.ByProcess[perf.ClientName] = client
	res := perf.Result{Latencies: lat, CPU: cpu}
	row := res.Row(ceilingPgbench)
	row.PerSecond = tps
	row.CPUPerCallMs = cpu.PerCall(tps * float64(s.cfg.Seconds))
	row.Note = fmt.Sprintf("scale %d, 8 clients, prepared, synchronous commit, the services' cluster", pgbenchScale)
	return []perf.Row{row}, nil
}

// pgbenchLatencies reads the per-transaction logs (-l): the third field is
// the latency in µs.
func pgbenchLatencies(dir string) ([]time.Duration, error) {
	files, err := filepath.Glob(filepath.Join(dir, "log.*"))
	if err != nil {
		return nil, err
	}
	var out []time.Duration
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 3 {
				continue
			}
			us, err := strconv.ParseInt(fields[2], 10, 64)
			if err == nil {
				out = append(out, time.Duration(us)*time.Microsecond)
			}
		}
		fh.Close()
	}
	slices.Sort(out)
	return out, nil
}

// measureHealth calls the member service's gRPC health check: its
// interceptors (tracing, logging, recovery) and no work.
func measureHealth(ctx context.Context, s *system) ([]perf.Row, error) {
	res := s.run(ctx, s.load(), func(ctx context.Context, w int) error {
		_, err := healthpb.NewHealthClient(s.conn("member", w)).Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	})
	row, err := s.row(ceilingHealth, res)
	row.Note = "the member service's gRPC health check over loopback, the same load generator"
	return []perf.Row{row}, err
}

// measureCommit inserts one row and commits, each call its own durable
// transaction, on the services' cluster.
func measureCommit(ctx context.Context, s *system) ([]perf.Row, error) {
	cfg, err := pgxpool.ParseConfig(s.dbURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = int32(s.cfg.Clients)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS perf; CREATE TABLE IF NOT EXISTS perf.commits
		(id bigint PRIMARY KEY, request_id text NOT NULL, at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, err
	}
	var k atomic.Int64
	res := s.run(ctx, s.load(), func(ctx context.Context, w int) error {
		n := k.Add(1)
		_, err := pool.Exec(ctx, `INSERT INTO perf.commits (id, request_id) VALUES ($1, $2)`, n, "ceiling-"+strconv.FormatInt(n, 10))
		return err
	})
	row, err := s.row(ceilingCommit, res)
	row.Note = "one row inserted and committed a call, fsync and synchronous commit on"
	if err != nil {
		return nil, err
	}
	// The same with a NOTIFY in the transaction, as the outbox once woke
	// its relay: PostgreSQL holds one lock of the whole cluster's
	// notification queue from before such a commit's flush until after it,
	// so these commits go one at a time.
	res = s.run(ctx, s.load(), func(ctx context.Context, w int) error {
		n := k.Add(1)
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO perf.commits (id, request_id) VALUES ($1, $2)`, n, "ceiling-"+strconv.FormatInt(n, 10))
		b.Queue(`SELECT pg_notify('perf_commits', '')`)
		return pool.SendBatch(ctx, b).Close()
	})
	notify := res.Row("insert-and-commit with NOTIFY").Against(row)
	notify.Note = "the same row and a NOTIFY, one implicit transaction a call"
	return []perf.Row{row, notify}, nil
}

// measureCopy reports the CopyFrom ceiling member-seed measured.
func measureCopy(ctx context.Context, s *system) ([]perf.Row, error) {
	r := s.memberSeed
	seedRate := float64(r.Members) / r.SeedSeconds
	return []perf.Row{{Name: ceilingCopy, PerSecond: r.CeilingPerSecond,
		Note: fmt.Sprintf("COPY of %d member rows (ID numbers sealed and hashed) into a table shaped as members without indexes or triggers;"+
			" the seed itself (into members, with its indexes and counters, then VACUUM ANALYZE) ran at %.0f rows/s", r.CeilingRows, seedRate)}}, nil
}
