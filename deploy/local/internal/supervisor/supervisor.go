// Package supervisor runs the services of the local system as child
// processes, the way Kubernetes runs them as pods: each its own process with
// its own environment, started when ready, stopped with SIGTERM and a grace
// period, and watched so that a service dying on its own stops the whole
// system instead of leaving it half up.
//
// Each child runs in its own process group, so a terminal's Ctrl-C reaches
// the launcher only, which then stops the children in order; and each dies
// with the launcher, even when the launcher is killed outright.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultReadyTimeout bounds the wait for a child to become ready when its
// Spec sets none. Migrations on first start are the slow part.
const DefaultReadyTimeout = 90 * time.Second

// tailLines is how many of a child's last output lines an error quotes.
const tailLines = 30

// Probe reports whether a child is ready: nil when it is.
type Probe func(ctx context.Context) error

// Spec describes one child process.
type Spec struct {
	// Name prefixes the child's output and names it in errors.
	Name string
	// Path is the executable; Args its arguments.
	Path string
	Args []string
	// Env is the child's whole environment: nothing is inherited.
	Env []string
	// Ready is polled until it returns nil; nil means ready once started.
	Ready Probe
	// ReadyTimeout bounds the wait for Ready; zero means DefaultReadyTimeout.
	ReadyTimeout time.Duration
}

// Exit is a child that ended without being asked to.
type Exit struct {
	Name string
	Err  error
	// Tail is the child's last output lines.
	Tail []string
}

func (e Exit) Error() string {
	return fmt.Sprintf("%s exited unexpectedly (%v); its last lines:\n%s", e.Name, e.Err, indent(e.Tail))
}

// Supervisor owns the children it started.
type Supervisor struct {
	// Quote rewrites a child's output lines when an error quotes them; nil
	// quotes them as they are.
	Quote func(line string) string

	output   func(name, line string)
	mu       sync.Mutex
	children []*child
	died     chan Exit
	stopping atomic.Bool
}

// New returns a supervisor that hands every output line of a child to output.
func New(output func(name, line string)) *Supervisor {
	return &Supervisor{output: output, died: make(chan Exit, 1)}
}

// Died delivers the first child that ends on its own after it was ready.
func (s *Supervisor) Died() <-chan Exit { return s.died }

// Start runs a child and waits until its probe says it is ready. If the child
// exits first, the probe times out or ctx ends, the child is stopped and the
// error quotes its last output lines.
func (s *Supervisor) Start(ctx context.Context, spec Spec) error {
	c, err := s.launch(spec)
	if err != nil {
		return err
	}
	if err := c.waitReady(ctx); err != nil {
		c.stop(5 * time.Second)
		return fmt.Errorf("%s: %w; its last lines:\n%s", spec.Name, err, indent(s.quote(c.tail.lines())))
	}
	c.ready.Store(true)
	if c.exited() { // between the probe and now, where run could not tell
		return fmt.Errorf("%s: exited as soon as it was ready (%v); its last lines:\n%s",
			spec.Name, exitReason(c.err), indent(s.quote(c.tail.lines())))
	}
	return nil
}

func (s *Supervisor) launch(spec Spec) (*child, error) {
	c := &child{spec: spec, done: make(chan struct{}), tail: newTail(tailLines)}
	out := &lineWriter{emit: func(line string) {
		c.tail.add(line)
		s.output(spec.Name, line)
	}}
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = append([]string{}, spec.Env...), out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// The output pipe stays open while a grandchild holds it; do not wait
	// for it forever once the child itself is gone.
	cmd.WaitDelay = 5 * time.Second
	c.cmd = cmd
	started := make(chan error, 1)
	go s.run(c, out, started)
	if err := <-started; err != nil {
		return nil, fmt.Errorf("%s: start: %w", spec.Name, err)
	}
	s.mu.Lock()
	s.children = append(s.children, c)
	s.mu.Unlock()
	return c, nil
}

// run starts and waits for the child on one locked OS thread: the kernel
// sends Pdeathsig when the thread that forked the child ends, not the
// process, so that thread must outlive the child.
func (s *Supervisor) run(c *child, out *lineWriter, started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := c.cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	c.err = c.cmd.Wait()
	out.flush()
	close(c.done)
	if c.ready.Load() && !s.stopping.Load() {
		select {
		case s.died <- Exit{Name: c.spec.Name, Err: exitReason(c.err), Tail: s.quote(c.tail.lines())}:
		default:
		}
	}
}

// Stop sends SIGTERM to every child still running, waits up to grace for
// them to exit, then kills the rest. It reports the children that had to be
// killed or did not exit cleanly; those that had ended before are reported
// by Died or Start, not again.
func (s *Supervisor) Stop(grace time.Duration) error {
	s.stopping.Store(true)
	s.mu.Lock()
	children := slices.DeleteFunc(slices.Clone(s.children), (*child).exited)
	s.mu.Unlock()
	for _, c := range children {
		c.signal(syscall.SIGTERM)
	}
	deadline := time.After(grace)
	var errs []error
	for _, c := range children {
		select {
		case <-c.done:
		case <-deadline:
		}
	}
	for _, c := range children {
		select {
		case <-c.done:
			if c.err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", c.spec.Name, c.err))
			}
		default:
			c.signal(syscall.SIGKILL)
			<-c.done
			errs = append(errs, fmt.Errorf("%s: killed after %s without exiting", c.spec.Name, grace))
		}
	}
	return errors.Join(errs...)
}

// child is one running process.
type child struct {
	spec  Spec
	cmd   *exec.Cmd
	done  chan struct{}
	err   error // set before done is closed
	ready atomic.Bool
	tail  *tail
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *child) waitReady(ctx context.Context) error {
	limit := c.spec.ReadyTimeout
	if limit == 0 {
		limit = DefaultReadyTimeout
	}
	timeout := time.NewTimer(limit)
	defer timeout.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return fmt.Errorf("exited before it was ready (%v)", exitReason(c.err))
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout.C:
			return fmt.Errorf("not ready after %s", limit)
		case <-tick.C:
			if c.probe(ctx) == nil {
				return nil
			}
		}
	}
}

func (c *child) probe(ctx context.Context) error {
	if c.spec.Ready == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return c.spec.Ready(ctx)
}

func (c *child) stop(grace time.Duration) {
	c.signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		c.signal(syscall.SIGKILL)
		<-c.done
	}
}

func (c *child) signal(sig syscall.Signal) {
	select {
	case <-c.done:
	default:
		_ = c.cmd.Process.Signal(sig)
	}
}

func (s *Supervisor) quote(lines []string) []string {
	if s.Quote == nil {
		return lines
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = s.Quote(l)
	}
	return out
}

// exitReason says how a process ended; a clean exit still ended it.
func exitReason(err error) error {
	if err == nil {
		return errors.New("exit status 0")
	}
	return err
}

func indent(lines []string) string {
	if len(lines) == 0 {
		return "    (no output)"
	}
	var b []byte
	for i, l := range lines {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, "    "...)
		b = append(b, l...)
	}
	return string(b)
}
