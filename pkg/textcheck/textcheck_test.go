package textcheck

import (
	"testing"
	"unicode/utf8"
)

func TestProblemRefusesNULControlsAndBrokenUTF8(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, s, reason string
	}{
		{"plain ASCII is text", "Third Branch", ""},
		{"Chinese is text", "金山社区第一党支部", ""},
		{"tab, line feed and carriage return are text", "line one\r\n\tline two", ""},
		{"the empty string is text", "", ""},
		{"NUL is refused", "张\x00三", ReasonNUL},
		{"ESC is refused", "name\x1b[31m", ReasonControl},
		{"BEL is refused", "ding\a", ReasonControl},
		{"DEL is refused", "a\x7fb", ReasonControl},
		{"a C1 control is refused", "a\u0085b", ReasonControl},
		{"broken UTF-8 is refused", "caf\xe9", ReasonInvalidUTF8},
		{"a lone continuation byte is refused", "\x80", ReasonInvalidUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, reason := Problem(tt.s)
			if reason != tt.reason || (d == "") != (tt.reason == "") {
				t.Fatalf("Problem(%q) = %q, %q; want reason %q", tt.s, d, reason, tt.reason)
			}
			if Clean(tt.s) != (tt.reason == "") {
				t.Fatalf("Clean(%q) = %v", tt.s, Clean(tt.s))
			}
		})
	}
}

// FuzzProblem holds the byte scan of Problem to the rule as written for
// runes: valid UTF-8, no NUL, no C0 control but tab, line feed and
// carriage return, no DEL, no C1 control.
func FuzzProblem(f *testing.F) {
	for _, s := range []string{"", "金山社区", "a\x00", "\x1b", "\u0085", "\u009f\u00a0", "caf\xe9", "\xc2", "\t\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := utf8.ValidString(s)
		for _, r := range s {
			if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f) {
				want = false
			}
		}
		if Clean(s) != want {
			d, reason := Problem(s)
			t.Fatalf("Problem(%q) = %q, %q; clean text: %v", s, d, reason, want)
		}
	})
}
