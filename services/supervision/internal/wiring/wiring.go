// Package wiring is the supervision service as pkg/service runs it: what is
// its own — schema, stream, configuration, APIs, access policy, the
// consumers of the other services' events, the shipped rules, the sweeper
// and the calls to the member service — named in one Spec that main and
// the tests both use.
package wiring

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/cityclock"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/service"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/assess"
	supevents "gongjian.dev/services/supervision/internal/events"
	"gongjian.dev/services/supervision/internal/grpcapi"
	"gongjian.dev/services/supervision/internal/rectify"
	"gongjian.dev/services/supervision/internal/rules"
	"gongjian.dev/services/supervision/internal/store"
)

// Config is the supervision service's own configuration.
type Config struct {
	// SweepInterval is how often the rules are evaluated on what time alone
	// changes (a quarter ended, six months passed), overdue items are
	// escalated and pending calls are made.
	SweepInterval time.Duration `env:"SWEEP_INTERVAL" envDefault:"1m"`
	// MemberAddr is the member service's gRPC address, which the service
	// calls to withdraw a star rating; empty leaves the calls pending.
	MemberAddr string `env:"MEMBER_ADDR"`
	// ServiceTokenFile holds the service's own token (role service, scope
	// member.star_ratings), read again whenever it changes.
	ServiceTokenFile string `env:"SERVICE_TOKEN_FILE"`
	// Mutual TLS to the member service, when MEMBER_TLS_CA_FILE is set.
	MemberTLSCAFile   string `env:"MEMBER_TLS_CA_FILE"`
	MemberTLSCertFile string `env:"MEMBER_TLS_CERT_FILE"`
	MemberTLSKeyFile  string `env:"MEMBER_TLS_KEY_FILE" secret:"true"`
	// OrganisationAddr is the organisation service's gRPC address, whose
	// compliance report the service reads with its own token (scope
	// organisation.compliance_report); empty leaves the report unread.
	OrganisationAddr string `env:"ORGANISATION_ADDR"`
	// ComplianceInterval is how often each district's compliance report is
	// read again.
	ComplianceInterval time.Duration `env:"COMPLIANCE_INTERVAL" envDefault:"1h"`
	// Mutual TLS to the organisation service, when ORGANISATION_TLS_CA_FILE is set.
	OrganisationTLSCAFile   string `env:"ORGANISATION_TLS_CA_FILE"`
	OrganisationTLSCertFile string `env:"ORGANISATION_TLS_CERT_FILE"`
	OrganisationTLSKeyFile  string `env:"ORGANISATION_TLS_KEY_FILE" secret:"true"`
	// DashboardFoldInterval is how often the deltas of the dashboard's
	// counters are folded into them. Dashboards are exact whenever the fold
	// runs; between folds they read the deltas too.
	DashboardFoldInterval time.Duration `env:"DASHBOARD_FOLD_INTERVAL" envDefault:"1s"`
}

// Stream is the JetStream stream of the service's events.
var Stream = events.StreamSpec{Name: "SUPERVISION", Subjects: []string{"gongjian.supervision.v1.>"}}

