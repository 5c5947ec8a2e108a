package servicetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"gongjian.dev/pkg/outbox"
)

// Generous bounds for what normally takes milliseconds.
const (
	// Eventually bounds a wait for something asynchronous (an event
	// relayed, consumed and applied).
	Eventually = 20 * time.Second
	// CallLimit bounds one step of a test.
	CallLimit = 20 * time.Second
	tick      = 5 * time.Millisecond
)

// Ctx bounds one step of a test.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), CallLimit)
	t.Cleanup(cancel)
	return ctx
}

// WaitFor waits until cond holds, and fails the test after Eventually.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Eventually)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(tick)
	}
}

// Refusal is what a client learns from a refused call: the code, the
// fields BadRequest names and the reason ErrorInfo gives.
type Refusal struct {
	Code   codes.Code
	Fields []string
	Reason string
}

// RefusalOf reads err as a client does.
func RefusalOf(err error) Refusal {
	st := status.Convert(err)
	r := Refusal{Code: st.Code()}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				r.Fields = append(r.Fields, v.GetField())
			}
		case *errdetails.ErrorInfo:
			r.Reason = d.GetReason()
		}
	}
	slices.Sort(r.Fields)
	return r
}

// Event is one message of a stream, its payload decoded by the type the
// outbox relay named in its header.
type Event struct {
	Seq       uint64
	Subject   string
	MsgID     string
	EventType string
	Payload   proto.Message
}

// Events returns every message of st, in stream order.
func Events(t testing.TB, st jetstream.Stream) []Event {
	t.Helper()
	ctx := Ctx(t)
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	var out []Event
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		typ := m.Header.Get(outbox.EventTypeHeader)
		mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(typ))
		if err != nil {
			t.Fatalf("message %d on %s names the type %q: %v", seq, m.Subject, typ, err)
		}
		p := mt.New().Interface()
		if err := proto.Unmarshal(m.Data, p); err != nil {
			t.Fatalf("message %d on %s: %v", seq, m.Subject, err)
		}
		out = append(out, Event{Seq: seq, Subject: m.Subject, MsgID: m.Header.Get(jetstream.MsgIDHeader), EventType: typ, Payload: p})
	}
	return out
}

// EventsUntil waits until the events of st satisfy done, and returns them.
func EventsUntil(t testing.TB, st jetstream.Stream, what string, done func([]Event) bool) []Event {
	t.Helper()
	var evs []Event
	deadline := time.Now().Add(Eventually)
	for {
		if evs = Events(t, st); done(evs) {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; the stream holds %d events", what, len(evs))
		}
		time.Sleep(tick)
	}
}

// Clock is a settable clock for tests that live on given days; each
// reading moves it on by a millisecond, so that two changes never share
// an instant, even at the millisecond precision of an API's timestamps.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a clock that reads a millisecond after t next.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// Set moves the clock to t; it never goes backwards.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// AddDate moves the clock on by calendar years, months and days.
func (c *Clock) AddDate(years, months, days int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.AddDate(years, months, days)
}
