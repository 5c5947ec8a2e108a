package store

import (
	"context"
	"time"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/pbconv"
)

// snapshot keeps what a subject looked like when this transaction first
// locked it: the Before of the audit records of its changes.
func (t *txStore) snapshot(subject any) {
	if key, state, ok := pbconv.Snapshot(subject); ok {
		t.before.Keep(key, state)
	}
}

// Emit implements member.Tx: the event's record (pbconv.RecordOf) is
// queued in this transaction, its message to the outbox and its audit
// record to the audit log, and sent before the transaction commits.
func (t *txStore) Emit(ctx context.Context, e member.Event, at time.Time) error {
	r, err := pbconv.RecordOf(e, member.NewID(), at)
	if err != nil {
		return err
	}
	if r.Outbox.Subject != "" {
		if err := outbox.Queue(ctx, t.batch, r.Outbox); err != nil {
			return err
		}
		t.events++
	}
	entry, ok := t.entry(r)
	if !ok {
		return nil
	}
	return audit.Write(ctx, t.deferred(), entry)
}

// EmitMany implements roster.BulkTx: what Emit does for each event, the
// outbox rows of all of them in one statement (outbox.QueueMany), for a
// transaction that emits thousands.
func (t *txStore) EmitMany(ctx context.Context, evs []member.Event, at time.Time) error {
	out := make([]outbox.Event, 0, len(evs))
	for _, e := range evs {
		r, err := pbconv.RecordOf(e, member.NewID(), at)
		if err != nil {
			return err
		}
		if r.Outbox.Subject != "" {
			out = append(out, r.Outbox)
		}
		if entry, ok := t.entry(r); ok {
			if err := audit.Write(ctx, t.deferred(), entry); err != nil {
				return err
			}
		}
	}
	t.events += len(out)
	return outbox.QueueMany(ctx, t.batch, out...)
}

// entry is the audit record of r with the state before it, if it has one.
func (t *txStore) entry(r pbconv.Record) (audit.Entry, bool) {
	if r.Audit == nil {
		return audit.Entry{}, false
	}
	entry := *r.Audit
	t.before.Fill(&entry, r.Snapshot, r.Chain)
	return entry, true
}
