package outbox_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"gongjian.dev/pkg/natsembed"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/pgtest"
)

// BenchmarkRelayDrain measures how fast a relay empties a backlog of b.N
// events (payload about 256 bytes) into a file-backed stream.
func BenchmarkRelayDrain(b *testing.B) {
	for _, sync := range []bool{false, true} {
		name := map[bool]string{false: "lazy fsync", true: "fsync before ack"}[sync]
		b.Run(name, func(b *testing.B) {
			pool := pgtest.Pool(b, "svc", outbox.Migrations)
			js := connect(b, startNATS(b, natsembed.Options{SyncAlways: sync}).URL())
			createStream(b, js, "BENCH", "bench.>")
			fillOutbox(b, pool, b.N)

			b.ResetTimer()
			relay := outbox.NewRelay(pool, js, outbox.RelayOptions{Logger: slog.New(slog.DiscardHandler)})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go relay.Run(ctx)
			for relay.Stats().Published < uint64(b.N) {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkJetStreamPublishCeiling is the ceiling the relay is measured
// against, in the same run: bare asynchronous publishing of the same
// messages, with a message id, in batches of the relay's default size.
func BenchmarkJetStreamPublishCeiling(b *testing.B) {
	js := connect(b, startNATS(b, natsembed.Options{}).URL())
	createStream(b, js, "BENCH", "bench.>")
	data := make([]byte, 256)
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(outbox.DefaultBatchSize, b.N-done)
		for i := range n {
			msg := &nats.Msg{Subject: "bench.x", Data: data, Header: nats.Header{}}
			if _, err := js.PublishMsgAsync(msg, jetstream.WithMsgID(strconv.Itoa(done+i))); err != nil {
				b.Fatal(err)
			}
		}
		<-js.PublishAsyncComplete()
		done += n
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// fillOutbox enqueues n events, a thousand per transaction.
func fillOutbox(b *testing.B, pool *pgxpool.Pool, n int) {
	payload := wrapperspb.String(string(make([]byte, 250)))
	for done := 0; done < n; {
		evs := make([]outbox.Event, min(1000, n-done))
		for i := range evs {
			evs[i] = outbox.Event{Subject: "bench.x", Message: payload}
		}
		err := pgdb.InTx(context.Background(), pool, func(tx pgx.Tx) error {
			return outbox.Enqueue(context.Background(), tx, evs...)
		})
		if err != nil {
			b.Fatal(err)
		}
		done += len(evs)
	}
}
