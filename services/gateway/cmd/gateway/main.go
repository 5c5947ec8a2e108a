// Command gateway serves Gongjian's REST API: JSON over HTTP, translated
// into gRPC calls to the services.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"gongjian.dev/pkg/app"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/config"
	"gongjian.dev/pkg/telemetry"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
	cobuildingv1 "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	organisationv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	supervisionv1 "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/gateway/internal/gateway"
)

// Config is the gateway's configuration, from the environment. A service
// whose address is empty is not served.
type Config struct {
	HTTPAddr         string        `env:"HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	OrganisationAddr string        `env:"ORGANISATION_ADDR" envDefault:"127.0.0.1:9101"`
	MemberAddr       string        `env:"MEMBER_ADDR"`
	CobuildingAddr   string        `env:"COBUILDING_ADDR"`
	SupervisionAddr  string        `env:"SUPERVISION_ADDR"`
	ShutdownTimeout  time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"15s"`
	// PprofAddr, when set, serves Go's profiles there, as in the services;
	// never on an address others can reach.
	PprofAddr string `env:"PPROF_ADDR"`
	// Mutual TLS to the services, when BACKEND_TLS_CA_FILE is given: the
	// CA the services' certificates chain to, and the gateway's own
	// client certificate and key.
	BackendCAFile   string `env:"BACKEND_TLS_CA_FILE"`
	BackendCertFile string `env:"BACKEND_TLS_CERT_FILE"`
	BackendKeyFile  string `env:"BACKEND_TLS_KEY_FILE" secret:"true"`
	// Console serves the web console at /.
	Console bool `env:"CONSOLE" envDefault:"true"`
	// Auth checks the tokens of browser sessions (AUTH_ISSUER,
	// AUTH_AUDIENCE, AUTH_KEYS_FILE or AUTH_JWKS_URL, as the services).
	// Without keys, nobody signs in through the console.
	Auth auth.Config
	// DevSignInDir is the development issuer's folder. Only the local
	// launcher sets it: the console then offers every role and scope.
	DevSignInDir string        `env:"DEV_SIGNIN_ISSUER_DIR"`
	DevSignInTTL time.Duration `env:"DEV_SIGNIN_TTL" envDefault:"8h"`
	// OpenID Connect sign-in at the city's identity provider
	// (authorisation code with PKCE), when OIDC_ISSUER_URL is set.
	OIDCIssuerURL    string   `env:"OIDC_ISSUER_URL"`
	OIDCClientID     string   `env:"OIDC_CLIENT_ID"`
	OIDCClientSecret string   `env:"OIDC_CLIENT_SECRET" secret:"true"`
	OIDCRedirectURL  string   `env:"OIDC_REDIRECT_URL"`
	OIDCScopes       []string `env:"OIDC_SCOPES" envSeparator:" " envDefault:"profile"`
}

