package accesstest

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Request is one RPC with a request the service accepts (or refuses by a
// domain rule): the starting point of its hostile variants.
type Request struct {
	FullMethod string
	Req        proto.Message
}

// Hostile sends, for every RPC, variants of a good request with one field
// made what a careless or hostile client sends — an empty, absent or
// overlong string, a NUL, a right-to-left override, an id that is no id,
// the extremes of a number, an enum the schema does not know, a timestamp
// at the end of time or not a timestamp at all, a field mask naming
// nothing, a list of thousands — over gRPC and over REST, and fails on
// any answer that is the server's fault: Internal, Unknown, DataLoss,
// Unimplemented, Unavailable or a deadline over gRPC, a 5xx over REST.
// A refusal of any kind is the point; so is a success.
//
// Each field of each request (to Depth levels of nested messages) gets
// PerField variants drawn from its kind's list by a generator seeded with Seed,
// so a run is repeatable; GONGJIAN_HOSTILE_SEED sets another seed to
// explore, and the seed is named in every failure.
type Hostile struct {
	Requests []Request
	// GRPC calls as a caller allowed every request (the city's
	// administrator); REST is the same caller over the REST handlers.
	GRPC GRPC
	REST REST
	Seed uint64
	// Depth is how deep nested messages are walked (3 when 0); PerField
	// how many hostile values each field is given (4 when 0).
	Depth, PerField int
}

// Run runs the variants as one subtest per RPC.
func (h Hostile) Run(t *testing.T) {
	t.Helper()
	seed := h.Seed
	if s := os.Getenv("GONGJIAN_HOSTILE_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("GONGJIAN_HOSTILE_SEED=%q is no number", s)
		}
		seed = n
	}
	depth, perField := cmp.Or(h.Depth, 3), cmp.Or(h.PerField, 4)
	for _, r := range h.Requests {
		m, err := Method(r.FullMethod)
		if err != nil {
			t.Fatal(err)
		}
		if m.IsStreamingClient() || m.IsStreamingServer() {
			continue
		}
		name := r.FullMethod[strings.LastIndex(r.FullMethod, "/")+1:]
		t.Run(name, func(t *testing.T) {
			faults, sent := h.faults(t.Context(), r, m, seed, depth, perField)
			for _, f := range faults {
				t.Errorf("seed %d, %s", seed, f)
			}
			t.Logf("%d variants", sent)
		})
	}
}

// faults sends r's variants and answers each answer that was the server's
// fault, and how many variants it sent.
func (h Hostile) faults(ctx context.Context, r Request, m protoreflect.MethodDescriptor, seed uint64, depth, perField int) ([]string, int) {
	var out []string
	rng := rand.New(rand.NewPCG(seed, hashString(r.FullMethod)))
	vs := Variants(r.Req, depth, perField, rng)
	for _, v := range vs {
		if code, msg := h.GRPC.invoke(ctx, r.FullMethod, v.Req); ServersFault(code) {
			out = append(out, fmt.Sprintf("%s over gRPC: %v %q", v.Name, code, msg))
		}
		if h.REST.Base == "" {
			continue
		}
		st, msg, err := h.REST.status(ctx, m, v.Req)
		if err != nil {
			continue // no REST request carries this value (a timestamp protojson cannot write)
		}
		if st >= 500 {
			out = append(out, fmt.Sprintf("%s over REST: HTTP %d %q", v.Name, st, msg))
		}
	}
	// The service is still there and answers the good request as before.
	if code, msg := h.GRPC.invoke(ctx, r.FullMethod, r.Req); ServersFault(code) {
		out = append(out, fmt.Sprintf("the good request after the hostile ones: %v %q", code, msg))
	}
	return out, len(vs)
}

// ServersFault reports whether a code is the server's fault rather than a
// refusal of the request: never the answer to anything a client sends.
func ServersFault(c codes.Code) bool {
	switch c {
	case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unimplemented, codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

func (g GRPC) invoke(ctx context.Context, fullMethod string, req proto.Message) (codes.Code, string) {
	ctx, cancel := context.WithTimeout(ctx, callLimit)
	defer cancel()
	m, err := Method(fullMethod)
	if err != nil {
		return codes.Unimplemented, err.Error()
	}
	err = g.Conn.Invoke(ctx, fullMethod, req, dynamicpb.NewMessage(m.Output()))
	st := status.Convert(err)
	return st.Code(), st.Message()
}

func (r REST) status(ctx context.Context, m protoreflect.MethodDescriptor, req proto.Message) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, callLimit)
	defer cancel()
	hreq, err := r.request(ctx, m, req)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return http.StatusServiceUnavailable, err.Error(), nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return resp.StatusCode, string(b), nil
}