// Built is what Wire makes besides the API, for tests that reach past it.
type Built struct {
	Store   *store.Store
	Rules   *rules.Service
	Rectify *rectify.Service
	Assess  *assess.Service
	Calls   *Runner
	// Compliance reads the organisation service's compliance reports.
	Compliance *supevents.ComplianceReports
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

func wire(ctx context.Context, d service.Deps, cfg *Config) (*Built, *service.Parts, error) {
	st := store.New(d.Pool)
	newRules := func(s rules.Store) *rules.Service { return rules.NewService(s, d.Now, d.Location, d.Log) }
	newRectify := func(s rectify.Store) *rectify.Service { return rectify.NewService(s, d.Now, d.Location) }
	rs, rx := newRules(st), newRectify(store.Rectify{Store: st})
	if err := rs.EnsurePresets(ctx); err != nil {
		return nil, nil, fmt.Errorf("shipped rules: %w", err)
	}
	as := assessment(d, st, rs)
	appraisals, err := memberClient(cfg)
	if err != nil {
		return nil, nil, err
	}
	runner := &Runner{Store: st, Appraisals: appraisals, Log: d.Log, Now: d.Now}
	reports, err := complianceClient(cfg)
	if err != nil {
		return nil, nil, err
	}
	compliance := &supevents.ComplianceReports{Client: reports, Store: st, Every: cfg.ComplianceInterval,
		Clock: cityclock.New(d.Now, d.Location)}
	deps := supevents.Deps{Store: st, Rules: newRules, Rectify: newRectify, Log: d.Log, Loc: d.Location}
	inspections := &grpcapi.InspectionAPI{Svc: rx}
	pass := func(ctx context.Context, district string) (int, error) {
		return sweepOnce(ctx, d, district, rs, rx, runner, compliance)
	}
	return &Built{Store: st, Rules: rs, Rectify: rx, Assess: as, Calls: runner, Compliance: compliance}, &service.Parts{
		Register: func(srv grpc.ServiceRegistrar) {
			pb.RegisterRuleServiceServer(srv, &grpcapi.RuleAPI{Rules: rs, Items: rx, Sweep: pass})
			pb.RegisterRectificationServiceServer(srv, &grpcapi.RectificationAPI{Svc: rx})
			pb.RegisterInspectionServiceServer(srv, inspections)
			pb.RegisterInterviewServiceServer(srv, inspections)
			pb.RegisterDashboardServiceServer(srv, &grpcapi.DashboardAPI{Counters: st, Rules: rs, Assess: as})
			pb.RegisterAssessmentServiceServer(srv, &grpcapi.AssessmentAPI{Svc: as})
			pb.RegisterCommendationServiceServer(srv, &grpcapi.AssessmentAPI{Svc: as})
		},
		Policy: grpcapi.Policy(),
		Tree:   st,
		Consumers: []service.Consumer{
			{Spec: supevents.Organisations, Handle: supevents.ApplyOrganisations(deps)},
			{Spec: supevents.Members, Handle: supevents.ApplyMembers(deps)},
			// The co-building service's misses and joint activities.
			{Spec: supevents.CoBuilding, Handle: supevents.ApplyCoBuilding(deps)},
		},
		Jobs: []service.Job{{Name: "sweeper", Run: func(ctx context.Context) error {
			return sweep(ctx, d, cfg.SweepInterval, rs, rx, runner, compliance)
		}}, service.Every("dashboard-fold", foldInterval(cfg), func(ctx context.Context) error {
			_, err := st.FoldDashboard(ctx)
			return err
		}, func(err error) { d.Log.Error("fold the dashboard's counters", "error", err) })},
	}, nil
}

// foldInterval is the configured interval of the dashboard's fold, a
// second when a configuration built in code leaves it unset.
func foldInterval(cfg *Config) time.Duration {
	if cfg.DashboardFoldInterval <= 0 {
		return time.Second
	}
	return cfg.DashboardFoldInterval
}

// assessment is the assessment service over st, whose graded results the
// rules watching assessment_result judge in the grading's transaction.
func assessment(d service.Deps, st *store.Store, rs *rules.Service) *assess.Service {
	as := assess.NewService(store.Assess{Store: st}, d.Now, d.Location)
	as.OnGraded = func(ctx context.Context, tx assess.Tx, results []*assess.Result) error {
		rtx, ok := tx.(rules.Tx)
		if !ok {
			return fmt.Errorf("the assessment transaction %T is not the rules'", tx)
		}
		// One judgement of each district's results per rule, set-based:
		// what was found before is passed over by the findings' unique key.
		judged := map[string]bool{}
		for _, r := range results {
			if judged[r.DistrictID] {
				continue
			}
			judged[r.DistrictID] = true
			if err := rs.OnFact(ctx, rtx, rules.FactAssessmentResult, "", r.DistrictID); err != nil {
				return err
			}
		}
		return nil
	}
	return as
}

// sweep runs a pass of the sweeper at every interval, on every replica:
// each finding, escalation and call is made once whichever replica makes it.
func sweep(ctx context.Context, d service.Deps, every time.Duration, rs *rules.Service, rx *rectify.Service, runner *Runner,
	compliance *supevents.ComplianceReports) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := sweepOnce(ctx, d, "", rs, rx, runner, compliance); err != nil {
			d.Log.ErrorContext(ctx, "sweep", "error", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// sweepOnce reads the compliance reports when they are due, evaluates the
// rules (in a district, or the city), escalates the overdue items and
// makes the pending calls; it returns how many findings it made.
func sweepOnce(ctx context.Context, d service.Deps, district string, rs *rules.Service, rx *rectify.Service, runner *Runner,
	compliance *supevents.ComplianceReports) (int, error) {
	_, pullErr := compliance.PullDue(ctx)
	n, err := rs.Sweep(ctx, district)
	if n > 0 {
		d.Log.InfoContext(ctx, "rule sweep", "findings", n)
	}
	_, escErr := rx.EscalateOverdue(ctx)
	_, callErr := runner.RunOnce(ctx)
	return n, errors.Join(pullErr, err, escErr, callErr)
}

// memberClient is the member service's AppraisalService, called with the
// service's own token; nil when no address is configured.
func memberClient(cfg *Config) (memberv1.AppraisalServiceClient, error) {
	conn, err := dial(cfg, "MEMBER_ADDR", cfg.MemberAddr, cfg.MemberTLSCAFile, cfg.MemberTLSCertFile, cfg.MemberTLSKeyFile)
	if conn == nil || err != nil {
		return nil, err
	}
	return memberv1.NewAppraisalServiceClient(conn), nil
}

// complianceClient is the organisation service's ComplianceService, called
// with the service's own token; nil when no address is configured.
func complianceClient(cfg *Config) (orgv1.ComplianceServiceClient, error) {
	conn, err := dial(cfg, "ORGANISATION_ADDR", cfg.OrganisationAddr, cfg.OrganisationTLSCAFile, cfg.OrganisationTLSCertFile,
		cfg.OrganisationTLSKeyFile)
	if conn == nil || err != nil {
		return nil, err
	}
	return orgv1.NewComplianceServiceClient(conn), nil
}

// dial connects to another service at addr (named by the variable name)
// with the service's own token, over mutual TLS when a CA is given; nil
// when addr is empty.
func dial(cfg *Config, name, addr, caFile, certFile, keyFile string) (*grpc.ClientConn, error) {
	if addr == "" {
		return nil, nil
	}
	if cfg.ServiceTokenFile == "" {
		return nil, fmt.Errorf("%s needs SERVICE_TOKEN_FILE: the service calls others with its own token", name)
	}
	creds := insecure.NewCredentials()
	tls := caFile != ""
	if tls {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", name, addr, err)
		}
		var c credentials.TransportCredentials
		if c, err = auth.ClientTLS(certFile, keyFile, caFile, host); err != nil {
			return nil, err
		}
		creds = c
	}
	return grpc.NewClient(addr, grpc.WithTransportCredentials(creds),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()), // the call joins the sweep's trace
		grpc.WithPerRPCCredentials(auth.TokenFile(cfg.ServiceTokenFile, tls)))
}
