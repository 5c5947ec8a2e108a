package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	corev1 "k8s.io/api/core/v1"
)

// Pod is a pod the node runs.
type Pod struct {
	// Obj is the pod as the API server admitted it.
	Obj *corev1.Pod

	node       *Node
	dir        string
	ctx        context.Context
	cancel     context.CancelFunc
	containers []*Container
	volumes    map[string]volume
	wg         sync.WaitGroup
	deleteOnce sync.Once
	deleted    chan struct{}
}

// Container is one container of a pod, across its restarts.
type Container struct {
	Spec corev1.Container

	pod     *Pod
	rootfs  string
	image   *v1.ConfigFile
	logPath string

	mu       sync.Mutex
	id       string // the runc container running now, "" between runs
	started  bool   // the start-up probe passed (or there is none)
	ready    bool
	restarts int
	lastExit *Exit
	events   []string // probe failures, kills and restarts, newest last
	exited   chan struct{}
	finished chan struct{} // closed when the container will run no more
}

// Exit is how a container run ended.
type Exit struct {
	Code    int
	Signal  string
	Message string // the termination message, or the log's tail on error
	At      time.Time
}

// Run starts the pod's containers and returns at once; probes and
// restarts go on in the background until the pod is deleted or, for a
// restartPolicy other than Always, its containers have ended.
func (n *Node) Run(pod *corev1.Pod) (*Pod, error) {
	if problems := unsupported(pod); len(problems) > 0 {
		return nil, fmt.Errorf("pod %s: the node cannot run: %s", pod.Name, strings.Join(problems, "; "))
	}
	dir := filepath.Join(n.podsDir(), fmt.Sprintf("%s-%d", pod.Name, n.seq.Add(1)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pod{Obj: pod.DeepCopy(), node: n, dir: dir, ctx: ctx, cancel: cancel, deleted: make(chan struct{})}
	if err := p.prepareVolumes(ctx); err != nil {
		cancel()
		return nil, fmt.Errorf("pod %s: %w", pod.Name, err)
	}
	for _, spec := range pod.Spec.Containers {
		c := &Container{Spec: spec, pod: p, rootfs: filepath.Join(dir, spec.Name, "rootfs"),
			logPath: filepath.Join(dir, spec.Name+".log"), finished: make(chan struct{})}
		cfg, err := n.Images.unpack(spec.Image, c.rootfs)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("pod %s container %s: %w", pod.Name, spec.Name, err)
		}
		c.image = cfg
		p.containers = append(p.containers, c)
	}
	n.add(p)
	for _, c := range p.containers {
		p.wg.Go(c.loop)
	}
	n.Logf("node: pod %s started (%d containers)", pod.Name, len(p.containers))
	return p, nil
}

// Name is the pod's name.
func (p *Pod) Name() string { return p.Obj.Name }

// Containers are the pod's containers.
func (p *Pod) Containers() []*Container { return p.containers }

// Ready reports whether every container is ready.
func (p *Pod) Ready() bool {
	for _, c := range p.containers {
		if !c.Ready() {
			return false
		}
	}
	return true
}

// WaitReady waits until every container is ready, the pod's containers
// ended, or limit passes.
func (p *Pod) WaitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for !p.Ready() {
		if time.Now().After(deadline) {
			return fmt.Errorf("pod %s not ready within %s: %s", p.Name(), limit, p.Describe())
		}
		if p.ended() {
			return fmt.Errorf("pod %s ended before it was ready: %s", p.Name(), p.Describe())
		}
		if !sleepCtx(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
	return nil
}

func (p *Pod) ended() bool {
	for _, c := range p.containers {
		select {
		case <-c.finished:
		default:
			return false
		}
	}
	return true
}

// Wait waits until every container has ended for good (a pod whose
// restartPolicy is not Always) and says whether all succeeded.
func (p *Pod) Wait(ctx context.Context) (bool, error) {
	for _, c := range p.containers {
		select {
		case <-c.finished:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	for _, c := range p.containers {
		if e := c.LastExit(); e == nil || e.Code != 0 {
			return false, nil
		}
	}
	return true, nil
}

// Describe says, per container, its state, restarts and latest events:
// what `kubectl describe pod` would show.
func (p *Pod) Describe() string {
	var b strings.Builder
	for _, c := range p.containers {
		c.mu.Lock()
		fmt.Fprintf(&b, "\n  container %s: running=%v started=%v ready=%v restarts=%d", c.Spec.Name, c.id != "", c.started, c.ready, c.restarts)
		if c.lastExit != nil {
			fmt.Fprintf(&b, " last exit code=%d signal=%s %q", c.lastExit.Code, c.lastExit.Signal, c.lastExit.Message)
		}
		ev := c.events
		if len(ev) > 6 {
			ev = ev[len(ev)-6:]
		}
		for _, e := range ev {
			fmt.Fprintf(&b, "\n    %s", e)
		}
		c.mu.Unlock()
		fmt.Fprintf(&b, "\n    log:\n%s", indent(tailLines(c.Log(), 12), "      "))
	}
	return b.String()
}

// Delete stops the pod as the kubelet does when the API server deletes
// it: each container's preStop hook, then SIGTERM, then SIGKILL once the
// grace period (the pod's, or grace when not nil) has passed since the
// deletion began. It returns when every container is gone.
func (p *Pod) Delete(grace *int64) {
	p.deleteOnce.Do(func() {
		period := int64(corev1.DefaultTerminationGracePeriodSeconds)
		if p.Obj.Spec.TerminationGracePeriodSeconds != nil {
			period = *p.Obj.Spec.TerminationGracePeriodSeconds
		}
		if grace != nil {
			period = *grace
		}
		deadline := time.Now().Add(time.Duration(period) * time.Second)
		close(p.deleted)
		var wg sync.WaitGroup
		for _, c := range p.containers {
			wg.Go(func() { c.terminate(deadline, true) })
		}
		wg.Wait()
		p.cancel()
		// A container that was between runs when the deletion began may
		// have started since: it is killed at once.
		done := make(chan struct{})
		go func() { p.wg.Wait(); close(done) }()
		for waiting := true; waiting; {
			select {
			case <-done:
				waiting = false
			case <-time.After(200 * time.Millisecond):
				for _, c := range p.containers {
					c.signal("KILL")
				}
			}
		}
		p.node.remove(p)
		p.removeFiles()
		p.node.Logf("node: pod %s deleted", p.Name())
	})
}

// removeFiles removes what the pod's containers ran from (their root
// file systems, bundles and volumes), keeping their logs.
func (p *Pod) removeFiles() {
	entries, _ := os.ReadDir(p.dir)
	for _, e := range entries {
		if e.IsDir() {
			_ = os.RemoveAll(filepath.Join(p.dir, e.Name()))
		}
	}
}

func (p *Pod) deleting() bool {
	select {
	case <-p.deleted:
		return true
	default:
		return false
	}
}

// Ready reports whether the container passes its readiness probe (or
// runs and has none).
func (c *Container) Ready() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ready
}

// Pid is the host pid of the container's process now running, or 0.
func (c *Container) Pid() int {
	c.mu.Lock()
	id := c.id
	c.mu.Unlock()
	if id == "" {
		return 0
	}
	out, err := exec.Command(c.pod.node.Runc, "--root", c.pod.node.runcRoot, "state", id).Output()
	if err != nil {
		return 0
	}
	var state struct {
		Pid int `json:"pid"`
	}
	if json.Unmarshal(out, &state) != nil {
		return 0
	}
	return state.Pid
}

// Restarts is how many times the container was started again.
func (c *Container) Restarts() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.restarts
}

// LastExit is how the container's latest run ended, or nil.
func (c *Container) LastExit() *Exit {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastExit
}

// Events are the container's probe failures, kills and restarts.
func (c *Container) Events() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.events...)
}

