package grpcapi_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/domain"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/transfer"
)

// benchMembers is the size of the job measured.
const benchMembers = 1000

// BenchmarkBulkTransfer transfers the 1,000 members of an enterprise's
// branch, each to the community they live in, as one bulk job (each member
// requested, confirmed and released in a transaction of its own with its
// outcome, three events and three audit records), on a durable PostgreSQL
// cluster (fsync and synchronous commit on) with NATS and the outbox relay
// running; beside it, the same work as three separate commands per member
// (RequestTransfer, ConfirmTransfer, ReleaseTransfer), as a client without
// the bulk job would do it. The service is called directly: a stream
// message per member costs little beside a transaction.
//
//	go test -run '^$' -bench BenchmarkBulkTransfer -benchtime=1x ./internal/grpcapi/
func BenchmarkBulkTransfer(b *testing.B) {
	svc, pool := benchService(b)
	ctx := audit.AsSystem(context.Background(), "bench")
	a := member.Actor{Subject: "bench", Role: "city_admin"}
	b.Run("bulk job", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			factory, community := benchFactory(b, svc, pool)
			b.StartTimer()
			job, err := svc.Transfers.StartBulk(ctx, transfer.BulkRequest{RequestID: member.NewID(), OrganisationID: factory,
				Reason: "restructured"}, a)
			if err != nil {
				b.Fatal(err)
			}
			pending, err := svc.BulkOutcomes(ctx, job.ID, true)
			if err != nil {
				b.Fatal(err)
			}
			transferred := 0
			err = svc.Transfers.RunBulk(ctx, job, pending, 0, a, func(o transfer.BulkOutcome, _ int) error {
				if o.Result == transfer.BulkTransferred && o.ToOrgID == community {
					transferred++
				}
				return nil
			})
			if err != nil || transferred != benchMembers {
				b.Fatalf("%d transferred: %v", transferred, err)
			}
		}
		b.ReportMetric(float64(benchMembers*b.N)/b.Elapsed().Seconds(), "members/s")
	})
	b.Run("three commands per member", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			factory, community := benchFactory(b, svc, pool)
			ids, err := memberIDs(pool, factory)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			for _, id := range ids {
				t, err := svc.Transfers.RequestTransfer(ctx, transfer.Request{MemberID: id, ToOrgID: community, Reason: "restructured"}, a)
				if err == nil {
					_, err = svc.Transfers.ConfirmTransfer(ctx, transfer.StepRequest{ID: t.ID, Actor: a, Reason: "signed on paper"})
				}
				if err == nil {
					_, err = svc.Transfers.ReleaseTransfer(ctx, transfer.StepRequest{ID: t.ID, Actor: a})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(benchMembers*b.N)/b.Elapsed().Seconds(), "members/s")
	})
}

// bulkReader is what the benchmark reads of a job.
type bulkReader interface {
	BulkOutcomes(ctx context.Context, jobID string, pendingOnly bool) ([]transfer.BulkOutcome, error)
}

// benchService is the domain service over a database on its own durable
// cluster, with NATS and the outbox relay running.
func benchService(b *testing.B) (*benchSvc, *pgxpool.Pool) {
	h := benchHarness(b)
	return &benchSvc{Services: h.Service.Domain, bulkReader: h.Service.Store}, h.Pool
}

type benchSvc struct {
	*domain.Services
	bulkReader
}

// benchRun makes each factory's national ID numbers its own.
var benchRun int

// benchFactory is a new district with a community and an enterprise's
// branch of benchMembers members who live in the community.
func benchFactory(b *testing.B, svc *benchSvc, pool *pgxpool.Pool) (string, string) {
	ctx := audit.AsSystem(context.Background(), "bench")
	city, district, street, community, factory := member.NewID(), member.NewID(), member.NewID(), member.NewID(), member.NewID()
	now := time.Now().UTC()
	err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		for _, o := range []orgview.Record{
			{ID: city, Kind: "CITY", State: "ACTIVE", Name: "city"},
			{ID: district, Kind: "DISTRICT", State: "ACTIVE", Name: "district", AncestorIDs: []string{city}},
			{ID: street, Kind: "STREET", State: "ACTIVE", Name: "street", DistrictID: district, AncestorIDs: []string{city, district}},
			{ID: community, Kind: "COMMUNITY", State: "ACTIVE", Name: "community", DistrictID: district, AncestorIDs: []string{city, district, street}},
			{ID: factory, Kind: "BRANCH", State: "ACTIVE", Name: "factory", DistrictID: district, AncestorIDs: []string{city, district, street}},
		} {
			if err := orgview.Apply(ctx, tx, o, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	benchRun++
	for i := range benchMembers {
		birth := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)
		first := fmt.Sprintf("%06d%s%03d", 610100+benchRun, birth.Format("20060102"), i%1000)
		m := &member.Member{Name: fmt.Sprintf("Worker %d", i), Sex: member.SexMale, BirthDate: birth,
			NationalID: first + string(member.CheckCharacter(first)), JoinDate: time.Date(1995, 7, 1, 0, 0, 0, 0, time.UTC),
			Status: member.StatusFull, OrganisationID: factory, Residence: member.Residence{CommunityID: community}}
		if _, err := svc.Members.Create(ctx, m, ""); err != nil {
			b.Fatal(err)
		}
	}
	return factory, community
}

func memberIDs(pool *pgxpool.Pool, orgID string) ([]string, error) {
	rows, err := pool.Query(context.Background(), `SELECT id::text FROM members WHERE organisation_id = $1 ORDER BY id`, orgID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
