package auth

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionalphapb "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"

	"gongjian.dev/pkg/errs"
)

// authorizationKey is the metadata key of the bearer token; gRPC lowercases
// metadata keys.
const authorizationKey = "authorization"

// openServices answer without a token: probes and tooling must reach them,
// and they reveal nothing about the platform's data.
var openServices = []string{
	"/" + healthpb.Health_ServiceDesc.ServiceName + "/",
	"/" + reflectionpb.ServerReflection_ServiceDesc.ServiceName + "/",
	"/" + reflectionalphapb.ServerReflection_ServiceDesc.ServiceName + "/",
}

// OpenMethods reports whether fullMethod belongs to the gRPC health or
// reflection services, which stay open. It is the usual open argument of
// UnaryInterceptor and StreamInterceptor.
func OpenMethods(fullMethod string) bool {
	for _, prefix := range openServices {
		if strings.HasPrefix(fullMethod, prefix) {
			return true
		}
	}
	return false
}

// UnaryInterceptor authenticates every call except those open reports true
// for (open may be nil: nothing is open). It verifies the bearer token of
// the "authorization" metadata with v and puts the Principal in the context;
// without a valid token the call fails with Unauthenticated and the handler
// is not called.
func UnaryInterceptor(v *Verifier, open func(fullMethod string) bool) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if open != nil && open(info.FullMethod) {
			return h(ctx, req)
		}
		ctx, err := authenticate(ctx, v)
		if err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

// StreamInterceptor is UnaryInterceptor for streaming calls.
func StreamInterceptor(v *Verifier, open func(fullMethod string) bool) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if open != nil && open(info.FullMethod) {
			return h(srv, ss)
		}
		ctx, err := authenticate(ss.Context(), v)
		if err != nil {
			return err
		}
		return h(srv, &authenticatedStream{ServerStream: ss, ctx: ctx})
	}
}

type authenticatedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *authenticatedStream) Context() context.Context { return s.ctx }

func authenticate(ctx context.Context, v *Verifier) (context.Context, error) {
	token, err := bearerToken(ctx)
	if err != nil {
		return ctx, err
	}
	p, err := v.VerifyContext(ctx, token)
	if err != nil {
		return ctx, err
	}
	// The role only: names and subjects are personal data and stay out of
	// traces.
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attribute.String("enduser.role", string(p.Role)))
	}
	return WithPrincipal(ctx, p), nil
}

// bearerToken reads the token of "authorization: Bearer <token>". Several
// authorization values are refused: which one counts would be ambiguous.
func bearerToken(ctx context.Context) (string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	values := md.Get(authorizationKey)
	switch len(values) {
	case 0:
		return "", ErrNoToken
	case 1:
	default:
		return "", errs.Detail(ErrInvalidToken, "more than one authorization header")
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "bearer") || token == "" {
		return "", errs.Detail(ErrInvalidToken, "authorization is not a bearer token")
	}
	return token, nil
}
