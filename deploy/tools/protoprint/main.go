// Command protoprint writes the third-party .proto files that the API imports
// (google.api HTTP annotations, buf.validate rules) from the descriptors compiled
// into the Go packages the project already depends on, so that the files match
// the runtime exactly and nothing has to be fetched from a schema registry.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/jhump/protoreflect/desc"
	"github.com/jhump/protoreflect/desc/protoprint"
	"google.golang.org/protobuf/reflect/protoreflect"

	validate "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/genproto/googleapis/api/annotations"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: protoprint OUTDIR")
		os.Exit(2)
	}
	files := []protoreflect.FileDescriptor{
		annotations.File_google_api_annotations_proto,
		annotations.File_google_api_http_proto,
		validate.File_buf_validate_validate_proto,
	}
	printer := &protoprint.Printer{}
	for _, fd := range files {
		d, err := desc.WrapFile(fd)
		if err != nil {
			fail(err)
		}
		out := filepath.Join(os.Args[1], fd.Path())
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			fail(err)
		}
		f, err := os.Create(out)
		if err != nil {
			fail(err)
		}
		if err := printer.PrintProtoFile(d, f); err != nil {
			fail(err)
		}
		if err := f.Close(); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "protoprint:", err)
	os.Exit(1)
}
