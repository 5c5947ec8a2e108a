package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// events collects what the supervisor logs.
type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) logf(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, fmt.Sprintf(format, args...))
}

func (e *events) all() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.got)
}

// waitFor waits until a logged event contains each of parts, failing the
// test after 20 s.
func (e *events) waitFor(t *testing.T, parts ...string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, ev := range e.all() {
			if containsAll(ev, parts) {
				return ev
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no event with %q; events: %q", parts, e.all())
	return ""
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// supervised returns a supervisor logging to ev, with pid files in a
// temporary folder.
func supervised(t *testing.T, out *lines, ev *events) *Supervisor {
	s := New(out.add)
	s.Logf, s.PIDDir = ev.logf, t.TempDir()
	return s
}

// pidOf reads a child's pid file; 0 when there is none.
func pidOf(t *testing.T, s *Supervisor, name string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.PIDDir, name+".pid"))
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file of %s: %q", name, b)
	}
	return pid
}

// waitNewPid waits until the child's pid file names a process other than
// old, and returns it.
func waitNewPid(t *testing.T, s *Supervisor, name string, old int) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if pid := pidOf(t, s, name); pid != 0 && pid != old {
			return pid
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s was not restarted (pid still %d)", name, old)
	return 0
}

func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !strings.Contains(string(stat), ") Z")
}

func kill9(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
}

func (l *lines) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, g := range l.got {
		if g == s {
			n++
		}
	}
	return n
}

func TestAKilledChildIsRestartedWhileTheOthersKeepRunning(t *testing.T) {
	t.Parallel()
	out, ev := &lines{}, &events{}
	s := supervised(t, out, ev)
	backoff := &Backoff{Initial: 50 * time.Millisecond, Max: time.Second, Reset: time.Minute}
	for _, name := range []string{"a", "b", "c"} {
		spec := sh(name, loop)
		spec.Restart = backoff
		if err := s.Start(t.Context(), spec); err != nil {
			t.Fatal(err)
		}
	}
	a, b, c := pidOf(t, s, "a"), pidOf(t, s, "b"), pidOf(t, s, "c")
	if a == 0 || b == 0 || c == 0 || s.Pid("b") != b {
		t.Fatalf("pid files a=%d b=%d c=%d, Pid(b)=%d; want every child's pid", a, b, c, s.Pid("b"))
	}

	kill9(t, b)
	restarted := waitNewPid(t, s, "b", b)
	ev.waitFor(t, "b exited on its own (signal: killed)", "restart 1 in 50ms")
	ev.waitFor(t, "b restarted (restart 1, pid "+strconv.Itoa(restarted)+")")
	if !running(restarted) {
		t.Errorf("the restarted b (pid %d) is not running", restarted)
	}
	for name, pid := range map[string]int{"a": a, "c": c} {
		if !running(pid) || pidOf(t, s, name) != pid {
			t.Errorf("%s (pid %d) was disturbed by b's death: running %v, pid file %d", name, pid, running(pid), pidOf(t, s, name))
		}
	}
	for _, e := range ev.all() {
		if strings.HasPrefix(e, "a ") || strings.HasPrefix(e, "c ") {
			t.Errorf("logged about a child that did not die: %q", e)
		}
	}
	// The new run's output is b's too.
	deadline := time.Now().Add(10 * time.Second)
	for out.count("b: up") < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := out.count("b: up"); n != 2 {
		t.Errorf("b said up %d times, want 2 (one per run)", n)
	}

	if err := s.Stop(5 * time.Second); err != nil {
		t.Errorf("Stop = %v, want a clean stop of the restarted child too", err)
	}
	for _, pid := range []int{a, restarted, c} {
		if running(pid) {
			t.Errorf("pid %d runs after Stop", pid)
		}
	}
	for _, name := range []string{"a", "b", "c"} {
		if pid := pidOf(t, s, name); pid != 0 {
			t.Errorf("pid file of %s still names %d after Stop", name, pid)
		}
	}
	select {
	case exit := <-s.Died():
		t.Errorf("a restarted child was also reported as dead: %v", exit)
	default:
	}
}

