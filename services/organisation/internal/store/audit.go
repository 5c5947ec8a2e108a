package store

import (
	"context"
	"time"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/pbconv"
)

// snapshot keeps what a subject looked like when this transaction first
// locked it, as the API shows it: the Before of the audit records of its
// changes.
func (t *txStore) snapshot(subject any) {
	if key, state, ok := pbconv.Snapshot(subject); ok {
		t.before.Keep(key, state)
	}
}

// Emit implements org.Tx: the event's record (pbconv.RecordOf), its
// message to the outbox and its audit record to the audit log, in this
// transaction, sent with its other deferred writes when it ends.
func (t *txStore) Emit(ctx context.Context, e org.Event, at time.Time) error {
	r, err := pbconv.RecordOf(e, org.NewID(), at)
	if err != nil {
		return err
	}
	if r.Outbox.Subject != "" {
		if err := outbox.Queue(ctx, t.batch, r.Outbox); err != nil {
			return err
		}
		t.events++
	}
	t.before.Fill(&r.Audit, r.Snapshot, false)
	return audit.Write(ctx, t.deferred(), r.Audit)
}