// Log is everything the container wrote, across its runs.
func (c *Container) Log() string {
	b, _ := os.ReadFile(c.logPath)
	return string(b)
}

func (c *Container) event(format string, args ...any) {
	msg := time.Now().Format("15:04:05.000") + " " + fmt.Sprintf(format, args...)
	c.mu.Lock()
	c.events = append(c.events, msg)
	c.mu.Unlock()
	c.pod.node.Logf("node: pod %s container %s: %s", c.pod.Name(), c.Spec.Name, fmt.Sprintf(format, args...))
}

// loop runs the container, again after each exit as the pod's
// restartPolicy says, with the kubelet's back-off (10 s doubling to 5
// min, reset after 10 min of running).
func (c *Container) loop() {
	defer close(c.finished)
	policy := c.pod.Obj.Spec.RestartPolicy
	backoff := 10 * time.Second
	for run := 0; ; run++ {
		if c.pod.deleting() {
			return
		}
		began := time.Now()
		exit, err := c.runOnce(run)
		if err != nil {
			c.event("could not start: %v", err)
			exit = &Exit{Code: 128, Message: err.Error(), At: time.Now()}
		}
		c.mu.Lock()
		c.lastExit = exit
		c.mu.Unlock()
		if c.pod.deleting() {
			return
		}
		restart := policy == corev1.RestartPolicyAlways || (policy == corev1.RestartPolicyOnFailure && exit.Code != 0)
		if !restart {
			return
		}
		if time.Since(began) > 10*time.Minute {
			backoff = 10 * time.Second
		}
		c.event("exited (code %d%s); back-off %s before restart %d", exit.Code, signalSuffix(exit), backoff, run+1)
		if !sleepCtx(c.pod.ctx, backoff) {
			return
		}
		backoff = min(2*backoff, 5*time.Minute)
		c.mu.Lock()
		c.restarts++
		c.mu.Unlock()
	}
}

