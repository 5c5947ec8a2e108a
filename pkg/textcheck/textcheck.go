// Package textcheck decides whether a string is text a person could have
// typed: valid UTF-8, without NUL and without control characters, except the
// tab, line feed and carriage return of multi-line text. PostgreSQL refuses
// NUL in text outright (a 500 if it reaches the database), and the other
// control characters (ESC, BEL, the C1 range) are never part of a name, an
// address or a reason: stored, they corrupt terminals, exports and the
// printed letters the party keeps.
//
// Problem checks one string; Message checks every string field of a
// protobuf message, nested messages, lists and maps included, and names the
// field of each problem as protovalidate does (organisation.name,
// rows[3].employer, labels["key"]).
package textcheck

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// The problems a string can have, as the reasons of field violations.
const (
	ReasonNUL         = "TEXT_NUL"
	ReasonControl     = "TEXT_CONTROL_CHARACTER"
	ReasonInvalidUTF8 = "TEXT_INVALID_UTF8"
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

// Problem returns what is wrong with s as text ("" when nothing) and its
// reason. It scans bytes: the C0 controls and DEL are single bytes, the C1
// controls (U+0080–U+009F) are 0xC2 followed by 0x80–0x9F, and a lead byte
// is never a continuation byte, so no rune needs decoding; UTF-8 validity
// is then checked by the standard library's fast path.
func Problem(s string) (description, reason string) {
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b == 0:
			return "contains a NUL character", ReasonNUL
		case b < 0x20 && b != '\t' && b != '\n' && b != '\r', b == 0x7f:
			return fmt.Sprintf("contains the control character U+%04X", b), ReasonControl
		case b == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f:
			return fmt.Sprintf("contains the control character U+%04X", s[i+1]), ReasonControl
		}
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8", ReasonInvalidUTF8
	}
	return "", ""
}

// Clean reports whether s has no Problem.
func Clean(s string) bool {
	d, _ := Problem(s)
	return d == ""
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
	if d, reason := Problem(s); d != "" {
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
