// Package supervisor runs the processes of the local system as children, the
// way Kubernetes runs them as pods: each its own process with its own
// environment, started when ready, stopped with SIGTERM and a grace period,
// and, when it exits on its own, started again after a wait that doubles
// with each exit (Kubernetes' CrashLoopBackOff) while the others keep
// running.
//
// Each child runs in its own process group, so a terminal's Ctrl-C reaches
// the launcher only, which then stops the children in order; and each dies
// with the launcher, even when the launcher is killed outright.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

// DefaultReadyTimeout bounds the wait for a child to become ready when its
// Spec sets none. Migrations on first start are the slow part.
const DefaultReadyTimeout = 90 * time.Second

// tailLines is how many of a child's last output lines an error quotes.
const tailLines = 30

// Probe reports whether a child is ready: nil when it is.
type Probe func(ctx context.Context) error

// Backoff is how long a child that exited on its own waits before it is
// started again: Initial after the first exit, doubled after each further
// exit up to Max, and Initial again after a run that lasted Reset or more.
type Backoff struct {
	Initial, Max, Reset time.Duration
}

// CrashLoop is the shape of Kubernetes' back-off (10 s doubling up to 5 min,
// reset after 10 min of running) at the pace of a developer's machine.
var CrashLoop = Backoff{Initial: time.Second, Max: 30 * time.Second, Reset: time.Minute}

// wait is the wait before the restart that follows step earlier ones in a
// row.
func (b Backoff) wait(step int) time.Duration {
	d := b.Initial
	for range step {
		if d >= b.Max {
			break
		}
		d *= 2
	}
	return min(d, b.Max)
}

// Process is one run of a child.
type Process interface {
	// Pid is its process id.
	Pid() int
	// Done is closed when it has ended.
	Done() <-chan struct{}
	// Err says how it ended, once Done is closed (never nil: a clean exit
	// still ended it).
	Err() error
	// Stop asks it to stop, forces it after grace, and reports an unclean
	// end.
	Stop(grace time.Duration) error
}

// Spec describes one child.
type Spec struct {
	// Name prefixes the child's output and names it in errors, in the log
	// and in its pid file.
	Name string
	// Path is the executable; Args its arguments.
	Path string
	Args []string
	// Env is the child's whole environment: nothing is inherited.
	Env []string
	// Launch, when set, starts the child instead of Path: for a child that
	// is not a plain command (a database server that may be found already
	// running). Its output is its own affair.
	Launch func(ctx context.Context) (Process, error)
	// Ready is polled until it returns nil; nil means ready once started.
	Ready Probe
	// ReadyTimeout bounds the wait for Ready; zero means DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// Restart, when set, starts the child again each time it exits on its
	// own once it has been ready, after the back-off's wait. When nil, such
	// an exit is reported by Died.
	Restart *Backoff
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
	// Logf, when set, is told what the supervisor does on its own: a child
	// that exited and how, each restart with its number and the wait
	// before it, a restarted child ready again.
	Logf func(format string, args ...any)
	// PIDDir, when set, holds <name>.pid with the process id of each child
	// while it runs, so that other programs (a fault-injection test, a
	// developer) can signal it; the file is gone while the child is down.
	PIDDir string

	output func(name, line string)
	// ctx ends when Stop begins: it cuts short the waits before restarts
	// and the launches under way.
	ctx      context.Context
	stopping context.CancelFunc
	mu       sync.Mutex
	children []*child
	died     chan Exit
}

// New returns a supervisor that hands every output line of a child to output.
func New(output func(name, line string)) *Supervisor {
	ctx, cancel := context.WithCancel(context.Background())
	return &Supervisor{output: output, died: make(chan Exit, 1), ctx: ctx, stopping: cancel}
}

// Died delivers the first child without a restart policy that ends on its
// own after it was ready.
func (s *Supervisor) Died() <-chan Exit { return s.died }

// errStopping refuses a launch once Stop has begun.
var errStopping = errors.New("the supervisor is stopping")

// Start runs a child and waits until its probe says it is ready. If the child
// exits first, the probe times out or ctx ends, the child is stopped and the
// error quotes its last output lines. From then on the supervisor watches
// it, restarting it as its Spec says.
func (s *Supervisor) Start(ctx context.Context, spec Spec) error {
	c := &child{spec: spec, tail: newTail(tailLines), ended: make(chan struct{})}
	s.mu.Lock()
	s.children = append(s.children, c)
	s.mu.Unlock()
	p, err := s.launch(ctx, c)
	if err != nil {
		close(c.ended)
		return err
	}
	fail := func(format string, args ...any) error {
		_ = p.Stop(5 * time.Second)
		s.removePID(c, p)
		close(c.ended)
		return fmt.Errorf("%s: %s; its last lines:\n%s", spec.Name, fmt.Sprintf(format, args...), indent(s.quote(c.tail.lines())))
	}
	if err := c.waitReady(ctx, p); err != nil {
		return fail("%v", err)
	}
	if exited(p) { // between the probe and now, where the watch could not tell
		return fail("exited as soon as it was ready (%v)", p.Err())
	}
	go s.watch(c, p, time.Now())
	return nil
}

