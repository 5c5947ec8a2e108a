// Package wiring is the organisation service as pkg/service runs it: what
// is its own — schema, stream, APIs, access policy, the consumer of member
// counts — named in one Spec that main and the tests both use.
package wiring

import (
	"context"

	"google.golang.org/grpc"

	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/service"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	orgevents "gongjian.dev/services/organisation/internal/events"
	"gongjian.dev/services/organisation/internal/grpcapi"
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/store"
)

// Stream is the JetStream stream of the service's events.
var Stream = events.StreamSpec{Name: "ORGANISATION", Subjects: []string{"gongjian.organisation.v1.>"}}

// Built is what Wire makes besides the API, for tests that reach past it.
type Built struct {
	Service *org.Service
	Store   *store.Store
}

// Spec is the organisation service.
func Spec() service.Spec[*Built] {
	return service.Spec[*Built]{
		Name:       "organisation",
		Addr:       "127.0.0.1:9101",
		Schema:     store.Schema,
		Migrations: store.AllMigrations,
		Stream:     Stream,
		RelayLock:  0x6f72676f7574, // "orgout"
		Wire:       wire,
	}
}

func wire(_ context.Context, d service.Deps) (*Built, *service.Parts, error) {
	st := store.New(d.Pool)
	svc := org.NewService(st, d.Now, d.Location)
	api := grpcapi.New(svc, d.Pool)
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
		},
	}, nil
}
