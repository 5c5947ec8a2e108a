package member

import "context"

// Requests remembers the request ids of creating commands, so that a
// command retried with its request id makes nothing twice.
type Requests interface {
	// RequestSeen returns the resource a request id created before, if any.
	RequestSeen(ctx context.Context, key string) (string, bool, error)
	RememberRequest(ctx context.Context, key, resourceID string) error
}

// RequestKey scopes a client's request id to a command (and, where two
// callers may pick the same id, to the caller): "" when the request
// carries none, which is never seen.
func RequestKey(command, requestID string) string {
	if requestID == "" {
		return ""
	}
	return command + "/" + requestID
}

// Replay answers a command retried with a request id seen before: it loads
// what the first call made (by load, from the id remembered under key)
// into out and reports true. Every creating command starts with it, in its
// transaction, and ends by remembering key.
func Replay[T any](ctx context.Context, r Requests, key string, out *T, load func(context.Context, string) (T, error)) (bool, error) {
	id, seen, err := r.RequestSeen(ctx, key)
	if err != nil || !seen {
		return false, err
	}
	v, err := load(ctx, id)
	*out = v
	return true, err
}
