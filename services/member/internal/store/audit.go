package store

import (
	"context"
	"encoding/json"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/pbconv"
)

// snapshot keeps what a subject looked like when this transaction first
// locked it: the Before of the audit records of its changes.
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

// entry is the audit record of r with the state before it, if it has one;
// where r chains, its state after is the next record's before.
func (t *txStore) entry(r pbconv.Record) (audit.Entry, bool) {
	if r.Audit == nil {
		return audit.Entry{}, false
	}
	entry := *r.Audit
	if r.Snapshot == "" {
		return entry, true
	}
	if b, ok := t.before[r.Snapshot]; ok {
		entry.Before = json.RawMessage(b)
	}
	if after, ok := entry.After.(proto.Message); r.Chain && ok {
		if b, err := protojson.Marshal(after); err == nil {
			t.before[r.Snapshot] = b
		}
	}
	return entry, true
}
