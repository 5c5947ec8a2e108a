package grpcserver

import (
	"strings"
	"sync"

	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the codec wrapped here
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// textCodec is gRPC's protobuf codec, except for requests it cannot
// decode: string fields that are not valid UTF-8, and bytes that are not a
// protobuf message at all (a truncated varint, a length past the end, a
// wire type the field cannot have). gRPC answers any decoding failure
// Internal with the decoder's own words ("grpc: error unmarshalling
// request: string field contains invalid UTF-8"): a 500 for the client's
// fault. Here the failure is noted against the message and decoding
// reports success, so that the text check (textUnary, textStreamChecker),
// which runs on every call, answers InvalidArgument instead. The handler
// never sees the message.
type textCodec struct{ encoding.CodecV2 }

// undecodable is why a request could not be decoded.
type undecodable int

const (
	brokenUTF8 undecodable = iota + 1
	malformedWire
)

// brokenText holds the messages whose decoding failed, and why, until the
// text check takes them.
var brokenText sync.Map // proto.Message → undecodable

func newTextCodec() textCodec { return textCodec{encoding.GetCodecV2("proto")} }

func (c textCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	m, ok := v.(proto.Message)
	if err == nil || !ok {
		return err
	}
	why := malformedWire
	if strings.Contains(err.Error(), "invalid UTF-8") {
		why = brokenUTF8
	}
	brokenText.Store(m, why)
	return nil
}

// tookUndecodable reports, once, why m could not be decoded (0: it was).
func tookUndecodable(m proto.Message) undecodable {
	why, ok := brokenText.LoadAndDelete(m)
	if !ok {
		return 0
	}
	return why.(undecodable)
}
