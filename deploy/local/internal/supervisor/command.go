package supervisor

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// command is a run of a child started from its Spec's Path.
type command struct {
	cmd  *exec.Cmd
	out  *lineWriter
	done chan struct{}
	err  error // set before done is closed
}

// command starts a run of c, its output lines handed to the supervisor's
// output and kept in c's tail.
func (s *Supervisor) command(c *child) (*command, error) {
	out := &lineWriter{emit: func(line string) {
		c.tail.add(line)
		s.output(c.spec.Name, line)
	}}
	cmd := exec.Command(c.spec.Path, c.spec.Args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = append([]string{}, c.spec.Env...), out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// The output pipe stays open while a grandchild holds it; do not wait
	// for it forever once the child itself is gone.
	cmd.WaitDelay = 5 * time.Second
	p := &command{cmd: cmd, out: out, done: make(chan struct{})}
	started := make(chan error, 1)
	go p.run(started)
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// run starts and waits for the child on one locked OS thread: the kernel
// sends Pdeathsig when the thread that forked the child ends, not the
// process, so that thread must outlive the child.
func (p *command) run(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := p.cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	p.err = p.cmd.Wait()
	p.out.flush()
	close(p.done)
}

func (p *command) Pid() int              { return p.cmd.Process.Pid }
func (p *command) Done() <-chan struct{} { return p.done }

func (p *command) Err() error {
	if p.err == nil {
		return errors.New("exit status 0")
	}
	return p.err
}

// Stop sends SIGTERM and, after grace, SIGKILL to the child's whole
// process group, so that nothing it started outlives it.
func (p *command) Stop(grace time.Duration) error {
	p.signal(syscall.SIGTERM)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.err
	case <-timer.C:
		select {
		case <-p.done:
		default:
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		}
		<-p.done
		return fmt.Errorf("killed after %s without exiting", grace)
	}
}

func (p *command) signal(sig syscall.Signal) {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(sig)
	}
}
