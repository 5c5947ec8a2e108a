package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	// errorDomain is the domain of every ErrorInfo the services send
	// (grpcserver.ErrorDomain, not imported so the gateway does not link the
	// services' server stack).
	errorDomain = "gongjian"
	// reasonEtagMismatch is the ErrorInfo reason of an update refused
	// because the client's etag is stale.
	reasonEtagMismatch = "ETAG_MISMATCH"
	// retryAfter is the Retry-After of a 503, in seconds: about what a
	// restarted backend or database takes to answer again.
	retryAfter = "5"
	// reasonTooLarge is the ErrorInfo reason of a request whose content
	// (a roster file) is larger than the service takes: 413.
	reasonTooLarge = "TOO_LARGE"
)

// errorBody is the JSON shape of every error the gateway answers with.
type errorBody struct {
	Code    int32             `json:"code"`
	Status  string            `json:"status"`
	Message string            `json:"message"`
	Details []json.RawMessage `json:"details"`
}

// errorHandler writes a gRPC error, or a runtime.HTTPStatusError the
// gateway raised itself, as an errorBody.
func errorHandler(log *slog.Logger) runtime.ErrorHandlerFunc {
	return func(ctx context.Context, _ *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
		httpStatus, st := classify(err)
		httpStatus, st = ofRequest(requestOf(r.Context()), httpStatus, st)
		writeError(ctx, log, w, m, httpStatus, st)
	}
}

// routingErrorHandler answers a request no API route matches: 404 for an
// unknown path, 405 for a known path with another method.
func routingErrorHandler(log *slog.Logger) runtime.RoutingErrorHandlerFunc {
	return func(ctx context.Context, _ *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, _ *http.Request, httpStatus int) {
		writeError(ctx, log, w, m, httpStatus, status.New(codeOfHTTP(httpStatus), http.StatusText(httpStatus)))
	}
}

// classify gives the HTTP status and the gRPC status of an error. The
// gateway's own errors (a malformed escape in the path) carry their HTTP
// status; everything else is a gRPC status, from the backend or from the
// generated code that parses the request (always InvalidArgument).
func classify(err error) (int, *status.Status) {
	var hse *runtime.HTTPStatusError
	if errors.As(err, &hse) {
		st, ok := status.FromError(hse.Err)
		if !ok {
			st = status.New(codeOfHTTP(hse.HTTPStatus), hse.Err.Error())
		}
		return hse.HTTPStatus, st
	}
	st := status.Convert(err)
	return httpStatusOf(st), st
}

// ofRequest corrects a status by what the gateway saw of the request: a
// body over the limit is 413 whatever the parser made of it; a backend
// refusing a message larger than it takes is 413 with a plain message
// (not gRPC's own "received message larger than max (N vs. M)"); and an
// error raised before any backend was called is the gateway's reading of
// the request, whose parser messages are rewritten (plainRequestMessage).
func ofRequest(req *request, httpStatus int, st *status.Status) (int, *status.Status) {
	if req != nil && req.tooLarge.Load() {
		return http.StatusRequestEntityTooLarge, status.New(codes.ResourceExhausted, tooLargeMessage(req.limit))
	}
	if st.Code() == codes.ResourceExhausted {
		if m := messageTooLarge.FindStringSubmatch(st.Message()); m != nil {
			if m[1] == "received" && m[2] == strconv.Itoa(MaxMessage) {
				// The gateway's own limit on what it takes from a
				// backend: the answer, not the request, is too large.
				return http.StatusInternalServerError, status.New(codes.Internal, st.Message())
			}
			return http.StatusRequestEntityTooLarge, status.New(codes.ResourceExhausted, "the request is larger than the service takes")
		}
	}
	if hasReason(st, reasonTooLarge) {
		return http.StatusRequestEntityTooLarge, st
	}
	if req != nil && !req.backendCalled.Load() {
		switch st.Code() {
		case codes.ResourceExhausted: // the gateway's own: only sizes exhaust it
			return http.StatusRequestEntityTooLarge, st
		case codes.InvalidArgument:
			return http.StatusBadRequest, status.New(codes.InvalidArgument, plainRequestMessage(st.Message()))
		}
	}
	return httpStatus, st
}

