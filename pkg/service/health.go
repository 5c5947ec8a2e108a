package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"gongjian.dev/pkg/grpcserver"
)

// Liveness is the health service name that answers SERVING as long as the
// process serves, whatever its database does: Kubernetes' liveness probe
// asks it, so that a database outage takes replicas out of rotation
// (readiness, the empty name) without restarting them.
const Liveness = "gongjian.liveness"

// HealthInterval is how often a service checks that its database answers.
var HealthInterval = 2 * time.Second

// WatchDatabase keeps the server's health at NOT_SERVING while its database
// does not answer, and back at SERVING once it does, until ctx ends: a
// replica that cannot reach its database is taken out of rotation (the
// Kubernetes readiness probe asks gRPC health) and comes back by itself.
// Calls that reach it meanwhile answer Unavailable.
func WatchDatabase(ctx context.Context, pool *pgxpool.Pool, srv *grpcserver.Server, log *slog.Logger) error {
	serving := true
	set := func(status healthpb.HealthCheckResponse_ServingStatus) {
		srv.Health.SetServingStatus("", status)
		for name := range srv.GetServiceInfo() {
			srv.Health.SetServingStatus(name, status)
		}
	}
	t := time.NewTicker(HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		pingCtx, cancel := context.WithTimeout(ctx, HealthInterval)
		err := pool.Ping(pingCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && serving:
			log.Warn("database unreachable: not serving until it answers", "error", err.Error())
			set(healthpb.HealthCheckResponse_NOT_SERVING)
			serving = false
		case err == nil && !serving:
			log.Info("database answers again: serving")
			set(healthpb.HealthCheckResponse_SERVING)
			serving = true
		}
	}
}
