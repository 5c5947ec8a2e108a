package store

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"gongjian.dev/pkg/page"
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
	id := "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2e"
	f.Add(page.Encode(pathKey{Path: path}))
	f.Add(page.Encode(activityKey{Day: "2026-03-01", ID: id}))
	f.Add(page.Encode(versionKey{Version: 17}))
	f.Add(page.Encode(path))
	f.Add("")
	f.Add("not base64!")
	f.Fuzz(func(t *testing.T, token string) {
		if k, err := page.After(token, pathKey{Path: path}); err == nil {
			if !textcheck.Clean(k.Path) || !isPath(k.Path) {
				t.Fatalf("token %q continues after the path %q", token, k.Path)
			}
			if again, err := page.After(page.Encode(k), pathKey{Path: path}); err != nil || again != k {
				t.Fatalf("path %q encoded and decoded is %q, %v", k.Path, again.Path, err)
			}
		}
		if k, err := page.After(token, activityKey{Day: "2026-03-01", ID: id}); err == nil && !isID(k.ID) {
			t.Fatalf("token %q continues before the activity %q", token, k.ID)
		}
		if k, err := page.After(token, versionKey{Version: 1}); err == nil && k.Version < 1 {
			t.Fatalf("token %q continues before version %d", token, k.Version)
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
