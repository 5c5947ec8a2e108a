package grpcapi_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	"gongjian.dev/services/cobuilding/internal/wiring"
)

// BenchmarkMissedReportSweep is a city's monthly-report sweep: 100,000
// units (BENCH_UNITS for another size) in 100 communities of one district,
// each with a live agreement since May 2026 and no report, so that on 17
// June (May's reports were due on the 10th) each owes one month. One
// iteration is a whole sweep as the sweeper job runs it: batches of
// agreements taken with SKIP LOCKED, each month recorded once with its
// UnitReportMissed event in the outbox and the agreements' sweep mark
// moved, in one transaction per batch, on a durable PostgreSQL cluster.
// Between iterations the misses, their events and the marks are reset.
// Beside it, in the same run: the bare commit of the service's ceilings,
// and one INSERT … SELECT of as many rows into a table of the same shape as
// missed_reports, committed (what set-based SQL can do at best).
func BenchmarkMissedReportSweep(b *testing.B) {
	units := 100_000
	if s := os.Getenv("BENCH_UNITS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		units = n
	}
	spec := wiring.Spec(&wiring.Config{SweepInterval: time.Hour})
	pool := servicetest.DurablePool(b, spec)
	tr := seedRates(b, pool, 0)
	clock := servicetest.NewClock(day0)
	h := servicetest.Start(b, spec, servicetest.WithPool(pool), servicetest.Loopback(), servicetest.WithClock(clock.Now),
		servicetest.WithLocation(city), servicetest.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	conn := h.As(devissuer.Claims{Subject: "bench", Role: auth.CityAdmin})
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO resident_units (id, name, type, community_id, street_id, district_id, version, created_at, updated_at)
		SELECT gen_random_uuid(), 'unit ' || i, 'STATE_ENTERPRISE', ($1::uuid[])[1 + i % cardinality($1::uuid[])], NULL, $2,
			1, now(), now()
		FROM generate_series(1, $3) i`, tr.communities, tr.district, units); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO agreements (id, community_id, unit_id, goals, start_date, end_date, community_contact, unit_contact,
			signed_date, state, version, district_id, reports_swept_to, created_at, updated_at)
		SELECT gen_random_uuid(), community_id, id, '{}', '2026-05-01', '2028-04-30', '{}', '{}', '2026-04-28', 'LIVE', 1,
			district_id, '2026-05-01', now(), now()
		FROM resident_units`); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE bench_missed (LIKE missed_reports INCLUDING ALL); ANALYZE`); err != nil {
		b.Fatal(err)
	}
	reset := func(b *testing.B) {
		b.Helper()
		if _, err := pool.Exec(ctx, `DELETE FROM missed_reports; DELETE FROM outbox;
			UPDATE agreements SET reports_swept_to = '2026-05-01'; TRUNCATE bench_missed`); err != nil {
			b.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `VACUUM ANALYZE agreements`); err != nil {
			b.Fatal(err)
		}
	}

	servicetest.Ceilings(b, conn, pool, 1)
	b.Run("ceiling/insert-select-of-the-months-committed", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			reset(b)
			b.StartTimer()
			tag, err := pool.Exec(ctx, `INSERT INTO bench_missed (unit_id, community_id, month, agreement_id, district_id,
				due_date, detected_at)
				SELECT unit_id, community_id, '2026-05-01', id, district_id, '2026-06-10', now() FROM agreements`)
			if err != nil || tag.RowsAffected() != int64(units) {
				b.Fatalf("%v, %v", tag, err)
			}
		}
	})
	b.Run("sweep", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			reset(b)
			b.StartTimer()
			n, err := h.Service.Services.Reports.SweepMissed(ctx)
			if err != nil || n != units {
				b.Fatalf("%d months found, want %d: %v", n, units, err)
			}
		}
		b.ReportMetric(float64(units)*float64(b.N)/b.Elapsed().Seconds(), "months/s")
	})
	b.Run("sweep-with-nothing-new", func(b *testing.B) {
		for b.Loop() {
			if n, err := h.Service.Services.Reports.SweepMissed(ctx); err != nil || n != 0 {
				b.Fatalf("%d months found again: %v", n, err)
			}
		}
	})
}
