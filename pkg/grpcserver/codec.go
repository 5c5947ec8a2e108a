package grpcserver

import (
	"strings"

	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the codec wrapped here
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// textCodec is gRPC's protobuf codec, except for requests it cannot
// decode: string fields that are not valid UTF-8, and bytes that are not a
// protobuf message at all (a truncated varint, a length past the end, a
// wire type the field cannot have). gRPC answers any decoding failure
// Internal with the decoder's own words ("grpc: error unmarshalling
// request: string field contains invalid UTF-8"): a 500 for the client's
// fault. Here the message is emptied and marked with why (markUndecodable)
// and decoding reports success, so that the text check (textUnary,
// textStreamChecker), which runs on every call, answers InvalidArgument
// instead. The handler never sees the message. The mark travels in the
// message itself, so a call cut short before the check leaves nothing
// behind.
type textCodec struct{ encoding.CodecV2 }

// undecodable is why a request could not be decoded.
type undecodable int

const (
	brokenUTF8 undecodable = iota + 1
	malformedWire
)

// undecodableField is the field number of the mark: the highest protobuf
// allows, which no message of ours declares. A client that sends it alone,
// as a varint, is refused as if its bytes had not decoded.
const undecodableField = protowire.MaxValidNumber

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
	markUndecodable(m, why)
	return nil
}

// markUndecodable empties m and leaves in its unknown fields only the mark
// of why it could not be decoded.
func markUndecodable(m proto.Message, why undecodable) {
	proto.Reset(m)
	b := protowire.AppendTag(nil, undecodableField, protowire.VarintType)
	m.ProtoReflect().SetUnknown(protowire.AppendVarint(b, uint64(why)))
}

// tookUndecodable reports why m could not be decoded (0: it was), and
// takes the mark away.
func tookUndecodable(m proto.Message) undecodable {
	r := m.ProtoReflect()
	u := r.GetUnknown()
	num, typ, n := protowire.ConsumeTag(u)
	if len(u) == 0 || n < 0 || num != undecodableField || typ != protowire.VarintType {
		return 0
	}
	v, k := protowire.ConsumeVarint(u[n:])
	if k < 0 || n+k != len(u) || (undecodable(v) != brokenUTF8 && undecodable(v) != malformedWire) {
		return 0
	}
	r.SetUnknown(nil)
	return undecodable(v)
}
