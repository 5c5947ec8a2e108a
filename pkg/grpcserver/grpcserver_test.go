package grpcserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"gongjian.dev/pkg/errs"
)

var (
	errGone   = errs.New(errs.NotFound, "thing not found")
	errBadArg = errs.New(errs.InvalidArgument, "invalid thing")
	errStale  = errs.WithReason(errs.FailedPrecondition, "ETAG_MISMATCH", "changed meanwhile")
)

func TestToStatusMapsDomainErrorsAndHidesInternalCauses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		code       codes.Code
		message    string
		field      string
		reason     string
		logsSecret bool
	}{
		{name: "a sentinel keeps its kind and message", err: errGone, code: codes.NotFound, message: "thing not found"},
		{name: "a wrapped sentinel is still found", err: fmt.Errorf("loading: %w", errGone), code: codes.NotFound, message: "thing not found"},
		{name: "field violations become BadRequest details", err: errs.Field(errBadArg, "thing.name", "required"),
			code: codes.InvalidArgument, message: "invalid thing; thing.name: required", field: "thing.name"},
		{name: "a reason becomes ErrorInfo", err: errStale, code: codes.FailedPrecondition, message: "changed meanwhile", reason: "ETAG_MISMATCH"},
		{name: "an unclassified error is internal and its cause only logged",
			err: errors.New("pq: password=hunter2 failed"), code: codes.Internal, message: "internal error", logsSecret: true},
		{name: "a cancelled context is Canceled", err: context.Canceled, code: codes.Canceled, message: "request cancelled"},
		{name: "a gRPC status passes through", err: status.Error(codes.Unavailable, "down"), code: codes.Unavailable, message: "down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			st := status.Convert(ToStatus(context.Background(), log, "/x.Y/Z", tt.err))
			if st.Code() != tt.code || st.Message() != tt.message {
				t.Fatalf("got %v %q, want %v %q", st.Code(), st.Message(), tt.code, tt.message)
			}
			var field, reason string
			for _, d := range st.Details() {
				switch d := d.(type) {
				case *errdetails.BadRequest:
					field = d.GetFieldViolations()[0].GetField()
				case *errdetails.ErrorInfo:
					reason = d.GetReason()
				}
			}
			if field != tt.field || reason != tt.reason {
				t.Fatalf("details field %q reason %q, want %q %q", field, reason, tt.field, tt.reason)
			}
			if got := strings.Contains(logs.String(), "hunter2"); got != tt.logsSecret {
				t.Fatalf("cause logged = %v, want %v; logs: %s", got, tt.logsSecret, logs.String())
			}
		})
	}
}

// panicky is a health service whose Check panics, to exercise recovery.
type panicky struct {
	healthpb.UnimplementedHealthServer
}

func (panicky) Check(context.Context, *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	panic("boom")
}

func TestServerRecoversPanicsAndStopsGracefully(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))
	s, err := New(log, Options{})
	if err != nil {
		t.Fatal(err)
	}
	inner := grpc.NewServer(grpc.ChainUnaryInterceptor(recoverUnary(log), errorsUnary(log)))
	healthpb.RegisterHealthServer(inner, panicky{})
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = inner.Serve(lis) }()
	defer inner.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if status.Code(err) != codes.Internal || status.Convert(err).Message() != "internal error" {
		t.Fatalf("panic gave %v, want Internal 'internal error'", err)
	}

	// The real server: serving, then stopped by its context within the timeout.
	ctx, cancel := context.WithCancel(context.Background())
	lis2, _ := net.Listen("tcp", "127.0.0.1:0")
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, lis2, 5*time.Second) }()
	conn2, _ := grpc.NewClient(lis2.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer conn2.Close()
	resp, err := healthpb.NewHealthClient(conn2).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health = %v, %v; want SERVING", resp, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve returned %v after its context ended", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}

func TestIsReadTellsReadsByTheirVerb(t *testing.T) {
	for method, want := range map[string]bool{
		"/gongjian.member.v1.MemberService/GetMember":                     true,
		"/gongjian.member.v1.MemberService/ListMembers":                   true,
		"/gongjian.member.v1.MemberService/CountMembersByOrganisation":    true,
		"/gongjian.organisation.v1.ComplianceService/GetComplianceReport": true,
		"/gongjian.member.v1.MemberService/CreateMember":                  false,
		"/gongjian.member.v1.TransferService/ReleaseTransfer":             false,
		"/gongjian.x.v1.S/Listen":                                         false,
		"/gongjian.x.v1.S/Getaway":                                        false,
	} {
		if got := IsRead(method); got != want {
			t.Errorf("IsRead(%s) = %v, want %v", method, got, want)
		}
	}
}
