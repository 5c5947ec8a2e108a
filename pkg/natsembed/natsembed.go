// Package natsembed runs a NATS server with JetStream inside the current
// process. Tests use it to get a real broker in milliseconds, and the developer
// launcher uses it with a fixed port and store directory so that streams
// survive between runs.
package natsembed

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout bounds how long Start waits for the server to accept clients
// once it is listening.
const readyTimeout = 10 * time.Second

// Options configures an embedded server.
type Options struct {
	// Host is the interface to listen on; empty means 127.0.0.1.
	Host string
	// Port is the client port; 0 picks a free port.
	Port int
	// StoreDir is where JetStream keeps its data. It is required: restarting
	// on the same directory keeps the streams and their messages.
	StoreDir string
	// SyncAlways makes the server fsync every message before acknowledging
	// it, as production runs. By default JetStream syncs lazily and a power
	// loss may drop acknowledged messages.
	SyncAlways bool
}

// Server is a running embedded NATS server.
type Server struct {
	ns   *server.Server
	host string
	// port is the port actually bound, which differs from the configured
	// one when it was picked at random.
	port int
}

// Start starts a server and returns once it accepts connections with
// JetStream enabled.
func Start(opts Options) (*Server, error) {
	sopts, err := serverOptions(opts)
	if err != nil {
		return nil, err
	}
	ns, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("natsembed: new server: %w", err)
	}
	// Start recovers the JetStream store and opens the listener before it
	// returns; a failure is reported to a logger we do not set, so it shows
	// as a missing listener or JetStream.
	ns.Start()
	if err := checkStarted(ns, sopts); err != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, err
	}
	return &Server{ns: ns, host: sopts.Host, port: ns.Addr().(*net.TCPAddr).Port}, nil
}

// serverOptions translates Options into the server's own options.
func serverOptions(opts Options) (*server.Options, error) {
	if opts.StoreDir == "" {
		return nil, errors.New("natsembed: StoreDir is required")
	}
	host := opts.Host
	if host == "" {
		host = "127.0.0.1"
	}
	port := opts.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return &server.Options{
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   opts.StoreDir,
		SyncAlways: opts.SyncAlways,
		NoSigs:     true, // the process owns its signals
	}, nil
}

// checkStarted reports why a started server cannot serve, if it cannot.
func checkStarted(ns *server.Server, sopts *server.Options) error {
	if ns.Addr() == nil {
		return fmt.Errorf("natsembed: cannot listen on %s:%d (in use?)", sopts.Host, sopts.Port)
	}
	if !ns.JetStreamEnabled() {
		return fmt.Errorf("natsembed: JetStream did not start on store %s", sopts.StoreDir)
	}
	if !ns.ReadyForConnections(readyTimeout) {
		return fmt.Errorf("natsembed: server not ready after %s", readyTimeout)
	}
	return nil
}

// URL returns the client URL, for example nats://127.0.0.1:4222.
func (s *Server) URL() string {
	return "nats://" + net.JoinHostPort(s.host, strconv.Itoa(s.port))
}

// Port returns the client port the server listens on, so that a restart can
// reuse it and clients reconnect to the same URL.
func (s *Server) Port() int {
	return s.port
}

// Shutdown stops the server, closing client connections, and returns once it
// has fully stopped and released its port and store.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
