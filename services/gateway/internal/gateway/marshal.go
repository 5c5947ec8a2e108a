package gateway

import (
	"bufio"
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

// NewDecoder returns a decoder that reads exactly one JSON value. An empty
// body decodes nothing and answers io.EOF, which the generated handlers
// take as "no body": the request's body field then stays unset, so that
// its validation names it as missing, rather than an empty message that
// passes as given. Errors carry plain messages (plainJSONError).
func (j strictJSON) NewDecoder(r io.Reader) runtime.Decoder {
	br := bufio.NewReader(r)
	d := runtime.DecoderWrapper{Decoder: json.NewDecoder(br), UnmarshalOptions: j.UnmarshalOptions}
	return runtime.DecoderFunc(func(v any) error {
		if err := skipSpace(br); err != nil {
			return plainJSONError(err)
		}
		if err := d.Decode(v); err != nil {
			return plainJSONError(err)
		}
		if _, err := d.Token(); !errors.Is(err, io.EOF) {
			return errTrailingData
		}
		return nil
	})
}

// skipSpace consumes JSON white space, answering io.EOF when nothing
// else follows.
func skipSpace(r *bufio.Reader) error {
	for {
		b, err := r.ReadByte()
		if err != nil {
			return err
		}
		switch b {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return r.UnreadByte()
	}
}
