// Package page is the one way lists are paged: by keyset, never by OFFSET.
// A page token is the key of the last row a page returned (any JSON value:
// a path and an id, a time and an id), opaque to clients; a list fetches
// one row more than the page size to know whether another page follows.
//
//	type key struct{ Path, ID string }
//	func (k key) Valid() bool { return page.Path(k.Path) && page.ID(k.ID) }
//	after, err := page.After(req.Token, key{})
//	if err != nil { … }
//	rows := fetch(after, page.Size(req.Size) + 1)
//	rows, next := page.Cut(rows, page.Size(req.Size), func(r Row) any { return key{r.Path, r.ID} })
//
// A key's values go into SQL as they are, so a key says whether it has
// the shape its list writes (Valid): a token is the client's to send back,
// and anything may come instead.
package page

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/google/uuid"

	"gongjian.dev/pkg/errs"
)

// The page sizes every list shares.
const (
	DefaultSize = 50
	MaxSize     = 500
)

// ErrInvalidToken refuses a page token that no list of this service
// issued, naming the field.
var ErrInvalidToken = errs.New(errs.InvalidArgument, "invalid page token")

// Size is the page size to use for a requested one: the default for 0,
// at most MaxSize.
func Size(requested int) int {
	switch {
	case requested <= 0:
		return DefaultSize
	case requested > MaxSize:
		return MaxSize
	}
	return requested
}

// Encode is the token of a page that ends at key.
func Encode(key any) string {
	b, err := json.Marshal(key)
	if err != nil {
		panic(err) // keys are plain structs of strings, times and numbers
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads a token into key; an empty token leaves key as it is (the
// first page). A token that does not decode is ErrInvalidToken naming
// page_token.
func Decode(token string, key any) error {
	if token == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err == nil {
		err = json.Unmarshal(b, key)
	}
	if err != nil {
		return errs.Field(ErrInvalidToken, "page_token", "not a token this list issued")
	}
	return nil
}

// Cut cuts rows fetched one longer than size to size, and returns the
// token of the next page when the extra row shows there is one.
func Cut[T any](rows []T, size int, key func(T) any) ([]T, string) {
	if len(rows) <= size {
		return rows, ""
	}
	rows = rows[:size]
	return rows, Encode(key(rows[size-1]))
}

// Key is the key of a list's page that knows its shape.
type Key interface {
	// Valid reports whether the key has the shape the list writes.
	Valid() bool
}

// After decodes token into the key a page continues after: first for an
// empty token (the first page). A token that does not decode, or decodes
// to a key that is not Valid, is ErrInvalidToken naming page_token.
func After[K Key](token string, first K) (K, error) {
	if token == "" {
		return first, nil
	}
	var k K
	if err := Decode(token, &k); err != nil {
		return k, err
	}
	if !k.Valid() {
		return k, errs.Field(ErrInvalidToken, "page_token", "not a token this list issued")
	}
	return k, nil
}

// ID reports whether s is an id as the services write them: a UUID in its
// canonical form. uuid.Parse also takes spellings (urn:uuid:…, {…}) that
// PostgreSQL's uuid cast refuses, which would fail as an internal error
// instead of an invalid token.
func ID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

// Path reports whether p is a materialised path of the organisation tree
// as the services write it, "/<id>/<id>/…/": PostgreSQL refuses a NUL or
// broken UTF-8 in text, which would fail as an internal error too.
func Path(p string) bool {
	if len(p) < 2 || !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") {
		return false
	}
	for _, id := range strings.Split(p[1:len(p)-1], "/") {
		if !ID(id) {
			return false
		}
	}
	return true
}