// Variant is a request with one field made hostile.
type Variant struct {
	Name string // the field and what it was given
	Req  proto.Message
}

// Variants answers, for each field of req down to depth levels of nested
// messages (a list of messages by its first element), perField copies of
// req with that field given a hostile value drawn by rng.
func Variants(req proto.Message, depth, perField int, rng *rand.Rand) []Variant {
	var out []Variant
	var walk func(path []step, cur protoreflect.Message, md protoreflect.MessageDescriptor, level int)
	walk = func(path []step, cur protoreflect.Message, md protoreflect.MessageDescriptor, level int) {
		fields := md.Fields()
		for i := range fields.Len() {
			f := fields.Get(i)
			if f.IsMap() {
				continue
			}
			p := append(append([]step(nil), path...), step{field: f})
			values := hostileValues(f)
			rng.Shuffle(len(values), func(i, j int) { values[i], values[j] = values[j], values[i] })
			for _, v := range values[:min(perField, len(values))] {
				out = append(out, Variant{Name: pathName(p) + " = " + v.name, Req: with(req, p, v.set)})
			}
			if f.Kind() != protoreflect.MessageKind || wellKnown(f.Message()) || level >= depth {
				continue
			}
			switch {
			case !f.IsList():
				walk(p, cur.Get(f).Message(), f.Message(), level+1)
			case cur.Get(f).List().Len() > 0:
				p[len(p)-1].first = true
				walk(p, cur.Get(f).List().Get(0).Message(), f.Message(), level+1)
			}
		}
	}
	m := req.ProtoReflect()
	walk(nil, m, m.Descriptor(), 1)
	return out
}

// step is a field on the way to the one made hostile: a message field, or
// the first element of a list of messages.
type step struct {
	field protoreflect.FieldDescriptor
	first bool
}

func pathName(p []step) string {
	names := make([]string, len(p))
	for i, s := range p {
		names[i] = string(s.field.Name())
		if s.first {
			names[i] += "[0]"
		}
	}
	return strings.Join(names, ".")
}

// with answers a copy of req whose field at path is set by set (creating
// the messages on the way).
func with(req proto.Message, path []step, set func(protoreflect.Message, protoreflect.FieldDescriptor)) proto.Message {
	c := proto.Clone(req)
	m := c.ProtoReflect()
	for _, s := range path[:len(path)-1] {
		if s.first {
			m = m.Mutable(s.field).List().Get(0).Message()
		} else {
			m = m.Mutable(s.field).Message()
		}
	}
	set(m, path[len(path)-1].field)
	return c
}

type hostileValue struct {
	name string
	set  func(protoreflect.Message, protoreflect.FieldDescriptor)
}

func scalar(name string, v protoreflect.Value) hostileValue {
	return hostileValue{name, func(m protoreflect.Message, f protoreflect.FieldDescriptor) {
		if f.IsList() {
			l := m.Mutable(f).List()
			l.Truncate(0)
			l.Append(v)
			return
		}
		m.Set(f, v)
	}}
}

func cleared() hostileValue {
	return hostileValue{"nothing", func(m protoreflect.Message, f protoreflect.FieldDescriptor) { m.Clear(f) }}
}

// strings a client may send where any text goes.
var hostileStrings = []struct{ name, value string }{
	{"an empty string", ""},
	{"a NUL", "名\x00字"},
	{"ESC and a bell", "\x1b[31m\a"},
	{"a right-to-left override", "\u202e部支"},
	{"only spaces", "   "},
	{"an id that is no id", "not-an-id"},
	{"a well-formed id of nothing", "0190a3f0-0000-7000-8000-00000000dead"},
	{"a path", "../../etc/passwd"},
	{"SQL", "'; DROP TABLE members; --"},
	{"a LIKE pattern", "%_\\"},
	{"a supplementary-plane character", "𠀀𡈽"},
	{"a date that is no date", "2026-02-30"},
	{"a month that is no month", "2026-13"},
	{"a negative number", "-1"},
	{"a huge number", "99999999999999999999999"},
	{"a 200 KB string", strings.Repeat("长", 70_000)},
	{"3,000 bytes (over a btree entry)", strings.Repeat("a", 3_000)},
}

