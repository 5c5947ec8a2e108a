// Package grpcserver builds the gRPC server every service runs: health and
// reflection services, the OpenTelemetry stats handler, panic recovery,
// request logging, the text check of every string field, protovalidate
// input checks and one error mapper, and serves it until the context ends,
// then stops gracefully.
package grpcserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"buf.build/go/protovalidate"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

// Options tune the server. The zero value is usable.
type Options struct {
	// AuthUnary and AuthStream run after recovery, logging, error mapping
	// and the text check (NUL and control characters, refused for every
	// caller alike: the rule says nothing about this service) but before
	// input validation: authentication, then
	// authorisation, so that a caller who may not call learns nothing
	// about the input rules.
	AuthUnary  []grpc.UnaryServerInterceptor
	AuthStream []grpc.StreamServerInterceptor
	// Unary and Stream are extra interceptors, run last.
	Unary  []grpc.UnaryServerInterceptor
	Stream []grpc.StreamServerInterceptor
	// ServerOptions are passed through (TLS credentials, limits).
	ServerOptions []grpc.ServerOption
	// Unavailable recognises the errors of an outage (a database that
	// cannot be reached), answered Unavailable instead of Internal.
	Unavailable func(error) bool
}

// streamWorkers is how many goroutines serve calls and are kept between
// them. A goroutine started for each call grows its stack again for every
// call (6% of a service's CPU under a read load); a call that finds every
// worker busy still gets a goroutine of its own, so this is no limit.
const streamWorkers = 64

// Server is a gRPC server with its health service.
type Server struct {
	*grpc.Server
	Health *health.Server
	log    *slog.Logger
}

// New builds the server. Register services on it, then call Serve.
func New(log *slog.Logger, opts Options) (*Server, error) {
	v, err := protovalidate.New()
	if err != nil {
		return nil, err
	}
	unary := []grpc.UnaryServerInterceptor{recoverUnary(log), logUnary(log), errorsUnary(log), textUnary()}
	stream := []grpc.StreamServerInterceptor{recoverStream(log), logStream(log), errorsStream(log), textStream()}
	if opts.Unavailable != nil {
		unary = append(unary, outageUnary(log, opts.Unavailable))
		stream = append(stream, outageStream(log, opts.Unavailable))
	}
	unary = append(append(append(unary, opts.AuthUnary...), validateUnary(v)), opts.Unary...)
	stream = append(append(append(stream, opts.AuthStream...), validateStream(v)), opts.Stream...)
	so := append([]grpc.ServerOption{
		grpc.ForceServerCodecV2(newTextCodec()),
		grpc.StatsHandler(otelgrpc.NewServerHandler()),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
		grpc.NumStreamWorkers(streamWorkers),
	}, opts.ServerOptions...)
	s := &Server{Server: grpc.NewServer(so...), Health: health.NewServer(), log: log}
	healthpb.RegisterHealthServer(s.Server, s.Health)
	reflection.Register(s.Server)
	return s, nil
}

// Serve serves on lis until ctx ends, then marks the server not serving and
// stops it gracefully, cutting remaining calls after timeout.
func (s *Server) Serve(ctx context.Context, lis net.Listener, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.Server.Serve(lis) }()
	s.log.Info("grpc listening", "addr", lis.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Health.Shutdown()
	done := make(chan struct{})
	go func() { s.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		s.log.Warn("graceful stop timed out; cutting calls", "timeout", timeout)
		s.Stop()
	}
	if err := <-errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}