// backends is the table of services behind the gateway. A service joins
// by naming its generated Register…Handler functions on its line.
func backends(cfg Config) ([]gateway.Backend, error) {
	bs := []gateway.Backend{
		{Name: "organisation", Addr: cfg.OrganisationAddr, Register: []gateway.RegisterFunc{
			organisationv1.RegisterOrganisationServiceHandler,
			organisationv1.RegisterDemonstrationServiceHandler,
			organisationv1.RegisterComplianceServiceHandler,
		}, Audit: auditv1.RegisterAuditServiceHandler},
		{Name: "member", Addr: cfg.MemberAddr, Register: []gateway.RegisterFunc{
			memberv1.RegisterMemberServiceHandler,
			memberv1.RegisterTransferServiceHandler,
			memberv1.RegisterBulkTransferServiceHandler,
			memberv1.RegisterCategoryServiceHandler,
			gateway.RegisterMemberImportUpload, // after RegisterMemberServiceHandler, whose route it takes over
			memberv1.RegisterMobileServiceHandler,
			memberv1.RegisterReportingServiceHandler, memberv1.RegisterAppraisalServiceHandler,
			memberv1.RegisterDuesServiceHandler, memberv1.RegisterDuesLedgerServiceHandler,
			memberv1.RegisterParticipationServiceHandler,
			memberv1.RegisterMemberImportServiceHandler,
			gateway.RegisterMemberImportChunkUpload,
		}, Audit: auditv1.RegisterAuditServiceHandler},
		{Name: "cobuilding", Addr: cfg.CobuildingAddr, Register: []gateway.RegisterFunc{
			cobuildingv1.RegisterResidentUnitServiceHandler,
			cobuildingv1.RegisterAgreementServiceHandler,
			cobuildingv1.RegisterUnitReportServiceHandler,
			cobuildingv1.RegisterJointMeetingServiceHandler,
			cobuildingv1.RegisterLedgerItemServiceHandler,
			cobuildingv1.RegisterJointActivityServiceHandler,
			cobuildingv1.RegisterSettingsServiceHandler,
			cobuildingv1.RegisterVenueServiceHandler, cobuildingv1.RegisterBookingServiceHandler,
			cobuildingv1.RegisterCalendarServiceHandler, cobuildingv1.RegisterVolunteerTeamServiceHandler,
			// The two-way evaluation, residents' requests and balancing.
			cobuildingv1.RegisterEvaluationServiceHandler,
			cobuildingv1.RegisterServiceRequestServiceHandler,
			cobuildingv1.RegisterBalancingServiceHandler,
		}, Audit: auditv1.RegisterAuditServiceHandler},
		{Name: "supervision", Addr: cfg.SupervisionAddr, Register: []gateway.RegisterFunc{
			supervisionv1.RegisterRuleServiceHandler,
			supervisionv1.RegisterRectificationServiceHandler,
			supervisionv1.RegisterInspectionServiceHandler,
			supervisionv1.RegisterInterviewServiceHandler,
			supervisionv1.RegisterDashboardServiceHandler,
			supervisionv1.RegisterAssessmentServiceHandler,
			supervisionv1.RegisterCommendationServiceHandler,
		}, Audit: auditv1.RegisterAuditServiceHandler},
	}
	if cfg.BackendCAFile != "" {
		for i := range bs {
			if bs[i].Addr == "" {
				continue
			}
			// Each backend's certificate must name the host the gateway
			// dials: its Service name in Kubernetes.
			host, _, err := net.SplitHostPort(bs[i].Addr)
			if err != nil {
				return nil, fmt.Errorf("%s backend address %q: %w", bs[i].Name, bs[i].Addr, err)
			}
			if bs[i].Creds, err = auth.ClientTLS(cfg.BackendCertFile, cfg.BackendKeyFile, cfg.BackendCAFile, host); err != nil {
				return nil, err
			}
		}
	}
	return bs, nil
}

func main() {
	app.Main("gateway", run)
}

func run(ctx context.Context, log *slog.Logger) error {
	// Config.
	var cfg Config
	if err := config.Load(&cfg); err != nil {
		return err
	}
	log.Info("starting", config.Attrs(&cfg)...)

	// Telemetry.
	shutdownTelemetry, err := telemetry.Setup(ctx, "gateway")
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := shutdownTelemetry(ctx); err != nil {
			log.Warn("telemetry shutdown", "error", err)
		}
	}()

	// Backends.
	bs, err := backends(cfg)
	if err != nil {
		return err
	}
	opts, err := browserOptions(ctx, cfg, log)
	if err != nil {
		return err
	}
	handler, closeBackends, err := gateway.New(ctx, bs, log, opts...)
	if err != nil {
		return err
	}
	defer func() {
		if err := closeBackends(); err != nil {
			log.Warn("closing backends", "error", err)
		}
	}()

	if cfg.PprofAddr != "" {
		go func() {
			if err := app.ServePprof(ctx, cfg.PprofAddr, log); err != nil {
				log.Warn("profiles", "error", err)
			}
		}()
	}

	// HTTP server.
	return serve(ctx, log, cfg, handler)
}

// serve serves HTTP until ctx ends, then shuts down, letting requests in
// flight finish within the shutdown timeout.
func serve(ctx context.Context, log *slog.Logger, cfg Config, handler http.Handler) error {
	lis, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http listen: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	log.Info("http listening", "addr", lis.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("http serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown timed out; closing connections", "timeout", cfg.ShutdownTimeout)
		_ = srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http serve: %w", err)
	}
	return nil
}
