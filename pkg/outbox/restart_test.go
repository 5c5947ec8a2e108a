package outbox_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/natsembed"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/pgtest"
)

// TestRelayLosesAndDuplicatesNothingAcrossNATSRestart shuts the NATS server
// down while events are enqueued continuously and starts it again on the
// same store and port, three times, then checks that the stream holds every
// event exactly once, in the order it was committed.
func TestRelayLosesAndDuplicatesNothingAcrossNATSRestart(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, "svc", outbox.Migrations)
	store := t.TempDir()
	srv := startNATS(t, natsembed.Options{StoreDir: store})
	port := srv.Port()
	js := connect(t, srv.URL())
	stream := createStream(t, js, "ORDERS", "orders.>")
	relay := runRelay(t, pool, js, outbox.RelayOptions{BatchSize: 64, PollInterval: 20 * time.Millisecond})
	p := startProducer(t, pool)

	for range 3 {
		srv = restartDuringTraffic(t, srv, store, port, relay, p)
	}
	ids := p.stop()

	waitFor(t, "the outbox to drain", func() bool { return outboxCount(t, pool) == 0 })
	if got := streamMsgCount(t, stream); got != uint64(len(ids)) {
		t.Errorf("stream holds %d messages, enqueued %d", got, len(ids))
	}
	if diff := cmp.Diff(ids, msgIDs(streamMessages(t, stream))); diff != "" {
		t.Errorf("event ids in stream order (-want +got):\n%s", diff)
	}
	st := relay.Stats()
	t.Logf("%d events; %d failed batches, %d re-sent events dropped by the stream", len(ids), st.PublishErrors, st.Duplicates)
}

// restartDuringTraffic waits for events to flow, shuts the server down until
// the relay has failed and events have piled up, then starts it again and
// waits for the relay to resume.
func restartDuringTraffic(t *testing.T, srv *natsembed.Server, store string, port int, relay *outbox.Relay, p *producer) *natsembed.Server {
	t.Helper()
	flowing := relay.Stats().Published + 200
	waitFor(t, "events to flow", func() bool { return relay.Stats().Published >= flowing })
	srv.Shutdown()
	failed, piled := relay.Stats().PublishErrors, p.count()+200
	waitFor(t, "the relay to notice the outage", func() bool { return relay.Stats().PublishErrors > failed })
	waitFor(t, "events to pile up during the outage", func() bool { return p.count() >= piled })
	srv = startNATS(t, natsembed.Options{StoreDir: store, Port: port})
	resumed := relay.Stats().Published + 400
	waitFor(t, "the relay to resume", func() bool { return relay.Stats().Published >= resumed })
	return srv
}

// producer enqueues events one transaction after another and remembers
// the ids of those committed, in commit order.
type producer struct {
	mu   sync.Mutex
	ids  []string
	quit chan struct{}
	done chan struct{}
}

func startProducer(t *testing.T, pool *pgxpool.Pool) *producer {
	p := &producer{quit: make(chan struct{}), done: make(chan struct{})}
	go p.run(t, pool)
	t.Cleanup(func() { p.stop() })
	return p
}

func (p *producer) run(t *testing.T, pool *pgxpool.Pool) {
	defer close(p.done)
	for n := 0; ; n++ {
		select {
		case <-p.quit:
			return
		default:
		}
		evs := []outbox.Event{newEvent("orders.a", "a"), newEvent("orders.b", "b")}[:1+n%2]
		err := pgdb.InTx(context.Background(), pool, func(tx pgx.Tx) error {
			return outbox.Enqueue(context.Background(), tx, evs...)
		})
		if err != nil {
			t.Errorf("enqueue: %v", err)
			return
		}
		p.mu.Lock()
		for _, ev := range evs {
			p.ids = append(p.ids, ev.ID)
		}
		p.mu.Unlock()
	}
}

func (p *producer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ids)
}

// stop stops the producer and returns the ids it committed.
func (p *producer) stop() []string {
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ids
}
