package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"gongjian.dev/pkg/grpcserver"
)

func withDetails(t *testing.T, c codes.Code, msg string, details ...protoadapt.MessageV1) *status.Status {
	t.Helper()
	st, err := status.New(c, msg).WithDetails(details...)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestBackendErrorsBecomeHTTPStatusesWithOneJSONShape(t *testing.T) {
	t.Parallel()
	fields := &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
		{Field: "organisation.parent_id", Description: "a branch cannot sit under a party group"},
	}}
	etag := &errdetails.ErrorInfo{Reason: "ETAG_MISMATCH", Domain: grpcserver.ErrorDomain}
	const fieldsJSON = `{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [
		{"field": "organisation.parent_id", "description": "a branch cannot sit under a party group"}]}`
	const etagJSON = `{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ETAG_MISMATCH", "domain": "gongjian"}`
	tests := []struct {
		name       string
		backend    *status.Status
		wantStatus int
		wantBody   string
	}{
		{
			name:       "not found is 404",
			backend:    status.New(codes.NotFound, "organisation not found"),
			wantStatus: http.StatusNotFound,
			wantBody:   `{"code": 5, "status": "NOT_FOUND", "message": "organisation not found", "details": []}`,
		},
		{
			name:       "failed precondition with field violations is 400",
			backend:    withDetails(t, codes.FailedPrecondition, "the parent cannot hold this kind", fields),
			wantStatus: http.StatusBadRequest,
			wantBody:   `{"code": 9, "status": "FAILED_PRECONDITION", "message": "the parent cannot hold this kind", "details": [` + fieldsJSON + `]}`,
		},
		{
			name:       "failed precondition with a stale etag is 412",
			backend:    withDetails(t, codes.FailedPrecondition, "organisation was changed by someone else; read it again", etag),
			wantStatus: http.StatusPreconditionFailed,
			wantBody:   `{"code": 9, "status": "FAILED_PRECONDITION", "message": "organisation was changed by someone else; read it again", "details": [` + etagJSON + `]}`,
		},
		{
			name:       "failed precondition with field violations and a stale etag is 400",
			backend:    withDetails(t, codes.FailedPrecondition, "both", etag, fields),
			wantStatus: http.StatusBadRequest,
			wantBody:   `{"code": 9, "status": "FAILED_PRECONDITION", "message": "both", "details": [` + etagJSON + `, ` + fieldsJSON + `]}`,
		},
		{
			name:       "failed precondition with an etag reason of another domain is 409",
			backend:    withDetails(t, codes.FailedPrecondition, "foreign", &errdetails.ErrorInfo{Reason: "ETAG_MISMATCH", Domain: "example.com"}),
			wantStatus: http.StatusConflict,
			wantBody:   `{"code": 9, "status": "FAILED_PRECONDITION", "message": "foreign", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ETAG_MISMATCH", "domain": "example.com"}]}`,
		},
		{
			name:       "plain failed precondition is 409",
			backend:    status.New(codes.FailedPrecondition, "organisation still has members"),
			wantStatus: http.StatusConflict,
			wantBody:   `{"code": 9, "status": "FAILED_PRECONDITION", "message": "organisation still has members", "details": []}`,
		},
		{
			name:       "already exists is 409",
			backend:    status.New(codes.AlreadyExists, "code already in use"),
			wantStatus: http.StatusConflict,
			wantBody:   `{"code": 6, "status": "ALREADY_EXISTS", "message": "code already in use", "details": []}`,
		},
		{
			name:       "aborted is 409",
			backend:    status.New(codes.Aborted, "concurrent move"),
			wantStatus: http.StatusConflict,
			wantBody:   `{"code": 10, "status": "ABORTED", "message": "concurrent move", "details": []}`,
		},
		{
			name:       "invalid argument is 400 with its field violations",
			backend:    withDetails(t, codes.InvalidArgument, "invalid request", fields),
			wantStatus: http.StatusBadRequest,
			wantBody:   `{"code": 3, "status": "INVALID_ARGUMENT", "message": "invalid request", "details": [` + fieldsJSON + `]}`,
		},
		{
			name:       "out of range is 400",
			backend:    status.New(codes.OutOfRange, "page past the end"),
			wantStatus: http.StatusBadRequest,
			wantBody:   `{"code": 11, "status": "OUT_OF_RANGE", "message": "page past the end", "details": []}`,
		},
		{
			name:       "unauthenticated is 401",
			backend:    status.New(codes.Unauthenticated, "sign in"),
			wantStatus: http.StatusUnauthorized,
			wantBody:   `{"code": 16, "status": "UNAUTHENTICATED", "message": "sign in", "details": []}`,
		},
		{
			name:       "permission denied is 403",
			backend:    status.New(codes.PermissionDenied, "not your district"),
			wantStatus: http.StatusForbidden,
			wantBody:   `{"code": 7, "status": "PERMISSION_DENIED", "message": "not your district", "details": []}`,
		},
		{
			name:       "unavailable is 503 without the backend's words",
			backend:    status.New(codes.Unavailable, "dial tcp 10.0.0.7:5432: connection refused"),
			wantStatus: http.StatusServiceUnavailable,
			wantBody:   `{"code": 14, "status": "UNAVAILABLE", "message": "service unavailable", "details": []}`,
		},
		{
			name:       "deadline exceeded is 504",
			backend:    status.New(codes.DeadlineExceeded, "deadline exceeded"),
			wantStatus: http.StatusGatewayTimeout,
			wantBody:   `{"code": 4, "status": "DEADLINE_EXCEEDED", "message": "deadline exceeded", "details": []}`,
		},
		{
			name:       "canceled is 408",
			backend:    status.New(codes.Canceled, "request cancelled"),
			wantStatus: http.StatusRequestTimeout,
			wantBody:   `{"code": 1, "status": "CANCELLED", "message": "request cancelled", "details": []}`,
		},
		{
			name:       "internal is 500 without the backend's words",
			backend:    status.New(codes.Internal, "pq: relation organisations does not exist"),
			wantStatus: http.StatusInternalServerError,
			wantBody:   `{"code": 13, "status": "INTERNAL", "message": "internal error", "details": []}`,
		},
		{
			name:       "unknown is 500",
			backend:    status.New(codes.Unknown, "panic: nil map"),
			wantStatus: http.StatusInternalServerError,
			wantBody:   `{"code": 2, "status": "UNKNOWN", "message": "internal error", "details": []}`,
		},
		{
			name:       "unimplemented is 501",
			backend:    status.New(codes.Unimplemented, "not yet"),
			wantStatus: http.StatusNotImplemented,
			wantBody:   `{"code": 12, "status": "UNIMPLEMENTED", "message": "not yet", "details": []}`,
		},
	}
	failures := make(map[string]*status.Status)
	for i, tt := range tests {
		failures[fmt.Sprint("case-", i)] = tt.backend
	}
	gw := startGateway(t, startBackend(t, failures).addr, nil)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := call(t, gw, http.MethodGet, fmt.Sprint("/v1/organisations/case-", i), "", nil)
			if got.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", got.status, tt.wantStatus)
			}
			if ct := got.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if diff := jsonDiff(t, tt.wantBody, got.body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGatewayRaisedErrorsKeepTheirHTTPStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   codes.Code
	}{
		{
			name:       "a malformed path escape is 400 invalid argument",
			err:        &runtime.HTTPStatusError{HTTPStatus: http.StatusBadRequest, Err: errors.New("malformed escape")},
			wantStatus: http.StatusBadRequest,
			wantCode:   codes.InvalidArgument,
		},
		{
			name:       "a status inside keeps its code",
			err:        &runtime.HTTPStatusError{HTTPStatus: http.StatusMethodNotAllowed, Err: status.Error(codes.Unimplemented, "no")},
			wantStatus: http.StatusMethodNotAllowed,
			wantCode:   codes.Unimplemented,
		},
		{
			name:       "an error that is no status is 500 unknown",
			err:        errors.New("boom"),
			wantStatus: http.StatusInternalServerError,
			wantCode:   codes.Unknown,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gotStatus, st := classify(tt.err)
			if gotStatus != tt.wantStatus || st.Code() != tt.wantCode {
				t.Errorf("classify = %d %v, want %d %v", gotStatus, st.Code(), tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestErrorDomainIsTheServices(t *testing.T) {
	t.Parallel()
	if errorDomain != grpcserver.ErrorDomain {
		t.Errorf("errorDomain = %q, services send %q", errorDomain, grpcserver.ErrorDomain)
	}
}
