package service

import (
	"fmt"
	"net"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"gongjian.dev/pkg/auth"
)

// Dialer connects a service to another service's gRPC server at addr
// (host:port), traced, and over mutual TLS when the service serves over it
// (its own certificate as the client's; the peer's verified by the same CA
// and by the host dialled).
type Dialer func(addr string) (*grpc.ClientConn, error)

// Dialer is the Dialer of a service whose mutual TLS is t (none: plaintext).
func (t TLS) Dialer() Dialer {
	return func(addr string) (*grpc.ClientConn, error) {
		creds := insecure.NewCredentials()
		if t.CertFile != "" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, fmt.Errorf("peer address %q: %w", addr, err)
			}
			var tc credentials.TransportCredentials
			if tc, err = auth.ClientTLS(t.CertFile, t.KeyFile, t.ClientCAFile, host); err != nil {
				return nil, err
			}
			creds = tc
		}
		return grpc.NewClient(addr, grpc.WithTransportCredentials(creds), grpc.WithStatsHandler(otelgrpc.NewClientHandler()))
	}
}
