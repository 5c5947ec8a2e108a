package fields

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gongjian.dev/pkg/textcheck"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestMessageNamesEveryBadFieldByItsPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  proto.Message
		want []Violation
	}{
		{
			name: "nested messages in lists are named by index",
			msg: &descriptorpb.FileDescriptorProto{
				Name: proto.String("ok.proto"),
				MessageType: []*descriptorpb.DescriptorProto{
					{Name: proto.String("Fine")},
					{Name: proto.String("Bad"), Field: []*descriptorpb.FieldDescriptorProto{{Name: proto.String("x\x00")}}},
				},
				Dependency: []string{"a.proto", "b\x1b.proto"},
			},
			want: []Violation{
				{Field: "dependency[1]", Description: "contains the control character U+001B", Reason: textcheck.ReasonControl},
				{Field: "message_type[1].field[0].name", Description: "contains a NUL character", Reason: textcheck.ReasonNUL},
			},
		},
		{
			name: "map values and keys are named by key",
			msg: &structpb.Struct{Fields: map[string]*structpb.Value{
				"employer": structpb.NewStringValue("bell\a"),
				"k\x00":    structpb.NewBoolValue(true),
			}},
			want: []Violation{
				{Field: `fields["employer"].string_value`, Description: "contains the control character U+0007", Reason: textcheck.ReasonControl},
				{Field: `fields["k\x00"]`, Description: "contains a NUL character", Reason: textcheck.ReasonNUL},
			},
		},
		{
			name: "bytes are not text",
			msg:  &wrapperspb.BytesValue{Value: []byte{0, 0x1b, 0xff}},
		},
		{
			name: "clean text passes",
			msg:  &wrapperspb.StringValue{Value: "金山社区\n第一党支部"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Message(tt.msg.ProtoReflect())
			sortViolations(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("violations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMessageReportsAFewViolationsNotAll(t *testing.T) {
	t.Parallel()
	list := make([]string, 1000)
	for i := range list {
		list[i] = "\x00"
	}
	got := Message((&descriptorpb.FileDescriptorProto{Dependency: list}).ProtoReflect())
	if len(got) != maxViolations {
		t.Fatalf("%d violations, want %d", len(got), maxViolations)
	}
}

// sortViolations orders violations by field: map ranges are unordered.
func sortViolations(vs []Violation) {
	slices.SortFunc(vs, func(a, b Violation) int { return strings.Compare(a.Field, b.Field) })
}

// BenchmarkMessage measures the check of a request the size of a member's
// registration: a score of text fields, some Chinese, in nested messages
// and lists.
func BenchmarkMessage(b *testing.B) {
	text := "金川集团公司第三分厂 Building 3, Unit 2"
	var fields []*descriptorpb.FieldDescriptorProto
	for range 6 {
		fields = append(fields, &descriptorpb.FieldDescriptorProto{Name: proto.String(text), TypeName: proto.String(text),
			JsonName: proto.String(text)})
	}
	m := (&descriptorpb.FileDescriptorProto{Name: proto.String(text), Package: proto.String(text),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String(text), Field: fields}}}).ProtoReflect()
	b.ReportAllocs()
	for b.Loop() {
		if len(Message(m)) != 0 {
			b.Fatal("clean text refused")
		}
	}
}
