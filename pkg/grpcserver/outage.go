package grpcserver

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"

	"gongjian.dev/pkg/errs"
)

// ErrUnavailable answers a call that failed because something the service
// depends on (its database) could not be reached: an outage, not a bug and
// not the client's fault, which the client retries.
var ErrUnavailable = errs.New(errs.Unavailable, "the service is temporarily unavailable; retry shortly")

// outageUnary turns an error that isOutage recognises into ErrUnavailable
// before the error mapper sees it, so that an outage answers Unavailable
// (HTTP 503) instead of "internal error". It logs the cause at WARN.
func outageUnary(log *slog.Logger, isOutage func(error) bool) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		if err != nil && isOutage(err) {
			log.WarnContext(ctx, "outage", "method", info.FullMethod, "error", err.Error())
			return nil, ErrUnavailable
		}
		return resp, err
	}
}

func outageStream(log *slog.Logger, isOutage func(error) bool) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		err := h(srv, ss)
		if err != nil && isOutage(err) {
			log.WarnContext(ss.Context(), "outage", "method", info.FullMethod, "error", err.Error())
			return ErrUnavailable
		}
		return err
	}
}
