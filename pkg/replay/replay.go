// Package replay is the domain's side of retry-safe creating commands
// (pkg/requestid is the store's): a command retried with its request id
// answers what the first call made instead of making it twice. It reaches
// no database, so that domain packages may use it:
//
//	key := replay.Key("create_member", requestID)
//	if seen, err := replay.Seen(ctx, tx, key, &created, tx.Lock); err != nil || seen {
//		return err
//	}
//	… make it …
//	return tx.RememberRequest(ctx, key, created.ID)
package replay

import "context"

// Requests is what a domain's transaction says of request ids: the
// resource a request id created before, and remembering a new one.
type Requests interface {
	// RequestSeen returns the resource a request id created before, if
	// any. An empty key is never seen.
	RequestSeen(ctx context.Context, key string) (string, bool, error)
	RememberRequest(ctx context.Context, key, resourceID string) error
}

// Key scopes a client's request id to a command (and, where two callers
// may pick the same id, to the caller): "" when the request carries none.
func Key(command, requestID string) string {
	if requestID == "" {
		return ""
	}
	return command + "/" + requestID
}

// Seen reports whether key was seen before and, if so, loads what the
// first call made (by load, from the id remembered under key) into out.
// Every creating command starts with it, in its transaction, and ends by
// remembering key.
func Seen[T any](ctx context.Context, r Requests, key string, out *T, load func(context.Context, string) (T, error)) (bool, error) {
	id, seen, err := r.RequestSeen(ctx, key)
	if err != nil || !seen {
		return false, err
	}
	v, err := load(ctx, id)
	*out = v
	return true, err
}
