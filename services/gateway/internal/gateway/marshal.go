package gateway

import (
	"encoding/json"
	"errors"
	"io"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
)

// errTrailingData refuses a body with more after its JSON value, which
// the stock decoder would silently ignore.
var errTrailingData = errors.New("unexpected data after the JSON body")

// strictJSON is protojson with lowerCamel field names, unpopulated fields
// left out, and bodies refused when they hold unknown fields or anything
// after the JSON value. The generated handlers turn every decoding error
// into InvalidArgument, so the client gets 400.
type strictJSON struct {
	*runtime.JSONPb
}

func newJSONMarshaler() strictJSON {
	return strictJSON{&runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: false, UseProtoNames: false},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}}
}

// NewDecoder returns a decoder that reads exactly one JSON value.
func (j strictJSON) NewDecoder(r io.Reader) runtime.Decoder {
	d := runtime.DecoderWrapper{Decoder: json.NewDecoder(r), UnmarshalOptions: j.UnmarshalOptions}
	return runtime.DecoderFunc(func(v any) error {
		if err := d.Decode(v); err != nil {
			return err
		}
		if _, err := d.Token(); !errors.Is(err, io.EOF) {
			return errTrailingData
		}
		return nil
	})
}
