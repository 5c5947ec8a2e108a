// Package wiring is the member service as pkg/service runs it: what is its
// own — schema, stream, configuration, APIs, access policy, the local view
// of the organisation tree, the sweeper and the re-encryption command —
// named in one Spec that main and the tests both use.
package wiring

import (
	"context"
	"time"

	"google.golang.org/grpc"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	pkgevents "gongjian.dev/pkg/events"
	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/service"
	"gongjian.dev/services/member/internal/domain"
	"gongjian.dev/services/member/internal/events"
	"gongjian.dev/services/member/internal/grpcapi"
	"gongjian.dev/services/member/internal/idcrypt"
	"gongjian.dev/services/member/internal/store"
)

// Config is the member service's own configuration.
type Config struct {
	// SweepInterval is how often the service looks for what time alone
	// changed: letters past their deadline, transfers open six months,
	// overdue contact with mobile members.
	SweepInterval time.Duration `env:"SWEEP_INTERVAL" envDefault:"1m"`
	// IDKeys is the ring of keys that encrypt national ID numbers,
	// "v2:<base64 32 bytes>,v1:<base64>": the first encrypts, all decrypt.
	IDKeys string `env:"MEMBER_ID_KEYS,required" secret:"true"`
	// IDHashKey keys the hash that finds a national ID number (base64, at
	// least 32 bytes). Changing it makes every stored hash useless.
	IDHashKey string `env:"MEMBER_ID_HASH_KEY,required" secret:"true"`
	// CounterFoldInterval is how often the deltas of the counters rolled
	// up per ancestor are folded into them. Counts are exact whenever the
	// fold runs; between folds a count reads the deltas too.
	CounterFoldInterval time.Duration `env:"COUNTER_FOLD_INTERVAL" envDefault:"1s"`
}

// Stream is the JetStream stream of the service's events.
var Stream = pkgevents.StreamSpec{Name: "MEMBER", Subjects: []string{"gongjian.member.v1.>"}}

// JointActivityConsumer is the durable name of the consumer that counts
// the co-building service's joint activities on contact cards.
const JointActivityConsumer = "member-joint-activities"

// OrganisationLifeConsumer is the durable name of the consumer that builds
// each member's participation from the organisation service's activities.
const OrganisationLifeConsumer = "member-organisation-life"

// Built is what Wire makes besides the API, for tests that reach past it.
type Built struct {
	Domain *domain.Services
	Store  *store.Store
}

// Spec is the member service configured by cfg (filled from the
// environment by pkg/service when main passes an empty one).
func Spec(cfg *Config) service.Spec[*Built] {
	return service.Spec[*Built]{
		Name:       "member",
		Addr:       "127.0.0.1:9102",
		Schema:     store.Schema,
		Migrations: store.AllMigrations,
		Stream:     Stream,
		RelayLock:  0x6d656d6f7574, // "memout"
		Config:     cfg,
		Commands:   map[string]service.Command{"reencrypt": func(ctx context.Context, d service.Deps) error { return reencrypt(ctx, d, cfg) }},
		Wire:       func(ctx context.Context, d service.Deps) (*Built, *service.Parts, error) { return wire(ctx, d, cfg) },
	}
}

func wire(_ context.Context, d service.Deps, cfg *Config) (*Built, *service.Parts, error) {
	ids, err := idcrypt.New(cfg.IDKeys, cfg.IDHashKey)
	if err != nil {
		return nil, nil, err
	}
	st := store.New(d.Pool, ids)
	svc := domain.New(st, d.Now, d.Location)
	return &Built{Domain: svc, Store: st}, &service.Parts{
		Register: func(srv grpc.ServiceRegistrar) { grpcapi.Register(srv, svc, st, audit.NewReadLog(d.Pool)) },
		Policy:   grpcapi.Policy(st),
		Tree:     st,
		Authorize: func(p authz.Policy) grpc.UnaryServerInterceptor {
			return grpcapi.UnaryInterceptor(p, st, auth.OpenMethods)
		},
		// A roster to import is up to 10 MiB (roster.MaxImportBytes).
		MaxRecvMsgSize: grpcapi.MaxMessage,
		Consumers: []service.Consumer{
			{Spec: orgview.Consumer("member-orgs"), Handle: orgview.Handler(d.Log, store.MoveMembers)},
			{Spec: events.JointActivities(JointActivityConsumer), Handle: events.CountJointActivities(st, svc.Members.Clock(), d.Log)},
			{Spec: events.OrganisationLife(OrganisationLifeConsumer), Handle: events.RecordOrganisationLife(st, svc.Members, d.Log)},
		},
		Jobs: []service.Job{{Name: "sweeper", Run: func(ctx context.Context) error {
			return svc.RunSweeper(ctx, cfg.SweepInterval, func(err error) { d.Log.Error("sweep", "error", err) })
		}}, service.Every("counter-fold", foldInterval(cfg), func(ctx context.Context) error {
			_, err := st.FoldCounters(ctx)
			return err
		}, func(err error) { d.Log.Error("fold the rolled-up counters", "error", err) })},
	}, nil
}

// foldInterval is the configured interval of the counters' fold, a second
// when a configuration built in code leaves it unset.
func foldInterval(cfg *Config) time.Duration {
	if cfg.CounterFoldInterval <= 0 {
		return time.Second
	}
	return cfg.CounterFoldInterval
}

// reencrypt seals every national ID number under the current key.
func reencrypt(ctx context.Context, d service.Deps, cfg *Config) error {
	ids, err := idcrypt.New(cfg.IDKeys, cfg.IDHashKey)
	if err != nil {
		return err
	}
	n, err := store.New(d.Pool, ids).Reencrypt(ctx)
	d.Log.Info("re-encrypted national ID numbers", "count", n, "key_version", ids.Current())
	return err
}
