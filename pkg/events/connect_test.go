package events_test

import (
	"context"
	"testing"
	"time"

	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/logtest"
	"gongjian.dev/pkg/natsembed"
)

func TestConnectAndEnsureStreamWaitingDeclareTheStream(t *testing.T) {
	t.Parallel()
	srv, err := natsembed.Start(natsembed.Options{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, js, err := events.Connect(srv.URL(), "probe")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Drain() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	spec := events.StreamSpec{Name: "PROBE", Subjects: []string{"probe.>"}}
	if err := events.EnsureStreamWaiting(ctx, js, spec, time.Second, logtest.New(t)); err != nil {
		t.Fatal(err)
	}
	info, err := js.Stream(ctx, "PROBE")
	if err != nil || info.CachedInfo().Config.Duplicates != events.DefaultDuplicates {
		t.Fatalf("stream %v, %v: want it declared with the default de-duplication window", info, err)
	}
	if nc.Opts.ReconnectBufSize != -1 || nc.Opts.MaxReconnect != -1 {
		t.Fatalf("connection options %d/%d: publishes must fail during a reconnect and reconnects never stop",
			nc.Opts.ReconnectBufSize, nc.Opts.MaxReconnect)
	}
}
