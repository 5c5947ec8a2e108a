package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sys is the system every test of the package runs against, started once
// by TestMain as `make run` starts it.
var sys *system

// system is a running launcher: PostgreSQL, NATS, the services and the
// gateway with the console, and the demo city.
type system struct {
	root, data string
	base       string // http://127.0.0.1:<port>
	cmd        *exec.Cmd
	out        *lockedBuffer
	exited     chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		if sys != nil {
			fmt.Fprintln(os.Stderr, tail(sys.out.String(), 60))
		}
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	root, err := repoRoot()
	if err != nil {
		return 0, err
	}
	if err := prepare(root); err != nil {
		return 0, err
	}
	if base := os.Getenv("E2E_BASE_URL"); base != "" {
		// A system already running (make run with its demo), for working
		// on the tests; CI always starts its own.
		sys = &system{root: root, base: strings.TrimSuffix(base, "/"), out: &lockedBuffer{}}
		return m.Run(), nil
	}
	s, err := startSystem(root)
	if s != nil {
		defer s.stop()
	}
	if err != nil {
		return 0, err
	}
	sys = s
	return m.Run(), nil
}

// repoRoot is the directory holding go.work above this package.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.work above the test")
		}
		dir = parent
	}
}

// prepare installs what the browser tests need on a clean machine:
// Chromium (Debian's package) and the console's npm packages, whose
// axe-core the accessibility checks inject.
func prepare(root string) error {
	console := filepath.Join(root, "services", "console")
	install := exec.Command(filepath.Join(console, "e2e", "install-chromium.sh"))
	install.Stdout, install.Stderr = os.Stderr, os.Stderr
	if err := install.Run(); err != nil {
		return fmt.Errorf("installing chromium: %w", err)
	}
	if _, err := os.Stat(axePath(root)); err != nil {
		npm := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		npm.Dir, npm.Stdout, npm.Stderr = console, os.Stderr, os.Stderr
		if err := npm.Run(); err != nil {
			return fmt.Errorf("npm ci in services/console: %w", err)
		}
	}
	return nil
}

func axePath(root string) string {
	return filepath.Join(root, "services", "console", "node_modules", "axe-core", "axe.min.js")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startSystem builds the launcher and runs it, with its demo city, on free
// ports with its data in a temporary folder, and waits for its banner.
func startSystem(root string) (*system, error) {
	data, err := os.MkdirTemp("", "gongjian-console-e2e-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(data, 0o755); err != nil { // PostgreSQL runs as its own user inside
		return nil, err
	}
	bin := filepath.Join(data, "gongjian-local")
	build := exec.Command("go", "build", "-o", bin, "./deploy/local/cmd/gongjian-local")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the launcher: %v\n%s", err, out)
	}
	ports := make([]int, 7)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return nil, err
		}
	}
	s := &system{root: root, data: data, base: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), out: &lockedBuffer{}, exited: make(chan error, 1)}
	s.cmd = exec.Command(bin)
	s.cmd.Dir = root
	s.cmd.Env = append(os.Environ(),
		"GONGJIAN_DATA="+data,
		fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", ports[0]),
		fmt.Sprintf("PG_PORT=%d", ports[1]),
		fmt.Sprintf("NATS_PORT=%d", ports[2]),
		fmt.Sprintf("ORGANISATION_GRPC_ADDR=127.0.0.1:%d", ports[3]),
		fmt.Sprintf("MEMBER_GRPC_ADDR=127.0.0.1:%d", ports[4]),
		fmt.Sprintf("COBUILDING_GRPC_ADDR=127.0.0.1:%d", ports[5]),
		fmt.Sprintf("SUPERVISION_GRPC_ADDR=127.0.0.1:%d", ports[6]),
	)
	pr, pw := io.Pipe()
	s.cmd.Stdout, s.cmd.Stderr = pw, pw
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(s.out, line)
			// The banner names the console's address once the demo is in.
			if strings.Contains(line, "Console") && strings.Contains(line, s.base+"/") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	go func() {
		err := s.cmd.Wait()
		_ = pw.Close()
		s.exited <- err
	}()
	select {
	case <-ready:
		return s, nil
	case err := <-s.exited:
		s.exited <- err
		return s, fmt.Errorf("the launcher exited before it was ready: %v", err)
	case <-time.After(8 * time.Minute):
		return s, fmt.Errorf("the launcher did not print its banner within 8 minutes")
	}
}

// stop interrupts the launcher as Ctrl-C does, then removes its data.
func (s *system) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.exited:
		case <-time.After(90 * time.Second):
			_ = s.cmd.Process.Kill()
		}
	}
	_ = os.RemoveAll(s.data)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// api is an HTTP client signed in through the development sign-in, for the
// tests' own look-ups and checks beside the browser.
type api struct {
	t    testing.TB
	base string
	c    *http.Client
}

func (s *system) api(t testing.TB, role, scope, member string) *api {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	a := &api{t: t, base: s.base, c: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
	body := fmt.Sprintf(`{"role":%q,"scopeOrgId":%q,"memberId":%q}`, role, scope, member)
	a.do(http.MethodPost, "/auth/dev/sign-in", body, nil)
	return a
}

// do sends a request and decodes the JSON answer into out; a status other
// than 200 fails the test.
func (a *api) do(method, path, body string, out any) {
	a.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("%s %s: HTTP %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// org is the part of an organisation the tests read.
type org struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Code        string   `json:"code"`
	ParentID    string   `json:"parentId"`
	AncestorIDs []string `json:"ancestorIds"`
}

func (a *api) orgs(q url.Values) []org {
	a.t.Helper()
	var out []org
	for {
		var page struct {
			Organisations []org  `json:"organisations"`
			Next          string `json:"nextPageToken"`
		}
		q.Set("pageSize", "500")
		a.do(http.MethodGet, "/v1/organisations?"+q.Encode(), "", &page)
		out = append(out, page.Organisations...)
		if page.Next == "" {
			return out
		}
		q.Set("pageToken", page.Next)
	}
}

// district is the demo district with the code.
func (a *api) district(code string) org {
	a.t.Helper()
	for _, o := range a.orgs(url.Values{"kind": {"ORGANISATION_KIND_DISTRICT"}}) {
		if o.Code == code {
			return o
		}
	}
	a.t.Fatalf("no district %s in the demo city", code)
	return org{}
}
