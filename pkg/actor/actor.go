// Package actor marks a context as the work of a background job rather than
// of a caller, so that what the job writes is attributed to it. It depends
// on nothing, so that domain packages can name their jobs without reaching
// the database or the transport through the audit trail.
package actor

import "context"

type systemKey struct{}

// AsSystem marks ctx as the context of a background job called name (for
// instance "outbox-relay" or "transfer-sweeper"), so that records written
// under it are attributed to actor "system:<name>". A principal in ctx, if
// any, still takes precedence: work done on behalf of a caller stays the
// caller's. name must not be empty.
func AsSystem(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, systemKey{}, name)
}

// System is the name of the job ctx was marked with, or "".
func System(ctx context.Context) string {
	name, _ := ctx.Value(systemKey{}).(string)
	return name
}
