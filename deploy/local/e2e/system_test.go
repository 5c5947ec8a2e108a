// Package e2e tests the whole system the way `make run` starts it: the
// launcher builds and starts PostgreSQL, NATS, the services and the gateway
// as separate processes, and the tests talk to it as clients would: REST
// over HTTP, gRPC, a NATS consumer, grpcurl, and an OTLP collector that
// receives every process's spans.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gongjian.dev/deploy/local/internal/stack"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/logtest"
	"gongjian.dev/pkg/otlptest"
)

// system is a running launcher and the addresses it serves on.
type system struct {
	root string
	data string // GONGJIAN_DATA
	http string
	grpc string
	// memberGRPC is the member service's gRPC address.
	memberGRPC string
	natsURL    string
	pgURL      string
	collector  *otlptest.Collector
	issuer     *devissuer.Issuer
	admin      string // a city administrator's token
	cmd        *exec.Cmd
	output     *logtest.Buffer
	exited     chan error
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startSystem builds the launcher and runs it on free ports with its data in
// a temporary folder, exporting spans to an in-test collector.
func startSystem(t *testing.T) *system {
	t.Helper()
	root, err := stack.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	collector, err := otlptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(collector.Stop)
	data, err := os.MkdirTemp("", "gongjian-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(data) })
	// The database server runs as the postgres user and must enter the folder.
	if err := os.Chmod(data, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(data, "gongjian-local")
	build := exec.Command("go", "build", "-o", bin, "./deploy/local/cmd/gongjian-local")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the launcher: %v\n%s", err, out)
	}
	pgPort, natsPort, grpcPort, httpPort, memberPort := freePort(t), freePort(t), freePort(t), freePort(t), freePort(t)
	s := &system{
		root: root, data: data, collector: collector, output: &logtest.Buffer{}, exited: make(chan error, 1),
		http:       fmt.Sprintf("127.0.0.1:%d", httpPort),
		grpc:       fmt.Sprintf("127.0.0.1:%d", grpcPort),
		memberGRPC: fmt.Sprintf("127.0.0.1:%d", memberPort),
		natsURL:    fmt.Sprintf("nats://127.0.0.1:%d", natsPort),
		pgURL:      fmt.Sprintf("postgres://postgres@127.0.0.1:%d/gongjian?sslmode=disable", pgPort),
	}
	s.cmd = exec.Command(bin, "-no-demo")
	s.cmd.Dir = root
	s.cmd.Env = append(os.Environ(),
		"GONGJIAN_DATA="+data,
		fmt.Sprintf("PG_PORT=%d", pgPort),
		fmt.Sprintf("NATS_PORT=%d", natsPort),
		"ORGANISATION_GRPC_ADDR="+s.grpc,
		"MEMBER_GRPC_ADDR="+s.memberGRPC,
		fmt.Sprintf("COBUILDING_GRPC_ADDR=127.0.0.1:%d", freePort(t)),
		fmt.Sprintf("SUPERVISION_GRPC_ADDR=127.0.0.1:%d", freePort(t)),
		"HTTP_ADDR="+s.http,
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="+collector.Endpoint()+"/v1/traces",
		"OTEL_BSP_SCHEDULE_DELAY=100",
	)
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() { s.stop(t) })
	s.waitReady(t)
	if s.issuer, err = devissuer.Load(filepath.Join(data, "auth")); err != nil {
		t.Fatal(err)
	}
	s.admin = s.token(t, devissuer.Claims{Subject: "e2e-admin", Name: "E2E Admin", Role: auth.CityAdmin})
	return s
}

// waitReady waits for the gateway to report every backend serving.
func (s *system) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.exited:
			s.exited <- err
			t.Fatalf("the launcher exited before it was ready: %v\n%s", err, s.output.String())
		default:
		}
		resp, err := http.Get("http://" + s.http + "/healthz")
		if err == nil {
			var report struct{ Status string }
			err = decodeJSON(resp, &report)
			if err == nil && resp.StatusCode == http.StatusOK && report.Status == "ok" {
				return
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("the system did not become ready\n%s", s.output.String())
}

// stop interrupts the launcher as Ctrl-C does and expects a clean exit.
func (s *system) stop(t *testing.T) {
	if s.cmd.Process == nil || s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-s.exited:
		if err != nil {
			t.Errorf("the launcher did not exit cleanly on interrupt: %v\n%s", err, tailLines(s.output.String(), 40))
		}
	case <-time.After(90 * time.Second):
		_ = s.cmd.Process.Kill()
		t.Errorf("the launcher did not stop within 90 s\n%s", tailLines(s.output.String(), 40))
	}
}

// pid reads the pid file the launcher keeps for a child while it runs; 0
// when there is none (the child is down).
func (s *system) pid(t *testing.T, name string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.data, "run", name+".pid"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file of %s holds %q", name, b)
	}
	return pid
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// token issues a token from the system's development issuer.
func (s *system) token(t *testing.T, c devissuer.Claims) string {
	t.Helper()
	tok, err := s.issuer.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// rest sends one JSON request to the gateway as the city administrator
// with a traceparent header and returns the status and the decoded body.
func (s *system) rest(t *testing.T, method, path, traceparent string, body string) (int, map[string]any) {
	t.Helper()
	return s.restAs(t, s.admin, method, path, traceparent, body)
}

// restAs sends one request with a token ("" for none).
func (s *system) restAs(t *testing.T, token, method, path, traceparent string, body string) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+s.http+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if traceparent != "" {
		req.Header.Set("traceparent", traceparent)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

// create posts an organisation and returns it, failing on anything but 200.
func (s *system) create(t *testing.T, traceparent, body string) map[string]any {
	t.Helper()
	code, out := s.rest(t, "POST", "/v1/organisations", traceparent, body)
	o, ok := out["organisation"].(map[string]any)
	if code != http.StatusOK || !ok {
		t.Fatalf("create %s: HTTP %d %v", body, code, out)
	}
	return o
}

// grpcurl runs the pinned grpcurl, a client this project did not write.
func (s *system) grpcurl(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"tool", "grpcurl", "-plaintext", "-H", "authorization: Bearer " + s.admin}, args...)...)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Dir = filepath.Join(s.root, "deploy", "tools")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("grpcurl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		out = append(out, strings.TrimSpace(sc.Text()))
	}
	return out
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
