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

// removeStalePID deletes the postmaster.pid left by a server that was killed,
// after waiting briefly for its children to let go of shared memory. It
// fails when the server named in the file is still running.
func removeStalePID(dir string) error {
	path := filepath.Join(dir, "postmaster.pid")
	pid, err := readPID(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && alive(pid) && isPostgres(pid) {
		return fmt.Errorf("pgcluster: a server (pid %d) is already running on %s", pid, dir)
	}
	if err == nil && !alive(pid) {
		waitGroupGone(pid, 5*time.Second)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgcluster: removing stale pid file: %w", err)
	}
	return nil
}

// readPID reads the process id from the first line of a postmaster.pid.
func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pgcluster: %s holds no process id", path)
	}
	return pid, nil
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// isPostgres guards against a recycled process id, common in containers
// that restart with the same data volume.
func isPostgres(pid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return true
	}
	return strings.HasPrefix(strings.TrimSpace(string(comm)), "postgres")
}

// waitGroupGone waits for the process group led by a dead postmaster to
// empty: its backends exit on their own once they notice it died.
func waitGroupGone(pgid int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && alive(-pgid) {
		time.Sleep(20 * time.Millisecond)
	}
}
