package servicetest

import (
	"context"
	"maps"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/pgcluster"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/service"
	"gongjian.dev/pkg/telemetry"
)

// DurablePool is a migrated database of spec's service on a PostgreSQL
// cluster of its own with production's settings (fsync and synchronous
// commit on, unlike the test template's, which trades durability for
// speed), for benchmarks; and the process traces as a service does, every
// span recorded and dropped. Settings are further server parameters
// (pgcluster.ProductionTuning, for the city's volumes). Pass it to Start
// with WithPool.
func DurablePool[T any](b testing.TB, spec service.Spec[T], settings ...map[string]string) *pgxpool.Pool {
	b.Helper()
	ctx := context.Background()
	shutdown, err := telemetry.Setup(ctx, spec.Name+"-bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = shutdown(ctx) })
	extra := map[string]string{}
	for _, m := range settings {
		maps.Copy(extra, m)
	}
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{Durable: true, Settings: extra})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cluster.Stop() })
	url := cluster.URL("postgres")
	if err := pgdb.Migrate(ctx, url, spec.Schema, spec.Migrations...); err != nil {
		b.Fatal(err)
	}
	pool, err := pgdb.Open(ctx, url, spec.Schema)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool
}
