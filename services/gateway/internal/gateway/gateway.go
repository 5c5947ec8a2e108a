// Package gateway is the REST face of Gongjian: it translates JSON over HTTP
// into gRPC calls to the services (grpc-gateway dialling each service's real
// gRPC server, so the services' interceptors always run), serves the OpenAPI
// description and a health check over every backend, and maps gRPC errors to
// HTTP statuses with one JSON error shape.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"gongjian.dev/proto/openapi"
)

// RegisterFunc registers the REST handlers of one gRPC service on mux,
// forwarding to conn: the generated Register…Handler functions.
type RegisterFunc func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error

// Backend is one service behind the gateway.
type Backend struct {
	// Name identifies the backend in logs and in the health report.
	Name string
	// Addr is the host:port of its gRPC server. Empty means not served.
	Addr string
	// Register lists the generated Register…Handler functions of its gRPC
	// services. None means the service has no REST API yet.
	Register []RegisterFunc
	// Audit registers the backend's audit trail (AuditService), served at
	// /v1/<Name>/audit-records: every service keeps its own trail, so the
	// gateway routes on the name.
	Audit RegisterFunc
	// Creds secures the connection (mutual TLS); nil means plaintext,
	// for a single machine or a mesh that encrypts for us.
	Creds credentials.TransportCredentials
}

// backend is a served Backend with its connection.
type backend struct {
	name string
	conn *grpc.ClientConn
}

// New builds the gateway's HTTP handler over the served backends, and a
// function that closes their connections.
func New(ctx context.Context, backends []Backend, log *slog.Logger, opts ...Option) (http.Handler, func() error, error) {
	newMux := func() *runtime.ServeMux {
		return runtime.NewServeMux(
			runtime.WithMarshalerOption(runtime.MIMEWildcard, newJSONMarshaler()),
			runtime.WithErrorHandler(errorHandler(log)),
			runtime.WithRoutingErrorHandler(routingErrorHandler(log)),
			runtime.WithMiddlewares(nameRoute, guardBody(log)),
		)
	}
	mux := newMux()
	audits := map[string]http.Handler{}
	var served []backend
	closeAll := func() error {
		var errs []error
		for _, b := range served {
			errs = append(errs, b.conn.Close())
		}
		return errors.Join(errs...)
	}
	for _, b := range backends {
		if b.Addr == "" || len(b.Register) == 0 {
			log.InfoContext(ctx, "backend not served", "backend", b.Name)
			continue
		}
		conn, err := dial(ctx, mux, b)
		if err != nil {
			return nil, nil, errors.Join(err, closeAll())
		}
		served = append(served, backend{name: b.Name, conn: conn})
		if b.Audit != nil {
			auditMux := newMux()
			if err := b.Audit(ctx, auditMux, conn); err != nil {
				return nil, nil, errors.Join(err, closeAll())
			}
			audits[b.Name] = auditMux
		}
		log.InfoContext(ctx, "backend served", "backend", b.Name, "addr", b.Addr)
	}
	r := &router{api: mux, audits: audits, health: healthHandler(served), log: log}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	h, err := o.apply(r)
	if err != nil {
		return nil, nil, errors.Join(err, closeAll())
	}
	return otelhttp.NewHandler(accessLog(log, h), "gateway"), closeAll, nil
}

// MaxMessage is the largest message the gateway sends a backend or takes
// from it: a roster to import and its report.
const MaxMessage = 16 << 20

// dial connects to a backend and registers its handlers on mux. The
// connection is made lazily, on the first call.
func dial(ctx context.Context, mux *runtime.ServeMux, b Backend) (*grpc.ClientConn, error) {
	creds := b.Creds
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(b.Addr,
		grpc.WithTransportCredentials(creds),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()),
		// A roster of 10 MiB goes out, its report of 20,000 rows comes back.
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(MaxMessage), grpc.MaxCallRecvMsgSize(MaxMessage)),
		// Marks the request as having reached a backend, so that errors
		// before it are known to be the gateway's reading of the request.
		grpc.WithChainUnaryInterceptor(markCalledUnary),
		grpc.WithChainStreamInterceptor(markCalledStream),
	)
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", b.Name, err)
	}
	for _, register := range b.Register {
		if err := register(ctx, mux, conn); err != nil {
			return nil, errors.Join(fmt.Errorf("backend %s: %w", b.Name, err), conn.Close())
		}
	}
	return conn, nil
}

// auditPath is where each service's audit trail is served.
var auditPath = regexp.MustCompile(`^/v1/([a-z]+)/audit-records$`)

// router sends /v1/ to the API and serves the gateway's own paths. It is
// not an http.ServeMux on purpose: that one would name every API span
// after its "/v1/" pattern and redirect unclean paths instead of refusing
// them.
type router struct {
	api    http.Handler
	audits map[string]http.Handler // by backend name
	health http.Handler
	log    *slog.Logger
	// web is the console (nil: not served); exports the spreadsheet
	// exports of the lists (nil: not served).
	web     http.Handler
	exports *exporter
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch path := r.URL.Path; {
	case auditPath.MatchString(path):
		if h, ok := rt.audits[auditPath.FindStringSubmatch(path)[1]]; ok {
			h.ServeHTTP(w, r)
			return
		}
		rt.fail(w, r, http.StatusNotFound, codes.NotFound)
	case strings.HasPrefix(path, exportPrefix) && rt.exports != nil:
		rt.readOnly(w, r, exportPrefix+"{list}", rt.exports)
	case strings.HasPrefix(path, "/v1/"):
		rt.api.ServeHTTP(w, r)
	case path == "/openapi.json":
		rt.readOnly(w, r, path, http.HandlerFunc(serveSpec))
	case path == "/healthz":
		rt.readOnly(w, r, path, rt.health)
	case rt.web != nil && !strings.HasPrefix(path, "/v1/"):
		rt.readOnly(w, r, "/", rt.web)
	default:
		rt.fail(w, r, http.StatusNotFound, codes.NotFound)
	}
}

// readOnly serves GET and HEAD with h and refuses other methods.
func (rt *router) readOnly(w http.ResponseWriter, r *http.Request, route string, h http.Handler) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		rt.fail(w, r, http.StatusMethodNotAllowed, codes.Unimplemented)
		return
	}
	setRoute(r, route)
	h.ServeHTTP(w, r)
}

// fail answers a request the router itself refuses, in the API's error shape.
func (rt *router) fail(w http.ResponseWriter, r *http.Request, httpStatus int, code codes.Code) {
	st := status.New(code, http.StatusText(httpStatus))
	writeError(r.Context(), rt.log, w, newJSONMarshaler(), httpStatus, st)
}

func serveSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapi.Spec)
}
