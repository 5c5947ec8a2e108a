package grpcapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/wiring"
)

// The benchmarks run the service over a real loopback TCP connection, on a
// durable PostgreSQL cluster, with tracing on, against
// a tree of about 100,000 organisations shaped like a city: 15 districts,
// 200 streets, 4,000 communities, each community with 23 branches, grids and
// party groups. The ceiling benchmarks measure, in the same run, what this
// machine gives a bare gRPC call and a bare query, so that the figures can be
// read as ratios.

type benchTree struct {
	districts   []string
	streets     []string
	communities []string
	leaves      []string
}

var benchShape = struct{ districts, streetsPer, communitiesPer, leavesPer int }{15, 14, 20, 23}

func benchEnv(b *testing.B) (pb.OrganisationServiceClient, pb.ComplianceServiceClient, *grpc.ClientConn, *pgxpool.Pool, *benchTree) {
	b.Helper()
	spec := wiring.Spec(&wiring.Config{})
	pool := servicetest.DurablePool(b, spec)
	tree := seedTree(b, pool)
	// As in production, over loopback TCP: every call's token verified and
	// its access checked, every write's events relayed to NATS. The city's
	// organisation department calls; a scoped caller adds one indexed
	// lookup per organisation the call touches.
	h := servicetest.Start(b, spec, servicetest.WithPool(pool), servicetest.Loopback(),
		servicetest.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	conn := h.As(devissuer.Claims{Subject: "bench", Role: auth.CityAdmin})
	return pb.NewOrganisationServiceClient(conn), pb.NewComplianceServiceClient(conn), conn, pool, tree
}

// seedTree writes the tree with COPY, as a migration from an older system would.
func seedTree(b *testing.B, pool *pgxpool.Pool) *benchTree {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var rows, versions [][]any
	t := &benchTree{}
	add := func(kind org.Kind, parentPath, parentID, district, name string, depth int, details string) (string, string) {
		id := org.NewID()
		path := parentPath + id + "/"
		var parent, dist any
		if parentID != "" {
			parent = parentID
		}
		if district != "" {
			dist = district
		}
		rows = append(rows, []any{id, parent, string(kind), name, path, depth, dist, "ACTIVE", details, "[]", int64(1), now, now})
		snap, _ := json.Marshal(map[string]any{"parent_id": parentID, "kind": kind, "name": name, "state": "ACTIVE", "details": json.RawMessage(details)})
		versions = append(versions, []any{id, int64(1), "created", now, string(snap)})
		return id, path
	}
	city, cityPath := add(org.City, "/", "", "", "city", 0, "{}")
	for d := range benchShape.districts {
		did, dpath := add(org.District, cityPath, city, "", fmt.Sprintf("district %d", d), 1, "{}")
		t.districts = append(t.districts, did)
		for s := range benchShape.streetsPer {
			sid, spath := add(org.Street, dpath, did, did, fmt.Sprintf("street %d.%d", d, s), 2, "{}")
			t.streets = append(t.streets, sid)
			for c := range benchShape.communitiesPer {
				cid, cpath := add(org.Community, spath, sid, did, fmt.Sprintf("community %d.%d.%d", d, s, c), 3, `{"community_form":"BRANCH"}`)
				t.communities = append(t.communities, cid)
				for l := range benchShape.leavesPer {
					kind := org.Branch
					if l%5 == 4 {
						kind = org.Grid
					}
					lid, _ := add(kind, cpath, cid, did, fmt.Sprintf("branch %d.%d.%d.%d", d, s, c, l), 4, "{}")
					t.leaves = append(t.leaves, lid)
				}
			}
		}
	}
	cols := []string{"id", "parent_id", "kind", "name", "path", "depth", "district_id", "state", "details", "leadership", "version", "created_at", "updated_at"}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"organisations"}, cols, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"organisation_versions"},
		[]string{"organisation_id", "version", "change", "valid_from", "snapshot"}, pgx.CopyFromRows(versions)); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d organisations", len(rows))
	return t
}

// concurrency × GOMAXPROCS clients call at once: 16 on two cores, enough to
// keep the server busy, as many districts' users would.
const concurrency = 8

func pick(ids []string) string { return ids[rand.IntN(len(ids))] }

func BenchmarkOrganisations(b *testing.B) {
	client, compliance, conn, pool, tree := benchEnv(b)
	ctx := context.Background()

	servicetest.Ceilings(b, conn, pool, concurrency)
	b.Run("ceiling/sql-select-by-primary-key", func(b *testing.B) {
		b.SetParallelism(concurrency)
		b.RunParallel(func(p *testing.PB) {
			for p.Next() {
				var name string
				if err := pool.QueryRow(ctx, `SELECT name FROM organisations WHERE id = $1`, pick(tree.leaves)).Scan(&name); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("get", func(b *testing.B) {
		b.SetParallelism(concurrency)
		b.RunParallel(func(p *testing.PB) {
			for p.Next() {
				if _, err := client.GetOrganisation(ctx, &pb.GetOrganisationRequest{Id: pick(tree.leaves)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	var n atomic.Int64
	b.Run("create", func(b *testing.B) {
		b.SetParallelism(concurrency)
		b.RunParallel(func(p *testing.PB) {
			for p.Next() {
				_, err := client.CreateOrganisation(ctx, &pb.CreateOrganisationRequest{Organisation: &pb.Organisation{
					ParentId: pick(tree.communities), Kind: pb.OrganisationKind_ORGANISATION_KIND_BRANCH,
					Name: fmt.Sprintf("new branch %d", n.Add(1)),
				}})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	for _, level := range []struct {
		name string
		ids  []string
		size int32
	}{
		{"subtree-first-page/community", tree.communities, 50},
		{"subtree-first-page/street", tree.streets, 50},
		{"subtree-first-page/district", tree.districts, 50},
		{"subtree-page-500/district", tree.districts, 500},
	} {
		b.Run(level.name, func(b *testing.B) {
			b.SetParallelism(concurrency)
			b.RunParallel(func(p *testing.PB) {
				for p.Next() {
					resp, err := client.ListOrganisations(ctx, &pb.ListOrganisationsRequest{AncestorId: pick(level.ids), PageSize: level.size})
					if err != nil || len(resp.GetOrganisations()) == 0 {
						b.Fatal(err, len(resp.GetOrganisations()))
					}
				}
			})
		})
	}
	b.Run("subtree-walk-all-pages/district", func(b *testing.B) {
		for b.Loop() {
			req := &pb.ListOrganisationsRequest{AncestorId: pick(tree.districts), PageSize: 500}
			total := 0
			for {
				resp, err := client.ListOrganisations(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				total += len(resp.GetOrganisations())
				if resp.GetNextPageToken() == "" {
					break
				}
				req.PageToken = resp.GetNextPageToken()
			}
			if total < 6000 {
				b.Fatalf("walked %d organisations of a district", total)
			}
		}
	})
	b.Run("compliance-report/district", func(b *testing.B) {
		for b.Loop() {
			resp, err := compliance.GetComplianceReport(ctx, &pb.GetComplianceReportRequest{OrganisationId: pick(tree.districts), Subtree: true})
			if err != nil || len(resp.GetResults()) != 10 || resp.GetResults()[2].GetChecked() < 200 {
				b.Fatal(err, resp.GetResults())
			}
		}
	})
}
