package grpcserver

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"gongjian.dev/pkg/errs"
)

// ErrorDomain is the domain of every errdetails.ErrorInfo the services send.
const ErrorDomain = "gongjian"

var kindCodes = map[errs.Kind]codes.Code{
	errs.Internal:           codes.Internal,
	errs.InvalidArgument:    codes.InvalidArgument,
	errs.NotFound:           codes.NotFound,
	errs.AlreadyExists:      codes.AlreadyExists,
	errs.FailedPrecondition: codes.FailedPrecondition,
	errs.Aborted:            codes.Aborted,
	errs.PermissionDenied:   codes.PermissionDenied,
	errs.Unauthenticated:    codes.Unauthenticated,
	errs.Unavailable:        codes.Unavailable,
}

// ToStatus is the one error mapper at the transport edge. A classified
// domain error (package errs) becomes its gRPC code with its safe message,
// field violations as errdetails.BadRequest and its reason as
// errdetails.ErrorInfo. A gRPC status passes through. Anything else is an
// internal error: its cause is logged with the trace id and the client gets
// a bare "internal error".
func ToStatus(ctx context.Context, log *slog.Logger, method string, err error) error {
	if e, ok := errs.As(err); ok && e.Kind != errs.Internal {
		return classified(e)
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	log.ErrorContext(ctx, "internal error", "method", method, "error", err.Error())
	return status.Error(codes.Internal, "internal error")
}

func classified(e *errs.Error) error {
	// The message names the fields too, for clients that read only the message.
	st := status.New(kindCodes[e.Kind], e.Error())
	var details []protoadapt.MessageV1
	if len(e.Violations) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range e.Violations {
			br.FieldViolations = append(br.FieldViolations,
				&errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
		}
		details = append(details, br)
	}
	if e.Reason != "" {
		details = append(details, &errdetails.ErrorInfo{Reason: e.Reason, Domain: ErrorDomain})
	}
	if len(details) == 0 {
		return st.Err()
	}
	if withDetails, err := st.WithDetails(details...); err == nil {
		st = withDetails
	}
	return st.Err()
}
