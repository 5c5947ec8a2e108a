package outbox

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// outcome is what the fake server does with one message.
type outcome int

const (
	ack     outcome = iota // stores it and acknowledges
	dup                    // acknowledges it as a duplicate
	fail                   // answers with an error
	silent                 // never answers
	refused                // the client refuses to send it
)

// fakeJS answers each PublishMsgAsync with the next outcome.
type fakeJS struct {
	jetstream.JetStream
	outcomes []outcome
	calls    int
}

func (f *fakeJS) PublishMsgAsync(m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	o := f.outcomes[f.calls]
	f.calls++
	if o == refused {
		return nil, errors.New("refused")
	}
	fut := &future{ok: make(chan *jetstream.PubAck, 1), err: make(chan error, 1)}
	switch o {
	case ack, dup:
		fut.ok <- &jetstream.PubAck{Duplicate: o == dup}
	case fail:
		fut.err <- errors.New("stream unavailable")
	}
	return fut, nil
}

type future struct {
	ok  chan *jetstream.PubAck
	err chan error
}

func (f *future) Ok() <-chan *jetstream.PubAck { return f.ok }
func (f *future) Err() <-chan error            { return f.err }
func (f *future) Msg() *nats.Msg               { return nil }

func TestPublishReturnsTheAcknowledgedPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		outcomes  []outcome
		wantAcked int
		wantFirst string // id of the first event left, "" when all went
		wantDups  uint64
	}{
		{"every message acknowledged", []outcome{ack, dup, ack}, 3, "", 1},
		{"an error in the middle", []outcome{ack, fail, ack}, 1, "e1", 0},
		{"no answer in the middle", []outcome{ack, silent, silent, ack}, 1, "e1", 0},
		{"a refused send", []outcome{ack, ack, refused, ack}, 2, "e2", 0},
		{"the first message refused", []outcome{refused, ack}, 0, "e0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := NewRelay(nil, &fakeJS{outcomes: tt.outcomes}, RelayOptions{PublishTimeout: 50 * time.Millisecond})
			evs := make([]stored, len(tt.outcomes))
			for i := range evs {
				evs[i] = stored{id: fmt.Sprintf("e%d", i), subject: "s"}
			}
			acked, err := r.publish(context.Background(), evs)
			first := ""
			var pubErr *publishError
			if errors.As(err, &pubErr) {
				first = pubErr.eventID
			} else if err != nil {
				t.Fatalf("publish error %v is not a *publishError", err)
			}
			got := []any{acked, first, r.Stats().Duplicates}
			if diff := cmp.Diff([]any{tt.wantAcked, tt.wantFirst, tt.wantDups}, got); diff != "" {
				t.Errorf("acked, first left, duplicates (-want +got):\n%s", diff)
			}
		})
	}
}
