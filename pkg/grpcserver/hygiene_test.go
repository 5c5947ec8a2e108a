package grpcserver

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestEveryServerRefusesControlCharactersInText runs New's server as a
// service would and sends the health service's one text field with NUL,
// ESC and BEL, unary and streaming: no service registers anything for it.
func TestEveryServerRefusesControlCharactersInText(t *testing.T) {
	t.Parallel()
	s, err := New(slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, lis, 5*time.Second) }()
	t.Cleanup(func() { cancel(); <-done })
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client := healthpb.NewHealthClient(conn)

	for _, tt := range []struct{ name, service, reason string }{
		{"NUL", "member\x00", "TEXT_NUL"},
		{"ESC", "\x1b[2Jmember", "TEXT_CONTROL_CHARACTER"},
		{"BEL", "member\a", "TEXT_CONTROL_CHARACTER"},
	} {
		t.Run(tt.name+" in a unary request is InvalidArgument naming the field", func(t *testing.T) {
			_, err := client.Check(t.Context(), &healthpb.HealthCheckRequest{Service: tt.service})
			assertTextRefused(t, err, tt.reason)
		})
		t.Run(tt.name+" in a streamed request is InvalidArgument naming the field", func(t *testing.T) {
			stream, err := client.Watch(t.Context(), &healthpb.HealthCheckRequest{Service: tt.service})
			if err != nil {
				t.Fatal(err)
			}
			_, err = stream.Recv()
			assertTextRefused(t, err, tt.reason)
		})
	}
	// A Go client will not send broken UTF-8 in a string; a bytes field
	// with the same number puts the same bytes on the wire.
	broken := &wrapperspb.BytesValue{Value: []byte("member\xff")}
	t.Run("broken UTF-8 in a unary request is InvalidArgument, not Internal", func(t *testing.T) {
		err := conn.Invoke(t.Context(), healthpb.Health_Check_FullMethodName, broken, &healthpb.HealthCheckResponse{})
		assertBrokenText(t, err)
	})
	t.Run("broken UTF-8 in a streamed request is InvalidArgument, not Internal", func(t *testing.T) {
		stream, err := conn.NewStream(t.Context(), &healthpb.Health_ServiceDesc.Streams[0], healthpb.Health_Watch_FullMethodName)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.SendMsg(broken); err != nil {
			t.Fatal(err)
		}
		_ = stream.CloseSend()
		assertBrokenText(t, stream.RecvMsg(&healthpb.HealthCheckResponse{}))
	})
	// Bytes that are no protobuf message at all, sent as they are: a
	// length past the end, and a tag with no value after it.
	for _, raw := range [][]byte{{0x0a, 0x05, 'a'}, {0x08}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}} {
		t.Run(fmt.Sprintf("malformed bytes %x in a unary request are InvalidArgument, not Internal", raw), func(t *testing.T) {
			err := conn.Invoke(t.Context(), healthpb.Health_Check_FullMethodName, &raw, &healthpb.HealthCheckResponse{}, grpc.ForceCodecV2(rawCodec{}))
			assertMalformed(t, err)
		})
		t.Run(fmt.Sprintf("malformed bytes %x in a streamed request are InvalidArgument, not Internal", raw), func(t *testing.T) {
			stream, err := conn.NewStream(t.Context(), &healthpb.Health_ServiceDesc.Streams[0], healthpb.Health_Watch_FullMethodName, grpc.ForceCodecV2(rawCodec{}))
			if err != nil {
				t.Fatal(err)
			}
			if err := stream.SendMsg(&raw); err != nil {
				t.Fatal(err)
			}
			_ = stream.CloseSend()
			assertMalformed(t, stream.RecvMsg(&healthpb.HealthCheckResponse{}))
		})
	}
	t.Run("clean text with line breaks passes", func(t *testing.T) {
		_, err := client.Check(t.Context(), &healthpb.HealthCheckRequest{Service: "二\r\n\tline"})
		if status.Code(err) != codes.NotFound { // no such service: the check ran, the text passed
			t.Fatalf("got %v, want NotFound", err)
		}
	})
}

func assertTextRefused(t *testing.T, err error, reason string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("got %v, want InvalidArgument", err)
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok && len(br.GetFieldViolations()) == 1 {
			v := br.GetFieldViolations()[0]
			if v.GetField() != "service" || v.GetReason() != reason {
				t.Fatalf("violation %v, want field service reason %s", v, reason)
			}
			return
		}
	}
	t.Fatalf("no BadRequest with one violation in %v", st.Details())
}

func assertBrokenText(t *testing.T, err error) {
	t.Helper()
	assertUndecodable(t, err, "TEXT_INVALID_UTF8")
}

func assertMalformed(t *testing.T, err error) {
	t.Helper()
	assertUndecodable(t, err, ReasonMalformedMessage)
}

// assertUndecodable: err refuses the whole request, in plain words, for
// reason.
func assertUndecodable(t *testing.T, err error, reason string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || strings.Contains(st.Message(), "grpc:") {
		t.Fatalf("got %v, want InvalidArgument in plain words", err)
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok && len(br.GetFieldViolations()) == 1 &&
			br.GetFieldViolations()[0].GetReason() == reason && br.GetFieldViolations()[0].GetField() == "request" {
			return
		}
	}
	t.Fatalf("no BadRequest of the request with reason %s in %v", reason, st.Details())
}

// rawCodec sends a *[]byte as the message's bytes, unchanged, and decodes
// answers as protobuf.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*[]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return encoding.GetCodecV2("proto").Unmarshal(data, v)
}

func (rawCodec) Name() string { return "proto" }

// TestTheMarkOfAnUndecodableRequestIsTheMessagesOwn: the codec marks the
// message itself, so nothing outlives a call cut short before the text
// check; the check takes the mark once; a real field survives.
func TestTheMarkOfAnUndecodableRequestIsTheMessagesOwn(t *testing.T) {
	c := newTextCodec()
	m := &healthpb.HealthCheckRequest{Service: "left over"}
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer([]byte{0x0a, 0x05, 'a'})}, m); err != nil {
		t.Fatalf("decoding reported %v, want success and a mark", err)
	}
	if m.GetService() != "" {
		t.Errorf("the undecodable message kept %q", m.GetService())
	}
	if got := tookUndecodable(m); got != malformedWire {
		t.Fatalf("took %v, want malformedWire", got)
	}
	if got := tookUndecodable(m); got != 0 || len(m.ProtoReflect().GetUnknown()) != 0 {
		t.Errorf("the mark taken twice: %v, unknown %x", got, m.ProtoReflect().GetUnknown())
	}
	good := &healthpb.HealthCheckRequest{}
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer([]byte{0x0a, 0x01, 'a', 0x10, 0x01})}, good); err != nil {
		t.Fatal(err)
	}
	if got := tookUndecodable(good); got != 0 || good.GetService() != "a" || len(good.ProtoReflect().GetUnknown()) == 0 {
		t.Errorf("a well-formed message with an unknown field: %v, %v", got, good)
	}
}
