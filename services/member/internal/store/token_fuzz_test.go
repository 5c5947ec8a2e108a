package store

import (
	"testing"

	"github.com/google/uuid"

	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/textcheck"
)

// FuzzPageToken: a page token is the client's to send back, and anything
// may come instead. Decoded, it is refused or gives a key that goes into
// SQL as it is: an id in the form PostgreSQL reads (a uuid cast of
// anything else fails as an internal error) and a path of clean text
// (PostgreSQL refuses NUL). A key encoded decodes to itself.
func FuzzPageToken(f *testing.F) {
	path := "/0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c/0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2d/"
	f.Add(page.Encode(pathKey{Path: path, ID: "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2e"}))
	f.Add(page.Encode(idKey{ID: "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2e"}))
	f.Add("")
	f.Add("e30")
	f.Add("not base64!")
	first := uuid.Nil.String()
	f.Fuzz(func(t *testing.T, token string) {
		if k, err := page.After(token, pathKey{ID: first}); err == nil {
			if !canonicalID(k.ID) || !textcheck.Clean(k.Path) {
				t.Fatalf("token %q decoded to %+v", token, k)
			}
			if again, err := page.After(page.Encode(k), pathKey{ID: first}); err != nil || again != k {
				t.Fatalf("key %+v encoded and decoded is %+v, %v", k, again, err)
			}
		}
		if k, err := page.After(token, idKey{ID: first}); err == nil && !canonicalID(k.ID) {
			t.Fatalf("token %q continues after %q", token, k.ID)
		}
		if k, err := page.After(token, loggedKey{ID: first}); err == nil && !canonicalID(k.ID) {
			t.Fatalf("token %q decoded to the id %q", token, k.ID)
		}
	})
}

func canonicalID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}
