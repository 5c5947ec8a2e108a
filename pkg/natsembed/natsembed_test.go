package natsembed_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gongjian.dev/pkg/natsembed"
)

func TestStartRequiresStoreDir(t *testing.T) {
	t.Parallel()
	if _, err := natsembed.Start(natsembed.Options{}); err == nil {
		t.Fatal("Start without StoreDir succeeded, want an error")
	}
}

func TestRestartOnSameStoreKeepsStreams(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := start(t, natsembed.Options{StoreDir: dir, SyncAlways: true})
	url, port := srv.URL(), srv.Port()
	publish(t, url, "keep.one", "hello")
	srv.Shutdown()

	srv = start(t, natsembed.Options{StoreDir: dir, Port: port})
	if srv.URL() != url {
		t.Errorf("URL after restart = %q, want %q", srv.URL(), url)
	}
	js := connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg, err := jsGetLast(ctx, js, "KEEP", "keep.one")
	if err != nil {
		t.Fatalf("last message after restart: %v", err)
	}
	if string(msg.Data) != "hello" {
		t.Errorf("message after restart = %q, want %q", msg.Data, "hello")
	}
}

func TestStartFailsOnPortInUse(t *testing.T) {
	t.Parallel()
	first := start(t, natsembed.Options{StoreDir: t.TempDir()})
	srv, err := natsembed.Start(natsembed.Options{StoreDir: t.TempDir(), Port: first.Port()})
	if err == nil {
		srv.Shutdown()
		t.Fatal("second server started on a port in use")
	}
}

func TestShutdownReleasesPort(t *testing.T) {
	t.Parallel()
	srv := start(t, natsembed.Options{StoreDir: t.TempDir()})
	srv.Shutdown()
	nc, err := nats.Connect(srv.URL(), nats.NoReconnect(), nats.Timeout(time.Second))
	if err == nil {
		nc.Close()
		t.Fatal("connected to a server that was shut down")
	}
}

func start(t *testing.T, opts natsembed.Options) *natsembed.Server {
	t.Helper()
	srv, err := natsembed.Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

func connect(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return js
}

func publish(t *testing.T, url, subject, data string) {
	t.Helper()
	js := connect(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "KEEP", Subjects: []string{"keep.>"}, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatalf("create stream: %v", err)
	}
	if _, err := js.Publish(ctx, subject, []byte(data)); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

func jsGetLast(ctx context.Context, js jetstream.JetStream, stream, subject string) (*jetstream.RawStreamMsg, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	return s.GetLastMsgForSubject(ctx, subject)
}
