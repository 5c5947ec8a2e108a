package servicetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Ceilings runs, as sub-benchmarks of b, what this machine gives a bare
// call in the same run as a service's own figures, so that those can be
// read as ratios: a gRPC health check over conn (the server's interceptors
// but no work), and a durable insert-and-commit on pool (one row of the
// service's request-id table). parallelism × GOMAXPROCS clients call at
// once.
func Ceilings(b *testing.B, conn *grpc.ClientConn, pool *pgxpool.Pool, parallelism int) {
	ctx := context.Background()
	b.Run("ceiling/grpc-health-check", func(b *testing.B) {
		h := healthpb.NewHealthClient(conn)
		b.SetParallelism(parallelism)
		b.RunParallel(func(p *testing.PB) {
			for p.Next() {
				if _, err := h.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	var k atomic.Int64
	b.Run("ceiling/sql-insert-and-commit", func(b *testing.B) {
		b.SetParallelism(parallelism)
		b.RunParallel(func(p *testing.PB) {
			for p.Next() {
				if _, err := pool.Exec(ctx, `INSERT INTO requests (request_id, resource_id) VALUES ($1, $2)`,
					fmt.Sprintf("ceiling-%d", k.Add(1)), uuid.NewString()); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
