// Package wiring is the supervision service as pkg/service runs it: what is
// its own — schema, stream, configuration, APIs, access policy, the
// consumers of the other services' events and the sweeper — named in one
// Spec that main and the tests both use.
package wiring

import (
	"context"

	"google.golang.org/grpc"

	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/service"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/grpcapi"
	"gongjian.dev/services/supervision/internal/store"
)

// Config is the supervision service's own configuration.
type Config struct{}

// Stream is the JetStream stream of the service's events.
var Stream = events.StreamSpec{Name: "SUPERVISION", Subjects: []string{"gongjian.supervision.v1.>"}}

// Built is what Wire makes besides the API, for tests that reach past it.
type Built struct {
	Store *store.Store
}

// Spec is the supervision service configured by cfg (filled from the
// environment by pkg/service when main passes an empty one).
func Spec(cfg *Config) service.Spec[*Built] {
	return service.Spec[*Built]{
		Name:       "supervision",
		Addr:       "127.0.0.1:9104",
		Schema:     store.Schema,
		Migrations: store.AllMigrations,
		Stream:     Stream,
		RelayLock:  0x7375706f7574, // "supout"
		Config:     cfg,
		Wire:       func(ctx context.Context, d service.Deps) (*Built, *service.Parts, error) { return wire(ctx, d, cfg) },
	}
}

func wire(_ context.Context, d service.Deps, _ *Config) (*Built, *service.Parts, error) {
	st := store.New(d.Pool)
	return &Built{Store: st}, &service.Parts{
		Register: func(srv grpc.ServiceRegistrar) {
			pb.RegisterRuleServiceServer(srv, &grpcapi.RuleAPI{})
		},
		Policy:    grpcapi.Policy(),
		Tree:      st,
		Consumers: []service.Consumer{{Spec: orgview.Consumer("supervision-orgs"), Handle: orgview.Handler(d.Log, nil)}},
	}, nil
}
