package pgcluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	readyTimeout = 30 * time.Second
	stopGrace    = 30 * time.Second
	logTailBytes = 4096
	// maxSocketPath is the room in sockaddr_un.sun_path, less its NUL.
	maxSocketPath = 107
)

// portTakenError marks a start-up failure caused by another process binding
// the chosen port first.
type portTakenError struct{ error }

func (e portTakenError) Unwrap() error { return e.error }

// server is one running postmaster.
type server struct {
	cmd      *exec.Cmd
	log      *os.File
	logStart int64 // where this run's output begins in the log
	done     chan struct{}
	err      error // the exit status, once done is closed
}

// serverArgs are the postgres command line: the data directory and every
// setting, so that the server runs as asked whatever the configuration
// files say, and `pg_ctl restart` (which reuses the command line) too.
func serverArgs(dir string, settings []setting) []string {
	args := []string{"-D", dir}
	for _, s := range settings {
		args = append(args, "-c", s.name+"="+s.value)
	}
	return args
}

// socketDir puts the Unix socket in the data directory, away from any system
// server, unless the path would not fit in a socket address; clients here
// use TCP, so the socket is then left out.
func socketDir(dir string, port int) string {
	if len(dir)+len("/.s.PGSQL.")+len(strconv.Itoa(port)) > maxSocketPath {
		return ""
	}
	return dir
}

func startServer(bin, dir string, acct *account, args []string) (*server, error) {
	log, err := os.OpenFile(filepath.Join(dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if acct != nil { // so that the server's own tools can append to it too
		_ = log.Chown(int(acct.uid), int(acct.gid))
	}
	offset, _ := log.Seek(0, io.SeekEnd)
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, serverEnv(), log, log
	cmd.SysProcAttr = acct.sysProcAttr()
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	s := &server{cmd: cmd, log: log, logStart: offset, done: make(chan struct{})}
	started := make(chan error, 1)
	go s.run(started)
	if err := <-started; err != nil {
		log.Close()
		return nil, fmt.Errorf("pgcluster: starting postgres: %w", err)
	}
	return s, nil
}

// run starts and then waits for the server on one locked OS thread: the
// kernel sends Pdeathsig when the thread that forked the child ends, not the
// process, so that thread must outlive the child.
func (s *server) run(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := s.cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	s.err = s.cmd.Wait()
	s.log.Close()
	close(s.done)
}

// waitReady polls until the server accepts connections, it exits, or the
// time runs out.
func waitReady(ctx context.Context, url string, s *server, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	// A server that exits cancels the attempt in flight, which could
	// otherwise hang on whatever else holds the port.
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		lastErr := ping(ctx, url)
		if lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			if s.exited() {
				return s.exitError()
			}
			return fmt.Errorf("pgcluster: server not accepting connections (%w): %v\n%s", ctx.Err(), lastErr, s.logTail())
		case <-tick.C:
		}
	}
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func ping(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// exitError explains why the server stopped during start-up.
func (s *server) exitError() error {
	tail := s.logTail()
	err := fmt.Errorf("pgcluster: postgres exited during start-up (%v):\n%s", s.err, tail)
	if strings.Contains(tail, "Address already in use") {
		return portTakenError{err}
	}
	return err
}

// logTail returns the end of what this run wrote to the log.
func (s *server) logTail() string {
	f, err := os.Open(s.log.Name())
	if err != nil {
		return ""
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return ""
	}
	from := max(s.logStart, info.Size()-logTailBytes)
	b, _ := io.ReadAll(io.NewSectionReader(f, from, info.Size()-from))
	return strings.TrimSpace(string(b))
}

// stop asks for a fast shutdown (SIGINT: roll back open transactions,
// checkpoint, exit) and kills the whole process group if that takes longer
// than grace.
func (s *server) stop(grace time.Duration) error {
	if s.exited() {
		return s.err
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-s.done:
		return s.err
	case <-timer.C:
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
		return fmt.Errorf("pgcluster: postgres did not stop within %v and was killed", grace)
	}
}
