package transfer

import "context"

// A call about a transfer reads its sides (member, sending and receiving
// organisations) for its access check, and its step needs them again to
// know what to lock first. A transfer's sides never change once it is
// requested, so the step takes them from the check when the call made
// one: the transfer is read once per call instead of twice.

type sidesMemoKey struct{}

type sidesMemo struct {
	id    string
	sides Sides
	ok    bool
}

// WithSidesMemo returns ctx able to remember the sides of a transfer for
// the rest of the call.
func WithSidesMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, sidesMemoKey{}, &sidesMemo{})
}

// RememberSides keeps the sides of transfer id for the rest of the call,
// when ctx was made by WithSidesMemo.
func RememberSides(ctx context.Context, id string, s Sides) {
	if m, ok := ctx.Value(sidesMemoKey{}).(*sidesMemo); ok {
		*m = sidesMemo{id: id, sides: s, ok: true}
	}
}

// rememberedSides are the sides of transfer id read earlier in the call.
func rememberedSides(ctx context.Context, id string) (Sides, bool) {
	m, ok := ctx.Value(sidesMemoKey{}).(*sidesMemo)
	if !ok || !m.ok || m.id != id {
		return Sides{}, false
	}
	return m.sides, true
}
