package pgcluster

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTheClusterRecordsWhereItListens(t *testing.T) {
	t.Parallel()
	dir, port := tempDir(t), freePort(t)
	c := start(t, Options{Dir: dir, Port: port, Durable: true})
	stop(t, c)

	got, err := recordedSettings(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"port": strconv.Itoa(port), "listen_addresses": "127.0.0.1", "unix_socket_directories": dir, "fsync": "on",
	} {
		if got[name] != want {
			t.Errorf("recorded %s = %q, want %q (all: %v)", name, got[name], want, got)
		}
	}

	// Started by hand, without any option, the server listens where the
	// launcher ran it.
	pgCtl(t, dir, "start")
	pid, runningPort, ok := Running(dir)
	if !ok || runningPort != port {
		t.Fatalf("after pg_ctl start: Running = %d, %d, %v; want a server on port %d", pid, runningPort, ok, port)
	}
	if got := query(t, urlFor(port, "postgres"), "SHOW port"); got != strconv.Itoa(port) {
		t.Errorf("SHOW port = %s, want %d", got, port)
	}
	stopped, err := StopServer(dir)
	if err != nil || stopped != pid {
		t.Errorf("StopServer = %d, %v; want %d stopped", stopped, err, pid)
	}
	if pid, _, ok := Running(dir); ok {
		t.Errorf("a server (pid %d) still runs on the directory after StopServer", pid)
	}
	if stopped, err := StopServer(dir); stopped != 0 || err != nil {
		t.Errorf("StopServer with nothing running = %d, %v; want 0, nil", stopped, err)
	}
}

func TestAServerAlreadyRunningOnTheDirectory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir, port := tempDir(t), freePort(t)
	c := start(t, Options{Dir: dir, Port: port, Durable: true})
	if err := c.EnsureDatabase(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	exec1(t, c.URL("app"), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('kept')")
	stop(t, c)

	t.Run("is adopted when it listens on the port asked, and its end is seen", func(t *testing.T) {
		pgCtl(t, dir, "start")
		byHand, _, _ := Running(dir)
		c := start(t, Options{Dir: dir, Port: port, Adopt: true})
		if !c.Adopted() || c.Pid() != byHand {
			t.Fatalf("Adopted = %v, Pid = %d; want the server started by hand (pid %d) adopted", c.Adopted(), c.Pid(), byHand)
		}
		if got := query(t, c.URL("app"), "SELECT v FROM kept"); got != "kept" {
			t.Errorf("through the adopted server: %q, want %q", got, "kept")
		}
		pgCtl(t, dir, "stop", "-m", "fast")
		select {
		case <-c.Done():
			if !strings.Contains(c.Err().Error(), strconv.Itoa(byHand)) {
				t.Errorf("Err = %v, want it to name pid %d", c.Err(), byHand)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Done not closed after the adopted server was stopped by hand")
		}
		stop(t, c)
	})

	t.Run("a started server restarted from outside is stopped by Stop", func(t *testing.T) {
		c := start(t, Options{Dir: dir, Port: port, Adopt: true})
		if c.Adopted() {
			t.Fatal("with no server running, Start adopted one")
		}
		own := c.Pid()
		pgCtl(t, dir, "restart", "-m", "fast")
		select {
		case <-c.Done():
		case <-time.After(30 * time.Second):
			t.Fatal("Done not closed after pg_ctl restart stopped the server")
		}
		restarted, _, ok := Running(dir)
		if !ok || restarted == own {
			t.Fatalf("after pg_ctl restart: Running = %d, %v; want a new server (not %d)", restarted, ok, own)
		}
		stop(t, c)
		if pid, _, ok := Running(dir); ok {
			t.Errorf("the server restarted from outside (pid %d) still runs after Stop", pid)
		}
	})

	t.Run("is stopped and replaced when it listens elsewhere", func(t *testing.T) {
		pgCtl(t, dir, "start")
		byHand, _, _ := Running(dir)
		other := freePort(t)
		c := start(t, Options{Dir: dir, Port: other, Adopt: true})
		if c.Adopted() || c.Pid() == byHand || alive(byHand) && isPostgres(byHand) {
			t.Fatalf("Adopted = %v, Pid = %d; want the server started by hand (pid %d) stopped and a new one started",
				c.Adopted(), c.Pid(), byHand)
		}
		if _, p, _ := Running(dir); p != other {
			t.Errorf("running on port %d, want %d", p, other)
		}
		if got, _ := recordedSettings(dir); got["port"] != strconv.Itoa(other) {
			t.Errorf("recorded port %s, want %d", got["port"], other)
		}
		if got := query(t, c.URL("app"), "SELECT v FROM kept"); got != "kept" {
			t.Errorf("after the move: %q, want %q", got, "kept")
		}
		stop(t, c)
	})
}

// pgCtl runs pg_ctl on dir as the server's OS user, logging to the
// cluster's log, and stops any server it leaves running when the test ends.
func pgCtl(t *testing.T, dir string, args ...string) {
	t.Helper()
	bin, err := FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	acct, err := serverAccount()
	if err != nil {
		t.Fatal(err)
	}
	args = append(args, "-w", "-D", dir, "-l", filepath.Join(dir, "postgres.log"))
	cmd := exec.Command(filepath.Join(bin, "pg_ctl"), args...)
	cmd.Env = serverEnv()
	cmd.SysProcAttr = acct.sysProcAttr()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Cleanup(func() { _, _ = StopServer(dir) })
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

func urlFor(port int, db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, db)
}
