// Package pgtest gives each test its own PostgreSQL database, already
// migrated, in milliseconds.
//
// On first use in a test binary it connects to the server named by
// TEST_DATABASE_URL or, when that is unset, starts a private, non-durable
// cluster from the machine's PostgreSQL binaries. For every distinct schema
// and set of migrations it migrates one template database, once; each test
// then gets a copy made with CREATE DATABASE … TEMPLATE, dropped when the
// test ends. A package that uses it declares
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// so that its cluster is stopped and removed after the tests.
//
// Templates are named after a hash of their schema and migrations, so a
// server named by TEST_DATABASE_URL keeps reusing them across runs until
// the migrations change; stale ones (tpl_…) can be dropped at will. The role
// in TEST_DATABASE_URL needs the CREATEDB privilege.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/pgcluster"
	"gongjian.dev/pkg/pgdb"
)

// URLEnv names the variable holding the URL of an existing server to use
// instead of starting one.
const URLEnv = "TEST_DATABASE_URL"

const (
	startTimeout   = 2 * time.Minute
	migrateTimeout = 2 * time.Minute
	dbTimeout      = 30 * time.Second
	adminConns     = 16
)

var shared struct {
	mu  sync.Mutex
	env *environment
	err error // why the server could not be reached; not retried
}

// Main runs the tests of a package, then stops the cluster the package
// started, if any, and exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Pool returns a pool on a new database migrated with sets into schema,
// opened with pgdb.Open. The pool is closed and the database dropped when
// the test ends. When no server can be reached, the test fails.
func Pool(t testing.TB, schema string, sets ...pgdb.MigrationSet) *pgxpool.Pool {
	t.Helper()
	url := URL(t, schema, sets...)
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	pool, err := pgdb.Open(ctx, url, schema)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// URL returns the URL of a new database migrated with sets into schema, for
// tests that open their own connections (with pgdb.Open, to get the
// schema's search_path). The database is dropped when the test ends, so
// whatever connects to it must be closed by then. When no server can be
// reached, the test fails.
func URL(t testing.TB, schema string, sets ...pgdb.MigrationSet) string {
	t.Helper()
	env, err := sharedEnvironment()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name, err := env.newDatabase(schema, sets)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env.dropDatabase(name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return env.url(name)
}

// sharedEnvironment reaches the server on first use.
func sharedEnvironment() (*environment, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.env == nil && shared.err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		shared.env, shared.err = startEnvironment(ctx)
	}
	return shared.env, shared.err
}

func startEnvironment(ctx context.Context) (*environment, error) {
	if url := os.Getenv(URLEnv); url != "" {
		return newEnvironment(ctx, url, nil)
	}
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{})
	if err != nil {
		return nil, fmt.Errorf("starting a PostgreSQL cluster (or set %s): %w", URLEnv, err)
	}
	env, err := newEnvironment(ctx, cluster.URL("postgres"), cluster)
	if err != nil {
		cluster.Stop()
	}
	return env, err
}

func shutdown() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.env == nil {
		return nil
	}
	err := shared.env.close()
	shared.env, shared.err = nil, fmt.Errorf("used after Main finished")
	return err
}
