// Package fields checks every string field of a protobuf message, nested
// messages, lists and maps included, with textcheck's rule, and names the
// field of each problem as protovalidate does (organisation.name,
// rows[3].employer, labels["key"]). It is apart from textcheck so that
// domain packages can check text without reaching protobuf.
package fields

import (
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"gongjian.dev/pkg/textcheck"
)

// Violation is one string field that is not clean text.
type Violation struct {
	// Field is the path of the field, in proto names.
	Field string
	// Description says what is wrong, for a person.
	Description string
	// Reason is one of the Reason constants.
	Reason string
}

// maxViolations bounds what one message reports: a roster of ten thousand
// bad rows needs its first few named, not all.
const maxViolations = 20

// Message returns the string fields of m (recursively) that are not clean
// text, at most a few. Bytes fields are not text and are left alone.
func Message(m protoreflect.Message) []Violation {
	w := walker{}
	w.message(m)
	return w.out
}

// walker visits the fields of a message depth first. The path of the
// field at hand is kept as segments and written out only for a violation:
// nearly every request is clean, and the check runs on all of them.
type walker struct {
	out  []Violation
	path []segment
}

// segment is one step of a field path: a field's name, then an index or
// a map key when the field is a list or a map.
type segment struct {
	name  protoreflect.Name
	index int // -1 when none
	key   *protoreflect.MapKey
	str   bool // the map key is a string, written quoted
}

func (w *walker) full() bool { return len(w.out) >= maxViolations }

func (w *walker) message(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if !textInside(fd) {
			return true
		}
		w.path = append(w.path, segment{name: fd.Name(), index: -1})
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && !w.full(); i++ {
				w.path[len(w.path)-1].index = i
				w.value(fd, l.Get(i))
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				top := &w.path[len(w.path)-1]
				top.key, top.str = &k, fd.MapKey().Kind() == protoreflect.StringKind
				if top.str {
					w.text(k.String())
				}
				w.value(fd.MapValue(), mv)
				return !w.full()
			})
		default:
			w.value(fd, v)
		}
		w.path = w.path[:len(w.path)-1]
		return !w.full()
	})
}

// textInside reports whether a field can hold text: a string, a message,
// or a map with string keys.
func textInside(fd protoreflect.FieldDescriptor) bool {
	if fd.IsMap() {
		return fd.MapKey().Kind() == protoreflect.StringKind || textInside(fd.MapValue())
	}
	k := fd.Kind()
	return k == protoreflect.StringKind || k == protoreflect.MessageKind || k == protoreflect.GroupKind
}

func (w *walker) value(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		w.text(v.String())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		w.message(v.Message())
	}
}

func (w *walker) text(s string) {
	if w.full() {
		return
	}
	if d, reason := textcheck.Problem(s); d != "" {
		w.out = append(w.out, Violation{Field: w.pathString(), Description: d, Reason: reason})
	}
}

// pathString writes the path as protovalidate does: a.b, a[3].b, a["k"].
func (w *walker) pathString() string {
	var b strings.Builder
	for i, seg := range w.path {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(string(seg.name))
		switch {
		case seg.index >= 0:
			b.WriteString("[" + strconv.Itoa(seg.index) + "]")
		case seg.key != nil && seg.str:
			b.WriteString("[" + strconv.Quote(seg.key.String()) + "]")
		case seg.key != nil:
			b.WriteString("[" + seg.key.String() + "]")
		}
	}
	return b.String()
}
