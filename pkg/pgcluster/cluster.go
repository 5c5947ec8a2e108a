// Package pgcluster runs a PostgreSQL server from the binaries installed on
// the machine, as a child process of the caller.
//
// The test harness starts a throw-away cluster with it; the developer
// launcher starts one that keeps its data between runs. The server dies with
// its parent (even on SIGKILL), so an interrupted run leaves no stray server
// behind, and the next Start on the same directory recovers it.
//
// The settings a server runs with are recorded in the cluster's
// postgresql.auto.conf, so that the data directory is the same server
// whoever starts it: `pg_ctl start -D dir` listens on the recorded port. A
// server someone else started on the directory can be adopted (Options.Adopt),
// and Stop stops whatever server runs on the directory, as `pg_ctl stop`
// does, even one restarted from outside.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Options configure Start.
type Options struct {
	// Dir is the data directory. A new cluster is created in it unless it
	// holds one already, and Stop leaves it in place. When empty, a new
	// temporary directory is used (in /dev/shm when the cluster is not
	// durable and there is room) and Stop removes it.
	Dir string
	// Host is the address the server listens on; the default is 127.0.0.1.
	Host string
	// Port is the TCP port; 0 picks a free one.
	Port int
	// Durable keeps PostgreSQL's crash safety. When false (for tests), fsync,
	// synchronous_commit and full_page_writes are off.
	Durable bool
	// Adopt uses a server already running on Dir (left by an earlier
	// launcher that was killed, or started by hand with pg_ctl) instead of
	// failing: as it is when it listens on Port (any port when Port is 0),
	// else after stopping it. Such a server is not a child of the caller and
	// does not die with it.
	Adopt bool
	// Settings are further server parameters (shared_buffers, max_wal_size…),
	// set as the package's own are; they cannot change the port, the
	// address or the crash safety Durable chose.
	Settings map[string]string
	// Logf, when set, receives progress messages.
	Logf func(format string, args ...any)
}

func (o Options) withDefaults() Options {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}

// Cluster is a running server. Its superuser is postgres, with trust
// authentication, so it must only listen on a private address.
type Cluster struct {
	dir       string
	host      string
	port      int
	removeDir bool
	logf      func(string, ...any)
	srv       *server // the server this process started; nil when adopted
	adopted   int     // the adopted server's process id
	done      chan struct{}
	stopOnce  sync.Once
	stopErr   error
}

// Start runs a server on opts.Dir, creating the cluster first if needed, and
// returns once it accepts connections (or after 30 seconds, with the end of
// the server's log in the error). When the caller is root, the server runs
// as the OS user postgres, which then owns Dir. The server's output goes to
// postgres.log in Dir.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	opts = opts.withDefaults()
	bin, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	acct, err := serverAccount()
	if err != nil {
		return nil, err
	}
	dir, temporary, err := prepareDir(opts.Dir, opts.Durable, acct)
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, host: opts.Host, removeDir: temporary, logf: opts.Logf}
	if err := c.boot(ctx, bin, acct, opts); err != nil {
		if temporary {
			os.RemoveAll(dir)
		}
		return nil, err
	}
	return c, nil
}

func (c *Cluster) boot(ctx context.Context, bin string, acct *account, opts Options) error {
	if err := initIfEmpty(ctx, bin, c.dir, acct, opts); err != nil {
		return err
	}
	if opts.Adopt {
		adopted, err := c.adopt(ctx, opts)
		if err != nil || adopted {
			return err
		}
	}
	if err := removeStalePID(c.dir); err != nil {
		return err
	}
	if err := c.launch(ctx, bin, acct, opts); err != nil {
		return err
	}
	c.done = c.srv.done
	c.logf("pgcluster: postgres ready on %s:%d (data in %s)", c.host, c.port, c.dir)
	return nil
}

// adopt uses the server running on the directory when it listens on the
// port asked for, and stops it otherwise. It reports whether it adopted one.
func (c *Cluster) adopt(ctx context.Context, opts Options) (bool, error) {
	pm, ok := runningOn(c.dir)
	if !ok {
		return false, nil
	}
	pm, ok = waitListening(ctx, c.dir, pm, readyTimeout)
	if !ok { // it went away while starting or stopping
		return false, nil
	}
	if opts.Port != 0 && pm.port != opts.Port {
		c.logf("pgcluster: stopping the server (pid %d) running on %s: it listens on port %d, not %d", pm.pid, c.dir, pm.port, opts.Port)
		return false, stopPID(pm.pid, stopGrace)
	}
	c.port = pm.port
	if err := waitAccepting(ctx, c.URL("postgres"), pm.pid, readyTimeout); err != nil {
		return false, err
	}
	c.adopted = pm.pid
	c.done = make(chan struct{})
	go watchPID(pm.pid, c.done)
	c.logf("pgcluster: using the server (pid %d) already running on %s, port %d; it was not started here and outlives this process",
		pm.pid, c.dir, c.port)
	return true, nil
}

