package store

import (
	"context"
	"encoding/json"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/pbconv"
)

// snapshot keeps what a subject looked like when this transaction first
// locked it, as the API shows it: the Before of the audit records of its
// changes.
func (t *txStore) snapshot(subject any) {
	key, state, ok := pbconv.Snapshot(subject)
	if !ok {
		return
	}
	if _, seen := t.before[key]; seen {
		return // the first lock in the transaction is the state before it
	}
	if b, err := protojson.Marshal(state); err == nil {
		t.before[key] = b
	}
}

// Emit implements org.Tx: the event's record (pbconv.RecordOf), its
// message to the outbox and its audit record to the audit log, in this
// transaction.
func (t *txStore) Emit(ctx context.Context, e org.Event, at time.Time) error {
	r, err := pbconv.RecordOf(e, org.NewID(), at)
	if err != nil {
		return err
	}
	if err := outbox.Enqueue(ctx, t.tx, r.Outbox); err != nil {
		return err
	}
	if b, ok := t.before[r.Snapshot]; ok && r.Snapshot != "" {
		r.Audit.Before = json.RawMessage(b)
	}
	return audit.Write(ctx, t.tx, r.Audit)
}
