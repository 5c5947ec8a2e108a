package service

import (
	"fmt"
	"time"

	"google.golang.org/grpc"

	"gongjian.dev/pkg/auth"
)

// Base is the configuration every service shares, from the environment.
type Base struct {
	// GRPCAddr is where the gRPC server listens; the Spec's Addr by default.
	GRPCAddr        string        `env:"GRPC_ADDR"`
	DatabaseURL     string        `env:"DATABASE_URL,required" secret:"true"`
	NATSURL         string        `env:"NATS_URL" envDefault:"nats://127.0.0.1:4222"`
	Migrate         bool          `env:"MIGRATE" envDefault:"false"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"15s"`
	// TimeZone is the city's zone: it decides what "today" is for ages,
	// dates, months and quarters.
	TimeZone string `env:"CITY_TIME_ZONE" envDefault:"Asia/Shanghai"`
	// TLS turns on mutual TLS when its three files are given.
	TLS TLS
	// Auth says whose tokens are accepted (AUTH_ISSUER, AUTH_AUDIENCE,
	// AUTH_KEYS_FILE or AUTH_JWKS_URL).
	Auth auth.Config
	// PprofAddr, when set, serves Go's profiles (/debug/pprof/) there, for
	// a measurement to profile the service under load. Off by default: keep
	// it on loopback.
	PprofAddr string `env:"PPROF_ADDR"`
}

// TLS are the files of the server's mutual TLS.
type TLS struct {
	CertFile     string `env:"TLS_CERT_FILE"`
	KeyFile      string `env:"TLS_KEY_FILE" secret:"true"`
	ClientCAFile string `env:"TLS_CLIENT_CA_FILE"`
}

// serverOption is the server's credentials, or nil for plaintext.
func (t TLS) serverOption() (grpc.ServerOption, error) {
	if t.CertFile == "" && t.KeyFile == "" && t.ClientCAFile == "" {
		return nil, nil
	}
	if t.CertFile == "" || t.KeyFile == "" || t.ClientCAFile == "" {
		return nil, fmt.Errorf("mutual TLS needs TLS_CERT_FILE, TLS_KEY_FILE and TLS_CLIENT_CA_FILE together")
	}
	creds, err := auth.ServerTLS(t.CertFile, t.KeyFile, t.ClientCAFile)
	if err != nil {
		return nil, err
	}
	return grpc.Creds(creds), nil
}

func (b Base) location() (*time.Location, error) {
	loc, err := time.LoadLocation(b.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("CITY_TIME_ZONE: %w", err)
	}
	return loc, nil
}
