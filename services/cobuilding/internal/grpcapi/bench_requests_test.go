package grpcapi_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/wiring"
)

// The rates benchmark runs the service over real loopback gRPC on a durable
// PostgreSQL cluster, tracing on, every call's token verified and its
// access checked, against one district of 10 streets × 10 communities
// whose residents' requests of one month (100,000 unless BENCH_REQUESTS
// says otherwise) were seeded with COPY, handled in every way the rates
// tell apart. The ceilings measure, in the same run, a bare gRPC call, a
// bare commit and a bare count of the same month's rows.

type rateTree struct {
	district, street, community string
	communities                 []string
}

func seedRates(b *testing.B, pool *pgxpool.Pool, requests int) rateTree {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var (
		orgRows     [][]any
		communities []string
		tr          rateTree
	)
	add := func(kind, parentPath, name, district string) (string, string) {
		id := cobuild.NewID()
		path := parentPath + id + "/"
		var d any
		if district != "" {
			d = district
		}
		orgRows = append(orgRows, []any{id, kind, "ACTIVE", name, d, path, now})
		return id, path
	}
	_, cityPath := add("CITY", "/", "city", "")
	tr.district, _ = add(cobuild.KindDistrict, cityPath, "district", "")
	districtPath := cityPath + tr.district + "/"
	orgRows[len(orgRows)-1][4] = tr.district
	for s := range 10 {
		street, streetPath := add(cobuild.KindStreet, districtPath, "street "+strconv.Itoa(s), tr.district)
		if s == 0 {
			tr.street = street
		}
		for c := range 10 {
			id, _ := add(cobuild.KindCommunity, streetPath, "community "+strconv.Itoa(s*10+c), tr.district)
			communities = append(communities, id)
		}
	}
	tr.community, tr.communities = communities[0], communities
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"orgs"}, []string{"id", "kind", "state", "name", "district_id", "path", "updated_at"},
		pgx.CopyFromRows(orgRows)); err != nil {
		b.Fatal(err)
	}
	// June 2026 in the city's calendar, away from its edges.
	start := time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := []string{"ENQUIRY", "CLAIM_AND_HANDLE", "HANDLE_ON_BEHALF", "HOME_VISIT", "MICRO_WISH"}
	ratings := []any{"SATISFIED", "BASICALLY_SATISFIED", "DISSATISFIED", nil}
	rows := make([][]any, 0, requests)
	for i := range requests {
		received := start.Add(time.Duration(rng.Int64N(int64(27 * 24 * time.Hour))))
		due := received.Add(24 * time.Hour)
		var accepted, progressDue, firstProgress, answered, satisfaction any
		state, resolved := "RECEIVED", false
		if i%10 != 0 { // nine in ten are accepted, some after the limit
			a := received.Add(time.Duration(rng.IntN(36)) * time.Hour)
			accepted, progressDue, state = a, a.Add(72*time.Hour), "ACCEPTED"
			if rng.IntN(2) == 0 {
				firstProgress = a.Add(time.Duration(rng.IntN(96)) * time.Hour)
			}
			if i%10 > 1 { // eight in ten are answered
				answered, state, resolved = a.Add(time.Duration(rng.IntN(6*24))*time.Hour), "ANSWERED", rng.IntN(4) != 0
				if satisfaction = ratings[rng.IntN(len(ratings))]; satisfaction != nil {
					state = "RATED"
				}
			}
		}
		rows = append(rows, []any{cobuild.NewID(), communities[rng.IntN(len(communities))], tr.district, kinds[i%len(kinds)], "PHONE",
			"求助", "居民" + strconv.Itoa(i), "13800000000", state, received, due, accepted, progressDue, firstProgress, answered,
			resolved, satisfaction, "bench", int64(1), now, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)})
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"service_requests"}, []string{"id", "community_id", "district_id", "kind",
		"channel", "title", "resident_name", "resident_phone", "state", "received_at", "response_due", "accepted_at",
		"progress_due", "first_progress_at", "answered_at", "resolved", "satisfaction", "received_by", "version", "updated_at",
		"received_month"},
		pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	// The counts the service keeps on write, as a migration from an older
	// system would fill them.
	if _, err := pool.Exec(ctx, liveCounts); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return tr
}

