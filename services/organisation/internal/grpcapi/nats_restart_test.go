package grpcapi_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/natsembed"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// TestEveryEventIsPublishedOnceAcrossANATSRestart creates organisations
// through the API without pause while NATS is stopped and started again
// twice, and then finds each creation in the stream exactly once: the
// outbox keeps what NATS could not take, the relay retries in order, and the
// stream's de-duplication absorbs what was sent twice.
func TestEveryEventIsPublishedOnceAcrossANATSRestart(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "nats-restart-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	srv, err := natsembed.Start(natsembed.Options{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	port := srv.Port()
	t.Cleanup(func() { srv.Shutdown() })
	h := newHarness(t, servicetest.WithNATS(srv.URL()))
	js, client := h.js, h.org

	ctx := callContext(t)
	city, err := client.CreateOrganisation(ctx, &pb.CreateOrganisationRequest{Organisation: &pb.Organisation{
		Kind: pb.OrganisationKind_ORGANISATION_KIND_CITY, Name: "city"}})
	if err != nil {
		t.Fatal(err)
	}
	created := map[string]bool{city.GetOrganisation().GetId(): true}
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			resp, err := client.CreateOrganisation(ctx, &pb.CreateOrganisationRequest{Organisation: &pb.Organisation{
				Kind: pb.OrganisationKind_ORGANISATION_KIND_DISTRICT, Name: "district", ParentId: city.GetOrganisation().GetId()}})
			if err != nil {
				done <- err
				return
			}
			mu.Lock()
			created[resp.GetOrganisation().GetId()] = true
			mu.Unlock()
		}
	}()
	// Each phase lasts until some organisations were created in it, not a
	// fixed time, so that a slow machine exercises it as much as a fast one.
	more := func(n int, phase string) {
		t.Helper()
		mu.Lock()
		target := len(created) + n
		mu.Unlock()
		servicetest.WaitFor(t, fmt.Sprintf("%d more organisations %s", n, phase), func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(created) >= target
		})
	}
	for round := range 2 {
		more(5, "before NATS stops")
		srv.Shutdown()
		more(5, "while NATS is down")
		srv, err = natsembed.Start(natsembed.Options{StoreDir: dir, Port: port})
		if err != nil {
			t.Fatalf("restart %d: %v", round, err)
		}
	}
	more(5, "after NATS is back")
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("creating while NATS restarts: %v", err)
	}

	want := len(created)
	t.Logf("%d organisations created across two NATS restarts", want)
	var seen map[string]int
	deadline := time.Now().Add(eventually)
	for {
		seen = publishedCreations(t, js)
		if len(seen) == want || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for id := range created {
		if seen[id] != 1 {
			t.Errorf("organisation %s was published %d times, want once", id, seen[id])
		}
	}
	if len(seen) != want {
		t.Fatalf("%d organisations in the stream, %d created", len(seen), want)
	}
}

// publishedCreations counts, per organisation, the creation events in the stream.
func publishedCreations(t *testing.T, js jetstream.JetStream) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callLimit)
	defer cancel()
	st, err := js.Stream(ctx, stream.Name)
	if err != nil {
		return nil // NATS still reconnecting
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil
	}
	seen := map[string]int{}
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		var ev pb.OrganisationCreated
		if err := proto.Unmarshal(m.Data, &ev); err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		seen[ev.GetOrganisation().GetId()]++
	}
	return seen
}
