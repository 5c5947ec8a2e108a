package grpcapi_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/procfs"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/bulkload"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/wiring"
)

// BenchmarkBulkImport imports a roster of BENCH_ROWS new members (20,000
// by default) spread over branches of 1,500, through MemberImportService
// over loopback gRPC with the token checked, end to end (upload, staging,
// checks, registration with audit records, events and counts), beside
// its ceiling measured in the same run: pgx CopyFrom of the same rows,
// sealed, into a table shaped like members, with its primary key only and
// with all its indexes (bulkload.Run). The peak RSS
// is the process's (service and client) during the import.
//
//	BENCH_ROWS=1500000 go test -run '^$' -bench BenchmarkBulkImport -benchtime 1x -timeout 60m ./internal/grpcapi/
func BenchmarkBulkImport(b *testing.B) {
	rows := 20_000
	if v := os.Getenv("BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		rows = n
	}
	cfg := testConfig()
	spec := wiring.Spec(cfg)
	h := servicetest.Start(b, spec, servicetest.WithPool(servicetest.DurablePool(b, spec)), servicetest.WithStreams(orgStream),
		servicetest.Loopback(), servicetest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	branches := seedBranches(b, h.Pool, rows/1500+1)
	client := pb.NewMemberImportServiceClient(h.As(cityAdmin))
	for b.Loop() {
		res, err := bulkload.Run(context.Background(), bulkload.Config{Rows: rows, Organisations: branches, Client: client,
			Pool: h.Pool, IDKeys: cfg.IDKeys, IDHashKey: cfg.IDHashKey,
			ResetPeakRSS: procfs.ResetPeakRSS, PeakRSS: procfs.PeakRSS})
		if err != nil {
			b.Fatal(err)
		}
		b.Log(res)
		b.ReportMetric(res.RowsPerSecond, "rows/s")
		b.ReportMetric(res.CeilingRowsPerSecond, "ceiling_rows/s")
		b.ReportMetric(res.Ratio, "ratio")
		b.ReportMetric(res.IndexedCeilingRowsPerSecond, "indexed_ceiling_rows/s")
		b.ReportMetric(res.IndexedRatio, "indexed_ratio")
		b.ReportMetric(float64(res.PeakRSSBytes)/(1<<20), "peak_rss_MiB")
	}
}

// seedBranches puts a city, district, street, community and n branches
// under it in the local view, and returns the branches.
func seedBranches(b *testing.B, pool interface {
	Begin(context.Context) (pgx.Tx, error)
}, n int) []string {
	b.Helper()
	ctx := context.Background()
	ids := []string{member.NewID(), member.NewID(), member.NewID(), member.NewID()}
	kinds := []string{"CITY", "DISTRICT", "STREET", "COMMUNITY"}
	var branches []string
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for i, id := range ids {
			if err := orgview.Apply(ctx, tx, orgview.Record{ID: id, Kind: kinds[i], State: member.OrgActive,
				Name: kinds[i], DistrictID: ids[1], AncestorIDs: ids[:i]}, time.Now()); err != nil {
				return err
			}
		}
		for range n {
			id := member.NewID()
			if err := orgview.Apply(ctx, tx, orgview.Record{ID: id, Kind: "BRANCH", State: member.OrgActive,
				Name: "BRANCH", DistrictID: ids[1], AncestorIDs: ids}, time.Now()); err != nil {
				return err
			}
			branches = append(branches, id)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return branches
}