// liveCountsSelect counts the requests of each community and month as the
// counts kept on write do.
const liveCountsSelect = `SELECT community_id, received_month AS month, district_id, count(*)::int AS received,
		count(*) FILTER (WHERE accepted_at <= response_due)::int AS responded,
		count(*) FILTER (WHERE answered_at IS NOT NULL)::int AS answered,
		count(*) FILTER (WHERE answered_at IS NOT NULL AND accepted_at <= response_due
			AND coalesce(first_progress_at, answered_at) <= progress_due)::int AS on_time,
		count(*) FILTER (WHERE answered_at IS NOT NULL AND resolved)::int AS resolved,
		count(*) FILTER (WHERE satisfaction IS NOT NULL)::int AS rated,
		count(*) FILTER (WHERE satisfaction IN ('SATISFIED', 'BASICALLY_SATISFIED'))::int AS satisfied
	FROM service_requests GROUP BY community_id, received_month, district_id`

// liveCounts fills the counts from the requests.
const liveCounts = `INSERT INTO service_request_counts (community_id, month, district_id, received, responded, answered,
	on_time, resolved, rated, satisfied) ` + liveCountsSelect

func BenchmarkServiceRequestRates(b *testing.B) {
	requests := 100_000
	if s := os.Getenv("BENCH_REQUESTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		requests = n
	}
	spec := wiring.Spec(&wiring.Config{SweepInterval: time.Hour})
	pool := servicetest.DurablePool(b, spec)
	tr := seedRates(b, pool, requests)
	h := servicetest.Start(b, spec, servicetest.WithPool(pool), servicetest.Loopback(),
		servicetest.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	conn := h.As(devissuer.Claims{Subject: "bench", Role: auth.CityAdmin})
	client := pb.NewServiceRequestServiceClient(conn)
	ctx := context.Background()
	const concurrency = 8

	servicetest.Ceilings(b, conn, pool, concurrency)
	b.Run("rates/district-counted-live-from-the-requests", func(b *testing.B) {
		for b.Loop() {
			rows, err := pool.Query(ctx, `SELECT * FROM (`+liveCountsSelect+`) c WHERE district_id = $1`, tr.district)
			if err != nil {
				b.Fatal(err)
			}
			rows.Close()
		}
	})
	b.Run("ceiling/sql-count-of-the-districts-month", func(b *testing.B) {
		for b.Loop() {
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM service_requests WHERE district_id = $1
				AND received_at >= '2026-05-31 16:00Z' AND received_at < '2026-06-30 16:00Z'`, tr.district).Scan(&n); err != nil || n != requests {
				b.Fatalf("%d rows, %v", n, err) // run before "receive" adds some
			}
		}
	})
	b.Run("receive", func(b *testing.B) {
		b.SetParallelism(concurrency)
		b.RunParallel(func(p *testing.PB) {
			for p.Next() {
				if _, err := client.CreateServiceRequest(ctx, &pb.CreateServiceRequestRequest{
					ServiceRequest: requestOf(tr.communities[rand.IntN(len(tr.communities))], pb.ServiceRequestKind_SERVICE_REQUEST_KIND_ENQUIRY)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	for _, level := range []struct{ name, id string }{{"district", tr.district}, {"street", tr.street}, {"community", tr.community}} {
		b.Run("rates/"+level.name, func(b *testing.B) {
			for b.Loop() {
				r, err := client.GetServiceRequestRates(ctx, &pb.GetServiceRequestRatesRequest{OrganisationId: level.id, Month: "2026-06"})
				if err != nil || r.GetTotal().GetReceived() == 0 {
					b.Fatalf("%v, %v", r.GetTotal(), err)
				}
			}
		})
	}
}
