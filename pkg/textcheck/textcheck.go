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
// reason.
func Problem(s string) (description, reason string) {
	for i := 0; i < len(s); {
		b := s[i]
		if b >= 0x20 && b < 0x7f { // the common case: printable ASCII
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return "is not valid UTF-8", ReasonInvalidUTF8
		case r == 0:
			return "contains a NUL character", ReasonNUL
		case isControl(r):
			return fmt.Sprintf("contains the control character U+%04X", r), ReasonControl
		}
		i += size
	}
	return "", ""
}

// Clean reports whether s has no Problem.
func Clean(s string) bool {
	d, _ := Problem(s)
	return d == ""
}

// isControl reports the C0 controls but tab, line feed and carriage return,
// DEL, and the C1 controls.
func isControl(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20, r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	}
	return false
}

// maxViolations bounds what one message reports: a roster of ten thousand
// bad rows needs its first few named, not all.
const maxViolations = 20

// Message returns the string fields of m (recursively) that are not clean
// text, at most a few. Bytes fields are not text and are left alone.
func Message(m protoreflect.Message) []Violation {
	w := walker{}
	w.message(m, "")
	return w.out
}

type walker struct{ out []Violation }

func (w *walker) full() bool { return len(w.out) >= maxViolations }

func (w *walker) message(m protoreflect.Message, path string) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := string(fd.Name())
		if path != "" {
			p = path + "." + p
		}
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && !w.full(); i++ {
				w.value(fd, l.Get(i), p+"["+strconv.Itoa(i)+"]")
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				kp := p + "[" + k.String() + "]"
				if fd.MapKey().Kind() == protoreflect.StringKind {
					kp = p + "[" + strconv.Quote(k.String()) + "]"
					w.text(kp, k.String())
				}
				w.value(fd.MapValue(), mv, kp)
				return !w.full()
			})
		default:
			w.value(fd, v, p)
		}
		return !w.full()
	})
}

func (w *walker) value(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		w.text(path, v.String())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		w.message(v.Message(), path)
	}
}

func (w *walker) text(path, s string) {
	if w.full() {
		return
	}
	if d, reason := Problem(s); d != "" {
		w.out = append(w.out, Violation{Field: path, Description: d, Reason: reason})
	}
}
