package auth

import (
	"context"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
)

// BearerToken returns per-call credentials that send token, the calling
// service's own token, as "authorization: Bearer <token>". With requireTLS
// gRPC refuses to send it over a connection without transport security;
// only local development should pass false.
//
// A call carries either these credentials or a forwarded token
// (ForwardToken), never both: the server refuses two authorization values.
func BearerToken(token string, requireTLS bool) credentials.PerRPCCredentials {
	return bearerCredentials{value: "Bearer " + token, requireTLS: requireTLS}
}

type bearerCredentials struct {
	value      string
	requireTLS bool
}

func (c bearerCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{authorizationKey: c.value}, nil
}

func (c bearerCredentials) RequireTransportSecurity() bool { return c.requireTLS }

// ForwardToken returns ctx with the authorization of the incoming call set
// on the outgoing metadata, for a service that calls another on behalf of
// its caller: the callee then authenticates the original caller. Without an
// incoming authorization, ctx is returned unchanged.
func ForwardToken(ctx context.Context) context.Context {
	in, _ := metadata.FromIncomingContext(ctx)
	values := in.Get(authorizationKey)
	if len(values) == 0 {
		return ctx
	}
	out, _ := metadata.FromOutgoingContext(ctx)
	out = out.Copy()
	out.Set(authorizationKey, values...)
	return metadata.NewOutgoingContext(ctx, out)
}
