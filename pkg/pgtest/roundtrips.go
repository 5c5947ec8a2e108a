package pgtest

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"

	"gongjian.dev/pkg/pgdb"
)

// RoundTrips is a pgx tracer that counts, per gRPC method, the round trips
// its handling makes to PostgreSQL: each statement sent alone (BEGIN and
// COMMIT included) is one, and a batch of statements sent together is
// one. Set it as the ConnConfig.Tracer of the service's pool in a test,
// make a call, and Take its method's count.
type RoundTrips struct {
	mu     sync.Mutex
	counts map[string]int
}

// NewRoundTrips returns a tracer with nothing counted.
func NewRoundTrips() *RoundTrips { return &RoundTrips{counts: map[string]int{}} }

func (r *RoundTrips) add(ctx context.Context) context.Context {
	if m, ok := grpc.Method(ctx); ok {
		r.mu.Lock()
		r.counts[m]++
		r.mu.Unlock()
	}
	return ctx
}

// TraceQueryStart implements pgx.QueryTracer.
func (r *RoundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return r.add(ctx)
}

// TraceQueryEnd implements pgx.QueryTracer.
func (r *RoundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart implements pgx.BatchTracer.
func (r *RoundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return r.add(ctx)
}

// TraceBatchQuery implements pgx.BatchTracer.
func (r *RoundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd implements pgx.BatchTracer.
func (r *RoundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// Take returns the count of method and forgets it.
func (r *RoundTrips) Take(method string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.counts[method]
	delete(r.counts, method)
	return n
}

// CountingPool returns a pool on a new database migrated with sets into
// schema, its statements counted by the RoundTrips it returns with it: the
// pool a round-trip test gives the service it starts. The pool is closed
// and the database dropped when the test ends.
func CountingPool(t testing.TB, schema string, sets ...pgdb.MigrationSet) (*pgxpool.Pool, *RoundTrips) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(URL(t, schema, sets...))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	rt := NewRoundTrips()
	cfg.ConnConfig.Tracer = rt
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool, rt
}
