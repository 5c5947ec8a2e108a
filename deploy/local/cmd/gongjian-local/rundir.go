package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// runDir, in the data folder, holds <name>.pid for the launcher and each of
// its children while they run, so that a developer or a fault-injection
// test can find what to kill: `kill -9 $(cat .data/run/member.pid)`.
const runDir = "run"

// launcherPID is the launcher's own pid file in runDir.
const launcherPID = "launcher.pid"

// claimRunDir refuses a second launcher on the same data folder, removes
// the pid files a killed launcher left behind and records this launcher's.
// release removes its pid file.
func claimRunDir(data string) (dir string, release func(), err error) {
	dir = filepath.Join(data, runDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	own := filepath.Join(dir, launcherPID)
	if b, err := os.ReadFile(own); err == nil {
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if pid > 0 && pid != os.Getpid() && isLauncher(pid) {
			return "", nil, fmt.Errorf("a launcher (pid %d) already runs on %s: stop it, or set GONGJIAN_DATA to use another folder", pid, data)
		}
	}
	stale, _ := filepath.Glob(filepath.Join(dir, "*.pid"))
	for _, f := range stale {
		_ = os.Remove(f)
	}
	if err := os.WriteFile(own, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return "", nil, err
	}
	return dir, func() { _ = os.Remove(own) }, nil
}

// isLauncher reports whether pid is a running launcher, not a process that
// got a dead launcher's id.
func isLauncher(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	self, err1 := os.Readlink("/proc/self/exe")
	other, err2 := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err1 != nil || err2 != nil {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		return err != nil || strings.HasPrefix(string(comm), "gongjian-local")
	}
	return filepath.Base(strings.TrimSuffix(other, " (deleted)")) == filepath.Base(self)
}
