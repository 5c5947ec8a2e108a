package pgdb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func sqlFiles(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, sql := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(sql)}
	}
	return fsys
}

var (
	accounts = pgdb.MigrationSet{Name: "accounts", FS: sqlFiles(map[string]string{
		"001_create_accounts.sql": `CREATE TABLE accounts (
			id int PRIMARY KEY,
			email text NOT NULL CONSTRAINT accounts_email_key UNIQUE,
			balance int NOT NULL DEFAULT 0 CONSTRAINT accounts_balance_non_negative CHECK (balance >= 0)
		);`,
	})}
	// ledger refers to accounts, so it only migrates after it.
	ledger = pgdb.MigrationSet{Name: "ledger", FS: sqlFiles(map[string]string{
		"001_create_transfers.sql": `CREATE TABLE transfers (
			id serial PRIMARY KEY,
			account_id int NOT NULL CONSTRAINT transfers_account_fkey REFERENCES accounts (id),
			amount int NOT NULL
		);`,
		"002_index_transfers.sql": `CREATE INDEX transfers_account_idx ON transfers (account_id);`,
	})}
)

func TestMigrateIsIdempotentAndUsesTheSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t, "scratch")
	for range 2 {
		if err := pgdb.Migrate(ctx, url, "billing", accounts, ledger); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	pool := open(t, url, "billing")
	got := strings.Split(queryString(t, pool, `SELECT string_agg(table_schema || '.' || table_name, ' ' ORDER BY table_name)
		FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`), " ")
	want := []string{"billing.accounts", "billing.accounts_schema_version", "billing.ledger_schema_version", "billing.transfers"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
	versions := queryString(t, pool, "SELECT (SELECT version FROM accounts_schema_version) || ',' || (SELECT version FROM ledger_schema_version)")
	if versions != "1,2" {
		t.Errorf("versions of accounts,ledger = %s, want 1,2", versions)
	}
}

func TestMigrateAppliesOnlyNewMigrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t, "scratch")
	first := pgdb.MigrationSet{Name: "notes", FS: sqlFiles(map[string]string{
		"001_create_notes.sql": "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('seeded once');",
	})}
	second := pgdb.MigrationSet{Name: "notes", FS: sqlFiles(map[string]string{
		"001_create_notes.sql": "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('seeded once');",
		"002_add_author.sql":   "ALTER TABLE notes ADD COLUMN author text NOT NULL DEFAULT 'unknown';",
	})}
	for _, set := range []pgdb.MigrationSet{first, second, second} {
		if err := pgdb.Migrate(ctx, url, "notes", set); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	got := queryString(t, open(t, url, "notes"), "SELECT string_agg(body || ' by ' || author, ';') FROM notes")
	if want := "seeded once by unknown"; got != want {
		t.Errorf("notes = %q, want %q", got, want)
	}
}

func TestConcurrentMigrationsWaitForEachOther(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t, "scratch")
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = pgdb.Migrate(context.Background(), url, "billing", accounts, ledger) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Errorf("concurrent Migrate: %v", err)
	}
}

func TestMigrateRejectsUnsafeNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		schema string
		set    pgdb.MigrationSet
	}{
		{"an upper-case schema", "Billing", accounts},
		{"a schema with a hyphen", "bill-ing", accounts},
		{"an empty schema", "", accounts},
		{"a schema smuggling SQL", "x; DROP SCHEMA public", accounts},
		{"a schema too long for PostgreSQL", strings.Repeat("s", 64), accounts},
		{"a set name with a dot", "billing", pgdb.MigrationSet{Name: "a.b", FS: accounts.FS}},
		{"a set without files", "billing", pgdb.MigrationSet{Name: "empty"}},
	}
	twice := []pgdb.MigrationSet{accounts, {Name: "accounts", FS: ledger.FS}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// No server listens here: the names must be refused first.
			err := pgdb.Migrate(context.Background(), "postgres://nobody@127.0.0.1:1/none", tt.schema, tt.set)
			if err == nil || strings.Contains(err.Error(), "connect") {
				t.Errorf("Migrate(%q, %q) = %v, want the name refused", tt.schema, tt.set.Name, err)
			}
		})
	}
	t.Run("two sets with one name", func(t *testing.T) {
		t.Parallel()
		err := pgdb.Migrate(context.Background(), "postgres://nobody@127.0.0.1:1/none", "billing", twice...)
		if err == nil || !strings.Contains(err.Error(), `two migration sets named "accounts"`) {
			t.Errorf("Migrate with two sets named accounts = %v, want them refused", err)
		}
	})
}

