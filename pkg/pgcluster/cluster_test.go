package pgcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// helperDirEnv makes the test binary act as a launcher that starts a cluster
// on the named directory, prints the server's pid and waits to be killed.
const helperDirEnv = "PGCLUSTER_TEST_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperDirEnv); dir != "" {
		runHelper(dir)
		return
	}
	os.Exit(m.Run())
}

func runHelper(dir string) {
	c, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(c.srv.cmd.Process.Pid)
	select {}
}

func TestClusterKeepsDataAcrossRestarts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := tempDir(t)

	c := start(t, Options{Dir: dir, Durable: true})
	if want := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/app?sslmode=disable", c.Port()); c.URL("app") != want {
		t.Errorf("URL(app) = %q, want %q", c.URL("app"), want)
	}
	for range 2 {
		if err := c.EnsureDatabase(ctx, "app"); err != nil {
			t.Fatalf("EnsureDatabase: %v", err)
		}
	}
	exec1(t, c.URL("app"), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before restart')")
	if got := query(t, c.URL("app"), "SHOW fsync"); got != "on" {
		t.Errorf("fsync = %q in a durable cluster, want on", got)
	}

	t.Run("a second server on the same directory is refused", func(t *testing.T) {
		_, err := Start(ctx, Options{Dir: dir})
		if err == nil || !strings.Contains(err.Error(), "already running") {
			t.Errorf("Start on a running cluster's directory: %v, want an 'already running' error", err)
		}
	})
	stop(t, c)
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid after Stop: %v, want it gone", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		t.Errorf("Stop removed the data directory of a caller-chosen Dir: %v", err)
	}

	t.Run("a clean restart keeps the data", func(t *testing.T) {
		c := start(t, Options{Dir: dir})
		defer stop(t, c)
		if got := query(t, c.URL("app"), "SELECT v FROM kept"); got != "before restart" {
			t.Errorf("after restart: %q, want %q", got, "before restart")
		}
		if got := query(t, c.URL("app"), "SHOW fsync"); got != "off" {
			t.Errorf("fsync = %q after a non-durable restart, want off", got)
		}
	})
	t.Run("the server dies with its parent and restarts after", func(t *testing.T) {
		pid := startHelperAndKillIt(t, dir)
		waitGone(t, pid)
		c := start(t, Options{Dir: dir})
		defer stop(t, c)
		if got := query(t, c.URL("app"), "SELECT v FROM kept"); got != "before restart" {
			t.Errorf("after the parent was killed: %q, want %q", got, "before restart")
		}
	})
	t.Run("a taken port is reported, not silently replaced", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		before, _ := recordedSettings(dir)
		_, err = Start(ctx, Options{Dir: dir, Port: l.Addr().(*net.TCPAddr).Port})
		if !errors.As(err, new(portTakenError)) || !strings.Contains(err.Error(), "Address already in use") {
			t.Errorf("Start on a taken port: %v, want the server's complaint", err)
		}
		if after, _ := recordedSettings(dir); after["port"] != before["port"] || after["port"] == "" {
			t.Errorf("recorded port after a failed start: %q, want the last good one %q", after["port"], before["port"])
		}
	})
	t.Run("a server that cannot start reports its log", func(t *testing.T) {
		// 203.0.113.1 is reserved for documentation: no machine has it.
		_, err := Start(ctx, Options{Dir: dir, Host: "203.0.113.1", Port: 45432})
		if err == nil || !strings.Contains(err.Error(), `could not bind IPv4 address "203.0.113.1"`) {
			t.Errorf("Start on an address it cannot bind: %v, want the server's complaint", err)
		}
	})
}

func TestTemporaryCluster(t *testing.T) {
	t.Parallel()
	c := start(t, Options{})
	for setting, want := range map[string]string{
		"fsync":              "off",
		"synchronous_commit": "off",
		"full_page_writes":   "off",
		"max_connections":    "300",
		"listen_addresses":   "127.0.0.1",
	} {
		if got := query(t, c.URL("postgres"), "SHOW "+setting); got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
	stop(t, c)
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v, want the first call's nil", err)
	}
	if _, err := os.Stat(c.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary data directory after Stop: %v, want it removed", err)
	}
}

// startHelperAndKillIt starts a launcher process running a cluster on dir,
// kills that process with SIGKILL and returns the server's pid.
func startHelperAndKillIt(t *testing.T, dir string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q", line)
	}
	if !alive(pid) {
		t.Fatalf("server %d not running while its parent is", pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	return pid
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(-pid, syscall.SIGKILL)
			t.Fatalf("server %d still running 10 s after its parent was killed", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// tempDir returns a directory the postgres user can reach (t.TempDir's
// parent is private to the test's user).
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := makeTempDir(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func start(t *testing.T, opts Options) *Cluster {
	t.Helper()
	opts.Logf = t.Logf
	c, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { c.Stop() })
	return c
}

func stop(t *testing.T, c *Cluster) {
	t.Helper()
	if err := c.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

func exec1(t *testing.T, url, sql string) {
	t.Helper()
	conn := connect(t, url)
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func query(t *testing.T, url, sql string) string {
	t.Helper()
	conn := connect(t, url)
	var s string
	if err := conn.QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestAClustersFurtherSettingsApplyButNotOverTheCrashSafety(t *testing.T) {
	t.Parallel()
	c := start(t, Options{Settings: map[string]string{"work_mem": "16MB", "fsync": "on", "max_wal_size": "2GB"}})
	for name, want := range map[string]string{"work_mem": "16MB", "max_wal_size": "2GB", "fsync": "off"} {
		if got := query(t, c.URL("postgres"), "SHOW "+name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}
