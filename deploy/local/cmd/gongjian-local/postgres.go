package main

import (
	"context"
	"sync/atomic"
	"time"

	"gongjian.dev/deploy/local/internal/supervisor"
	"gongjian.dev/pkg/pgcluster"
)

// postgres is the database server on the data folder, supervised like the
// other children: restarted when it dies, and adopted when it is found
// running on the folder (restarted from outside with pg_ctl, or left by a
// launcher that was killed).
type postgres struct {
	dir     string
	port    int
	logf    func(format string, args ...any)
	current atomic.Pointer[pgcluster.Cluster]
}

func (p *postgres) spec() supervisor.Spec {
	restart := supervisor.CrashLoop
	return supervisor.Spec{Name: "postgres", Launch: p.launch, Restart: &restart}
}

// outsideGrace is how long a restart looks for a server started on the
// folder from outside before starting one: `pg_ctl restart` stops the
// server (which the supervisor sees die) and starts a new one a moment
// later, and the two must not race for the folder.
const outsideGrace = 2 * time.Second

// launch starts or adopts the server; it returns once the server accepts
// connections.
func (p *postgres) launch(ctx context.Context) (supervisor.Process, error) {
	if p.current.Load() != nil { // a restart: give pg_ctl its moment
		for deadline := time.Now().Add(outsideGrace); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if _, _, ok := pgcluster.Running(p.dir); ok || ctx.Err() != nil {
				break
			}
		}
	}
	c, err := pgcluster.Start(ctx, pgcluster.Options{
		Dir: p.dir, Port: p.port, Durable: true, Adopt: true, Logf: p.logf,
	})
	if err != nil {
		return nil, err
	}
	p.current.Store(c)
	return clusterProcess{c}, nil
}

// stopStray stops a server that runs on the folder although the supervisor
// has none running: one started by hand while a restart was waiting.
func (p *postgres) stopStray() {
	pid, err := pgcluster.StopServer(p.dir)
	if pid != 0 {
		p.logf("stopped the server (pid %d) started on %s from outside", pid, p.dir)
	}
	if err != nil {
		p.logf("stop: %v", err)
	}
}

// clusterProcess is a running cluster as the supervisor sees a child. Its
// Stop stops whatever server runs on the folder, as pg_ctl stop does.
type clusterProcess struct{ *pgcluster.Cluster }

func (c clusterProcess) Stop(time.Duration) error { return c.Cluster.Stop() }
