package store

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"gongjian.dev/pkg/textcheck"
)

// FuzzPageToken: a page token is the client's to send back, and anything
// may come instead. Decoded, it is refused or gives a key that goes into
// SQL as it is: a path of ids, an id in the form PostgreSQL reads (a uuid
// comparison with anything else fails as an internal error), clean text
// (PostgreSQL refuses NUL and broken UTF-8). A key encoded decodes to
// itself.
func FuzzPageToken(f *testing.F) {
	path := "/0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c/0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2d/"
	f.Add(encodeToken(path))
	f.Add(encodeToken("2026-03-01/0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2e"))
	f.Add(encodeToken("17"))
	f.Add("")
	f.Add("not base64!")
	f.Fuzz(func(t *testing.T, token string) {
		if p, err := pathAfter(token); err == nil {
			if !textcheck.Clean(p) || !isPath(p) {
				t.Fatalf("token %q continues after the path %q", token, p)
			}
			if again, err := pathAfter(encodeToken(p)); err != nil || again != p {
				t.Fatalf("path %q encoded and decoded is %q, %v", p, again, err)
			}
		}
		if _, id, err := activityBefore(token); err == nil && !isID(id) {
			t.Fatalf("token %q continues before the activity %q", token, id)
		}
		if v, err := versionBefore(token); err == nil && v < 1 {
			t.Fatalf("token %q continues before version %d", token, v)
		}
	})
}

func isID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

func isPath(p string) bool {
	if len(p) < 2 || !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") {
		return false
	}
	for _, id := range strings.Split(p[1:len(p)-1], "/") {
		if !isID(id) {
			return false
		}
	}
	return true
}
