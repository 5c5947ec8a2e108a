package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gongjian.dev/deploy/local/internal/supervisor"
	"gongjian.dev/pkg/pgcluster"
)

// TestMain lets the test binary run the nats subcommand, as the launcher's
// own binary does when it starts NATS.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == natsCommand {
		os.Exit(runNATS(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// fast is a back-off for tests: the shape of supervisor.CrashLoop, quicker.
var fast = supervisor.Backoff{Initial: 50 * time.Millisecond, Max: time.Second, Reset: time.Minute}

// log collects the supervisor's words and the children's lines.
type log struct {
	mu    sync.Mutex
	lines []string
}

func (l *log) printf(format string, args ...any) { l.add("launcher", fmt.Sprintf(format, args...)) }

func (l *log) add(name, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, name+": "+line)
}

func (l *log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func newSupervisor(t *testing.T, l *log) *supervisor.Supervisor {
	sup := supervisor.New(l.add)
	sup.Logf, sup.PIDDir = l.printf, t.TempDir()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("supervisor and children said:\n%s", l)
		}
	})
	return sup
}

// waitRestarted waits until the supervisor runs name under a pid other
// than old and ready passes, and returns that pid.
func waitRestarted(t *testing.T, sup *supervisor.Supervisor, name string, old int, ready supervisor.Probe) int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		pid := sup.Pid(name)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := ready(ctx)
		cancel()
		if pid != 0 && pid != old && err == nil {
			return pid
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s was not running again under a new pid (old %d, now %d)", name, old, sup.Pid(name))
	return 0
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

func TestNATSKilledOnItsOwnComesBackWithItsStreams(t *testing.T) {
	t.Parallel()
	l := &log{}
	sup := newSupervisor(t, l)
	port := freePort(t)
	spec := natsSpec(os.Args[0], t.TempDir(), port)
	spec.Restart = &fast
	if err := sup.Start(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	url := "nats://" + hostPort(port)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	js := jetStream(t, url)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "KEEP", Subjects: []string{"keep.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "keep.one", []byte("before the kill")); err != nil {
		t.Fatal(err)
	}

	first := sup.Pid("nats")
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitRestarted(t, sup, "nats", first, supervisor.NATSJetStream(url))
	if !strings.Contains(l.String(), "nats exited on its own (signal: killed)") {
		t.Errorf("the kill was not logged:\n%s", l)
	}
	stream, err := jetStream(t, url).Stream(ctx, "KEEP")
	if err != nil {
		t.Fatalf("stream after the restart: %v", err)
	}
	msg, err := stream.GetLastMsgForSubject(ctx, "keep.one")
	if err != nil || string(msg.Data) != "before the kill" {
		t.Fatalf("last message after the restart: %v, %v; want %q", msg, err, "before the kill")
	}

	second := sup.Pid("nats")
	if err := sup.Stop(natsGrace); err != nil {
		t.Errorf("Stop = %v, want NATS to stop cleanly on SIGTERM", err)
	}
	if syscall.Kill(second, 0) == nil {
		t.Errorf("NATS (pid %d) runs after Stop", second)
	}
	if !strings.Contains(l.String(), "nats: stopped") {
		t.Errorf("NATS did not say it shut down cleanly:\n%s", l)
	}
}

func jetStream(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestPostgresIsRestartedWhenItDiesAndFollowedWhenRestartedFromOutside(t *testing.T) {
	t.Parallel()
	data, err := os.MkdirTemp("", "launcher-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(data) })
	if err := os.Chmod(data, 0o755); err != nil { // the server's user must enter it
		t.Fatal(err)
	}
	l := &log{}
	sup := newSupervisor(t, l)
	pg := &postgres{dir: filepath.Join(data, "postgres"), port: freePort(t), logf: l.printf}
	spec := pg.spec()
	spec.Restart = &fast
	if err := sup.Start(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			sup.Stop(30 * time.Second)
			pg.stopStray()
		}
	})
	url := pg.current.Load().URL("postgres")
	execSQL(t, url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('kept')")
	accepts := func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, url)
		if err == nil {
			conn.Close(ctx)
		}
		return err
	}

	// Killed: restarted by the launcher, with its data.
	first := sup.Pid("postgres")
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	second := waitRestarted(t, sup, "postgres", first, accepts)
	if pg.current.Load().Adopted() {
		t.Error("after a kill, the launcher adopted a server instead of starting one")
	}
	if got := querySQL(t, url, "SELECT v FROM kept"); got != "kept" {
		t.Errorf("after the restart: %q, want %q", got, "kept")
	}

	// Restarted from outside: followed, not fought.
	pgCtl(t, pg.dir, "restart", "-m", "fast")
	outside, _, ok := pgcluster.Running(pg.dir)
	if !ok || outside == second {
		t.Fatalf("pg_ctl restart left %d running (ok %v), want a new server", outside, ok)
	}
	if got := waitRestarted(t, sup, "postgres", second, accepts); got != outside || !pg.current.Load().Adopted() {
		t.Errorf("the launcher follows pid %d (adopted %v), want the server restarted from outside (%d) adopted",
			got, pg.current.Load().Adopted(), outside)
	}

	// Stopped: whatever runs on the folder stops.
	stopped = true
	if err := sup.Stop(30 * time.Second); err != nil {
		t.Errorf("Stop = %v", err)
	}
	pg.stopStray()
	if pid, _, ok := pgcluster.Running(pg.dir); ok {
		t.Errorf("a server (pid %d) runs on the folder after the stop", pid)
	}
	for _, want := range []string{"postgres exited on its own (signal: killed)", "restart 1 in 50ms", "using the server (pid " + strconv.Itoa(outside) + ")"} {
		if !strings.Contains(l.String(), want) {
			t.Errorf("the log lacks %q", want)
		}
	}
}

// pgCtl runs pg_ctl on dir as the server's OS user (postgres when root).
func pgCtl(t *testing.T, dir string, args ...string) {
	t.Helper()
	bin, err := pgcluster.FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	args = append(args, "-w", "-D", dir, "-l", filepath.Join(dir, "postgres.log"))
	cmd := exec.Command(filepath.Join(bin, "pg_ctl"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatal(err)
	}
}

func querySQL(t *testing.T, url, sql string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var s string
	if err := conn.QueryRow(t.Context(), sql).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}