func hostileValues(f protoreflect.FieldDescriptor) []hostileValue {
	var vs []hostileValue
	if f.HasPresence() || f.IsList() || f.Kind() == protoreflect.MessageKind {
		vs = append(vs, cleared())
	}
	switch f.Kind() {
	case protoreflect.StringKind:
		for _, s := range hostileStrings {
			vs = append(vs, scalar(s.name, protoreflect.ValueOfString(s.value)))
		}
	case protoreflect.BytesKind:
		vs = append(vs, scalar("empty bytes", protoreflect.ValueOfBytes([]byte{})),
			scalar("a megabyte of 0xff", protoreflect.ValueOfBytes([]byte(strings.Repeat("\xff", 1<<20)))))
	case protoreflect.BoolKind:
		vs = append(vs, scalar("true", protoreflect.ValueOfBool(true)), scalar("false", protoreflect.ValueOfBool(false)))
	case protoreflect.EnumKind:
		vs = append(vs, scalar("an enum number the schema does not know", protoreflect.ValueOfEnum(999)),
			scalar("a negative enum number", protoreflect.ValueOfEnum(-1)),
			scalar("the unspecified enum value", protoreflect.ValueOfEnum(0)))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		vs = append(vs, scalar("-1", protoreflect.ValueOfInt32(-1)), scalar("the least int32", protoreflect.ValueOfInt32(math.MinInt32)),
			scalar("the greatest int32", protoreflect.ValueOfInt32(math.MaxInt32)))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		vs = append(vs, scalar("-1", protoreflect.ValueOfInt64(-1)), scalar("the least int64", protoreflect.ValueOfInt64(math.MinInt64)),
			scalar("the greatest int64", protoreflect.ValueOfInt64(math.MaxInt64)))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		vs = append(vs, scalar("the greatest uint32", protoreflect.ValueOfUint32(math.MaxUint32)))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		vs = append(vs, scalar("the greatest uint64", protoreflect.ValueOfUint64(math.MaxUint64)))
	case protoreflect.DoubleKind:
		vs = append(vs, scalar("NaN", protoreflect.ValueOfFloat64(math.NaN())), scalar("infinity", protoreflect.ValueOfFloat64(math.Inf(1))),
			scalar("-1", protoreflect.ValueOfFloat64(-1)), scalar("1e308", protoreflect.ValueOfFloat64(1e308)))
	case protoreflect.FloatKind:
		vs = append(vs, scalar("NaN", protoreflect.ValueOfFloat32(float32(math.NaN()))), scalar("-1", protoreflect.ValueOfFloat32(-1)))
	case protoreflect.MessageKind:
		vs = append(vs, messageValues(f)...)
	}
	if f.IsList() {
		vs = append(vs, thousands(f))
	}
	return vs
}

func messageValues(f protoreflect.FieldDescriptor) []hostileValue {
	msg := func(name string, v proto.Message) hostileValue {
		return scalar(name, protoreflect.ValueOfMessage(v.ProtoReflect()))
	}
	switch f.Message().FullName() {
	case "google.protobuf.Timestamp":
		return []hostileValue{
			msg("the first instant of year 1", &timestamppb.Timestamp{Seconds: -62135596800}),
			msg("the last second of year 9999", &timestamppb.Timestamp{Seconds: 253402300799}),
			msg("the epoch", &timestamppb.Timestamp{}),
			msg("a timestamp past year 9999", &timestamppb.Timestamp{Seconds: math.MaxInt64}),
			msg("negative nanoseconds", &timestamppb.Timestamp{Seconds: 1, Nanos: -1}),
		}
	case "google.protobuf.FieldMask":
		return []hostileValue{
			msg("a mask naming no field", &fieldmaskpb.FieldMask{Paths: []string{"no_such_field"}}),
			msg("a mask of an empty path", &fieldmaskpb.FieldMask{Paths: []string{""}}),
			msg("a mask naming a nested path", &fieldmaskpb.FieldMask{Paths: []string{"id.value.x"}}),
			msg("an empty mask", &fieldmaskpb.FieldMask{}),
		}
	}
	return nil
}

// thousands answers a list of 5,000 copies of its first element (or of a
// hostile scalar when it has none).
func thousands(f protoreflect.FieldDescriptor) hostileValue {
	return hostileValue{"5,000 elements", func(m protoreflect.Message, f protoreflect.FieldDescriptor) {
		l := m.Mutable(f).List()
		var first protoreflect.Value
		switch {
		case l.Len() > 0:
			first = l.Get(0)
		case f.Kind() == protoreflect.StringKind:
			first = protoreflect.ValueOfString("0190a3f0-0000-7000-8000-00000000dead")
		default:
			first = l.NewElement()
		}
		for range 5_000 {
			l.Append(first)
		}
	}}
}

func wellKnown(md protoreflect.MessageDescriptor) bool {
	return strings.HasPrefix(string(md.FullName()), "google.protobuf.")
}
