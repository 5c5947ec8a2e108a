// Package wiring is the co-building service as pkg/service runs it: what
// is its own — schema, stream, configuration, APIs, access policy, the
// local view of the organisation tree and the sweeper — named in one Spec
// that main and the tests both use.
package wiring

import (
	"context"
	"time"

	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/service"
	"gongjian.dev/services/cobuilding/internal/grpcapi"
	"gongjian.dev/services/cobuilding/internal/store"
)

// Config is the co-building service's own configuration.
type Config struct {
	// SweepInterval is how often the service looks for what time alone
	// changed: months that closed without a unit's report, ledger items
	// past their deadline, periods without a joint meeting.
	SweepInterval time.Duration `env:"SWEEP_INTERVAL" envDefault:"1m"`
}

// Stream is the JetStream stream of the service's events.
var Stream = events.StreamSpec{Name: "COBUILDING", Subjects: []string{"gongjian.cobuilding.v1.>"}}

// OrgConsumer is the durable name of the consumer that keeps the service's
// view of the organisation tree.
const OrgConsumer = "cobuilding-orgs"

// Built is what Wire makes besides the API, for tests that reach past it.
type Built struct {
	Store *store.Store
}

// Spec is the co-building service configured by cfg (filled from the
// environment by pkg/service when main passes an empty one).
func Spec(cfg *Config) service.Spec[*Built] {
	return service.Spec[*Built]{
		Name:       "cobuilding",
		Addr:       "127.0.0.1:9103",
		Schema:     store.Schema,
		Migrations: store.AllMigrations,
		Stream:     Stream,
		RelayLock:  0x636f626f7574, // "cobout"
		Config:     cfg,
		Wire:       func(ctx context.Context, d service.Deps) (*Built, *service.Parts, error) { return wire(ctx, d, cfg) },
	}
}

func wire(_ context.Context, d service.Deps, _ *Config) (*Built, *service.Parts, error) {
	st := store.New(d.Pool)
	return &Built{Store: st}, &service.Parts{
		Register:  grpcapi.Register(),
		Policy:    grpcapi.Policy(),
		Tree:      st,
		Consumers: []service.Consumer{{Spec: orgview.Consumer(OrgConsumer), Handle: orgview.Handler(d.Log, nil)}},
	}, nil
}