// crashAfterFirst stays up on its first run and exits with status 3 on
// every later one, as a service does whose dependency went away.
func crashAfterFirst(t *testing.T, name string) Spec {
	marker := filepath.Join(t.TempDir(), "ran")
	return sh(name, fmt.Sprintf(`if [ -e %[1]s ]; then echo crash; exit 3; fi; : > %[1]s; %[2]s`, marker, loop))
}

func TestACrashLoopingChildBacksOffUpToTheCap(t *testing.T) {
	t.Parallel()
	out, ev := &lines{}, &events{}
	s := supervised(t, out, ev)
	spec := crashAfterFirst(t, "svc")
	spec.Restart = &Backoff{Initial: 20 * time.Millisecond, Max: 80 * time.Millisecond, Reset: time.Minute}
	if err := s.Start(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	kill9(t, pidOf(t, s, "svc"))
	ev.waitFor(t, "restart 6 in")
	if err := s.Stop(5 * time.Second); err != nil {
		t.Errorf("Stop = %v", err)
	}

	var exits []string
	for _, e := range ev.all() {
		if strings.HasPrefix(e, "svc exited") {
			exits = append(exits, e)
		}
	}
	want := []struct{ how, wait string }{
		{"signal: killed", "restart 1 in 20ms"},
		{"exit status 3", "restart 2 in 40ms"},
		{"exit status 3", "restart 3 in 80ms"},
		{"exit status 3", "restart 4 in 80ms"},
		{"exit status 3", "restart 5 in 80ms"},
		{"exit status 3", "restart 6 in 80ms"},
	}
	if len(exits) < len(want) {
		t.Fatalf("exits logged: %q; want at least %d", exits, len(want))
	}
	for i, w := range want {
		if !containsAll(exits[i], []string{w.how, w.wait}) {
			t.Errorf("exit %d logged as %q, want %s and %s", i+1, exits[i], w.how, w.wait)
		}
	}
	if n := out.count("svc: crash"); n < 5 {
		t.Errorf("the crashing runs said crash %d times, want one per restart (≥ 5)", n)
	}
}

func TestTheWaitStartsOverAfterARunThatLasted(t *testing.T) {
	t.Parallel()
	ev := &events{}
	s := supervised(t, &lines{}, ev)
	defer s.Stop(5 * time.Second)
	spec := sh("svc", loop)
	spec.Restart = &Backoff{Initial: 50 * time.Millisecond, Max: time.Second, Reset: 2 * time.Second}
	if err := s.Start(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, s, "svc")
	kill9(t, pid)
	pid = waitNewPid(t, s, "svc", pid)
	kill9(t, pid)
	pid = waitNewPid(t, s, "svc", pid)
	time.Sleep(2500 * time.Millisecond) // longer than Reset
	kill9(t, pid)
	waitNewPid(t, s, "svc", pid)
	ev.waitFor(t, "restart 1 in 50ms")
	ev.waitFor(t, "restart 2 in 100ms")
	ev.waitFor(t, "restart 3 in 50ms")
}

func TestStopDuringTheWaitBeforeARestart(t *testing.T) {
	t.Parallel()
	out, ev := &lines{}, &events{}
	s := supervised(t, out, ev)
	spec := sh("svc", loop)
	spec.Restart = &Backoff{Initial: time.Hour, Max: time.Hour, Reset: time.Hour}
	if err := s.Start(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	kill9(t, pidOf(t, s, "svc"))
	ev.waitFor(t, "svc exited on its own (signal: killed)", "restart 1 in 1h0m0s")
	if pid := pidOf(t, s, "svc"); pid != 0 {
		t.Errorf("pid file names %d while svc waits to restart, want none", pid)
	}

	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop(5 * time.Second) }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Stop = %v, want nothing to report", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Stop waited for the back-off")
	}
	ev.waitFor(t, "svc: restart 1 called off: stopping")
	if n := out.count("svc: up"); n != 1 {
		t.Errorf("svc ran %d times, want once: no restart after Stop", n)
	}
	if err := s.Start(t.Context(), sh("late", loop)); err == nil || !strings.Contains(err.Error(), "stopping") {
		t.Errorf("Start after Stop = %v, want a refusal", err)
	}
}
