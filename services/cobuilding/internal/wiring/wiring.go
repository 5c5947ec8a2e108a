// Package wiring is the co-building service as pkg/service runs it: what
// is its own — schema, stream, configuration, APIs, access policy, the
// local view of the organisation tree and the sweeper — named in one Spec
// that main and the tests both use.
package wiring

import (
	"context"
	"errors"
	"time"

	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/service"
	"gongjian.dev/services/cobuilding/internal/activities"
	"gongjian.dev/services/cobuilding/internal/agreements"
	"gongjian.dev/services/cobuilding/internal/balancing"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/evaluations"
	"gongjian.dev/services/cobuilding/internal/grpcapi"
	"gongjian.dev/services/cobuilding/internal/meetings"
	"gongjian.dev/services/cobuilding/internal/reports"
	"gongjian.dev/services/cobuilding/internal/requests"
	"gongjian.dev/services/cobuilding/internal/settings"
	"gongjian.dev/services/cobuilding/internal/store"
	"gongjian.dev/services/cobuilding/internal/units"
	"gongjian.dev/services/cobuilding/internal/venues"
	"gongjian.dev/services/cobuilding/internal/volunteers"
)

// Config is the co-building service's own configuration.
type Config struct {
	// SweepInterval is how often the service looks for what time alone
	// changed: months that closed without a unit's report, ledger items
	// past their deadline, periods without a joint meeting, residents'
	// requests past a time limit.
	SweepInterval time.Duration `env:"SWEEP_INTERVAL" envDefault:"1m"`
}

// Stream is the JetStream stream of the service's events.
var Stream = events.StreamSpec{Name: "COBUILDING", Subjects: []string{"gongjian.cobuilding.v1.>"}}

// OrgConsumer is the durable name of the consumer that keeps the service's
// view of the organisation tree.
const OrgConsumer = "cobuilding-orgs"

// InServiceConsumer is the durable name of the consumer of the member
// service's in-service registrations.
const InServiceConsumer = "cobuilding-in-service"

// Built is what Wire makes besides the API, for tests that reach past it.
type Built struct {
	Store    *store.Store
	Services grpcapi.Services
	// Sweep runs the sweepers once, as the sweeper job does at each tick.
	Sweep func(ctx context.Context) error
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

func wire(_ context.Context, d service.Deps, cfg *Config) (*Built, *service.Parts, error) {
	clock := cobuild.Clock{Now: d.Clock(), Loc: d.Location}
	st := store.New(d.Pool, clock.Now)
	svcs := grpcapi.Services{
		Units:      units.NewService(st.Units(), clock),
		Agreements: agreements.NewService(st.Agreements(), clock),
		Reports:    reports.NewService(st.Reports(), clock),
		Meetings:   meetings.NewService(st.Meetings(), clock),
		Activities: activities.NewService(st.Activities(), clock),
		Settings:   settings.NewService(st.SettingsStore(), clock),

		Venues:     venues.NewService(st.Venues(), clock),
		Calendar:   venues.NewCalendar(st.Venues(), clock),
		Volunteers: volunteers.NewTeams(st.Teams(), clock),
		// The two-way evaluation, residents' requests and balancing.
		Evaluations: evaluations.NewService(st.Evaluations(), clock),
		Requests:    requests.NewService(st.Requests(), clock),
		Balancing:   balancing.NewService(st.Balancing(), agreements.NewService(st.Agreements(), clock), clock),
	}
	sweep := func(ctx context.Context) error { return Sweep(ctx, svcs) }
	return &Built{Store: st, Services: svcs, Sweep: sweep}, &service.Parts{
		Register:  grpcapi.Register(svcs),
		Policy:    grpcapi.Policy(st),
		Tree:      st,
		Authorize: grpcapi.Authorize(st),
		Consumers: []service.Consumer{
			{Spec: orgview.Consumer(OrgConsumer), Handle: orgview.Handler(d.Log, nil)},
			{Spec: store.InServiceConsumer(InServiceConsumer), Handle: store.InServiceHandler(d.Log)},
		},
		Jobs: []service.Job{service.Every("sweeper", cfg.SweepInterval, sweep, func(err error) {
			d.Log.Error("sweep", "error", err)
		})},
	}, nil
}

// Sweep finds, each once, the months that closed without a unit's report,
// the ledger items past their deadline, the periods in which a convener
// held no joint meeting, and the residents' requests past a time limit.
func Sweep(ctx context.Context, s grpcapi.Services) error {
	_, err1 := s.Reports.SweepMissed(ctx)
	_, err2 := s.Meetings.SweepOverdue(ctx)
	_, err3 := s.Meetings.SweepMissedMeetings(ctx)
	_, err4 := s.Requests.SweepOverdue(ctx)
	return errors.Join(err1, err2, err3, err4)
}