func signalSuffix(e *Exit) string {
	if e.Signal == "" {
		return ""
	}
	return ", " + e.Signal
}

// runOnce runs the container once, with its probes, until it exits.
func (c *Container) runOnce(run int) (*Exit, error) {
	id := fmt.Sprintf("%s-%s-%d", c.pod.Name(), c.Spec.Name, run)
	bundle := filepath.Join(c.pod.dir, c.Spec.Name, fmt.Sprintf("bundle-%d", run))
	if err := os.MkdirAll(bundle, 0o700); err != nil {
		return nil, err
	}
	termLog := filepath.Join(bundle, "termination-log")
	if err := os.WriteFile(termLog, nil, 0o666); err != nil {
		return nil, err
	}
	if err := os.Chmod(termLog, 0o666); err != nil {
		return nil, err
	}
	spec, err := c.ociSpec(c.pod.ctx, id, termLog)
	if err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(bundle, "config.json"), spec); err != nil {
		return nil, err
	}
	log, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	// runc in the foreground: it passes its own output on as the
	// container's, forwards signals to it, and removes the container once
	// it exits. SIGTERM on the test's death, which it forwards.
	cmd := exec.Command(c.pod.node.Runc, "--root", c.pod.node.runcRoot, "run", "--bundle", bundle, id)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	c.mu.Lock()
	c.id, c.exited, c.started, c.ready = id, exited, false, false
	c.mu.Unlock()

	probeCtx, stopProbes := context.WithCancel(c.pod.ctx)
	var probes sync.WaitGroup
	probes.Go(func() { c.probe(probeCtx) })
	err = cmd.Wait()
	close(exited)
	stopProbes()
	probes.Wait()

	exit := &Exit{At: time.Now()}
	// runc exits with the container's status: 128+n when signal n ended it.
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		exit.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			exit.Code = 128 + int(ws.Signal())
		}
		if exit.Code > 128 {
			exit.Signal = syscall.Signal(exit.Code - 128).String()
		}
	case err != nil:
		return nil, err
	}
	exit.Message = c.terminationMessage(termLog, exit.Code)
	c.mu.Lock()
	c.id, c.started, c.ready = "", false, false
	c.mu.Unlock()
	return exit, nil
}

// terminationMessage reads the container's termination-message file, or
// the log's tail when the policy says so and the container failed.
func (c *Container) terminationMessage(path string, code int) string {
	b, _ := os.ReadFile(path)
	msg := strings.TrimSpace(string(b))
	if msg == "" && code != 0 && c.Spec.TerminationMessagePolicy == corev1.TerminationMessageFallbackToLogsOnError {
		msg = tailLines(c.Log(), 5)
	}
	return msg
}

// signal sends sig to the running container, if any.
func (c *Container) signal(sig string) {
	c.mu.Lock()
	id := c.id
	c.mu.Unlock()
	if id == "" {
		return
	}
	_ = exec.Command(c.pod.node.Runc, "--root", c.pod.node.runcRoot, "kill", id, sig).Run()
}

// terminate stops the running container: its preStop hook when the pod is
// being deleted, SIGTERM, and SIGKILL at deadline.
func (c *Container) terminate(deadline time.Time, preStop bool) {
	c.mu.Lock()
	exited := c.exited
	running := c.id != ""
	c.mu.Unlock()
	if !running {
		return
	}
	if preStop && c.Spec.Lifecycle != nil && c.Spec.Lifecycle.PreStop != nil {
		c.runPreStop(deadline)
	}
	c.signal("TERM")
	select {
	case <-exited:
		return
	case <-time.After(time.Until(deadline)):
	}
	c.event("still running at the end of the grace period: SIGKILL")
	c.signal("KILL")
	<-exited
}

// runPreStop runs the preStop hook, bounded by the grace period.
func (c *Container) runPreStop(deadline time.Time) {
	h := c.Spec.Lifecycle.PreStop
	switch {
	case h.Sleep != nil:
		d := min(time.Duration(h.Sleep.Seconds)*time.Second, time.Until(deadline))
		c.event("preStop: sleeping %s", d.Round(time.Second))
		time.Sleep(d)
	case h.HTTPGet != nil:
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		if err := c.httpGet(ctx, h.HTTPGet, time.Until(deadline)); err != nil {
			c.event("preStop hook failed: %v", err)
		}
	}
}

func indent(s, prefix string) string {
	if s == "" {
		return prefix + "(empty)"
	}
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
