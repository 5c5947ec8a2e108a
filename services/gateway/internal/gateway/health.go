package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/code"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// healthTimeout bounds each backend's health check, so that one hung
// backend cannot hold the probe past its own timeout.
const healthTimeout = 2 * time.Second

// healthReport is the body of /healthz.
type healthReport struct {
	Status   string            `json:"status"`
	Backends map[string]string `json:"backends"`
}

// healthHandler asks every backend's gRPC health service about the whole
// server (empty service name) and reports the state of each. It is the
// gateway's readiness check, and a backend being down says nothing about
// the gateway itself: it answers 200 as long as it serves ("degraded" when
// a backend does not), and that backend's routes answer 503 meanwhile, so
// that one service's outage never takes every gateway out of rotation.
func healthHandler(backends []backend) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		report := healthReport{Status: "ok", Backends: make(map[string]string, len(backends))}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, b := range backends {
			wg.Go(func() {
				state := check(r.Context(), b)
				mu.Lock()
				defer mu.Unlock()
				report.Backends[b.name] = state
			})
		}
		wg.Wait()
		for _, state := range report.Backends {
			if state != healthpb.HealthCheckResponse_SERVING.String() {
				report.Status = "degraded"
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(report)
	})
}

// check returns the serving status of a backend, or the gRPC code of the
// failed check (UNAVAILABLE when it cannot be reached).
func check(ctx context.Context, b backend) string {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	resp, err := healthpb.NewHealthClient(b.conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return code.Code(status.Code(err)).String()
	}
	return resp.GetStatus().String()
}