func TestOpenConfinesTheSessionToTheSchema(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t, "billing", accounts)
	pool := open(t, url, "billing")
	if got := queryString(t, pool, "SHOW search_path"); got != "billing" {
		t.Errorf("search_path = %q, want billing", got)
	}
	exec(t, pool, "INSERT INTO accounts (id, email) VALUES (1, 'a@example.com')")
}

func TestOpenKeepsQueryParametersOutOfSpans(t *testing.T) {
	t.Parallel()
	recorder := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	otel.SetTracerProvider(provider)
	pool := open(t, pgtest.URL(t, "billing", accounts), "billing")

	// Database spans are only made inside a request's span.
	ctx, request := provider.Tracer("test").Start(context.Background(), "request")
	const secret = "resident-7f3a@example.com"
	const statement = "INSERT INTO accounts (id, email) VALUES ($1, $2)"
	if _, err := pool.Exec(ctx, statement, 7, secret); err != nil {
		t.Fatal(err)
	}
	request.End()

	var statements int
	for _, span := range recorder.Ended() {
		for _, attr := range span.Attributes() {
			if strings.Contains(attr.Value.Emit(), secret) {
				t.Errorf("span %q carries the parameter in %s", span.Name(), attr.Key)
			}
			if attr.Value.Emit() == statement {
				statements++
			}
		}
	}
	if statements == 0 {
		t.Errorf("no span carries the statement: is the pool traced?")
	}
}

func TestOnlyASlowWaitForAConnectionIsTraced(t *testing.T) {
	t.Parallel()
	recorder := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	// Every wait is measured, traced or not, slow or not. (Other tests'
	// pools may measure into the same global provider: the checks below
	// are of this test's waits at least.)
	reader := sdkmetric.NewManualReader()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	url := pgtest.URL(t, "billing", accounts)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	pool := open(t, url+sep+"pool_max_conns=1", "billing")
	acquires := func() (n int) {
		for _, span := range recorder.Ended() {
			if span.Name() == "pool.acquire" {
				n++
			}
		}
		return n
	}

	ctx, request := provider.Tracer("test").Start(context.Background(), "request")
	defer request.End()
	exec(t, pool, "SELECT 1") // the pool's one connection, made
	if _, err := pool.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if n := acquires(); n != 0 {
		t.Errorf("a connection found at once made %d acquire spans, want none", n)
	}

	held, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		held.Release()
	}()
	if _, err := pool.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	var waited []sdktrace.ReadOnlySpan
	for _, span := range recorder.Ended() {
		if span.Name() == "pool.acquire" {
			waited = append(waited, span)
		}
	}
	if len(waited) != 1 {
		t.Fatalf("a wait for the one connection made %d acquire spans, want 1", len(waited))
	}
	span := waited[0]
	if d := span.EndTime().Sub(span.StartTime()); d < 10*time.Millisecond {
		t.Errorf("the acquire span lasts %v; the wait was about 20ms", d)
	}
	if span.Parent().SpanID() != request.SpanContext().SpanID() {
		t.Errorf("the acquire span's parent is %v, want the request's span", span.Parent().SpanID())
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var waits uint64
	var longest float64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "db.client.connection.wait_time" {
				for _, p := range h.DataPoints {
					waits += p.Count
					if mx, ok := p.Max.Value(); ok && mx > longest {
						longest = mx
					}
				}
			}
		}
	}
	if waits < 3 || longest < 0.01 {
		t.Errorf("db.client.connection.wait_time counted %d waits, the longest %.4fs; want this test's 3 at least, one of about 0.02s", waits, longest)
	}
}

func open(t *testing.T, url, schema string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgdb.Open(context.Background(), url, schema)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func queryString(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) string {
	t.Helper()
	var s string
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

// execErr runs sql and returns its error wrapped, as a store would.
func execErr(pool *pgxpool.Pool, sql string) error {
	_, err := pool.Exec(context.Background(), sql)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
