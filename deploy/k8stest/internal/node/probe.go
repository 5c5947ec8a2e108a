package node

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// probe runs the container's probes as the kubelet does: the start-up
// probe until it passes (killing the container when it fails
// failureThreshold times in a row), then readiness and liveness side by
// side (a liveness failure kills the container, which the restart policy
// then restarts).
func (c *Container) probe(ctx context.Context) {
	if sp := c.Spec.StartupProbe; sp != nil {
		if !c.probeLoop(ctx, "Startup", sp, func(ok bool) bool { return ok }) {
			return
		}
	}
	c.mu.Lock()
	c.started = true
	if c.Spec.ReadinessProbe == nil {
		c.ready = true
	}
	c.mu.Unlock()
	var wg sync.WaitGroup
	if rp := c.Spec.ReadinessProbe; rp != nil {
		wg.Go(func() {
			c.probeLoop(ctx, "Readiness", rp, func(ok bool) bool {
				c.mu.Lock()
				c.ready = ok
				c.mu.Unlock()
				return false
			})
		})
	}
	if lp := c.Spec.LivenessProbe; lp != nil {
		wg.Go(func() { c.probeLoop(ctx, "Liveness", lp, func(bool) bool { return false }) })
	}
	wg.Wait()
}

// probeLoop probes every period. Results pass through the probe's
// success and failure thresholds before decide hears them; decide says
// whether the loop is done. A start-up or liveness probe that reaches its
// failure threshold kills the container. It returns whether decide ended
// the loop (rather than the container's end or a kill).
func (c *Container) probeLoop(ctx context.Context, kind string, p *corev1.Probe, decide func(ok bool) bool) bool {
	period := time.Duration(max(p.PeriodSeconds, 1)) * time.Second
	timeout := time.Duration(max(p.TimeoutSeconds, 1)) * time.Second
	successes, failures := 0, 0
	successThreshold, failureThreshold := int(max(p.SuccessThreshold, 1)), int(max(p.FailureThreshold, 1))
	if !sleepCtx(ctx, time.Duration(p.InitialDelaySeconds)*time.Second) {
		return false
	}
	for {
		err := c.check(ctx, p, timeout)
		if ctx.Err() != nil {
			return false
		}
		if err == nil {
			successes, failures = successes+1, 0
			if successes >= successThreshold && decide(true) {
				return true
			}
		} else {
			successes, failures = 0, failures+1
			c.event("%s probe failed: %v", kind, err)
			if failures >= failureThreshold {
				if kind == "Readiness" {
					decide(false)
				} else {
					grace := c.pod.Obj.Spec.TerminationGracePeriodSeconds
					if p.TerminationGracePeriodSeconds != nil {
						grace = p.TerminationGracePeriodSeconds
					}
					secs := int64(corev1.DefaultTerminationGracePeriodSeconds)
					if grace != nil {
						secs = *grace
					}
					c.event("Container %s failed %s probe %d times, will be restarted", c.Spec.Name, strings.ToLower(kind), failures)
					go c.terminate(time.Now().Add(time.Duration(secs)*time.Second), true)
					return false
				}
			}
		}
		if !sleepCtx(ctx, period) {
			return false
		}
	}
}

// check runs one probe against the container, which listens on the
// node's loopback.
func (c *Container) check(ctx context.Context, p *corev1.Probe, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch {
	case p.GRPC != nil:
		return c.grpcCheck(ctx, p.GRPC)
	case p.HTTPGet != nil:
		return c.httpGet(ctx, p.HTTPGet, timeout)
	case p.TCPSocket != nil:
		port, err := c.port(p.TCPSocket.Port)
		if err != nil {
			return err
		}
		host := p.TCPSocket.Host
		if host == "" {
			host = "127.0.0.1"
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return err
		}
		return conn.Close()
	}
	return fmt.Errorf("no probe handler")
}

// grpcCheck asks the gRPC health service, as the kubelet's native gRPC
// probe does (plaintext, the probe's service name or "").
func (c *Container) grpcCheck(ctx context.Context, g *corev1.GRPCAction) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(g.Port)))
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	service := ""
	if g.Service != nil {
		service = *g.Service
	}
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return fmt.Errorf("failed to connect service %q within %s: %w", addr, time.Until(deadlineOf(ctx)).Round(time.Millisecond), err)
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("service unhealthy (responded with %q)", resp.GetStatus())
	}
	return nil
}

func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// httpGet is the kubelet's HTTP probe: a status from 200 to 399 passes.
func (c *Container) httpGet(ctx context.Context, g *corev1.HTTPGetAction, timeout time.Duration) error {
	port, err := c.port(g.Port)
	if err != nil {
		return err
	}
	host := g.Host
	if host == "" {
		host = "127.0.0.1"
	}
	scheme := strings.ToLower(string(g.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	url := fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(host, strconv.Itoa(port)), g.Path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "kube-probe/1.34")
	for _, h := range g.HTTPHeaders {
		req.Header.Set(h.Name, h.Value)
	}
	client := &http.Client{Timeout: timeout}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 10<<10))
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("HTTP probe failed with statuscode: %d (%s)", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// port resolves a probe's port: a number, or the name of one of the
// container's ports.
func (c *Container) port(p intstr.IntOrString) (int, error) {
	if p.Type == intstr.Int {
		return p.IntValue(), nil
	}
	for _, cp := range c.Spec.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	return 0, fmt.Errorf("port %q is not a port of container %s", p.StrVal, c.Spec.Name)
}
