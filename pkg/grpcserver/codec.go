package grpcserver

import (
	"strings"
	"sync"

	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the codec wrapped here
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// textCodec is gRPC's protobuf codec, except for requests whose string
// fields are not valid UTF-8. The protobuf runtime refuses those while
// decoding, and gRPC answers any decoding failure Internal with the
// decoder's own words ("grpc: error unmarshalling request: string field
// contains invalid UTF-8"): a 500 for the client's fault. Here the failure
// is noted against the message and decoding reports success, so that the
// text check (textUnary, textStreamChecker), which runs on every call,
// answers InvalidArgument instead. The handler never sees the message.
type textCodec struct{ encoding.CodecV2 }

// brokenText holds the messages whose decoding found broken UTF-8, until
// the text check takes them.
var brokenText sync.Map // proto.Message → struct{}

func newTextCodec() textCodec { return textCodec{encoding.GetCodecV2("proto")} }

func (c textCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	m, ok := v.(proto.Message)
	if err != nil && ok && strings.Contains(err.Error(), "invalid UTF-8") {
		brokenText.Store(m, struct{}{})
		return nil
	}
	return err
}

// tookBrokenText reports, once, whether m was decoded from broken UTF-8.
func tookBrokenText(m proto.Message) bool {
	_, ok := brokenText.LoadAndDelete(m)
	return ok
}