// waitListening waits until the running server's pid file names its port
// (the file is written in steps while it starts). It reports false when
// the server went away meanwhile.
func waitListening(ctx context.Context, dir string, pm postmaster, limit time.Duration) (postmaster, bool) {
	deadline := time.Now().Add(limit)
	for pm.port == 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(25 * time.Millisecond)
		next, ok := runningOn(dir)
		if !ok || next.pid != pm.pid {
			return postmaster{}, false
		}
		pm = next
	}
	return pm, pm.port != 0
}

// waitAccepting polls until the server at url accepts connections, failing
// when the process pid is gone or the time runs out.
func waitAccepting(ctx context.Context, url string, pid int, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		err := ping(ctx, url)
		if err == nil {
			return nil
		}
		if !alive(pid) || !isPostgres(pid) {
			return fmt.Errorf("pgcluster: the server (pid %d) found running exited: %w", pid, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgcluster: the server (pid %d) found running does not accept connections: %w", pid, err)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// watchPID closes done once the process pid is no longer a running
// postgres. It polls: the process is not this one's child.
func watchPID(pid int, done chan<- struct{}) {
	for alive(pid) && isPostgres(pid) {
		time.Sleep(100 * time.Millisecond)
	}
	close(done)
}

// launch starts the server. A free port found by the kernel can be taken by
// another process before the server binds it, so that case is retried.
func (c *Cluster) launch(ctx context.Context, bin string, acct *account, opts Options) error {
	const attempts = 3
	for attempt := 1; ; attempt++ {
		port, err := choosePort(opts.Host, opts.Port)
		if err != nil {
			return err
		}
		err = c.launchOn(ctx, bin, acct, opts, port)
		if err == nil || opts.Port != 0 || attempt == attempts || !errors.As(err, new(portTakenError)) {
			return err
		}
	}
}

func (c *Cluster) launchOn(ctx context.Context, bin string, acct *account, opts Options, port int) error {
	c.port = port
	settings := serverSettings(c.dir, opts.Host, port, opts.Durable)
	settings = withExtra(settings, opts.Settings)
	srv, err := startServer(bin, c.dir, acct, serverArgs(c.dir, settings))
	if err != nil {
		return err
	}
	if err := waitReady(ctx, c.URL("postgres"), srv, readyTimeout); err != nil {
		_ = srv.stop(stopGrace)
		return err
	}
	c.srv = srv
	// Recorded once the server runs with them (its command line wins over
	// the file), so that a failed start leaves the last good settings.
	if err := recordSettings(c.dir, settings, acct); err != nil {
		_ = c.Stop()
		return err
	}
	return nil
}

// choosePort returns port, or a port the kernel reports free when it is 0.
func choosePort(host string, port int) (int, error) {
	if port != 0 {
		return port, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("pgcluster: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL returns the connection URL of database db as the superuser, e.g.
// postgres://postgres@127.0.0.1:5433/db?sslmode=disable.
func (c *Cluster) URL(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort(c.host, strconv.Itoa(c.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port returns the TCP port the server listens on.
func (c *Cluster) Port() int { return c.port }

// Dir returns the data directory.
func (c *Cluster) Dir() string { return c.dir }

// Pid returns the process id of the server (the postmaster).
func (c *Cluster) Pid() int {
	if c.srv == nil {
		return c.adopted
	}
	return c.srv.cmd.Process.Pid
}

// Adopted reports whether the server was found running rather than started.
func (c *Cluster) Adopted() bool { return c.srv == nil }

// Done is closed when the server has exited, whether Stop stopped it or it
// ended otherwise (killed, or stopped with pg_ctl).
func (c *Cluster) Done() <-chan struct{} { return c.done }

// Err says how the server ended, once Done is closed: its exit status when
// this process started it.
func (c *Cluster) Err() error {
	if c.srv == nil {
		return fmt.Errorf("pid %d gone; not started here, so its exit status is unknown", c.adopted)
	}
	if c.srv.err == nil {
		return errors.New("exit status 0")
	}
	return c.srv.err
}

// EnsureDatabase creates database name unless it exists. Concurrent calls
// for the same name are safe.
func (c *Cluster) EnsureDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil || exists {
		return wrap(err)
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if alreadyCreated(err) {
		return nil
	}
	return wrap(err)
}

// alreadyCreated recognises losing a race with a concurrent CREATE DATABASE
// (duplicate_database, or unique_violation in the catalogue).
func alreadyCreated(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505")
}

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("pgcluster: %w", err)
}

// Stop shuts the server down (fast shutdown, killed after 30 seconds), then
// any other server running on the directory (one restarted from outside,
// which the pid file names), and, if Start made a temporary directory,
// removes it. Later calls return the first call's result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		if c.srv != nil {
			c.stopErr = c.srv.stop(stopGrace)
		} else {
			c.stopErr = stopPID(c.adopted, stopGrace)
		}
		if pid, err := StopServer(c.dir); pid != 0 || err != nil {
			c.logf("pgcluster: stopped the server (pid %d) started on %s from outside", pid, c.dir)
			c.stopErr = errors.Join(c.stopErr, err)
		}
		if c.removeDir {
			c.stopErr = errors.Join(c.stopErr, os.RemoveAll(c.dir))
		}
		c.logf("pgcluster: postgres on port %d stopped", c.port)
	})
	return c.stopErr
}
