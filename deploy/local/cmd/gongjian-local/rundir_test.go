package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestTheRunFolder(t *testing.T) {
	t.Parallel()
	write := func(t *testing.T, dir, name string, pid int) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("a killed launcher's pid files are cleared and this one's recorded", func(t *testing.T) {
		data := t.TempDir()
		gone := exec.Command("true")
		if err := gone.Run(); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(data, runDir), launcherPID, gone.Process.Pid)
		write(t, filepath.Join(data, runDir), "member.pid", gone.Process.Pid)
		dir, release, err := claimRunDir(data)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "member.pid")); !os.IsNotExist(err) {
			t.Errorf("stale member.pid: %v, want it removed", err)
		}
		b, err := os.ReadFile(filepath.Join(dir, launcherPID))
		if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
			t.Errorf("launcher.pid = %q, %v; want this process", b, err)
		}
		release()
		if _, err := os.Stat(filepath.Join(dir, launcherPID)); !os.IsNotExist(err) {
			t.Errorf("launcher.pid after release: %v, want it removed", err)
		}
	})

	t.Run("a second launcher on the folder is refused", func(t *testing.T) {
		data := t.TempDir()
		// Another process of this same program, alive: a launcher.
		other := exec.Command(os.Args[0], natsCommand, "-port", strconv.Itoa(freePort(t)), "-store", t.TempDir())
		if err := other.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { other.Process.Kill(); other.Wait() }()
		write(t, filepath.Join(data, runDir), launcherPID, other.Process.Pid)
		_, _, err := claimRunDir(data)
		if err == nil || !strings.Contains(err.Error(), "a launcher (pid "+strconv.Itoa(other.Process.Pid)+") already runs") {
			t.Errorf("claimRunDir = %v, want a refusal naming pid %d", err, other.Process.Pid)
		}
	})
}
