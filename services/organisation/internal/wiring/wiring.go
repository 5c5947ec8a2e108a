// Package wiring is the organisation service as pkg/service runs it: what
// is its own — schema, stream, APIs, access policy, the consumers of member
// counts, of resident units' coverage and of the members attendance ids are
// checked against — named in one Spec that main and
// the tests both use.
package wiring

import (
	"context"

	"google.golang.org/grpc"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/service"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	orgevents "gongjian.dev/services/organisation/internal/events"
	"gongjian.dev/services/organisation/internal/grpcapi"
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/store"
)

// Stream is the JetStream stream of the service's events.
var Stream = events.StreamSpec{Name: "ORGANISATION", Subjects: []string{"gongjian.organisation.v1.>"}}

// Config is the organisation service's own configuration.
type Config struct {
	// MemberAddr is the member service's gRPC address, which the
	// reconciliation of member counts asks; empty, it is not offered.
	MemberAddr string `env:"MEMBER_ADDR"`
}

// Built is what Wire makes besides the API, for tests that reach past it.
type Built struct {
	Service *org.Service
	Store   *store.Store
}

// Spec is the organisation service configured by cfg (filled from the
// environment by pkg/service when main passes an empty one).
func Spec(cfg *Config) service.Spec[*Built] {
	return service.Spec[*Built]{
		Name:       "organisation",
		Addr:       "127.0.0.1:9101",
		Schema:     store.Schema,
		Migrations: store.AllMigrations,
		Stream:     Stream,
		RelayLock:  0x6f72676f7574, // "orgout"
		Config:     cfg,
		Wire:       func(ctx context.Context, d service.Deps) (*Built, *service.Parts, error) { return wire(ctx, d, cfg) },
	}
}

func wire(_ context.Context, d service.Deps, cfg *Config) (*Built, *service.Parts, error) {
	st := store.New(d.Pool)
	svc := org.NewService(st, d.Now, d.Location)
	var members memberv1.MemberServiceClient
	if cfg.MemberAddr != "" {
		conn, err := d.Dial(cfg.MemberAddr)
		if err != nil {
			return nil, nil, err
		}
		members = memberv1.NewMemberServiceClient(conn)
	}
	api := grpcapi.New(svc, audit.NewReadLog(d.Pool), members)
	counts := orgevents.MemberCounts
	return &Built{Service: svc, Store: st}, &service.Parts{
		Register: func(srv grpc.ServiceRegistrar) {
			pb.RegisterOrganisationServiceServer(srv, api)
			pb.RegisterDemonstrationServiceServer(srv, api)
			pb.RegisterComplianceServiceServer(srv, api)
		},
		Policy: grpcapi.Policy(st),
		Tree:   st,
		Consumers: []service.Consumer{
			{Spec: counts, Handle: orgevents.ApplyMemberCounts(st, d.Location, d.Log)},
			{Spec: orgevents.UnitCoverage, Handle: orgevents.ApplyUnitCoverage(st, d.Location, d.Log)},
			{Spec: orgevents.Members, Handle: orgevents.ApplyMembers(st, d.Location, d.Log)},
		},
	}, nil
}
