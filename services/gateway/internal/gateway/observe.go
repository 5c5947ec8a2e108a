package gateway

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/felixge/httpsnoop"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// accessLog writes one line per request with the trace id of its span.
// The query string and the body are never logged: they may hold personal
// data. Successful reads (GET, HEAD: health probes, lists, the console's
// files) go to debug, as the gRPC servers do; every write and every
// refusal stays at info.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m := httpsnoop.CaptureMetrics(next, w, r)
		level := slog.LevelInfo
		switch {
		case (r.Method == http.MethodGet || r.Method == http.MethodHead) && m.Code < http.StatusBadRequest:
			level = slog.LevelDebug
		case r.URL.Path == "/healthz":
			// A backend being down is reported where it happens; the
			// probe repeats it every few seconds.
			level = slog.LevelWarn
		case m.Code >= http.StatusInternalServerError:
			level = slog.LevelError
		}
		if !log.Enabled(r.Context(), level) {
			return
		}
		log.Log(r.Context(), level, "http request", "method", r.Method, "path", r.URL.Path,
			"status", m.Code, "duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}

// nameRoute names the request's span and metrics after the API route it
// matched ("GET /v1/organisations/{id}"), never after the concrete path,
// whose ids would make every span name unique.
func nameRoute(next runtime.HandlerFunc) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		if p, ok := runtime.HTTPPattern(r.Context()); ok {
			setRoute(r, strings.ReplaceAll(p.String(), "=*}", "}"))
		}
		next(w, r, params)
	}
}

// setRoute records the route of r on its span and its metrics.
func setRoute(r *http.Request, route string) {
	span := trace.SpanFromContext(r.Context())
	span.SetName(r.Method + " " + route)
	span.SetAttributes(semconv.HTTPRoute(route))
	if l, ok := otelhttp.LabelerFromContext(r.Context()); ok {
		l.Add(semconv.HTTPRoute(route))
	}
}
