package pgcluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pidFileName is the lock file a running server keeps in its data directory.
// pg_ctl finds the server through it, and so does this package.
const pidFileName = "postmaster.pid"

// postmaster is what a data directory's postmaster.pid says of the server
// running on it.
type postmaster struct {
	pid  int
	port int // 0 when the file does not say (a server still starting)
}

// readPostmaster reads postmaster.pid: the process id on the first line and
// the port on the fourth (PostgreSQL 10 and later).
func readPostmaster(dir string) (postmaster, error) {
	path := filepath.Join(dir, pidFileName)
	b, err := os.ReadFile(path)
	if err != nil {
		return postmaster{}, err
	}
	lines := strings.Split(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid <= 0 {
		return postmaster{}, fmt.Errorf("pgcluster: %s holds no process id", path)
	}
	pm := postmaster{pid: pid}
	if len(lines) > 3 {
		pm.port, _ = strconv.Atoi(strings.TrimSpace(lines[3]))
	}
	return pm, nil
}

// runningOn returns the server running on dir according to its pid file,
// if that process is alive and is a postgres.
func runningOn(dir string) (postmaster, bool) {
	pm, err := readPostmaster(dir)
	if err != nil || !alive(pm.pid) || !isPostgres(pm.pid) {
		return postmaster{}, false
	}
	return pm, true
}

// Running reports the server running on the data directory dir, whoever
// started it (this package, an earlier launcher, pg_ctl by hand): its
// process id and the port its pid file names (0 while it is starting).
func Running(dir string) (pid, port int, ok bool) {
	pm, ok := runningOn(dir)
	return pm.pid, pm.port, ok
}

// StopServer stops the server running on dir whoever started it, as
// `pg_ctl stop -m fast -D dir` does: a fast shutdown of the process its pid
// file names, killed after 30 seconds. It returns that process id, or 0 when
// no server was running.
func StopServer(dir string) (int, error) {
	pm, ok := runningOn(dir)
	if !ok {
		return 0, nil
	}
	return pm.pid, stopPID(pm.pid, stopGrace)
}

// stopPID asks the postmaster pid for a fast shutdown (SIGINT) and waits for
// it to exit, killing it after grace. It works on a server this process did
// not start, which it cannot wait for, so it polls.
func stopPID(pid int, grace time.Duration) error {
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("pgcluster: stopping the server (pid %d): %w", pid, err)
	}
	if waitExited(pid, grace) {
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	waitExited(pid, 5*time.Second)
	return fmt.Errorf("pgcluster: the server (pid %d) did not stop within %v and was killed", pid, grace)
}

// waitExited polls until pid is no longer a running postgres, up to limit.
func waitExited(pid int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for alive(pid) && isPostgres(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// removeStalePID deletes the postmaster.pid left by a server that was killed,
// after waiting briefly for its children to let go of shared memory. It
// fails when the server named in the file is still running.
func removeStalePID(dir string) error {
	path := filepath.Join(dir, pidFileName)
	pm, err := readPostmaster(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && alive(pm.pid) && isPostgres(pm.pid) {
		return fmt.Errorf("pgcluster: a server (pid %d) is already running on %s", pm.pid, dir)
	}
	if err == nil && !alive(pm.pid) {
		waitGroupGone(pm.pid, 5*time.Second)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgcluster: removing stale pid file: %w", err)
	}
	return nil
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// isPostgres guards against a recycled process id, common in containers
// that restart with the same data volume. A zombie (a server that exited
// and was not yet reaped by its parent) is no longer a server.
func isPostgres(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// pid (comm) state …: comm may hold spaces and parentheses, so cut at
	// the last closing parenthesis.
	s := string(stat)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return true
	}
	comm, rest := s[open+1:end], strings.TrimSpace(s[end+1:])
	if strings.HasPrefix(rest, "Z") || strings.HasPrefix(rest, "X") {
		return false
	}
	return strings.HasPrefix(comm, "postgres")
}

// waitGroupGone waits for the process group led by a dead postmaster to
// empty: its backends exit on their own once they notice it died.
func waitGroupGone(pgid int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && alive(-pgid) {
		time.Sleep(20 * time.Millisecond)
	}
}
