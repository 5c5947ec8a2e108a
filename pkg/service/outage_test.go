package service_test

import (
	"context"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgcluster"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/service"
	"gongjian.dev/pkg/servicetest"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
)

// probe is the smallest service there is: nothing of its own but the audit
// trail every service serves, which reads the database.
var probe = service.Spec[struct{}]{
	Name: "probe", Schema: "probe", Migrations: []pgdb.MigrationSet{outbox.Migrations, audit.Migrations},
	Stream:    events.StreamSpec{Name: "PROBE", Subjects: []string{"gongjian.probe.v1.>"}},
	RelayLock: 0x70726f6265,
	Wire: func(context.Context, service.Deps) (struct{}, *service.Parts, error) {
		return struct{}{}, &service.Parts{Policy: authz.Policy{}}, nil
	},
}

// TestADatabaseOutageIsAnsweredAsOneAndHealsByItself: while PostgreSQL is
// down a call answers Unavailable (never Internal) and health says
// NOT_SERVING; once it is back, health says SERVING and calls succeed,
// without restarting the service.
func TestADatabaseOutageIsAnsweredAsOneAndHealsByItself(t *testing.T) {
	service.HealthInterval = 100 * time.Millisecond
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "outage-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	port := cluster.Port()
	t.Cleanup(func() { _ = cluster.Stop() })
	url := cluster.URL("postgres")
	if err := pgdb.Migrate(ctx, url, probe.Schema, probe.Migrations...); err != nil {
		t.Fatal(err)
	}
	pool, err := pgdb.Open(ctx, url, probe.Schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	h := servicetest.Start(t, probe, servicetest.WithPool(pool))
	conn := h.As(servicetest.CityAdmin)
	trail, health := auditv1.NewAuditServiceClient(conn), healthpb.NewHealthClient(conn)
	list := func() error {
		_, err := trail.ListAuditRecords(servicetest.Ctx(t), &auditv1.ListAuditRecordsRequest{Service: "probe"})
		return err
	}
	healthIs := func(want healthpb.HealthCheckResponse_ServingStatus) func() bool {
		return func() bool {
			resp, err := health.Check(servicetest.Ctx(t), &healthpb.HealthCheckRequest{})
			return err == nil && resp.GetStatus() == want
		}
	}
	if err := list(); err != nil {
		t.Fatalf("before the outage: %v", err)
	}

	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // a pooled connection that died, then fresh attempts
		if code := status.Code(list()); code != codes.Unavailable {
			t.Fatalf("call %d during the outage: %v, want Unavailable", i, code)
		}
	}
	servicetest.WaitFor(t, "health NOT_SERVING during the outage", healthIs(healthpb.HealthCheckResponse_NOT_SERVING))
	// Out of rotation, not dead: liveness holds, so nothing restarts it.
	if resp, err := health.Check(servicetest.Ctx(t), &healthpb.HealthCheckRequest{Service: service.Liveness}); err != nil ||
		resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("liveness during the outage: %v %v, want SERVING", resp.GetStatus(), err)
	}

	if cluster, err = pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Port: port}); err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
	servicetest.WaitFor(t, "health SERVING again", healthIs(healthpb.HealthCheckResponse_SERVING))
	servicetest.WaitFor(t, "calls succeeding again", func() bool { return list() == nil })
}
