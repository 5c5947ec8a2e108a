package bench_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/pgcluster"
	"gongjian.dev/pkg/servicetest"
	"gongjian.dev/services/member/internal/dues"
	"gongjian.dev/services/member/internal/idcrypt"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/wiring"
)

// yearLines is the statement the bounds write a year of lines with: every
// member's line of the months $1 to $2 of 2026 into the table named, made
// by the server itself (nothing crosses the wire).
func yearLines(table string) string {
	return `INSERT INTO ` + table + ` (id, member_id, month, organisation_id, amount_fen, band_kind, rate_basis_points,
			monthly_income_fen, settings_version, batch_id, created_at)
		SELECT gen_random_uuid(), m.id, make_date(2026, mon, 1), m.organisation_id, 2000, 'IN_SERVICE', 100,
			200000, 1, '00000000-0000-0000-0000-000000000001', now()
		FROM generate_series($1::int, $2::int) mon, members m`
}

// twoConnections writes a year of lines into table from two connections
// at once (the machine's two cores), six months each, and answers lines
// per second. With monthly, each month is its own statement (and
// transaction); otherwise each connection's six months are one.
func twoConnections(b *testing.B, pool *pgxpool.Pool, table string, monthly bool) float64 {
	b.Helper()
	var written atomic.Int64
	start := time.Now()
	g, gctx := errgroup.WithContext(context.Background())
	for half := range 2 {
		g.Go(func() error {
			first, step := 1+6*half, 6
			if monthly {
				step = 1
			}
			for from := first; from < first+6; from += step {
				tag, err := pool.Exec(gctx, yearLines(table), from, from+step-1)
				if err != nil {
					return err
				}
				written.Add(tag.RowsAffected())
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	return float64(written.Load()) / time.Since(start).Seconds()
}

// bareInsertCeiling bounds any way of writing a year of bills into this
// database: twelve lines a member, written by the server itself (INSERT …
// SELECT, nothing crossing the wire) into a table shaped like dues_bills
// without any index, key or constraint, from two connections at once (the
// machine's two cores), each its six months in one transaction.
func bareInsertCeiling(b *testing.B, pool *pgxpool.Pool) float64 {
	b.Helper()
	if _, err := pool.Exec(context.Background(), tableLike("dues_bills_bare", "")); err != nil {
		b.Fatal(err)
	}
	return twoConnections(b, pool, "dues_bills_bare", false)
}

// keyedPartitionBound bounds any design that keeps the ledger's one rule
// generation cannot do without — one line per member and month, checked
// by a unique index — at its cheapest: the bare table of bareInsertCeiling
// partitioned by month (so that each month's inserts touch only that
// month's index), with that unique key and nothing else, written by the
// server itself from two connections (six months each, a month a
// transaction) with plain INSERT … SELECT, no conflict handling and no
// other index. With memberKey, the table also has the ledger's foreign key
// to members, which PostgreSQL checks row by row.
func keyedPartitionBound(b *testing.B, pool *pgxpool.Pool, memberKey bool) float64 {
	b.Helper()
	table, fk := "dues_bills_keyed", ""
	if memberKey {
		table, fk = "dues_bills_keyed_fk", ", FOREIGN KEY (member_id) REFERENCES members (id)"
	}
	if _, err := pool.Exec(context.Background(), tableLike(table, `, UNIQUE (member_id, month)`+fk)+` PARTITION BY RANGE (month)`); err != nil {
		b.Fatal(err)
	}
	monthlyPartitions(b, pool, table)
	return twoConnections(b, pool, table, true)
}

// monthlyPartitions gives the partitioned table a partition for each
// month of 2026.
func monthlyPartitions(b *testing.B, pool *pgxpool.Pool, table string) {
	b.Helper()
	for mon := 1; mon <= 12; mon++ {
		from := time.Date(2026, time.Month(mon), 1, 0, 0, 0, 0, time.UTC)
		if _, err := pool.Exec(context.Background(), fmt.Sprintf(`CREATE TABLE %s_%02d PARTITION OF %s
				FOR VALUES FROM ('%s') TO ('%s')`, table, mon, table, from.Format(time.DateOnly),
			from.AddDate(0, 1, 0).Format(time.DateOnly))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDuesYear bills a year (twelve months) for every branch of the
// benchmark city, each district's month one generation of its subtree as
// the API makes it (the candidates in one query, a sheet per branch in one
// insert, with event and audit record). A month's generations follow one
// another (they take the month's lock), so four months are billed at once,
// each by its own client, district after district. Then, as the ceiling
// of the same run, the sheets generation wrote are copied with COPY into a
// table shaped like dues_sheets (its keys and indexes); and, for the
// designs that keep a row per line, the same year written by the server
// into a table shaped like the lines without any index
// (bareInsertCeiling) and with the one key such a design cannot drop,
// month by month (keyedPartitionBound). BENCH_MEMBERS sets the city's
// size (1,000,000 by default). The server is set as production's
// (pgcluster.ProductionTuning), generation and ceilings alike.
func BenchmarkDuesYear(b *testing.B) {
	cfg := &wiring.Config{IDKeys: "v1:" + idcrypt.NewKey(), IDHashKey: idcrypt.NewKey(), SweepInterval: time.Hour}
	spec := wiring.Spec(cfg)
	pool := servicetest.DurablePool(b, spec, pgcluster.ProductionTuning())
	ids, err := idcrypt.New(cfg.IDKeys, cfg.IDHashKey)
	if err != nil {
		b.Fatal(err)
	}
	n := 1_000_000
	if v := os.Getenv("BENCH_MEMBERS"); v != "" {
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	c := seed(b, pool, ids, n)
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "bench", Role: auth.CityAdmin})
	declare(b, pool)
	h := servicetest.Start(b, spec, servicetest.WithPool(pool), servicetest.Loopback(),
		servicetest.WithClock(func() time.Time { return time.Date(2026, 12, 15, 2, 0, 0, 0, time.UTC) }),
		servicetest.WithStreams(events.StreamSpec{Name: "ORGANISATION", Subjects: []string{"gongjian.organisation.v1.>"}}),
		servicetest.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	svc := h.Service.Domain.Dues
	b.ResetTimer()
	var lines atomic.Int64
	months := make([]time.Duration, 12)
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	const monthsAtOnce = 4
	for first := range monthsAtOnce {
		g.Go(func() error {
			for month := first; month < 12; month += monthsAtOnce {
				began := time.Now()
				m := time.Date(2026, time.Month(month+1), 1, 0, 0, 0, 0, time.UTC)
				for _, d := range c.districts {
					batch, err := svc.Generate(gctx, d, true, m, member.Actor{Subject: "bench"})
					if err != nil {
						return err
					}
					lines.Add(int64(len(batch.Bills)))
				}
				months[month] = time.Since(began).Round(100 * time.Millisecond)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(lines.Load())/took.Seconds(), "lines/s")
	b.ReportMetric(took.Seconds(), "s/year")
	var sheets int64
	var size string
	if err := pool.QueryRow(ctx, `SELECT count(*), pg_size_pretty(pg_total_relation_size('dues_sheets')) FROM dues_sheets`).Scan(&sheets, &size); err != nil {
		b.Fatal(err)
	}
	b.Logf("a year of bills: %d lines on %d sheets (%s) for %d members in %v (%.0f lines/s); month by month: %v", lines.Load(),
		sheets, size, n, took.Round(time.Millisecond), float64(lines.Load())/took.Seconds(), months)
	ceiling := sheetCopyCeiling(b, pool)
	b.ReportMetric(ceiling, "copy-lines/s")
	b.Logf("COPY ceiling (the same sheets): %.0f lines/s, %.1f s; generation at %.0f%% of it", ceiling,
		float64(lines.Load())/ceiling, 100*float64(lines.Load())/took.Seconds()/ceiling)
	bare := bareInsertCeiling(b, pool)
	b.ReportMetric(bare, "bare-insert-lines/s")
	b.Logf("a row a line, bare INSERT bound: %.0f lines/s; %d lines would take %.1f s with no index at all",
		bare, lines.Load(), float64(lines.Load())/bare)
	keyed := keyedPartitionBound(b, pool, false)
	b.ReportMetric(keyed, "keyed-insert-lines/s")
	b.Logf("a row a line, keyed INSERT bound (monthly partitions, the one-per-member-and-month key alone): %.0f lines/s; %d lines would take %.1f s",
		keyed, lines.Load(), float64(lines.Load())/keyed)
}

// sheetCopyCeiling copies the sheets generation wrote with COPY into a
// table like dues_sheets (its keys, checks and indexes), read from the
// table by a second connection as they are written, and answers lines
// per second.
func sheetCopyCeiling(b *testing.B, pool *pgxpool.Pool) float64 {
	b.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE dues_sheets_ceiling (LIKE dues_sheets INCLUDING ALL)`); err != nil {
		b.Fatal(err)
	}
	var lines int64
	if err := pool.QueryRow(ctx, `SELECT sum(cardinality(member_ids)) FROM dues_sheets`).Scan(&lines); err != nil {
		b.Fatal(err)
	}
	cols := []string{"id", "organisation_id", "month", "batch_id", "settings_version", "created_at", "owing", "member_ids",
		"amount_fen", "band_kind", "rate_basis_points", "monthly_income_fen", "declaration_ids", "exemption_ids"}
	start := time.Now()
	rows, err := pool.Query(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM dues_sheets`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"dues_sheets_ceiling"}, cols, rows); err != nil {
		b.Fatal(err)
	}
	return float64(lines) / time.Since(start).Seconds()
}

// tableLike is a table with dues_bills' columns: a row a line.
func tableLike(table, extra string) string {
	return `CREATE TABLE ` + table + ` (id uuid, member_id uuid, month date, organisation_id uuid, amount_fen bigint,
		band_kind text, rate_basis_points bigint, monthly_income_fen bigint, declaration_id uuid, exemption_id uuid,
		settings_version bigint, batch_id uuid, created_at timestamptz` + extra + `)`
}

// declare writes one income declaration per member with COPY, as of
// January 2026 — a fifth of them none, so that their generation answers
// them undeclared unless their status pays the fixed amount. The ledger's
// trigger keeps each on its member's row, once for the whole COPY.
func declare(b *testing.B, pool *pgxpool.Pool) {
	b.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT id::text, organisation_id::text, employment_status FROM members`)
	if err != nil {
		b.Fatal(err)
	}
	type m struct{ id, org, status string }
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (m, error) {
		var x m
		return x, r.Scan(&x.id, &x.org, &x.status)
	})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Now().UTC()
	out := make([][]any, 0, len(list))
	for _, x := range list {
		if r.IntN(5) == 0 {
			continue
		}
		status := x.status
		if status == dues.Other || status == "" {
			status = dues.SelfEmployed
		}
		out = append(out, []any{uuid(), x.id, x.org, jan, int64(150000 + r.IntN(1200000)), status, false, "", "bench", now})
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"dues_declarations"}, []string{"id", "member_id", "organisation_id",
		"effective_month", "monthly_income_fen", "employment_status", "minimum_living_allowance", "note", "declared_by",
		"declared_at"}, pgx.CopyFromRows(out)); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE members`); err != nil {
		b.Fatal(err)
	}
}
