// Package netns runs a test binary inside a network namespace of its own:
// the node the chart's pods run on. Everything the test starts listens on
// that namespace's loopback — etcd, the API server, PostgreSQL, NATS and the
// pods, on the ports the chart gives them — so that nothing collides with
// whatever else runs on the machine, and nothing is reachable from it or
// left listening once the test ends.
package netns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// marker is set in the environment of the binary run inside the namespace.
const marker = "GONGJIAN_K8STEST_NETNS"

// Inside reports whether this process runs in the namespace Rerun made.
func Inside() bool { return os.Getenv(marker) != "" }

// Rerun runs this binary again, with the same arguments, in a new network
// namespace, and returns its exit code. Signals that would stop this
// process are passed on, so the inner run can clean up.
func Rerun() (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 1, err
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), marker+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return 1, fmt.Errorf("netns: a network namespace of its own (needs root, or CAP_SYS_ADMIN): %w", err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	signal.Stop(sigs)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 1, err
	}
	return 0, nil
}

// LoopbackUp brings up the namespace's loopback interface, which a new
// namespace has down.
func LoopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("netns: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("netns: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("netns: reading the flags of lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("netns: bringing lo up: %w", err)
	}
	return nil
}