// launch starts one run of c, unless Stop has begun: the lock makes Stop
// either see the new run or make the launch refuse.
func (s *Supervisor) launch(ctx context.Context, c *child) (Process, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.ctx.Err() != nil {
		return nil, fmt.Errorf("%s: %w", c.spec.Name, errStopping)
	}
	var p Process
	var err error
	if c.spec.Launch != nil {
		p, err = c.spec.Launch(ctx)
	} else {
		p, err = s.command(c)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: start: %w", c.spec.Name, err)
	}
	c.proc = p
	s.writePID(c, p)
	return p, nil
}

// watch waits for the child's run p to end and, unless Stop ended it,
// restarts it after the back-off's wait, or reports it by Died when the
// child has no restart policy.
func (s *Supervisor) watch(c *child, p Process, started time.Time) {
	defer close(c.ended)
	name := c.spec.Name
	step := 0
	for {
		var what string
		var ran time.Duration
		if p != nil {
			<-p.Done()
			ran = time.Since(started)
			c.setProc(nil)
			s.removePID(c, p)
			what = fmt.Sprintf("exited on its own (%v) after %s", p.Err(), round(ran))
		}
		if s.ctx.Err() != nil {
			return // Stop ended it
		}
		if c.spec.Restart == nil {
			select {
			case s.died <- Exit{Name: name, Err: p.Err(), Tail: s.quote(c.tail.lines())}:
			default:
			}
			return
		}
		if ran >= c.spec.Restart.Reset {
			step = 0
		}
		wait := c.spec.Restart.wait(step)
		step++
		c.restarts++
		n := c.restarts
		s.logf("%s %s; restart %d in %s", name, what, n, wait)
		select {
		case <-s.ctx.Done():
			s.logf("%s: restart %d called off: stopping", name, n)
			return
		case <-time.After(wait):
		}
		started = time.Now()
		var err error
		if p, err = s.launch(s.ctx, c); err != nil {
			if s.ctx.Err() != nil {
				return
			}
			p, what = nil, fmt.Sprintf("could not be started (%v)", err)
			continue
		}
		s.logf("%s restarted (restart %d, pid %d)", name, n, p.Pid())
		go s.announceReady(c, p, n)
	}
}

// announceReady says when a restarted child is ready again. A child that
// stays unready is left running, as Kubernetes leaves a pod that fails its
// readiness probe: only its exit restarts it.
func (s *Supervisor) announceReady(c *child, p Process, n int) {
	if c.spec.Ready == nil {
		return
	}
	err := c.waitReady(s.ctx, p)
	switch {
	case err == nil:
		s.logf("%s ready again after restart %d", c.spec.Name, n)
	case s.ctx.Err() == nil && !exited(p):
		s.logf("%s not ready after restart %d (%v); left running", c.spec.Name, n, err)
	}
}

// Stop ends the waits before restarts, sends SIGTERM to every child still
// running, waits up to grace for them to exit, then kills the rest. It
// reports the children that had to be killed or did not exit cleanly; those
// that had ended before are reported by Died, Start or the log, not again.
func (s *Supervisor) Stop(grace time.Duration) error {
	s.stopping()
	s.mu.Lock()
	children := slices.Clone(s.children)
	s.mu.Unlock()
	errs := make([]error, len(children))
	var wg sync.WaitGroup
	for i, c := range children {
		c.mu.Lock() // waits for a launch under way, which then refuses
		p := c.proc
		c.mu.Unlock()
		if p == nil || exited(p) {
			continue
		}
		wg.Go(func() {
			if err := p.Stop(grace); err != nil {
				errs[i] = fmt.Errorf("%s: %w", c.spec.Name, err)
			}
		})
	}
	wg.Wait()
	for _, c := range children {
		<-c.ended
	}
	return errors.Join(errs...)
}

// Pid returns the process id of the named child's current run, 0 when it
// is not running.
func (s *Supervisor) Pid(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range slices.Backward(s.children) {
		if c.spec.Name != name {
			continue
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.proc == nil || exited(c.proc) {
			return 0
		}
		return c.proc.Pid()
	}
	return 0
}

// child is one supervised child across its runs.
type child struct {
	spec     Spec
	tail     *tail
	mu       sync.Mutex
	proc     Process // the current run; nil while waiting to restart
	restarts int     // used by the watch only
	// ended is closed when the child has no run left and none to come.
	ended chan struct{}
}

func (c *child) setProc(p Process) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.proc = p
}

func exited(p Process) bool {
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

func (c *child) waitReady(ctx context.Context, p Process) error {
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
		case <-p.Done():
			return fmt.Errorf("exited before it was ready (%v)", p.Err())
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

// writePID records the run's process id in PIDDir, replacing the file at
// once so that a reader never sees half a number.
func (s *Supervisor) writePID(c *child, p Process) {
	if s.PIDDir == "" {
		return
	}
	path := filepath.Join(s.PIDDir, c.spec.Name+".pid")
	tmp := path + ".tmp"
	err := os.WriteFile(tmp, []byte(strconv.Itoa(p.Pid())+"\n"), 0o644)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		s.logf("%s: pid file: %v", c.spec.Name, err)
	}
}

// removePID removes the pid file if it still names run p.
func (s *Supervisor) removePID(c *child, p Process) {
	if s.PIDDir == "" {
		return
	}
	path := filepath.Join(s.PIDDir, c.spec.Name+".pid")
	if b, err := os.ReadFile(path); err == nil && string(b) == strconv.Itoa(p.Pid())+"\n" {
		_ = os.Remove(path)
	}
}

func (s *Supervisor) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
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

// round shortens a duration for the log.
func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
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
