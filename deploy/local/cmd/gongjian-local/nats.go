package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"gongjian.dev/deploy/local/internal/stack"
	"gongjian.dev/deploy/local/internal/supervisor"
	"gongjian.dev/pkg/natsembed"
)

// natsCommand is the subcommand that runs NATS with JetStream as a process
// of its own: the launcher starts itself with it, so that the broker can be
// killed and restarted on its own like the other parts of the system
// without any NATS installed on the machine.
const natsCommand = "nats"

// natsGrace is how long NATS has to close its clients and store.
const natsGrace = 10 * time.Second

// runNATS serves NATS until SIGTERM or SIGINT, then shuts it down cleanly.
func runNATS(args []string) int {
	fs := flag.NewFlagSet(natsCommand, flag.ContinueOnError)
	host := fs.String("host", "127.0.0.1", "interface to listen on")
	port := fs.Int("port", 4222, "client port")
	store := fs.String("store", "", "JetStream store directory (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	// As production runs it: every message on disk before it is
	// acknowledged, so that killing NATS loses no event the outbox relay
	// has already let go of.
	srv, err := natsembed.Start(natsembed.Options{Host: *host, Port: *port, StoreDir: *store, SyncAlways: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("JetStream ready on %s (store %s)\n", srv.URL(), *store)
	<-ctx.Done()
	srv.Shutdown()
	fmt.Println("stopped")
	return 0
}

// natsSpec runs NATS as a child of the launcher, restarted when it dies.
func natsSpec(self, data string, port int) supervisor.Spec {
	restart := supervisor.CrashLoop
	url := "nats://" + hostPort(port)
	return supervisor.Spec{
		Name: "nats", Path: self,
		Args: []string{natsCommand, "-port", strconv.Itoa(port), "-store", filepath.Join(data, "nats")},
		Env:  stack.Environ(nil), Ready: supervisor.NATSJetStream(url), ReadyTimeout: 30 * time.Second,
		Restart: &restart,
	}
}