// messageTooLarge is gRPC's refusal of a message over a limit: the
// backend's when it received the request, the gateway's when it received
// the answer or would send the request.
var messageTooLarge = regexp.MustCompile(`(received|trying to send) message larger than max \(\d+ vs\. (\d+)\)`)

// hasReason reports whether st carries the ErrorInfo reason of the
// services' domain.
func hasReason(st *status.Status, reason string) bool {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetReason() == reason && info.GetDomain() == errorDomain {
			return true
		}
	}
	return false
}

// httpStatusOf maps a gRPC status to the HTTP status the API promises.
func httpStatusOf(st *status.Status) int {
	switch st.Code() {
	case codes.InvalidArgument, codes.OutOfRange:
		return http.StatusBadRequest
	case codes.FailedPrecondition:
		return preconditionStatus(st)
	case codes.AlreadyExists, codes.Aborted:
		return http.StatusConflict
	case codes.NotFound:
		return http.StatusNotFound
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.Unimplemented:
		return http.StatusNotImplemented
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	case codes.Canceled:
		// 499 is nginx's, not HTTP's; the closest standard status is 408.
		return http.StatusRequestTimeout
	default:
		return http.StatusInternalServerError
	}
}

// preconditionStatus splits FailedPrecondition by its details: field
// violations are the client's input (400), a stale etag is HTTP's own
// precondition failure (412), and the rest is a conflict with the
// resource's state (409).
func preconditionStatus(st *status.Status) int {
	etag := false
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			if len(d.GetFieldViolations()) > 0 {
				return http.StatusBadRequest
			}
		case *errdetails.ErrorInfo:
			if d.GetReason() == reasonEtagMismatch && d.GetDomain() == errorDomain {
				etag = true
			}
		}
	}
	if etag {
		return http.StatusPreconditionFailed
	}
	return http.StatusConflict
}

// codeOfHTTP is the gRPC code of an error the gateway raises itself.
func codeOfHTTP(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusMethodNotAllowed:
		return codes.Unimplemented
	default:
		return codes.Internal
	}
}

// writeError writes st as an errorBody with httpStatus. A server-side
// failure reaches the client as a fixed message: its text may name hosts,
// ports or queries. The original is logged with the trace id instead.
func writeError(ctx context.Context, log *slog.Logger, w http.ResponseWriter, m runtime.Marshaler, httpStatus int, st *status.Status) {
	body := errorBody{
		Code:    int32(st.Code()),
		Status:  code.Code(st.Code()).String(),
		Message: st.Message(),
		Details: []json.RawMessage{},
	}
	if safe, ok := safeMessage(st.Code()); ok {
		log.ErrorContext(ctx, "backend error", "code", body.Status, "error", st.Message())
		body.Message = safe
	}
	for _, d := range st.Proto().GetDetails() {
		b, err := m.Marshal(d)
		if err != nil {
			log.WarnContext(ctx, "error detail not marshalled", "type", d.GetTypeUrl(), "error", err.Error())
			continue
		}
		body.Details = append(body.Details, b)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if httpStatus == http.StatusServiceUnavailable {
		// An outage (a backend or its database down) passes: say when to
		// try again rather than leave clients to hammer it.
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(httpStatus)
	_ = json.NewEncoder(w).Encode(body)
}

// safeMessage is the message a client gets for a server-side failure.
func safeMessage(c codes.Code) (string, bool) {
	switch c {
	case codes.Internal, codes.Unknown, codes.DataLoss:
		return "internal error", true
	case codes.Unavailable:
		return "service unavailable", true
	default:
		return "", false
	}
}
