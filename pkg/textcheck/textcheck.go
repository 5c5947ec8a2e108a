// Package textcheck decides whether a string is text a person could have
// typed: valid UTF-8, without NUL and without control characters, except the
// tab, line feed and carriage return of multi-line text. PostgreSQL refuses
// NUL in text outright (a 500 if it reaches the database), and the other
// control characters (ESC, BEL, the C1 range) are never part of a name, an
// address or a reason: stored, they corrupt terminals, exports and the
// printed letters the party keeps.
//
// Problem checks one string. It depends on nothing, so domain packages use
// it; package fields checks every string field of a protobuf message.
package textcheck

import (
	"fmt"
	"unicode/utf8"
)

// The problems a string can have, as the reasons of field violations.
const (
	ReasonNUL         = "TEXT_NUL"
	ReasonControl     = "TEXT_CONTROL_CHARACTER"
	ReasonInvalidUTF8 = "TEXT_INVALID_UTF8"
)

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
